"""What a reader of the blog sees: ``site/`` (Hexo 8 + Volantis) built from crawled posts,
served on 127.0.0.1 and looked at in headless Chromium (issue 10).

Posts: replay crawls of ``tests/fixtures/replay``, of ``tests/fixtures/hostile`` (with an author
the site's author data lacks) and, when it is beside the checkout, of ``../shared/corpus``, all
with every opt-in setting of issue 15 on (tags, description, updated, figures,
``<!-- more -->``, credit line, local image copies; with them off a post only lacks those
parts). The site is built once with ``site/build.sh POSTS IMAGES`` on a machine zone far from
Beijing's; one browser session opens every list page of the home page, the first page of a
category, a tag page and every post page, and records what it showed. Every expected value comes
from the post files (read with :func:`sinacrawl.post.parse_post`). The browser never reaches the
internet: a request to a Sina image host, or to another host for an image a post's body links,
is answered with a grey image after its headers are recorded (the posts' photos
SINACRAWL_IMAGES_DIR could not store: the corpus has no image files), any other request off
127.0.0.1 is aborted and fails the test: the theme's scripts, styles and fonts are the site's
own (site/scripts/self-hosted.js). Screenshots of a few pages go to ``tests/artifacts/blog/``.

Needs node, npm, Debian's ``chromium`` and Playwright for Python (the ``test`` extra); without
them the tests fail when ``CI=true`` and are skipped, saying why, otherwise.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from lxml import html as lxml_html

from sinacrawl.post import PostFields, parse_post
from tests.blog_site import build_script, install, make_site, serve
from tests.conftest import CORPUS, FIXTURES, REPLAY, ROOT, run_crawl
from tests.test_optin import ALL_ON

HOSTILE = FIXTURES / "hostile"
#: Not a key of site/source/_data/author.yml: the site must still show it.
OTHER_AUTHOR = "@新浪财经: 'null' #1"
BEIJING = ZoneInfo("Asia/Shanghai")
#: The build machine's zone: far from Beijing's, so that a day taken in it is wrong for hours.
BUILD_TZ = "America/New_York"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 800}
#: Sina's image hosts refuse a request that carries a Referer (SPEC section 3).
SINA_HOSTS = ("sinaimg.cn", "sina.com.cn", "sina.cn")
ARTIFACTS = ROOT / "tests" / "artifacts" / "blog"
_WHITE = re.compile(r"\s+")
_LOG_PROBLEM = re.compile(r"^\s*(?:ERROR|WARN|FATAL)\b", re.MULTILINE)
#: A credit line Sina puts before the news (site/scripts/excerpt.js skips them in excerpts).
_CREDIT = re.compile(r"^(?:原标题|来源\s*[:：|丨]|作者\s*[:：]|文\s*[|丨]|►\s*文)")

#: What the browser reports about a page, read in the page after it loaded (at scroll 0).
_READ_PAGE = """async () => {
  await document.fonts.ready;
  const shown = el => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden'
      && style.opacity !== '0';
  };
  const text = el => el.innerText.replace(/\\s+/g, ' ').trim();
  const all = (selector, root = document) => [...root.querySelectorAll(selector)];
  return {
    fold: window.innerHeight,
    h1: all('h1').filter(shown).map(text),
    dates: all('#top .new-meta-item.date').filter(shown).map(text),
    updated: all('#bottom .new-meta-item.date').filter(shown).map(text),
    tags: all('#bottom .new-meta-item.meta-tags').filter(shown).map(text),
    description: (document.querySelector('meta[name="description"]') || {}).content || null,
    figcaptions: all('#post-body figure figcaption').filter(shown).map(text),
    credit: all('#post-body > div > p:last-child').filter(shown).map(p => ({
      text: text(p),
      links: [...p.querySelectorAll('a')].filter(shown).map(a => a.getAttribute('href')),
    })),
    authors: all('#top .new-meta-item.author').filter(shown).map(text),
    images: all('img').map(img => ({
      src: img.getAttribute('src'),
      top: img.getBoundingClientRect().top + window.scrollY,
      shown: shown(img),
    })),
    cards: all('.post-wrapper').map(card => {
      const link = card.querySelector('.article-title a');
      const time = card.querySelector('time.update-time');
      const excerpt = card.querySelector('.article-desc');
      return {
        href: link && link.getAttribute('href'),
        title: link && text(link),
        time: time && shown(time) ? text(time) : null,
        excerpt: excerpt ? excerpt.innerText.replace(/[ \\t\\n\\r\\f]+/g, ' ').trim() : null,
      };
    }),
    next: (document.querySelector('a.next') || {}).href || null,
    icons: [...new Set(all('i.fa-solid, i.fa-regular, i.fa-brands').filter(shown)
      .map(i => getComputedStyle(i, '::before').fontFamily))],
    fonts: [...new Set([...document.fonts].filter(f => f.status === 'loaded').map(f => f.family))],
  };
}"""


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; CI must install it (.ci/run)")
    pytest.skip(f"{reason}: the blog's browser test needs it (README, Publish the blog)")


def _png(width: int, height: int) -> bytes:
    """A grey ``width`` x ``height`` PNG: the stand-in for every Sina image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xc0\xc0\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Post:
    """One post file: its fields and the Beijing time it was published."""

    file: Path
    fields: PostFields
    body: str

    @property
    def stem(self) -> str:
        return self.file.stem

    @property
    def published(self) -> datetime:
        return parsedate_to_datetime(self.fields.date).astimezone(BEIJING)

    @property
    def path(self) -> str:
        """The permalink's path: the Beijing publication day, then the file name."""
        return f"/{self.published:%Y/%m/%d}/{self.stem}/"


