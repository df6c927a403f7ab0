/* global hexo */
'use strict';

/**
 * The same posts build the same bytes (issue 10, fault 2).
 *
 * Volantis writes the build's start time into every page (`lastupdate` in its global config, the
 * "last active" of its webinfo widget), so two builds of the same posts differ on every page.
 * The site's last update is its newest post's publication time. (Hexo's own dates come from
 * the posts, with `updated_option: date`, never from file times.)
 */
hexo.extend.filter.register('before_generate', function () {
  const newest = this.model('Post').sort('-date').first();
  this.theme.config.getStartTime = newest ? newest.date.valueOf() : 0;
});

/**
 * Posts of the same second (a 2005 batch; the same article saved under two ids) would keep the
 * order Hexo happened to read their files in, which changes from build to build under load:
 * every list (index, archives, categories, tags, prev/next, content.json) sorts `locals.posts`
 * by date with a stable sort, so the posts are handed over ordered by source file first.
 */
hexo.extend.filter.register('before_generate', function () {
  const posts = this.locals.get('posts').sort('source');
  this.locals.set('posts', () => posts);
});

/**
 * A post's tags in name order. Hexo lists them in the order the site first met each tag
 * (`Tag.find` over the tag ids keeps the Tag model's order), which follows the order its post
 * files were processed and changed from build to build under load (a rebuild differed on ten
 * pages: post cards, tag pages, a post's tag list).
 */
hexo.model('Post').schema.virtual('tags').get(function () {
  const ids = hexo.model('PostTag').find({ post_id: this._id }).map(link => link.tag_id);
  return hexo.model('Tag').find({ _id: { $in: ids } }).sort('name');
});
