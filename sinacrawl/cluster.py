"""One crawl shared by many processes through Redis (issue 7), on scrapy-redis's queue.

scrapy-redis alone records a request as seen when it is *scheduled* (its issues #177, #291): a
worker killed between scheduling and writing loses that article for good. Here an article is
*done* only once its post is safely in place (SPEC section 4, "updated only after the file is
safely in place"); until then it is *leased* by the worker that holds its request, and a lease
counts only while that worker's heartbeat key lives. So the requests a killed worker held are
admitted again, by any worker reading the feed after its heartbeat expired, or by a later run.

Redis keys, per spider (``sinacrawl:<spider>:…``): ``requests`` (scrapy-redis's priority queue,
JSON entries, :mod:`sinacrawl.queuecodec`),
``done`` (hash: document id → ``<unix time written> <host>:<posts folder>``), ``lease:<docid>``
(the id of the worker holding the request, with an expiry as a backstop), ``worker:<id>``
(a worker's heartbeat, ``busy`` or ``idle``, refreshed every third of its lifetime, deleted when
the worker closes), ``rate:<host>`` (:mod:`sinacrawl.sharedrate`). Every value read is checked
and every key but ``requests`` and ``done`` expires (issue 13, item 9). An idle worker stays
open while another live worker is busy (a feed page it parses may queue more articles), so
every worker closes only when the whole crawl is over.

This module imports ``redis`` and ``scrapy_redis``; :mod:`sinacrawl.distributed` loads it only
when ``REDIS_URL`` is set.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import BaseDupeFilter
from scrapy.exceptions import DontCloseSpider
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall

from sinacrawl import queuecodec
from sinacrawl.distributed import REDIS_FAILED
from sinacrawl.docid import document_id
from sinacrawl.items import ArticleItem
from sinacrawl.queuecodec import RejectedRequest

__all__ = [
    "Admission",
    "Claim",
    "ClusterState",
    "DonePipeline",
    "JsonPriorityQueue",
    "Keys",
    "LeaseDupeFilter",
    "LeasingScheduler",
    "article_key",
    "article_modified",
]

logger = logging.getLogger(__name__)

#: How far ahead of this worker's clock a done mark's time may be (seconds): the clock skew
#: between the workers' machines that is believed.
DONE_SKEW = 300.0
#: Lua shared by both scripts: is the article done? KEYS[1] the done hash; ARGV[1] the docid,
#: ARGV[2] the latest believable time of a mark (Unix seconds: now + ``DONE_SKEW``), the last
#: ARGV the feed's ``mtime`` (Unix seconds, or empty when unknown). Done, unless the feed says
#: Sina edited the article after its post was written (the rule of KnownPostsMiddleware). A
#: mark that is not ``<seconds> <where>``, or whose time is before 2000 or after ARGV[2], is
#: ignored and named in ``problem`` (issue 13, item 9: one such mark used to raise a Lua error
#: that hung the worker; a far-future time hid every later edit).
_DONE = """
local problem = ''
local mark = false
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'hash' then
  mark = redis.call('HGET', KEYS[1], ARGV[1])
elseif kind ~= 'none' then
  problem = 'done key of type ' .. kind
