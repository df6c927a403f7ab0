/* global hexo */
'use strict';

/**
 * List-card excerpts a reader can read (issue 10, fault 7).
 *
 * With no `<!-- more -->` in a post, Volantis shows the first 200 characters of the body's text:
 * Sina's paragraphs open with two ideographic spaces (`　　`), which become wide gaps, and many
 * articles open with credit lines (`原标题：…`, `来源：…`, `文|…`, `►文 …`) before the news. Here
 * `excerpt` becomes the body's opening text: paragraphs' white space (ideographic spaces too)
 * collapsed, leading credit lines skipped, cut at `sinacrawl_excerpt_length` characters
 * (_config.yml, default 120), HTML-escaped. Volantis also uses it as the page's description.
 *
 * With `<!-- more -->` in the post (SINACRAWL_MORE, issue 15) Hexo's excerpt is the HTML before
 * the mark, the body's `<div>` left open, printed raw on the card; it becomes the text of that
 * part the same way (so the excerpt ends where the article's first paragraph ends).
 */
const { Parser } = require('htmlparser2');
const { escapeText } = require('../lib/html');

// Elements whose end ends a paragraph of text.
const BLOCKS = new Set([
  'p', 'div', 'li', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'pre', 'td', 'th', 'tr',
  'table', 'figcaption', 'br'
]);
// A credit line: the original headline, the source, the writer or editor (Sina's forms).
const CREDIT = /^(?:原标题|来源|作者|撰文|文|编辑|责编|责任编辑|记者|出品|图片来源|图源|专题)\s*[:：|丨｜]|^原标题\s|^►\s*文/;
// Lines longer than this are the article's text even when they start like a credit.
const CREDIT_MAX = 60;

/** The text of each block of `html`, white space collapsed, empty blocks left out. */
function paragraphs(html) {
  const found = [];
  let current = '';
  const flush = () => {
    const text = current.replace(/[\s\u3000]+/g, ' ').trim();
    if (text) found.push(text);
    current = '';
  };
  const parser = new Parser({
    ontext(text) {
      current += text;
    },
    onopentag(name) {
      if (BLOCKS.has(name)) flush();
    },
    onclosetag(name) {
      if (BLOCKS.has(name)) flush();
    }
  });
  parser.write(html);
  parser.end();
  flush();
  return found;
}

function isCredit(text) {
  return text.startsWith('原标题') || (CREDIT.test(text) && Array.from(text).length <= CREDIT_MAX);
}

/** The excerpt's text: the first paragraphs after the credit lines, at most `length` characters. */
function excerptText(html, length) {
  const texts = paragraphs(html);
  let start = 0;
  while (start < texts.length && isCredit(texts[start])) start += 1;
  const chars = Array.from(texts.slice(start).join(' '));
  if (chars.length <= length) return chars.join('');
  return `${chars.slice(0, length).join('').trimEnd()}…`;
}

hexo.extend.filter.register('after_post_render', data => {
  if (data.layout !== 'post') return data;
  // Hexo's own excerpt filter (priority 10) has set data.excerpt when the post has the mark.
  const text = excerptText(data.excerpt || data.content, hexo.config.sinacrawl_excerpt_length || 120);
  data.excerpt = text ? `<p>${escapeText(text)}</p>` : '';
  return data;
}, 20);
