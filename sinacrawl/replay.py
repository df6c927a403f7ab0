"""Replay folders: ``manifest.tsv`` plus saved bodies (SPEC section 5), read and written."""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from w3lib.url import canonicalize_url

__all__ = ["MANIFEST", "ManifestEntry", "ReplayError", "append_entry", "load_manifest"]

MANIFEST = "manifest.tsv"
HEADER = ("url", "file", "status", "content_type", "location")
#: The ``status`` that stands for "the request timed out".
TIMEOUT = "timeout"


class ReplayError(ValueError):
    """A replay folder that cannot be used (missing, no manifest, a bad line)."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One answer: body path (absolute, or None), HTTP status (or ``"timeout"``), headers."""

    file: Path | None
    status: str
    content_type: str
    location: str


def _entry(folder: Path, row: list[str], line: int) -> tuple[str, ManifestEntry]:
    if len(row) < 2:
        raise ReplayError(f"{folder / MANIFEST}:{line}: expected 5 tab-separated columns")
    url, file, status, content_type, location = [*row, "", "", ""][:5]
    status = status.strip() or "200"
    if status != TIMEOUT and not (status.isdigit() and 100 <= int(status) <= 599):
        raise ReplayError(f"{folder / MANIFEST}:{line}: bad status {status!r}")
    path = None
    if file.strip():
        # Checked lexically: ".." and absolute paths are refused, while a symbolic link the
        # folder's owner placed inside it is followed (bench/run.py links ``pages`` to a corpus).
        path = Path(os.path.normpath(folder / file.strip()))
        if not path.is_relative_to(folder):
            raise ReplayError(f"{folder / MANIFEST}:{line}: {file!r} is outside the folder")
    return canonicalize_url(url.strip()), ManifestEntry(
        path, status, content_type.strip(), location.strip()
    )


def load_manifest(folder: Path) -> dict[str, list[ManifestEntry]]:
    """Read ``folder/manifest.tsv``: canonical URL → its answers, in order (the last repeats).

    URLs are keyed by :func:`w3lib.url.canonicalize_url`. Raises :class:`ReplayError` when the
    folder or its manifest is missing or a line is malformed.
    """
    folder = folder.resolve()
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise ReplayError(f"replay folder {folder} has no {MANIFEST}")
    answers: dict[str, list[ManifestEntry]] = {}
    # utf-8-sig: a manifest saved by a spreadsheet starts with a byte-order mark.
    with manifest.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for line, row in enumerate(rows, start=1):
            if line == 1 and tuple(row[:2]) == HEADER[:2]:
                continue
            if not row or not "".join(row).strip():
                continue
            key, entry = _entry(folder, row, line)
            answers.setdefault(key, []).append(entry)
    return answers


def append_entry(
    folder: Path, url: str, body: bytes | None, status: str, content_type: str, location: str
) -> None:
    """Record one answer into ``folder``: the body under ``pages/`` (named by its SHA-1, so an
    unchanged page is stored once) and a manifest line. Creates the folder and the header.
    """
    file = ""
    if body is not None and status != TIMEOUT:
        digest = hashlib.sha1(body).hexdigest()
        file = f"pages/{digest}.body"
        target = folder / file
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            tmp.write_bytes(body)
            os.replace(tmp, target)
    manifest = folder / MANIFEST
    is_new = not manifest.exists()
    with manifest.open("a", encoding="utf-8", newline="") as handle:
        if is_new:
            handle.write("\t".join(HEADER) + "\n")
        clean = [
            v.replace("\t", " ").replace("\n", " ")
            for v in (url, file, status, content_type, location)
        ]
        handle.write("\t".join(clean) + "\n")