@dataclass
class Visit:
    """Everything one browser session saw."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    aborted: set[str] = field(default_factory=set)
    #: (page, URL) of a request that failed or was answered 4xx/5xx.
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: URL → status of every answer from the site itself.
    served: dict[str, int] = field(default_factory=dict)
    console_errors: list[tuple[str, str, str]] = field(default_factory=list)
    page_errors: list[tuple[str, str]] = field(default_factory=list)
    dialogs: list[tuple[str, str]] = field(default_factory=list)
    index_pages: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)


def _crawl(out: Path, images: Path, replay: Path, *args: str) -> Path:
    all_on = [arg for setting in ALL_ON for arg in ("-s", f"{setting}=1")]
    all_on += ["-s", f"SINACRAWL_IMAGES_DIR={images}"]
    result = run_crawl(*args, "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={out}", *all_on)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local copies of the posts' images (``SINACRAWL_IMAGES_DIR`` of every crawl)."""
    return tmp_path_factory.mktemp("blog-images")


@pytest.fixture(scope="module")
def posts(tmp_path_factory: pytest.TempPathFactory, images: Path) -> dict:
    """Stem → :class:`Post`, from the replay, hostile and corpus crawls."""
    hostile_urls = [
        line.split("\t")[0]
        for line in (HOSTILE / "manifest.tsv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    folders = [
        _crawl(tmp_path_factory.mktemp("blog-replay"), images, REPLAY, "-a", "pages=2"),
        _crawl(
            tmp_path_factory.mktemp("blog-hostile"),
            images,
            HOSTILE,
            "-a",
            f"urls={','.join(hostile_urls)}",
            "-s",
            f"SINACRAWL_AUTHOR={OTHER_AUTHOR}",
        ),
    ]
    if CORPUS.exists():
        folders.append(
            _crawl(tmp_path_factory.mktemp("blog-corpus"), images, CORPUS, "-a", "pages=3")
        )
    found: dict[str, Post] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.md")):
            fields, body = parse_post(path.read_text(encoding="utf-8"))
            assert path.stem not in found, f"two crawls wrote {path.name}"
            found[path.stem] = Post(path, fields, body)
    return found


@pytest.fixture(scope="module")
def blog(tmp_path_factory: pytest.TempPathFactory, posts: dict, images: Path) -> Path:
    """``site/`` built by ``site/build.sh POSTS IMAGES`` from every crawled post and image; its
    ``public`` folder."""
    install()
    base = tmp_path_factory.mktemp("blog-site")
    (base / "posts").mkdir()
    for post in posts.values():
        shutil.copyfile(post.file, base / "posts" / post.file.name)
    site = make_site(base / "site", [])
    result = build_script(site, base / "posts", images, BUILD_TZ)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"build.sh exited {result.returncode}:\n{output[-4000:]}"
    assert f"build.sh: {len(posts)} posts from" in result.stdout
    assert not _LOG_PROBLEM.search(output), output[-4000:]
    return site / "public"


def _cut_short(request: Any) -> bool:
    """True for a request the browser dropped because the test went on to the next page (a
    script the theme loads late); a missing file is an answer (404), not a failed request."""
    return bool(request.failure == "net::ERR_ABORTED" and request.url.startswith("http://127."))


def _browser() -> Any:
    """Playwright's module, after checking that Chromium and Playwright are there."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (Debian package chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -e '.[test]')")
    return sync_api


@pytest.fixture(scope="module")
def visit(blog: Path, posts: dict) -> Iterator[Visit]:
    """One browser session over the home page's list pages, a category page and every post."""
    sync_api = _browser()
    seen = Visit()
    image = _png(550, 366)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    with serve(blog) as base, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(viewport=VIEWPORT)

        def route(route: Any) -> None:
            request = route.request
            seen.requests.append((request.url, request.all_headers()))
            if _is_sina(request.url) or request.url in photos:
                route.fulfill(status=200, content_type="image/png", body=image)
            else:
                seen.aborted.add(request.url)
                route.abort()

        photos = _post_photos(posts)
        context.route(lambda url: not url.startswith(f"{base}/"), route)
        page = context.new_page()
        where = {"url": ""}

        def on_console(message: Any) -> None:
            if message.type == "error":
                source = message.location.get("url", "")
                seen.console_errors.append((where["url"], message.text, source))

        def on_dialog(dialog: Any) -> None:
            seen.dialogs.append((where["url"], dialog.message))
            dialog.dismiss()

        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.page_errors.append((where["url"], str(error))))
        page.on("dialog", on_dialog)
        page.on(
            "requestfailed",
            lambda request: _cut_short(request) or seen.failed.append((where["url"], request.url)),
        )

        def on_response(response: Any) -> None:
            if response.url.startswith(f"{base}/"):
                seen.served[response.url.removeprefix(base)] = response.status
            if response.status >= 400:
                seen.failed.append((where["url"], response.url))

        page.on("response", on_response)

        def look(path: str, shot: str = "") -> dict[str, Any]:
            where["url"] = base + path
            response = page.goto(base + path, wait_until="load")
            seen.status[path] = response.status if response else 0
            found: dict[str, Any] = page.evaluate(_READ_PAGE)
            seen.pages[path] = found
            if shot:
                target = ARTIFACTS / f"{shot}.png"
                page.screenshot(path=str(target))
                seen.screenshots.append(target)
            return found

        started = time.monotonic()
        path = "/"
        while path:
            seen.index_pages.append(path)
            found = look(path, "home" if path == "/" else "")
            path = unquote(urlsplit(found["next"]).path) if found["next"] else ""
        look(_category_path(blog), "category")
        look(TAG_PAGE, "tag")
        shots = _screenshot_posts(posts)
        for post in posts.values():
            look(post.path, shots.get(post.stem, ""))
        browser.close()
    took = time.monotonic() - started
    print(f"\nbrowser: {len(seen.pages)} pages in {took:.1f} s; screenshots in {ARTIFACTS}")
    yield seen


