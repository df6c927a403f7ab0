"""Safe scheduling (issue 14): the run lock, ``SINACRAWL_MAX_ARTICLES``, ``until``, the
``SINACRAWL_ON_NEW_POSTS`` hook, and Ctrl-C/SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPLAY, ROOT, run_crawl
from tests.crawl_log import CrawlLog, post_names

NAMES = ["fxsktkp0000001.md", "kknscsi0000002.md", "kknscsi0000003.md", "kyamrmz0151960.md"]


def _start(log: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "sina_finance", *args],
            cwd=ROOT, env={**base, **(env or {})}, stdout=out, stderr=out,
        )  # fmt: skip


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text(encoding="utf-8", errors="replace"):
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")[-3000:]
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8")[-3000:]
        time.sleep(0.1)


def test_a_second_tick_exits_at_once_and_a_killed_crawls_lock_never_blocks(
    tmp_path: Path,
) -> None:
    posts = tmp_path / "posts"
    pid_file = tmp_path / "hook.pid"
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={posts}")
    # The first crawl holds the lock while its hook (the site build, say) runs.
    first = _start(
        tmp_path / "first.log",
        *args,
        "-s",
        f"SINACRAWL_ON_NEW_POSTS=echo $$ > {pid_file}; exec sleep 60",
    )
    try:
        _wait_for(tmp_path / "first.log", "summary: written=4", first)
        second = run_crawl(*args)
        assert second.returncode == 0, second.stderr[-3000:]
        log = CrawlLog(second.stderr)
        assert [m for _, m in log.lines("INFO") if m.startswith("another crawl")] == [
            f"another crawl of sina_finance into {posts} is running (it holds "
            f"{posts}/.sinacrawl/sina_finance.lock): this one exits"
        ]
        assert "'finish_reason': 'already_running'" in second.stderr
        assert "'downloader/request_count'" not in second.stderr
        assert log.errors() == []
    finally:
        first.kill()  # kill -9: the kernel drops its lock
        first.wait()
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
    third = run_crawl(*args, "-s", "POSTS_REFRESH=1")
    assert third.returncode == 0, third.stderr[-3000:]
    assert "summary: written=0 unchanged=4 " in third.stderr
    assert "'finish_reason': 'finished'" in third.stderr
    assert post_names(posts) == NAMES


def test_max_articles_caps_each_tick_newest_first(tmp_path: Path) -> None:
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    first = run_crawl(*args, "-s", "SINACRAWL_MAX_ARTICLES=2")
    assert first.returncode == 0, first.stderr[-3000:]
    # the feed lists 2021, 2016, then two 2005 articles
    assert post_names(tmp_path) == ["fxsktkp0000001.md", "kyamrmz0151960.md"]
    assert "'sinacrawl/capped': 2," in first.stderr
    # the next tick: articles already there do not count against the cap
    second = run_crawl(*args, "-s", "SINACRAWL_MAX_ARTICLES=2")
    assert "summary: written=2 unchanged=0 replaced=0 skipped=2 " in second.stderr
    assert post_names(tmp_path) == NAMES


def test_since_and_until_make_a_date_range(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", "since=2005-08-26", "-a", "until=2016-05-25", "-a", "pages=2",
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert post_names(tmp_path) == NAMES[:3]
    assert "'sinacrawl/feed/too_new': 1," in result.stderr


def test_until_before_since_is_a_usage_error(tmp_path: Path) -> None:
    result = run_crawl("-a", "since=2021-01-02", "-a", "until=2021-01-01")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        ": error: until (2021-01-01) is before since (2021-01-02)"
    )


def test_the_hook_runs_only_when_posts_changed_and_its_failure_is_an_exit_status(
    tmp_path: Path,
) -> None:
    posts, record = tmp_path / "posts", tmp_path / "hook.txt"
    hook = f'echo "$SINACRAWL_POSTS_CHANGED $SINACRAWL_POSTS_DIR" >> {record}; echo built'
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={posts}")
    first = run_crawl(*args, "-s", f"SINACRAWL_ON_NEW_POSTS={hook}")
    assert first.returncode == 0, first.stderr[-3000:]
    assert record.read_text() == f"4 {posts}\n"
    assert "'sinacrawl/hook/exit_status': 0," in first.stderr
    second = run_crawl(*args, "-s", f"SINACRAWL_ON_NEW_POSTS={hook}")
    assert second.returncode == 0
    assert record.read_text() == f"4 {posts}\n"  # nothing changed: not run
    assert "no post written or replaced: SINACRAWL_ON_NEW_POSTS not run" in second.stderr
    broken = run_crawl(
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path / 'third'}",
        "-s", "SINACRAWL_ON_NEW_POSTS=echo deploy refused >&2; exit 3",
    )  # fmt: skip
    assert broken.returncode == 1
    errors = CrawlLog(broken.stderr).errors()
    assert len(errors) == 1 and errors[0].startswith("SINACRAWL_ON_NEW_POSTS exited 3 after ")
    assert errors[0].endswith(" s: deploy refused")
    slow = run_crawl(
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path / 'fourth'}",
        "-s", "SINACRAWL_ON_NEW_POSTS=echo building; sleep 30",
        "-s", "SINACRAWL_ON_NEW_POSTS_TIMEOUT=1",
    )  # fmt: skip
    assert slow.returncode == 1
    assert CrawlLog(slow.stderr).errors() == [
        "SINACRAWL_ON_NEW_POSTS killed after its timeout of 1 s: building"
    ]
    assert "'sinacrawl/hook/exit_status': -9," in slow.stderr


@pytest.fixture
def silent_proxy() -> Iterator[str]:
    """A proxy on 127.0.0.1 that accepts connections and never answers: a crawl stays busy."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_crawl_exits_non_zero_with_finish_reason_shutdown(
    signum: int, silent_proxy: str, tmp_path: Path
) -> None:
    log = tmp_path / "crawl.log"
    crawl = _start(
        log, "-s", f"POSTS_DIR={tmp_path / 'posts'}", "-s", "DOWNLOAD_TIMEOUT=3",
        "-s", "RETRY_TIMES=0",
        env={"https_proxy": silent_proxy, "http_proxy": silent_proxy},
    )  # fmt: skip
    _wait_for(log, "Spider opened", crawl)
    time.sleep(0.5)
    crawl.send_signal(signum)
    assert crawl.wait(timeout=60) == 1
    text = log.read_text(encoding="utf-8")
    assert "'finish_reason': 'shutdown'" in text
    assert "finish_reason=shutdown" in text
