"""End to end under a real scrapyd: deploy the egg, schedule, tick again, fail loudly.

scrapyd runs on 127.0.0.1 on a free port with ``deploy/scrapyd.conf``'s settings and its folders
in a temporary folder; the egg is built by ``scrapyd-deploy --build-egg`` from a copy of the
project, uploaded with ``addversion.json``, and jobs are polled through ``listjobs.json``.
"""

from __future__ import annotations

import configparser
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT, require_shared
from tests.crawl_log import post_names
from tests.test_7x24 import EXPECTED_TICK1, ZHIBO

JOB_TIMEOUT = 180.0  # seconds; a replay of the corpus takes a few
PROJECT_FILES = ("sinacrawl", "scrapy.cfg", "setup.py", "pyproject.toml", "README.md")


def _require_tools() -> Path:
    """scrapyd-deploy's path; fail in CI (CI=true), skip elsewhere, when scrapyd is missing."""
    deploy = Path(sys.executable).with_name("scrapyd-deploy")
    try:
        import requests  # noqa: F401
        import scrapyd  # noqa: F401
    except ImportError as exc:
        missing = f"{exc.name} is not installed"
    else:
        missing = "" if deploy.exists() else f"{deploy} is missing"
    if missing:
        message = f'{missing}: pip install -e ".[test]" installs scrapyd and scrapyd-client'
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return deploy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Scrapyd:
    url: str
    logs: Path
    log: Path

    def call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        import requests

        response = requests.request(method, self.url + endpoint, timeout=30, **kwargs)
        data: dict[str, Any] = response.json()
        assert data.get("status") == "ok", (endpoint, data)
        return data

    def run_job(self, args: list[tuple[str, str]], spider: str = "sina_finance") -> str:
        """Schedule ``spider`` with ``args``, wait until it finishes, return its log."""
        data = [("project", "sinacrawl"), ("spider", spider), *args]
        job = self.call("POST", "schedule.json", data=data)["jobid"]
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            jobs = self.call("GET", "listjobs.json", params={"project": "sinacrawl"})
            if any(j["id"] == job for j in jobs["finished"]):
                return (self.logs / "sinacrawl" / spider / f"{job}.log").read_text("utf-8")
            time.sleep(0.3)
        pytest.fail(f"job {job} did not finish in {JOB_TIMEOUT} s; scrapyd log: {self.log}")


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A running scrapyd with sinacrawl's egg deployed (version ``r1``); stopped afterwards,
    whatever the tests did."""
    deploy = _require_tools()
    import requests

    home = tmp_path_factory.mktemp("scrapyd")
    src = home / "src"
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(source, src / name)
    egg = home / "sinacrawl.egg"
    built = subprocess.run(
        [str(deploy), "--build-egg", str(egg)], cwd=src, capture_output=True, text=True, timeout=120
    )
    assert built.returncode == 0 and egg.is_file(), built.stderr

    config = configparser.ConfigParser()
    config.read(ROOT / "deploy" / "scrapyd.conf", encoding="utf-8")
    assert config["scrapyd"]["bind_address"] == "127.0.0.1"
    port = _free_port()
    config["scrapyd"].update(
        http_port=str(port),
        eggs_dir=str(home / "eggs"),
        logs_dir=str(home / "logs"),
        dbs_dir=str(home / "dbs"),
        poll_interval="0.2",
    )
    run = home / "run"
    run.mkdir()
    with (run / "scrapyd.conf").open("w", encoding="utf-8") as handle:
        config.write(handle)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY_", "SCRAPYD_"))}
    log = home / "scrapyd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd"], cwd=run, env=env, stdout=out, stderr=out
        )
    try:
        server = Scrapyd(f"http://127.0.0.1:{port}/", home / "logs", log)
        deadline = time.monotonic() + 30
        while True:
            try:
                server.call("GET", "daemonstatus.json")
                break
            except requests.ConnectionError:
                assert process.poll() is None, log.read_text("utf-8", "replace")
                assert time.monotonic() < deadline, log.read_text("utf-8", "replace")
                time.sleep(0.2)
        with egg.open("rb") as handle:
            added = server.call(
                "POST",
                "addversion.json",
                data={"project": "sinacrawl", "version": "r1"},
                files={"egg": ("sinacrawl.egg", handle)},
            )
        assert added["spiders"] == 2  # sina_finance, sina_7x24
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _posts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _check_clean_finish(log: str) -> None:
    assert "'finish_reason': 'finished'" in log, log[-3000:]
    assert " ERROR: " not in log and "Traceback" not in log, log[-3000:]


def test_scheduled_job_writes_what_scrapy_crawl_writes_then_nothing_more(
    scrapyd: Scrapyd, corpus_posts: Path, tmp_path: Path
) -> None:
    require_shared(CORPUS)
    posts = tmp_path / "posts"
    args = [("pages", "3"), ("setting", f"REPLAY_DIR={CORPUS}"), ("setting", f"POSTS_DIR={posts}")]
    first = scrapyd.run_job(args)
    _check_clean_finish(first)
    assert _posts(posts) == _posts(corpus_posts)
    before = {p.name: p.stat().st_mtime_ns for p in posts.iterdir() if p.is_file()}

    second = scrapyd.run_job(args)
    _check_clean_finish(second)
    # every article but the one whose feed entry has no mtime (finance.sina.cn, 2005) is skipped
    written = len(before)
    assert written == len(post_names(corpus_posts)) > 0
    assert f"written=0 unchanged=1 replaced=0 skipped={written - 1} " in second, second[-3000:]
    assert _posts(posts) == _posts(corpus_posts)
    assert {p.name: p.stat().st_mtime_ns for p in posts.iterdir() if p.is_file()} == before


def test_job_with_a_missing_replay_folder_fails_with_one_error_line(
    scrapyd: Scrapyd, tmp_path: Path
) -> None:
    missing = tmp_path / "missing"
    args = [("setting", f"REPLAY_DIR={missing}"), ("setting", f"POSTS_DIR={tmp_path / 'posts'}")]
    log = scrapyd.run_job(args)
    errors = [line.split(" ERROR: ", 1)[1] for line in log.splitlines() if " ERROR: " in line]
    assert errors == [f"REPLAY_DIR {missing} is not a folder: the crawl stops before any request"]
    assert "'finish_reason': 'replay_unusable'" in log
    assert "Traceback" not in log


def test_7x24_job_beside_sina_finance(scrapyd: Scrapyd, tmp_path: Path) -> None:
    """The deployed egg runs sina_7x24 too (README "7x24 digests"), into a POSTS_DIR of its own."""
    posts = tmp_path / "posts"
    args = [
        ("pagesize", "4"),
        ("setting", f"REPLAY_DIR={ZHIBO / 'tick1'}"),
        ("setting", "SINACRAWL_7X24_NOW=2026-12-01T15:00:00"),
        ("setting", f"POSTS_DIR={posts}"),
    ]
    log = scrapyd.run_job(args, spider="sina_7x24")
    _check_clean_finish(log)
    assert _posts(posts) == {"7x24-152-20261201.md": EXPECTED_TICK1.encode("utf-8")}
