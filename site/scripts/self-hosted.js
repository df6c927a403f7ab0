/* global hexo */
'use strict';

/**
 * The theme's libraries and fonts served by the site itself, never by a CDN (issue 15 item 1:
 * "no request leaving 127.0.0.1"; readers' browsers ask no third party, the blog works offline).
 *
 * _config.volantis.yml points Volantis' npm CDN prefix at `<root>npm/`, so every library the
 * theme loads (theme.cdn, from the theme's _data/cdn.yml) and every `volantis-npm/` URL of its
 * config (the fonts) reads `<root>npm/<name>@<version>/<file>`. This generator routes each such
 * file from node_modules/<name>/<file>, and the files a routed CSS file names with a relative
 * `url(...)` (Font Awesome's webfonts): only the files the theme asks for, not whole packages.
 * A library the theme lists but package.json does not install is not routed; a page that still
 * links a `<root>npm/` file the site does not serve gets one WARN per file at build time.
 *
 * Errors: the build fails (Error) when an installed package's version differs from the one the
 * theme asks for (pin it in package.json), or a file the theme asks for is missing from it.
 */
const fs = require('fs');
const path = require('path');

// `@scope/name@1.2.3/dir/file.css` -> name, version, file
const NPM_PATH = /^((?:@[^/@]+\/)?[^/@]+)@([^/]+)\/(.+)$/;
// A relative url(...) of a CSS file: no scheme, no data:, no root-relative or fragment-only.
const CSS_URL = /url\(\s*(['"]?)(?![a-z][a-z0-9+.-]*:|\/|#)([^'")?#]+)[^'")]*\1\s*\)/gi;

const served = new Set();

function npmBase() {
  return `${hexo.config.root}npm/`;
}

function collect(value, base, found) {
  if (typeof value === 'string') {
    if (value.startsWith(base)) found.add(value.slice(base.length).split(/[?#]/)[0]);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) collect(item, base, found);
  }
}

function installedVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

hexo.extend.generator.register('self_hosted_npm', () => {
  const base = npmBase();
  const queue = new Set();
  collect(hexo.theme.config, base, queue);
  const routes = [];
  served.clear();
  for (const wanted of queue) {
    const match = NPM_PATH.exec(wanted);
    if (!match) continue;
    const [, name, version, file] = match;
    const dir = path.join(hexo.base_dir, 'node_modules', name);
    const installed = installedVersion(dir);
    if (installed === null) continue; // a library this site does not use
    if (installed !== version) {
      throw new Error(`self-hosted: the theme asks for ${name}@${version}, `
        + `site/package.json installs ${installed}: pin ${version}`);
    }
    const source = path.join(dir, file);
    if (!source.startsWith(dir + path.sep) || !fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`self-hosted: ${name}@${version} has no file ${file}`);
    }
    served.add(base + wanted);
    routes.push({ path: `npm/${wanted}`, data: () => fs.createReadStream(source) });
    if (file.endsWith('.css')) {
      for (const [, , ref] of fs.readFileSync(source, 'utf8').matchAll(CSS_URL)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), ref));
        queue.add(`${name}@${version}/${target}`);
      }
    }
  }
  return routes;
});

// Every `<root>npm/…` URL a page names must be one the generator serves.
const warned = new Set();
hexo.extend.filter.register('after_render:html', html => {
  const base = npmBase();
  const pattern = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^"'\\s)<>]+`, 'g');
  for (const [url] of html.matchAll(pattern)) {
    if (!served.has(url.split(/[?#]/)[0]) && !warned.has(url)) {
      warned.add(url);
      hexo.log.warn(`self-hosted: a page links ${url}, which the site does not serve `
        + '(add its package to site/package.json)');
    }
  }
  return html;
});
