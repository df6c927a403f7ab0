"""Atomic post writes, files sinacrawl must never touch (symlinks planted in the posts folder,
other programs' temporary files) and the clean-up of a killed crawl's temporary files (SPEC
section 4, issue 13 items 11 and 12)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scrapy.exceptions import CloseSpider
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl.items import ArticleItem
from sinacrawl.pipelines import PostWriterPipeline
from sinacrawl.post import PostFields, render_post
from sinacrawl.spiders.sina_finance import SinaFinanceSpider
from sinacrawl.storage import WriteOutcome, remove_stale_temps
from sinacrawl.written import WrittenPosts

URL = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
NAME = "kyamrmz0151960.md"
OUTSIDE = b"the owner's file outside POSTS_DIR\n"


def _item(title: str = "浙江：更好统筹推进疫情防控和经济社会发展") -> ArticleItem:
    return ArticleItem(
        url=URL,
        docid="kyamrmz0151960",
        page=b"",
        title=title,
        date="Tue, 21 Dec 2021 06:56:42 GMT",
        author="新浪财经",
        categories=("金融", "新浪财经", "新浪财经－国內"),
        body="<p>　　会议强调。</p>",
    )


def _post(item: ArticleItem) -> bytes:
    assert item.title and item.date and item.body
    fields = PostFields(item.title, item.categories, "", item.author or "", item.date, "")
    return render_post(fields, item.body).encode()


def _pipeline(posts: Path, **settings: object) -> PostWriterPipeline:
    crawler = get_crawler(SinaFinanceSpider, {"POSTS_DIR": str(posts), **settings})
    crawler.stats.open_spider()  # type: ignore[union-attr]
    pipeline = build_from_crawler(PostWriterPipeline, crawler)
    pipeline.open_spider()
    return pipeline


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(OUTSIDE)
    return outside


def test_write_outcomes_and_no_temp_left(tmp_path: Path) -> None:
    written = WrittenPosts(tmp_path)
    assert written.write(NAME, b"one") is WriteOutcome.WRITTEN
    os.utime(tmp_path / NAME, (1_000_000_000, 1_000_000_000))
    assert written.write(NAME, b"one") is WriteOutcome.UNCHANGED
    assert (tmp_path / NAME).stat().st_mtime == 1_000_000_000
    assert written.write(NAME, b"two") is WriteOutcome.REPLACED
    assert (tmp_path / NAME).read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".sinacrawl", NAME]
    assert sorted(p.name for p in (tmp_path / ".sinacrawl").iterdir()) == [
        "written.jsonl",
        "written.lock",
    ]


def test_a_symlink_planted_as_the_temp_file_is_never_followed(tmp_path: Path) -> None:
    """Issue 13 item 11: the temporary file's name was predictable (host and pid), and it was
    opened with ``open("wb")``, which follows a symlink and truncates its target."""
    outside = _outside(tmp_path)
    posts = tmp_path / "posts"
    posts.mkdir()
    host, pid = socket.gethostname(), os.getpid()
    for name in (NAME, "write-check"):
        (posts / f".{name}.{host}.{pid}.tmp").symlink_to(outside)
    pipeline = _pipeline(posts)
    pipeline.process_item(_item())
    assert outside.read_bytes() == OUTSIDE
    assert (posts / NAME).read_bytes() == _post(_item())
    assert pipeline.stats.get_value("sinacrawl/post/written") == 1


def test_a_symlink_at_the_random_temp_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a symlink planted at the very name the random part gives is not opened
    (``O_EXCL|O_NOFOLLOW``): the next random name is used."""
    outside = _outside(tmp_path)
    posts = tmp_path / "posts"
    posts.mkdir()
    host, pid = socket.gethostname(), os.getpid()
    (posts / f".{NAME}.{host}.{pid}.0badcafe.tmp").symlink_to(outside)
    written = WrittenPosts(posts)
    assert written.write("kyamrmz0000001.md", b"other") is WriteOutcome.WRITTEN
    randoms = iter(["0badcafe", "00000001"])
    monkeypatch.setattr("sinacrawl.storage.secrets.token_hex", lambda n: next(randoms))
    assert written.write(NAME, b"post") is WriteOutcome.WRITTEN
    assert outside.read_bytes() == OUTSIDE
    assert (posts / NAME).read_bytes() == b"post"
    assert (posts / f".{NAME}.{host}.{pid}.0badcafe.tmp").is_symlink()


