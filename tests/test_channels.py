"""Every roll-feed channel (issue 12): crawls of ``tests/fixtures/channels``, the channel table."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from scrapy.http import TextResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl import settings as project_settings
from sinacrawl.channels import channel_for_url, read_channels, select_channels
from sinacrawl.middlewares import ReplayMiddleware
from sinacrawl.post import parse_post
from sinacrawl.spiders.sina_finance import SinaFinanceSpider
from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog

CHANNELS = FIXTURES / "channels"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid={}&lid={}&num=50&page={}"
US = "https://finance.sina.com.cn/stock/usstock/c/2026-11-30/doc-inchus0000001.shtml"
BOTH = "https://finance.sina.com.cn/stock/hkstock/ggscyd/2026-11-30/doc-inchboth000001.shtml"
HK = "https://finance.sina.com.cn/stock/hkstock/ggscyd/2026-11-30/doc-inchhk0000001.shtml"
MACRO = "https://finance.sina.com.cn/china/hgjj/2026-11-30/doc-inchmacro000001.shtml"
ROLL = "https://finance.sina.com.cn/roll/2026-11-30/doc-inchroll000001.shtml"
TABLE = read_channels(project_settings.SINACRAWL_CHANNELS)


def _categories(name: str) -> tuple[str, ...]:
    return ("金融", "新浪财经", f"新浪财经－{name}")


def _crawl(posts: Path, *args: str) -> tuple[dict[str, tuple[str, ...]], CrawlLog]:
    """Crawl the channels folder; post file name → its categories, and the log."""
    result = run_crawl(*args, "-s", f"REPLAY_DIR={CHANNELS}", "-s", f"POSTS_DIR={posts}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    categories = {
        path.name: parse_post(path.read_text(encoding="utf-8"))[0].categories
        for path in sorted(posts.glob("*.md"))
    }
    return categories, CrawlLog(result.stderr)


def test_all_channels_each_post_under_its_channel(tmp_path: Path) -> None:
    categories, log = _crawl(tmp_path, "-a", "channel=all", "-a", "pages=2")
    assert categories == {
        # table order: macro before usstock before hkstock; the article both list is usstock's
        "nchmacro000001.md": _categories("宏观经济"),
        "nchmacro000002.md": _categories("宏观经济"),
        "nchus0000001.md": _categories("美股"),
        "nchboth000001.md": _categories("美股"),
        "nchhk0000001.md": _categories("港股"),
    }
    empty = [c for c in TABLE if c.key not in {"macro", "usstock", "hkstock", "forex"}]
    # one line per channel, in the order the channels were read (the table's; forex is last)
    assert log.lines("WARNING") == [
        *(
            (
                "WARNING",
                f"channel {c.key}: the feed lists no article: {FEED.format(c.pageid, c.lid, 1)}",
            )
            for c in empty
        ),
        (
            "WARNING",
            "feed page 1 of channel forex failed: feed status 1 (lid error): "
            + FEED.format(384, 2487, 1),
        ),
    ]
    stats = log.stats()
    assert stats["sinacrawl/feed/empty_channel"] == len(empty) == 10
    assert stats["sinacrawl/feed/failed"] == 1
    assert stats["sinacrawl/feed/entries"] == 6
    assert stats["sinacrawl/duplicate"] == 1
    assert log.summary()["written"] == "5"


def test_the_first_channel_given_decides(tmp_path: Path) -> None:
    categories, log = _crawl(tmp_path, "-a", "channel=hkstock,usstock")
    assert categories == {
        "nchboth000001.md": _categories("港股"),
        "nchhk0000001.md": _categories("港股"),
        "nchus0000001.md": _categories("美股"),
    }
    assert log.lines("WARNING") == []
    assert (log.stats()["sinacrawl/feed/entries"], log.stats()["sinacrawl/duplicate"]) == (4, 1)


def test_given_urls_take_their_paths_channel_else_the_channel_argument(tmp_path: Path) -> None:
    categories, log = _crawl(tmp_path, "-a", "channel=hkstock", "-a", f"urls={US},{ROLL},{MACRO}")
    assert categories == {
        "nchus0000001.md": _categories("美股"),
        "nchroll000001.md": _categories("港股"),
        "nchmacro000001.md": _categories("宏观经济"),
    }
    assert "feed.mix.sina.com.cn" not in log.text


def _start(**arguments: str) -> list[tuple[str, tuple[str, ...]]]:
    crawler = get_crawler(
        SinaFinanceSpider, {"SINACRAWL_CHANNELS": project_settings.SINACRAWL_CHANNELS}
    )
    spider = SinaFinanceSpider.from_crawler(crawler, **arguments)

    async def collect() -> list[tuple[str, tuple[str, ...]]]:
        return [(r.url, r.cb_kwargs.get("categories", ())) async for r in spider.start()]

    return asyncio.run(collect())


def test_a_url_of_no_channel_falls_back_to_china() -> None:
    assert _start(urls=f"{ROLL},{HK}") == [
        (ROLL, ("金融", "新浪财经", "新浪财经－国內")),
        (HK, _categories("港股")),
    ]


def test_the_china_channel_keeps_the_reference_string_byte_for_byte() -> None:
    china = TABLE[0]
    assert (china.key, china.pageid, china.lid) == ("china", 155, 1686)
    assert "－".join(china.categories).encode("utf-8") == (
        "金融－新浪财经－新浪财经－国\u5167".encode()
    )
    assert [(c.key, c.pageid, c.lid) for c in TABLE[1:]] == [
        ("macro", 155, 1687), ("finance", 155, 1690), ("local", 155, 1688),
        ("ministries", 155, 1689), ("top10", 155, 3231), ("roll", 384, 2519),
        ("stock", 384, 2671), ("usstock", 384, 2672), ("chinastock", 384, 2673),
        ("hkstock", 384, 2674), ("research", 384, 2675), ("global", 384, 2676),
        ("forex", 384, 2487),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://finance.sina.com.cn/stock/usstock/c/2026-01-05/doc-ia.shtml", "usstock"),
        ("https://finance.sina.com.cn/stock/hkstock/ggscyd/2026-01-05/doc-ia.shtml", "hkstock"),
        ("https://finance.sina.com.cn/stock/s/2026-01-05/doc-ia.shtml", "stock"),
        ("https://finance.sina.com.cn/china/gncj/2026-01-05/doc-ia.shtml", "china"),
        ("https://finance.sina.com.cn/china/hgjj/2026-01-05/doc-ia.shtml", "macro"),
        ("https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ia.shtml", "forex"),
        ("https://finance.sina.com.cn/roll/2026-01-05/doc-ia.shtml", None),
        ("https://finance.sina.com.cn/chinastock/x.shtml", None),
    ],
)
def test_url_path_table(url: str, key: str | None) -> None:
    found = channel_for_url(TABLE, url)
    assert (found.key if found else None) == key


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "SINACRAWL_CHANNELS is empty: it needs at least one channel"),
        (
            {"china": {"lid": 1686, "categories": ["a"]}},
            "SINACRAWL_CHANNELS['china'] needs a whole number 'pageid', got None",
        ),
        (
            {"china": {"pageid": 155, "lid": "x", "categories": ["a"]}},
            "SINACRAWL_CHANNELS['china'] needs a whole number 'lid', got 'x'",
        ),
        (
            {"china": {"pageid": 155, "lid": 1686, "categories": "金融"}},
            "SINACRAWL_CHANNELS['china'] needs 'categories', a list of non-empty strings",
        ),
        (
            {"china": {"pageid": 155, "lid": 1686, "categories": ["a"], "paths": ["china/"]}},
            "SINACRAWL_CHANNELS['china']['paths'] must be a list of URL paths starting with '/'",
        ),
        (
            {"all": {"pageid": 155, "lid": 1686, "categories": ["a"]}},
            "SINACRAWL_CHANNELS key 'all' must be lower-case ASCII letters, digits, - or _ "
            "(at most 32) and not 'all'",
        ),
    ],
)
def test_a_malformed_table_says_what_is_wrong(table: dict, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        read_channels(table)
    assert str(raised.value) == message


def test_channel_argument_order_and_all() -> None:
    assert [c.key for c in select_channels(TABLE, "all")] == [c.key for c in TABLE]
    assert [c.key for c in select_channels(TABLE, "forex,china,forex")] == ["forex", "china"]


def test_record_mode_saves_every_channels_feed(tmp_path: Path) -> None:
    """What record mode saves, replay answers: for the feed request of every channel."""
    spider = SinaFinanceSpider.from_crawler(
        get_crawler(SinaFinanceSpider, {"SINACRAWL_CHANNELS": project_settings.SINACRAWL_CHANNELS}),
        channel="all",
    )
    settings = {"REPLAY_DIR": str(tmp_path), "REPLAY_RECORD": True}
    recorder = build_from_crawler(ReplayMiddleware, get_crawler(settings_dict=settings))
    requests = [spider.feed_request(channel, 1) for channel in TABLE]
    for request in requests:
        body = f'{{"result": {{"data": [], "lid": "{request.url}"}}}}'.encode()
        recorder.process_response(request, TextResponse(request.url, body=body))
    replay = build_from_crawler(
        ReplayMiddleware, get_crawler(settings_dict={"REPLAY_DIR": str(tmp_path)})
    )
    for request in requests:
        answer = replay.process_request(request.replace())
        assert answer is not None and request.url.encode() in answer.body
    assert {urlsplit(r.url).query.split("&num")[0] for r in requests} == {
        f"pageid={c.pageid}&lid={c.lid}" for c in TABLE
    }
