"""The shared request rate of distributed mode (issue 16): every worker reserves its request's
slot in one schedule per host, in a real ``redis-server`` (the fixtures of
``tests/test_distributed.py``)."""

# ruff: noqa: F811

from __future__ import annotations

import time
from typing import Any

import pytest

# The fixtures that start a redis-server; ruff reads the test parameters as redefinitions.
from tests.test_distributed import redis_client, redis_url  # noqa: F401

KEY = "sinacrawl:t:rate:finance.sina.com.cn"


def _workers(url: str, count: int, rate: float) -> list[Any]:
    import redis

    from sinacrawl.sharedrate import SharedRate

    return [SharedRate(redis.Redis.from_url(url), "sinacrawl:t:rate:", rate) for _ in range(count)]


def test_three_workers_share_one_rate(redis_url: str, redis_client: Any) -> None:
    workers = _workers(redis_url, 3, 20.0)  # one request every 50 ms, whoever sends it
    starts = []
    for _ in range(10):
        for worker in workers:
            wait, reset = worker.reserve("finance.sina.com.cn")
            assert not reset
            starts.append(time.monotonic() + wait)
    # 30 requests, 29 gaps of 50 ms (give or take this machine's latency between two calls).
    assert starts[-1] - starts[0] == pytest.approx(29 * 0.05, abs=0.03)
    assert 0 < redis_client.pttl(KEY) <= 1500 + 1050  # a bounded lifetime: the queue + 1 s
    # Another host has its own schedule.
    assert workers[0].reserve("k.sina.com.cn") == (0.0, False)


@pytest.mark.parametrize("planted", ["garbage", "nan", str(int(time.time() * 1000) + 86_400_000)])
def test_a_tampered_schedule_is_reset(redis_url: str, redis_client: Any, planted: str) -> None:
    redis_client.set(KEY, planted)  # no expiry; a day ahead would stall every worker a day
    (worker,) = _workers(redis_url, 1, 2.0)
    assert worker.reserve("finance.sina.com.cn") == (0.0, True)
    assert 0 < redis_client.pttl(KEY) <= 1500
    wait, reset = worker.reserve("finance.sina.com.cn")
    assert wait == pytest.approx(0.5, abs=0.05) and not reset
