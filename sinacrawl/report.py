"""The run report (issue 14): one JSON file per spider saying how the last crawl went, for
machines (a monitoring job, a dashboard) rather than for the people reading the log."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from sinacrawl.pipelines import UNWRITABLE
from sinacrawl.runlock import ALREADY_RUNNING
from sinacrawl.statedir import STATE_DIR
from sinacrawl.storage import replace_atomic

__all__ = ["RunReport", "build_report"]

logger = logging.getLogger(__name__)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


def build_report(spider: str, stats: dict[str, Any]) -> dict[str, Any]:
    """The report of one crawl from its final stats: ``spider``, ``finish_reason``,
    ``started``/``finished`` (ISO 8601, UTC), ``durations`` (seconds: ``crawl``, ``hook``),
    ``posts`` (written, replaced, unchanged, skipped), ``dropped`` (reason → count),
    ``requests_failed``, ``feed`` (pages, entries, failed, newest as POSIX seconds UTC),
    ``http`` (status → answers), ``monitors`` (name → ``passed``/``failed: …``/``skipped: …``),
    ``monitors_failed`` and ``hook_exit_status`` (None when the hook did not run).

    >>> build_report("s", {"sinacrawl/post/written": 2, "finish_reason": "finished"})["posts"]
    {'written': 2, 'replaced': 0, 'unchanged': 0, 'skipped': 0}
    """

    def count(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    def under(prefix: str) -> dict[str, Any]:
        return {k[len(prefix) :]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}

    return {
        "spider": spider,
        "finish_reason": stats.get("finish_reason"),
        "started": _iso(stats.get("start_time")),
        "finished": _iso(stats.get("finish_time")),
        "durations": {
            "crawl": stats.get("elapsed_time_seconds"),
            "hook": stats.get("sinacrawl/hook/seconds"),
        },
        "posts": {
            k: count(f"sinacrawl/post/{k}") for k in ("written", "replaced", "unchanged", "skipped")
        },
        "dropped": under("sinacrawl/dropped/"),
        "requests_failed": count("sinacrawl/request_failed"),
        "feed": {
            "pages": count("sinacrawl/feed/pages"),
            "entries": count("sinacrawl/feed/entries"),
            "failed": count("sinacrawl/feed/failed"),
            "newest": stats.get("monitor/feed_newest"),
        },
        "http": under("downloader/response_status_count/"),
        "monitors": under("monitor/result/"),
        "monitors_failed": count("monitor/failed"),
        "hook_exit_status": stats.get("sinacrawl/hook/exit_status"),
    }  # fmt: skip


class RunReport:
    """Extension: when the spider closes (after the monitors and the hook), write
    :func:`build_report` as JSON to ``SINACRAWL_REPORT_FILE``, default
    ``POSTS_DIR/.sinacrawl/<spider>-report.json``, atomically, replacing the last run's. A
    tick that found another crawl running writes none (that crawl's report is coming), nor
    does a crawl stopped for an unwritable ``POSTS_DIR`` (its ERROR said so). A report that
    cannot be written (disk full) is one WARNING line; the posts are not affected.

    Settings: ``SINACRAWL_REPORT_FILE`` (path), ``POSTS_DIR``. Off (:class:`NotConfigured`)
    when both are empty.
    """

    def __init__(self, path: Path, stats: StatsCollector) -> None:
        self.path = path
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        assert crawler.spidercls is not None and crawler.stats is not None
        given = settings.get("SINACRAWL_REPORT_FILE")
        posts = settings.get("POSTS_DIR", "output")
        if given:
            path = Path(given)
        elif posts:
            path = Path(posts) / STATE_DIR / f"{crawler.spidercls.name}-report.json"
        else:
            raise NotConfigured  # the writer stops this crawl, saying why
        extension = cls(path, crawler.stats)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider) -> None:
        stats = self.stats.get_stats()
        if stats.get("finish_reason") in (ALREADY_RUNNING, UNWRITABLE):
            return
        report = build_report(spider.name, stats)
        data = json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_atomic(self.path, data.encode("utf-8"))
        except OSError as exc:
            logger.warning("cannot write the run report %s: %s", self.path, exc.strerror or exc)
            return
        logger.info("run report: %s", self.path.resolve())