end
if mark then
  local written = tonumber(string.match(mark, '^(%S+) ') or '')
  if not written or written ~= written then
    problem = 'malformed done mark'
  elseif written < 946684800 or written > tonumber(ARGV[2]) then
    problem = 'implausible done mark'
  elseif ARGV[#ARGV] == '' or tonumber(ARGV[#ARGV]) < written then
    return {'done', ''}
  end
end
"""
#: Scheduling time. KEYS: done hash, lease key. ARGV: docid, latest mark time, this worker,
#: lease ms, worker-key prefix, heartbeat ms, mtime. A lease counts while its holder's
#: heartbeat lives; a lease or heartbeat with no expiry, or a longer one than this worker's
#: settings give, is tampered state (issue 13, item 9): reported and taken over.
_ADMIT = (
    _DONE
    + """
local owner = false
kind = redis.call('TYPE', KEYS[2])['ok']
if kind == 'string' then
  owner = redis.call('GET', KEYS[2])
elseif kind ~= 'none' then
  problem = 'lease key of type ' .. kind
  redis.call('DEL', KEYS[2])
end
if owner then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 or ttl > tonumber(ARGV[4]) then
    problem = 'implausible lease'
  else
    local beat = redis.call('PTTL', ARGV[5] .. owner)
    if owner == ARGV[3] or (beat > 0 and beat <= tonumber(ARGV[6])) then
      return {'in_flight', problem}
    elseif beat == -1 or beat > tonumber(ARGV[6]) then
      problem = 'implausible worker heartbeat'
    end
  end
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
if owner then return {'taken_over', problem} end
return {'leased', problem}
"""
)
#: Dequeue time: the worker that pops a request takes over its lease (if it has one).
#: KEYS as for ``_ADMIT``; ARGV: docid, latest mark time, this worker, lease ms, mtime.
_CLAIM = (
    _DONE
    + """
if redis.call('SET', KEYS[2], ARGV[3], 'XX', 'PX', ARGV[4]) then return {'claimed', problem} end
return {'unleased', problem}
"""
)


class Admission(StrEnum):
    """What the shared state said when a worker wanted to schedule an article."""

    LEASED = "leased"
    TAKEN_OVER = "taken_over"  # its previous holder's heartbeat is gone
    DONE = "done"
    IN_FLIGHT = "in_flight"  # a live worker holds it


class Claim(StrEnum):
    """What the shared state said when a worker popped a request from the queue."""

    CLAIMED = "claimed"
    UNLEASED = "unleased"  # a feed page: never leased
    DONE = "done"  # written meanwhile by another worker: skip it


@dataclass(frozen=True, slots=True)
class Keys:
    """The Redis key names of one spider's shared crawl.

    >>> keys = Keys.for_spider("sina_finance")
    >>> keys.requests, keys.done, keys.lease("kyamrmz0151960"), keys.worker("h:1:ab")
    ('sinacrawl:sina_finance:requests', 'sinacrawl:sina_finance:done', \
'sinacrawl:sina_finance:lease:kyamrmz0151960', 'sinacrawl:sina_finance:worker:h:1:ab')
    """

    prefix: str

    @classmethod
    def for_spider(cls, name: str) -> Self:
        """The keys of spider ``name``."""
        return cls(f"sinacrawl:{name}:")

    @property
    def requests(self) -> str:
        return self.prefix + "requests"

    @property
    def done(self) -> str:
        return self.prefix + "done"

    @property
    def workers(self) -> str:
        """The prefix of the heartbeat keys."""
        return self.prefix + "worker:"

    def lease(self, docid: str) -> str:
        return f"{self.prefix}lease:{docid}"

    def worker(self, worker_id: str) -> str:
        return self.workers + worker_id


def article_key(request: Request) -> str:
    """The document id a request is about: that of the URL first requested, so that a redirect
    hop or a retry keeps its article's lease (SPEC section 2 gives the id).

    >>> article_key(Request("https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"))
    'kyamrmz0151960'
    >>> article_key(Request("https://finance.sina.com.cn/", meta={"redirect_urls": [
    ...     "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml"]}))
    'hqfskcn2160999'
    """
    original: str = request.meta.get("redirect_urls", [request.url])[0]
    return document_id(original) or original


def article_modified(request: Request) -> float | None:
    """Sina's last edit of a feed article (Unix seconds, the feed entry's ``mtime``), or None."""
    modified = getattr(request.cb_kwargs.get("entry"), "modified", None)
    return None if modified is None else float(modified.timestamp())


class ClusterState:
    """One worker's handle on the shared state: leases, done marks, its heartbeat.

    ``heartbeat``/``lease`` are seconds (every worker of a crawl must use the same: a longer
    heartbeat or lease than this worker's is taken for tampering); ``where`` is written beside
    each done mark (which machine and folder hold the post). Every method is one Redis round
    trip and raises :class:`redis.RedisError` when Redis cannot be reached.

    State that this worker did not write as it would (a malformed or far-future done mark, a
    heartbeat or lease with no expiry, issue 13 item 9) is ignored: one WARNING naming the key
    and stat ``sinacrawl/redis/bad_state`` (once per key and problem per worker).
    """

    def __init__(
        self,
        server: redis.Redis,
        keys: Keys,
        heartbeat: float,
        lease: float,
        where: str,
        stats: StatsCollector | None = None,
    ) -> None:
        self.server = server
        self.keys = keys
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.heartbeat_ms = int(heartbeat * 1000)
        self.heartbeat = heartbeat
        self.lease_ms = int(lease * 1000)
        self.where = where
        self.stats = stats
        self.busy = True
        self._reported: set[tuple[str, str]] = set()
        self._admit = server.register_script(_ADMIT)
        self._claim = server.register_script(_CLAIM)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Connect to ``REDIS_URL`` (and ping it, so a wrong URL stops the crawl at once).

        Settings: ``SINACRAWL_REDIS_HEARTBEAT`` (s, default 10), ``SINACRAWL_REDIS_LEASE``
        (s, default 3600), ``POSTS_DIR``.
        """
        settings = crawler.settings
        assert crawler.spidercls is not None
        server = redis.Redis.from_url(settings["REDIS_URL"])
        server.ping()
        posts = Path(settings.get("POSTS_DIR", "output")).resolve()
        return cls(
            server,
            Keys.for_spider(crawler.spidercls.name),
            settings.getfloat("SINACRAWL_REDIS_HEARTBEAT", 10.0),
            settings.getfloat("SINACRAWL_REDIS_LEASE", 3600.0),
            f"{socket.gethostname()}:{posts}",
            crawler.stats,
        )

    def report(self, problem: str, key: str, detail: str = "") -> None:
        """Log and count shared state that is ignored (``problem`` in a few words, the Redis
        ``key``), once per key and problem."""
        if (problem, key) in self._reported:
            return
        self._reported.add((problem, key))
        logger.warning("Redis state ignored: %s %s%s", problem, key, detail)
        if self.stats is not None:
            self.stats.inc_value("sinacrawl/redis/bad_state")

    def beat(self) -> None:
        """Say this worker is alive, busy or idle, for the next ``heartbeat`` seconds."""
        status = "busy" if self.busy else "idle"
        self.server.set(self.keys.worker(self.worker_id), status, px=self.heartbeat_ms)

    def set_busy(self, busy: bool) -> None:
        """Publish a change of this worker's status at once (nothing is sent when unchanged)."""
        if busy != self.busy:
            self.busy = busy
            self.beat()

    def others_busy(self) -> bool:
        """Is another live worker of this crawl busy? A heartbeat key whose value is not
        ``busy``/``idle``, or that has no expiry or a longer one than ``heartbeat``, is
        reported and ignored (it would keep every worker open for good)."""
        mine = self.keys.worker(self.worker_id).encode()
        others = [k for k in self.server.scan_iter(match=self.keys.workers + "*") if k != mine]
        if not others:
            return False
        with self.server.pipeline(transaction=False) as pipe:
            for key in others:
                pipe.get(key)
                pipe.pttl(key)
            answers = pipe.execute(raise_on_error=False)
        busy = False
        for key, value, ttl in zip(others, answers[::2], answers[1::2], strict=True):
            if (
                value not in (b"busy", b"idle")
                or not isinstance(ttl, int)
                or not 0 < ttl <= self.heartbeat_ms
            ):
                expiry = "no expiry" if ttl == -1 else f"expiry {ttl} ms"
                self.report(
                    "implausible worker heartbeat", key.decode(errors="replace"),
                    f" ({value!r:.40}, {expiry})",
                )  # fmt: skip
            elif value == b"busy":
                busy = True
        return busy

    def retire(self) -> None:
        """Say this worker is gone: the leases it still holds lapse at once."""
        self.server.delete(self.keys.worker(self.worker_id))

    def admit(self, docid: str, modified: float | None) -> Admission:
        """May this worker schedule article ``docid`` (last edited at ``modified``, Unix
        seconds, if known)? Leases it when so."""
        args = [self.worker_id, self.lease_ms, self.keys.workers, self.heartbeat_ms]
        return Admission(self._run(self._admit, docid, args, modified))

    def claim(self, docid: str, modified: float | None) -> Claim:
        """This worker popped a request for ``docid``: take its lease, or learn it is done."""
        return Claim(self._run(self._claim, docid, [self.worker_id, self.lease_ms], modified))

    def mark_done(self, docid: str) -> None:
        """The post of ``docid`` is safely written: record when and where, drop its lease. A
        done key that is not a hash is reported and left alone (the article is not marked)."""
        with self.server.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.done, docid, f"{time.time():.3f} {self.where}")
            pipe.delete(self.keys.lease(docid))
            try:
                pipe.execute()
            except redis.ResponseError as exc:
                self.report("done key not writable", self.keys.done, f" ({exc})")

    def _run(self, script: Any, docid: str, args: list[Any], modified: float | None) -> str:
        latest = time.time() + DONE_SKEW
        keys = [self.keys.done, self.keys.lease(docid)]
        outcome, problem = script(keys=keys, args=[docid, latest, *args, _arg(modified)])
        if problem:
            if problem.startswith(b"done key"):
                key = self.keys.done
            elif b"done" in problem:
                key = f"{self.keys.done}[{docid}]"
            else:
                key = self.keys.lease(docid)
            self.report(problem.decode(), key)
        return outcome.decode() if isinstance(outcome, bytes) else str(outcome)