#: A tag page: a stock name both the bundled replay and corpus pages list (SINACRAWL_STOCK_TAGS).
TAG_PAGE = "/tags/招商银行/"


def _category_path(public: Path) -> str:
    """The first list page of the first category Hexo generated (``/categories/金融/``)."""
    categories = sorted(p for p in (public / "categories").iterdir() if p.is_dir())
    assert categories, "no category page was generated"
    return f"/categories/{categories[0].name}/"


def _screenshot_posts(posts: dict) -> dict[str, str]:
    """A post with a lead photo, one without a photo, and one published before 08:00 Beijing."""
    chosen: dict[str, str] = {}
    with_photo = [p for p in posts.values() if p.fields.headimg]
    without = [p for p in posts.values() if not p.fields.headimg]
    early = [p for p in posts.values() if p.published.hour < 8]
    groups = (("post-photo", with_photo), ("post-no-photo", without), ("post-early", early))
    for name, group in groups:
        if group:
            chosen.setdefault(sorted(group, key=lambda p: p.stem)[0].stem, name)
    return chosen


def _text(value: str) -> str:
    return _WHITE.sub(" ", value).strip()


def test_every_page_answers(visit: Visit, posts: dict) -> None:
    assert {path: status for path, status in visit.status.items() if status != 200} == {}
    assert len(visit.pages) == len(visit.index_pages) + 2 + len(posts)


