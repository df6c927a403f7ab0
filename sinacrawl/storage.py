"""Writing files into the posts folder atomically, without following anyone's symlinks (SPEC
section 4, issue 13 items 11 and 12)."""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
import stat
import time
from enum import StrEnum
from pathlib import Path

__all__ = [
    "NotRegularFileError",
    "WriteOutcome",
    "check_writable",
    "read_regular",
    "remove_stale_temps",
    "replace_atomic",
]

#: ``O_NOFOLLOW``: opening a symlink fails (ELOOP) instead of opening its target.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: The temporary files sinacrawl creates: ``.<name>.<host>.<pid>.<8 hex>.tmp``, where name is a
#: post file name, ``write-check`` (the start-up probe), ``written.jsonl`` (the state log of
#: :mod:`sinacrawl.written`) or an image copy's (:mod:`sinacrawl.images`: 16 hex digits and
#: ``.jpg``, ``.png``, ``.gif`` or ``.webp``). Earlier versions left ``.<name>.<host>.<pid>.tmp``.
_TEMP = re.compile(
    r"\.(?:[A-Za-z0-9-]+\.md|write-check|written\.jsonl|[0-9a-f]{16}\.(?:jpg|png|gif|webp))"
    r"\.(?P<host>[A-Za-z0-9.-]+)\.(?P<pid>[0-9]+)(?:\.[0-9a-f]{8})?\.tmp"
)
_HOST_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


class WriteOutcome(StrEnum):
    """What writing a post did: a new file, a changed file, nothing, or nothing because the
    file there is not sinacrawl's (:mod:`sinacrawl.written`)."""

    WRITTEN = "written"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    KEPT_FOREIGN = "kept_foreign"


class NotRegularFileError(OSError):
    """The path is a symlink, a folder or another non-regular file: sinacrawl neither reads
    through it nor writes into it. ``symlink`` says whether it is a symlink."""

    def __init__(self, path: Path, symlink: bool) -> None:
        kind = "a symlink" if symlink else "not a regular file"
        super().__init__(errno.ELOOP if symlink else errno.EISDIR, kind, str(path))
        self.symlink = symlink


def _host() -> str:
    return _HOST_UNSAFE.sub("-", socket.gethostname()) or "host"


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create a new temporary file in ``folder`` for ``name`` and return its descriptor and
    path. ``O_CREAT|O_EXCL|O_NOFOLLOW`` on a name with 32 random bits: the file is always a
    new one that this process created, never a path (or symlink) someone planted (issue 13
    item 11). The leading ``.`` makes Hexo skip it; host and pid say whose it is (README
    "Scaling out"). Mode ``0o666`` less the umask, as an ordinary file.
    """
    while True:
        temp = folder / f".{name}.{_host()}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue


def read_regular(path: Path) -> bytes | None:
    """The bytes of the regular file ``path``, or ``None`` when nothing is there.

    Raises :class:`NotRegularFileError` when ``path`` is a symlink (never followed:
    ``O_NOFOLLOW``), a folder, a FIFO (opened without blocking) or a device, and
    :class:`OSError` when it cannot be read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP or path.is_symlink():
            raise NotRegularFileError(path, symlink=True) from exc
        if path.is_dir():
            raise NotRegularFileError(path, symlink=False) from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(path, symlink=False)
        return handle.read()


def replace_atomic(target: Path, data: bytes) -> None:
    """Make ``target`` hold exactly ``data``: a new temporary file in the same folder
    (:func:`_create_temp`) is written, flushed to disk and renamed over ``target``, so a killed
    process leaves the old file or the new one, never part of one. The rename replaces a
    symlink at ``target`` itself, never the file it points to.

    Raises :class:`OSError` when the folder is not writable or the disk is full (the temporary
    file is removed).
    """
    fd, temp = _create_temp(target.parent, target.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it, with a new probe
    file (:func:`_create_temp`, never an existing path) that is removed again.

    Raises :class:`OSError` (with the folder in its message) when it cannot.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = _create_temp(folder, "write-check")
    os.close(fd)
    probe.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(folder: Path, max_age: float = 3600.0) -> int:
    """Remove the temporary files a killed sinacrawl left in ``folder``: only names of
    sinacrawl's own pattern (``.<name>.<host>.<pid>.<8 hex>.tmp``, see :func:`_create_temp`),
    and of those only the ones made on this host by a process that no longer runs, or older
    than ``max_age`` seconds (a crawl on another host may still be writing a younger one).
    Any other file, ``.notes.tmp`` say, is never touched (issue 13 item 12). Returns how many
    were removed; a file that vanishes meanwhile is not an error.
    """
    removed = 0
    deadline = time.time() - max_age
    here = _host()
    for entry in os.scandir(folder):
        match = _TEMP.fullmatch(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        try:
            dead = match["host"] == here and not _alive(int(match["pid"]))
            if dead or entry.stat(follow_symlinks=False).st_mtime < deadline:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
