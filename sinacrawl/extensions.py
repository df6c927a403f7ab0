"""Extensions: the one-line summary a crawl ends with (SPEC section 6), and the count of
articles lost to an unexpected error."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from twisted.python.failure import Failure

__all__ = ["ALL_FAILED", "FEED_FAILED", "CrawlSummary", "UnexpectedErrors"]

logger = logging.getLogger(__name__)
#: The finish reasons of a crawl that produced no post because its feed, or every article,
#: failed (README: a failed job has a ``finish_reason`` other than ``finished``).
FEED_FAILED = "feed_failed"
ALL_FAILED = "all_failed"


class CrawlSummary:
    """Log posts written, unchanged, replaced, skipped (already there), dropped by reason and
    requests failed when the spider closes, as one ``summary:`` line. A crawl that produced or
    found no post while something failed ends with one ERROR line saying so, so that it never
    looks like a quiet success: ``the feed failed`` when no feed page listed an article, else
    ``every article failed``; its stat ``finish_reason`` becomes :data:`FEED_FAILED` or
    :data:`ALL_FAILED` (naming a host that could not be reached at all, the stat
    ``sinacrawl/unreachable``; this extension runs after Scrapy's CoreStats has set it), which
    ``scrapy crawl`` turns into exit status 1. A crawl stopped before its end (an unwritable
    ``POSTS_DIR``, which has said why in its own ERROR line, Ctrl-C, another tick running)
    keeps its own finish reason. A Redis worker whose own articles all failed has not failed
    while other workers of its crawl wrote posts (stat ``sinacrawl/redis/done_elsewhere``,
    :class:`~sinacrawl.cluster.LeasingScheduler`).
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = self.stats.get_stats()
        posts = {
            k: int(stats.get(f"sinacrawl/post/{k}", 0))
            for k in ("written", "unchanged", "replaced", "skipped")
        }
        dropped = {
            key.rsplit("/", 1)[1]: int(value)
            for key, value in sorted(stats.items())
            if key.startswith("sinacrawl/dropped/")
        }
        failed = int(stats.get("sinacrawl/request_failed", 0))
        feed_failed = int(stats.get("sinacrawl/feed/failed", 0))
        listed = int(stats.get("sinacrawl/feed/entries", 0))
        forbidden = int(stats.get("robotstxt/forbidden", 0))
        bad_urls = int(stats.get("sinacrawl/bad_url", 0))
        reasons = ", ".join(f"{k}={v}" for k, v in dropped.items()) or "none"
        failure = None
        # Only a crawl that ran to its end failed "as a whole": one stopped (Ctrl-C, an
        # unwritable POSTS_DIR, another tick running) keeps its own reason. A post kept because
        # it is not sinacrawl's was read fine (issue 13 item 12).
        kept = int(stats.get("sinacrawl/post/kept_foreign", 0))
        # A worker of a distributed crawl is judged with the crawl: other workers' posts count.
        elsewhere = int(stats.get("sinacrawl/redis/done_elsewhere", 0))
        if not sum(posts.values()) + kept + elsewhere and reason == "finished":
            if feed_failed and not listed:
                failure = FEED_FAILED
            elif failed or dropped or forbidden or bad_urls:
                failure = ALL_FAILED
        if failure:
            self.stats.set_value("finish_reason", failure)
        logger.info(
            "summary: written=%d unchanged=%d replaced=%d skipped=%d dropped=%d (%s) "
            "requests_failed=%d feed_pages_failed=%d finish_reason=%s",
            posts["written"], posts["unchanged"], posts["replaced"], posts["skipped"],
            sum(dropped.values()),
            reasons, failed, feed_failed, failure or reason,
        )  # fmt: skip
        unreachable = stats.get("sinacrawl/unreachable")
        cause = f"; cannot reach {unreachable}" if unreachable else ""
        if failure == FEED_FAILED:
            logger.error(
                "the feed failed: %d feed pages failed and none listed an article; no post was "
                "produced%s",
                feed_failed, cause,
            )  # fmt: skip
        elif failure == ALL_FAILED:
            logger.error(
                "every article failed: %d requests failed, %d dropped, %d forbidden by "
                "robots.txt%s; no post was produced%s",
                failed, sum(dropped.values()), forbidden,
                f", {bad_urls} given URLs invalid" if bad_urls else "", cause,
            )  # fmt: skip


class UnexpectedErrors:
    """Count what an unexpected exception loses, so that no crash leaves ``dropped=0`` in the
    summary and ``finished`` with nothing written (issue 13 item 14): an item a pipeline raised
    on (other than :class:`~scrapy.exceptions.DropItem`) is ``sinacrawl/dropped/error``, a
    response a spider callback raised on is ``sinacrawl/dropped/spider_error``. Scrapy has
    already logged each, as an ERROR with its traceback and the item or URL.
    """

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        crawler.signals.connect(extension.spider_error, signal=signals.spider_error)
        return extension

    def item_error(self, item: Any, response: Response | None, failure: Failure) -> None:
        self.stats.inc_value("sinacrawl/dropped/error")

    def spider_error(self, failure: Failure, response: Response) -> None:
        self.stats.inc_value("sinacrawl/dropped/spider_error")
