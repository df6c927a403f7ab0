"""Downloader middleware: offline replay and record (SPEC section 5, STYLE point 8)."""

from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path
from typing import Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector
from twisted.internet.error import TimeoutError as TxTimeoutError
from w3lib.url import canonicalize_url

from sinacrawl.replay import TIMEOUT, ManifestEntry, ReplayError, append_entry, load_manifest

__all__ = ["ReplayMiddleware"]

logger = logging.getLogger(__name__)


class ReplayMiddleware:
    """Answer every request from a replay folder, or record a live crawl into one.

    Settings: ``REPLAY_DIR`` (folder; unset = off, :class:`NotConfigured`), ``REPLAY_RECORD``
    (bool; with it the crawl goes live and each response is saved). Replay never touches the
    network: a URL the manifest lacks is a logged miss (stat ``replay/miss``) and an
    :class:`IgnoreRequest`; a ``robots.txt`` it lacks is answered 404 (allow all). Answers go
    through Scrapy's redirect, retry and HTTP-error middlewares like live responses; a
    ``timeout`` line raises Twisted's ``TimeoutError``. Stats: ``replay/hit``, ``replay/miss``,
    ``replay/timeout``, ``replay/recorded``. Shaped after Scrapy's ``HttpCacheMiddleware``.

    Raises :class:`ReplayError` at start when ``REPLAY_DIR`` is set but unusable, so that a
    replay can never turn into a live crawl.
    """

    def __init__(self, folder: Path, record: bool, stats: StatsCollector) -> None:
        self.folder = folder.resolve()
        self.record = record
        self.stats = stats
        self.answers: dict[str, list[ManifestEntry]] = {}
        self.served: defaultdict[str, int] = defaultdict(int)
        if record:
            self.folder.mkdir(parents=True, exist_ok=True)
        else:
            if not self.folder.is_dir():
                raise ReplayError(f"REPLAY_DIR {self.folder} is not a folder")
            self.answers = load_manifest(self.folder)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        folder = crawler.settings.get("REPLAY_DIR")
        if not folder:
            raise NotConfigured("REPLAY_DIR is not set")
        assert crawler.stats is not None
        middleware = cls(Path(folder), crawler.settings.getbool("REPLAY_RECORD"), crawler.stats)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        mode = "recording into" if self.record else "replaying"
        logger.info("%s %s (%d URLs)", mode, self.folder, len(self.answers))

    def process_request(self, request: Request) -> Response | None:
        if self.record:
            return None
        key = canonicalize_url(request.url)
        entries = self.answers.get(key)
        if not entries:
            if request.url.endswith("/robots.txt"):
                return Response(request.url, status=404, request=request, flags=["replay"])
            self.stats.inc_value("replay/miss")
            logger.warning("replay miss: %s is not in %s", request.url, self.folder)
            raise IgnoreRequest(f"replay miss: {request.url}")
        entry = entries[min(self.served[key], len(entries) - 1)]
        self.served[key] += 1
        if entry.status == TIMEOUT:
            self.stats.inc_value("replay/timeout")
            raise TxTimeoutError("replayed timeout")  # type: ignore[no-untyped-call]
        headers = Headers()
        if entry.content_type:
            headers["Content-Type"] = entry.content_type
        if entry.location:
            headers["Location"] = entry.location
        try:
            body = entry.file.read_bytes() if entry.file else b""
        except OSError as exc:
            self.stats.inc_value("replay/miss")
            logger.warning("replay miss: %s: cannot read %s: %s", request.url, entry.file, exc)
            raise IgnoreRequest(f"replay miss: {request.url}") from exc
        self.stats.inc_value("replay/hit")
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return respcls(
            url=request.url,
            status=int(entry.status),
            headers=headers,
            body=body,
            request=request,
            flags=["replay"],
        )

    def process_response(self, request: Request, response: Response) -> Response:
        if self.record:
            append_entry(
                self.folder,
                request.url,
                response.body,
                "" if response.status == 200 else str(response.status),
                (response.headers.get("Content-Type") or b"").decode("latin-1"),
                (response.headers.get("Location") or b"").decode("latin-1"),
            )
            self.stats.inc_value("replay/recorded")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if self.record and isinstance(exception, TxTimeoutError):
            append_entry(self.folder, request.url, None, TIMEOUT, "", "")
            self.stats.inc_value("replay/recorded")
