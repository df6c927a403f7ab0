"""The switch to distributed mode (issue 7): a Scrapy add-on (``ADDONS``) that, when the one
setting ``REDIS_URL`` is set, puts the crawl on a Redis queue shared by every worker
(:mod:`sinacrawl.cluster`, on scrapy-redis). With ``REDIS_URL`` unset it changes nothing and
nothing about Redis is imported.
"""

from __future__ import annotations

import os
from typing import Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

__all__ = ["REDIS_FAILED", "REDIS_URL_ENV", "DistributedAddon"]

#: The environment variable that gives ``REDIS_URL`` when no setting does: a URL with a password
#: kept out of every command line (``ps``, scrapyd's job list), issue 13 item 5.
REDIS_URL_ENV = "SINACRAWL_REDIS_URL"
#: The finish reason of a worker that stopped because Redis failed under it (exit status 1).
REDIS_FAILED = "redis_failed"
#: After ``PostWriterPipeline`` (300): an item gets there only once its post is written.
DONE_PIPELINE_ORDER = 310
#: After ``ReplayMiddleware`` (950): only requests that really go out wait for the shared rate.
SHARED_RATE_ORDER = 960
#: Nearest the engine: a worker that does not read the feed never iterates its start requests.
FEED_READER_ORDER = 10


class DistributedAddon:
    """With ``REDIS_URL`` set (``redis://host:6379/0``, ``rediss://`` for TLS; when no setting
    gives it, the environment variable ``SINACRAWL_REDIS_URL`` does): ``SCHEDULER`` becomes
    :class:`~sinacrawl.cluster.LeasingScheduler`, ``DUPEFILTER_CLASS``
    :class:`~sinacrawl.cluster.LeaseDupeFilter`, ``SCHEDULER_PERSIST`` on (a stopped worker's
    queue survives), ``SCHEDULER_SERIALIZER`` :mod:`sinacrawl.queuecodec` (JSON, never
    pickle), :class:`~sinacrawl.cluster.DonePipeline` runs after the post writer,
    :class:`~sinacrawl.cluster.FeedReaderMiddleware` lets one worker read the feed (issue 16),
    and :class:`~sinacrawl.sharedrate.SharedRateMiddleware` holds all workers together to
    ``SINACRAWL_SHARED_RATE`` requests/second per host.

    The environment variable is for the spiders that can share a queue: one whose class says
    ``runs_distributed = False`` (``sina_7x24``, whose digest needs every page in one process)
    ignores it, so one scrapyd environment serves both.

    Raises :class:`ImportError` naming the extra to install when ``REDIS_URL`` is set but
    scrapy-redis is missing: a crawl meant to share a queue never runs alone by accident.
    """

    def __init__(self, spidercls: type[Spider] | None = None) -> None:
        self.spidercls = spidercls

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.spidercls)

    def update_settings(self, settings: BaseSettings) -> None:
        shares = getattr(self.spidercls, "runs_distributed", True)
        if shares and not settings.get("REDIS_URL") and os.environ.get(REDIS_URL_ENV):
            # At the priority of the empty value it replaces (settings.py's None).
            priority = max(settings.getpriority("REDIS_URL") or 0, SETTINGS_PRIORITIES["addon"])
            settings.set("REDIS_URL", os.environ[REDIS_URL_ENV], priority)
        if not settings.get("REDIS_URL"):
            return
        try:
            from sinacrawl.cluster import (
                DonePipeline,
                FeedReaderMiddleware,
                LeaseDupeFilter,
                LeasingScheduler,
            )
            from sinacrawl.sharedrate import SharedRateMiddleware
        except ImportError as exc:
            raise ImportError(
                f"REDIS_URL is set but {exc.name} is missing: pip install 'sinacrawl[redis]'"
            ) from exc
        settings.set("SCHEDULER", LeasingScheduler, "addon")
        settings.set("DUPEFILTER_CLASS", LeaseDupeFilter, "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")
        settings.set("SCHEDULER_SERIALIZER", "sinacrawl.queuecodec", "addon")
        settings.set_in_component_priority_dict("ITEM_PIPELINES", DonePipeline, DONE_PIPELINE_ORDER)
        settings.set_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", SharedRateMiddleware, SHARED_RATE_ORDER
        )
        settings.set_in_component_priority_dict(
            "SPIDER_MIDDLEWARES", FeedReaderMiddleware, FEED_READER_ORDER
        )
