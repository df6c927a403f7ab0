"""Close-of-run monitors (issue 14) on Spidermon's framework: a run that finished but whose
pages say Sina changed its template, blocks the crawler, serves a stale feed or collapsed
bodies, or whose posts break the front-matter schema, fails loudly.

Each monitor is a Spidermon :class:`~spidermon.Monitor` test method reading the crawl's stats
(``self.data.stats``) and the :class:`Thresholds` read from the settings once
(``self.data.thresholds``). :class:`RunMonitors` runs the suite when the spider closes.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from spidermon import Monitor, MonitorSuite, monitors
from spidermon.core.actions import Action
from spidermon.results.monitor import MonitorResult
from spidermon.runners import MonitorRunner

from sinacrawl.distributed import REDIS_FAILED
from sinacrawl.extensions import ALL_FAILED, FEED_FAILED
from sinacrawl.items import ArticleItem
from sinacrawl.middlewares import REPLAY_UNUSABLE
from sinacrawl.pipelines import UNWRITABLE
from sinacrawl.runlock import ALREADY_RUNNING

__all__ = [
    "FRONT_MATTER_SCHEMA",
    "MONITOR_FAILED",
    "CloseMonitors",
    "RunHealth",
    "RunMonitors",
    "Thresholds",
    "WebhookAction",
]

logger = logging.getLogger(__name__)
#: The finish reason of a crawl that ran to its end but failed a monitor.
MONITOR_FAILED = "monitor_failed"
#: Finish reasons whose crawl already said why it stopped (its own ERROR line, or the INFO
#: of a tick that found another crawl running): the monitors do not judge it.
NOT_JUDGED = frozenset(
    {
        UNWRITABLE,
        REPLAY_UNUSABLE,
        FEED_FAILED,
        ALL_FAILED,
        REDIS_FAILED,
        "shutdown",
        ALREADY_RUNNING,
    }
)
#: Drops that mean the page did not have the shape sinacrawl expects (SPEC section 3).
TEMPLATE_DROPS = ("no_container", "empty_body", "no_title", "no_date")

#: JSON schema of an exported post (``FEED_EXPORT_FIELDS``), checked on every item by
#: Spidermon's ``ItemValidationPipeline`` (SPEC section 2: the front matter; ``date`` is
#: RFC 1123 in GMT).
FRONT_MATTER_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": [
        "url", "docid", "filename", "title", "categories", "author", "date", "headimg",
        "thumbnail", "body",
    ],
    "properties": {
        "url": {"type": "string", "pattern": "^https?://"},
        "docid": {"type": "string", "minLength": 1},
        "filename": {"type": "string", "pattern": "^[^./_][^/]*\\.md$|^\\d{4}/\\d\\d/[^/]+\\.md$"},
        "title": {"type": "string", "minLength": 1, "pattern": "^[^\\n]*$"},
        "categories": {"minItems": 1, "items": {"type": "string", "minLength": 1}},
        "author": {"type": "string", "minLength": 1},
        "date": {
            "type": "string",
            "pattern": "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d "
            "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d\\d:\\d\\d:\\d\\d GMT$",
        },
        # an https URL, or a path on the blog (SINACRAWL_DEFAULT_HEADIMG, SINACRAWL_IMAGES_DIR)
        "headimg": {"type": "string", "pattern": "^(https://.*|/[^/].*)?$"},
        "thumbnail": {"type": "string", "pattern": "^(https://.*|/[^/].*)?$"},
        "body": {"type": "string", "minLength": 1},
        # opt-in keys (issue 15): absent, None or empty when their setting is off
        "updated": {
            "type": ["string", "null"],
            "pattern": "^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d "
            "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \\d{4} \\d\\d:\\d\\d:\\d\\d GMT$",
        },
        "tags": {"items": {"type": "string", "minLength": 1}},
        "description": {"type": ["string", "null"], "minLength": 1, "pattern": "^[^\\n]*$"},
    },
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The monitors' limits (settings ``SINACRAWL_MONITOR_*``; README "Running it
    unattended"). Shares are fractions from 0 to 1.

    - ``max_drift_share``: article pages dropped for a template reason (:data:`TEMPLATE_DROPS`)
      over article pages answered;
    - ``max_blocked_share``: HTTP 403 and 5xx answers over all answers (Sina blocks with 403,
      RSSHub#9298);
    - ``max_feed_age``: hours between the feed's newest entry and ``now`` (RSSHub#17787);
    - ``min_median_body``: characters of body HTML, the median over this run's posts;
    - ``min_pages``: fewer article pages (or posts, or articles tried) than this and the
      shares and the median are not judged (one video page is not a template change);
    - ``now``: POSIX seconds UTC the feed's age is judged against: the clock when live, the
      setting ``SINACRAWL_MONITOR_NOW`` (ISO 8601) when replaying; None (a replay without it)
      skips the stale-feed monitor, since a replay's feed is as old as its recording;
    - ``shared_queue``: ``REDIS_URL`` is set; another worker may have taken every article.
    """

    max_drift_share: float
    max_blocked_share: float
    max_feed_age: float
    min_median_body: int
    min_pages: int
    now: float | None
    shared_queue: bool = False


