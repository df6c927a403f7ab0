"""Crash safety (SPEC sections 4 and 6): ``kill -9`` at several moments of a crawl leaves only
whole posts and no temporary file that Hexo would read, and the next run completes the set; two
crawls writing into one ``POSTS_DIR`` at once leave one whole post per article.

Repeat locally with ``for i in $(seq 10); do python -m pytest -q tests/test_crash_safety.py ||
break; done``.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sinacrawl.post import parse_post
from tests import many_articles
from tests.conftest import ROOT, body_text, run_crawl
from tests.crawl_log import CrawlLog, post_names

COUNT = 240
DEADLINE = 60.0


def _writing(folder: Path) -> bool:
    """A post is being written: its temporary file exists (not the start-up write probe)."""
    return any(n.endswith(".tmp") and not n.startswith(".write-check") for n in os.listdir(folder))


#: When each run is killed, on the posts of all runs so far: as soon as the output folder
#: exists (before the first write), after the first post, and twice in the middle of a write.
KILL_WHEN: tuple[Callable[[Path], bool], ...] = (
    lambda folder: True,
    lambda folder: len(_posts(folder)) >= 1,
    lambda folder: len(_posts(folder)) >= 60 and _writing(folder),
    lambda folder: len(_posts(folder)) >= 140 and _writing(folder),
)


def _crawl_args(tmp_path: Path, posts: Path) -> list[str]:
    pages = many_articles.build(tmp_path / "replay", COUNT)
    replay = tmp_path / "replay"
    return ["-a", f"pages={pages}", "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}"]


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=handle,
        )


def _posts(folder: Path) -> list[str]:
    return [name for name in post_names(folder) if not name.startswith((".", "_"))]


def _assert_whole(folder: Path) -> int:
    """Every file Hexo would read is a whole post with the exact fields and body; anything
    else is a temporary file whose name Hexo skips. Returns the number of posts.
    """
    names = post_names(folder)
    posts = _posts(folder)
    assert all(name.startswith(".") and name.endswith(".tmp") for name in set(names) - set(posts))
    for name in posts:
        assert name.startswith("nmany") and name.endswith(".md"), name
        fields, body = parse_post((folder / name).read_bytes().decode("utf-8"))
        assert (fields.title, fields.date) == (many_articles.TITLE, many_articles.DATE)
        assert body_text(body) == many_articles.BODY_TEXT
    return len(posts)


def _assert_recorded(folder: Path) -> None:
    """Every post is recorded as sinacrawl's in its state log (issue 13 item 12), so that
    neither a kill nor a second crawl writing at the same time leaves a post that the next
    crawl would take for someone else's; a line a kill tore is the only bad line allowed."""
    recorded = set()
    lines = (folder / ".sinacrawl" / "written.jsonl").read_bytes().splitlines()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        recorded.add((record["name"], record["sha256"]))
    for name in _posts(folder):
        assert (name, hashlib.sha256((folder / name).read_bytes()).hexdigest()) in recorded


def test_kill_9_at_several_points_then_complete(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    args = _crawl_args(tmp_path, posts)
    for number, moment in enumerate(KILL_WHEN):
        process = _spawn(args, tmp_path / f"killed-{number}.log")
        deadline = time.monotonic() + DEADLINE
        try:
            while not posts.exists() or not moment(posts):
                assert process.poll() is None, f"crawl {number} ended before it was killed"
                assert time.monotonic() < deadline, f"crawl {number} not killed in {DEADLINE} s"
                time.sleep(0.001)
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        _assert_whole(posts)
    done_before = _assert_whole(posts)
    assert done_before < COUNT

    result = run_crawl(*args, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert _assert_whole(posts) == COUNT
    summary = CrawlLog(result.stderr).summary()
    assert (summary["written"], summary["unchanged"], summary["replaced"]) == (
        str(COUNT - done_before),
        str(done_before),
        "0",
    )
    assert _posts(posts) == sorted(f"{many_articles.docid(i)}.md" for i in range(COUNT))
    _assert_recorded(posts)


def test_two_crawls_into_one_folder_at_once(tmp_path: Path) -> None:
    """Without the run lock (it serializes one spider only: two spiders may share a folder),
    the writer alone keeps every post whole."""
    posts = tmp_path / "posts"
    args = [*_crawl_args(tmp_path, posts), "-s", "SINACRAWL_RUN_LOCK=0"]
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    processes = [_spawn(args, log) for log in logs]
    for process in processes:
        assert process.wait(timeout=120) == 0
    assert _assert_whole(posts) == COUNT
    assert post_names(posts) == sorted(f"{many_articles.docid(i)}.md" for i in range(COUNT))
    written = 0
    for log in logs:
        text = log.read_text(encoding="utf-8")
        assert "Traceback" not in text
        summary = CrawlLog(text).summary()
        assert int(summary["written"]) + int(summary["unchanged"]) == COUNT
        assert (summary["replaced"], summary["dropped"]) == ("0", "0")
        written += int(summary["written"])
    assert written >= COUNT
    _assert_recorded(posts)
