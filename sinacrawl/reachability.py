"""Telling an unreachable host (network down, DNS, firewall, Redis stopped) from a bad page,
and saying so in one log line that names the host, not a traceback (issue 14).
"""

from __future__ import annotations

import logging
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError as TxConnectionRefusedError,
)
from twisted.internet.error import (
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
)
from twisted.python.failure import Failure

__all__ = [
    "CERTIFICATE_FAILED",
    "ROBOTS_LOGGER",
    "UNREACHABLE",
    "QuietRobotsErrors",
    "Reachability",
    "failure_kind",
    "failure_reason",
    "redis_problem",
    "unreachable_host",
]

#: OpenSSL's reason for a certificate no trusted CA signed or for another host (it is in the
#: message of the download's failure).
CERTIFICATE_FAILED = "certificate verify failed"


def failure_kind(failure: Failure) -> str:
    """A failed request's kind, for its stat: ``TLSCertificateError`` when the server's
    certificate failed verification (``DOWNLOAD_VERIFY_CERTIFICATES``, issue 13 item 8), else
    the exception's class name.
    """
    if CERTIFICATE_FAILED in failure.getErrorMessage():
        return "TLSCertificateError"
    return failure.type.__name__  # type: ignore[union-attr]


def failure_reason(failure: Failure) -> str:
    """A failed request's reason in a few words: ``HTTP 404`` for an HTTP error status, else
    its kind (:func:`failure_kind`) and message (``TimeoutError: …``).
    """
    if isinstance(failure.value, HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure_kind(failure)}: {failure.getErrorMessage()}"


#: The logger of Scrapy's ``RobotsTxtMiddleware``.
ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"

#: Exceptions that mean the host was never reached: no address, refused, no route, no answer
#: to the connection attempt. A timeout after connecting, or an HTTP error, is the page's.
UNREACHABLE: tuple[type[BaseException], ...] = (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DNSLookupError,
    TxConnectionRefusedError,
    NoRouteError,
    TCPTimedOutError,
)


def unreachable_host(url: str, error: BaseException) -> str | None:
    """``"host: Class: message"`` when ``error`` (a failed download of ``url``) means the host
    could not be reached, else ``None``.

    >>> unreachable_host("https://feed.mix.sina.com.cn/x", CannotResolveHostError("no address"))
    'feed.mix.sina.com.cn: CannotResolveHostError: no address'
    >>> unreachable_host("https://feed.mix.sina.com.cn/x", ValueError("x")) is None
    True
    """
    if not isinstance(error, UNREACHABLE):
        return None
    return f"{urlsplit(url).hostname}: {type(error).__name__}: {error}"


def redis_problem(url: str) -> str | None:
    """Why the Redis server of ``url`` (``REDIS_URL``) cannot be used, naming its host and
    port (one ``PING``, 5 seconds at most), or ``None`` when it answers. Imports redis-py only
    when called (distributed mode only).
    """
    import redis  # only with REDIS_URL set

    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        parts = urlsplit(url)
        where = f"{parts.hostname}:{parts.port or 6379}"
        return f"cannot reach Redis at {where} (REDIS_URL): {type(exc).__name__}: {exc}"
    return None


class QuietRobotsErrors(logging.Filter):
    """A filter for the logger of Scrapy's ``RobotsTxtMiddleware``: its "Error downloading"
    record for an unreachable host (an ERROR with a 40-line traceback, once per host) becomes
    one WARNING line without the traceback. The request's own errback then says what failed;
    every other record passes unchanged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and isinstance(exc, UNREACHABLE):
            args: Any = record.args
            record.msg = "robots.txt not downloaded for %(request)s: %(f_exception)s"
            record.args = args
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class Reachability:
    """Extension: installs :class:`QuietRobotsErrors` for the crawl (removed when the engine
    stops). The spider's errbacks record an unreachable host in the stat
    ``sinacrawl/unreachable`` (``"host: reason"``), which the closing ERROR of
    :class:`~sinacrawl.extensions.CrawlSummary` names.
    """

    def __init__(self) -> None:
        self.filter = QuietRobotsErrors()
        logging.getLogger(ROBOTS_LOGGER).addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls()
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        logging.getLogger(ROBOTS_LOGGER).removeFilter(self.filter)
