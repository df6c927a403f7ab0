"""Per-host concurrency holds without a delay (issue 16; sinacrawl/downloader.py): Scrapy 2.19
started every queued request to a host at once when ``DOWNLOAD_DELAY`` is 0."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_crawl

PAGE = (ROOT / "tests/fixtures/replay/pages/finance-2021-12-21-ikyamrmz0151960.html").read_bytes()
ARTICLE = "http://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz{:07d}.shtml"
ANSWER_AFTER = 0.3  # seconds


class SlowSina(ThreadingHTTPServer):
    """A proxy on 127.0.0.1 answering each article URL with the fixture page after
    ``ANSWER_AFTER`` seconds (anything else: 404), counting requests in flight."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.articles = 0


class _Handler(BaseHTTPRequestHandler):
    server: SlowSina

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
        try:
            time.sleep(ANSWER_AFTER)
            article = "/doc-i" in self.path
            body = PAGE if article else b""
            self.send_response(200 if article else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if article:
                with self.server.lock:
                    self.server.articles += 1
        finally:
            with self.server.lock:
                self.server.in_flight -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_sina() -> Iterator[SlowSina]:
    server = SlowSina()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_host_never_gets_more_requests_at_once_than_its_concurrency(
    slow_sina: SlowSina, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{slow_sina.server_address[1]}")
    urls = ",".join(ARTICLE.format(n) for n in range(10))
    crawl = run_crawl(
        "-a", f"urls={urls}", "-s", f"POSTS_DIR={tmp_path}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    )  # fmt: skip
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "summary: written=10 " in crawl.stderr
    assert slow_sina.articles == 10
    assert slow_sina.most_in_flight == 2
