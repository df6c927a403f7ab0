"""Feed entries and dates no real article has (found by trying the crawl as a new user would):
each is skipped with a logged, counted reason, and the crawl goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinacrawl.dates import parse_date_text, parse_iso, plausible
from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog, post_names

FOLDER = FIXTURES / "feed-entries"
A = "https://finance.sina.com.cn/china/2024-03-01/doc-inbadbe0000{}.shtml"


def test_bad_feed_entries_are_skipped_and_the_feed_goes_on(tmp_path: Path) -> None:
    result = run_crawl("-a", "pages=2", "-s", f"REPLAY_DIR={FOLDER}", "-s", f"POSTS_DIR={tmp_path}")
    log = CrawlLog(result.stderr)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert post_names(tmp_path) == ["nbadbe00001.md", "nbadbe00004.md"]
    # both dates on the page are impossible: the feed's ctime dates the post
    assert "date: Fri, 01 Mar 2024 01:00:00 GMT\n" in (tmp_path / "nbadbe00004.md").read_text()
    stats = log.stats()
    assert stats["sinacrawl/feed/bad_entry"] == 7
    assert stats["sinacrawl/feed/failed"] == 1
    assert stats["sinacrawl/post/written"] == 2
    warnings = [m for level, m in log.lines("WARNING")]
    assert warnings == [
        "feed entry skipped: Invalid IPv6 URL: 'http://[::1'",
        "feed entry skipped: Port out of range 0-65535: "
        "'https://finance.sina.com.cn:99999/china/2024-03-01/doc-inbadbe00002.shtml'",
        "feed entry skipped: not an http(s) URL: '5'",
        "feed entry skipped: not an http(s) URL: ''",
        "feed entry skipped: not an http(s) URL: '/china/2024-03-01/doc-inbadbe00003.shtml'",
        "feed entry skipped: not an http(s) URL: 'javascript:alert(1)'",
        "feed entry skipped: not an http(s) URL: ''",
        "feed page 2 of channel china failed: feed status 1 (fail): "
        "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=2",
    ]


def test_bad_urls_argument_is_skipped_not_a_start_error(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", f"urls=garbage,http://[::1,{A.format(1)}",
        "-s", f"REPLAY_DIR={FOLDER}", "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert post_names(tmp_path) == ["nbadbe00001.md"]
    warnings = [m for level, m in CrawlLog(result.stderr).lines("WARNING")]
    assert warnings == [
        "article URL skipped: not an http(s) URL: 'garbage'",
        "article URL skipped: Invalid IPv6 URL: 'http://[::1'",
    ]


@pytest.mark.parametrize(
    "text", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1900-01-01T00:00:00"]
)
def test_impossible_iso_dates_are_not_dates(text: str) -> None:
    moment = parse_iso(text)
    assert moment is not None and not plausible(moment)


def test_plausible_dates() -> None:
    moment = parse_date_text("2005年03月21日 11:21")
    assert moment is not None and plausible(moment)
    first = parse_date_text("0001年01月01日 00:00")
    assert first is not None and not plausible(first)


def test_an_off_site_url_is_said_not_silently_filtered(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", "urls=https://evil.example.com/doc-iabc.shtml",
        "-s", f"REPLAY_DIR={FOLDER}", "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    warnings = [m for level, m in CrawlLog(result.stderr).lines("WARNING")]
    assert warnings == [
        "article URL skipped: evil.example.com is not a Sina host: "
        "'https://evil.example.com/doc-iabc.shtml'"
    ]
    assert "'sinacrawl/bad_url': 1" in result.stderr
