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
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from weakref import WeakKeyDictionary

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
    "Feed",
    "FeedReaderMiddleware",
    "JsonPriorityQueue",
    "Keys",
    "LeaseDupeFilter",
    "LeasingScheduler",
    "Taken",
    "article_key",
    "article_modified",
]

logger = logging.getLogger(__name__)

#: How far ahead of this worker's clock a done mark's time may be (seconds): the clock skew
#: between the workers' machines that is believed.
DONE_SKEW = 300.0
#: Lua functions shared by the scripts below.
#:
#: ``done_time(done hash, docid, latest)``: when the article's post was written (the mark's
#: text, Unix seconds) or false. A mark that is not ``<seconds> <where>``, or whose time is
#: before 2000 or after ``latest`` (now + ``DONE_SKEW``), is ignored and named in the second
#: value (issue 13, item 9: one such mark used to raise a Lua error that hung the worker; a
#: far-future time hid every later edit).
#:
#: ``live(heartbeat key, heartbeat ms)``: is that worker alive? A heartbeat with no expiry or a
#: longer one than this worker's settings give is tampered state: not alive, and named.
#:
#: ``feed_mark(feed key, heartbeat prefix, heartbeat ms, lease ms)``: who reads the feed
#: (issue 16): ``reading``/``read`` (or false), the holder's worker id, whether it is alive, a
#: problem. A mark that is not ``reading|read <worker>``, or has no expiry or a longer one than
#: a lease, is a problem and treated as a reader that is gone.
_FUNCTIONS = """
local function done_time(key, docid, latest)
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'none' then return false, '' end
  if kind ~= 'hash' then return false, 'done key of type ' .. kind end
  local mark = redis.call('HGET', key, docid)
  if not mark then return false, '' end
  local text = string.match(mark, '^(%S+) ')
  local written = tonumber(text or '')
  if not written or written ~= written then return false, 'malformed done mark' end
  if written < 946684800 or written > latest then return false, 'implausible done mark' end
  return text, ''
end
local function live(key, heartbeat_ms)
  local beat = redis.call('PTTL', key)
  if beat == -1 or beat > heartbeat_ms then return false, 'implausible worker heartbeat' end
  return beat > 0, ''
end
local function feed_mark(key, prefix, heartbeat_ms, lease_ms)
  local kind = redis.call('TYPE', key)['ok']
  if kind == 'none' then return false, false, false, '' end
  if kind ~= 'string' then return 'reading', '', false, 'feed key of type ' .. kind end
  local status, owner = string.match(redis.call('GET', key), '^(%a+) (%S+)$')
  local ttl = redis.call('PTTL', key)
  if (status ~= 'reading' and status ~= 'read') or ttl < 0 or ttl > lease_ms then
    return 'reading', '', false, 'implausible feed mark'
  end
  local alive, problem = live(prefix .. owner, heartbeat_ms)
  return status, owner, alive, problem
end
"""
#: Scheduling time (admit, and push when leased: one round trip, issue 16). KEYS: done hash,
#: lease key, queue. ARGV: docid, latest mark time, this worker, lease ms, worker-key prefix,
#: heartbeat ms, feed ``mtime`` (Unix seconds, or empty when unknown), queue score, queue
#: entry (empty: admit only). Done, unless the feed says Sina edited the article after its post
#: was written (the rule of KnownPostsMiddleware). A lease counts while its holder's heartbeat
#: lives; a lease or heartbeat with no expiry, or a longer one than this worker's settings
#: give, is tampered state (issue 13, item 9): reported and taken over.
_ADMIT = (
    _FUNCTIONS
    + """
local written, problem = done_time(KEYS[1], ARGV[1], tonumber(ARGV[2]))
if written and (ARGV[7] == '' or tonumber(ARGV[7]) < tonumber(written)) then
  return {'done', problem}
end
local owner = false
local kind = redis.call('TYPE', KEYS[2])['ok']
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
    local alive, beat_problem = live(ARGV[5] .. owner, tonumber(ARGV[6]))
    if owner == ARGV[3] or alive then return {'in_flight', problem} end
    if beat_problem ~= '' then problem = beat_problem end
  end
end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
if ARGV[9] ~= '' then redis.call('ZADD', KEYS[3], ARGV[8], ARGV[9]) end
if owner then return {'taken_over', problem} end
return {'leased', problem}
"""
)
#: A worker that has a request for ``docid`` takes over its lease (if it has one), or learns
#: it is done. KEYS: done hash, lease key. ARGV: docid, latest mark time, this worker, lease
#: ms, feed ``mtime``.
_CLAIM = (
    _FUNCTIONS
    + """
local written, problem = done_time(KEYS[1], ARGV[1], tonumber(ARGV[2]))
if written and (ARGV[5] == '' or tonumber(ARGV[5]) < tonumber(written)) then
  return {'done', problem}
end
if redis.call('SET', KEYS[2], ARGV[3], 'XX', 'PX', ARGV[4]) then return {'claimed', problem} end
return {'unleased', problem}
"""
)
#: Dequeue and claim in one round trip (issue 16): pop the first entry of the queue (KEYS[1]);
#: when it names its article (``meta.docid``, a string) take over that article's lease (if it
#: has one) and return when its post was written (KEYS[2], the done hash). ARGV: lease-key
#: prefix, this worker, lease ms, latest mark time. Returns nothing for an empty queue, else
#: {entry, docid or '', written or '', problem}. The worker compares the time with the feed's
#: ``mtime`` and checks the docid against the request it decodes (:meth:`ClusterState.take`).
_TAKE = (
    _FUNCTIONS
    + """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local ok, request = pcall(cjson.decode, first[1])
local docid = ok and type(request) == 'table' and type(request.meta) == 'table'
  and request.meta.docid
if type(docid) ~= 'string' then return {first[1], '', '', ''} end
local written, problem = done_time(KEYS[2], docid, tonumber(ARGV[4]))
redis.call('SET', ARGV[1] .. docid, ARGV[2], 'XX', 'PX', ARGV[3])
return {first[1], docid, written or '', problem}
"""
)
#: Become the one worker that reads the feed (issue 16), at start-up: unless a live worker
#: reads it or has read it. KEYS[1] the feed key. ARGV: worker-key prefix, heartbeat ms, lease
#: ms, this worker. Returns {'mine' or the holder's status, problem}.
_READ_FEED = (
    _FUNCTIONS
    + """
local status, owner, alive, problem = feed_mark(KEYS[1], ARGV[1], tonumber(ARGV[2]),
  tonumber(ARGV[3]))
if status and alive and owner ~= ARGV[4] then return {status, problem} end
redis.call('SET', KEYS[1], 'reading ' .. ARGV[4], 'PX', ARGV[3])
return {'mine', problem}
"""
)
#: An idle worker's look at the crawl, in one round trip: every other worker's heartbeat
#: (key, value or ``type <kind>``, PTTL; SCAN over the keys starting ``ARGV[1]``, skipping
#: ``ARGV[2]``, this worker's), and the feed: a reader that is gone before the feed's end is
#: replaced by this worker (issue 16: the feed must not die with its reader). KEYS[1] the feed
#: key; ARGV[3..5]: heartbeat ms, lease ms, this worker (empty: take nothing over). Returns
#: {heartbeats, 'mine' or the feed's status or 'none', problem}.
_SURVEY = (
    _FUNCTIONS
    + """
local beats = {}
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. '*', 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if key ~= ARGV[2] then
      local kind = redis.call('TYPE', key)['ok']
      local value = 'type ' .. kind
      if kind == 'string' then value = redis.call('GET', key) end
      beats[#beats + 1] = {key, value, redis.call('PTTL', key)}
    end
  end
until cursor == '0'
local status, owner, alive, problem = feed_mark(KEYS[1], ARGV[1], tonumber(ARGV[3]),
  tonumber(ARGV[4]))
if ARGV[5] ~= '' and status == 'reading' and not alive and owner ~= ARGV[5] then
  redis.call('SET', KEYS[1], 'reading ' .. ARGV[5], 'PX', ARGV[4])
  return {beats, 'mine', problem}
end
return {beats, status or 'none', problem}
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


class Feed(StrEnum):
    """Who reads the feed (issue 16): this worker, or another live one that ``reading`` it or
    has ``read`` it all, or nobody (``none``: no mark)."""

    MINE = "mine"
    READING = "reading"
    READ = "read"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Taken:
    """A queue entry this worker popped (:meth:`ClusterState.take`): its bytes, and, when the
    entry named its article (``docid``), the lease on it is this worker's and ``written`` is
    when its post was written (Unix seconds; None when it has no valid done mark)."""

    entry: bytes
    docid: str | None
    written: float | None


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
    def feed(self) -> str:
        """Who reads the feed: ``reading <worker>`` or ``read <worker>`` (issue 16)."""
        return self.prefix + "feed"

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
    trip (issue 16 batched each step into one script) and raises :class:`redis.RedisError`
    when Redis cannot be reached. ``reads_feed`` says whether this worker is the one that
    reads the feed (:meth:`read_feed`, :meth:`survey`).

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
        self.reads_feed = False
        self._reported: set[tuple[str, str]] = set()
        self._admit = server.register_script(_ADMIT)
        self._claim = server.register_script(_CLAIM)
        self._take = server.register_script(_TAKE)
        self._read_feed = server.register_script(_READ_FEED)
        self._survey = server.register_script(_SURVEY)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterState:
        """This crawler's one state (every component of a worker shares it: one worker id,
        one connection): connect to ``REDIS_URL`` and ping it, so a wrong URL stops the crawl
        at once.

        Settings: ``SINACRAWL_REDIS_HEARTBEAT`` (s, default 10), ``SINACRAWL_REDIS_LEASE``
        (s, default 3600), ``POSTS_DIR``.
        """
        state = _STATES.get(crawler)
        if state is None:
            state = _STATES[crawler] = cls._connect(crawler)
        return state

    @classmethod
    def _connect(cls, crawler: Crawler) -> ClusterState:
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

    def survey(self, take_over: bool = True) -> tuple[bool, Feed]:
        """An idle worker's look at the crawl: is another live worker busy, and who reads the
        feed? With ``take_over``, a reader that is gone before the feed's end is replaced by
        this worker (:attr:`Feed.MINE`: it must read the feed from the start now; issue 16).
        A heartbeat key whose value is not ``busy``/``idle``, or that has no expiry or a
        longer one than ``heartbeat``, is reported and ignored (it would keep every worker
        open for good); so is a feed mark that is not this module's."""
        mine = self.keys.worker(self.worker_id)
        taker = self.worker_id if take_over else ""
        args: list[_Arg] = [self.keys.workers, mine, self.heartbeat_ms, self.lease_ms, taker]
        beats, feed, problem = self._survey(keys=[self.keys.feed], args=args)
        busy = False
        for key, value, ttl in beats:
            if value not in (b"busy", b"idle") or not 0 < ttl <= self.heartbeat_ms:
                expiry = "no expiry" if ttl == -1 else f"expiry {ttl} ms"
                self.report(
                    "implausible worker heartbeat", key.decode(errors="replace"),
                    f" ({value!r:.40}, {expiry})",
                )  # fmt: skip
            elif value == b"busy":
                busy = True
        if problem:
            self.report(problem.decode(), self.keys.feed)
        outcome = Feed(feed.decode())
        if outcome is Feed.MINE:
            self.reads_feed = True
        return busy, outcome

    def others_busy(self) -> bool:
        """Is another live worker of this crawl busy (:meth:`survey`, taking nothing over)?"""
        return self.survey(take_over=False)[0]

    def read_feed(self) -> Feed:
        """At start-up: become the one worker that reads the feed (:attr:`Feed.MINE`), unless
        a live worker reads it or has read it all (then this worker only takes articles from
        the queue). A feed mark that is not this module's is reported and replaced."""
        args: list[_Arg] = [self.keys.workers, self.heartbeat_ms, self.lease_ms, self.worker_id]
        outcome, problem = self._read_feed(keys=[self.keys.feed], args=args)
        if problem:
            self.report(problem.decode(), self.keys.feed)
        feed = Feed(outcome.decode())
        self.reads_feed = feed is Feed.MINE
        return feed

    def feed_done(self) -> None:
        """This worker has read the whole feed: no one need read it again while it lives."""
        self.server.set(self.keys.feed, f"read {self.worker_id}", px=self.lease_ms)

    def done_count(self) -> int:
        """How many articles of this crawl are marked done (0 when the done key is not a
        hash: reported by the scripts)."""
        try:
            return int(self.server.hlen(self.keys.done))
        except redis.ResponseError:
            return 0

    def retire(self) -> None:
        """Say this worker is gone: the leases it still holds lapse at once."""
        self.server.delete(self.keys.worker(self.worker_id))

    def admit(
        self, docid: str, modified: float | None, entry: tuple[int, bytes] | None = None
    ) -> Admission:
        """May this worker schedule article ``docid`` (last edited at ``modified``, Unix
        seconds, if known)? Leases it when so, and then pushes ``entry`` (queue score, bytes)
        onto the queue in the same round trip."""
        score, data = entry if entry is not None else (0, b"")
        args: list[_Arg] = [self.worker_id, self.lease_ms, self.keys.workers, self.heartbeat_ms]
        keys = [self.keys.done, self.keys.lease(docid), self.keys.requests]
        latest = time.time() + DONE_SKEW
        outcome, problem = self._admit(
            keys=keys, args=[docid, latest, *args, _arg(modified), score, data]
        )
        self._problem(problem, docid)
        return Admission(outcome.decode())

    def claim(self, docid: str, modified: float | None) -> Claim:
        """This worker holds a request for ``docid``: take its lease, or learn it is done."""
        latest = time.time() + DONE_SKEW
        args: list[_Arg] = [docid, latest, self.worker_id, self.lease_ms, _arg(modified)]
        keys = [self.keys.done, self.keys.lease(docid)]
        outcome, problem = self._claim(keys=keys, args=args)
        self._problem(problem, docid)
        return Claim(outcome.decode())

    def take(self) -> Taken | None:
        """Pop the queue's first entry (None when it is empty) and, when the entry names its
        article, take that article's lease and learn when its post was written: one round
        trip (issue 16). Whether the entry is a request at all is the caller's to check."""
        latest = time.time() + DONE_SKEW
        args: list[_Arg] = [self.keys.prefix + "lease:", self.worker_id, self.lease_ms, latest]
        answer = self._take(keys=[self.keys.requests, self.keys.done], args=args)
        if not answer:
            return None
        entry, docid, written, problem = answer
        if not docid:
            return Taken(entry, None, None)
        self._problem(problem, docid.decode())
        return Taken(entry, docid.decode(), float(written) if written else None)

    def mark_done(self, docid: str) -> None:
        """The post of ``docid`` is safely written: record when and where, drop its lease. A
        done key that is not a hash is reported and left alone (the article is not marked)."""
        with self.server.pipeline(transaction=False) as pipe:  # in order, one round trip
            pipe.hset(self.keys.done, docid, f"{time.time():.3f} {self.where}")
            pipe.delete(self.keys.lease(docid))
            try:
                pipe.execute()
            except redis.ResponseError as exc:
                self.report("done key not writable", self.keys.done, f" ({exc})")

    def _problem(self, problem: bytes, docid: str) -> None:
        if not problem:
            return
        if problem.startswith(b"done key"):
            key = self.keys.done
        elif b"done" in problem:
            key = f"{self.keys.done}[{docid}]"
        else:
            key = self.keys.lease(docid)
        self.report(problem.decode(), key)


