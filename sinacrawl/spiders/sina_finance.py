"""Spider ``sina_finance``: Sina's roll feed (or given article URLs) → one item per article."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from sinacrawl.channels import Channel, channel_for_url, read_channels, select_channels
from sinacrawl.dates import beijing_day
from sinacrawl.docid import document_id
from sinacrawl.feed import FeedEntry, FeedError, feed_url, parse_feed
from sinacrawl.items import ArticleItem
from sinacrawl.middlewares import BlockedRequest
from sinacrawl.optin import EXPORTED_KEYS, export_fields
from sinacrawl.reachability import failure_kind, failure_reason, unreachable_host
from sinacrawl.spiderargs import warn_unknown
from sinacrawl.urlguard import SINA_DOMAINS, url_problem

__all__ = ["SinaFinanceSpider"]

logger = logging.getLogger(__name__)
#: A held-back copy of an article: its URL, feed entry and post categories.
_HeldCopy = tuple[str, "FeedEntry | None", tuple[str, ...]]

#: Without this Referer the roll feed answers 403 (SPEC section 5).
FEED_REFERER = "https://finance.sina.com.cn/"


@dataclass(frozen=True, slots=True)
class SpiderArguments:
    """The spider's arguments, read: the ``channels`` asked for, in the order given, feed
    ``pages`` per channel (>= 1), ``since`` and ``until`` (Beijing days, or None), the given
    article ``urls``, and ``table``, every channel of ``SINACRAWL_CHANNELS`` (for the URLs'
    paths).
    """

    channels: tuple[Channel, ...]
    pages: int
    since: date | None
    urls: tuple[str, ...]
    table: tuple[Channel, ...]
    until: date | None = None


def _day(name: str, value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValueError(f"{name} must be YYYY-MM-DD, got {value!r}") from None


def read_arguments(
    channels: dict[str, Any],
    channel: str = "china",
    pages: str | int = 1,
    since: str | None = None,
    until: str | None = None,
    urls: str | None = None,
    **_: Any,
) -> SpiderArguments:
    """Read the spider arguments (strings, as ``-a`` and scrapyd pass them; others are ignored
    here and warned about by :func:`sinacrawl.spiderargs.warn_unknown`) against ``channels``
    (the ``SINACRAWL_CHANNELS`` setting).

    >>> china = {"pageid": 155, "lid": 1686, "categories": ["a"]}
    >>> read_arguments({"china": china}, pages="2").pages
    2

    Raises :class:`ValueError` with a message for the user for a malformed argument, an
    ``until`` before ``since``, an ``urls`` given empty (issue 14: it used to run a whole feed
    crawl) or an unknown or malformed channel (:mod:`sinacrawl.channels`).
    """
    try:
        page_count = int(pages)
    except ValueError:
        raise ValueError(f"pages must be a whole number, got {pages!r}") from None
    if page_count < 1:
        raise ValueError(f"pages must be at least 1, got {page_count}")
    since_day, until_day = _day("since", since), _day("until", until)
    if since_day and until_day and until_day < since_day:
        raise ValueError(f"until ({until_day}) is before since ({since_day})")
    table = read_channels(channels)
    selected = select_channels(table, channel)
    given = tuple(u.strip() for u in (urls or "").split(",") if u.strip())
    if urls is not None and not given:
        raise ValueError("urls is empty: give comma-separated article URLs, or leave it out")
    return SpiderArguments(selected, page_count, since_day, given, table, until_day)


class SinaFinanceSpider(Spider):
    """Crawl channels of Sina Finance's roll feed, or the article URLs given.

    Spider arguments (strings, as scrapyd passes them; an unknown one is ignored with a WARNING
    naming :attr:`known_arguments`, issue 14):

    - ``channel``: keys of the ``SINACRAWL_CHANNELS`` setting, comma-separated, or ``all``
      (default ``china``, pageid 155, lid 1686). The channels' feeds are read one after the
      other, in the order given, so that an article several of them list gets the categories
      of the first (issue 12); a channel whose feed lists nothing is one WARNING naming it;
    - ``pages``: feed pages to read per channel, default ``1``; an empty page ends the
      channel's feed early;
    - ``since``, ``until``: ``YYYY-MM-DD``, Beijing-time days; feed entries published before
      ``since`` or after ``until`` are skipped (a backfill: both, with many ``pages``);
    - ``urls``: comma-separated article URLs; the feed is not read then. Each takes the
      categories of the channel whose ``paths`` hold its URL path, else of the first
      ``channel`` (:func:`~sinacrawl.channels.channel_for_url`).

    Raises :class:`ValueError` for a malformed argument or an unknown channel
    (:func:`read_arguments`).
    Duplicates (issue 11): an article is deduplicated by document id on success, not on
    scheduling. A repeat listed under another URL form is held back and requested only if the
    copy being tried fails (request error, redirect away, item dropped); once a copy's item
    passed every pipeline, later repeats are skipped.

    Settings: ``SINACRAWL_CHANNELS``, ``SINACRAWL_EXTRA_DOMAINS`` (hosts besides Sina's),
    ``SINACRAWL_FEED_MAX_ENTRIES`` (entries read per feed page; 0 = no cap).
    Stats: ``sinacrawl/feed/pages``, ``…/feed/failed``, ``…/feed/entries``, ``…/feed/too_old``,
    ``…/feed/too_new``, ``…/feed/empty_channel``, ``…/feed/over_limit`` (entries past the
    cap), ``monitor/feed_newest`` (the newest entry's publication time, POSIX seconds UTC),
    ``sinacrawl/unreachable`` (``host: reason``), ``sinacrawl/duplicate`` (every repeat, held
    back or skipped), ``sinacrawl/duplicate/tried`` (held-back copies requested after the first
    failed), ``sinacrawl/request_failed`` (+ ``…/<exception>``, ``…/TLSCertificateError``),
    ``sinacrawl/dropped/redirected`` (a deleted article sent elsewhere), ``…/dropped/not_html``,
    ``…/dropped/redirected_off_sina`` and ``…/dropped/blocked`` (a request
    :class:`~sinacrawl.middlewares.RequestGuardMiddleware` refused, or a redirect off Sina that
    Scrapy did not follow; issue 11 item 8).
    """

    name = "sina_finance"
    # the hosts a request may go to: Sina's and SINACRAWL_EXTRA_DOMAINS (from_crawler)
    allowed_domains: list[str]
    #: The ``-a`` arguments this spider reads (:func:`read_arguments`).
    known_arguments: ClassVar[frozenset[str]] = frozenset(
        {"channel", "pages", "since", "until", "urls"}
    )
    # set from the arguments in from_crawler (read_arguments)
    channels: tuple[Channel, ...]
    table: tuple[Channel, ...]
    pages: int
    since: date | None
    until: date | None
    article_urls: list[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: document ids whose item passed every pipeline
        self.done: set[str] = set()
        #: document id being tried → its URLs seen so far and the copies held back
        self.trying: dict[str, tuple[set[str], list[_HeldCopy]]] = {}
        self.allowed_domains = list(SINA_DOMAINS)
        self.feed_max_entries = 0

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The project's ``FEED_EXPORT_FIELDS`` with the opt-in keys whose settings are on
        (``updated``, ``tags``, ``description``; issue 15, :func:`~sinacrawl.optin.export_fields`),
        so that ``-O`` exports a key exactly when the posts carry it; a list given with ``-s``
        (or any priority above the project's) is left as it is."""
        super().update_settings(settings)
        if (settings.getpriority("FEED_EXPORT_FIELDS") or 0) > SETTINGS_PRIORITIES["project"]:
            return
        switches = {name for _, names in EXPORTED_KEYS for name in names}
        on = {name for name in switches if settings.getbool(name)}
        fields = export_fields(settings.getlist("FEED_EXPORT_FIELDS"), on)
        # "spider": Scrapy's crawl command merges the project's settings into the crawler's
        # again after this (CrawlerProcess.create_crawler), which would undo "project".
        settings.set("FEED_EXPORT_FIELDS", fields, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        warn_unknown(spider.name, cls.known_arguments, kwargs)
        crawler.signals.connect(spider.item_succeeded, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_failed, signal=signals.item_dropped)
        extra = crawler.settings.getlist("SINACRAWL_EXTRA_DOMAINS")
        spider.allowed_domains = [*SINA_DOMAINS, *extra]
        spider.feed_max_entries = crawler.settings.getint("SINACRAWL_FEED_MAX_ENTRIES")
        arguments = read_arguments(crawler.settings.getdict("SINACRAWL_CHANNELS"), **kwargs)
        spider.channels, spider.table = arguments.channels, arguments.table
        spider.pages, spider.since, spider.until = arguments.pages, arguments.since, arguments.until
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
                channel = channel_for_url(self.table, url) or self.channels[0]
                request = self.article_request(url, None, channel.categories)
                if request:
                    yield request
        else:
            yield self.feed_request(self.channels[0], 1)

    def feed_request(
        self, channel: Channel, page: int, listed: int = 0, failed: int = 0
    ) -> Request:
        """Page ``page`` of ``channel``'s feed: always fetched fresh, with Sina's Referer.
        ``listed`` and ``failed`` count the channel's entries and failed pages so far; they
        travel with the request, so that whichever process reads the last page (Redis mode)
        knows whether the channel listed nothing.
        """
        return Request(
            feed_url(channel.pageid, channel.lid, page),
            headers={"Referer": FEED_REFERER},
            dont_filter=True,
            callback=self.parse_feed,
            errback=self.feed_failed,
            cb_kwargs={"channel": channel.key, "page": page, "listed": listed, "failed": failed},
            priority=10,
        )

    def feed_next(
        self, key: str, page: int, listed: int, failed: int, url: str, ended: bool = False
    ) -> Iterator[Request]:
        """After page ``page`` of channel ``key``'s feed (``url``): its next page, or, at the
        channel's end (the ``pages`` read, or the feed ``ended`` early with an empty page), one
        WARNING if it listed nothing and no page of it failed (a failed page has said so), then
        the next channel's first page.
        """
        position = [channel.key for channel in self.channels].index(key)
        if not ended and page < self.pages:
            yield self.feed_request(self.channels[position], page + 1, listed, failed)
            return
        if not listed and not failed:
            self.crawler.stats.inc_value("sinacrawl/feed/empty_channel")
            logger.warning("channel %s: the feed lists no article: %s", key, url)
        if position + 1 < len(self.channels):
            yield self.feed_request(self.channels[position + 1], 1)

    def categories(self, key: str) -> tuple[str, ...]:
        """The post categories of channel ``key``."""
        return next(channel.categories for channel in self.channels if channel.key == key)

    def article_request(
        self, url: str, entry: FeedEntry | None, categories: tuple[str, ...]
    ) -> Request | None:
        """The request for one article (``meta["docid"]``: its document id, which
        :class:`~sinacrawl.middlewares.KnownPostsMiddleware` reads), or ``None`` for a URL that
        cannot be requested (logged; stat ``sinacrawl/feed/bad_entry`` for a feed entry,
        ``sinacrawl/bad_url`` for ``-a urls``) or a document id already requested (by an
        earlier channel, say). ``categories`` are those of the post.
        """
        problem = url_problem(url, self.allowed_domains)
        if problem:
            source, stat = ("feed entry", "feed/bad_entry") if entry else ("article URL", "bad_url")
            self.crawler.stats.inc_value(f"sinacrawl/{stat}")
            logger.warning("%s skipped: %s: %r", source, problem.detail, url)
            return None
        docid = document_id(url)
        if docid in self.done or docid in self.trying:
            self.crawler.stats.inc_value("sinacrawl/duplicate")
            urls, held = self.trying.get(docid, (None, []))
            if urls is None or url in urls:
                logger.info("duplicate article %s (document id %s) skipped", url, docid)
                return None
            urls.add(url)
            held.append((url, entry, categories))
            logger.info(
                "duplicate article %s (document id %s) held back: tried if the first copy fails",
                url,
                docid,
            )
            return None
        self.trying[docid] = ({url}, [])
        return self._article(url, entry, categories, docid, held_back=False)

    def _article(
        self,
        url: str,
        entry: FeedEntry | None,
        categories: tuple[str, ...],
        docid: str,
        *,
        held_back: bool,
    ) -> Request:
        # A held-back copy passes the duplicate filter: the document id is still in flight
        # (with REDIS_URL, leased by this worker), and its URL may differ only in what Scrapy's
        # fingerprint ignores.
        return Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry, "categories": categories},
            meta={"docid": docid},
            dont_filter=held_back,
        )

    def next_copy(self, docid: str) -> Request | None:
        """The request for the next held-back copy of article ``docid`` after the copy being
        tried failed, or ``None`` when none is left (issue 11: deduplicate on success)."""
        _, held = self.trying.get(docid, (set(), []))
        if not held:
            self.trying.pop(docid, None)
            return None
        url, entry, categories = held.pop(0)
        self.crawler.stats.inc_value("sinacrawl/duplicate/tried")
        logger.info("trying another copy of article %s: %s", docid, url)
        return self._article(url, entry, categories, docid, held_back=True)

    def item_succeeded(self, item: Any) -> None:
        """Signal ``item_scraped``: the article is done; held-back copies are forgotten."""
        if isinstance(item, ArticleItem):
            self.done.add(item.docid)
            self.trying.pop(item.docid, None)

    def item_failed(self, item: Any) -> None:
        """Signal ``item_dropped``: request the article's next held-back copy, if any."""
        if isinstance(item, ArticleItem):
            request = self.next_copy(item.docid)
            if request is not None:
                assert self.crawler.engine is not None
                self.crawler.engine.crawl(request)

    def parse_feed(
        self, response: Response, channel: str, page: int, listed: int, failed: int
    ) -> Iterator[Request]:
        """One roll-feed page of ``channel``: a request per wanted entry, then the next page.

        @url https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=1
        @cb_kwargs {"channel": "china", "page": 1, "listed": 0, "failed": 0}
        @returns requests 4 4
        """
        stats = self.crawler.stats
        try:
            entries = parse_feed(response.text)
        except (FeedError, AttributeError) as exc:
            stats.inc_value("sinacrawl/feed/failed")
            logger.warning(
                "feed page %d of channel %s failed: %s: %s", page, channel, exc, response.url
            )
            entries, failed = None, failed + 1
        if entries == []:
            logger.info(
                "channel %s: feed ended at page %d (empty): %s", channel, page, response.url
            )
            yield from self.feed_next(channel, page, listed, failed, response.url, ended=True)
            return
        if entries and 0 < self.feed_max_entries < len(entries):
            extra = len(entries) - self.feed_max_entries
            stats.inc_value("sinacrawl/feed/over_limit", extra)
            logger.warning(
                "feed page %d of channel %s lists %d entries; the %d past "
                "SINACRAWL_FEED_MAX_ENTRIES (%d) are dropped: %s",
                page, channel, len(entries), extra, self.feed_max_entries, response.url,
            )  # fmt: skip
            entries = entries[: self.feed_max_entries]
        if entries:
            listed += len(entries)
            stats.inc_value("sinacrawl/feed/pages")
            stats.inc_value("sinacrawl/feed/entries", len(entries))
            newest = max((e.published.timestamp() for e in entries if e.published), default=0)
            if newest:
                stats.max_value("monitor/feed_newest", int(newest))
            for entry in entries:
                day = beijing_day(entry.published) if entry.published else None
                if self.since and day and day < self.since:
                    stats.inc_value("sinacrawl/feed/too_old")
                    continue
                if self.until and day and day > self.until:
                    stats.inc_value("sinacrawl/feed/too_new")
                    continue
                request = self.article_request(entry.url, entry, self.categories(channel))
                if request:
                    yield request
        yield from self.feed_next(channel, page, listed, failed, response.url)

    def note_unreachable(self, failure: Failure) -> None:
        """Record a host that could not be reached at all (stat ``sinacrawl/unreachable``,
        ``"host: reason"``; :mod:`sinacrawl.reachability`)."""
        url: str = failure.request.url  # type: ignore[attr-defined]
        where = unreachable_host(url, failure.value) if failure.value else None
        if where:
            self.crawler.stats.set_value("sinacrawl/unreachable", where)

    def feed_failed(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        key, page = request.cb_kwargs["channel"], request.cb_kwargs["page"]
        self.crawler.stats.inc_value("sinacrawl/feed/failed")
        self.note_unreachable(failure)
        if not isinstance(failure.value, BlockedRequest):  # RequestGuardMiddleware has logged it
            logger.warning(
                "feed page %d of channel %s failed: %s: %s",
                page,
                key,
                failure_reason(failure),
                request.url,
            )
        listed, failed = request.cb_kwargs["listed"], request.cb_kwargs["failed"] + 1
        yield from self.feed_next(key, page, listed, failed, request.url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[ArticleItem | Request]:
        """An article page given on its own, as ``scrapy parse`` does: :meth:`parse_article`
        with the categories of the channel whose paths hold its URL, else the first."""
        channel = channel_for_url(self.table, response.url) or self.channels[0]
        return self.parse_article(response, None, channel.categories)

    def parse_article(
        self, response: Response, entry: FeedEntry | None, categories: tuple[str, ...]
    ) -> Iterator[ArticleItem | Request]:
        """One article page → one :class:`~sinacrawl.items.ArticleItem` (the pipelines make
        it a post); none for a redirect to another article or a page that is not HTML (then
        the request for a held-back copy of the article, if any).

        @url https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml
        @cb_kwargs {"entry": null, "categories": ["金融", "新浪财经", "新浪财经－国內"]}
        @returns items 1 1
        @returns requests 0 0
        @scrapes url docid page categories
        """
        original = response.meta.get("redirect_urls", [response.url])[0]
        docid = document_id(original)
        stats = self.crawler.stats
        if document_id(response.url) != docid:
            stats.inc_value("sinacrawl/dropped/redirected")
            logger.warning("article gone: %s redirected to %s", original, response.url)
            yield from self._next_copy_of(response)
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("sinacrawl/dropped/not_html")
            logger.warning("not an HTML page: %s", original)
            yield from self._next_copy_of(response)
            return
        content_type = response.headers.get("Content-Type")
        yield ArticleItem(
            url=original,
            docid=docid,
            page=response.body,
            content_type=content_type.decode("latin-1") if content_type else None,
            feed_title=entry.title if entry else None,
            feed_published=entry.published if entry else None,
            feed_modified=entry.modified if entry else None,
            feed_intro=entry.intro if entry else None,
            feed_media_name=entry.media_name if entry else None,
            since=self.since,
            categories=categories,
        )

    def _next_copy_of(self, response: Response) -> Iterator[Request]:
        docid = response.meta.get("docid")
        request = self.next_copy(docid) if docid else None
        if request is not None:
            yield request

    def article_failed(self, failure: Failure) -> Iterator[Request]:
        self._count_failure(failure)
        docid = failure.request.meta.get("docid")  # type: ignore[attr-defined]
        request = self.next_copy(docid) if docid else None
        if request is not None:
            yield request

    def _count_failure(self, failure: Failure) -> None:
        """Count and log one failed article request. A request RequestGuardMiddleware refused
        has been logged there: it is counted as a drop, ``redirected_off_sina`` when a redirect
        led off Sina (issue 11 item 8), else ``blocked``."""
        stats = self.crawler.stats
        if isinstance(failure.value, BlockedRequest):
            redirected = "redirect_urls" in failure.request.meta  # type: ignore[attr-defined]
            reason = "redirected_off_sina" if redirected else "blocked"
            stats.inc_value(f"sinacrawl/dropped/{reason}")
            return
        if isinstance(failure.value, HttpError) and self._redirect_not_followed(failure.value):
            return
        stats.inc_value("sinacrawl/request_failed")
        self.note_unreachable(failure)
        stats.inc_value(f"sinacrawl/request_failed/{failure_kind(failure)}")
        logger.warning(
            "article failed: %s: %s",
            failure_reason(failure),
            failure.request.url,  # type: ignore[attr-defined]
        )

    def _redirect_not_followed(self, error: HttpError) -> bool:
        """Log and count a redirect off Sina that Scrapy's RedirectMiddleware did not follow
        (a ``Location`` that is not http(s), such as ``file:``) as a lost article (issue 11
        item 8), and say so; ``False`` for any other HTTP error.
        """
        response = error.response
        location = (response.headers.get("Location") or b"").decode("latin-1")
        if not 300 <= response.status < 400 or not location:
            return False
        target = response.urljoin(location)
        problem = url_problem(target, self.allowed_domains)
        if problem is None:
            return False
        self.crawler.stats.inc_value("sinacrawl/dropped/redirected_off_sina")
        logger.warning(
            "article gone: %s redirected off Sina to %s (%s), not followed",
            response.url, target, problem.detail,
        )  # fmt: skip
        return True