def _arg(modified: float | None) -> str:
    return "" if modified is None else repr(modified)


class JsonPriorityQueue(PriorityQueue):  # type: ignore[misc]
    """scrapy-redis's priority queue (feed pages first) holding requests as the strict JSON of
    :mod:`sinacrawl.queuecodec`, never pickle (issue 13, item 5). :meth:`pop` raises
    :class:`~sinacrawl.queuecodec.RejectedRequest` for an entry it did not write (already
    removed from the queue: it is never retried).
    """

    def __init__(self, server: redis.Redis, spider: Spider, key: str) -> None:
        super().__init__(server, spider, key, serializer=queuecodec)

    def _decode_request(self, encoded_request: bytes) -> Request:
        return queuecodec.request_from_queue(queuecodec.loads(encoded_request), self.spider)


class LeaseDupeFilter(BaseDupeFilter):
    """``DUPEFILTER_CLASS`` keyed by document id: an article already done (and not edited since,
    by its feed entry's ``mtime``), or leased by a live worker, is seen; anything else is
    leased to this worker and scheduled. A redirect hop belongs to an article already admitted
    and passes. Feed pages and retries carry ``dont_filter`` and never get here. Stats
    ``sinacrawl/redis/<Admission>``; a done article also counts as ``sinacrawl/post/skipped``
    (the summary's ``skipped``: its post exists).
    """

    def __init__(self, state: ClusterState, stats: StatsCollector) -> None:
        self.state = state
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(ClusterState.from_crawler(crawler), crawler.stats)

    def request_seen(self, request: Request) -> bool:
        if "redirect_urls" in request.meta:
            return False
        docid = article_key(request)
        outcome = self.state.admit(docid, article_modified(request))
        self.stats.inc_value(f"sinacrawl/redis/{outcome}")
        if outcome is Admission.DONE:
            self.stats.inc_value("sinacrawl/post/skipped")
        if outcome is Admission.TAKEN_OVER:
            logger.info("article %s was held by a worker that is gone; crawling it", request.url)
        return outcome in (Admission.DONE, Admission.IN_FLIGHT)

    def log(self, request: Request, spider: Spider) -> None:
        logger.debug("article done or in flight elsewhere: %s", request.url)


class LeasingScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler on the queue ``sinacrawl:<spider>:requests`` (a priority queue,
    so feed pages go first), with a :class:`LeaseDupeFilter` (``DUPEFILTER_CLASS``), this
    worker's heartbeat while it is open, and a claim on each request it pops: a request whose
    article was written meanwhile is skipped (stat ``sinacrawl/redis/skipped_done``). The
    queue is scrapy-redis's, holding JSON (:class:`JsonPriorityQueue`; a rejected entry is
    logged and counted as ``sinacrawl/redis/rejected``); opening, closing and the stats calls
    are redone here in Scrapy 2.19's form. The queue outlives every worker:
    ``SCHEDULER_PERSIST`` off, or a ``SCHEDULER_SERIALIZER`` other than
    :mod:`sinacrawl.queuecodec`, raises :class:`ValueError`. Settings:
    ``SINACRAWL_REDIS_IDLE_POLL`` (s, default 0.1). A Redis error closes the worker with
    ``finish_reason`` :data:`~sinacrawl.distributed.REDIS_FAILED` (:meth:`_failed`).
    """

    def __init__(self, dupefilter: LeaseDupeFilter, crawler: Crawler, idle_poll: float) -> None:
        state = dupefilter.state
        super().__init__(state.server, persist=True, dupefilter=dupefilter)
        assert crawler.stats is not None
        self.crawler = crawler
        self.state = state
        self.stats = crawler.stats
        self.heartbeat = LoopingCall(self._beat)
        self.idle_poll = idle_poll
        self.poller = LoopingCall(self._poll)
        self.handed: list[Request] = []
        self.closing: Deferred[None] | None = None

    def spider_idle(self, spider: Spider) -> None:
        """Keep this worker open while another one is busy, polling the shared queue every
        ``SINACRAWL_REDIS_IDLE_POLL`` seconds meanwhile (Scrapy's engine would only ask again
        at its 5-second heartbeat: issue 16 measured a worker idle 46% of its life)."""
        try:
            self.state.set_busy(False)
            busy = self.state.others_busy()
        except redis.RedisError as exc:
            self._failed(exc)
            return
        if busy:
            if not self.poller.running:
                self.poller.start(self.idle_poll, now=False)
            raise DontCloseSpider

    def _poll(self) -> None:
        """While idle: hand a request another worker queued to the engine at once, or close
        this worker as soon as no other is busy."""
        engine = self.crawler.engine
        if engine is None or self.closing is not None:
            self.poller.stop()
            return
        try:
            request = self._next_request()
            done = request is None and not self.state.others_busy()
        except redis.RedisError as exc:
            self.poller.stop()
            self._failed(exc)
            return
        if request is None and not done:
            return
        self.poller.stop()
        if request is not None:
            self.handed.append(request)  # enqueue_request keeps it here, not in Redis
            engine.crawl(request)
        else:
            self.closing = deferred_from_coro(engine.close_spider_async(reason="finished"))

    def _failed(self, exc: redis.RedisError) -> None:
        """Redis failed under this worker (unreachable, or an answer no check foresaw): one
        ERROR and the spider closes with ``finish_reason`` ``redis_failed`` (exit status 1).
        An exception let through would leave Scrapy's engine waiting for good, deaf to
        SIGTERM (issue 13, item 9)."""
        self.stats.inc_value("sinacrawl/redis/failed")
        if self.closing is None and self.crawler.engine is not None:
            logger.error("Redis failed, this worker stops: %s: %s", type(exc).__name__, exc)
            self.closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason=REDIS_FAILED)
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        dupefilter = build_from_crawler(load_object(crawler.settings["DUPEFILTER_CLASS"]), crawler)
        if not isinstance(dupefilter, LeaseDupeFilter):
            raise ValueError(
                f"{cls.__name__} needs DUPEFILTER_CLASS = LeaseDupeFilter, "
                f"got {type(dupefilter).__name__}"
            )
        serializer = crawler.settings.get("SCHEDULER_SERIALIZER")
        if serializer not in (None, queuecodec.__name__):
            raise ValueError(
                f"{cls.__name__} queues JSON only, not SCHEDULER_SERIALIZER {serializer}"
            )
        if not crawler.settings.getbool("SCHEDULER_PERSIST"):
            raise ValueError(f"{cls.__name__} needs SCHEDULER_PERSIST: the queue is shared")
        idle_poll = crawler.settings.getfloat("SINACRAWL_REDIS_IDLE_POLL", 0.1)
        scheduler = cls(dupefilter, crawler, idle_poll)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = JsonPriorityQueue(self.server, spider, self.state.keys.requests)
        kind = self.server.type(self.queue.key)
        if kind not in (b"zset", b"none"):  # nothing could ever be queued: start afresh
            self.state.report(f"queue key of type {kind.decode()}", self.queue.key, " (deleted)")
            self.server.delete(self.queue.key)
        self.heartbeat.start(self.state.heartbeat / 3, now=True)
        logger.info(
            "worker %s on queue %s (%d requests waiting)",
            self.state.worker_id, self.state.keys.requests, len(self.queue),
        )  # fmt: skip

    def close(self, reason: str) -> None:
        for loop in (self.heartbeat, self.poller):
            if loop.running:
                loop.stop()
        try:
            self.state.retire()
        except redis.RedisError as exc:  # its heartbeat lapses by itself
            logger.warning("could not retire worker %s: %s", self.state.worker_id, exc)

    def _beat(self) -> None:
        try:
            self.state.beat()
        except redis.RedisError as exc:
            self._failed(exc)

    def enqueue_request(self, request: Request) -> bool:
        if any(request is r for r in self.handed):  # popped by _poll, leased to this worker
            return True
        try:
            if not request.dont_filter and self.df.request_seen(request):
                self.df.log(request, self.spider)
                return False
            self.queue.push(request)
        except redis.RedisError as exc:
            self._failed(exc)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.handed:
            return self.handed.pop()
        try:
            return self._next_request()
        except redis.RedisError as exc:
            self._failed(exc)
            return None

    def has_pending_requests(self) -> bool:
        try:
            return bool(self.handed) or len(self) > 0
        except redis.RedisError as exc:
            self._failed(exc)
            return False

    def _next_request(self) -> Request | None:
        while True:
            try:
                request: Request | None = self.queue.pop()
            except RejectedRequest as exc:
                self.stats.inc_value("sinacrawl/redis/rejected")
                logger.warning("request from Redis rejected: %s: %r", exc.reason, exc.excerpt)
                continue
            if request is None:
                return None
            self.stats.inc_value("scheduler/dequeued/redis")
            claim = self.state.claim(article_key(request), article_modified(request))
            if claim is not Claim.DONE:
                self.state.set_busy(True)
                return request
            self.stats.inc_value("sinacrawl/redis/skipped_done")
            self.stats.inc_value("sinacrawl/post/skipped")
            logger.debug("article written meanwhile by another worker: %s", request.url)


class DonePipeline:
    """Item pipeline after ``PostWriterPipeline`` (300): an item reaches it only once its post
    is in place, and is then marked done (its lease dropped). A dropped item is never marked,
    so a later run tries it again. Stat ``sinacrawl/redis/marked_done``.
    """

    def __init__(self, state: ClusterState, stats: StatsCollector) -> None:
        self.state = state
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(ClusterState.from_crawler(crawler), crawler.stats)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.state.mark_done(item.docid or item.url)
        self.stats.inc_value("sinacrawl/redis/marked_done")
        return item