#: What a script's ARGV may hold.
_Arg = bytes | str | int | float

#: Each crawler's one :class:`ClusterState` (:meth:`ClusterState.from_crawler`).
_STATES: WeakKeyDictionary[Crawler, ClusterState] = WeakKeyDictionary()


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

    def encode(self, request: Request) -> bytes:
        """The queue entry of ``request``."""
        data: bytes = self._encode_request(request)
        return data

    def decode(self, entry: bytes) -> Request:
        """The request of queue entry ``entry``; raises :class:`RejectedRequest`."""
        return self._decode_request(entry)

    def push_encoded(self, score: int, entry: bytes) -> None:
        """Push an entry :meth:`encode` made, with its score (minus the priority)."""
        self.server.zadd(self.key, {entry: score})


class ClusterComponent:
    """A Scrapy component (dupe filter, spider middleware, item pipeline) that works on this
    run's :class:`ClusterState` and counts in the crawl's stats; built by ``from_crawler``,
    which raises what :meth:`ClusterState.from_crawler` raises."""

    def __init__(self, state: ClusterState, stats: StatsCollector) -> None:
        self.state = state
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(ClusterState.from_crawler(crawler), crawler.stats)


class LeaseDupeFilter(ClusterComponent, BaseDupeFilter):
    """``DUPEFILTER_CLASS`` keyed by document id: an article already done (and not edited since,
    by its feed entry's ``mtime``), or leased by a live worker, is seen; anything else is
    leased to this worker and scheduled. A redirect hop belongs to an article already admitted
    and passes. Feed pages and retries carry ``dont_filter`` and never get here. Stats
    ``sinacrawl/redis/<Admission>``; a done article also counts as ``sinacrawl/post/skipped``
    (the summary's ``skipped``: its post exists).
    """

    def request_seen(self, request: Request, entry: tuple[int, bytes] | None = None) -> bool:
        """Is ``request``'s article done or in flight elsewhere? When it is not, it is leased
        to this worker and ``entry`` (queue score, bytes), if given, is pushed onto the queue
        in the same round trip (issue 16). A redirect hop is never seen and never pushed here.
        """
        if "redirect_urls" in request.meta:
            return False
        docid = article_key(request)
        outcome = self.state.admit(docid, article_modified(request), entry)
        self.stats.inc_value(f"sinacrawl/redis/{outcome}")
        if outcome is Admission.DONE:
            self.stats.inc_value("sinacrawl/post/skipped")
        if outcome is Admission.TAKEN_OVER:
            logger.info("article %s was held by a worker that is gone; crawling it", request.url)
        return outcome in (Admission.DONE, Admission.IN_FLIGHT)

    def log(self, request: Request, spider: Spider) -> None:
        logger.debug("article done or in flight elsewhere: %s", request.url)


class LeasingScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's scheduler on the queue ``sinacrawl:<spider>:requests`` (a priority queue),
    with a :class:`LeaseDupeFilter` (``DUPEFILTER_CLASS``), this worker's heartbeat while it
    is open, and a claim on each request it pops: a request whose article was written
    meanwhile is skipped (stat ``sinacrawl/redis/skipped_done``). The queue is scrapy-redis's,
    holding JSON (:class:`JsonPriorityQueue`; a rejected entry is logged and counted as
    ``sinacrawl/redis/rejected``); opening, closing and the stats calls are redone here in
    Scrapy 2.19's form. The queue outlives every worker: ``SCHEDULER_PERSIST`` off, or a
    ``SCHEDULER_SERIALIZER`` other than :mod:`sinacrawl.queuecodec`, raises
    :class:`ValueError`. Settings: ``SINACRAWL_REDIS_IDLE_POLL`` (s, default 0.1). A Redis
    error closes the worker with ``finish_reason`` :data:`~sinacrawl.distributed.REDIS_FAILED`
    (:meth:`_failed`).

    Issue 16: only article requests (``meta["docid"]``) go to Redis, each admitted and pushed
    in one round trip, and popped and claimed in one. The others (feed pages) stay in this
    worker, first in, first out, ahead of the shared queue: one worker reads the feed
    (:class:`FeedReaderMiddleware`), and its feed pages die with it, so an idle worker that
    finds the reader gone before the feed's end reads the feed again from its start (stat
    ``sinacrawl/redis/feed_taken_over``): done articles are skipped, the gone reader's leases
    taken over. The reader takes no article from the shared queue until its feed pages are all
    parsed (its first idle moment, when it marks the feed read): taking each article as it
    queued it, it left the other workers a quarter of a 2-worker replay, waiting for the rest.
    At close, the articles other workers marked done while this one ran are the stat
    ``sinacrawl/redis/done_elsewhere``: a worker whose own few articles were all dropped has
    not failed when the crawl wrote posts (:class:`~sinacrawl.extensions.CrawlSummary`).
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
        self.local: deque[Request] = deque()
        self.closing: Deferred[None] | None = None
        self.restarting: Deferred[None] | None = None
        self.done_at_open = 0

    def spider_idle(self, spider: Spider) -> None:
        """Keep this worker open while another one is busy, polling the shared queue every
        ``SINACRAWL_REDIS_IDLE_POLL`` seconds meanwhile (Scrapy's engine would only ask again
        at its 5-second heartbeat: issue 16 measured a worker idle 46% of its life); read the
        feed again if its reader is gone."""
        if self.restarting is not None and not self.restarting.called:
            raise DontCloseSpider  # the feed's first page is on its way
        try:
            if self.state.reads_feed:
                self.state.feed_done()
                self.state.reads_feed = False
                if not self.poller.running:  # the queue is full now: take from it like all
                    self.poller.start(self.idle_poll, now=False)
                raise DontCloseSpider
            self.state.set_busy(False)
            busy, feed = self.state.survey()
        except redis.RedisError as exc:
            self._failed(exc)
            return
        if feed is Feed.MINE:
            self._read_feed_again()
            raise DontCloseSpider
        if busy:
            if not self.poller.running:
                self.poller.start(self.idle_poll, now=False)
            raise DontCloseSpider

    def _poll(self) -> None:
        """While idle: hand a request another worker queued to the engine at once, read the
        feed if its reader is gone, or close this worker as soon as no other is busy."""
        engine = self.crawler.engine
        if engine is None or self.closing is not None:
            self.poller.stop()
            return
        try:
            request = self._next_request()
            busy, feed = (True, Feed.NONE) if request else self.state.survey()
        except redis.RedisError as exc:
            self.poller.stop()
            self._failed(exc)
            return
        if request is None and feed is not Feed.MINE and busy:
            return
        self.poller.stop()
        if request is not None:
            self.handed.append(request)  # enqueue_request keeps it here, not in Redis
            engine.crawl(request)
        elif feed is Feed.MINE:
            self._read_feed_again()
        else:
            self.closing = deferred_from_coro(engine.close_spider_async(reason="finished"))

    def _read_feed_again(self) -> None:
        """The feed's reader is gone (killed, or stopped by an error) before the feed's end,
        and this worker took its place: the spider's start requests once more, through the
        spider middlewares."""
        self.stats.inc_value("sinacrawl/redis/feed_taken_over")
        logger.warning(
            "the worker reading the feed is gone; worker %s reads it again from the start",
            self.state.worker_id,
        )
        self.restarting = deferred_from_coro(self._start_again())

    async def _start_again(self) -> None:
        engine = self.crawler.engine
        assert engine is not None
        start = await engine.scraper.spidermw.process_start()
        if start is not None:
            async for request in start:
                engine.crawl(request)

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
        self.done_at_open = self.state.done_count()
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
            mine = int(self.stats.get_value("sinacrawl/redis/marked_done", 0))
            elsewhere = self.state.done_count() - self.done_at_open - mine
            if elsewhere > 0:
                self.stats.set_value("sinacrawl/redis/done_elsewhere", elsewhere)
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
        if "docid" not in request.meta:  # a feed page: stays with the feed's reader
            self.local.append(request)
            self.stats.inc_value("scheduler/enqueued/memory")
            return True
        try:
            entry = (-request.priority, self.queue.encode(request))
            if request.dont_filter or "redirect_urls" in request.meta:
                self.queue.push_encoded(*entry)
            elif self.df.request_seen(request, entry):
                self.df.log(request, self.spider)
                return False
        except redis.RedisError as exc:
            self._failed(exc)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.handed:
            return self.handed.pop()
        if self.local:
            self.stats.inc_value("scheduler/dequeued/memory")
            return self.local.popleft()
        if self.state.reads_feed:
            return None  # the feed's reader reads the whole feed before it takes an article
        try:
            return self._next_request()
        except redis.RedisError as exc:
            self._failed(exc)
            return None

    def has_pending_requests(self) -> bool:
        try:
            shared = not self.state.reads_feed and len(self) > 0
            return bool(self.handed) or bool(self.local) or shared
        except redis.RedisError as exc:
            self._failed(exc)
            return False

    def _next_request(self) -> Request | None:
        while True:
            taken = self.state.take()
            if taken is None:
                return None
            try:
                request = self.queue.decode(taken.entry)
            except RejectedRequest as exc:
                self.stats.inc_value("sinacrawl/redis/rejected")
                logger.warning("request from Redis rejected: %s: %r", exc.reason, exc.excerpt)
                continue
            self.stats.inc_value("scheduler/dequeued/redis")
            key, modified = article_key(request), article_modified(request)
            if key == taken.docid:  # claimed in the same round trip
                written = taken.written
                done = written is not None and (modified is None or modified < written)
            else:
                done = self.state.claim(key, modified) is Claim.DONE
            if not done:
                self.state.set_busy(True)
                return request
            self.stats.inc_value("sinacrawl/redis/skipped_done")
            self.stats.inc_value("sinacrawl/post/skipped")
            logger.debug("article written meanwhile by another worker: %s", request.url)


