"""``SINACRAWL_POSTS_LAYOUT`` (issue 14, big sites): year/month subfolders for new posts; a
post already written never moves."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPLAY, run_crawl

ARTICLE = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and ".sinacrawl" not in p.parts
    )


def test_year_month_layout_places_new_posts_and_never_moves_old_ones(tmp_path: Path) -> None:
    args = ("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    flat = run_crawl(*args, "-a", f"urls={ARTICLE}")
    assert flat.returncode == 0, flat.stderr[-3000:]
    assert _files(tmp_path) == ["kyamrmz0151960.md"]
    before = (tmp_path / "kyamrmz0151960.md").read_bytes()

    dated = run_crawl(*args, "-s", "SINACRAWL_POSTS_LAYOUT=year-month", "-s", "POSTS_REFRESH=1")
    assert dated.returncode == 0, dated.stderr[-3000:]
    assert "summary: written=3 unchanged=1 replaced=0 skipped=0 " in dated.stderr
    # dates in UTC: 2016-05-24 16:30, 2005-08-25 21:39; the 2021 post stays where it was
    assert _files(tmp_path) == [
        "2005/08/kknscsi0000002.md",
        "2005/08/kknscsi0000003.md",
        "2016/05/fxsktkp0000001.md",
        "kyamrmz0151960.md",
    ]
    assert (tmp_path / "kyamrmz0151960.md").read_bytes() == before

    again = run_crawl(*args, "-s", "SINACRAWL_POSTS_LAYOUT=year-month")
    assert "summary: written=0 unchanged=0 replaced=0 skipped=4 " in again.stderr
    # and back to flat: the dated posts are found where they are, not written twice
    back = run_crawl(*args, "-s", "POSTS_REFRESH=1")
    assert "summary: written=0 unchanged=4 replaced=0 skipped=0 " in back.stderr
    assert len(_files(tmp_path)) == 4
