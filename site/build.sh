#!/bin/sh
# Build the blog from the posts a crawl wrote: site/build.sh [POSTS_DIR]
# POSTS_DIR defaults to $POSTS_DIR, else the checkout's output/ (the crawl's default). The posts
# are copied into site/source/_posts/ (replacing the posts there), the pinned Hexo packages are
# installed when missing, and `npm run build` writes site/public/. Serve it for a look with
# `npm --prefix site run serve` (http://127.0.0.1:4000/), or copy public/ to any web server.
set -eu
site=$(cd "$(dirname "$0")" && pwd)
posts=${1:-${POSTS_DIR:-$site/../output}}
if [ ! -d "$posts" ]; then
    echo "build.sh: $posts is not a folder of posts" >&2
    exit 2
fi
count=$(find "$posts" -maxdepth 1 -type f -name '*.md' ! -name '.*' | wc -l)
if [ "$count" -eq 0 ]; then
    echo "build.sh: no posts (*.md) in $posts" >&2
    exit 2
fi
cd "$site"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --ignore-scripts
fi
find source/_posts -maxdepth 1 -type f -name '*.md' -delete
find "$posts" -maxdepth 1 -type f -name '*.md' ! -name '.*' -exec sh -c 'cp "$@" source/_posts/' sh {} +
echo "build.sh: $count posts from $posts"
npm run build
echo "build.sh: the blog is in $site/public"
