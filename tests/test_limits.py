"""Resource limits (issue 13 item 14): every input past a limit is a counted drop or failure
with a logged reason, never a crash, a silently shortened post or an unbounded download. The
big inputs are made here at run time, never committed."""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path

import brotli
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

import sinacrawl.settings
from sinacrawl.extensions import UnexpectedErrors
from sinacrawl.post import parse_post
from tests.conftest import FIXTURES, body_text, run_crawl
from tests.crawl_log import CrawlLog, post_names
from tests.local_server import serve

A = "https://finance.sina.com.cn/china/2024-03-01/doc-inbadlim{}.shtml"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=1"
ARTICLE = (FIXTURES / "requests" / "escapes" / "pages" / "article.html").read_text("utf-8")
PARAGRAPH = "<p>　　央行3月1日开展2000亿元7天期逆回购操作。</p>"
MAXSIZE = 16 * 1024 * 1024
HTML = "text/html; charset=utf-8"


def _article(inner: str) -> bytes:
    """The fixture article with ``inner`` in place of its first paragraph."""
    assert PARAGRAPH in ARTICLE
    return ARTICLE.replace(PARAGRAPH, inner).encode("utf-8")


def _replay(folder: Path, answers: list[tuple[str, bytes, str]]) -> Path:
    """A replay folder answering each ``(url, body, content type)``."""
    (folder / "pages").mkdir(parents=True)
    lines = ["url\tfile\tstatus\tcontent_type\tlocation"]
    for number, (url, body, content_type) in enumerate(answers):
        (folder / "pages" / f"{number}.body").write_bytes(body)
        lines.append(f"{url}\tpages/{number}.body\t\t{content_type}\t")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _sinacrawl_stats(log: CrawlLog) -> dict[str, int]:
    return {k: v for k, v in log.stats().items() if k.startswith(("sinacrawl/", "replay/"))}


def test_download_limits_are_set() -> None:
    assert sinacrawl.settings.DOWNLOAD_MAXSIZE == MAXSIZE
    assert sinacrawl.settings.DOWNLOAD_WARNSIZE == 8 * 1024 * 1024
    assert sinacrawl.settings.SINACRAWL_FEED_MAX_ENTRIES == 500


