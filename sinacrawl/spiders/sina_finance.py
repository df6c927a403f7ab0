"""Spider ``sina_finance``: Sina's roll feed (or given article URLs) → one item per article."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from sinacrawl.dates import beijing_day
from sinacrawl.docid import document_id
from sinacrawl.feed import FeedEntry, FeedError, feed_url, parse_feed
from sinacrawl.items import ArticleItem

__all__ = ["SinaFinanceSpider"]

logger = logging.getLogger(__name__)

#: Without this Referer the roll feed answers 403 (SPEC section 5).
FEED_REFERER = "https://finance.sina.com.cn/"


def _failure_reason(failure: Failure) -> str:
    """A failed request's reason in a few words: ``HTTP 404`` for an HTTP error status, else
    the exception's class and message (``TimeoutError: …``).
    """
    if isinstance(failure.value, HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"  # type: ignore[union-attr]


#: Hosts sinacrawl requests (the spider's ``allowed_domains``, and their subdomains).
SINA_DOMAINS = ("sina.com.cn", "sina.cn")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an article request (``None`` when it can): not http(s), a
    malformed host or port, or a host outside Sina's domains. Sina's feed has been seen listing
    none of these, but one such entry must not end the feed page it is on, nor vanish without
    a word (Scrapy's offsite filter logs at DEBUG only).

    >>> url_problem("https://finance.sina.com.cn/a/doc-ia.shtml") is None
    True
    >>> url_problem("https://finance.sina.com.cn:99999/a")
    'Port out of range 0-65535'
    """
    if not url.startswith(("http://", "https://")):
        return "not an http(s) URL"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        return str(exc)
    host = parts.hostname or ""
    if not host:
        return "no host"
    if not any(host == d or host.endswith("." + d) for d in SINA_DOMAINS):
        return f"{host} is not a Sina host"
    return None


@dataclass(frozen=True, slots=True)
class SpiderArguments:
    """The spider's arguments, read: the channel's roll-feed ``lid`` and post ``categories``,
    feed ``pages`` (>= 1), ``since`` (a Beijing day, or None) and the given article ``urls``.
    """

    lid: int
    categories: tuple[str, ...]
    pages: int
    since: date | None
    urls: tuple[str, ...]


