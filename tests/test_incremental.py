"""A crawl run again (a cron tick) adds only what is new; an unusable REPLAY_DIR fails loudly."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl import settings as project_settings
from sinacrawl.feed import FeedEntry
from sinacrawl.middlewares import KnownPostsMiddleware
from sinacrawl.spiders.sina_finance import SinaFinanceSpider
from tests.conftest import REPLAY, run_crawl
from tests.crawl_log import CrawlLog, post_names

ARTICLE = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
FIXTURE_POSTS = {"kyamrmz0151960.md", "fxsktkp0000001.md", "kknscsi0000002.md", "kknscsi0000003.md"}


def _middleware(posts: Path, **settings: object) -> KnownPostsMiddleware:
    crawler = get_crawler(SinaFinanceSpider, {"POSTS_DIR": str(posts), **settings})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    return build_from_crawler(KnownPostsMiddleware, crawler)


def _article(docid: str, modified: datetime | None, with_entry: bool = True) -> Request:
    url = ARTICLE.replace("kyamrmz0151960", docid)
    entry = FeedEntry(url, "标题", modified, modified) if with_entry else None
    return Request(url, meta={"docid": docid}, cb_kwargs={"entry": entry})


def test_known_unedited_post_is_not_requested_again(tmp_path: Path) -> None:
    post = tmp_path / "kyamrmz0151960.md"
    post.write_bytes(b"post")
    written = datetime.fromtimestamp(post.stat().st_mtime, tz=UTC)
    middleware = _middleware(tmp_path)
    known = _article("kyamrmz0151960", written - timedelta(hours=1))
    edited = _article("kyamrmz0151960", written + timedelta(hours=1))
    no_mtime = _article("kyamrmz0151960", None)
    given = _article("kyamrmz0151960", None, with_entry=False)
    new = _article("kyamrmz0000000", written - timedelta(hours=1))
    feed = Request("https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=1")
    outputs = [known, edited, no_mtime, given, new, feed, {"an": "item"}]
    kept = list(middleware.process_spider_output(None, outputs))  # type: ignore[arg-type]
    assert kept == [edited, no_mtime, given, new, feed, {"an": "item"}]
    assert middleware.stats.get_value("sinacrawl/post/skipped") == 1


def test_refresh_turns_the_skipping_off(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        _middleware(tmp_path, POSTS_REFRESH="1")


def test_spider_takes_scrapyd_arguments() -> None:
    """scrapyd adds ``_job`` (and passes every argument as a string)."""
    crawler = get_crawler(
        SinaFinanceSpider, {"SINACRAWL_CHANNELS": project_settings.SINACRAWL_CHANNELS}
    )
    spider = SinaFinanceSpider.from_crawler(
        crawler, _job="6487ec79947edab326d6db28a2d86511e8247444", pages="3", since="2021-12-01"
    )
    assert (spider.pages, str(spider.since), spider.channels[0].lid) == (3, "2021-12-01", 1686)
    assert spider._job == "6487ec79947edab326d6db28a2d86511e8247444"  # type: ignore[attr-defined]


def _summary(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "] INFO: summary: " in line]
    assert len(lines) == 1, stderr[-3000:]
    return lines[0].split("INFO: summary: ", 1)[1]


def _hits(stderr: str) -> int:
    match = re.search(r"'replay/hit': (\d+)", stderr)
    assert match, stderr[-3000:]
    return int(match.group(1))


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        n: ((folder / n).read_bytes(), (folder / n).stat().st_mtime_ns) for n in post_names(folder)
    }


def test_second_tick_downloads_only_the_feed(tmp_path: Path) -> None:
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    first = run_crawl(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert _summary(first.stderr).startswith("written=4 unchanged=0 replaced=0 skipped=0 ")
    assert _hits(first.stderr) == 6  # the feed page, four articles, one of them behind a 301
    before = _snapshot(tmp_path)
    assert set(before) == FIXTURE_POSTS

    second = run_crawl(*args)
    assert second.returncode == 0, second.stderr[-3000:]
    assert _summary(second.stderr).startswith("written=0 unchanged=0 replaced=0 skipped=4 ")
    assert _hits(second.stderr) == 1  # the feed page only
    assert " ERROR: " not in second.stderr
    assert _snapshot(tmp_path) == before


def test_refresh_replaces_only_posts_nobody_edited(tmp_path: Path) -> None:
    """POSTS_REFRESH re-reads every article and rewrites the posts whose bytes differ, but not
    a post its owner edited (issue 13 item 12): that one is kept, with a WARNING and a stat."""
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert run_crawl(*args).returncode == 0
    post = tmp_path / "kyamrmz0151960.md"
    post.write_bytes(b"edited by the blog's owner")
    other = tmp_path / "kknscsi0000002.md"
    right = other.read_bytes()
    # the same post as an older sinacrawl would have rendered it (another author)
    other.write_bytes(right.replace("author: 新浪财经".encode(), "author: 旧作者".encode()))
    with (tmp_path / ".sinacrawl" / "written.jsonl").open("ab") as log:
        digest = hashlib.sha256(other.read_bytes()).hexdigest()
        log.write(f'{{"name": "{other.name}", "sha256": "{digest}"}}\n'.encode())
    assert run_crawl(*args).returncode == 0
    assert post.read_bytes() == b"edited by the blog's owner"

    refresh = run_crawl(*args, "-s", "POSTS_REFRESH=1")
    assert refresh.returncode == 0, refresh.stderr[-3000:]
    assert _summary(refresh.stderr).startswith("written=0 unchanged=2 replaced=1 skipped=0 ")
    assert CrawlLog(refresh.stderr).stats()["sinacrawl/post/kept_foreign"] == 1
    assert post.read_bytes() == b"edited by the blog's owner"
    assert other.read_bytes() == right


def test_missing_replay_folder_is_one_error_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = run_crawl("-s", f"REPLAY_DIR={missing}", "-s", f"POSTS_DIR={tmp_path / 'posts'}")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert [e.split(" ERROR: ", 1)[1] for e in errors] == [
        f"REPLAY_DIR {missing} is not a folder: the crawl stops before any request"
    ]
    assert "'finish_reason': 'replay_unusable'" in result.stderr
    assert "Traceback" not in result.stderr
    assert "downloader/request_count" not in result.stderr
