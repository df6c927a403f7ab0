"""``scrapy crawl`` with an exit status that tells a stopped crawl (SPEC section 6)."""

from __future__ import annotations

import argparse
import logging

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from sinacrawl.distributed import REDIS_FAILED
from sinacrawl.extensions import ALL_FAILED, FEED_FAILED
from sinacrawl.hook import HOOK_FAILED
from sinacrawl.middlewares import REPLAY_UNUSABLE
from sinacrawl.monitors import MONITOR_FAILED
from sinacrawl.pipelines import UNWRITABLE
from sinacrawl.reachability import redis_problem
from sinacrawl.settingcheck import check_settings

__all__ = ["Command"]

logger = logging.getLogger(__name__)
#: Scrapy's finish reason of a crawl stopped by Ctrl-C or SIGTERM (scrapyd's cancel).
SHUTDOWN = "shutdown"
#: Finish reasons that mean the crawl failed as a whole, or was stopped before its end.
FAILED_REASONS = frozenset(
    {UNWRITABLE, REPLAY_UNUSABLE, FEED_FAILED, ALL_FAILED, SHUTDOWN, MONITOR_FAILED, REDIS_FAILED}
)


class Command(ScrapyCrawlCommand):
    """Scrapy's ``crawl`` command, except that it checks setting values
    (:func:`~sinacrawl.settingcheck.check_settings`) and the spider arguments before starting
    (a wrong one is a usage error, exit status 2; issue 14), stops with one ERROR line when
    ``REDIS_URL`` is set but Redis cannot be reached (exit 1), and exits with status 1 when the
    spider closed for one of :data:`FAILED_REASONS` (an output folder that cannot be written, a
    replay folder that cannot be used, a feed or every article failing, Ctrl-C or SIGTERM: the
    ``finish_reason`` stat; a monitor failed) or when the ``SINACRAWL_ON_NEW_POSTS`` command
    failed, so that a scheduler (cron, scrapyd's runner) sees the failure. Scrapy's own
    command exits 0 for any crawl that started. It replaces Scrapy's through
    ``COMMANDS_MODULE = "sinacrawl.commands"``.
    """

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        """Check the settings and the spider's arguments first (a spider class's
        ``check_arguments``), so that a wrong ``-s`` or ``-a`` is one usage error (exit status
        2), not a traceback."""
        try:
            self._check(args, opts)
        except UsageError as exc:
            assert self.settings is not None
            if self.settings.get("LOG_FILE"):
                # scrapyd's job log is LOG_FILE; the usage error itself goes to stderr only.
                logger.error("%s", exc)
            raise
        assert self.settings is not None
        redis_url = self.settings.get("REDIS_URL")
        problem = redis_problem(redis_url) if redis_url else None
        if problem:
            logger.error("%s; the crawl does not start", problem)
            self.exitcode = 1
            return
        super().run(args, opts)
        stats = self.crawler.stats if self.crawler else None
        if stats is not None and (
            stats.get_value("finish_reason") in FAILED_REASONS or stats.get_value(HOOK_FAILED)
        ):
            self.exitcode = 1

    def _check(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        problems = check_settings(self.settings)
        if problems:
            raise UsageError("; ".join(problems), print_help=False)
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

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler: Crawler | None = super()._create_crawler(spidercls)
        return self.crawler
