"""``SINACRAWL_ON_NEW_POSTS``: a command run after a crawl that wrote or replaced at least one
post, e.g. the site's build and deploy (issue 14)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

__all__ = ["HOOK_FAILED", "OnNewPosts"]

logger = logging.getLogger(__name__)
#: The stat set to 1 when the command failed or timed out (``scrapy crawl`` exits 1).
HOOK_FAILED = "sinacrawl/hook/failed"


class OnNewPosts:
    """Extension: when the spider closes having written or replaced at least one post
    (stats ``sinacrawl/post/written`` + ``…/replaced``), run ``SINACRAWL_ON_NEW_POSTS`` with
    ``/bin/sh -c``, in its own process group, with ``SINACRAWL_POSTS_DIR`` (absolute) and
    ``SINACRAWL_POSTS_CHANGED`` (the count) in its environment. After
    ``SINACRAWL_ON_NEW_POSTS_TIMEOUT`` seconds (default 600) the group is killed. Never run
    when no post changed.

    Logs one line: INFO for exit status 0, ERROR with the last line of its output otherwise.
    Stats ``sinacrawl/hook/exit_status`` (``-9`` when killed at the timeout),
    ``sinacrawl/hook/seconds``, :data:`HOOK_FAILED`. Off (:class:`NotConfigured`) when the
    setting is empty, the default.
    """

    def __init__(
        self, command: str, timeout: float, posts_dir: Path, stats: StatsCollector
    ) -> None:
        self.command = command
        self.timeout = timeout
        self.posts_dir = posts_dir
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        command = crawler.settings.get("SINACRAWL_ON_NEW_POSTS") or ""
        if not command.strip():
            raise NotConfigured  # no command: the default, so no "Disabled" WARNING
        assert crawler.stats is not None
        extension = cls(
            command,
            crawler.settings.getfloat("SINACRAWL_ON_NEW_POSTS_TIMEOUT", 600.0),
            Path(crawler.settings.get("POSTS_DIR", "output")).resolve(),
            crawler.stats,
        )
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        changed = sum(
            int(self.stats.get_value(f"sinacrawl/post/{k}", 0)) for k in ("written", "replaced")
        )
        if not changed:
            logger.info("no post written or replaced: SINACRAWL_ON_NEW_POSTS not run")
            return
        env = dict(os.environ, SINACRAWL_POSTS_DIR=str(self.posts_dir))
        env["SINACRAWL_POSTS_CHANGED"] = str(changed)
        started = time.monotonic()
        process = subprocess.Popen(
            ["/bin/sh", "-c", self.command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=self.timeout)
            status = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            status = -signal.SIGKILL
        seconds = time.monotonic() - started
        self.stats.set_value("sinacrawl/hook/exit_status", status)
        self.stats.set_value("sinacrawl/hook/seconds", round(seconds, 3))
        if status == 0:
            logger.info(
                "SINACRAWL_ON_NEW_POSTS exited 0 after %.1f s (%d posts changed)", seconds, changed
            )
            return
        self.stats.set_value(HOOK_FAILED, 1)
        lines = output.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else "no output"
        if status == -signal.SIGKILL:
            logger.error(
                "SINACRAWL_ON_NEW_POSTS killed after its timeout of %.0f s: %s", self.timeout, last
            )
        else:
            logger.error("SINACRAWL_ON_NEW_POSTS exited %d after %.1f s: %s", status, seconds, last)