def test_downloads_stop_at_the_download_limit(tmp_path: Path) -> None:
    """A brotli body of 546 bytes and a gzip one of 171 KB that inflate to 24 MB of page:
    decompression stops past DOWNLOAD_MAXSIZE (Scrapy's HttpCompressionMiddleware counts as it
    inflates); a plain 17 MB body is not downloaded. Each article fails with the reason."""
    page = _article(PARAGRAPH * (24 * 1024 * 1024 // len(PARAGRAPH.encode("utf-8"))))
    gzip = zlib.compressobj(1, zlib.DEFLATED, 31)
    path = "/china/2024-03-01/doc-inbadlim000{}.shtml"
    answers = {
        path.format(1): (
            {"Content-Type": HTML, "Content-Encoding": "br"},
            brotli.compress(page, quality=5),
        ),
        path.format(2): (
            {"Content-Type": HTML, "Content-Encoding": "gzip"},
            gzip.compress(page) + gzip.flush(),
        ),
        path.format(7): ({"Content-Type": HTML}, page[: 17 * 1024 * 1024]),
    }
    assert len(answers[path.format(1)][1]) < 10_000 and len(answers[path.format(2)][1]) < 200_000
    started = time.monotonic()
    with serve(answers) as port:
        urls = [f"http://localhost:{port}{path}" for path in answers]
        result = run_crawl(
            "-a", "urls=" + ",".join(urls),
            "-s", "SINACRAWL_EXTRA_DOMAINS=localhost",
            "-s", f"POSTS_DIR={tmp_path / 'posts'}",
            timeout=120,
        )  # fmt: skip
    assert time.monotonic() - started < 60
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 1  # nothing published: all_failed
    assert post_names(tmp_path / "posts") == []
    log = CrawlLog(result.stderr)
    assert _sinacrawl_stats(log) == {
        "sinacrawl/request_failed": 3,
        "sinacrawl/request_failed/IgnoreRequest": 2,
        "sinacrawl/request_failed/DownloadCancelledError": 1,
    }
    failed = sorted(m for _, m in log.lines("WARNING") if m.startswith("article failed"))
    assert len(failed) == 3
    for message, url in zip(failed[1:], urls[:2], strict=True):
        assert message.startswith("article failed: IgnoreRequest: Ignored response <200 ")
        assert f"exceeded DOWNLOAD_MAXSIZE ({MAXSIZE} B) during decompression.: {url}" in message
    assert failed[0] == (
        f"article failed: DownloadCancelledError: Expected to receive {17 * 1024 * 1024} bytes "
        f"which is larger than download max size ({MAXSIZE}) in request <GET {urls[2]}>.: "
        f"{urls[2]}"
    )


def test_replayed_bodies_obey_the_download_limit(tmp_path: Path) -> None:
    """A saved body past DOWNLOAD_MAXSIZE is not read, as a download would be cut."""
    big = _article(PARAGRAPH * (17 * 1024 * 1024 // len(PARAGRAPH.encode("utf-8"))))
    replay = _replay(tmp_path / "replay", [(A.format("0003"), big, HTML)])
    result = run_crawl(
        "-a", f"urls={A.format('0003')}",
        "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={tmp_path / 'posts'}",
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert post_names(tmp_path / "posts") == []
    log = CrawlLog(result.stderr)
    assert log.outcomes() == [
        (
            "WARNING",
            f"article failed: IgnoreRequest: replayed body of {len(big)} bytes is larger than "
            f"DOWNLOAD_MAXSIZE ({MAXSIZE} bytes): {A.format('0003')}",
        )
    ]
    assert _sinacrawl_stats(log) == {
        "replay/too_large": 1,
        "sinacrawl/request_failed": 1,
        "sinacrawl/request_failed/IgnoreRequest": 1,
    }


def test_pages_past_libxml2_limits_are_dropped_with_the_reason(tmp_path: Path) -> None:
    """Content nested deeper than libxml2's 256 levels, or a text node over its 10 MB, was
    cut from the tree without a word; now such a page is dropped as ``too_complex``. A page
    nested 200 deep is written whole."""
    text = "成交额突破万亿元。"
    deep, huge, nested = A.format("0004"), A.format("0005"), A.format("0006")
    answers = [
        (deep, _article("<div>" * 300 + f"<p>{text}</p>" + "</div>" * 300), HTML),
        (huge, _article("<p>" + "数" * 4_000_000 + f"</p><p>{text}</p>"), HTML),
        (nested, _article("<div>" * 200 + f"<p>{text}</p>" + "</div>" * 200), HTML),
    ]
    replay = _replay(tmp_path / "replay", answers)
    posts = tmp_path / "posts"
    result = run_crawl(
        "-a", f"urls={deep},{huge},{nested}",
        "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}",
    )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    log = CrawlLog(result.stderr)
    stopped = "Dropped: too_complex: libxml2 stopped parsing: "
    size = len(answers[1][1])
    assert log.outcomes() == sorted(
        [
            ("WARNING", f"replayed body of {size} bytes is larger than DOWNLOAD_WARNSIZE (8388608 bytes): {huge}"),  # noqa: E501
            ("WARNING", f"{stopped}Excessive depth in document: 256, use XML_PARSE_HUGE option: {deep}"),  # noqa: E501
            ("WARNING", f"{stopped}Resource limit exceeded: Buffer size limit exceeded, try XML_PARSE_HUGE: {huge}"),  # noqa: E501
            ("INFO", f"post written: nbadlim0006.md ({nested})"),
        ]
    )  # fmt: skip
    assert _sinacrawl_stats(log) == {
        "replay/hit": 3,
        "sinacrawl/dropped/too_complex": 2,
        "sinacrawl/post/written": 1,
    }
    _, body = parse_post((posts / "nbadlim0006.md").read_text("utf-8"))
    assert body_text(body) == text + "责任编辑：李明"


def test_feed_entries_past_the_cap_are_dropped_and_counted(tmp_path: Path) -> None:
    entries = [
        {"url": A.format(f"1{n:03}"), "title": f"文章{n}", "ctime": "1709254800"} for n in range(4)
    ]
    feed = json.dumps({"result": {"status": {"code": 0}, "data": entries}}).encode()
    replay = _replay(
        tmp_path / "replay",
        [(FEED, feed, "application/json"), (A.format("1000"), _article(PARAGRAPH), HTML)],
    )
    posts = tmp_path / "posts"
    result = run_crawl(
        "-s", "SINACRAWL_FEED_MAX_ENTRIES=1",
        "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}",
    )  # fmt: skip
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert post_names(posts) == ["nbadlim1000.md"]
    log = CrawlLog(result.stderr)
    assert log.outcomes() == [
        (
            "INFO",
            f"post written: nbadlim1000.md ({A.format('1000')})",
        ),
        (
            "WARNING",
            "feed page 1 of channel china lists 4 entries; the 3 past "
            f"SINACRAWL_FEED_MAX_ENTRIES (1) are dropped: {FEED}",
        ),
    ]
    assert _sinacrawl_stats(log) == {
        "replay/hit": 2,
        "sinacrawl/feed/entries": 1,
        "sinacrawl/feed/over_limit": 3,
        "sinacrawl/feed/pages": 1,
        "sinacrawl/post/written": 1,
    }


def test_an_unexpected_exception_is_a_counted_drop() -> None:
    """A pipeline or callback that raises (a control character in an image URL did, in
    lxml) loses an article: counted, so the summary never says ``dropped=0``."""
    crawler = get_crawler()
    extension = build_from_crawler(UnexpectedErrors, crawler)
    error = ValueError("All strings must be XML compatible")
    extension.item_error(item=None, response=None, failure=error)  # type: ignore[arg-type]
    extension.spider_error(failure=error, response=None)  # type: ignore[arg-type]
    assert crawler.stats.get_stats() == {
        "sinacrawl/dropped/error": 1,
        "sinacrawl/dropped/spider_error": 1,
    }
