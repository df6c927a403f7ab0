/* global hexo */
'use strict';

/**
 * No Referer to Sina's image hosts (issue 10, fault 4).
 *
 * Sina refuses hot-linked images that send a Referer (SPEC section 3), and sinacrawl marks the
 * body's images `referrerpolicy="no-referrer"`; the theme's own `<img>` tags (banner, list-card
 * covers) and the images its scripts add do not carry it. The page's referrer policy covers every
 * request the page makes; each `<img>` tag also gets the attribute, for browsers that read only
 * that.
 */
hexo.extend.injector.register('head_begin', '<meta name="referrer" content="no-referrer">');

// An `<img` tag (not `<image`) whose attributes do not already set referrerpolicy.
const IMG_WITHOUT_POLICY = /<img(?=[\s/>])(?![^>]*\sreferrerpolicy\s*=)/gi;

hexo.extend.filter.register('after_render:html', html =>
  html.replace(IMG_WITHOUT_POLICY, '<img referrerpolicy="no-referrer"'));
