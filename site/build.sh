#!/bin/sh
# Build the blog from the posts a crawl wrote: site/build.sh [POSTS_DIR [IMAGES_DIR]]
# POSTS_DIR defaults to $POSTS_DIR, else the checkout's output/ (the crawl's default); IMAGES_DIR
# (the local copies of the posts' images, SINACRAWL_IMAGES_DIR) to $SINACRAWL_IMAGES_DIR, else
# none. The posts are copied into site/source/_posts/ (replacing the posts there), the images
# into site/source/images/<post>/ (replacing those folders; the site's own files at the top of
# source/images/ stay), the pinned Hexo packages are
# installed when missing, and `npm run build` writes site/public/. Serve it for a look with
# `npm --prefix site run serve` (http://127.0.0.1:4000/), or copy public/ to any web server.
set -eu
site=$(cd "$(dirname "$0")" && pwd)
posts=${1:-${POSTS_DIR:-$site/../output}}
images=${2:-${SINACRAWL_IMAGES_DIR:-}}
if [ ! -d "$posts" ]; then
    echo "build.sh: $posts is not a folder of posts" >&2
    exit 2
fi
if [ -n "$images" ] && [ ! -d "$images" ]; then
    echo "build.sh: $images is not a folder of images" >&2
    exit 2
fi
# The posts: *.md at the top (SINACRAWL_POSTS_LAYOUT=flat) or in YYYY/MM/ (year-month); never
# what lies in hidden folders (the crawl's own .sinacrawl/ state).
list_posts() {
    (cd "$posts" && find . -mindepth 1 -maxdepth 3 -name '.*' -prune -o -type f -name '*.md' -print)
}
count=$(list_posts | wc -l)
if [ "$count" -eq 0 ]; then
    echo "build.sh: no posts (*.md) in $posts" >&2
    exit 2
fi
cd "$site"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --ignore-scripts
fi
posts=$(cd "$posts" && pwd)
find source/_posts -mindepth 1 -maxdepth 3 -type f -name '*.md' -delete
list_posts | (cd "$posts" && xargs -r cp --parents -t "$site/source/_posts/")
echo "build.sh: $count posts from $posts"
# The images: regular files <post>/<name>.<jpg|png|gif|webp> only (what sinacrawl stores; never
# a symlink, a hidden or temporary file).
find source/images -mindepth 1 -maxdepth 1 -type d -exec rm -r {} +
if [ -n "$images" ]; then
    images=$(cd "$images" && pwd)
    (cd "$images" && find . -mindepth 2 -maxdepth 2 -type f \
        \( -name '*.jpg' -o -name '*.png' -o -name '*.gif' -o -name '*.webp' \) ! -name '.*' -print) |
        (cd "$images" && xargs -r cp --parents -t "$site/source/images/")
    echo "build.sh: $(find source/images -mindepth 2 -type f | wc -l) images from $images"
fi
npm run build
echo "build.sh: the blog is in $site/public"
