"""ReplayMiddleware: answers from a replay folder, misses, timeouts, recording (SPEC section 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from twisted.internet.error import TimeoutError as TxTimeoutError

from sinacrawl.middlewares import ReplayMiddleware
from sinacrawl.replay import ReplayError, load_manifest
from tests.conftest import REPLAY

ARTICLE = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"


def _middleware(folder: Path, **settings: object) -> ReplayMiddleware:
    crawler = get_crawler(settings_dict={"REPLAY_DIR": str(folder), **settings})
    middleware: ReplayMiddleware = build_from_crawler(ReplayMiddleware, crawler)
    return middleware


def _write(folder: Path, manifest: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "manifest.tsv").write_text(
        "url\tfile\tstatus\tcontent_type\tlocation\n" + manifest, encoding="utf-8"
    )
    return folder


def test_off_without_replay_dir() -> None:
    with pytest.raises(NotConfigured):
        build_from_crawler(ReplayMiddleware, get_crawler())


def test_missing_folder_stops_instead_of_going_live(tmp_path: Path) -> None:
    missing = _middleware(tmp_path / "nope")
    assert missing.unusable == f"REPLAY_DIR {tmp_path / 'nope'} is not a folder"
    with pytest.raises(CloseSpider) as closed:
        missing.spider_opened(Spider("s"))
    assert closed.value.reason == "replay_unusable"
    assert _middleware(tmp_path).unusable == f"replay folder {tmp_path} has no manifest.tsv"


def test_hit_is_a_response_with_the_saved_bytes_and_headers() -> None:
    middleware = _middleware(REPLAY)
    response = middleware.process_request(Request(ARTICLE))
    assert isinstance(response, HtmlResponse)
    assert response.status == 200
    assert response.headers["Content-Type"] == b"text/html; charset=utf-8"
    assert response.body == (REPLAY / "pages/finance-2021-12-21-ikyamrmz0151960.html").read_bytes()
    assert middleware.stats.get_value("replay/hit") == 1


def test_urls_match_after_canonicalisation() -> None:
    feed = "https://feed.mix.sina.com.cn/api/roll/get?page=1&num=50&lid=1686&pageid=155"
    response = _middleware(REPLAY).process_request(Request(feed))
    assert isinstance(response, TextResponse)
    assert response.url == feed


def test_redirect_line_carries_status_and_location() -> None:
    url = "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp0000001.shtml"
    response = _middleware(REPLAY).process_request(Request(url))
    assert response is not None
    assert response.status == 301
    assert response.headers["Location"] == url.replace("http:", "https:", 1).encode()


def test_miss_is_counted_and_never_fetched() -> None:
    middleware = _middleware(REPLAY)
    with pytest.raises(IgnoreRequest, match="replay miss"):
        middleware.process_request(Request("https://finance.sina.com.cn/not/saved.shtml"))
    assert middleware.stats.get_value("replay/miss") == 1


def test_missing_robots_txt_is_absent_not_a_miss() -> None:
    middleware = _middleware(REPLAY)
    response = middleware.process_request(Request("https://finance.sina.com.cn/robots.txt"))
    assert response is not None and response.status == 404
    assert middleware.stats.get_value("replay/miss") is None


def test_successive_answers_then_the_last_repeats(tmp_path: Path) -> None:
    url = "https://finance.sina.com.cn/a/doc-iaaaa.shtml"
    folder = _write(
        tmp_path,
        f"{url}\t\t500\t\t\n{url}\t\ttimeout\t\t\n{url}\tp.html\t\ttext/html\t\n",
        {"p.html": b"<p>ok</p>"},
    )
    middleware = _middleware(folder)
    first = middleware.process_request(Request(url))
    assert first is not None and first.status == 500
    with pytest.raises(TxTimeoutError):
        middleware.process_request(Request(url))
    for _ in range(2):
        response = middleware.process_request(Request(url))
        assert response is not None and (response.status, response.body) == (200, b"<p>ok</p>")
    assert middleware.stats.get_value("replay/timeout") == 1


def test_manifest_paths_cannot_leave_the_folder(tmp_path: Path) -> None:
    _write(tmp_path, "https://a.sina.com.cn/x\t../../etc/passwd\t\t\t\n", {})
    with pytest.raises(ReplayError, match="outside the folder"):
        load_manifest(tmp_path)


def test_record_writes_what_replay_reads_back(tmp_path: Path) -> None:
    folder = tmp_path / "recorded"
    recorder = _middleware(folder, REPLAY_RECORD=True)
    request = Request(ARTICLE)
    assert recorder.process_request(request) is None  # live: the download goes ahead
    page = HtmlResponse(
        ARTICLE, body=b"<p>saved</p>", headers={"Content-Type": "text/html; charset=gbk"}
    )
    assert recorder.process_response(request, page) is page
    moved = Request("http://finance.sina.com.cn/old.shtml")
    recorder.process_response(
        moved, HtmlResponse(moved.url, status=302, headers={"Location": ARTICLE}, body=b"")
    )
    recorder.process_exception(Request("https://finance.sina.com.cn/slow"), TxTimeoutError())
    lines = (folder / "manifest.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "url\tfile\tstatus\tcontent_type\tlocation"
    assert lines[1].startswith(f"{ARTICLE}\tpages/") and lines[1].endswith(
        "\t\ttext/html; charset=gbk\t"
    )
    assert lines[3] == "https://finance.sina.com.cn/slow\t\ttimeout\t\t"
    replay = _middleware(folder)
    answer = replay.process_request(Request(ARTICLE))
    assert answer is not None and answer.body == b"<p>saved</p>"
    redirect = replay.process_request(moved)
    assert redirect is not None and redirect.status == 302
    assert redirect.headers["Location"] == ARTICLE.encode()