def test_post_pages_show_the_title(visit: Visit, posts: dict) -> None:
    wrong = {
        post.stem: shown
        for post in posts.values()
        if (shown := visit.pages[post.path]["h1"]) != [_text(post.fields.title)]
    }
    assert wrong == {}


def test_post_pages_show_the_beijing_day(visit: Visit, posts: dict) -> None:
    """The permalink carries the Beijing day (``Post.path``) and the page shows Beijing time."""
    early = [p for p in posts.values() if p.published.hour < 8]
    assert early, "no post published 00:00-08:00 Beijing: the check would prove nothing"
    wrong = {}
    for post in posts.values():
        shown = visit.pages[post.path]["dates"]
        if shown != [f"发布于：{post.published:%Y-%m-%d %H:%M}"]:
            wrong[post.stem] = (shown, post.published.isoformat())
    assert wrong == {}


def test_post_pages_name_the_author(visit: Visit, posts: dict) -> None:
    wrong = {
        post.stem: shown
        for post in posts.values()
        if (shown := visit.pages[post.path]["authors"]) != [post.fields.author]
    }
    assert wrong == {}
    assert OTHER_AUTHOR in {p.fields.author for p in posts.values()}


def _cards(visit: Visit, paths: list[str]) -> dict[str, dict[str, Any]]:
    """The list cards of ``paths``, by the post's path."""
    cards = {}
    for path in paths:
        for card in visit.pages[path]["cards"]:
            assert card["href"], f"a card without a title link on {path}: {card}"
            cards[unquote(card["href"])] = card
    return cards


def test_home_cards_show_the_publication_date(visit: Visit, posts: dict) -> None:
    cards = _cards(visit, visit.index_pages)
    assert set(cards) == {post.path for post in posts.values()}
    wrong = {
        post.stem: (card["time"], card["title"])
        for post in posts.values()
        if ((card := cards[post.path])["time"], card["title"])
        != (f"{post.published:%Y-%m-%d}", _text(post.fields.title))
    }
    assert wrong == {}


def test_home_lists_newest_first(visit: Visit, posts: dict) -> None:
    by_path = {post.path: post for post in posts.values()}
    order = [
        by_path[unquote(card["href"])].published
        for path in visit.index_pages
        for card in visit.pages[path]["cards"]
    ]
    assert order == sorted(order, reverse=True)


def test_category_page_cards_show_the_publication_date(
    visit: Visit, posts: dict, blog: Path
) -> None:
    path = _category_path(blog)
    cards = _cards(visit, [path])
    assert len(cards) == min(20, len(posts))
    by_path = {post.path: post for post in posts.values()}
    assert {href: card["time"] for href, card in cards.items()} == {
        href: f"{by_path[href].published:%Y-%m-%d}" for href in cards
    }


def test_excerpts_read_as_text(visit: Visit, posts: dict) -> None:
    """No ``　　`` indents, no run of spaces, no credit line first; text of the post's body."""
    by_path = {post.path: post for post in posts.values()}
    wrong = {}
    for href, card in _cards(visit, visit.index_pages).items():
        excerpt = card["excerpt"] or ""
        body = _WHITE.sub("", html.unescape(re.sub(r"<[^>]+>", "", by_path[href].body)))
        opening = excerpt.replace(" ", "")[:12]
        if (
            not excerpt
            or "\u3000" in excerpt
            or "  " in excerpt
            or _CREDIT.match(excerpt)
            or opening not in body
        ):
            wrong[href] = excerpt
    assert wrong == {}


