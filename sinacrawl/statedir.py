"""The crawl's own state beside the posts: ``POSTS_DIR/.sinacrawl/`` (issue 14). Hexo skips
hidden folders, so nothing in it becomes a page.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATE_DIR", "state_dir"]

#: The hidden folder's name inside ``POSTS_DIR``.
STATE_DIR = ".sinacrawl"


def state_dir(posts_dir: Path) -> Path:
    """``posts_dir/.sinacrawl``, created (with its parents) if missing.

    Raises :class:`OSError` when it cannot be created.
    """
    folder = posts_dir / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return folder
