"""Middlewares: the URL check every request passes (downloader, issue 13 items 6 and 7), offline
replay and record (downloader, SPEC section 5, STYLE point 8), and skipping articles whose post
already exists (spider, SPEC section 4)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.statscollectors import StatsCollector
from twisted.internet.error import TimeoutError as TxTimeoutError
from w3lib.url import canonicalize_url

from sinacrawl.docid import post_filename
from sinacrawl.layout import PostLocator
from sinacrawl.replay import TIMEOUT, ManifestEntry, ReplayError, append_entry, load_manifest
from sinacrawl.theme_safety import DEFAULT_IMAGE_HOSTS
from sinacrawl.urlguard import IMAGE_REQUEST, SINA_DOMAINS, url_problem

__all__ = [
    "REPLAY_UNUSABLE",
    "BlockedRequest",
    "KnownPostsMiddleware",
    "OutputFilter",
    "ReplayMiddleware",
    "RequestGuardMiddleware",
]

logger = logging.getLogger(__name__)
#: The finish reason of a crawl whose ``REPLAY_DIR`` is set but unusable.
REPLAY_UNUSABLE = "replay_unusable"


class BlockedRequest(IgnoreRequest):
    """A request :class:`RequestGuardMiddleware` refused; it has already logged it."""


class RequestGuardMiddleware:
    """Refuse, before any download, every request :func:`sinacrawl.urlguard.url_problem`
    refuses, whatever made it: the spider, a Redis queue, robots.txt, Scrapy's redirect and
    meta-refresh middlewares (a redirect is a new request that passes the whole chain again),
    so that neither a live crawl nor a replay follows a ``Location`` off Sina (issue 13 items
    6 and 7, issue 11 item 8). Feed requests carry ``dont_filter``, which Scrapy's offsite
    filter obeys; this check has no such exception.

    Setting ``SINACRAWL_EXTRA_DOMAINS`` (list of domains, default empty): hosts allowed besides
    :data:`~sinacrawl.urlguard.SINA_DOMAINS`, with their subdomains; with
    ``SINACRAWL_IMAGES_DIR`` set, ``SINACRAWL_IMAGE_HOSTS`` (Sina's image CDN, ``sinaimg.cn``)
    are allowed too, for the images pipeline's requests only (``meta``
    :data:`~sinacrawl.urlguard.IMAGE_REQUEST`, and the ``robots.txt`` Scrapy's robots middleware
    fetches first; issue 15 item 1): an article redirected onto the CDN, which also hosts
    users' uploads, is refused like any off-Sina URL. A refused request is one WARNING line
    (``request blocked: <reason>: <detail>: <url>``, plus ``(redirected from <url>)`` for a
    redirect), the stat ``sinacrawl/request_blocked/<reason>``, and a
    :class:`BlockedRequest` for the request's errback, which counts the lost article or feed
    page without logging it again.
    """

    def __init__(
        self, domains: tuple[str, ...], stats: StatsCollector, image_hosts: tuple[str, ...] = ()
    ) -> None:
        self.domains = domains
        self.image_domains = (*domains, *image_hosts)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        domains = (*SINA_DOMAINS, *settings.getlist("SINACRAWL_EXTRA_DOMAINS"))
        hosts: tuple[str, ...] = ()
        if settings.get("SINACRAWL_IMAGES_DIR"):
            hosts = tuple(settings.getlist("SINACRAWL_IMAGE_HOSTS", list(DEFAULT_IMAGE_HOSTS)))
        return cls(domains, crawler.stats, hosts)

    def process_request(self, request: Request) -> None:
        # An image request, or the robots.txt Scrapy's RobotsTxtMiddleware fetches for its host
        image = request.meta.get(IMAGE_REQUEST) is True or (
            request.meta.get("dont_obey_robotstxt") is True
            and urlsplit(request.url).path == "/robots.txt"
        )
        problem = url_problem(request.url, self.image_domains if image else self.domains)
        if problem is None:
            return
        self.stats.inc_value(f"sinacrawl/request_blocked/{problem.reason}")
        redirected = request.meta.get("redirect_urls")
        origin = f" (redirected from {redirected[0]})" if redirected else ""
        logger.warning(
            "request blocked: %s: %s: %s%s", problem.reason, problem.detail, request.url, origin
        )
        raise BlockedRequest(f"blocked: {problem.reason}: {problem.detail}")


class ReplayMiddleware:
    """Answer every request from a replay folder, or record a live crawl into one.

    Settings: ``REPLAY_DIR`` (folder; unset = off, :class:`NotConfigured`), ``REPLAY_RECORD``
    (bool; with it the crawl goes live and each response is saved). Replay never touches the
    network: a URL the manifest lacks is a miss (stat ``replay/miss``) and an
    :class:`IgnoreRequest` whose message the request's errback logs; a ``robots.txt`` it lacks
    is answered 404 (allow all). Answers go
    through Scrapy's redirect, retry and HTTP-error middlewares like live responses; a
    ``timeout`` line raises Twisted's ``TimeoutError``. Stats: ``replay/hit``, ``replay/miss``,
    ``replay/timeout``, ``replay/recorded``. Shaped after Scrapy's ``HttpCacheMiddleware``.

    Saved bodies obey Scrapy's ``DOWNLOAD_MAXSIZE`` and ``DOWNLOAD_WARNSIZE`` (bytes, and the
    request's ``download_maxsize``/``download_warnsize`` meta) as downloads do (issue 13 item
    14): a larger body is not read, an :class:`IgnoreRequest` says its size (stat
    ``replay/too_large``); one over the warning size is logged.

    A ``REPLAY_DIR`` that is set but unusable (missing, no manifest, a bad line) never turns
    into a live crawl: one ERROR line names it and :class:`CloseSpider` from ``spider_opened``
    closes the spider with ``finish_reason`` ``replay_unusable`` before any request is sent
    (Scrapy ≥ 2.18 honours that). Under scrapyd that line and that reason are in the job log.
    """

    def __init__(
        self, folder: Path, record: bool, stats: StatsCollector, maxsize: int = 0, warnsize: int = 0
    ) -> None:
        self.folder = folder.resolve()
        self.record = record
        self.stats = stats
        self.maxsize = maxsize
        self.warnsize = warnsize
        self.answers: dict[str, list[ManifestEntry]] = {}
        self.served: defaultdict[str, int] = defaultdict(int)
        self.unusable = ""
        try:
            if record:
                self.folder.mkdir(parents=True, exist_ok=True)
            elif not self.folder.is_dir():
                raise ReplayError(f"REPLAY_DIR {self.folder} is not a folder")
            else:
                self.answers = load_manifest(self.folder)
        except (ReplayError, OSError) as exc:
            self.unusable = str(exc)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        folder = crawler.settings.get("REPLAY_DIR")
        if not folder:
            raise NotConfigured("REPLAY_DIR is not set")
        assert crawler.stats is not None
        middleware = cls(
            Path(folder),
            crawler.settings.getbool("REPLAY_RECORD"),
            crawler.stats,
            crawler.settings.getint("DOWNLOAD_MAXSIZE"),
            crawler.settings.getint("DOWNLOAD_WARNSIZE"),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        if self.unusable:
            logger.error("%s: the crawl stops before any request", self.unusable)
            raise CloseSpider(REPLAY_UNUSABLE)
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
            # The request's errback logs the outcome (one line per URL); this is the detail.
            logger.debug("replay miss: %s is not in %s", request.url, self.folder)
            raise IgnoreRequest(f"replay miss: not in {self.folder}")
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
            body = self._read_body(request, entry.file) if entry.file else b""
        except OSError as exc:
            self.stats.inc_value("replay/miss")
            logger.debug("replay miss: %s: cannot read %s: %s", request.url, entry.file, exc)
            raise IgnoreRequest(f"replay miss: cannot read {entry.file}: {exc}") from exc
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

    def _read_body(self, request: Request, file: Path) -> bytes:
        size = file.stat().st_size
        maxsize = int(request.meta.get("download_maxsize", self.maxsize))
        if maxsize and size > maxsize:
            self.stats.inc_value("replay/too_large")
            raise IgnoreRequest(
                f"replayed body of {size} bytes is larger than DOWNLOAD_MAXSIZE ({maxsize} bytes)"
            )
        warnsize = int(request.meta.get("download_warnsize", self.warnsize))
        if warnsize and size > warnsize:
            logger.warning(
                "replayed body of %d bytes is larger than DOWNLOAD_WARNSIZE (%d bytes): %s",
                size,
                warnsize,
                request.url,
            )
        return file.read_bytes()

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


class OutputFilter:
    """Base of the spider middlewares that drop some of what the spider yields, from
    ``start()`` and from every callback alike: a subclass says which by :meth:`wanted`."""

    def wanted(self, output: Any) -> bool:
        """True to pass ``output`` (a request or an item) on, False to drop it."""
        raise NotImplementedError

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if self.wanted(output):
                yield output

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        return (output for output in result if self.wanted(output))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            if self.wanted(output):
                yield output


class KnownPostsMiddleware(OutputFilter):
    """Drop the request for a feed article whose post exists and that Sina has not edited since
    the post was written, so that a scheduled crawl downloads only what may be new (the idea of
    scrapy-deltafetch, with the roll feed's ``mtime`` telling what changed).

    The record of "already written" is the post itself, ``POSTS_DIR/<docid>.md``: it is keyed by
    document id and appears only once its atomic rename is done, so a failed write is retried
    next run (SPEC section 4). An article is skipped only when its feed entry's ``mtime`` is
    older than the post file's modification time; an entry without ``mtime``, an article given
    with ``-a urls=`` and every feed page pass, so a changed article still replaces its post
    (SPEC section 4). An edit Sina makes without bumping ``mtime`` is not seen; setting
    ``POSTS_REFRESH`` (bool) turns this middleware off (:class:`NotConfigured`): every article is
    downloaded again and the writer replaces only the posts whose bytes changed.

    Settings: ``POSTS_DIR`` (path, default ``output``), ``SINACRAWL_POSTS_LAYOUT`` (the post
    may be in a ``YYYY/MM`` subfolder), ``POSTS_REFRESH``. Stat
    ``sinacrawl/post/skipped``; each skip is logged at DEBUG with its URL.
    """

    def __init__(self, posts_dir: Path, stats: StatsCollector, layout: str = "flat") -> None:
        self.posts_dir = posts_dir
        self.stats = stats
        self.locator = PostLocator(posts_dir, layout)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.getbool("POSTS_REFRESH"):
            raise NotConfigured("POSTS_REFRESH is set: every article is downloaded again")
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            Path(settings.get("POSTS_DIR", "output")),
            crawler.stats,
            settings.get("SINACRAWL_POSTS_LAYOUT", "flat"),
        )

    def wanted(self, output: Any) -> bool:
        """False for an article request whose post file is newer than the feed entry's
        ``mtime`` (counted and logged)."""
        if not isinstance(output, Request) or "docid" not in output.meta:
            return True
        modified = getattr(output.cb_kwargs.get("entry"), "modified", None)
        if modified is None:
            return True
        target = self.locator.existing(post_filename(output.meta["docid"], output.url))
        if target is None:
            return True
        try:
            written = target.stat().st_mtime
        except FileNotFoundError:
            return True
        if modified.timestamp() >= written:
            return True
        self.stats.inc_value("sinacrawl/post/skipped")
        logger.debug("post %s exists, not downloaded again: %s", target.name, output.url)
        return False