def _count(stats: dict[str, Any], key: str) -> int:
    return int(stats.get(key, 0) or 0)


class RunHealth(Monitor):  # type: ignore[misc]
    """The close-of-run checks; each test method is one monitor, named for the report."""

    @property
    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.data.stats
        return stats

    @property
    def limits(self) -> Thresholds:
        limits: Thresholds = self.data.thresholds
        return limits

    def _posts(self) -> int:
        return sum(
            _count(self.stats, f"sinacrawl/post/{k}") for k in ("written", "replaced", "unchanged")
        )

    def _pages(self) -> int:
        """Article pages answered: those that became posts and those dropped."""
        dropped = sum(int(v) for k, v in self.stats.items() if k.startswith("sinacrawl/dropped/"))
        return self._posts() + dropped

    @monitors.name("finished")  # type: ignore[untyped-decorator]
    def test_finished(self) -> None:
        reason = self.stats.get("finish_reason")
        if reason != "finished":
            self.fail(f"the crawl ended with finish_reason {reason}, not finished")

    @monitors.name("new_posts")  # type: ignore[untyped-decorator]
    def test_new_articles_became_posts(self) -> None:
        stats = self.stats
        listed = _count(stats, "sinacrawl/feed/entries")
        if not listed:
            self.skipTest("no feed entry read")
        if self.limits.shared_queue:
            self.skipTest("workers share the feed's articles (REDIS_URL)")
        passed = listed - sum(
            _count(stats, f"sinacrawl/{k}")
            for k in ("feed/too_old", "feed/too_new", "feed/bad_entry", "post/skipped",
                      "duplicate", "capped")
        )  # fmt: skip
        if passed > 0 and not self._posts():
            self.fail(f"the feed listed {passed} new articles and none became a post")

    @monitors.name("template_drift")  # type: ignore[untyped-decorator]
    def test_template_drift(self) -> None:
        pages = self._pages()
        if pages < self.limits.min_pages:
            self.skipTest(f"{pages} article pages, fewer than {self.limits.min_pages}")
        drops = {k: _count(self.stats, f"sinacrawl/dropped/{k}") for k in TEMPLATE_DROPS}
        share = sum(drops.values()) / pages
        if share > self.limits.max_drift_share:
            detail = ", ".join(f"{k}={v}" for k, v in drops.items() if v)
            self.fail(
                f"{share:.0%} of {pages} article pages dropped for their template ({detail}), "
                f"over {self.limits.max_drift_share:.0%}: has Sina changed its article page?"
            )

    @monitors.name("blocking")  # type: ignore[untyped-decorator]
    def test_blocking(self) -> None:
        stats = self.stats
        answers = _count(stats, "downloader/response_count")
        tried = self._pages() + _count(stats, "sinacrawl/request_failed")
        if tried < self.limits.min_pages:
            self.skipTest(f"{tried} articles tried, fewer than {self.limits.min_pages}")
        prefix = "downloader/response_status_count/"
        blocked = sum(
            int(v)
            for k, v in stats.items()
            if k.startswith(prefix) and (k[len(prefix) :] == "403" or k[len(prefix)] == "5")
        )
        share = blocked / answers if answers else 0.0
        if share > self.limits.max_blocked_share:
            self.fail(
                f"{share:.0%} of {answers} answers were HTTP 403 or 5xx, over "
                f"{self.limits.max_blocked_share:.0%}: is Sina blocking the crawler?"
            )

    @monitors.name("stale_feed")  # type: ignore[untyped-decorator]
    def test_stale_feed(self) -> None:
        newest = _count(self.stats, "monitor/feed_newest")
        if not newest:
            self.skipTest("no dated feed entry read")
        now = self.limits.now
        if now is None:
            self.skipTest("replay without SINACRAWL_MONITOR_NOW")
            return
        age = (now - newest) / 3600
        if age > self.limits.max_feed_age:
            self.fail(
                f"the feed's newest entry is {age:.1f} hours old, over "
                f"{self.limits.max_feed_age:g}: has Sina's feed gone stale?"
            )

    @monitors.name("body_length")  # type: ignore[untyped-decorator]
    def test_body_length(self) -> None:
        posts = self._posts()
        if posts < self.limits.min_pages:
            self.skipTest(f"{posts} posts, fewer than {self.limits.min_pages}")
        median = _count(self.stats, "monitor/body_median_chars")
        if median < self.limits.min_median_body:
            self.fail(
                f"the median post body is {median} characters, under "
                f"{self.limits.min_median_body}: are bodies collapsing?"
            )

    @monitors.name("front_matter")  # type: ignore[untyped-decorator]
    def test_front_matter(self) -> None:
        bad = _count(self.stats, "spidermon/validation/items/errors")
        if bad:
            fields = sorted(
                k.rsplit("/", 1)[1]
                for k in self.stats
                if k.startswith("spidermon/validation/fields/errors/") and k.count("/") == 5
            )
            names = ", ".join(sorted(set(fields)))
            self.fail(f"{bad} posts break the front-matter schema (fields: {names})")


