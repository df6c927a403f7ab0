"""``scrapy crawl`` with an exit status that tells a stopped crawl (SPEC section 6)."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler

from sinacrawl.middlewares import REPLAY_UNUSABLE
from sinacrawl.pipelines import UNWRITABLE

__all__ = ["Command"]

#: Finish reasons that mean the crawl failed as a whole.
FAILED_REASONS = frozenset({UNWRITABLE, REPLAY_UNUSABLE})


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl`` command, except that it exits with status 1 when the spider closed
    for one of :data:`FAILED_REASONS` (an output folder that cannot be written, a replay
    folder that cannot be used), so that a
    scheduler (cron, scrapyd's runner) sees the failure. Scrapy's own command exits 0 for any
    crawl that started. It replaces Scrapy's through ``COMMANDS_MODULE = "sinacrawl.commands"``.
    """

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        crawler = super()._create_crawler(spidercls)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)
        return crawler

    def _spider_closed(self, spider: Spider, reason: str) -> None:
        if reason in FAILED_REASONS:
            self.exitcode = 1
