"""Distributed mode (issue 7): worker processes sharing one Redis queue, against a real
``redis-server`` started here on 127.0.0.1 with its data in a temp folder."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, REPLAY, ROOT, require_shared, run_crawl
from tests.crawl_log import CrawlLog, post_names

INSTALL = "apt-get install -y redis-server"
WRITTEN = re.compile(r"post (written|replaced): (\S+\.md) ")
WORKER = re.compile(r"worker (\S+) on queue ")
CONSUMER = re.compile(r"worker \S+ takes articles from the queue; another worker reads the feed")
# Slow enough that three workers overlap and a kill lands mid-run; posts do not depend on it.
PACE = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0.03")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh ``redis-server`` on a free loopback port; CI must have it, locally it may skip."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = f"redis-server is not installed ({INSTALL}); the distributed tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import redis

    data = tmp_path_factory.mktemp("redis")
    port = _free_port()
    options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", str(data), "--save", ""]
    server = subprocess.Popen([binary, *options, "--logfile", str(data / "redis.log")])
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"redis-server did not answer on port {port}: see {data}/redis.log")
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_client(redis_url: str) -> object:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    return client


def _worker(log: Path, posts: Path, redis_url: str, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    args = ["-a", "pages=3", "-s", f"REPLAY_DIR={CORPUS}", "-s", f"POSTS_DIR={posts}"]
    args += ["-s", f"REDIS_URL={redis_url}", "-s", "SINACRAWL_REDIS_HEARTBEAT=2", *PACE, *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


def _posts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def _written(logs: list[Path]) -> Counter[str]:
    """How many times each post was written or replaced, over all the workers' logs."""
    return Counter(m[1] for log in logs for m in WRITTEN.findall(log.read_text("utf-8")))


