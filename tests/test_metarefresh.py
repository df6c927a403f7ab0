"""The meta-refresh middleware reads only a page's head (issue 16), and answers as Scrapy's."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl.metarefresh import HeadMetaRefreshMiddleware
from sinacrawl.settings import DOWNLOADER_MIDDLEWARES
from tests.conftest import CORPUS, FIXTURES, REPLAY

REFRESH = FIXTURES / "refresh"
URL = "https://finance.sina.com.cn/china/2024-03-01/doc-inrefresh0001.shtml"
MOVED_TO = "https://finance.sina.com.cn/china/2024-03-01/doc-inrefresh0002.shtml"


@cache
def _middleware(cls: type[MetaRefreshMiddleware]) -> MetaRefreshMiddleware:
    crawler = get_crawler(settings_dict={"METAREFRESH_ENABLED": True})
    return build_from_crawler(cls, crawler)


def _answer(cls: type[MetaRefreshMiddleware], body: bytes, content_type: str) -> str:
    """What the middleware makes of the page: the URL of the request it makes, or ``page``."""
    request = Request(URL)
    response = HtmlResponse(URL, body=body, headers={"Content-Type": content_type}, request=request)
    result = _middleware(cls).process_response(request, response)
    return result.url if isinstance(result, Request) else "page"


class _TextRead(Exception):
    pass


def _no_text(self: HtmlResponse) -> str:
    raise _TextRead


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=gb2312"])
def test_refresh_past_the_first_4096_bytes_of_a_gb_page_is_followed_without_decoding_it(
    content_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (REFRESH / "moved-gb2312.html").read_bytes()
    assert _answer(MetaRefreshMiddleware, body, content_type) == MOVED_TO
    monkeypatch.setattr(HtmlResponse, "text", property(_no_text))
    with pytest.raises(_TextRead):  # Scrapy's decodes the whole page to read its head
        _answer(MetaRefreshMiddleware, body, content_type)
    assert _answer(HeadMetaRefreshMiddleware, body, content_type) == MOVED_TO


def test_refresh_past_the_4096th_character_is_not_followed_as_by_scrapy() -> None:
    body = (REFRESH / "late-refresh.html").read_bytes()
    assert _answer(MetaRefreshMiddleware, body, "text/html") == "page"
    assert _answer(HeadMetaRefreshMiddleware, body, "text/html") == "page"
    # the same tag earlier in the page is followed: the tag itself is one the middleware reads
    tag = b'<meta http-equiv="refresh" content="0;url=/china/2024-03-01/doc-inrefresh0002.shtml">'
    early = body[: body.index(b'<meta name="description"')] + tag
    assert _answer(HeadMetaRefreshMiddleware, early, "text/html") == MOVED_TO


def _pages() -> list[Path]:
    folders = [REPLAY, FIXTURES / "requests", FIXTURES / "bad", REFRESH]
    if CORPUS.exists():
        folders.append(CORPUS)
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.suffix in {".html", ".shtml", ".htm"} and path.is_file()
    )


def test_same_answer_as_scrapys_on_every_fixture_and_corpus_page() -> None:
    pages = _pages()
    assert len(pages) > 10
    for page in pages:
        body = page.read_bytes()
        for content_type in ("text/html", "text/html; charset=utf-8"):
            ours = _answer(HeadMetaRefreshMiddleware, body, content_type)
            assert ours == _answer(MetaRefreshMiddleware, body, content_type), page


def test_it_takes_scrapys_place() -> None:
    settings = Settings({"DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES})
    enabled = {
        name: order
        for name, order in settings.getwithbase("DOWNLOADER_MIDDLEWARES").items()
        if order is not None
    }
    assert "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware" not in enabled
    assert enabled["sinacrawl.metarefresh.HeadMetaRefreshMiddleware"] == 580