def _opens_with(body: str, src: str) -> bool:
    """True when the body shows the image ``src`` before any text (the article's lead photo)."""
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    text = ""
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if element.tag == "img" and element.get("src") == src:
                return not text.strip()
            text += element.text or ""
        elif element is not root:
            text += element.tail or ""
    return False


def _in_body(body: str, src: str) -> bool:
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    return any(img.get("src") == src for img in root.iter("img"))


def test_header_photo_once_above_the_fold(visit: Visit, posts: dict) -> None:
    """The photo is shown once on the page; above the fold when the article opens with it or
    has it only as ``headimg`` (the banner); where the article puts it otherwise."""
    with_photo = [p for p in posts.values() if p.fields.headimg]
    assert with_photo
    wrong = {}
    for post in with_photo:
        page = visit.pages[post.path]
        shown = [i for i in page["images"] if i["src"] == post.fields.headimg and i["shown"]]
        above = [i for i in shown if i["top"] < page["fold"]]
        lead = _opens_with(post.body, post.fields.headimg)
        banner = not _in_body(post.body, post.fields.headimg)
        if len(shown) != 1 or ((lead or banner) and len(above) != 1):
            wrong[post.stem] = (shown, lead, banner)
    assert wrong == {}


def test_no_referer_reaches_sina(visit: Visit) -> None:
    sina = [(url, headers) for url, headers in visit.requests if _is_sina(url)]
    assert sina, "no page asked for a Sina image: the check would prove nothing"
    assert [(url, h["referer"]) for url, h in sina if "referer" in h] == []


def _is_sina(url: str) -> bool:
    return (urlsplit(url).hostname or "").endswith(SINA_HOSTS)


def test_no_dialog_and_no_console_error(visit: Visit) -> None:
    assert visit.dialogs == []
    assert sorted({(page, text) for page, text, _ in visit.console_errors}) == []
    assert visit.page_errors == []


def _post_photos(posts: dict) -> set[str]:
    """The absolute URLs of the posts' own images (body, ``headimg``, ``thumbnail``) that are not
    local copies: Sina's when a download failed, other hosts' an article's body links."""
    found = set()
    for post in posts.values():
        body = lxml_html.fragment_fromstring(post.body, create_parent="div")
        srcs = [img.get("src", "") for img in body.iter("img")]
        found |= {s for s in [*srcs, post.fields.headimg, post.fields.thumbnail] if "//" in s}
    return found


def test_no_request_leaves_the_site(visit: Visit, posts: dict) -> None:
    """Only the posts' own photos that are not local copies are asked for off 127.0.0.1; the
    theme's libraries, styles, fonts and placeholders come from the site (no CDN: README,
    Publish the blog); none fails."""
    photos = _post_photos(posts)
    off_site = {url for url, _ in visit.requests if not (_is_sina(url) or url in photos)}
    assert off_site == set() and visit.aborted == set()
    assert visit.failed == []
    assert visit.served.get("/npm/@fortawesome/fontawesome-free@6.6.0/css/all.min.css") == 200


def test_icons_and_fonts_come_from_the_site(visit: Visit) -> None:
    """Every page shows its Font Awesome icons in Font Awesome's webfont, which the site served
    (200), and the theme's Latin fonts (@fontsource) loaded."""
    wrong = {
        path: (page["icons"], page["fonts"])
        for path, page in visit.pages.items()
        if not page["icons"]
        or any("Font Awesome 6 Free" not in family for family in page["icons"])
        or not {"Font Awesome 6 Free", "Varela Round", "UbuntuMono"} <= set(page["fonts"])
    }
    assert wrong == {}
    webfont = "/npm/@fortawesome/fontawesome-free@6.6.0/webfonts/fa-solid-900.woff2"
    assert visit.served.get(webfont) == 200


def test_screenshots_are_saved(visit: Visit) -> None:
    assert len(visit.screenshots) >= 4
    assert all(shot.stat().st_size > 10_000 for shot in visit.screenshots)