def read_arguments(
    channels: dict[str, Any],
    channel: str = "china",
    pages: str | int = 1,
    since: str | None = None,
    urls: str | None = None,
    **_: Any,
) -> SpiderArguments:
    """Read the spider arguments (strings, as ``-a`` and scrapyd pass them; others, such as
    scrapyd's ``_job``, are ignored) against ``channels`` (the ``SINACRAWL_CHANNELS`` setting).

    >>> read_arguments({"china": {"lid": 1686, "categories": ["a"]}}, pages="2").pages
    2

    Raises :class:`ValueError` with a message for the user for a malformed argument or an
    unknown or malformed channel.
    """
    try:
        page_count = int(pages)
    except ValueError:
        raise ValueError(f"pages must be a whole number, got {pages!r}") from None
    if page_count < 1:
        raise ValueError(f"pages must be at least 1, got {page_count}")
    try:
        since_day = date.fromisoformat(since) if since else None
    except ValueError:
        raise ValueError(f"since must be YYYY-MM-DD, got {since!r}") from None
    if channel not in channels:
        raise ValueError(f"unknown channel {channel!r}; SINACRAWL_CHANNELS has {sorted(channels)}")
    try:
        lid = int(channels[channel]["lid"])
        categories = tuple(str(c) for c in channels[channel]["categories"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            f"SINACRAWL_CHANNELS[{channel!r}] needs an integer 'lid' and a list 'categories'"
        ) from exc
    given = tuple(u.strip() for u in (urls or "").split(",") if u.strip())
    return SpiderArguments(lid, categories, page_count, since_day, given)


class SinaFinanceSpider(Spider):
    """Crawl one channel of Sina Finance's roll feed, or the article URLs given.

    Spider arguments (strings, as scrapyd passes them; unknown ones are accepted):

    - ``channel``: a key of the ``SINACRAWL_CHANNELS`` setting (default ``china``, lid 1686);
    - ``pages``: feed pages to read, default ``1``; an empty page ends the feed early;
    - ``since``: ``YYYY-MM-DD``, a Beijing-time day; older feed entries are skipped;
    - ``urls``: comma-separated article URLs; the feed is not read then.

    Raises :class:`ValueError` for a malformed argument or an unknown channel
    (:func:`read_arguments`).
    Stats: ``sinacrawl/feed/pages``, ``…/feed/failed``, ``…/feed/entries``, ``…/feed/too_old``,
    ``sinacrawl/duplicate``, ``sinacrawl/request_failed`` (+ ``…/<exception>``),
    ``sinacrawl/dropped/redirected`` (a deleted article sent elsewhere), ``…/dropped/not_html``.
    """

    name = "sina_finance"
    allowed_domains: ClassVar[list[str]] = list(SINA_DOMAINS)
    # set from the arguments in from_crawler (read_arguments)
    lid: int
    categories: tuple[str, ...]
    pages: int
    since: date | None
    article_urls: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        arguments = read_arguments(crawler.settings.getdict("SINACRAWL_CHANNELS"), **kwargs)
        spider.lid, spider.categories = arguments.lid, arguments.categories
        spider.pages, spider.since = arguments.pages, arguments.since
        spider.article_urls = list(arguments.urls)
        return spider

    @classmethod
    def check_arguments(cls, settings: BaseSettings, arguments: dict[str, str]) -> None:
        """Raise :class:`ValueError` (a message for the user) if ``arguments`` are not valid:
        what ``scrapy crawl`` calls before it starts anything (:mod:`sinacrawl.commands.crawl`).
        """
        read_arguments(settings.getdict("SINACRAWL_CHANNELS"), **arguments)

    async def start(self) -> AsyncIterator[Request]:
        if self.article_urls:
            for url in self.article_urls:
                request = self.article_request(url, None)
                if request:
                    yield request
        else:
            yield self.feed_request(1)

    def feed_request(self, page: int) -> Request:
        """Feed page ``page``: always fetched fresh, with Sina's Referer."""
        return Request(
            feed_url(self.lid, page),
            headers={"Referer": FEED_REFERER},
            dont_filter=True,
            callback=self.parse_feed,
            errback=self.feed_failed,
            cb_kwargs={"page": page},
            priority=10,
        )

    def article_request(self, url: str, entry: FeedEntry | None) -> Request | None:
        """The request for one article (``meta["docid"]``: its document id, which
        :class:`~sinacrawl.middlewares.KnownPostsMiddleware` reads), or ``None`` for a URL that
        cannot be requested (logged; stat ``sinacrawl/feed/bad_entry`` for a feed entry,
        ``sinacrawl/bad_url`` for ``-a urls``) or a document id already requested.
        """
        problem = url_problem(url)
        if problem:
            source, stat = ("feed entry", "feed/bad_entry") if entry else ("article URL", "bad_url")
            self.crawler.stats.inc_value(f"sinacrawl/{stat}")
            logger.warning("%s skipped: %s: %r", source, problem, url)
            return None
        docid = document_id(url)
        if docid in self.requested:
            self.crawler.stats.inc_value("sinacrawl/duplicate")
            logger.info("duplicate article %s (document id %s) skipped", url, docid)
            return None
        self.requested.add(docid)
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry},
            meta={"docid": docid},
        )

    def parse_feed(self, response: Response, page: int) -> Iterator[Request]:
        stats = self.crawler.stats
        try:
            entries = parse_feed(response.text)
        except (FeedError, AttributeError) as exc:
            stats.inc_value("sinacrawl/feed/failed")
            logger.warning("feed page %d failed: %s: %s", page, exc, response.url)
            entries = None
        if entries == []:
            logger.info("feed ended at page %d (empty): %s", page, response.url)
            return
        if entries:
            stats.inc_value("sinacrawl/feed/pages")
            stats.inc_value("sinacrawl/feed/entries", len(entries))
            for entry in entries:
                if self.since and entry.published and beijing_day(entry.published) < self.since:
                    stats.inc_value("sinacrawl/feed/too_old")
                    continue
                request = self.article_request(entry.url, entry)
                if request:
                    yield request
        if page < self.pages:
            yield self.feed_request(page + 1)

    def feed_failed(self, failure: Failure) -> Iterator[Request]:
        page: int = failure.request.cb_kwargs["page"]  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("sinacrawl/feed/failed")
        logger.warning(
            "feed page %d failed: %s: %s",
            page,
            _failure_reason(failure),
            failure.request.url,  # type: ignore[attr-defined]
        )
        if page < self.pages:
            yield self.feed_request(page + 1)

    def parse_article(self, response: Response, entry: FeedEntry | None) -> Iterator[ArticleItem]:
        original = response.meta.get("redirect_urls", [response.url])[0]
        docid = document_id(original)
        stats = self.crawler.stats
        if document_id(response.url) != docid:
            stats.inc_value("sinacrawl/dropped/redirected")
            logger.warning("article gone: %s redirected to %s", original, response.url)
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("sinacrawl/dropped/not_html")
            logger.warning("not an HTML page: %s", original)
            return
        content_type = response.headers.get("Content-Type")
        yield ArticleItem(
            url=original,
            docid=docid,
            page=response.body,
            content_type=content_type.decode("latin-1") if content_type else None,
            feed_title=entry.title if entry else None,
            feed_published=entry.published if entry else None,
            categories=self.categories,
        )

    def article_failed(self, failure: Failure) -> None:
        stats = self.crawler.stats
        stats.inc_value("sinacrawl/request_failed")
        stats.inc_value(f"sinacrawl/request_failed/{failure.type.__name__}")  # type: ignore[union-attr]
        logger.warning(
            "article failed: %s: %s",
            _failure_reason(failure),
            failure.request.url,  # type: ignore[attr-defined]
        )
