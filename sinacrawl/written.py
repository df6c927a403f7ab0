"""The posts sinacrawl wrote into a posts folder, so that it replaces only those and only while
nobody has changed them (issue 13 item 12; SPEC section 4).

The state is an append-only log, ``POSTS_DIR/.sinacrawl/written.jsonl`` (Hexo skips a folder
whose name starts with ``.``), one JSON object a line: ``{"name": "<file>.md", "sha256":
"<hex>"}``, the SHA-256 of bytes sinacrawl wrote into that file. A file is sinacrawl's while its
bytes hash to one of the digests logged for its name. Every check and write holds an ``flock``
lock on ``.sinacrawl/written.lock``: two crawls into one folder, or Redis workers sharing it,
take turns, and a killed process's lock is released by the kernel. (``fcntl.flock`` on a
descriptor opened once with ``O_NOFOLLOW``, not the filelock package: its acquire and release
took 1.3 to 1.7 ms, three times the write of a 12 KB post on tmpfs, against 2 µs.) A digest is
appended before its file is renamed into place, so a crawl killed in between leaves a file
whose bytes, old or new, are both logged. A line torn by a kill is skipped. Appending costs one
short write per post, whatever the number of posts (a JSON file rewritten per post would cost
its whole size).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sinacrawl.post import PostFormatError, parse_post, render_post
from sinacrawl.statedir import STATE_DIR
from sinacrawl.storage import (
    NotRegularFileError,
    WriteOutcome,
    read_regular,
    remove_stale_temps,
    replace_atomic,
)

__all__ = ["LOCK_TIMEOUT", "WrittenPosts", "is_sinacrawl_post"]

logger = logging.getLogger(__name__)
_LOG = "written.jsonl"
_LOCK = "written.lock"
#: Seconds a write waits for another process's lock before failing (:class:`TimeoutError`, an
#: :class:`OSError`: the crawl then stops as for a full disk).
LOCK_TIMEOUT = 60.0
_LOCK_POLL = 0.005
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sinacrawl_post(data: bytes) -> bool:
    """True when ``data`` is exactly what sinacrawl renders for some post: it parses as SPEC
    section 1's skeleton and renders back to the same bytes. The rule by which posts written
    before this state existed are adopted (:class:`WrittenPosts`).

    >>> is_sinacrawl_post(b"---\\ntitle: My trip\\n---\\nHello")
    False
    """
    try:
        text = data.decode("utf-8")
        fields, body = parse_post(text)
    except (UnicodeDecodeError, PostFormatError):
        return False
    return render_post(fields, body) == text


class WrittenPosts:
    """What sinacrawl wrote into ``posts_dir`` and the one way it writes a post there.

    :meth:`write` writes a post file unless the file there is not sinacrawl's: one it did not
    write (a hand-written post, a symlink, a folder) or one whose bytes changed since it wrote
    them (the owner edited it). Such a file is kept, :attr:`WriteOutcome.KEPT_FOREIGN`, unless
    ``overwrite_foreign`` (setting ``SINACRAWL_OVERWRITE_FOREIGN``) is set; even then a symlink
    is replaced by the post, never written through, and a folder or other non-regular file is
    kept.

    Posts written before this state existed (older sinacrawl versions): when the log does not
    exist yet, the first write creates it, adopting every ``*.md`` file of ``posts_dir`` that
    :func:`is_sinacrawl_post` recognises (:attr:`adopted` counts them). A post its owner edited
    before the upgrade is adopted too when the edit kept sinacrawl's exact format (a changed
    word in the body, say); one that departs from it (another front-matter key, a Markdown
    body) stays the owner's. Removing ``.sinacrawl`` adopts again.

    Nothing is created on disk until the first write. Raises :class:`OSError` from
    :meth:`check` and :meth:`write` when ``.sinacrawl`` is not a real folder (a symlink is
    never followed), cannot be created, or the lock is held longer than
    :data:`LOCK_TIMEOUT`.
    """

    def __init__(self, posts_dir: Path, overwrite_foreign: bool = False) -> None:
        self.posts_dir = posts_dir
        self.folder = posts_dir / STATE_DIR
        self.overwrite_foreign = overwrite_foreign
        self._folder_fd: int | None = None
        self._lock_fd: int | None = None
        self._log_fd: int | None = None
        self._size = 0
        self.digests: defaultdict[str, set[str]] = defaultdict(set)
        self.adopted = 0
        self.bad_lines = 0
        self._identity: tuple[int, int] | None = None
        self._offset = 0

    def _open_folder(self, create: bool) -> int | None:
        if create:
            with suppress(FileExistsError):
                os.mkdir(self.folder)
        try:
            return os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
        except FileNotFoundError:
            if create:
                raise
            return None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                kind = "a symlink" if self.folder.is_symlink() else "a file"
                message = f"{STATE_DIR} is {kind}, not a folder"
                raise NotADirectoryError(errno.ENOTDIR, message, str(self.folder)) from exc
            raise

    def check(self) -> None:
        """Raise :class:`OSError` when ``.sinacrawl`` exists but is not a real folder (a
        symlink planted there, a file); called before a crawl starts."""
        fd = self._open_folder(create=False)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        """Close the descriptors of ``.sinacrawl``, its lock file and its log (the crawl is
        over)."""
        for fd in (self._log_fd, self._lock_fd, self._folder_fd):
            if fd is not None:
                os.close(fd)
        self._folder_fd = self._lock_fd = self._log_fd = None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if self._folder_fd is None:
            self._folder_fd = self._open_folder(create=True)
            assert self._folder_fd is not None
        if self._lock_fd is None:
            flags = os.O_RDWR | os.O_CREAT | _NOFOLLOW
            self._lock_fd = os.open(_LOCK, flags, 0o666, dir_fd=self._folder_fd)
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        errno.ETIMEDOUT,
                        f"another process held the lock for {LOCK_TIMEOUT:.0f} s",
                        str(self.folder / _LOCK),
                    ) from None
                time.sleep(_LOCK_POLL)
        try:
            self._load(self._folder_fd)
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _load(self, folder: int) -> None:
        """Read the log lines other processes appended since the last read (all of it when
        the log is new to this process, or was replaced); create the log, adopting, when there
        is none. The log's descriptor stays open for the next write."""
        try:
            info = os.stat(_LOG, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            self._adopt()
            info = os.stat(_LOG, dir_fd=folder, follow_symlinks=False)
        if self._log_fd is None or (info.st_dev, info.st_ino) != self._identity:
            if self._log_fd is not None:
                os.close(self._log_fd)
                self._log_fd = None
            self._log_fd = os.open(_LOG, os.O_RDWR | os.O_APPEND | _NOFOLLOW, dir_fd=folder)
            opened = os.fstat(self._log_fd)
            self._identity, self._offset = (opened.st_dev, opened.st_ino), 0
            self.digests.clear()
        self._size = os.fstat(self._log_fd).st_size
        if self._size < self._offset:
            self._offset = 0
            self.digests.clear()
        chunk = os.pread(self._log_fd, self._size - self._offset, self._offset)
        end = chunk.rfind(b"\n") + 1
        for line in chunk[:end].splitlines():
            self._take(line)
        self._offset += end

    def _take(self, line: bytes) -> None:
        try:
            record = json.loads(line)
            name, digest = record["name"], record["sha256"]
            if not isinstance(name, str) or not isinstance(digest, str):
                raise TypeError("name and sha256 must be strings")
        except (ValueError, KeyError, TypeError) as exc:
            self.bad_lines += 1
            logger.warning("ignored a bad line of %s: %s", self.folder / _LOG, exc)
            return
        self.digests[name].add(digest)

    def _adopt(self) -> None:
        remove_stale_temps(self.folder)  # of an adoption a kill interrupted
        lines = []
        for entry in sorted(os.scandir(self.posts_dir), key=lambda e: e.name):
            if not entry.name.endswith(".md") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                data = read_regular(Path(entry.path))
            except OSError:
                continue
            if data is not None and is_sinacrawl_post(data):
                lines.append(_line(entry.name, _digest(data)))
        replace_atomic(self.folder / _LOG, b"".join(lines))
        self.adopted = len(lines)
        if lines:
            logger.info(
                "adopted %d posts an earlier sinacrawl wrote into %s", len(lines), self.posts_dir
            )

    def _append(self, name: str, digest: str) -> None:
        assert self._log_fd is not None  # _load opened it
        torn = self._size > self._offset  # a line a killed process left unended
        line = (b"\n" if torn else b"") + _line(name, digest)
        written = os.write(self._log_fd, line)
        if written != len(line):
            raise OSError(errno.ENOSPC, "short write", str(self.folder / _LOG))
        self._size = self._offset = self._size + written
        self.digests[name].add(digest)

    def write(self, name: str, data: bytes) -> WriteOutcome:
        """Make ``posts_dir/name`` hold ``data`` if that file is sinacrawl's (see the class):
        :attr:`~WriteOutcome.WRITTEN` (new), :attr:`~WriteOutcome.REPLACED`,
        :attr:`~WriteOutcome.UNCHANGED` (the same bytes; not rewritten, mtime kept) or
        :attr:`~WriteOutcome.KEPT_FOREIGN`. The write is atomic
        (:func:`~sinacrawl.storage.replace_atomic`). Raises :class:`OSError` when the post or
        the state cannot be written (the old post, if any, stays whole).
        """
        target = self.posts_dir / name
        digest = _digest(data)
        with self._locked():
            ours = self.digests[name]
            try:
                old = read_regular(target)
            except NotRegularFileError as exc:
                if not (exc.symlink and self.overwrite_foreign):
                    return WriteOutcome.KEPT_FOREIGN
                old = b""
            if old == data:
                if digest not in ours:
                    self._append(name, digest)
                return WriteOutcome.UNCHANGED
            if old is not None and _digest(old) not in ours and not self.overwrite_foreign:
                return WriteOutcome.KEPT_FOREIGN
            if digest not in ours:
                self._append(name, digest)
            replace_atomic(target, data)
        return WriteOutcome.WRITTEN if old is None else WriteOutcome.REPLACED


def _line(name: str, digest: str) -> bytes:
    return json.dumps({"name": name, "sha256": digest}).encode("ascii") + b"\n"
