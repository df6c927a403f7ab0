"""Whole crawls over the bundled replay folder, run the way a user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sinacrawl.settings import SINACRAWL_CHANNELS
from tests.conftest import REPLAY, run_crawl
from tests.crawl_log import post_names

EXPECTED_POST = (
    "\n---\n"
    "title: '浙江：更好统筹推进疫情防控和经济社会发展'\n"
    "categories: \n"
    " - 金融\n"
    " - 新浪财经\n"
    " - 新浪财经－国內\n"
    "headimg: 'https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg'\n"
    "author: 新浪财经\n"
    "comments: false\n"
    "date: Tue, 21 Dec 2021 06:56:42 GMT\n"
    "thumbnail: 'https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg'\n"
    "---\n"
    "\n"
    "<div>   \n"
    "<p>　　<strong>省委常委会会议研究部署疫情防控工作</strong></p>\n"
    "<p>　　本报杭州12月20日电（记者 刘乐平）20日下午，"
    "省委常委会召开会议，深入学习贯彻中央经济工作会议精神。</p>\n"
    # Sina's automatic keyword link on 招商银行 is plain text (SPEC section 3, issue 11)
    "<p>　　会议指出，<span>招商银行</span>等金融机构要全力支持稳增长。</p>\n"
    '<div><img src="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"'
    ' alt="会议现场" referrerpolicy="no-referrer"><span>会议现场</span></div>\n'
    '<p>　　详见<a href="https://finance.sina.com.cn/china/2021-12-20/doc-ikyakumx5380000.shtml"'
    ' rel="noopener noreferrer">前期报道</a>。模板示例 &#123;&#123; page.title &#125;&#125; 与'
    " &#123;% raw %&#125; 不应被 Hexo 执行。</p>\n"
    "<p>　　会议强调，要毫不放松抓好常态化疫情防控。</p>\n"
    '<p class="article-editor">责任编辑：王蒙 </p>\n'
    "</div>\n"
    "            "
)
CHANNEL_KEYS = sorted(SINACRAWL_CHANNELS)
NAMES = ["fxsktkp0000001.md", "kknscsi0000002.md", "kknscsi0000003.md", "kyamrmz0151960.md"]


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        n: ((folder / n).read_bytes(), (folder / n).stat().st_mtime_ns) for n in post_names(folder)
    }


def test_crawl_writes_the_expected_posts(tmp_path: Path) -> None:
    result = run_crawl("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "summary: written=4 unchanged=0 replaced=0 skipped=0 dropped=0 (none)" in result.stderr
    assert post_names(tmp_path) == NAMES
    assert (tmp_path / "kyamrmz0151960.md").read_bytes() == EXPECTED_POST.encode("utf-8")
    gb = (tmp_path / "kknscsi0000002.md").read_text(encoding="utf-8")
    assert "title: '上市公司半年报披露完毕 净利润同比增长'\n" in gb
    assert "date: Thu, 25 Aug 2005 21:39:00 GMT\n" in gb
    assert (tmp_path / "kknscsi0000003.md").read_text(encoding="utf-8") == gb
    moved = (tmp_path / "fxsktkp0000001.md").read_text(encoding="utf-8")
    assert "title: '“人民币”中间价: 创逾五年新低 #外汇'\n" in moved
    assert "date: Tue, 24 May 2016 16:30:00 GMT\n" in moved


def test_second_run_changes_nothing_and_a_changed_article_is_replaced(tmp_path: Path) -> None:
    replay = shutil.copytree(REPLAY, tmp_path / "replay")
    posts = tmp_path / "posts"
    args = ("-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}")
    assert run_crawl(*args).returncode == 0
    before = _snapshot(posts)

    again = run_crawl(*args)
    assert "summary: written=0 unchanged=0 replaced=0 skipped=4" in again.stderr
    assert _snapshot(posts) == before
    refreshed = run_crawl(*args, "-s", "POSTS_REFRESH=1")
    assert "summary: written=0 unchanged=4 replaced=0 skipped=0" in refreshed.stderr
    assert _snapshot(posts) == before

    # Sina edits the article: the page changes and the feed's mtime moves past the post's.
    page = replay / "pages" / "finance-2021-12-21-ikyamrmz0151960.html"
    page.write_bytes(page.read_bytes().replace("要毫不放松".encode(), "要坚决".encode()))
    feed = replay / "feeds" / "roll-lid1686-page1.json"
    feed.write_text(
        feed.read_text(encoding="utf-8").replace(
            '"ctime": "1640069802", "mtime": "1640069802"',
            '"ctime": "1640069802", "mtime": "4102444800"',
        ),
        encoding="utf-8",
    )
    edited = run_crawl(*args)
    assert "summary: written=0 unchanged=0 replaced=1 skipped=3" in edited.stderr
    after = _snapshot(posts)
    assert sorted(after) == NAMES
    assert "会议强调，要坚决抓好常态化疫情防控。" in after["kyamrmz0151960.md"][0].decode()
    assert {k: v for k, v in after.items() if k != "kyamrmz0151960.md"} == {
        k: v for k, v in before.items() if k != "kyamrmz0151960.md"
    }


def test_given_urls_replace_the_feed(tmp_path: Path) -> None:
    url = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
    result = run_crawl(
        "-a", f"urls={url},{url}", "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}"
    )
    assert result.returncode == 0
    assert post_names(tmp_path) == ["kyamrmz0151960.md"]
    assert "'sinacrawl/duplicate': 1" in result.stderr
    assert "feed.mix.sina.com.cn" not in result.stderr


def test_since_skips_older_feed_entries(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", "since=2021-01-01", "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}"
    )
    assert result.returncode == 0
    assert post_names(tmp_path) == ["kyamrmz0151960.md"]
    assert "'sinacrawl/feed/too_old': 3" in result.stderr


def test_a_replay_miss_is_one_warning_and_never_fetched(tmp_path: Path) -> None:
    url = "https://finance.sina.com.cn/china/2021-12-22/doc-imissing0000001.shtml"
    result = run_crawl(
        "-a", f"urls={url}", "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}"
    )
    warnings = [
        line.split(" WARNING: ", 1)[1]
        for line in result.stderr.splitlines()
        if " WARNING: " in line
    ]
    assert warnings == [f"article failed: IgnoreRequest: replay miss: not in {REPLAY}: {url}"]
    assert "'replay/miss': 1" in result.stderr
    # the one response is the replayed 404 for robots.txt; the article got none
    assert "'downloader/response_count': 1," in result.stderr
    assert "'downloader/response_status_count/404': 1," in result.stderr
    assert post_names(tmp_path) == []


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("pages=abc", "pages must be a whole number, got 'abc'"),
        ("pages=0", "pages must be at least 1, got 0"),
        ("since=yesterday", "since must be YYYY-MM-DD, got 'yesterday'"),
        (
            "channel=nope",
            f"unknown channel 'nope'; SINACRAWL_CHANNELS has {CHANNEL_KEYS} (or 'all')",
        ),
        (
            "channel=usstock,nope",
            f"unknown channel 'nope'; SINACRAWL_CHANNELS has {CHANNEL_KEYS} (or 'all')",
        ),
        ("channel=,", "channel must name a channel or 'all', got ','"),
    ],
)
def test_a_wrong_argument_is_a_usage_error_not_a_traceback(
    argument: str, message: str, tmp_path: Path
) -> None:
    result = run_crawl("-a", argument, "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(f": error: {message}")
    assert "Traceback" not in result.stderr
    assert post_names(tmp_path) == []
