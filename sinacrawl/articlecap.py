"""``SINACRAWL_MAX_ARTICLES``: at most N article downloads per tick, the feed's first
(newest) ones (issue 14)."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from sinacrawl.middlewares import OutputFilter

__all__ = ["ArticleCapMiddleware"]

logger = logging.getLogger(__name__)


class ArticleCapMiddleware(OutputFilter):
    """Spider middleware: let the first ``SINACRAWL_MAX_ARTICLES`` article requests (those
    with ``meta["docid"]``) through, in the order the spider yields them (the roll feed lists
    the newest first; ``-a urls`` in the order given), and drop every request after that,
    further feed pages included. It sits after
    :class:`~sinacrawl.middlewares.KnownPostsMiddleware`, so an article whose post is already
    there does not count. The rest waits for the next tick.

    Setting ``SINACRAWL_MAX_ARTICLES`` (int, 0 = no cap, the default: :class:`NotConfigured`).
    Stat ``sinacrawl/capped`` (article requests dropped); one INFO line when the cap is hit.
    """

    def __init__(self, cap: int, stats: StatsCollector) -> None:
        self.cap = cap
        self.stats = stats
        self.admitted = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        cap = crawler.settings.getint("SINACRAWL_MAX_ARTICLES", 0)
        if cap <= 0:
            raise NotConfigured  # no cap: the default, so no "Disabled" WARNING
        assert crawler.stats is not None
        return cls(cap, crawler.stats)

    def wanted(self, output: Any) -> bool:
        """False for a request past the cap (an article is counted in ``sinacrawl/capped``)."""
        if not isinstance(output, Request):
            return True
        is_article = "docid" in output.meta
        if self.admitted < self.cap:
            self.admitted += is_article
            return True
        if is_article:
            if not self.stats.get_value("sinacrawl/capped"):
                logger.info(
                    "SINACRAWL_MAX_ARTICLES=%d reached: the other articles wait for the next tick",
                    self.cap,
                )
            self.stats.inc_value("sinacrawl/capped")
        return False
