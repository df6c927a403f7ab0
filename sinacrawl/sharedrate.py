"""One polite request rate per Sina host, shared by every worker of a distributed crawl (issue
16): each worker's AutoThrottle and ``DOWNLOAD_DELAY`` only see that worker's own requests, so N
workers would send Sina N times what one polite crawler sends.

The limit is a GCRA schedule (the "generic cell rate algorithm" of ATM networks, a token bucket
with no burst) kept in Redis: key ``sinacrawl:<spider>:rate:<host>`` holds the earliest time
(Redis's clock, ms) the next request to that host may start. Each request reserves its slot in
one atomic script call and waits for it on the reactor, never blocking it. This module imports
``redis``; :class:`sinacrawl.distributed.DistributedAddon` loads it only with ``REDIS_URL`` set.
"""

from __future__ import annotations

import logging
from typing import Any, Self

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor
from twisted.internet.task import deferLater

__all__ = ["MAX_AHEAD_MS", "SharedRate", "SharedRateMiddleware"]

logger = logging.getLogger(__name__)

#: A reservation further ahead than this (ms) is tampered state, not a queue of honest workers
#: (256 requests waiting at 1 per second is 256 s): it is reset, so that it can stall the
#: crawl for at most this long (issue 13, item 9: every key read has a bounded lifetime).
MAX_AHEAD_MS = 600_000

#: KEYS[1] the host's key; ARGV[1] ms between two requests; ARGV[2] :data:`MAX_AHEAD_MS`.
#: Returns {ms to wait, 1 if the stored time was implausible and was reset}.
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local interval = tonumber(ARGV[1])
local stored = redis.call('GET', KEYS[1])
local slot = tonumber(stored or '')
local reset = 0
if stored and (not slot or slot ~= slot or slot > now + tonumber(ARGV[2])) then
  slot = nil
  reset = 1
end
if not slot or slot < now then slot = now end
redis.call('SET', KEYS[1], string.format('%d', slot + interval), 'PX', slot + interval - now + 1000)
return {slot - now, reset}
"""


class SharedRate:
    """The shared schedule of one crawl: ``rate`` requests per second per host (> 0), keys
    under ``prefix``. :meth:`reserve` raises :class:`redis.RedisError` when Redis cannot be
    reached.
    """

    def __init__(self, server: redis.Redis, prefix: str, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"a shared rate must be above 0 requests/s, got {rate}")
        self.prefix = prefix
        self.interval_ms = max(1, round(1000 / rate))
        self._reserve = server.register_script(_RESERVE)

    def reserve(self, host: str) -> tuple[float, bool]:
        """Reserve the next slot for a request to ``host``: seconds to wait before sending it,
        and whether the stored schedule was implausible (reset)."""
        wait_ms, reset = self._reserve(
            keys=[f"{self.prefix}{host}"], args=[self.interval_ms, MAX_AHEAD_MS]
        )
        return int(wait_ms) / 1000, bool(reset)


class SharedRateMiddleware:
    """Downloader middleware: every live request waits for its host's slot in the shared
    schedule (``SINACRAWL_SHARED_RATE`` requests/second per host for all workers together;
    0 turns it off, :class:`NotConfigured`). After ``ReplayMiddleware`` (950), so a replayed
    crawl is never slowed. Stats ``sinacrawl/shared_rate/waited`` (requests that waited) and
    ``sinacrawl/shared_rate/wait_ms`` (their total wait); a reset schedule is logged and
    counted as ``sinacrawl/redis/bad_state``; a Redis error lets the request through
    unthrottled, with a WARNING and ``sinacrawl/shared_rate/failed``, rather than stop the
    crawl (the worker's own ``DOWNLOAD_DELAY`` still applies).
    """

    def __init__(self, rate: SharedRate, stats: StatsCollector) -> None:
        self.rate = rate
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Settings: ``SINACRAWL_SHARED_RATE`` (requests/s, float), ``REDIS_URL``."""
        limit = crawler.settings.getfloat("SINACRAWL_SHARED_RATE", 0.0)
        if limit <= 0 or not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        assert crawler.spidercls is not None and crawler.stats is not None
        server = redis.Redis.from_url(crawler.settings["REDIS_URL"])
        prefix = f"sinacrawl:{crawler.spidercls.name}:rate:"
        return cls(SharedRate(server, prefix, limit), crawler.stats)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        try:
            wait, reset = self.rate.reserve(host)
        except redis.RedisError as exc:
            self.stats.inc_value("sinacrawl/shared_rate/failed")
            logger.warning("shared rate unavailable, %s sent unthrottled: %s", request.url, exc)
            return
        if reset:
            self.stats.inc_value("sinacrawl/redis/bad_state")
            logger.warning(
                "Redis state ignored: implausible shared rate %s%s", self.rate.prefix, host
            )
        if wait > 0:
            self.stats.inc_value("sinacrawl/shared_rate/waited")
            self.stats.inc_value("sinacrawl/shared_rate/wait_ms", int(wait * 1000))
            delay: Any = deferLater(reactor, wait, lambda: None)
            await maybe_deferred_to_future(delay)
