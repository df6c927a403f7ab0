"""An output folder that cannot be written (SPEC section 6): the crawl stops with one clear
ERROR line naming the folder and exit status 1, before any request at start, and mid-crawl
(disk full) without losing or damaging any post already written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sinacrawl.post import parse_post
from tests import many_articles
from tests.conftest import FIXTURES, ROOT, run_crawl
from tests.crawl_log import CrawlLog, post_names

REPLAY = FIXTURES / "replay"


def _stopped_at_start(folder: Path | str) -> CrawlLog:
    result = run_crawl("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={folder}")
    log = CrawlLog(result.stderr)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    stats = log.stats()
    assert "replay/hit" not in stats and "downloader/request_count" not in result.stderr
    assert log.summary()["reason"] == "posts_dir_unwritable"
    return log


def test_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    folder = tmp_path / "file" / "posts"
    log = _stopped_at_start(folder)
    assert log.errors() == [
        f"cannot write posts into POSTS_DIR {folder}: Not a directory; the crawl stops before "
        "any request"
    ]


def test_empty_setting_is_not_the_current_folder() -> None:
    """``-s POSTS_DIR=`` (an unset variable in a cron line, say) must not write into the
    current folder, where a new user's trial found four posts beside scrapy.cfg."""
    before = sorted(p.name for p in ROOT.iterdir())
    log = _stopped_at_start("")
    assert log.errors() == [
        "POSTS_DIR is empty: set it to the folder the posts go into; the crawl stops before any "
        "request"
    ]
    assert sorted(p.name for p in ROOT.iterdir()) == before


def test_folder_that_is_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.write_text("not a folder")
    log = _stopped_at_start(folder)
    assert log.errors() == [
        f"cannot write posts into POSTS_DIR {folder}: File exists; the crawl stops before any "
        "request"
    ]
    assert folder.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir(mode=0o555)
    log = _stopped_at_start(folder)
    assert log.errors() == [
        f"cannot write posts into POSTS_DIR {folder}: Permission denied; the crawl stops "
        "before any request"
    ]


def test_disk_full_mid_crawl_keeps_every_post(tmp_path: Path) -> None:
    """A first crawl writes 60 posts; a second, with another author so that every post would
    be replaced, finds the disk full after 5 writes: it stops with one ERROR and status 1,
    the 5 replaced posts are whole and new, the 55 others whole and untouched.
    """
    count = 60
    pages = many_articles.build(tmp_path / "replay", count)
    posts = tmp_path / "posts"
    args = ["-a", f"pages={pages}", "-s", f"REPLAY_DIR={tmp_path / 'replay'}"]
    args += ["-s", f"POSTS_DIR={posts}"]
    first = run_crawl(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    before = {name: (posts / name).read_bytes() for name in post_names(posts)}
    assert len(before) == count

    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    second = subprocess.run(
        [sys.executable, "tests/diskfull_crawl.py", "5", *args, "-s", "SINACRAWL_AUTHOR=另一作者"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = CrawlLog(second.stderr)
    assert second.returncode == 1, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    [error] = log.errors()
    assert error.startswith(f"Dropped: write_failed: cannot write {posts}/nmany")
    assert error.endswith(
        ": No space left on device; the crawl stops, posts already written are kept: "
        f"{many_articles.URL.format(int(error.split('nmany')[1][:6]))}"
    )
    summary = log.summary()
    assert (summary["replaced"], summary["written"], summary["reason"]) == (
        "5",
        "0",
        "posts_dir_unwritable",
    )
    assert log.stats()["sinacrawl/dropped/write_failed"] == 1
    assert post_names(posts) == sorted(before)  # no temp file left, nothing lost
    authors = {}
    for name, old in before.items():
        new = (posts / name).read_bytes()
        fields, _ = parse_post(new.decode("utf-8"))
        authors[name] = fields.author
        if fields.author == "新浪财经":
            assert new == old
        else:
            assert new == old.replace("author: 新浪财经".encode(), "author: 另一作者".encode())
    assert sorted(authors.values()).count("另一作者") == 5