def _wait(workers: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    for worker, log in zip(workers, logs, strict=True):
        assert worker.wait(timeout=240) == 0, log.read_text("utf-8")[-3000:]
        assert "Traceback" not in log.read_text("utf-8"), log.read_text("utf-8")[-3000:]


def test_without_redis_url_a_crawl_loads_nothing_of_redis(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from scrapy.utils.project import get_project_settings\n"
        "settings = get_project_settings()\n"
        f"settings.set('REPLAY_DIR', {str(REPLAY)!r})\n"
        f"settings.set('POSTS_DIR', {str(tmp_path)!r})\n"
        "process = CrawlerProcess(settings)\n"
        "crawler = process.create_crawler('sina_finance')\n"
        "process.crawl(crawler)\n"
        "process.start()\n"
        "print(crawler.settings['SCHEDULER'], crawler.stats.get_value('sinacrawl/post/written'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'scrapy_redis')"
        " or m == 'sinacrawl.cluster'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "scrapy.core.scheduler.Scheduler 4\n[]\n"


def test_a_redis_url_with_no_server_stops_the_crawl(tmp_path: Path) -> None:
    nowhere = f"redis://127.0.0.1:{_free_port()}/0"
    result = run_crawl(
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}", "-s", f"REDIS_URL={nowhere}"
    )
    assert result.returncode == 1
    assert "ConnectionError" in result.stderr
    assert post_names(tmp_path) == []


def test_three_workers_write_every_post_once(
    tmp_path: Path, corpus_posts: Path, redis_url: str, redis_client: object
) -> None:
    expected = _posts(corpus_posts)
    posts = tmp_path / "posts"
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    _wait([_worker(log, posts, redis_url) for log in logs], logs)

    assert _posts(posts) == expected
    assert post_names(posts) == sorted(expected)  # no temp file left
    assert _written(logs) == Counter(dict.fromkeys(expected, 1))
    assert sum(1 for log in logs if WRITTEN.search(log.read_text("utf-8"))) >= 2, "no sharing"
    # One worker read the feed (issue 16); the others only took articles from the queue.
    stats = [CrawlLog(log.read_text("utf-8")).stats() for log in logs]
    readers = [s for s in stats if s.get("sinacrawl/redis/feed_reader")]
    assert len(readers) == 1 and readers[0]["sinacrawl/feed/pages"] == 2
    assert sum(s.get("sinacrawl/feed/pages", 0) for s in stats) == 2
    # A worker knows what the others wrote while it ran (its summary judges the crawl).
    assert any(s.get("sinacrawl/redis/done_elsewhere", 0) > 0 for s in stats)
    done = redis_client.hkeys("sinacrawl:sina_finance:done")  # type: ignore[attr-defined]
    assert sorted(f"{d}.md" for d in done) == sorted(expected)
    assert redis_client.zcard("sinacrawl:sina_finance:requests") == 0  # type: ignore[attr-defined]

    # Another machine's worker, its own empty POSTS_DIR: every article is done already.
    elsewhere, log = tmp_path / "elsewhere", tmp_path / "elsewhere.log"
    _wait([_worker(log, elsewhere, redis_url)], [log])
    summary = f"summary: written=0 unchanged=0 replaced=0 skipped={len(expected)} "
    assert summary in log.read_text("utf-8")
    assert post_names(elsewhere) == []


CRAWLED = re.compile(r"Crawled \(\d+\) <GET (\S+)>")


def test_the_feed_reader_reads_the_whole_feed_before_any_article(
    tmp_path: Path, corpus_posts: Path, redis_url: str, redis_client: object
) -> None:
    """Issue 16: a reader that took each article from the queue as it queued it left the other
    workers a quarter of a 2-worker replay (741-760 of 1,000 posts were the reader's)."""
    posts, log = tmp_path / "posts", tmp_path / "worker.log"
    _wait([_worker(log, posts, redis_url, "-s", "LOG_LEVEL=DEBUG")], [log])
    assert _posts(posts) == _posts(corpus_posts)
    crawled = [u for u in CRAWLED.findall(log.read_text("utf-8")) if not u.endswith("/robots.txt")]
    kinds = ["feed" if "//feed.mix.sina.com.cn/api/" in url else "article" for url in crawled]
    assert kinds[:3] == ["feed"] * 3  # pages=3: every feed page first,
    assert kinds.count("feed") == 3 and len(kinds) > 90  # then only articles


def test_a_killed_worker_loses_nothing_and_doubles_nothing(
    tmp_path: Path, corpus_posts: Path, redis_url: str, redis_client: object
) -> None:
    require_shared(CORPUS)
    expected = _posts(corpus_posts)
    posts = tmp_path / "posts"
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    # Worker 0 starts alone and reads the feed, its pages 2 s apart; once its first page's
    # articles are queued it is frozen, before its feed's end, and killed once the other two
    # run as mere consumers (a frozen worker's heartbeat is kept alive meanwhile, as it would
    # be were it running: process start-up on a loaded machine can take longer than this
    # corpus's whole crawl).
    workers = [_worker(logs[0], posts, redis_url, "-s", "DOWNLOAD_DELAY=2")]
    deadline = time.monotonic() + 120
    while not redis_client.zcard("sinacrawl:sina_finance:requests"):  # type: ignore[attr-defined]
        assert workers[0].poll() is None, logs[0].read_text("utf-8")[-3000:]
        assert time.monotonic() < deadline, logs[0].read_text("utf-8")[-3000:]
        time.sleep(0.01)
    os.kill(workers[0].pid, signal.SIGSTOP)
    match = WORKER.search(logs[0].read_text("utf-8"))
    assert match, "worker 0 never said its id"
    feed = redis_client.get("sinacrawl:sina_finance:feed")  # type: ignore[attr-defined]
    assert feed == f"reading {match[1]}", "the kill did not catch worker 0 inside its feed"
    frozen = f"sinacrawl:sina_finance:worker:{match[1]}"
    workers += [_worker(log, posts, redis_url) for log in logs[1:]]
    for log in logs[1:]:
        while not CONSUMER.search(log.read_text("utf-8")):
            redis_client.pexpire(frozen, 2000)  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, log.read_text("utf-8")[-3000:]
            time.sleep(0.1)
    os.kill(workers[0].pid, signal.SIGKILL)
    assert workers[0].wait(timeout=30) == -signal.SIGKILL
    killed = match[1]
    _wait(workers[1:], logs[1:])
    # Worker 0 read the feed: one of the others read it again, so this run lost nothing.
    assert _posts(posts) == expected
    stats = [CrawlLog(log.read_text("utf-8")).stats() for log in logs[1:]]
    assert sorted(s.get("sinacrawl/redis/feed_taken_over", 0) for s in stats) == [0, 1]
    heartbeat = f"sinacrawl:sina_finance:worker:{killed}"
    while redis_client.exists(heartbeat):  # type: ignore[attr-defined]
        time.sleep(0.1)

    rerun = tmp_path / "rerun.log"
    _wait([_worker(rerun, posts, redis_url)], [rerun])

    assert _posts(posts) == expected
    assert _written([*logs, rerun]) == Counter(dict.fromkeys(expected, 1))
    # A post written just before the kill may lack its done mark: the rerun's
    # KnownPostsMiddleware sees the post itself and does not download it again.
    done = set(redis_client.hkeys("sinacrawl:sina_finance:done"))  # type: ignore[attr-defined]
    assert {f"{d}.md" for d in done} <= set(expected)


def test_leases_follow_live_workers_and_done_follows_the_feed_mtime(
    redis_url: str, redis_client: object
) -> None:
    import redis

    from sinacrawl.cluster import Admission, Claim, ClusterState, Keys

    def worker() -> ClusterState:
        server = redis.Redis.from_url(redis_url)
        return ClusterState(server, Keys.for_spider("t"), 60.0, 3600.0, "h:/posts")

    get = redis_client.get  # type: ignore[attr-defined]
    a, b = worker(), worker()
    a.beat()
    b.beat()
    assert a.admit("x", None) is Admission.LEASED
    assert a.admit("x", None) is Admission.IN_FLIGHT
    assert b.admit("x", None) is Admission.IN_FLIGHT
    assert b.claim("x", None) is Claim.CLAIMED
    assert get("sinacrawl:t:lease:x") == b.worker_id
    b.retire()
    assert a.admit("x", None) is Admission.TAKEN_OVER
    assert get("sinacrawl:t:lease:x") == a.worker_id
    a.mark_done("x")
    assert get("sinacrawl:t:lease:x") is None
    written, where = redis_client.hget("sinacrawl:t:done", "x").split(" ")  # type: ignore[attr-defined]
    assert where == "h:/posts"
    assert b.admit("x", None) is Admission.DONE
    assert b.admit("x", float(written) - 60) is Admission.DONE
    assert b.claim("x", float(written) - 60) is Claim.DONE
    assert b.claim("x", float(written) + 60) is Claim.UNLEASED
    assert b.admit("x", float(written) + 60) is Admission.LEASED
    assert a.claim("get", None) is Claim.UNLEASED


def _round_trips(client: Any) -> int:
    """The server's read events so far (a pipeline or a script call is one), minus this one."""
    return int(client.info("stats")["total_reads_processed"]) - 1


def _state(redis_url: str) -> Any:
    """A worker's ClusterState on spider ``t``, its heartbeat on."""
    import redis

    from sinacrawl.cluster import ClusterState, Keys

    server = redis.Redis.from_url(redis_url)
    state = ClusterState(server, Keys.for_spider("t"), 60.0, 3600.0, "h:/posts")
    state.beat()
    return state


def test_each_step_of_an_article_is_one_round_trip(redis_url: str, redis_client: Any) -> None:
    """Issue 16: admit + push, pop + claim, done mark + lease drop: one round trip each."""
    from sinacrawl.cluster import Admission, Taken

    a, b = _state(redis_url), _state(redis_url)
    # The scripts loaded first, as after a worker's first calls: a script's first run costs
    # the round trips that load it (this test alone, on a fresh server, counted 4).
    for script in (a._admit, a._take):
        redis_client.script_load(script.script)  # type: ignore[attr-defined]
    entry = b'{"meta":{"docid":"x"},"url":"u"}'
    before = _round_trips(redis_client)
    assert a.admit("x", None, (-5, entry)) is Admission.LEASED
    assert _round_trips(redis_client) - before == 2  # the call and INFO
    assert redis_client.zrange("sinacrawl:t:requests", 0, -1, withscores=True) == [
        (entry.decode(), -5.0)
    ]
    assert a.admit("x", None, (-5, b"another")) is Admission.IN_FLIGHT
    assert redis_client.zcard("sinacrawl:t:requests") == 1  # not pushed twice

    before = _round_trips(redis_client)
    assert b.take() == Taken(entry, "x", None)
    assert _round_trips(redis_client) - before == 2
    assert redis_client.get("sinacrawl:t:lease:x") == b.worker_id  # the lease moved with it
    assert b.take() is None

    before = _round_trips(redis_client)
    b.mark_done("x")
    assert _round_trips(redis_client) - before == 2
    written = float(redis_client.hget("sinacrawl:t:done", "x").split(" ")[0])
    redis_client.zadd("sinacrawl:t:requests", {entry: 0, b'{"meta":{}}': 1, b"[1": 2})
    assert a.take() == Taken(entry, "x", written)  # done: the caller skips it
    assert a.take() == Taken(b'{"meta":{}}', None, None)  # no docid: nothing claimed
    assert a.take() == Taken(b"[1", None, None)  # not JSON: for the codec to reject
    assert redis_client.get("sinacrawl:t:lease:x") is None


def test_one_worker_reads_the_feed_and_a_gone_reader_is_replaced(
    redis_url: str, redis_client: Any
) -> None:
    from sinacrawl.cluster import Feed

    a, b = _state(redis_url), _state(redis_url)
    assert a.read_feed() is Feed.MINE and a.reads_feed
    assert b.read_feed() is Feed.READING and not b.reads_feed
    assert b.survey() == (True, Feed.READING)  # a is busy reading
    a.set_busy(False)
    assert b.survey() == (False, Feed.READING)
    a.feed_done()
    assert b.read_feed() is Feed.READ
    a.retire()  # gone after the feed's end: nobody reads it again in this run
    assert b.survey() == (False, Feed.READ)
    c = _state(redis_url)  # a worker of a later run reads it
    assert c.read_feed() is Feed.MINE
    c.retire()  # gone before the feed's end (killed: its heartbeat lapsed)
    assert b.survey(take_over=False) == (False, Feed.READING)
    assert b.survey() == (False, Feed.MINE) and b.reads_feed
    assert redis_client.get("sinacrawl:t:feed") == f"reading {b.worker_id}"
    assert 0 < redis_client.pttl("sinacrawl:t:feed") <= 3_600_000


@pytest.mark.parametrize(("elsewhere", "reason"), [(0, "all_failed"), (3, None)])
def test_a_worker_is_judged_with_its_crawl(elsewhere: int, reason: str | None) -> None:
    """A worker whose one article was dropped has not failed while the others wrote posts."""
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from sinacrawl.extensions import CrawlSummary

    crawler = get_crawler(Spider)
    assert crawler.stats is not None
    crawler.stats.set_value("sinacrawl/dropped/no_date", 1)
    if elsewhere:
        crawler.stats.set_value("sinacrawl/redis/done_elsewhere", elsewhere)
    CrawlSummary(crawler.stats).spider_closed(Spider("s"), "finished")
    assert crawler.stats.get_value("finish_reason") == reason
