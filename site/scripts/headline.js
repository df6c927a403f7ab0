/* global hexo */
'use strict';

/**
 * The post page as a reader should see it (issue 10, faults 1 and 5).
 *
 * - Volantis hides a post's `<h1>` whenever `headimg` is set, and every sinacrawl post with a
 *   photo has one: `title_display: true` shows it.
 * - Volantis prints the photo up to three times at the top of the page: the banner (`headimg`),
 *   the `thumbnail` beside the title, and the body's own image, which is where sinacrawl takes
 *   `headimg` from (SPEC section 2). The thumbnail goes, and the banner goes whenever the body
 *   shows the photo: the reader sees it once, where the article puts it, with its caption. Only
 *   a photo the body lacks (`og:image`, the configured default) is shown as the banner.
 * - Volantis prints the title into the page as HTML (`<h1>`, `<title>`, list cards): a headline
 *   such as `A股 & 港股 <涨停> 板 &amp;` would lose its `<涨停>` and `&amp;`. The title is
 *   escaped once, here; where Volantis escapes it again (attributes), hexo-util's escape_html
 *   leaves entities as they are, so every place shows the headline as written.
 * List cards keep `headimg` as the card's cover.
 */
const { Parser } = require('htmlparser2');
const { escapeText } = require('../lib/html');

/** True when `html` has an `<img>` whose `src` is `photo`. */
function shows(html, photo) {
  let found = false;
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'img' && attributes.src === photo) found = true;
    }
  });
  parser.write(html);
  parser.end();
  return found;
}

hexo.extend.filter.register('after_post_render', data => {
  if (data.layout !== 'post') return data;
  if (data.title) {
    data.title = escapeText(data.title);
    data.title_display = true;
  }
  if (data.headimg) {
    data.thumbnail = '';
    if (shows(data.content, data.headimg)) data.headimg_display = false;
  }
  return data;
});
