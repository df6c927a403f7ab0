"""The switch to distributed mode (issue 7): a Scrapy add-on (``ADDONS``) that, when the one
setting ``REDIS_URL`` is set, puts the crawl on a Redis queue shared by every worker
(:mod:`sinacrawl.cluster`, on scrapy-redis). With ``REDIS_URL`` unset it changes nothing and
nothing about Redis is imported.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

__all__ = ["DistributedAddon"]

#: After ``PostWriterPipeline`` (300): an item gets there only once its post is written.
DONE_PIPELINE_ORDER = 310


class DistributedAddon:
    """With ``REDIS_URL`` set (``redis://host:6379/0``): ``SCHEDULER`` becomes
    :class:`~sinacrawl.cluster.LeasingScheduler`, ``DUPEFILTER_CLASS``
    :class:`~sinacrawl.cluster.LeaseDupeFilter`, ``SCHEDULER_PERSIST`` on (a stopped worker's
    queue survives), and :class:`~sinacrawl.cluster.DonePipeline` runs after the post writer.

    Raises :class:`ImportError` naming the extra to install when ``REDIS_URL`` is set but
    scrapy-redis is missing: a crawl meant to share a queue never runs alone by accident.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls()

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get("REDIS_URL"):
            return
        try:
            from sinacrawl.cluster import DonePipeline, LeaseDupeFilter, LeasingScheduler
        except ImportError as exc:
            raise ImportError(
                f"REDIS_URL is set but {exc.name} is missing: pip install 'sinacrawl[redis]'"
            ) from exc
        settings.set("SCHEDULER", LeasingScheduler, "addon")
        settings.set("DUPEFILTER_CLASS", LeaseDupeFilter, "addon")
        settings.set("SCHEDULER_PERSIST", True, "addon")
        settings.set_in_component_priority_dict("ITEM_PIPELINES", DonePipeline, DONE_PIPELINE_ORDER)
