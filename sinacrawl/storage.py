"""Writing post files atomically (SPEC section 4)."""

from __future__ import annotations

import os
import socket
import time
from enum import StrEnum
from pathlib import Path

__all__ = ["WriteOutcome", "check_writable", "remove_stale_temps", "write_atomic"]


class WriteOutcome(StrEnum):
    """What :func:`write_atomic` did: a new file, a changed file, or nothing."""

    WRITTEN = "written"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"


def _temp_path(target: Path) -> Path:
    # Leading "." so Hexo never reads it; host and pid keep concurrent crawls apart, also
    # workers on several machines sharing one POSTS_DIR (README "Scaling out").
    return target.with_name(f".{target.name}.{socket.gethostname()}.{os.getpid()}.tmp")


def write_atomic(target: Path, data: bytes) -> WriteOutcome:
    """Make ``target`` hold exactly ``data``: unchanged bytes are not rewritten (the mtime
    stays), otherwise a temporary file in the same folder is written, flushed to disk and
    renamed over ``target``, so a killed process leaves the old file or the new one, never
    part of one. Raises :class:`OSError` when the folder is not writable (the temporary file
    is removed).
    """
    try:
        if target.read_bytes() == data:
            return WriteOutcome.UNCHANGED
        existed = True
    except FileNotFoundError:
        existed = False
    temp = _temp_path(target)
    try:
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return WriteOutcome.REPLACED if existed else WriteOutcome.WRITTEN


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it.

    Raises :class:`OSError` (with the folder in its message) when it cannot.
    """
    folder.mkdir(parents=True, exist_ok=True)
    probe = _temp_path(folder / "write-check")
    try:
        probe.write_bytes(b"")
    finally:
        probe.unlink(missing_ok=True)


def remove_stale_temps(folder: Path, max_age: float = 3600.0) -> int:
    """Remove the temporary files (``.<name>.<host>.<pid>.tmp``) a killed crawl left in ``folder``
    and that are older than ``max_age`` seconds (younger ones may belong to a crawl still
    running beside this one). Returns how many were removed; a file that vanishes meanwhile is
    not an error.
    """
    removed = 0
    deadline = time.time() - max_age
    for temp in folder.glob(".*.tmp"):
        try:
            if temp.stat().st_mtime < deadline:
                temp.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
