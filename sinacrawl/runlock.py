"""One crawl of a spider into a ``POSTS_DIR`` at a time (issue 14): a scheduled tick that
starts while the previous one still runs exits at once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Self

from filelock import FileLock, Timeout
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured

from sinacrawl.statedir import state_dir

__all__ = ["ALREADY_RUNNING", "RunLock"]

logger = logging.getLogger(__name__)
#: The finish reason of a tick that found another crawl of its spider into its POSTS_DIR.
ALREADY_RUNNING = "already_running"


class RunLock:
    """Extension: hold ``POSTS_DIR/.sinacrawl/<spider>.lock`` (filelock's ``FileLock``, an
    ``flock`` on Unix) from the spider's opening until the engine stops. When another process
    holds it, one INFO line says so and the spider closes with ``finish_reason``
    :data:`ALREADY_RUNNING` before any request (``scrapy crawl`` exits 0: the running crawl
    does the work). The kernel releases an ``flock`` when its process dies, so a crawl killed
    with ``kill -9`` never blocks the next tick; the lock file staying behind means nothing.

    Settings: ``SINACRAWL_RUN_LOCK`` (bool, default True), ``POSTS_DIR``. Off
    (:class:`NotConfigured`) with ``REDIS_URL`` set, where many workers share one crawl by
    design (README "Scaling out"), or an empty ``POSTS_DIR`` (the writer stops that crawl).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock: FileLock | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("SINACRAWL_RUN_LOCK", True):
            raise NotConfigured("SINACRAWL_RUN_LOCK is off")
        folder = settings.get("POSTS_DIR", "output")
        if settings.get("REDIS_URL") or not folder:
            raise NotConfigured  # workers share the crawl; or the writer stops it
        assert crawler.spidercls is not None
        extension = cls(Path(folder) / f"{crawler.spidercls.name}.lock")
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        try:
            path = state_dir(self.path.parent) / self.path.name
        except OSError:
            return  # PostWriterPipeline has stopped the crawl, saying why
        lock = FileLock(path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            logger.info(
                "another crawl of %s into %s is running (it holds %s): this one exits",
                spider.name,
                self.path.parent.resolve(),
                path,
            )
            raise CloseSpider(ALREADY_RUNNING) from None
        self.lock = lock

    def engine_stopped(self) -> None:
        if self.lock is not None:
            self.lock.release()
