"""Shared test helpers: where things are, and a crawl run the way a user runs it."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
REPLAY = FIXTURES / "replay"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "seed" / "000_204a4dbcd11ab98d.txt"

_TAG = re.compile(r"<[^>]+>")
_WHITE = re.compile(r"\s+")


def body_text(body: str) -> str:
    """A body's text as expected.jsonl compares it: no tags, entities decoded, no white space."""
    return _WHITE.sub("", html.unescape(_TAG.sub("", body)))


def run_crawl(
    *args: str, timeout: float = 300, spider: str = "sina_finance"
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl SPIDER ARGS`` in a subprocess from the project root; output captured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", spider, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def require_shared(path: Path) -> Path:
    """Skip the calling test when ``../shared`` (beside the checkout) is absent."""
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpus lives beside the checkout (../shared)")
    return path


@pytest.fixture(scope="session")
def corpus_posts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The posts of one replay crawl over ``../shared/corpus`` (3 feed pages)."""
    require_shared(CORPUS)
    out = tmp_path_factory.mktemp("corpus-posts")
    result = run_crawl("-a", "pages=3", "-s", f"REPLAY_DIR={CORPUS}", "-s", f"POSTS_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return out
