"""Pure helpers: charsets, dates, document ids, file names, the roll feed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sinacrawl.charset import decode_page
from sinacrawl.dates import BEIJING, format_rfc1123, parse_date_text, parse_iso, parse_unix
from sinacrawl.docid import document_id, post_filename
from sinacrawl.feed import FeedError, feed_url, parse_feed
from tests.conftest import REPLAY

GB_PAGE = REPLAY / "pages" / "stock-2005-08-26-ikknscsi0000002.html"


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", None, "text/html"])
def test_gb2312_page_decodes_whatever_the_header_says(content_type: str | None) -> None:
    decoded = decode_page(GB_PAGE.read_bytes(), content_type)
    assert decoded.encoding == "gb18030"
    assert decoded.replaced is False
    assert "上市公司半年报披露完毕 净利润同比增长" in decoded.text


def test_utf8_page_under_a_gbk_header_stays_utf8() -> None:
    decoded = decode_page(
        '<meta charset="utf-8"><p>新浪财经</p>'.encode(), "text/html; charset=gbk"
    )
    assert (decoded.encoding, decoded.replaced) == ("utf-8", False)
    assert "新浪财经" in decoded.text


def test_truncated_utf8_page_is_flagged_not_turned_into_gb_mojibake() -> None:
    decoded = decode_page('<meta charset="utf-8"><p>新浪财经'.encode()[:-1], None)
    assert (decoded.encoding, decoded.replaced) == ("utf-8", True)
    assert decoded.text.endswith("新浪财\ufffd")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021年12月21日 14:56", "Tue, 21 Dec 2021 06:56:00 GMT"),
        ("2016年05月25日10:10", "Wed, 25 May 2016 02:10:00 GMT"),
        ("2021年01月01日 00:30", "Thu, 31 Dec 2020 16:30:00 GMT"),
    ],
)
def test_date_text_is_beijing_time(text: str, expected: str) -> None:
    moment = parse_date_text(text)
    assert moment is not None
    assert format_rfc1123(moment) == expected


def test_date_forms() -> None:
    assert parse_date_text("2021年13月41日 14:56") is None
    assert parse_iso("yesterday") is None
    iso = parse_iso("2019-09-07T06:52:51+08:00")
    assert iso is not None and format_rfc1123(iso) == "Fri, 06 Sep 2019 22:52:51 GMT"
    naive = parse_iso("2005-08-26 05:39:00")
    assert naive == datetime(2005, 8, 26, 5, 39, tzinfo=BEIJING)
    assert parse_unix("1640069802") == datetime(2021, 12, 21, 6, 56, 42, tzinfo=UTC)
    assert parse_unix("") is None and parse_unix(None) is None and parse_unix("-5") is None
    with pytest.raises(ValueError, match="aware"):
        format_rfc1123(datetime(2021, 1, 1))


@pytest.mark.parametrize(
    ("url", "docid"),
    [
        (
            "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml",
            "kyamrmz0151960",
        ),
        ("https://finance.sina.cn/sa/2005-08-26/detail-ikknscsi2623250.d.html", "kknscsi2623250"),
        ("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml", "244339-2accd931fabd"),
        ("https://finance.sina.com.cn/china/", "china-8fe9f1378168"),
    ],
)
def test_document_id(url: str, docid: str) -> None:
    assert document_id(url) == docid


def test_post_filename_is_safe() -> None:
    assert post_filename("kyamrmz0151960", "u") == "kyamrmz0151960.md"
    assert post_filename("_.hidden id", "u") == "hidden-id-51e69892ab49.md"
    assert post_filename("", "https://finance.sina.com.cn/") == "sina-f9a9174097d3.md"
    assert post_filename("a" * 500, "u") == "a" * 60 + "-51e69892ab49.md"


def test_feed_json_and_jsonp() -> None:
    page = (REPLAY / "feeds" / "roll-lid1686-page1.json").read_text(encoding="utf-8")
    entries = parse_feed(page)
    assert [e.url for e in entries][:1] == [
        "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
    ]
    assert entries[0].title == "浙江：更好统筹推进疫情防控和经济社会发展"
    assert entries[0].published == datetime(2021, 12, 21, 6, 56, 42, tzinfo=UTC)
    assert parse_feed(f"jQuery123_456({page});") == entries
    assert parse_feed('{"result": {"data": []}}') == []


@pytest.mark.parametrize("text", ["<html>403 Forbidden</html>", "{}", '{"result": {"data": 5}}'])
def test_feed_errors(text: str) -> None:
    with pytest.raises(FeedError):
        parse_feed(text)


def test_feed_url_is_specs_form() -> None:
    assert feed_url(155, 1686, 3) == (
        "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=3"
    )
