"""A writable Redis must not run code in a worker, hang it, or hide an article (issue 13, items 5
and 9): every attack is planted in a real ``redis-server`` (the fixtures of
``tests/test_distributed.py``), then one worker replays ``tests/fixtures/replay`` over it."""

# ruff: noqa: F811

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request

from sinacrawl.queuecodec import dumps
from tests.conftest import REPLAY, ROOT
from tests.crawl_log import CrawlLog, post_names

# The fixtures that start a redis-server; ruff reads the test parameters as redefinitions.
from tests.test_distributed import _free_port, redis_client, redis_url  # noqa: F401

QUEUE = "sinacrawl:sina_finance:requests"
DONE = "sinacrawl:sina_finance:done"
FEED = "sinacrawl:sina_finance:feed"
ARTICLE = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
#: The feed's ``mtime`` of that article in tests/fixtures/replay (2021-12-21 06:56:42 UTC).
ARTICLE_MTIME = 1640069802
POSTS = [
    "fxsktkp0000001.md", "kknscsi0000002.md", "kknscsi0000003.md", "kyamrmz0151960.md",
]  # fmt: skip


class _Payload:
    """Unpickling this creates a folder: what a hostile queue entry would do with ``os.system``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.marker),))


def _crawl(posts: Path, url: str, timeout: float = 60) -> CrawlLog:
    """One worker over the replay fixture, ``REDIS_URL`` from the environment (never argv)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["SINACRAWL_REDIS_URL"] = url
    args = ["-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={posts}"]
    args += ["-s", "SINACRAWL_REDIS_HEARTBEAT=2"]
    try:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
        pytest.fail(f"the worker hung for {timeout} s:\n{stderr[-3000:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return CrawlLog(result.stderr)


def _warnings(log: CrawlLog, text: str) -> list[str]:
    return [m for level, m in log.lines("WARNING") if text in m]


def test_queue_entries_that_are_not_our_json_are_dropped_unrun(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    marker = tmp_path / "pwned"
    hostile = {
        "pickle": pickle.dumps(_Payload(marker), protocol=4),
        "json": b'{"url": "https://finance.sina.com.cn/x", ',
        "class": json.dumps(
            {"_class": "subprocess.Popen", "url": ARTICLE, "args": ["mkdir", str(marker)]}
        ).encode(),
        "callback": dumps({**Request(ARTICLE).to_dict(), "callback": "_set_crawler"}),
        "proxy": dumps(Request(ARTICLE, meta={"proxy": "http://10.0.0.5:3128"}).to_dict()),
    }
    for score, entry in enumerate(hostile.values()):
        redis_client.execute_command("ZADD", QUEUE, -100 - score, entry)

    log = _crawl(tmp_path / "posts", redis_url)

    assert not marker.exists()
    assert post_names(tmp_path / "posts") == POSTS
    rejected = _warnings(log, "request from Redis rejected")
    assert len(rejected) == 5, log.text[-3000:]
    assert sum("not JSON" in m for m in rejected) == 2  # the pickle, the cut-off JSON
    assert sum("unknown field '_class'" in m for m in rejected) == 1
    assert sum("callback '_set_crawler' is not a method" in m for m in rejected) == 1
    assert sum("meta key 'proxy' is not allowed" in m for m in rejected) == 1
    assert log.stats()["sinacrawl/redis/rejected"] == 5
    assert redis_client.zcard(QUEUE) == 0


def test_requests_round_trip_through_the_queue_as_json(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    log = _crawl(tmp_path / "posts", redis_url)
    assert log.stats().get("sinacrawl/redis/rejected") is None
    # The redirect hop (301) went through the queue too and kept its article's callback.
    assert log.stats()["sinacrawl/post/written"] == 4
    # Nothing left in Redis is a pickle: a second worker reads the same state.
    assert all(not k.startswith(b"\x80") for k in redis_client.zrange(QUEUE, 0, -1))


def test_a_malformed_done_mark_is_ignored_not_fatal(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.hset(DONE, "kyamrmz0151960", "garbage")
    redis_client.hset(DONE, "kknscsi0000002", "")
    start = time.monotonic()
    log = _crawl(tmp_path / "posts", redis_url, timeout=60)
    assert time.monotonic() - start < 30
    assert post_names(tmp_path / "posts") == POSTS
    assert len(_warnings(log, "malformed done mark")) == 2, log.text[-3000:]
    assert log.stats()["sinacrawl/redis/bad_state"] == 2
    assert log.summary()["written"] == "4"
    assert redis_client.hget(DONE, "kyamrmz0151960").split(" ")[0] != "garbage"


def test_a_done_mark_from_the_future_does_not_hide_an_edited_article(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.hset(DONE, "kyamrmz0151960", f"{time.time() + 10 * 365 * 86400:.3f} evil:/x")
    log = _crawl(tmp_path / "posts", redis_url)
    assert post_names(tmp_path / "posts") == POSTS
    assert log.summary()["written"] == "4"
    assert log.summary()["skipped"] == "0"
    assert len(_warnings(log, "implausible done mark")) == 1, log.text[-3000:]
    assert log.stats()["sinacrawl/redis/bad_state"] == 1
    # The mark written now is believed again: the article's feed mtime is older.
    written = float(redis_client.hget(DONE, "kyamrmz0151960").split(" ")[0])
    assert ARTICLE_MTIME < written <= time.time()


def test_a_heartbeat_with_no_expiry_does_not_keep_workers_open(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.set("sinacrawl:sina_finance:worker:evil:1:ab", "busy")
    redis_client.set("sinacrawl:sina_finance:worker:evil:2:ab", "busy", ex=10 * 86400)
    log = _crawl(tmp_path / "posts", redis_url, timeout=60)
    assert log.summary()["written"] == "4"
    bad = _warnings(log, "implausible worker heartbeat")
    assert len(bad) == 2, log.text[-3000:]
    assert log.stats()["sinacrawl/redis/bad_state"] == 2


def test_a_lease_held_forever_by_a_fake_worker_lapses(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.set("sinacrawl:sina_finance:worker:evil:1:ab", "idle")
    redis_client.set("sinacrawl:sina_finance:lease:kyamrmz0151960", "evil:1:ab")
    log = _crawl(tmp_path / "posts", redis_url, timeout=60)
    assert log.summary()["written"] == "4"
    assert log.stats()["sinacrawl/redis/bad_state"] >= 1


@pytest.mark.parametrize(
    ("plant", "problem"),
    [
        (lambda r: r.set(FEED, "reading evil:1:ab"), "implausible feed mark"),  # no expiry
        (lambda r: r.hset(FEED, "reading", "evil:1:ab"), "feed key of type hash"),
    ],
)
def test_a_planted_feed_mark_does_not_stop_the_feed(
    tmp_path: Path, redis_url: str, redis_client: Any, plant: Any, problem: str
) -> None:
    """Issue 16: the feed's reader is named in Redis; a mark no worker wrote is replaced."""
    plant(redis_client)
    log = _crawl(tmp_path / "posts", redis_url)
    assert log.summary()["written"] == "4"
    assert _warnings(log, "Redis state ignored") == [f"Redis state ignored: {problem} {FEED}"]
    assert log.stats()["sinacrawl/redis/feed_reader"] == 1


def test_keys_of_the_wrong_type_are_ignored(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.set(DONE, "not a hash")
    redis_client.hset("sinacrawl:sina_finance:worker:evil:1:ab", "busy", "1")
    redis_client.expire("sinacrawl:sina_finance:worker:evil:1:ab", 1)
    redis_client.rpush("sinacrawl:sina_finance:lease:kyamrmz0151960", "evil:1:ab")
    log = _crawl(tmp_path / "posts", redis_url)
    assert log.summary()["written"] == "4"
    problems = [m.split(" (")[0] for m in _warnings(log, "Redis state ignored")]
    assert sorted(problems) == [
        "Redis state ignored: done key not writable sinacrawl:sina_finance:done",
        "Redis state ignored: done key of type string sinacrawl:sina_finance:done",
        "Redis state ignored: lease key of type list sinacrawl:sina_finance:lease:kyamrmz0151960",
    ], log.text[-3000:]
    assert log.stats()["sinacrawl/redis/bad_state"] == 3


def test_a_queue_key_of_the_wrong_type_is_replaced(
    tmp_path: Path, redis_url: str, redis_client: Any
) -> None:
    redis_client.set(QUEUE, "not a sorted set")
    log = _crawl(tmp_path / "posts", redis_url)
    assert log.summary()["written"] == "4"
    assert _warnings(log, "Redis state ignored") == [
        f"Redis state ignored: queue key of type string {QUEUE} (deleted)"
    ]


def test_a_worker_whose_redis_dies_stops_with_an_error(tmp_path: Path) -> None:
    """Any Redis failure the checks did not foresee closes the worker: it never hangs."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp_path), "--save", ""]
    server = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["SINACRAWL_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    args = ["-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path / 'posts'}"]
    args += ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=2"]
    time.sleep(0.3)
    worker = subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stderr is not None
    for line in worker.stderr:
        if "replaying" in line:
            break
    server.kill()
    server.wait()
    try:
        stderr = worker.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        worker.kill()
        pytest.fail("the worker hung after Redis died")
    log = CrawlLog(stderr)
    assert worker.returncode == 1, stderr[-3000:]
    assert [e.split(":")[0] for e in log.errors()] == ["Redis failed, this worker stops"]
    assert "'finish_reason': 'redis_failed'" in stderr


def test_the_environment_url_is_only_for_spiders_that_share_a_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scrapy.settings import Settings

    from sinacrawl.distributed import DistributedAddon
    from sinacrawl.spiders.sina_7x24 import Sina7x24Spider
    from sinacrawl.spiders.sina_finance import SinaFinanceSpider

    monkeypatch.setenv("SINACRAWL_REDIS_URL", "rediss://:secret@redis-host:6380/0")
    urls = {}
    for spidercls in (SinaFinanceSpider, Sina7x24Spider):
        settings = Settings({"REDIS_URL": None}, priority="project")
        DistributedAddon(spidercls).update_settings(settings)
        urls[spidercls.name] = settings["REDIS_URL"]
    assert urls == {"sina_finance": "rediss://:secret@redis-host:6380/0", "sina_7x24": None}
    settings = Settings({"REDIS_URL": "redis://127.0.0.1:1/0"}, priority="cmdline")
    DistributedAddon(SinaFinanceSpider).update_settings(settings)
    assert settings["REDIS_URL"] == "redis://127.0.0.1:1/0"  # a -s REDIS_URL wins
