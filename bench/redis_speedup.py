"""Throughput of distributed mode: N workers on one Redis queue versus one (issue 7).

Builds a replay folder of ``--articles`` articles (default 2,000) in a temp folder: the real
pages of ``../shared/corpus`` that make a post, each served under many made-up article URLs
listed by roll-feed pages of 50, then crawls it with 1 worker and with ``--workers`` workers
(default 3) on a ``redis-server`` it starts on a free loopback port, checks that every run wrote
exactly one post per article, and prints ``name=value`` lines ending with
``redis_speedup_3_workers=<1-worker seconds / 3-worker seconds>``.

    python bench/redis_speedup.py [--articles 2000] [--workers 3]

Needs ``redis-server`` (``apt-get install -y redis-server``) and the ``redis`` extra.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
ARTICLE = "https://finance.sina.com.cn/china/2024-01-01/doc-ibench{:08d}.shtml"
PER_PAGE = 50


def build_replay(folder: Path, articles: int) -> None:
    """Write a replay folder (SPEC section 5) of ``articles`` URLs over the corpus's post pages."""
    with (CORPUS / "expected.jsonl").open(encoding="utf-8") as handle:
        posts = {row["url"] for row in map(json.loads, handle) if row["post"]}
    with (CORPUS / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["url"] in posts]
    (folder / "pages").mkdir(parents=True)
    sources = []
    for row in sorted(rows, key=lambda r: r["url"]):
        shutil.copy(CORPUS / row["file"], folder / row["file"])
        sources.append((row["file"], row["content_type"]))
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


def crawl(workers: int, replay: Path, posts: Path, url: str, pages: int) -> float:
    """Seconds from starting ``workers`` crawl processes to the last one's exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    command = [sys.executable, "-m", "scrapy", "crawl", "sina_finance", "-a", f"pages={pages}"]
    for name, value in (
        ("REPLAY_DIR", replay), ("POSTS_DIR", posts), ("REDIS_URL", url),
        ("AUTOTHROTTLE_ENABLED", False), ("LOG_LEVEL", "WARNING"),
    ):  # fmt: skip
        command += ["-s", f"{name}={value}"]
    start = time.perf_counter()
    running = [
        subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    codes = [p.wait() for p in running]
    elapsed = time.perf_counter() - start
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: apt-get install -y redis-server")
    with tempfile.TemporaryDirectory(prefix="redis-bench-") as tmp:
        work = Path(tmp)
        build_replay(work / "replay", args.articles)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        options = ["--bind", "127.0.0.1", "--port", str(port), "--dir", tmp, "--save", ""]
        server = subprocess.Popen([binary, *options], stdout=subprocess.DEVNULL)
        try:
            url = f"redis://127.0.0.1:{port}/0"
            client = redis.Redis.from_url(url)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            pages = (args.articles + PER_PAGE - 1) // PER_PAGE + 1
            seconds = {}
            for workers in (1, args.workers):
                client.flushdb()
                posts = work / f"posts-{workers}"
                seconds[workers] = crawl(workers, work / "replay", posts, url, pages)
                written = len(list(posts.glob("*.md")))
                if written != args.articles:
                    raise SystemExit(f"{workers} worker(s): {written} posts, not {args.articles}")
        finally:
            server.terminate()
            server.wait()
    one, many = seconds[1], seconds[args.workers]
    print(f"articles={args.articles}")
    print(f"cpus={os.cpu_count()}")
    print(f"redis_1_worker_seconds={one:.2f}")
    print(f"redis_{args.workers}_workers_seconds={many:.2f}")
    print(f"redis_speedup_{args.workers}_workers={one / many:.2f}")


if __name__ == "__main__":
    main()
