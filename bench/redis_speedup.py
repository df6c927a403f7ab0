"""Throughput of distributed mode: N workers on one Redis queue versus one (issues 7 and 16).

Builds a replay folder of ``--articles`` articles (default 2,000) in a temp folder: the real
pages of ``../shared/corpus`` that make a post, each served under many made-up article URLs
listed by roll-feed pages of 50. Then, on a ``redis-server`` it starts on a free loopback port:

0. **start-up**: a worker's fixed cost, the CPU seconds of a one-article crawl
   (``worker_startup_cpu_seconds``), beside a bare Scrapy spider that requests nothing, with
   Scrapy's default settings (``scrapy_startup_cpu_seconds``); fastest of 3;
1. **CPU-bound**: the replay crawled by 1, 2 and 3 workers (``--workers``), with the Redis
   round trips (the server's read events) and commands per article of each run; the posts go
   under ``--posts-in`` (default ``/dev/shm`` when it exists, as in ``bench/run.py``): on this
   VM's disk each post's fsync takes about 10 ms of waiting, so on the disk the workers wait
   for one disk in turn and the run is no longer CPU-bound (600 articles, one worker: 14.5 s
   wall for 8.0 s CPU on ``/tmp``, 8.6 s for 7.9 s on ``/dev/shm``);
2. **network-bound**: ``--net-articles`` articles (default 200) fetched live (``-a urls=``,
   ``http://`` Sina URLs) through an HTTP proxy on 127.0.0.1 that answers each request after
   150 ms, shared rate off and no ``DOWNLOAD_DELAY``, each worker at most
   ``--net-concurrency`` requests at once (``CONCURRENT_REQUESTS_PER_DOMAIN``, default 1, so
   that the 150 ms and not the 2 cores set the pace), by 1, 2 and 3 workers, posts under
   ``--posts-in`` too;
3. **shared rate**: ``--rate-articles`` (default 120) with ``SINACRAWL_SHARED_RATE=--rate``
   (default 8 requests/s), the rate the proxy saw from all workers together against that limit.

Parts 1 and 2 run ``--rounds`` times (default 2), 1, 2 and 3 workers side by side in each round;
a speed-up is taken per round and printed as ``median (min-max)``. Every run must write exactly
one post per article. Prints ``name=value`` lines: ``articles``, ``cpus``, ``posts_in`` (the
run's settings), ``load_average_start|end``, the start-up
figures, ``redis_round_trips_per_article_<N>_workers``, ``redis_commands_per_article_<N>_workers``;
for the CPU-bound (``redis_``) and network-bound (``net_``) runs: ``<part>_<N>_workers_seconds``
(wall, start to the last worker's exit), ``<part>_<N>_workers_cpu_seconds`` (the workers' user +
system time together), ``<part>_speedup_<N>_workers`` (wall, against one worker),
``<part>_rate_<N>_workers`` (steady rate, per second, from the first to the last: posts written
for ``redis_``, article requests the proxy saw for ``net_``; start-up and shut-down left out) and
``<part>_rate_speedup_<N>_workers``; ``redis_<N>_workers_to_first_post_seconds`` and
``_after_last_post_seconds`` (start-up and shut-down in the wall time); then
``shared_rate_<N>_workers`` (requests/s seen) and ``shared_rate_<N>_vs_limit``. Three to four
minutes on an idle 2-core machine.

    python bench/redis_speedup.py [--articles 2000] [--workers 2,3] [--net-articles 200]
        [--net-concurrency 1] [--rate 8] [--rate-articles 120] [--rounds 2]
        [--parts startup,cpu,net,rate] [--posts-in DIR]

Each worker's start-up (about 2 s of CPU) is in the wall times: on a small run (``--articles
100``) it outweighs the work and the speed-ups fall below 1; the steady rates leave it out. Every
part builds the ``--articles`` replay first, from ``../shared/corpus``.

Needs ``redis-server`` (``apt-get install -y redis-server``) and the ``redis`` extra.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
ARTICLE = "https://finance.sina.com.cn/china/2024-01-01/doc-ibench{:08d}.shtml"
LIVE_ARTICLE = "http://finance.sina.com.cn/china/2024-01-02/doc-ilive{:08d}.shtml"
PER_PAGE = 50
LATENCY = 0.15


def post_pages() -> list[tuple[Path, str]]:
    """The corpus pages that make a post, with their content types, in URL order."""
    with (CORPUS / "expected.jsonl").open(encoding="utf-8") as handle:
        posts = {row["url"] for row in map(json.loads, handle) if row["post"]}
    with (CORPUS / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["url"] in posts]
    return [(CORPUS / r["file"], r["content_type"]) for r in sorted(rows, key=lambda r: r["url"])]


def build_replay(folder: Path, articles: int) -> None:
    """Write a replay folder (SPEC section 5) of ``articles`` URLs over the corpus's post pages."""
    (folder / "pages").mkdir(parents=True)
    sources = []
    for path, content_type in post_pages():
        shutil.copy(path, folder / "pages" / path.name)
        sources.append((f"pages/{path.name}", content_type))
    lines = ["url\tfile\tstatus\tcontent_type\tlocation"]
    entries = []
    for n in range(articles):
        file, content_type = sources[n % len(sources)]
        url = ARTICLE.format(n)
        lines.append(f"{url}\t{file}\t\t{content_type}\t")
        entries.append({"url": url, "title": f"bench {n}", "ctime": str(1704067200 + n)})
    (folder / "feeds").mkdir()
    pages = (articles + PER_PAGE - 1) // PER_PAGE
    for page in range(1, pages + 2):  # one empty page ends the feed
        data = entries[(page - 1) * PER_PAGE : page * PER_PAGE]
        body = json.dumps({"result": {"status": {"code": 0}, "data": data}})
        (folder / "feeds" / f"page{page}.json").write_text(body, encoding="utf-8")
        lines.append(f"{FEED.format(page)}\tfeeds/page{page}.json\t\tapplication/json\t")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


