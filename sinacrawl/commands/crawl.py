"""``scrapy crawl`` with an exit status that tells a stopped crawl (SPEC section 6)."""

from __future__ import annotations

import argparse

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from sinacrawl.distributed import REDIS_FAILED
from sinacrawl.extensions import ALL_FAILED, FEED_FAILED
from sinacrawl.middlewares import REPLAY_UNUSABLE
from sinacrawl.pipelines import UNWRITABLE

__all__ = ["Command"]

#: Finish reasons that mean the crawl failed as a whole.
FAILED_REASONS = frozenset({UNWRITABLE, REPLAY_UNUSABLE, FEED_FAILED, ALL_FAILED, REDIS_FAILED})


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl`` command, except that it checks the spider arguments before starting
    (a wrong one is a usage error, exit status 2) and exits with status 1 when the spider
    closed for one of :data:`FAILED_REASONS` (an output folder that cannot be written, a
    replay folder that cannot be used, a feed or every article failing: the ``finish_reason``
    stat), so that a scheduler (cron, scrapyd's runner) sees the failure. Scrapy's own command
    exits 0 for any crawl that started. It replaces Scrapy's through
    ``COMMANDS_MODULE = "sinacrawl.commands"``.
    """

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the spider's arguments first (a spider class's ``check_arguments``), so that a
        wrong ``-a`` is one usage error (exit status 2), not a traceback."""
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spidercls = None  # Scrapy's own command says the spider is unknown
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                assert self.settings is not None
                try:
                    check(self.settings, opts.spargs)
                except ValueError as exc:
                    raise UsageError(str(exc), print_help=False) from exc
        super().run(args, opts)
        stats = self.crawler.stats if self.crawler else None
        if stats is not None and stats.get_value("finish_reason") in FAILED_REASONS:
            self.exitcode = 1

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler: Crawler | None = super()._create_crawler(spidercls)
        return self.crawler
