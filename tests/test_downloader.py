"""Per-host concurrency holds without a delay (issue 16; sinacrawl/downloader.py): Scrapy 2.19
started every queued request to a host at once when ``DOWNLOAD_DELAY`` is 0."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

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
        self.host_in_flight: Counter[str] = Counter()
        self.host_most: Counter[str] = Counter()
        self.arrivals: list[float] = []


class _Handler(BaseHTTPRequestHandler):
    server: SlowSina

    def do_GET(self) -> None:
        host = urlsplit(self.path).hostname or ""
        with self.server.lock:
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
            self.server.host_in_flight[host] += 1
            self.server.host_most[host] = max(
                self.server.host_most[host], self.server.host_in_flight[host]
            )
            self.server.arrivals.append(time.monotonic())
        try:
            time.sleep(ANSWER_AFTER * (3 if host.startswith("news.") else 1))
            if "/moved/" in self.path:  # this article now lives on news.sina.com.cn
                self.send_response(302)
                moved = self.path.replace("finance.", "news.", 1).replace("/moved/", "/china/")
                self.send_header("Location", moved)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
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
                self.server.host_in_flight[host] -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_sina() -> Iterator[SlowSina]:
    server = SlowSina()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _crawl(slow_sina: SlowSina, monkeypatch: pytest.MonkeyPatch, posts: Path, *args: str) -> str:
    """``scrapy crawl`` through ``slow_sina`` with AutoThrottle off; its log (exit status 0)."""
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{slow_sina.server_address[1]}")
    crawl = run_crawl("-s", f"POSTS_DIR={posts}", "-s", "AUTOTHROTTLE_ENABLED=False", *args)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    return crawl.stderr


def test_a_host_never_gets_more_requests_at_once_than_its_concurrency(
    slow_sina: SlowSina, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = ",".join(ARTICLE.format(n) for n in range(10))
    log = _crawl(
        slow_sina, monkeypatch, tmp_path, "-a", f"urls={urls}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    )  # fmt: skip
    assert "summary: written=10 " in log
    assert slow_sina.articles == 10
    assert slow_sina.most_in_flight == 2


def test_a_redirected_request_counts_against_the_host_it_goes_to(
    slow_sina: SlowSina, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scrapy's redirect copies the first request's download slot: articles moved from
    # finance.sina.com.cn reached news.sina.com.cn (which answers in 0.9 s) while the ones asked
    # of it directly were in flight, 2 at a time (attack trial, stop 19).
    moved = [ARTICLE.format(n).replace("/china/", "/moved/") for n in range(3)]
    direct = [ARTICLE.format(n).replace("finance.", "news.") for n in range(3, 6)]
    urls = ",".join(moved + direct)
    log = _crawl(
        slow_sina, monkeypatch, tmp_path, "-a", f"urls={urls}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    )  # fmt: skip
    assert "summary: written=6 " in log
    assert slow_sina.host_most["news.sina.com.cn"] == 1


def test_a_host_with_a_trailing_dot_is_the_same_host(
    slow_sina: SlowSina, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = [ARTICLE.format(n) for n in range(3)]
    dotted = [ARTICLE.format(n).replace(".com.cn/", ".com.cn./") for n in range(3, 6)]
    urls = ",".join(plain + dotted)
    log = _crawl(
        slow_sina, monkeypatch, tmp_path, "-a", f"urls={urls}",
        "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    )  # fmt: skip
    assert "summary: written=6 " in log
    assert slow_sina.most_in_flight == 1


def test_requests_to_a_host_are_never_closer_than_download_delay(
    slow_sina: SlowSina, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scrapy's default jitter (DOWNLOAD_DELAY_JITTER 0.5) sent them as little as half the delay
    # apart; the politeness floor is the delay itself.
    urls = ",".join(ARTICLE.format(n) for n in range(6))
    log = _crawl(slow_sina, monkeypatch, tmp_path, "-a", f"urls={urls}", "-s", "DOWNLOAD_DELAY=0.4")
    assert "summary: written=6 " in log
    gaps = [b - a for a, b in zip(slow_sina.arrivals, slow_sina.arrivals[1:], strict=False)]
    assert len(gaps) == 6  # robots.txt, then the 6 articles
    assert min(gaps) >= 0.39, gaps
