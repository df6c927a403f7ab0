"""The blog built from a crawl with local images (issue 15 item 1) shows every image, served
from 127.0.0.1, with no request to Sina or any other image host.

Posts and images: ``tests/fixtures/replay`` and the article of ``tests/fixtures/images`` whose
images all load, crawled with ``SINACRAWL_IMAGES_DIR``; the site is built by ``site/build.sh``
itself (run in a copy of ``site/``, so that it is what copies the images into the site), served
on 127.0.0.1 and opened in Debian's Chromium (as tests/test_blog_browser.py). Every request that
leaves 127.0.0.1 is recorded and aborted: there must be none, not even the theme's own files
(site/scripts/self-hosted.js serves them).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sinacrawl.post import parse_post
from tests.blog_site import build_script, install, make_site, serve
from tests.conftest import FIXTURES, REPLAY, run_crawl
from tests.test_blog_browser import (
    BUILD_TZ,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    Post,
    _browser,
    _cut_short,
)

IMAGES = FIXTURES / "images"
ARTICLE = "https://finance.sina.com.cn/china/2026-12-01/doc-iimgfix0000001.shtml"
#: What the reader's browser is asked to load, read after every image has settled.
_READ_IMAGES = """async () => {
  const images = [...document.images];
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.map(img => ({
    src: img.currentSrc || img.src, width: img.naturalWidth, complete: img.complete,
  }));
}"""


def _crawl(posts: Path, images: Path, replay: Path, *args: str) -> None:
    result = run_crawl(
        *args, "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}",
        "-s", f"SINACRAWL_IMAGES_DIR={images}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "sinacrawl/images/failed" not in result.stderr, result.stderr[-3000:]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The posts folder and the images folder of both crawls."""
    base = tmp_path_factory.mktemp("images-blog")
    posts, images = base / "_posts", base / "images"
    _crawl(posts, images, REPLAY)
    _crawl(posts, images, IMAGES, "-a", f"urls={ARTICLE}")
    return posts, images


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory, crawled: tuple[Path, Path]) -> Path:
    """``site/build.sh POSTS_DIR IMAGES_DIR`` run in a copy of ``site/``; its ``public``."""
    install()
    posts, images = crawled
    site = make_site(tmp_path_factory.mktemp("images-site") / "site", [])
    result = build_script(site, posts, images, BUILD_TZ)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "build.sh: 5 posts from" in result.stdout
    assert "build.sh: 6 images from" in result.stdout
    return site / "public"


def test_build_copies_every_image_into_the_site(public: Path, crawled: tuple[Path, Path]) -> None:
    _, images = crawled
    stored = {p.relative_to(images): p.read_bytes() for p in images.rglob("*") if p.is_file()}
    served = {p: (public / "images" / p).read_bytes() for p in stored}
    assert len(stored) == 6 and served == stored
    assert (public / "images" / "sina-finance.svg").is_file()  # the site's own image stays


def test_every_image_shows_and_no_request_leaves_127_0_0_1(
    public: Path, crawled: tuple[Path, Path]
) -> None:
    posts_dir, _ = crawled
    posts = [Post(p, *parse_post(p.read_text(encoding="utf-8"))) for p in posts_dir.glob("*.md")]
    with_images = [p for p in posts if "<img" in p.body or p.fields.headimg]
    assert len(with_images) == 3
    sync_api = _browser()
    off_host: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    errors: list[tuple[str, str]] = []
    seen: dict[str, list[dict[str, Any]]] = {}
    with serve(public) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport=VIEWPORT)

        def refuse(route: Any) -> None:
            off_host.append((route.request.resource_type, route.request.url))
            route.abort()

        context.route(lambda url: not url.startswith(f"{base}/"), refuse)
        page = context.new_page()
        page.on(
            "requestfailed",
            lambda request: _cut_short(request) or failed.append((page.url, request.url)),
        )
        page.on("response", lambda r: r.status >= 400 and failed.append((page.url, r.url)))
        page.on("console", lambda m: m.type == "error" and errors.append((page.url, m.text)))
        for post in with_images:
            page.goto(base + post.path, wait_until="load")
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            seen[post.stem] = page.evaluate(_READ_IMAGES)
        browser.close()
    for post in with_images:
        wanted = {*re.findall('<img src="([^"]*)"', post.body), post.fields.headimg} - {""}
        assert all(src.startswith(f"/images/{post.stem}/") for src in wanted), post.stem
        shown = seen[post.stem]
        # every image of the post is on its page (the header photo once, body or banner)
        assert wanted <= {urlsplit(image["src"]).path for image in shown}, (post.stem, shown)
        # and every image on the page came from 127.0.0.1 and decoded
        assert [i for i in shown if not (i["complete"] and i["width"] > 0)] == []
        assert {urlsplit(i["src"]).netloc for i in shown} == {urlsplit(base).netloc}
    # Nothing at all was asked for off 127.0.0.1: no image, nothing of Sina's, none of the
    # theme's scripts, styles or fonts (README, Publish the blog); nothing failed or was missing.
    assert off_host == []
    assert failed == []
    assert errors == []