def test_rebuild_gives_the_same_bytes(blog: Path, images: Path, tmp_path: Path) -> None:
    """The same posts, written again (build.sh's copies: other file times) and built in another
    zone, give the same files (a post's tags in name order: site/scripts/reproducible.js; Hexo
    lists them in the order the site first met them, which changed from build to build)."""
    site = make_site(tmp_path / "site", [])
    result = build_script(site, blog.parent.parent / "posts", images, "UTC")
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]

    def files(root: Path) -> dict[Path, bytes]:
        return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    first, second = files(blog), files(site / "public")
    assert sorted(first) == sorted(second)
    assert [str(name) for name in first if first[name] != second[name]] == []


def _beijing(rfc1123: str) -> str:
    return f"{parsedate_to_datetime(rfc1123).astimezone(BEIJING):%Y-%m-%d %H:%M}"


def test_post_pages_show_tags_updated_and_description(visit: Visit, posts: dict) -> None:
    """Issue 15's keys as the reader and search engines get them: the tags under the post,
    更新于 Sina's last edit (the publication time without one: ``updated_option: date``), and
    the description in ``<meta name="description">`` (Volantis adds author and site title)."""
    assert any(p.fields.tags for p in posts.values())
    assert any(p.fields.updated and p.fields.updated != p.fields.date for p in posts.values())
    wrong = {}
    for post in posts.values():
        page = visit.pages[post.path]
        fields = post.fields
        description = f"{fields.description} - 新浪财经 - 新浪财经" if fields.description else None
        # the site lists a post's tags in name order, not the post's
        got = (sorted(page["tags"]), page["updated"], page["description"] if description else None)
        meant = (
            sorted(_text(tag) for tag in fields.tags),
            [f"更新于：{_beijing(fields.updated or fields.date)}"],
            description,
        )
        if got != meant:
            wrong[post.stem] = (got, meant)
    assert wrong == {}


def test_tag_page_lists_the_tagged_posts(visit: Visit, posts: dict) -> None:
    tag = unquote(TAG_PAGE).split("/")[2]
    tagged = {p.path: p for p in posts.values() if tag in p.fields.tags}
    assert len(tagged) >= 2
    cards = _cards(visit, [TAG_PAGE])
    assert {href: card["title"] for href, card in cards.items()} == {
        path: _text(post.fields.title) for path, post in tagged.items()
    }


def test_captions_and_credit_line_are_shown(visit: Visit, posts: dict) -> None:
    """Every ``<figcaption>`` visible under its image; the credit line last, its one link the
    article on Sina."""
    assert any("<figcaption>" in p.body for p in posts.values())
    wrong = {}
    for post in posts.values():
        page = visit.pages[post.path]
        body = lxml_html.fragment_fromstring(post.body, create_parent="div")
        captions = [_text(c.text_content()) for c in body.iter("figcaption")]
        [credit] = body.xpath("./p[last()]")
        meant = (
            captions,
            [{"text": _text(credit.text_content()), "links": credit.xpath("a/@href")}],
        )
        if (page["figcaptions"], page["credit"]) != meant or "原文链接" not in meant[1][0]["text"]:
            wrong[post.stem] = ((page["figcaptions"], page["credit"]), meant)
    assert wrong == {}


def test_more_ends_the_excerpt_with_the_first_paragraph(visit: Visit, posts: dict) -> None:
    """With ``<!-- more -->`` the card shows the text before it (site/scripts/excerpt.js: credit
    lines skipped, at most 120 characters), never text of a later paragraph."""
    by_path = {post.path: post for post in posts.values()}
    marked = 0
    wrong = {}
    for href, card in _cards(visit, visit.index_pages).items():
        before, mark, _ = by_path[href].body.partition("\n<!-- more -->\n")
        if not mark:
            continue
        marked += 1
        shown = (card["excerpt"] or "").replace(" ", "").removesuffix("…")
        text = _WHITE.sub(
            "", lxml_html.fragment_fromstring(before, create_parent="div").text_content()
        )
        if not shown or shown not in text:
            wrong[href] = (card["excerpt"], text)
    assert marked == sum("\n<!-- more -->\n" in p.body for p in posts.values()) > 0
    assert wrong == {}
