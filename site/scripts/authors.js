/* global hexo */
'use strict';

/**
 * Every post's author by name (issue 10, fault 6).
 *
 * Volantis shows a post's `author` only when it is a key of the site's author data
 * (source/_data/author.yml, which holds sinacrawl's default, 新浪财经); any other value shows the
 * theme's placeholder. An author value the data lacks (a crawl run with another SINACRAWL_AUTHOR)
 * gets an entry named after it, with the theme's default avatar and link.
 */
const { escapeText } = require('../lib/html');

hexo.extend.filter.register('before_generate', function () {
  const Data = this.model('Data');
  const known = Data.findById('author');
  const authors = { ...(known ? known.data : {}) };
  const fallback = this.theme.config.article.body.meta_library.author;
  let added = false;
  this.model('Post').forEach(post => {
    const name = post.author;
    if (typeof name === 'string' && name && !(name in authors)) {
      authors[name] = { ...fallback, name: escapeText(name) };
      added = true;
    }
  });
  if (added) return Data.save({ _id: 'author', data: authors });
});