class SlowProxy(ThreadingHTTPServer):
    """An HTTP proxy on 127.0.0.1 that plays Sina: each article URL gets a corpus page after
    ``LATENCY`` seconds; anything else (robots.txt) a 404. ``seen`` holds the arrival time of
    every article request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.pages = [(p.read_bytes(), t) for p, t in post_pages()]
        self.seen: list[float] = []
        self.lock = threading.Lock()


class _ProxyHandler(BaseHTTPRequestHandler):
    server: SlowProxy

    def do_GET(self) -> None:
        arrived = time.monotonic()
        time.sleep(LATENCY)
        if "/doc-ilive" not in self.path:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with self.server.lock:
            self.server.seen.append(arrived)
        number = int(self.path.rsplit("doc-ilive", 1)[1].split(".")[0])
        body, content_type = self.server.pages[number % len(self.server.pages)]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def redis_counters(client: redis.Redis) -> tuple[int, int]:
    """The server's running totals: read events (round trips: a pipeline or a script call
    arrives in one read) and commands (those a script runs included), minus this call."""
    stats = client.info("stats")
    return int(stats["total_reads_processed"]) - 1, int(stats["total_commands_processed"]) - 1


def crawl(
    workers: int, posts: Path, url: str, args: list[str], env: dict[str, str]
) -> tuple[float, float]:
    """Seconds from starting ``workers`` crawl processes to the last one's exit, and the CPU
    seconds (user + system) the workers used together."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")} | env
    command = [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args]
    for name, value in (
        ("POSTS_DIR", posts), ("REDIS_URL", url),
        ("AUTOTHROTTLE_ENABLED", False), ("LOG_LEVEL", "WARNING"),
    ):  # fmt: skip
        command += ["-s", f"{name}={value}"]
    cpu_before = _children_cpu()
    start = time.perf_counter()
    running = [
        subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    codes = [p.wait() for p in running]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return elapsed, _children_cpu() - cpu_before


def _children_cpu() -> float:
    """User + system seconds of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


NULL_SPIDER = """import scrapy


class Nothing(scrapy.Spider):
    name = "nothing"

    async def start(self):
        return
        yield
"""


def startup(work: Path, url: str, client: redis.Redis, runs: int = 3) -> list[str]:
    """A worker's fixed cost: the CPU seconds (fastest of ``runs``) of a one-article crawl,
    and of a bare Scrapy spider that requests nothing, with Scrapy's default settings."""
    build_replay(work / "one", 1)
    worker = []
    for run in range(runs):
        client.flushdb()
        replay = ["-a", "pages=2", "-s", f"REPLAY_DIR={work / 'one'}"]
        worker.append(crawl(1, work / f"one-{run}", url, replay, {})[1])
    (work / "nothing.py").write_text(NULL_SPIDER, encoding="utf-8")
    command = [sys.executable, "-m", "scrapy", "runspider", "nothing.py", "-s", "LOG_LEVEL=ERROR"]
    scrapy = []
    for _ in range(runs):
        before = _children_cpu()
        subprocess.run(command, cwd=work, check=True, stderr=subprocess.DEVNULL)
        scrapy.append(_children_cpu() - before)
    return [
        f"worker_startup_cpu_seconds={min(worker):.2f}",
        f"scrapy_startup_cpu_seconds={min(scrapy):.2f}",
    ]


def _check(posts: Path, expected: int, label: str) -> None:
    written = len(list(posts.glob("*.md")))
    if written != expected:
        raise SystemExit(f"{label}: {written} posts, not {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", default="2,3", help="worker counts to set against 1")
    parser.add_argument("--net-articles", type=int, default=200)
    parser.add_argument(
        "--net-concurrency",
        type=int,
        default=1,
        help="CONCURRENT_REQUESTS_PER_DOMAIN of each worker in the network-bound runs",
    )
    parser.add_argument("--rate", type=float, default=8.0, help="shared limit, requests/s")
    parser.add_argument("--rate-articles", type=int, default=120, help="articles per rate run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the cpu and net runs")
    parser.add_argument(
        "--parts", default="startup,cpu,net,rate", help="which of startup,cpu,net,rate to run"
    )
    shm = Path("/dev/shm")
    parser.add_argument(
        "--posts-in",
        type=Path,
        default=shm if shm.is_dir() else None,
        help="folder for the CPU- and network-bound runs' posts (default /dev/shm if present)",
    )
    args = parser.parse_args()
    counts = [1, *(int(n) for n in args.workers.split(","))]
    parts = set(args.parts.split(","))
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: apt-get install -y redis-server")
    results = [f"articles={args.articles}", f"cpus={os.cpu_count()}", f"posts_in={args.posts_in}"]
    results.append(_load("start"))
    # runs[label][round][workers] = (wall seconds, workers' CPU seconds, article requests/s)
    runs: dict[str, list[dict[int, tuple[float, float, float]]]] = {"redis": [], "net": []}
    # ends[workers] = [(seconds to the first post, seconds from the last post to the exit)]
    ends: dict[int, list[tuple[float, float]]] = {n: [] for n in counts}
    with (
        tempfile.TemporaryDirectory(prefix="redis-bench-") as tmp,
        tempfile.TemporaryDirectory(prefix="redis-bench-posts-", dir=args.posts_in) as posts_in,
    ):
        work = Path(tmp)
        build_replay(work / "replay", args.articles)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", tmp, "--save", ""]
        server = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL)
        proxy = SlowProxy()
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxy_env = {"http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}"}
        try:
            url = f"redis://127.0.0.1:{port}/0"
            client = redis.Redis.from_url(url)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            if "startup" in parts:
                results += startup(work, url, client)
            pages = (args.articles + PER_PAGE - 1) // PER_PAGE + 1
            replay = ["-a", f"pages={pages}", "-s", f"REPLAY_DIR={work / 'replay'}"]
            off = [
                *_live(args.net_articles),
                *("-s", "SINACRAWL_SHARED_RATE=0"),
                *("-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={args.net_concurrency}"),
            ]
            for round_ in range(args.rounds):  # 1, 2, 3 workers side by side in each round
                cpu, net = runs["redis"], runs["net"]
                if "cpu" in parts:
                    cpu.append({})
                if "net" in parts:
                    net.append({})
                for n in counts if "cpu" in parts else []:
                    client.flushdb()
                    posts = Path(posts_in) / f"cpu-{round_}-{n}"
                    before = redis_counters(client)
                    started = time.time()
                    wall, used = crawl(n, posts, url, replay, {})
                    # posts written per second from the first post to the last (their files'
                    # modification times), and the start-up and shut-down around them
                    times = sorted(path.stat().st_mtime for path in posts.glob("*.md"))
                    cpu[-1][n] = (wall, used, _rate(times))
                    ends[n].append((times[0] - started, started + wall - times[-1]))
                    after = redis_counters(client)
                    _check(posts, args.articles, f"replay, {n} worker(s)")
                    if round_ == 0:
                        trips, commands = ((after[i] - before[i]) / args.articles for i in (0, 1))
                        results.append(f"redis_round_trips_per_article_{n}_workers={trips:.2f}")
                        results.append(f"redis_commands_per_article_{n}_workers={commands:.2f}")
                for n in counts if "net" in parts else []:
                    client.flushdb()
                    posts = Path(posts_in) / f"net-{round_}-{n}"
                    proxy.seen.clear()
                    wall, used = crawl(n, posts, url, off, proxy_env)
                    net[-1][n] = (wall, used, _rate(proxy.seen))
                    _check(posts, args.net_articles, f"network, {n} worker(s)")
            for n in counts if "rate" in parts else []:
                client.flushdb()
                posts = work / f"rate-{n}"
                proxy.seen.clear()
                on = [*_live(args.rate_articles), "-s", f"SINACRAWL_SHARED_RATE={args.rate}"]
                crawl(n, posts, url, on, proxy_env)
                _check(posts, args.rate_articles, f"shared rate, {n} worker(s)")
                achieved = _rate(proxy.seen)
                results.append(f"shared_rate_{n}_workers={achieved:.2f}")
                results.append(f"shared_rate_{n}_vs_limit={achieved / args.rate:.3f}")
        finally:
            proxy.shutdown()
            server.terminate()
            server.wait()
    for label, rounds in runs.items():
        for n in counts if rounds else []:
            for index, figure in enumerate(("seconds", "cpu_seconds")):
                spread = _spread([r[n][index] for r in rounds], 2)
                results.append(f"{label}_{n}_workers_{figure}={spread}")
        for n in counts[1:] if rounds else []:
            ratios = [r[1][0] / r[n][0] for r in rounds]
            results.append(f"{label}_speedup_{n}_workers={_spread(ratios, 2)}")
    for n in counts if runs["redis"] else []:
        for index, figure in enumerate(("to_first_post", "after_last_post")):
            spread = _spread([end[index] for end in ends[n]], 2)
            results.append(f"redis_{n}_workers_{figure}_seconds={spread}")
    for label, rounds in runs.items():
        for n in counts if rounds else []:
            results.append(f"{label}_rate_{n}_workers={_spread([r[n][2] for r in rounds], 1)}")
        for n in counts[1:] if rounds else []:
            ratios = [r[n][2] / r[1][2] for r in rounds]
            results.append(f"{label}_rate_speedup_{n}_workers={_spread(ratios, 2)}")
    results.append(_load("end"))
    print("\n".join(results))


def _spread(values: list[float], digits: int) -> str:
    """``median (min-max)`` of ``values``, or the one value."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _load(when: str) -> str:
    """The machine's load averages (1, 5, 15 minutes): the figures are ratios, read with it."""
    one, five, fifteen = os.getloadavg()
    return f"load_average_{when}={one:.2f} {five:.2f} {fifteen:.2f}"


def _rate(arrivals: list[float]) -> float:
    """Events per second (article requests the proxy saw, posts written) from the first
    arrival to the last: the steady rate, without the workers' start-up and shut-down."""
    seen = sorted(arrivals)
    return (len(seen) - 1) / (seen[-1] - seen[0])


def _live(articles: int) -> list[str]:
    """Arguments for a live crawl of ``articles`` article URLs through the slow proxy."""
    live = ",".join(LIVE_ARTICLE.format(n) for n in range(articles))
    return ["-a", f"urls={live}", "-s", "DOWNLOAD_DELAY=0"]


if __name__ == "__main__":
    main()