def test_a_symlink_at_the_post_is_kept_and_never_written_through(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / NAME).symlink_to(outside)
    pipeline = _pipeline(posts)
    pipeline.process_item(_item())
    assert outside.read_bytes() == OUTSIDE
    assert (posts / NAME).is_symlink()
    assert pipeline.stats.get_value("sinacrawl/post/kept_foreign") == 1
    assert pipeline.stats.get_value("sinacrawl/post/written") is None

    forced = _pipeline(posts, SINACRAWL_OVERWRITE_FOREIGN=True)
    forced.process_item(_item())
    assert outside.read_bytes() == OUTSIDE
    assert not (posts / NAME).is_symlink()
    assert (posts / NAME).read_bytes() == _post(_item())
    assert forced.stats.get_value("sinacrawl/post/replaced") == 1


@pytest.mark.parametrize("planted", ["written.lock", "written.jsonl"])
def test_symlinks_planted_in_the_state_folder_are_never_followed(
    tmp_path: Path, planted: str
) -> None:
    outside = _outside(tmp_path)
    posts = tmp_path / "posts"
    (posts / ".sinacrawl").mkdir(parents=True)
    (posts / ".sinacrawl" / planted).symlink_to(outside)
    pipeline = _pipeline(posts)
    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        pipeline.written.write(NAME, b"post")  # type: ignore[union-attr]
    assert outside.read_bytes() == OUTSIDE
    assert not (posts / NAME).exists()


def test_a_symlink_as_the_state_folder_stops_the_crawl_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / ".sinacrawl").symlink_to(elsewhere)
    with pytest.raises(CloseSpider) as stopped:
        _pipeline(posts)
    assert stopped.value.reason == "posts_dir_unwritable"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"cannot write posts into POSTS_DIR {posts}: .sinacrawl is a symlink, not a folder; "
        "the crawl stops before any request"
    ]
    assert list(elsewhere.iterdir()) == []


def test_only_sinacrawls_own_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    """Issue 13 item 12: only sinacrawl's exact name pattern, made on this host by a process
    that is gone, or an hour old; never another program's ``.*.tmp``."""
    host = socket.gethostname()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = int(dead.stdout)
    names = {
        f".a.md.{host}.{gone}.0badcafe.tmp": True,  # this host, its process is gone
        f".write-check.{host}.{gone}.0badcafe.tmp": True,
        f".a.md.{host}.{os.getpid()}.0badcafe.tmp": False,  # this host, alive, fresh
        ".a.md.other-host.4242.0badcafe.tmp": False,  # another host, fresh
        ".b.md.other-host.4242.0badcafe.tmp": True,  # another host, two hours old
        ".c.md.other-host.4243.tmp": True,  # an older sinacrawl's name, two hours old
        ".notes.tmp": False,  # another program's, two hours old
        ".a.md.other-host.x.tmp": False,
        ".emacs.d.tmp": False,
        "a.md": False,
    }
    hours_ago = time.time() - 7200
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        if not name.startswith(".a.md."):
            os.utime(tmp_path / name, (hours_ago, hours_ago))
    (tmp_path / ".link.md.other-host.1.tmp").symlink_to(tmp_path / "a.md")
    assert remove_stale_temps(tmp_path) == sum(names.values())
    kept = sorted(n for n, removed in names.items() if not removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*kept, ".link.md.other-host.1.tmp"]
    )
