"""Where a post lives inside ``POSTS_DIR`` (issue 14, big sites): all in one folder (``flat``,
the default) or in ``YYYY/MM/`` subfolders (``year-month``). A post already written is never
moved: it is found where it is, whichever layout wrote it.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

__all__ = ["LAYOUTS", "PostLocator"]

#: The values of ``SINACRAWL_POSTS_LAYOUT``.
LAYOUTS = ("flat", "year-month")
_YEAR = re.compile(r"^\d{4}$")
_MONTH = re.compile(r"^\d\d$")


class PostLocator:
    """Find and place post files (``<docid>.md``) in ``posts_dir`` under ``layout`` (one of
    :data:`LAYOUTS`). The ``YYYY/MM`` folders are scanned once, on the first lookup the flat
    folder cannot answer (names only: a few milliseconds for tens of thousands of posts);
    posts placed since are remembered.

    >>> from tempfile import mkdtemp
    >>> locator = PostLocator(Path(mkdtemp()), "year-month")
    >>> locator.target("a.md", datetime(2021, 12, 21)).relative_to(locator.posts_dir).as_posix()
    '2021/12/a.md'
    """

    def __init__(self, posts_dir: Path, layout: str) -> None:
        self.posts_dir = posts_dir
        self.layout = layout
        self.dated: dict[str, Path] | None = None

    def _scan(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        try:
            years = [e for e in os.scandir(self.posts_dir) if _YEAR.match(e.name) and e.is_dir()]
        except FileNotFoundError:
            return found
        for year in years:
            for month in os.scandir(year.path):
                if _MONTH.match(month.name) and month.is_dir():
                    for post in os.scandir(month.path):
                        if post.name.endswith(".md"):
                            found.setdefault(post.name, Path(post.path))
        return found

    def existing(self, name: str) -> Path | None:
        """The file of post ``name`` if one exists: in the folder itself or a ``YYYY/MM``
        subfolder."""
        flat = self.posts_dir / name
        if flat.exists():
            return flat
        if self.dated is None:
            self.dated = self._scan()
        found = self.dated.get(name)
        return found if found is not None and found.exists() else None

    def target(self, name: str, moment: datetime) -> Path:
        """Where post ``name`` published at ``moment`` (UTC) is written: where it already is,
        else its layout's place (``YYYY/MM`` of ``moment`` for ``year-month``)."""
        found = self.existing(name)
        if found is not None:
            return found
        if self.layout == "flat":
            return self.posts_dir / name
        path = self.posts_dir / f"{moment:%Y}" / f"{moment:%m}" / name
        assert self.dated is not None  # existing() scanned
        self.dated[name] = path
        return path
