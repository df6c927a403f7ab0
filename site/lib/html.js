'use strict';

const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * `text` as HTML text or attribute value, exactly: every `&`, `<`, `>`, `"` and `'` becomes its
 * entity, an `&` that already starts an entity included (hexo-util's escapeHTML leaves those, so
 * a headline that says `&amp;` would show `&`).
 */
function escapeText(text) {
  return String(text).replace(/[&<>"']/g, c => ENTITIES[c]);
}

module.exports = { escapeText };
