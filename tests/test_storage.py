"""Atomic post writes and the clean-up of a killed crawl's temporary files (SPEC section 4)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sinacrawl.storage import WriteOutcome, remove_stale_temps, write_atomic


def test_write_atomic_outcomes_and_no_temp_left(tmp_path: Path) -> None:
    target = tmp_path / "kyamrmz0151960.md"
    assert write_atomic(target, b"one") is WriteOutcome.WRITTEN
    os.utime(target, (1_000_000_000, 1_000_000_000))
    assert write_atomic(target, b"one") is WriteOutcome.UNCHANGED
    assert target.stat().st_mtime == 1_000_000_000
    assert write_atomic(target, b"two") is WriteOutcome.REPLACED
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["kyamrmz0151960.md"]


def test_only_old_temporary_files_are_removed(tmp_path: Path) -> None:
    old = tmp_path / ".a.md.4242.tmp"
    fresh = tmp_path / ".b.md.4243.tmp"
    post = tmp_path / "a.md"
    for path in (old, fresh, post):
        path.write_bytes(b"x")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    os.utime(post, (hours_ago, hours_ago))
    assert remove_stale_temps(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.md.4243.tmp", "a.md"]
