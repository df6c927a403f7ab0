"""Every request, whatever made it, is http(s) to a Sina host (issue 13 items 6, 7 and 10,
issue 11 item 8): the URL rule, the middleware chain a queued request passes, and a crawl of a
poisoned replay folder whose feed and articles redirect to local and private targets.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from scrapy.core.downloader.middleware import DownloaderMiddlewareManager
from scrapy.http import Request, Response
from scrapy.utils.request import request_from_dict
from scrapy.utils.test import get_crawler

import sinacrawl.settings
from sinacrawl.middlewares import BlockedRequest
from sinacrawl.spiders.sina_finance import SinaFinanceSpider
from sinacrawl.urlguard import UrlProblem, url_problem
from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog, post_names

ESCAPES = FIXTURES / "requests" / "escapes"
A = "https://finance.sina.com.cn/china/2024-03-01/doc-inbadesc{}.shtml"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
PROJECT_SETTINGS = {
    k: getattr(sinacrawl.settings, k) for k in dir(sinacrawl.settings) if k.isupper()
}


CONTROL = "control character, space or backslash in the URL"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("file:///etc/passwd", ("scheme", "not an http(s) URL")),
        ("data:text/html,<script>alert(1)</script>", ("scheme", "not an http(s) URL")),
        ("s3://bucket/key", ("scheme", "not an http(s) URL")),
        ("ftp://finance.sina.com.cn/a", ("scheme", "not an http(s) URL")),
        ("https://localhost/", ("offsite", "localhost is not a Sina host")),
        ("https://sina.com.cn.evil.example/", ("offsite", "sina.com.cn.evil.example is not a Sina host")),  # noqa: E501
        ("https://evilsina.com.cn/", ("offsite", "evilsina.com.cn is not a Sina host")),
        ("https://finance.sina.com.cn@10.0.0.5/", ("malformed", "user name or password in the URL")),  # noqa: E501
        ("https://finance.sina.com.cn/a\x01b", ("malformed", CONTROL)),
        ("https://evil.example\\@finance.sina.com.cn/", ("malformed", CONTROL)),
        ("https://finance.sina.com.cn:99999/", ("malformed", "Port out of range 0-65535")),
    ],
)  # fmt: skip
def test_refused_urls(url: str, problem: tuple[str, str]) -> None:
    assert url_problem(url) == UrlProblem(*problem)


@pytest.mark.parametrize(
    ("url", "host", "kind"),
    [
        ("http://10.0.0.5/", "10.0.0.5", "private"),
        ("http://169.254.169.254/latest/", "169.254.169.254", "link-local"),
        ("http://127.0.0.1:6800/schedule.json", "127.0.0.1", "loopback"),
        ("http://[::1]:6379/", "::1", "loopback"),
        ("http://8.8.8.8/", "8.8.8.8", "literal"),
    ],
)
def test_ip_addresses_are_refused(url: str, host: str, kind: str) -> None:
    assert url_problem(url) == UrlProblem("ip_address", f"{host} is a {kind} IP address")


@pytest.mark.parametrize(
    "url",
    [
        "https://finance.sina.com.cn/china/2024-03-01/doc-inbadesc0001.shtml",
        "http://FEED.MIX.SINA.COM.CN./api/roll/get?page=1",
        "https://k.sina.cn/article_1.html",
        "HTTPS://finance.sina.com.cn:443/robots.txt",
    ],
)
def test_sina_urls_pass(url: str) -> None:
    assert url_problem(url) is None


def test_a_setting_widens_the_hosts_never_to_ip_addresses() -> None:
    assert url_problem("https://news.example.org/a", ("sina.com.cn", "example.org")) is None
    assert url_problem("http://127.0.0.1/", ("sina.com.cn", "127.0.0.1")) == UrlProblem(
        "ip_address", "127.0.0.1 is a loopback IP address"
    )


def test_a_queued_request_is_refused_before_replay_or_download() -> None:
    """A request as a Redis queue hands it over (``request_from_dict``, ``dont_filter``) goes
    through the project's whole downloader chain: refused before ReplayMiddleware could answer
    it from the poisoned folder and before any download."""
    crawler = get_crawler(
        SinaFinanceSpider, {**PROJECT_SETTINGS, "REPLAY_DIR": str(ESCAPES), "ROBOTSTXT_OBEY": False}
    )
    crawler.spider = crawler._create_spider()
    chain = DownloaderMiddlewareManager.from_crawler(crawler)
    downloaded: list[str] = []

    async def download(request: Request) -> Response:
        downloaded.append(request.url)
        raise AssertionError(f"downloaded {request.url}")

    async def send(url: str) -> None:
        queued = {"url": url, "callback": "parse_article", "dont_filter": True}
        request = request_from_dict(queued, spider=crawler.spider)
        with pytest.raises(BlockedRequest):
            await chain.download_async(download, request)

    targets = [
        "file:///etc/passwd",
        "http://127.0.0.1:6800/schedule.json",
        "http://10.0.0.5:8080/china/doc-inbadesc0005.shtml",
        "https://finance.sina.com.cn.evil.example/china/doc-inbadesc0004.shtml",
    ]
    for url in targets:
        asyncio.run(send(url))
    assert downloaded == []
    stats = crawler.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith(("sinacrawl/", "replay/"))} == {
        "sinacrawl/request_blocked/scheme": 1,
        "sinacrawl/request_blocked/ip_address": 2,
        "sinacrawl/request_blocked/offsite": 1,
    }


def test_only_http_download_handlers() -> None:
    crawler = get_crawler(SinaFinanceSpider, PROJECT_SETTINGS)
    handlers = crawler.settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, handler in handlers.items() if handler} == {"http", "https"}


@pytest.fixture(scope="module")
def escapes(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    posts = tmp_path_factory.mktemp("escapes")
    result = run_crawl("-a", "pages=3", "-s", f"REPLAY_DIR={ESCAPES}", "-s", f"POSTS_DIR={posts}")
    return result, posts


def test_redirects_and_refreshes_off_sina_are_refused_and_said(
    escapes: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, posts = escapes
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert post_names(posts) == ["nbadesc0001.md"]
    log = CrawlLog(result.stderr)
    assert {k: v for k, v in log.stats().items() if k.startswith(("sinacrawl/", "replay/"))} == {
        "replay/hit": 8,
        "sinacrawl/dropped/redirected_off_sina": 4,
        "sinacrawl/feed/entries": 5,
        "sinacrawl/feed/failed": 2,
        "sinacrawl/feed/pages": 1,
        "sinacrawl/post/written": 1,
        "sinacrawl/request_blocked/ip_address": 4,
        "sinacrawl/request_blocked/offsite": 1,
    }
    blocked = "request blocked: {}: {} (redirected from {})"
    assert sorted(log.lines("WARNING")) == sorted(
        ("WARNING", line)
        for line in [
            blocked.format(
                "ip_address: 169.254.169.254 is a link-local IP address",
                "http://169.254.169.254/latest/meta-data/",
                FEED.format(1),
            ),
            blocked.format(
                "ip_address: 10.0.0.5 is a private IP address",
                "http://10.0.0.5/feed.json",
                FEED.format(2),
            ),
            blocked.format(
                "ip_address: 127.0.0.1 is a loopback IP address",
                "http://127.0.0.1:6800/schedule.json",
                A.format("0003"),
            ),
            blocked.format(
                "offsite: finance.sina.com.cn.evil.example is not a Sina host",
                "https://finance.sina.com.cn.evil.example/china/doc-inbadesc0004.shtml",
                A.format("0004"),
            ),
            blocked.format(
                "ip_address: 10.0.0.5 is a private IP address",
                "http://10.0.0.5:8080/china/doc-inbadesc0005.shtml",
                A.format("0005"),
            ),
            f"article gone: {A.format('0002')} redirected off Sina to file:///etc/passwd "
            "(not an http(s) URL), not followed",
        ]
    )
    summary = log.summary()
    assert (summary["written"], summary["dropped"], summary["reasons"]) == (
        "1", "4", "redirected_off_sina=4"
    )  # fmt: skip
    assert summary["feed_failed"] == "2"


def test_no_remote_control_endpoint_and_the_guard_replaces_offsite(
    escapes: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    """Scrapy 2.19's RemoteControl extension runs Python code POSTed to it (issue 13 item 10);
    the crawl must not start it. Scrapy's offsite filter, which drops redirects silently, is
    replaced by the guard."""
    stderr = escapes[0].stderr
    extensions = stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "scrapy.extensions.corestats.CoreStats" in extensions
    assert "remote_control" not in extensions
    assert "TelnetConsole" not in extensions
    middlewares = stderr.split("Enabled downloader middlewares:", 1)[1].split("]", 1)[0]
    assert "sinacrawl.middlewares.RequestGuardMiddleware" in middlewares
    assert "OffsiteMiddleware" not in middlewares