class CloseMonitors(MonitorSuite):  # type: ignore[misc]
    """sinacrawl's close-of-run suite: :class:`RunHealth`."""

    monitors: ClassVar[list[type[Monitor]]] = [RunHealth]


class WebhookAction(Action):  # type: ignore[misc]
    """A Spidermon action: POST the failed monitors as JSON (``{"spider", "finish_reason",
    "failed": [{"monitor", "reason"}]}``) to ``SINACRAWL_WEBHOOK_URL`` (10 s timeout). A
    webhook that cannot be reached is one ERROR line, never a crash.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    @classmethod
    def from_crawler_kwargs(cls, crawler: Crawler) -> dict[str, Any]:
        return {"url": crawler.settings.get("SINACRAWL_WEBHOOK_URL") or ""}

    def run_action(self) -> None:
        stats = self.data.stats
        payload = {
            "spider": self.data.spider.name,
            "finish_reason": MONITOR_FAILED,
            "failed": [
                {"monitor": r.item.method_name, "reason": r.reason or r.error}
                for r in self.result.monitors_failed_results
            ],
            "posts_written": _count(stats, "sinacrawl/post/written"),
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError as exc:
            logger.error("SINACRAWL_WEBHOOK_URL %s failed: %s", self.url, exc)


class _QuietResult(MonitorResult):  # type: ignore[misc]
    """Spidermon's result without its multi-line report: :class:`RunMonitors` logs one line
    per failed monitor itself."""


class _QuietRunner(MonitorRunner):  # type: ignore[misc]
    def create_result(self) -> MonitorResult:
        return _QuietResult()


class RunMonitors:
    """Extension: run :class:`CloseMonitors` when the spider closes, unless the crawl ended
    for a reason it has already reported (:data:`NOT_JUDGED`). Each failed monitor is one
    ERROR line ``monitor NAME failed: WHY``; a crawl that finished but failed one gets
    ``finish_reason`` :data:`MONITOR_FAILED` and ``scrapy crawl`` exits 1. Every monitor's
    outcome is the stat ``monitor/result/<name>`` (``passed``, ``failed: …``,
    ``skipped: …``) and ``monitor/failed`` counts the failures; the run report
    (:mod:`sinacrawl.report`) carries them. On failure, the Spidermon actions of
    ``SINACRAWL_MONITOR_ACTIONS`` (e-mail, Slack, Telegram: Spidermon's own settings) and
    :class:`WebhookAction` when ``SINACRAWL_WEBHOOK_URL`` is set are run.

    It also records the body length (characters of HTML) of every post (``item_scraped``)
    and sets ``monitor/body_median_chars`` before the monitors run.

    Settings: ``SPIDERMON_ENABLED`` (bool, default True here; off = :class:`NotConfigured`),
    ``SINACRAWL_MONITOR_MAX_DRIFT_SHARE``, ``…_MAX_BLOCKED_SHARE``, ``…_MAX_FEED_AGE`` (hours),
    ``…_MIN_MEDIAN_BODY``, ``…_MIN_PAGES``, ``…_NOW`` (see :class:`Thresholds`),
    ``SINACRAWL_MONITOR_ACTIONS``, ``SINACRAWL_WEBHOOK_URL``, ``REPLAY_DIR``/``REPLAY_RECORD``.
    Raises :class:`ValueError` for a ``SINACRAWL_MONITOR_NOW`` that is not ISO 8601.
    """

    def __init__(
        self,
        crawler: Crawler,
        stats: StatsCollector,
        thresholds: Thresholds,
        actions: list[Any],
    ) -> None:
        self.crawler = crawler
        self.stats = stats
        self.thresholds = thresholds
        self.actions = actions
        self.bodies: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("SPIDERMON_ENABLED"):
            raise NotConfigured("SPIDERMON_ENABLED is off")
        given_now = settings.get("SINACRAWL_MONITOR_NOW")
        replaying = settings.get("REPLAY_DIR") and not settings.getbool("REPLAY_RECORD")
        if given_now:
            now: float | None = datetime.fromisoformat(given_now).timestamp()
        else:
            now = None if replaying else time.time()
        thresholds = Thresholds(
            max_drift_share=settings.getfloat("SINACRAWL_MONITOR_MAX_DRIFT_SHARE", 0.5),
            max_blocked_share=settings.getfloat("SINACRAWL_MONITOR_MAX_BLOCKED_SHARE", 0.3),
            max_feed_age=settings.getfloat("SINACRAWL_MONITOR_MAX_FEED_AGE", 12.0),
            min_median_body=settings.getint("SINACRAWL_MONITOR_MIN_MEDIAN_BODY", 100),
            min_pages=settings.getint("SINACRAWL_MONITOR_MIN_PAGES", 5),
            now=now,
            shared_queue=bool(settings.get("REDIS_URL")),
        )
        actions: list[Any] = [load_object(a) for a in settings.getlist("SINACRAWL_MONITOR_ACTIONS")]
        if settings.get("SINACRAWL_WEBHOOK_URL"):
            actions.append(WebhookAction)
        assert crawler.stats is not None
        extension = cls(crawler, crawler.stats, thresholds, actions)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, ArticleItem) and item.body is not None:
            self.bodies.append(len(item.body))

    def spider_closed(self, spider: Spider) -> None:
        if self.bodies:
            self.stats.set_value("monitor/body_median_chars", int(statistics.median(self.bodies)))
        reason = self.stats.get_value("finish_reason")
        if reason in NOT_JUDGED:
            logger.info("monitors not run: the crawl ended with finish_reason %s", reason)
            return
        suite = CloseMonitors(crawler=self.crawler, monitors_failed_actions=self.actions)
        result = _QuietRunner().run(
            suite,
            stats=self.stats.get_stats(),
            thresholds=self.thresholds,
            crawler=self.crawler,
            spider=spider,
        )
        failed = 0
        for outcome in result.monitor_results:
            name = outcome.item.method_name
            if outcome.status in ("FAIL", "ERROR"):
                failed += 1
                why = outcome.reason or (outcome.error or "").strip().splitlines()[-1]
                logger.error("monitor %s failed: %s", name, why)
                self.stats.set_value(f"monitor/result/{name}", f"failed: {why}")
            elif outcome.status == "SKIPPED":
                self.stats.set_value(f"monitor/result/{name}", f"skipped: {outcome.reason}")
            else:
                self.stats.set_value(f"monitor/result/{name}", "passed")
        self.stats.set_value("monitor/failed", failed)
        if failed and reason == "finished":
            self.stats.set_value("finish_reason", MONITOR_FAILED)
