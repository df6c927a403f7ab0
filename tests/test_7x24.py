"""Spider ``sina_7x24`` (issue 12): one digest post per Beijing day, grown tick by tick."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from scrapy.http import TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from sinacrawl import settings as project_settings
from sinacrawl.clean import clean_body
from sinacrawl.dates import BEIJING
from sinacrawl.digest import digest_body, flashes_by_day
from sinacrawl.items import DigestItem
from sinacrawl.post import parse_post
from sinacrawl.spiders.sina_7x24 import Sina7x24Spider
from sinacrawl.zhibo import Flash, ZhiboError, parse_zhibo
from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog, post_names

ZHIBO = FIXTURES / "zhibo"
PAGE = "https://zhibo.sina.com.cn/api/zhibo/feed?zhibo_id={}&page={}&pagesize=4&dire=f&dpc=1"
DEC1, DEC2 = "7x24-152-20261201.md", "7x24-152-20261202.md"
_TIME = re.compile(r"<strong>(\d\d:\d\d:\d\d)</strong>")

EXPECTED_TICK1 = (
    "\n"
    "---\n"
    "title: '新浪财经7x24 · 2026-12-01'\n"
    "categories: \n"
    " - 金融\n"
    " - 新浪财经\n"
    " - 新浪财经－7x24\n"
    "headimg: 'https://n.sinaimg.cn/finance/7x24/20261201/mlf.png'\n"
    "author: 新浪财经\n"
    "comments: false\n"
    "date: Tue, 01 Dec 2026 01:05:12 GMT\n"
    "thumbnail: 'https://n.sinaimg.cn/finance/7x24/20261201/mlf.png'\n"
    "---\n"
    "\n"
    "<div>   \n"
    "<div><p><strong>14:52:10</strong></p><p>"
    "A股尾盘：沪指涨0.8%，北向资金净买入超60亿元。</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhags0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>14:30:45</strong></p><p>"
    "国务院常务会议：部署进一步扩大内需的政策举措。</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhgwy0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>14:02:11</strong></p><p>"
    "欧洲斯托克50指数开盘涨0.3%，&#123;&#123; 德国DAX &#125;&#125;指数涨0.4%。</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inheur0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>13:15:30</strong></p><p>"
    "美元兑人民币中间价报7.1025，调升45个基点。</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhcny0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>11:30:02</strong></p><p>"
    "【港股午评】恒生指数涨1.1%，恒生科技指数涨1.8%，南向资金净买入32亿港元。</p><p>"
    "相关股票：腾讯控股（hk00700）</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhhkm0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>10:45:00</strong></p><p>"
    "沪指半日涨0.62%，深成指涨0.9%，创业板指涨1.3%。</p></div>\n"
    "<div><p><strong>10:02:05</strong></p><p>"
    "【白酒板块走强】贵州茅台涨超3%，宁德时代涨2%，两市成交额较上日放量。</p><p>"
    "相关股票：贵州茅台（sh600519）、宁德时代（sz300750）</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhliq0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>09:31:40</strong></p><p><b>【央行开展3000亿元MLF操作】</b>"
    "中国人民银行今日开展3000亿元中期借贷便利操作，"
    '<a href="https://finance.sina.com.cn/china/2026-12-01/doc-inhmlf0000001.shtml" r'
    'el="noopener noreferrer">详见公告</a>。<br>中标利率2.0%，与上期持平。'
    '<img src="https://n.sinaimg.cn/finance/7x24/20261201/mlf.png" referrerpolicy="no'
    '-referrer"></p><p>'
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhmlf0002.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "<div><p><strong>09:05:12</strong></p><p>"
    "【统计局：11月制造业PMI为50.3%】国家统计局12月1日发布，11月制造业采购经理指数为5"
    "0.3%，比上月上升0.2个百分点。</p><p>"
    '<a href="https://finance.sina.com.cn/7x24/2026-12-01/doc-inhpmi0001.shtml" rel="'
    'noopener noreferrer">原文</a></p></div>\n'
    "</div>\n"
    "            "
)


def _tick(posts: Path, tick: str, now: str, *args: str) -> CrawlLog:
    result = run_crawl(
        "-a", "pagesize=4", *args,
        "-s", f"REPLAY_DIR={ZHIBO / tick}", "-s", f"POSTS_DIR={posts}",
        "-s", f"SINACRAWL_7X24_NOW={now}",
        spider="sina_7x24",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return CrawlLog(result.stderr)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _times(post: bytes) -> list[str]:
    return _TIME.findall(post.decode("utf-8"))


def test_a_day_grows_tick_by_tick_and_is_left_alone_once_over(tmp_path: Path) -> None:
    first = _tick(tmp_path, "tick1", "2026-12-01T15:00:00", "-a", "zhibo=152,151")
    assert (tmp_path / DEC1).read_bytes() == EXPECTED_TICK1.encode("utf-8")
    assert post_names(tmp_path) == [DEC1]  # 2026-11-30 is over: no post
    assert first.lines("WARNING") == [
        (
            "WARNING",
            "7x24 page 1 of channel 151 failed: zhibo status 1 (zhibo_id error): "
            + PAGE.format(151, 1),
        )
    ]
    stats = first.stats()
    assert (stats["sinacrawl/duplicate"], stats["sinacrawl/feed/entries"]) == (1, 12)
    assert (stats["sinacrawl/feed/pages"], stats["sinacrawl/feed/failed"]) == (3, 1)
    assert first.summary()["written"] == "1"

    _tick(tmp_path, "tick2", "2026-12-01T21:00:00")
    grown = (tmp_path / DEC1).read_bytes()
    assert _times(grown) == [
        "20:45:10", "17:20:30", "15:00:05", "14:52:10", "14:30:45", "14:02:11", "13:15:30",
        "11:30:02", "10:45:00", "10:02:05", "09:31:40", "09:05:12",
    ]  # fmt: skip
    fields, body = parse_post(grown.decode("utf-8"))
    assert (fields.title, fields.date) == (
        "新浪财经7x24 · 2026-12-01",
        "Tue, 01 Dec 2026 01:05:12 GMT",
    )
    assert body.endswith(EXPECTED_TICK1.split("<div>   \n", 1)[1].split("\n</div>\n", 1)[0])
    assert "相关股票：苹果（AAPL）" in body
    before = _snapshot(tmp_path)

    again = _tick(tmp_path, "tick2", "2026-12-01T21:00:00")
    assert again.summary()["unchanged"] == "1"
    assert _snapshot(tmp_path) == before

    # the next morning: 2026-12-01 is over, its 23:58 flash (new to this tick) does not reach it
    morning = _tick(tmp_path, "tick3", "2026-12-02T09:00:00")
    after = _snapshot(tmp_path)
    assert after[DEC1] == before[DEC1]
    assert _times(after[DEC2][0]) == ["08:45:00", "07:30:00"]
    assert parse_post(after[DEC2][0].decode("utf-8"))[0].date == "Tue, 01 Dec 2026 23:30:00 GMT"
    assert morning.summary()["written"] == "1"
    assert morning.lines("WARNING") == []


def _spider(**arguments: str) -> Sina7x24Spider:
    crawler = get_crawler(
        Sina7x24Spider,
        {
            "SINACRAWL_7X24_CHANNELS": project_settings.SINACRAWL_7X24_CHANNELS,
            "SINACRAWL_7X24_NOW": "2026-12-01T15:00:00",
        },
    )
    spider = Sina7x24Spider.from_crawler(crawler, pagesize="4", **arguments)

    async def started() -> None:
        async for _ in spider.start():
            pass

    asyncio.run(started())
    return spider


def _read(spider: Sina7x24Spider, page: int) -> list[object]:
    url = PAGE.format(152, page)
    body = (ZHIBO / "tick1" / "pages" / f"152-page{page}.json").read_bytes()
    response = TextResponse(url, body=body, encoding="utf-8")
    return list(spider.parse_page(response, spider.channels[0], page))


def test_pages_that_stop_short_of_the_days_start_write_nothing() -> None:
    spider = _spider(pages="2")
    assert [r.url for r in _read(spider, 1)] == [PAGE.format(152, 2)]  # type: ignore[attr-defined]
    assert _read(spider, 2) == []  # the cap: 10:02 is the oldest flash seen
    assert spider.crawler.stats.get_value("sinacrawl/7x24/incomplete") == 1


def test_pages_that_reach_the_days_start_give_the_day() -> None:
    spider = _spider(pages="3")
    _read(spider, 1), _read(spider, 2)
    (item,) = _read(spider, 3)
    assert isinstance(item, DigestItem)
    assert (item.docid, item.title) == ("7x24-152-20261201", "新浪财经7x24 · 2026-12-01")
    assert [f.id for f in item.flashes] == [
        4300215, 4300201, 4300190, 4300177, 4300160, 4300142, 4300130, 4300115, 4300101
    ]  # fmt: skip
    assert spider.crawler.stats.get_value("sinacrawl/duplicate") == 1


def _flash(id_: int, hour: int, day: int = 1) -> Flash:
    return Flash(id_, datetime(2026, 12, day, hour, tzinfo=BEIJING), f"<p>快讯{id_}</p>")


def test_flashes_by_day_lists_each_flash_once_newest_first() -> None:
    older, newer = _flash(1, 9), _flash(2, 10)
    edited = Flash(2, newer.created, "<p>改过</p>")
    grouped = flashes_by_day([newer, older, edited, _flash(3, 23, day=30)], [date(2026, 12, 1)])
    assert grouped == {date(2026, 12, 1): [newer, older]}


def test_a_flash_with_blocks_keeps_them_outside_a_paragraph() -> None:
    body = digest_body([Flash(1, datetime(2026, 12, 1, 9, tzinfo=BEIJING), "<p>一</p><p>二</p>")])
    assert [child.tag for child in body[0]] == ["p", "div"]


def test_zhibo_page_errors_and_bad_entries() -> None:
    with pytest.raises(ZhiboError, match="not a zhibo page"):
        parse_zhibo("<html>502 Bad Gateway</html>")
    with pytest.raises(ZhiboError, match=r"zhibo status 1 \(zhibo_id error\)"):
        parse_zhibo((ZHIBO / "tick1" / "pages" / "151-page1.json").read_text(encoding="utf-8"))
    page = parse_zhibo(
        '{"result": {"status": {"code": 0}, "data": {"feed": {"list": ['
        '{"id": 1, "rich_text": "a", "create_time": "2026-12-01 09:00:00", "ext": "{bad"},'
        '{"id": "x"}, {"id": 2, "rich_text": ""},'
        '{"id": 3, "rich_text": "b", "create_time": "9:00"},'
        '[1]], "page_info": {"page": 2, "totalPage": 2}}}}}'
    )
    assert [f.id for f in page.flashes] == [1]
    assert page.bad == (
        "no numeric id ('x')",
        "flash 2: no rich_text",
        "flash 3: create_time '9:00' is not YYYY-MM-DD HH:MM:SS",
        "not an object",
    )
    assert page.last
    assert (page.flashes[0].link, page.flashes[0].stocks) == (None, ())


def test_a_wrong_argument_is_a_usage_error(tmp_path: Path) -> None:
    result = run_crawl("-a", "pagesize=500", "-s", f"POSTS_DIR={tmp_path}", spider="sina_7x24")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        ": error: pagesize must be from 1 to 100, got 500"
    )
    assert post_names(tmp_path) == []


@pytest.mark.parametrize(
    ("arguments", "settings", "message"),
    [
        ({"pages": "x"}, {}, "pages must be a whole number, got 'x'"),
        ({"zhibo": "999"}, {}, "unknown zhibo channel '999'; SINACRAWL_7X24_CHANNELS has "
         "['151', '152', '153', '155', '164', '242'] (or 'all')"),
        ({"zhibo": ","}, {}, "zhibo must name a zhibo id or 'all', got ','"),
        ({}, {"REDIS_URL": "redis://127.0.0.1:9/0"},
         "sina_7x24 runs in one process: unset REDIS_URL for it"),
        ({}, {"SINACRAWL_7X24_NOW": "noon"},
         "SINACRAWL_7X24_NOW must be an ISO 8601 time, got 'noon'"),
        ({}, {"SINACRAWL_7X24_CHANNELS": {"152": {"title": "x"}}},
         "SINACRAWL_7X24_CHANNELS['152'] needs 'categories', a list of non-empty strings"),
    ],
)  # fmt: skip
def test_wrong_arguments_and_settings_are_named(
    arguments: dict[str, str], settings: dict[str, object], message: str
) -> None:
    values = {"SINACRAWL_7X24_CHANNELS": project_settings.SINACRAWL_7X24_CHANNELS, **settings}
    with pytest.raises(ValueError) as raised:
        Sina7x24Spider.check_arguments(Settings(values), arguments)
    assert str(raised.value) == message


def test_open_days_follow_the_grace() -> None:
    spider = _spider()
    assert spider.days == (date(2026, 12, 1),)
    assert timedelta(seconds=project_settings.SINACRAWL_7X24_GRACE) == timedelta(hours=1)


def test_control_characters_in_a_flash_never_lose_the_day() -> None:
    ext = json.dumps(
        {
            "docurl": "https://finance.sina.com.cn/7x24/c\x01d.shtml",
            "stocks": [{"key": "贵州\x01茅台", "symbol": "sh600519"}],
        }
    )
    entry = {"id": 1, "rich_text": "快讯\x01内容\x0c完\ufffe", "create_time": "2026-12-01 09:00:00"}
    page = parse_zhibo(
        json.dumps(
            {"result": {"status": {"code": 0}, "data": {"feed": {"list": [entry | {"ext": ext}]}}}}
        )
    )
    flash = page.flashes[0]
    assert (flash.html, flash.link, flash.stocks) == (
        "快讯内容 完",
        "https://finance.sina.com.cn/7x24/cd.shtml",
        (("贵州茅台", "sh600519"),),
    )
    body = clean_body(digest_body(page.flashes), "https://finance.sina.com.cn/7x24/")
    assert body is not None
    assert "快讯内容 完" in body.html and "贵州茅台（sh600519）" in body.html