class FeedReaderMiddleware(ClusterComponent):
    """Spider middleware: of the workers of one crawl, one reads the feed (issue 16: every
    worker used to read every feed page, each an extra feed download and a Redis round trip
    per article listed); the others yield no start request and only take articles from the
    queue. The reader is the first worker to start while no live worker reads or has read
    the feed (:meth:`ClusterState.read_feed`); :class:`LeasingScheduler` replaces a reader
    that is gone before the feed's end. Stat ``sinacrawl/redis/feed_reader`` (1 on the worker
    that reads it). A Redis error here lets this worker read the feed too (the scheduler
    stops it at its next Redis call).
    """

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if not self.state.reads_feed:
            try:
                feed = self.state.read_feed()
            except redis.RedisError as exc:
                logger.warning("could not ask Redis who reads the feed: %s", exc)
                feed = Feed.MINE
            if feed is not Feed.MINE:
                logger.info(
                    "worker %s takes articles from the queue; another worker %s the feed",
                    self.state.worker_id, "reads" if feed is Feed.READING else "has read",
                )  # fmt: skip
                return
            self.stats.set_value("sinacrawl/redis/feed_reader", 1)
        async for request in start:
            yield request


class DonePipeline(ClusterComponent):
    """Item pipeline after ``PostWriterPipeline`` (300): an item reaches it only once its post
    is in place, and is then marked done (its lease dropped). A dropped item is never marked,
    so a later run tries it again. Stat ``sinacrawl/redis/marked_done``.
    """

    def process_item(self, item: ArticleItem) -> ArticleItem:
        self.state.mark_done(item.docid or item.url)
        self.stats.inc_value("sinacrawl/redis/marked_done")
        return item
