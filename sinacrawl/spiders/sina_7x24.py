"""Spider ``sina_7x24``: Sina's 7x24 live news → one digest post per Beijing day per channel."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from sinacrawl.dates import parse_iso
from sinacrawl.digest import day_start, digest_stem, digest_title, flashes_by_day, open_days
from sinacrawl.items import DigestItem
from sinacrawl.reachability import failure_reason
from sinacrawl.spiderargs import warn_unknown
from sinacrawl.urlguard import SINA_DOMAINS
from sinacrawl.zhibo import (
    Flash,
    ZhiboChannel,
    ZhiboError,
    parse_zhibo,
    read_zhibo_channels,
    select_zhibo_channels,
    zhibo_url,
)

__all__ = ["Sina7x24Spider"]

logger = logging.getLogger(__name__)

#: Sina's own 7x24 page, which calls the zhibo API: its requests say they come from there, as
#: the roll feed's say they come from finance.sina.com.cn (SPEC section 5).
REFERER = "https://finance.sina.com.cn/7x24/"
#: The largest ``pagesize`` sinacrawl asks for: a busy day fits in a few pages of it.
MAX_PAGESIZE = 100


@dataclass(frozen=True, slots=True)
class Arguments:
    """The spider's arguments and settings, read: the ``channels`` asked for, at most ``pages``
    pages of ``pagesize`` flashes per channel, the ``days`` (Beijing) the tick may write."""

    channels: tuple[ZhiboChannel, ...]
    pages: int
    pagesize: int
    days: tuple[date, ...]


def _whole(name: str, value: str | int, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be from {low} to {high}, got {number}")
    return number


def read_arguments(
    settings: BaseSettings,
    zhibo: str = "152",
    pages: str | int = 20,
    pagesize: str | int = 50,
    **_: Any,
) -> Arguments:
    """Read the spider arguments (strings; others, such as scrapyd's ``_job``, are ignored) and
    the settings ``SINACRAWL_7X24_CHANNELS`` (the channel table), ``SINACRAWL_7X24_GRACE``
    (seconds after midnight during which yesterday's digest may still grow) and
    ``SINACRAWL_7X24_NOW`` (ISO 8601, Beijing time without an offset: the moment the crawl
    takes as now, for replays of a recorded tick; unset = this machine's clock).

    Raises :class:`ValueError` with a message for the user for a malformed argument or
    setting, or a ``REDIS_URL`` (a digest is built from every page of a channel in one process).
    """
    if settings.get("REDIS_URL"):
        raise ValueError("sina_7x24 runs in one process: unset REDIS_URL for it")
    channels = select_zhibo_channels(
        read_zhibo_channels(settings.getdict("SINACRAWL_7X24_CHANNELS")), zhibo
    )
    fixed = settings.get("SINACRAWL_7X24_NOW")
    now = parse_iso(str(fixed)) if fixed else datetime.now(UTC)
    if now is None:
        raise ValueError(f"SINACRAWL_7X24_NOW must be an ISO 8601 time, got {fixed!r}")
    try:
        grace = timedelta(seconds=settings.getfloat("SINACRAWL_7X24_GRACE", 3600.0))
    except ValueError:
        raise ValueError("SINACRAWL_7X24_GRACE must be a number of seconds") from None
    return Arguments(
        channels,
        _whole("pages", pages, 1, 1000),
        _whole("pagesize", pagesize, 1, MAX_PAGESIZE),
        open_days(now, grace),
    )


class Sina7x24Spider(Spider):
    """Read each 7x24 channel's flashes, newest first, back to the start of the oldest day a
    tick may write (:func:`sinacrawl.digest.open_days`), and yield one
    :class:`~sinacrawl.items.DigestItem` per such day that has flashes (issue 12). The writer
    replaces the day's post only when its bytes change; a day that is over is never touched.

    Spider arguments (strings; an unknown one is ignored with a WARNING, issue 14):
    ``zhibo`` (zhibo ids of
    ``SINACRAWL_7X24_CHANNELS``, comma-separated, or ``all``; default ``152``), ``pages`` (at
    most this many pages per channel, default 20), ``pagesize`` (flashes a page, default 50, at
    most 100). A channel whose pages stop before the start of an open day (the ``pages`` cap, a
    failed page) does not write that day: one WARNING says so (stat ``sinacrawl/7x24/incomplete``),
    so that a digest never shrinks. Stats: ``sinacrawl/feed/pages``, ``…/feed/failed``,
    ``…/feed/entries`` (flashes listed), ``…/feed/bad_entry``, ``sinacrawl/duplicate`` (a flash
    listed twice).
    """

    name = "sina_7x24"
    # One process builds a day's digest: the environment's SINACRAWL_REDIS_URL is not for it.
    runs_distributed: ClassVar[bool] = False
    allowed_domains: ClassVar[list[str]] = list(SINA_DOMAINS)
    #: The ``-a`` arguments this spider reads (:func:`read_arguments`); others are warned about.
    known_arguments: ClassVar[frozenset[str]] = frozenset({"zhibo", "pages", "pagesize"})
    # set in from_crawler (read_arguments)
    channels: tuple[ZhiboChannel, ...]
    pages: int
    pagesize: int
    days: tuple[date, ...]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flashes: dict[int, list[Flash]] = {}

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The project's item pipelines, with :class:`~sinacrawl.pipelines.DigestPipeline` in
        the place of the two that read an article page; any other pipeline stays."""
        super().update_settings(settings)
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        page_readers = ("sinacrawl.pipelines.FieldsPipeline", "sinacrawl.pipelines.BodyPipeline")
        priority = min(
            (pipelines.pop(name) for name in page_readers if name in pipelines), default=100
        )
        pipelines["sinacrawl.pipelines.DigestPipeline"] = priority
        settings.set("ITEM_PIPELINES", pipelines, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        warn_unknown(spider.name, cls.known_arguments, kwargs)
        arguments = read_arguments(crawler.settings, **kwargs)
        spider.channels, spider.days = arguments.channels, arguments.days
        spider.pages, spider.pagesize = arguments.pages, arguments.pagesize
        return spider

    @classmethod
    def check_arguments(cls, settings: BaseSettings, arguments: dict[str, str]) -> None:
        """Raise :class:`ValueError` (a message for the user) if ``arguments`` or the settings
        are not valid: what ``scrapy crawl`` calls before it starts anything."""
        read_arguments(settings, **arguments)

    async def start(self) -> AsyncIterator[Request]:
        logger.info("7x24: open days %s", ", ".join(day.isoformat() for day in self.days))
        for channel in self.channels:
            self.flashes[channel.zhibo_id] = []
            yield self.page_request(channel, 1)

    def page_request(self, channel: ZhiboChannel, page: int) -> Request:
        """Page ``page`` of ``channel``: always fetched fresh."""
        return Request(
            zhibo_url(channel.zhibo_id, page, self.pagesize),
            headers={"Referer": REFERER},
            dont_filter=True,
            callback=self.parse_page,
            errback=self.page_failed,
            cb_kwargs={"channel": channel, "page": page},
        )

    def parse_page(
        self, response: Response, channel: ZhiboChannel, page: int
    ) -> Iterator[Request | DigestItem]:
        stats = self.crawler.stats
        try:
            listed = parse_zhibo(response.text)
        except (ZhiboError, AttributeError) as exc:
            stats.inc_value("sinacrawl/feed/failed")
            logger.warning(
                "7x24 page %d of channel %d failed: %s: %s",
                page,
                channel.zhibo_id,
                exc,
                response.url,
            )
            yield from self.finish(channel, complete=False, url=response.url)
            return
        stats.inc_value("sinacrawl/feed/pages")
        stats.inc_value("sinacrawl/feed/entries", len(listed.flashes) + len(listed.bad))
        for reason in listed.bad:
            stats.inc_value("sinacrawl/feed/bad_entry")
            logger.warning("7x24 entry skipped: %s: %s", reason, response.url)
        self.flashes[channel.zhibo_id].extend(listed.flashes)
        start = day_start(self.days[0])
        if listed.last or any(flash.created < start for flash in listed.flashes):
            yield from self.finish(channel, complete=True, url=response.url)
        elif page < self.pages:
            yield self.page_request(channel, page + 1)
        else:
            yield from self.finish(channel, complete=False, url=response.url)

    def page_failed(self, failure: Failure) -> Iterator[DigestItem]:
        request: Request = failure.request  # type: ignore[attr-defined]
        channel: ZhiboChannel = request.cb_kwargs["channel"]
        self.crawler.stats.inc_value("sinacrawl/feed/failed")
        logger.warning(
            "7x24 page %d of channel %d failed: %s: %s",
            request.cb_kwargs["page"],
            channel.zhibo_id,
            failure_reason(failure),
            request.url,
        )
        yield from self.finish(channel, complete=False, url=request.url)

    def finish(self, channel: ZhiboChannel, complete: bool, url: str) -> Iterator[DigestItem]:
        """One item per open day of ``channel`` with flashes. Unless the pages reached back
        past the oldest open day's start (``complete``), a day is written only if a flash
        older than its start was seen; the others are one WARNING each."""
        flashes = self.flashes.pop(channel.zhibo_id)
        listed = len(flashes)
        unique = {flash.id for flash in flashes}
        if listed > len(unique):
            self.crawler.stats.inc_value("sinacrawl/duplicate", listed - len(unique))
        oldest = min((flash.created for flash in flashes), default=None)
        first_page = zhibo_url(channel.zhibo_id, 1, self.pagesize)
        for day, of_day in flashes_by_day(flashes, self.days).items():
            if not complete and (oldest is None or oldest >= day_start(day)):
                self.crawler.stats.inc_value("sinacrawl/7x24/incomplete")
                logger.warning(
                    "7x24 channel %d: the pages read do not reach back to the start of %s; "
                    "its digest is left as it is (raise pages?): %s",
                    channel.zhibo_id,
                    day.isoformat(),
                    url,
                )
                continue
            yield DigestItem(
                url=first_page,
                docid=digest_stem(channel.zhibo_id, day),
                title=digest_title(channel.title, day),
                categories=channel.categories,
                flashes=tuple(of_day),
            )
        if complete and not listed:
            logger.warning("7x24 channel %d lists no flash: %s", channel.zhibo_id, url)
