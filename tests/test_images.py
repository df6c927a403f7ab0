"""Local copies of images (issue 15 item 1, ``SINACRAWL_IMAGES_DIR``): stored through a
FilesPipeline subclass, the post pointing at them; failures keep Sina's URL and are counted."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from io import BytesIO
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl.images import ImageNotStored, ImageStore, image_extension, images_url_prefix
from sinacrawl.middlewares import BlockedRequest, ReplayMiddleware, RequestGuardMiddleware
from sinacrawl.post import parse_post
from sinacrawl.settingcheck import check_settings
from sinacrawl.storage import NotRegularFileError
from sinacrawl.urlguard import IMAGE_REQUEST
from tests.conftest import CORPUS, FIXTURES, REPLAY, require_shared, run_crawl
from tests.crawl_log import CrawlLog

IMAGES = FIXTURES / "images"
ARTICLE = "https://finance.sina.com.cn/china/2026-12-01/doc-iimgfix000000{}.shtml"
MEETING = "https://n.sinaimg.cn/finance/crawl/116/w550h366/20261201/a7c2-meeting.jpg"
CHART = "https://n.sinaimg.cn/spider20261201/116/w640h383/20261201/5e1f-chart.jpg"
GROWTH = "https://k.sinaimg.cn/n/finance/transform/20261201/9b0d-growth.gif/w700d1q75cms.jpg"
FAILING = "https://n.sinaimg.cn/finance/crawl/116/w550h366/20261201/{}.jpg"


def _hash(url: str) -> str:
    return hashlib.sha1(url.encode()).hexdigest()[:16]


def _crawl(posts: Path, images: Path, replay: Path, *args: str) -> CrawlLog:
    result = run_crawl(
        *args,
        "-s",
        f"REPLAY_DIR={replay}",
        "-s",
        f"POSTS_DIR={posts}",
        "-s",
        f"SINACRAWL_IMAGES_DIR={images}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    log = CrawlLog(result.stderr)
    assert log.errors() == [], log.errors()
    return log


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _body_and_head(post: Path) -> tuple[str, str, str]:
    fields, body = parse_post(post.read_text(encoding="utf-8"))
    return body, fields.headimg, fields.thumbnail


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlLog]:
    """The bundled replay folder crawled with local images into ``<tmp>/source/``."""
    source = tmp_path_factory.mktemp("bundled") / "source"
    log = _crawl(source / "_posts", source / "images", REPLAY)
    return source, log


def test_bundled_replay_stores_each_image_and_the_post_points_at_it(
    bundled: tuple[Path, CrawlLog],
) -> None:
    source, log = bundled
    body_image = "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"
    og_image = "https://n.sinaimg.cn/finance/2016/og-real.jpg"
    assert (_hash(body_image), _hash(og_image)) == ("2777f6ca4f85cf04", "78f8d65d726e0256")
    assert _files(source / "images") == {
        "kyamrmz0151960/2777f6ca4f85cf04.jpg": (REPLAY / "images/a1b2-c3d4.jpg").read_bytes(),
        "fxsktkp0000001/78f8d65d726e0256.jpg": (REPLAY / "images/og-real.jpg").read_bytes(),
    }
    body, headimg, thumbnail = _body_and_head(source / "_posts/kyamrmz0151960.md")
    local = "/images/kyamrmz0151960/2777f6ca4f85cf04.jpg"
    assert f'<img src="{local}" alt="会议现场" referrerpolicy="no-referrer">' in body
    assert "sinaimg" not in body
    assert headimg == thumbnail == local
    _, headimg, thumbnail = _body_and_head(source / "_posts/fxsktkp0000001.md")
    assert headimg == thumbnail == "/images/fxsktkp0000001/78f8d65d726e0256.jpg"
    stats = log.stats()
    assert stats["sinacrawl/images/downloaded"] == 2
    assert "sinacrawl/images/failed" not in stats and "replay/miss" not in stats
    # the front-matter schema takes a path on the site for headimg/thumbnail
    assert "'spidermon/validation/items/errors'" not in log.text
    assert "'spidermon/validation/items': 4" in log.text


def test_with_images_on_only_the_image_urls_change(
    bundled: tuple[Path, CrawlLog], tmp_path: Path
) -> None:
    source, _ = bundled
    result = run_crawl("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "images").exists()
    local_to_sina = {
        "/images/kyamrmz0151960/2777f6ca4f85cf04.jpg": (
            "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"
        ),
        "/images/fxsktkp0000001/78f8d65d726e0256.jpg": (
            "https://n.sinaimg.cn/finance/2016/og-real.jpg"
        ),
    }
    off = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.md")}
    on = {path.name: path.read_text(encoding="utf-8") for path in source.glob("_posts/*.md")}
    assert on.keys() == off.keys() and len(on) == 4
    for name, text in on.items():
        for local, sina in local_to_sina.items():
            text = text.replace(local, sina)
        assert text == off[name], name
    # Turned on for a folder of older posts: one refreshing crawl gives them their copies.
    log = _crawl(tmp_path, tmp_path / "images", REPLAY, "-s", "POSTS_REFRESH=1")
    assert (log.summary()["replaced"], log.summary()["unchanged"]) == ("2", "2")
    assert {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")} == on


def test_a_later_crawl_downloads_nothing_again(bundled: tuple[Path, CrawlLog]) -> None:
    source, first = bundled
    files = [*source.glob("_posts/*.md"), *source.glob("images/*/*")]
    before = {path: path.stat().st_mtime_ns for path in files}
    assert len(before) == 6
    # POSTS_REFRESH: every article is downloaded and cleaned again, its images are not.
    log = _crawl(source / "_posts", source / "images", REPLAY, "-s", "POSTS_REFRESH=1")
    stats = log.stats()
    assert stats["sinacrawl/images/uptodate"] == 2
    assert "sinacrawl/images/downloaded" not in stats
    # the feed and article answers again, not the 2 images
    assert (first.stats()["replay/hit"], stats["replay/hit"]) == (8, 6)
    assert log.summary()["unchanged"] == "4"
    after = {path: path.stat().st_mtime_ns for path in files}
    assert after == before


def test_a_post_image_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    images, outside = tmp_path / "images", tmp_path / "outside"
    images.mkdir()
    outside.mkdir()
    (images / "kyamrmz0151960").symlink_to(outside)
    log = _crawl(tmp_path / "_posts", images, REPLAY)
    assert list(outside.iterdir()) == []
    sina = "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"
    body, headimg, _ = _body_and_head(tmp_path / "_posts/kyamrmz0151960.md")
    assert headimg == sina and f'<img src="{sina}" alt="会议现场"' in body
    article = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
    assert [message for _, message in log.lines("WARNING")] == [
        "image not stored, the post keeps its URL: cannot write "
        f"kyamrmz0151960/2777f6ca4f85cf04.jpg: a symlink: {sina} ({article})"
    ]
    stats = log.stats()
    assert (stats["sinacrawl/images/downloaded"], stats["sinacrawl/images/failed"]) == (1, 1)
    assert log.summary()["written"] == "4"


def test_temporary_files_a_killed_crawl_left_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "images" / "kyamrmz0151960"
    folder.mkdir(parents=True)
    stale = folder / ".2777f6ca4f85cf04.jpg.otherhost.4242.0badcafe.tmp"
    others = [folder / ".notes.tmp", folder / ".2777f6ca4f85cf04.jpg.otherhost.4242.tmp.bak"]
    for path in (stale, *others):
        path.write_bytes(b"\xff\xd8\xff")
        os.utime(path, (time.time() - 7200, time.time() - 7200))
    log = _crawl(tmp_path / "_posts", tmp_path / "images", REPLAY)
    assert sorted(p.name for p in folder.iterdir()) == [
        ".2777f6ca4f85cf04.jpg.otherhost.4242.tmp.bak", ".notes.tmp", "2777f6ca4f85cf04.jpg",
    ]  # fmt: skip
    assert log.stats()["sinacrawl/images/stale_temp_removed"] == 1


def test_an_images_folder_that_cannot_be_written_stops_the_crawl(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    images = tmp_path / "file" / "images"
    result = run_crawl(
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path / 'posts'}",
        "-s", f"SINACRAWL_IMAGES_DIR={images}",
    )  # fmt: skip
    assert result.returncode == 1
    log = CrawlLog(result.stderr)
    assert log.errors() == [
        f"cannot write images into SINACRAWL_IMAGES_DIR {images}: Not a directory; the crawl "
        "stops before any request"
    ]
    assert "'finish_reason': 'posts_dir_unwritable'" in result.stderr
    assert "replay/hit" not in log.text and list((tmp_path / "posts").glob("*.md")) == []


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CrawlLog]:
    """tests/fixtures/images: one article whose images all load, one whose images fail."""
    source = tmp_path_factory.mktemp("edge") / "source"
    urls = f"urls={ARTICLE.format(1)},{ARTICLE.format(2)}"
    log = _crawl(
        source / "_posts", source / "images", IMAGES, "-a", urls,
        "-s", "SINACRAWL_IMAGES_MAXSIZE=8192",
    )  # fmt: skip
    return source, log


def test_extension_comes_from_the_bytes_and_each_image_is_stored_once_per_post(
    edge_cases: tuple[Path, CrawlLog],
) -> None:
    source, _ = edge_cases
    growth_twice = GROWTH + "?amp;x=1&y=2"
    meeting = (IMAGES / "images/meeting.jpg").read_bytes()
    assert _files(source / "images") == {
        f"imgfix0000001/{_hash(MEETING)}.jpg": meeting,
        # a PNG served at a .jpg URL is stored as .png, a GIF at …cms.jpg as .gif
        f"imgfix0000001/{_hash(CHART)}.png": (IMAGES / "images/chart.png").read_bytes(),
        f"imgfix0000001/{_hash(GROWTH)}.gif": (IMAGES / "images/growth.gif").read_bytes(),
        f"imgfix0000001/{_hash(growth_twice)}.gif": (IMAGES / "images/growth.gif").read_bytes(),
        # the same Sina image in another post: that post's own copy
        f"imgfix0000002/{_hash(MEETING)}.jpg": meeting,
    }
    body, headimg, _ = _body_and_head(source / "_posts/imgfix0000001.md")
    assert headimg == f"/images/imgfix0000001/{_hash(MEETING)}.jpg"
    assert re.findall("<img[^>]*>", body) == [
        f'<img src="/images/imgfix0000001/{_hash(MEETING)}.jpg" alt="发布会现场" '
        'referrerpolicy="no-referrer">',
        f'<img src="/images/imgfix0000001/{_hash(CHART)}.png" alt="零售额走势" '
        'referrerpolicy="no-referrer">',
        f'<img src="/images/imgfix0000001/{_hash(GROWTH)}.gif" alt="增速" '
        'referrerpolicy="no-referrer">',
        # the same URL with a query (&amp; in the page) is another image
        f'<img src="/images/imgfix0000001/{_hash(growth_twice)}.gif" alt="增速（重复）" '
        'referrerpolicy="no-referrer">',
        # the same URL again: the same copy
        f'<img src="/images/imgfix0000001/{_hash(GROWTH)}.gif" alt="增速（同图）" '
        'referrerpolicy="no-referrer">',
    ]


def test_failed_offsite_oversize_and_non_images_keep_their_url(
    edge_cases: tuple[Path, CrawlLog],
) -> None:
    source, log = edge_cases
    body, headimg, _ = _body_and_head(source / "_posts/imgfix0000002.md")
    assert headimg == f"/images/imgfix0000002/{_hash(MEETING)}.jpg"
    kept = [
        "https://p.ssl.qhimg.com/t01a2b3c4d5e6f7.jpg",
        *(FAILING.format(name) for name in ("dead-404", "html-page", "lying-type", "too-big")),
        FAILING.format("not-recorded"),
        FAILING.format("slow"),
    ]
    sources = re.findall('<img src="([^"]*)"', body)
    assert sources == [f"/images/imgfix0000002/{_hash(MEETING)}.jpg", *kept]
    assert body.count('referrerpolicy="no-referrer"') == 8
    article = ARTICLE.format(2)
    prefix = "image not stored, the post keeps its URL: "
    assert [message for _, message in log.lines("WARNING")] == [
        "image not on an image host (SINACRAWL_IMAGE_HOSTS), not copied: "
        f"https://p.ssl.qhimg.com/t01a2b3c4d5e6f7.jpg ({article})",
        f"{prefix}HTTP status 404: {kept[1]} ({article})",
        f"{prefix}not an image: content type text/html: {kept[2]} ({article})",
        f"{prefix}not an image: no JPEG, PNG, GIF or WebP signature (117 bytes): "
        f"{kept[3]} ({article})",
        f"{prefix}replayed body of 18084 bytes is larger than DOWNLOAD_MAXSIZE (8192 bytes): "
        f"{kept[4]} ({article})",
        f"{prefix}replay miss: not in {IMAGES}: {kept[5]} ({article})",
        f"{prefix}User timeout caused connection failure: replayed timeout.: {kept[6]} ({article})",
    ]
    stats = log.stats()
    assert stats["sinacrawl/images/downloaded"] == 5
    assert stats["sinacrawl/images/failed"] == 6
    assert stats["replay/timeout"] == 3  # retried twice, as any request
    assert stats["sinacrawl/images/offsite"] == 1
    assert (stats["replay/miss"], stats["replay/too_large"]) == (1, 1)
    assert log.summary()["written"] == "2"
    assert not [p for p in (source / "images").rglob("*") if p.name.startswith(".")]


def test_corpus_images_are_missing_so_every_post_keeps_its_urls(
    corpus_posts: Path, tmp_path: Path
) -> None:
    require_shared(CORPUS)
    posts, images = tmp_path / "_posts", tmp_path / "images"
    log = _crawl(posts, images, CORPUS, "-a", "pages=3")
    on = {p.relative_to(posts): p.read_bytes() for p in posts.rglob("*.md")}
    off = {p.relative_to(corpus_posts): p.read_bytes() for p in corpus_posts.rglob("*.md")}
    assert on == off
    stats = log.stats()
    # 218 images on Sina hosts in 89 posts, none of them in the corpus; none elsewhere
    assert stats["sinacrawl/images/failed"] == stats["replay/miss"] == 218
    assert "sinacrawl/images/offsite" not in stats
    assert "sinacrawl/images/downloaded" not in stats
    assert _files(images) == {}


def test_image_extension_is_a_whitelist() -> None:
    assert image_extension(b"\xff\xd8\xff\xe0rest", "") == ".jpg"
    assert image_extension(b"\x89PNG\r\n\x1a\nrest", "application/octet-stream") == ".png"
    assert image_extension(b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp") == ".webp"
    with pytest.raises(ImageNotStored, match="no JPEG, PNG, GIF or WebP signature"):
        image_extension(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    with pytest.raises(ImageNotStored, match="content type text/html"):
        image_extension(b"GIF89a<script>", "text/html; charset=utf-8")


def test_images_url_prefix_is_a_site_path_or_https() -> None:
    assert images_url_prefix("/images/") == "/images/"
    assert images_url_prefix("https://cdn.example.com/blog images") == (
        "https://cdn.example.com/blog%20images/"
    )
    for bad in ("images/", "javascript:alert(1)", "//evil.example/", "http://a.example/"):
        with pytest.raises(ValueError, match="SINACRAWL_IMAGES_URL"):
            images_url_prefix(bad)


def test_bad_image_settings_are_usage_errors() -> None:
    settings = Settings({"SINACRAWL_IMAGES_URL": "images/", "SINACRAWL_IMAGES_MAXSIZE": "0"})
    assert check_settings(settings) == [
        "SINACRAWL_IMAGES_URL='images/': allowed values are a path on the site (/images/) or "
        "an https URL",
        "SINACRAWL_IMAGES_MAXSIZE='0': allowed values are a whole number from 1 up",
    ]


def test_store_never_writes_through_a_symlink(tmp_path: Path) -> None:
    store = ImageStore(str(tmp_path / "images"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "post1").symlink_to(outside)
    with pytest.raises(NotRegularFileError):
        store.persist_file("post1/abc.jpg", BytesIO(b"\xff\xd8\xff"), None)  # type: ignore[arg-type]
    assert list(outside.iterdir()) == []
    (tmp_path / "images" / "post2").mkdir()
    target = outside / "victim"
    target.write_bytes(b"keep")
    (tmp_path / "images" / "post2" / "abc.jpg").symlink_to(target)
    assert not store.regular_file("post2/abc.jpg")
    store.persist_file("post2/abc.jpg", BytesIO(b"\xff\xd8\xff"), None)  # type: ignore[arg-type]
    assert target.read_bytes() == b"keep"
    assert (tmp_path / "images/post2/abc.jpg").read_bytes() == b"\xff\xd8\xff"
    assert store.regular_file("post2/abc.jpg")
    assert not os.path.islink(tmp_path / "images/post2/abc.jpg")


def test_guard_lets_image_hosts_through_only_with_images_on() -> None:
    image = Request(MEETING, meta={IMAGE_REQUEST: True})
    off = build_from_crawler(RequestGuardMiddleware, get_crawler())
    with pytest.raises(BlockedRequest):
        off.process_request(image)
    crawler = get_crawler(settings_dict={"SINACRAWL_IMAGES_DIR": "/tmp/x"})
    on = build_from_crawler(RequestGuardMiddleware, crawler)
    assert on.process_request(image) is None
    for url in ("https://evil.example/a.jpg", "http://127.0.0.1:6800/a.jpg"):
        with pytest.raises(IgnoreRequest):
            on.process_request(Request(url, meta={IMAGE_REQUEST: True}))
    # Only the images pipeline's requests: an article redirected onto the image CDN (which
    # also hosts users' uploads) is no Sina article (attack trial).
    redirected = Request(
        "https://n.sinaimg.cn/x/doc-iatk0000007.shtml",
        meta={"redirect_urls": [ARTICLE.format(7)], "docid": "atk0000007"},
    )
    for request in (Request(MEETING), redirected):
        with pytest.raises(BlockedRequest):
            on.process_request(request)
    # the robots.txt Scrapy fetches before an image request to that host
    robots = "https://n.sinaimg.cn/robots.txt"
    assert on.process_request(Request(robots, meta={"dont_obey_robotstxt": True})) is None
    with pytest.raises(BlockedRequest):
        off.process_request(Request(robots, meta={"dont_obey_robotstxt": True}))


def test_an_image_answered_with_a_meta_refresh_is_not_followed(tmp_path: Path) -> None:
    """A refresh in an image's answer would fetch a URL no host check saw (attack trial: a
    page on a Sina host stored as the post's image)."""
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    image = "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"
    target = "https://finance.sina.com.cn/evil.jpg"
    (replay / "images/refresh.html").write_text(
        f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head></html>'
    )
    rows = (replay / "manifest.tsv").read_text("utf-8").splitlines()
    rows = [row for row in rows if not row.startswith(image + "\t")]
    rows += [
        f"{image}\timages/refresh.html\t\ttext/html\t",
        f"{target}\timages/a1b2-c3d4.jpg\t\timage/jpeg\t",
    ]
    (replay / "manifest.tsv").write_text("\n".join(rows) + "\n", "utf-8")
    posts, images = tmp_path / "_posts", tmp_path / "images"
    log = _crawl(posts, images, replay)
    article = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
    assert [message for _, message in log.lines("WARNING")] == [
        f"image not stored, the post keeps its URL: not an image: content type text/html: "
        f"{image} ({article})"
    ]  # and the image host's robots.txt passed the guard
    assert target not in log.text
    assert not (images / "kyamrmz0151960").exists()
    _, headimg, _ = _body_and_head(posts / "kyamrmz0151960.md")
    assert headimg == image


def test_record_mode_saves_image_bytes_that_replay_answers(tmp_path: Path) -> None:
    gif = (IMAGES / "images/growth.gif").read_bytes()
    recorder = build_from_crawler(
        ReplayMiddleware,
        get_crawler(settings_dict={"REPLAY_DIR": str(tmp_path), "REPLAY_RECORD": True}),
    )
    request = Request(GROWTH)
    answer = Response(GROWTH, body=gif, headers={"Content-Type": "image/gif"})
    recorder.process_response(request, answer)
    replay = build_from_crawler(
        ReplayMiddleware, get_crawler(settings_dict={"REPLAY_DIR": str(tmp_path)})
    )
    replayed = replay.process_request(Request(GROWTH))
    assert replayed is not None and replayed.body == gif
    assert replayed.headers["Content-Type"] == b"image/gif"
