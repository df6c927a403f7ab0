"""The bad-input catalog (SPEC section 6): each case of ``tests/fixtures/bad/`` crawled as a user
runs it, with its exact outcome: posts on disk, stats, one log line per outcome, the summary.
"""

from __future__ import annotations

import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sinacrawl.charset import decode_page
from sinacrawl.post import parse_post
from sinacrawl.truncation import is_truncated
from tests.conftest import CORPUS, FIXTURES, body_text, require_shared, run_crawl
from tests.crawl_log import CrawlLog, post_names

BAD = FIXTURES / "bad"
A = "https://finance.sina.com.cn/china/2024-03-01/doc-inbad{}.shtml"
FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
VIDEO = "https://video.sina.com.cn/p/finance/2024-03-01/detail-inbadvid{}.d.html"
SLIDE = "https://slide.finance.sina.com.cn/china/slide_5_12345_100001.html"
TIMEOUT = "TimeoutError: User timeout caused connection failure: replayed timeout."
NO_CONTAINER = "no_container: no article container (not an article page)"
EDITOR = "责任编辑：李明"
HTTP_DF = A.format("0df0001").replace("https:", "http:")


@dataclass(frozen=True)
class Case:
    """One catalog case: spider arguments and everything the crawl must end with."""

    args: tuple[str, ...]
    #: file name → (title, date, body text as :func:`body_text` gives it)
    posts: dict[str, tuple[str, str, str]]
    #: every ``sinacrawl/`` stat, exactly
    stats: dict[str, int]
    #: (level, message) of every INFO/WARNING/ERROR line naming a URL
    lines: list[tuple[str, str]]
    #: the summary line's figures
    summary: str
    errors: list[str] = field(default_factory=list)
    retries: int = 0


def _written(docid: str, url: str) -> tuple[str, str]:
    return ("INFO", f"post written: {docid}.md ({url})")


def _summary(written: int, dropped: str = "", failed: int = 0, feed_failed: int = 0) -> str:
    """The summary's figures for a fresh folder; ``dropped`` as ``reason=N, …``."""
    total = sum(int(part.split("=")[1]) for part in dropped.split(", ") if part)
    return (
        f"written={written} unchanged=0 replaced=0 dropped={total} ({dropped or 'none'}) "
        f"requests_failed={failed} feed_pages_failed={feed_failed}"
    )


def _urls(*urls: str) -> tuple[str, str]:
    return ("-a", "urls=" + ",".join(urls))


ALL_FAILED = "every article failed: {} requests failed, {} dropped, 0 forbidden by robots.txt; no post was produced"  # noqa: E501

CASES: dict[str, Case] = {
    "http-404": Case(
        _urls(A.format("0404001")),
        posts={},
        stats={"sinacrawl/request_failed": 1, "sinacrawl/request_failed/HttpError": 1},
        lines=[("WARNING", f"article failed: HTTP 404: {A.format('0404001')}")],
        summary=_summary(0, failed=1),
        errors=[ALL_FAILED.format(1, 0)],
    ),
    "retry-500": Case(
        _urls(A.format("0500001")),
        posts={
            "nbad0500001.md": (
                "国常会部署稳外贸措施",
                "Fri, 01 Mar 2024 02:15:00 GMT",
                "国务院常务会议3月1日召开，部署稳外贸稳外资措施。会议指出，要加大出口信用保险支持。"
                + EDITOR,
            )
        },
        stats={"sinacrawl/post/written": 1},
        lines=[_written("nbad0500001", A.format("0500001"))],
        summary=_summary(1),
        retries=2,
    ),
    "timeout": Case(
        _urls(A.format("0408001")),
        posts={},
        stats={"sinacrawl/request_failed": 1, "sinacrawl/request_failed/TimeoutError": 1},
        lines=[("WARNING", f"article failed: {TIMEOUT}: {A.format('0408001')}")],
        summary=_summary(0, failed=1),
        errors=[ALL_FAILED.format(1, 0)],
        retries=2,
    ),
    "deleted-302": Case(
        _urls(A.format("0302001")),
        posts={},
        stats={"sinacrawl/dropped/redirected": 1},
        lines=[
            (
                "WARNING",
                f"article gone: {A.format('0302001')} redirected to https://finance.sina.com.cn/china/",
            )
        ],
        summary=_summary(0, "redirected=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "video-page": Case(
        _urls(VIDEO.format("0001")),
        posts={},
        stats={"sinacrawl/dropped/no_container": 1},
        lines=[("WARNING", f"Dropped: {NO_CONTAINER}: {VIDEO.format('0001')}")],
        summary=_summary(0, "no_container=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "slideshow-page": Case(
        _urls(SLIDE),
        posts={},
        stats={"sinacrawl/dropped/no_container": 1},
        lines=[("WARNING", f"Dropped: {NO_CONTAINER}: {SLIDE}")],
        summary=_summary(0, "no_container=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "empty-body": Case(
        _urls(A.format("0000001")),
        posts={},
        stats={"sinacrawl/dropped/empty_body": 1},
        lines=[
            ("WARNING", f"Dropped: empty_body: nothing left after cleaning: {A.format('0000001')}")
        ],
        summary=_summary(0, "empty_body=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "no-date": Case(
        (),
        posts={
            "nbad0d00001.md": (
                "财政部发布专项债额度",
                "Fri, 01 Mar 2024 02:30:00 GMT",  # the feed's ctime 1709260200
                "财政部3月1日发布地方政府专项债券额度。" + EDITOR,
            )
        },
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/entries": 2,
            "sinacrawl/post/written": 1,
            "sinacrawl/dropped/no_date": 1,
        },
        lines=[
            _written("nbad0d00001", A.format("0d00001")),
            (
                "WARNING",
                "Dropped: no_date: no published_time, date text or feed time: "
                + A.format("0d00002"),
            ),
        ],
        summary=_summary(1, "no_date=1"),
    ),
    "gb2312-utf8-header": Case(
        _urls(A.format("0gb0001")),
        posts={
            "nbad0gb0001.md": (
                "沪深两市成交额突破万亿元",
                "Fri, 01 Mar 2024 07:05:00 GMT",
                "沪深两市成交额连续第三日突破一万亿元。北向资金净买入逾五十亿元。" + EDITOR,
            )
        },
        stats={"sinacrawl/post/written": 1},
        lines=[_written("nbad0gb0001", A.format("0gb0001"))],
        summary=_summary(1),
    ),
    "truncated": Case(
        _urls(A.format("0cut0001")),
        posts={},
        stats={"sinacrawl/dropped/truncated": 1},
        lines=[
            ("WARNING", f"Dropped: truncated: page stops after 761 bytes: {A.format('0cut0001')}")
        ],
        summary=_summary(0, "truncated=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "feed-jsonp": Case(
        (),
        posts={
            "nbad0js0001.md": (
                "外汇局公布二月外汇储备",
                "Thu, 07 Mar 2024 08:00:00 GMT",
                "截至2月末，我国外汇储备规模为三万二千亿美元。" + EDITOR,
            ),
            "nbad0js0002.md": (
                "统计局：二月CPI同比上涨",
                "Sat, 09 Mar 2024 01:30:00 GMT",
                "国家统计局3月9日发布数据，二月居民消费价格同比上涨。" + EDITOR,
            ),
        },
        stats={"sinacrawl/feed/pages": 1, "sinacrawl/feed/entries": 2, "sinacrawl/post/written": 2},
        lines=[
            _written("nbad0js0001", A.format("0js0001")),
            _written("nbad0js0002", A.format("0js0002")),
        ],
        summary=_summary(2),
    ),
    "feed-403": Case(
        ("-a", "pages=3"),
        posts={
            "nbad0f40001.md": (
                "第一页文章甲",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "第一页列出的第一篇文章。" + EDITOR,
            ),
            "nbad0f40002.md": (
                "第一页文章乙",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "第一页列出的第二篇文章。" + EDITOR,
            ),
            "nbad0f40003.md": (
                "第三页文章",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "第三页列出的文章。" + EDITOR,
            ),
        },
        stats={
            "sinacrawl/feed/pages": 2,
            "sinacrawl/feed/failed": 1,
            "sinacrawl/feed/entries": 3,
            "sinacrawl/post/written": 3,
        },
        lines=[
            ("WARNING", f"feed page 2 of channel china failed: HTTP 403: {FEED.format(2)}"),
            _written("nbad0f40001", A.format("0f40001")),
            _written("nbad0f40002", A.format("0f40002")),
            _written("nbad0f40003", A.format("0f40003")),
        ],
        summary=_summary(3, feed_failed=1),
    ),
    "feed-not-json": Case(
        ("-a", "pages=2"),
        posts={
            "nbad0nj0001.md": (
                "第二页文章",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "第二页列出的文章。" + EDITOR,
            ),
        },
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/failed": 1,
            "sinacrawl/feed/entries": 1,
            "sinacrawl/post/written": 1,
        },
        lines=[
            (
                "WARNING",
                "feed page 1 of channel china failed: not a roll-feed page: "
                "neither JSON nor JSONP: " + FEED.format(1),
            ),
            _written("nbad0nj0001", A.format("0nj0001")),
        ],
        summary=_summary(1, feed_failed=1),
    ),
    "feed-failed": Case(
        (),
        posts={},
        stats={"sinacrawl/feed/failed": 1},
        lines=[("WARNING", f"feed page 1 of channel china failed: HTTP 403: {FEED.format(1)}")],
        summary=_summary(0, feed_failed=1),
        errors=[
            "the feed failed: 1 feed pages failed and none listed an article; no post was produced"
        ],
    ),
    "duplicate-url": Case(
        (),
        posts={
            "nbad0du0001.md": (
                "重复列出的文章",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "同一篇文章被滚动新闻列出三次。" + EDITOR,
            ),
        },
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/entries": 3,
            "sinacrawl/duplicate": 2,
            "sinacrawl/post/written": 1,
        },
        lines=[
            (
                "INFO",
                f"duplicate article {A.format('0du0001')} (document id nbad0du0001) skipped",
            ),
            (
                "INFO",
                f"duplicate article {A.format('0du0001').replace('https:', 'http:')} "
                "(document id nbad0du0001) held back: tried if the first copy fails",
            ),
            _written("nbad0du0001", A.format("0du0001")),
        ],
        summary=_summary(1),
    ),
    "beijing-midnight": Case(
        _urls(A.format("0030001")),
        posts={
            "nbad0030001.md": (
                "央行开展逆回购操作",
                "Thu, 29 Feb 2024 16:30:00 GMT",  # 2024-03-01 00:30 in Beijing
                "中国人民银行3月1日凌晨发布公告。" + EDITOR,
            ),
        },
        stats={"sinacrawl/post/written": 1},
        lines=[_written("nbad0030001", A.format("0030001"))],
        summary=_summary(1),
    ),
    "video-only": Case(
        _urls(A.format("0vo0001")),
        posts={},
        stats={"sinacrawl/dropped/video_only": 1},
        lines=[
            (
                "WARNING",
                f"Dropped: video_only: a video player and no text: {A.format('0vo0001')}",
            )
        ],
        summary=_summary(0, "video_only=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "latin1-header": Case(
        _urls(A.format("0l10001"), A.format("0l10002")),
        posts={
            "nbad0l10001.md": (
                "沪深两市成交额突破万亿元",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "沪深两市成交额连续第三日突破一万亿元。" + EDITOR,
            ),
            "nbad0l10002.md": (
                "北向资金净买入五十亿元",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "北向资金净买入逾五十亿元。" + EDITOR,
            ),
        },
        stats={"sinacrawl/post/written": 2},
        lines=[
            _written("nbad0l10001", A.format("0l10001")),
            _written("nbad0l10002", A.format("0l10002")),
        ],
        summary=_summary(2),
    ),
    "control-characters": Case(
        _urls(A.format("0cc0001")),
        posts={
            "nbad0cc0001.md": (
                "央行开展逆回购操作",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "央行今日开展逆回购操作。规模达到1000亿元。" + EDITOR,
            )
        },
        stats={"sinacrawl/post/written": 1},
        lines=[_written("nbad0cc0001", A.format("0cc0001"))],
        summary=_summary(1),
    ),
    "zero-width-title": Case(
        _urls(A.format("0zw0001")),
        posts={},
        stats={"sinacrawl/dropped/no_title": 1},
        lines=[
            (
                "WARNING",
                "Dropped: no_title: no headline, og:title or feed title: " + A.format("0zw0001"),
            )
        ],
        summary=_summary(0, "no_title=1"),
        errors=[ALL_FAILED.format(0, 1)],
    ),
    "since-no-ctime": Case(
        ("-a", "since=2024-03-01"),
        posts={
            "nbad0sn0002.md": (
                "三月的新闻",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "这是三月一日的消息。" + EDITOR,
            ),
        },
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/entries": 3,
            "sinacrawl/feed/too_old": 1,
            "sinacrawl/post/written": 1,
            "sinacrawl/dropped/too_old": 1,
        },
        lines=[
            _written("nbad0sn0002", A.format("0sn0002")),
            (
                "WARNING",
                "Dropped: too_old: published 2024-02-20, before 2024-03-01: " + A.format("0sn0001"),
            ),
        ],
        summary=_summary(1, "too_old=1"),
    ),
    "duplicate-first-fails": Case(
        (),
        posts={
            "nbad0df0001.md": (
                "第一份副本失败的文章",
                "Fri, 01 Mar 2024 01:00:00 GMT",
                "同一篇文章的第二个网址可以打开。" + EDITOR,
            ),
        },
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/entries": 3,
            "sinacrawl/duplicate": 2,
            "sinacrawl/duplicate/tried": 1,
            "sinacrawl/request_failed": 1,
            "sinacrawl/request_failed/HttpError": 1,
            "sinacrawl/post/written": 1,
        },
        lines=[
            (
                "INFO",
                f"duplicate article {HTTP_DF} (document id nbad0df0001) held back: "
                "tried if the first copy fails",
            ),
            (
                "INFO",
                f"duplicate article {A.format('0df0001')} (document id nbad0df0001) skipped",
            ),
            ("WARNING", f"article failed: HTTP 404: {A.format('0df0001')}"),
            ("INFO", f"trying another copy of article nbad0df0001: {HTTP_DF}"),
            _written("nbad0df0001", HTTP_DF),
        ],
        summary=_summary(1, failed=1),
    ),
    "all-failed": Case(
        (),
        posts={},
        stats={
            "sinacrawl/feed/pages": 1,
            "sinacrawl/feed/entries": 3,
            "sinacrawl/request_failed": 2,
            "sinacrawl/request_failed/HttpError": 1,
            "sinacrawl/request_failed/TimeoutError": 1,
            "sinacrawl/dropped/no_container": 1,
        },
        lines=[
            ("WARNING", f"article failed: HTTP 404: {A.format('0al0001')}"),
            ("WARNING", f"article failed: {TIMEOUT}: {A.format('0al0002')}"),
            ("WARNING", f"Dropped: {NO_CONTAINER}: {VIDEO.format('0002')}"),
        ],
        summary=_summary(0, "no_container=1", failed=2),
        errors=[ALL_FAILED.format(2, 1)],
        retries=2,
    ),
}


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    posts: Path

    @property
    def log(self) -> CrawlLog:
        return CrawlLog(self.result.stderr)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every case crawled once (two at a time: the machine has two cores)."""
    base = tmp_path_factory.mktemp("bad")

    def crawl(name: str) -> Run:
        posts = base / name
        args = [*CASES[name].args, "-s", f"REPLAY_DIR={BAD / name}", "-s", f"POSTS_DIR={posts}"]
        return Run(run_crawl(*args, timeout=120), posts)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(crawl, CASES), strict=True))


def test_every_case_folder_is_in_the_catalog() -> None:
    assert sorted(p.name for p in BAD.iterdir() if p.is_dir()) == sorted(CASES)


def _finish_reason(case: Case) -> str:
    """A crawl whose closing ERROR says the feed or every article failed has that as its
    finish reason (and exit status 1); any other ended ``finished``."""
    for error in case.errors:
        if error.startswith("the feed failed"):
            return "feed_failed"
        if error.startswith("every article failed"):
            return "all_failed"
    return "finished"


@pytest.mark.parametrize("name", CASES)
def test_case_ends_cleanly(name: str, runs: dict[str, Run]) -> None:
    run = runs[name]
    expected_status = 0 if _finish_reason(CASES[name]) == "finished" else 1
    assert run.result.returncode == expected_status, run.result.stderr[-3000:]
    assert "Traceback" not in run.result.stderr
    assert run.log.errors() == CASES[name].errors


@pytest.mark.parametrize("name", CASES)
def test_case_posts(name: str, runs: dict[str, Run]) -> None:
    expected = CASES[name].posts
    assert post_names(runs[name].posts) == sorted(expected)  # nothing else: no temp file
    for file_name, (title, date, text) in expected.items():
        fields, body = parse_post((runs[name].posts / file_name).read_bytes().decode("utf-8"))
        assert (fields.title, fields.date, body_text(body)) == (title, date, text)


@pytest.mark.parametrize("name", CASES)
def test_case_stats(name: str, runs: dict[str, Run]) -> None:
    stats = runs[name].log.stats()
    assert {k: v for k, v in stats.items() if k.startswith("sinacrawl/")} == CASES[name].stats
    assert stats.get("retry/count", 0) == CASES[name].retries
    assert "replay/miss" not in stats


@pytest.mark.parametrize("name", CASES)
def test_case_logs_one_line_per_outcome(name: str, runs: dict[str, Run]) -> None:
    assert runs[name].log.outcomes() == sorted(CASES[name].lines)


@pytest.mark.parametrize("name", CASES)
def test_case_summary_matches_disk(name: str, runs: dict[str, Run]) -> None:
    summary = runs[name].log.summary()
    line = " ".join(f"{k}={summary[k]}" for k in ("written", "unchanged", "replaced"))
    line += f" dropped={summary['dropped']} ({summary['reasons']})"
    line += f" requests_failed={summary['failed']} feed_pages_failed={summary['feed_failed']}"
    assert line == CASES[name].summary
    assert summary["reason"] == _finish_reason(CASES[name])
    assert f"'finish_reason': '{summary['reason']}'" in runs[name].result.stderr
    posts = [n for n in post_names(runs[name].posts) if n.endswith(".md")]
    assert int(summary["written"]) == len(posts)  # a fresh folder: every post is new
    stats = runs[name].log.stats()
    dropped = sum(v for k, v in stats.items() if k.startswith("sinacrawl/dropped/"))
    assert int(summary["dropped"]) == dropped


def test_five_megabyte_page(tmp_path: Path) -> None:
    """A 5 MB page (made here, not committed): 4 MB of scripts, comments and ad slots around
    and inside an article of 2,000 paragraphs. One post with every paragraph and none of the
    rest, in bounded time.
    """
    url = A.format("0big0001")
    junk = (
        "<script>var sinaads_" + "x" * 2000 + " = 1;</script>\n"
        "<!-- 正文下iframe " + "广告" * 300 + " -->\n"
        '<div id="ad_1"><ins class="sinaads" data-ad-pdps="PDPS1"></ins></div>\n'
    )
    paragraphs = "\n".join(f"<p>　　第{n}段：成交额突破万亿元。</p>" for n in range(2000))
    page = (
        (BAD / "retry-500" / "pages" / "article.html")
        .read_text(encoding="utf-8")
        .replace("<body>", "<body>\n" + junk * 900)
        .replace(
            '<div class="article" id="artibody">',
            '<div class="article" id="artibody">\n' + junk * 400 + paragraphs,
        )
    )
    data = page.encode("utf-8")
    assert 5_000_000 <= len(data) <= 6_000_000
    replay = tmp_path / "replay"
    (replay / "pages").mkdir(parents=True)
    (replay / "pages" / "big.html").write_bytes(data)
    (replay / "manifest.tsv").write_text(
        "url\tfile\tstatus\tcontent_type\tlocation\n"
        f"{url}\tpages/big.html\t\ttext/html; charset=utf-8\t\n",
        encoding="utf-8",
    )
    posts = tmp_path / "posts"
    started = time.monotonic()
    result = run_crawl(
        "-a", f"urls={url}", "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}"
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    assert elapsed < 60
    assert post_names(posts) == ["nbad0big0001.md"]
    fields, body = parse_post((posts / "nbad0big0001.md").read_bytes().decode("utf-8"))
    assert (fields.title, fields.date) == ("国常会部署稳外贸措施", "Fri, 01 Mar 2024 02:15:00 GMT")
    expected = "".join(f"第{n}段：成交额突破万亿元。" for n in range(2000))
    expected += "国务院常务会议3月1日召开，部署稳外贸稳外资措施。会议指出，要加大出口信用保险支持。"
    assert body_text(body) == expected + EDITOR
    assert body.count("<p>") == 2002  # 2,000 + 2; the editor line has a class
    assert CrawlLog(result.stderr).outcomes() == [_written("nbad0big0001", url)]


def test_truncation_rule_holds_on_every_corpus_page() -> None:
    corpus = require_shared(CORPUS)
    pages = sorted((corpus / "pages").iterdir())
    # every page the manifest names is on disk, and is checked
    rows = (corpus / "manifest.tsv").read_text(encoding="utf-8-sig").splitlines()[1:]
    listed = sorted({f for f in (r.split("\t")[1] for r in rows) if f.startswith("pages/")})
    assert [p.relative_to(corpus).as_posix() for p in pages] == listed
    assert len(listed) >= 91
    cut = [p.name for p in pages if is_truncated(decode_page(p.read_bytes(), None).text)]
    assert cut == []


@pytest.mark.parametrize(
    ("text", "truncated"),
    [
        ("<html><body><div id='artibody'><p>中标", True),
        ("<html><body><p>全文</p></BODY>", False),
        ("<html><body><p>全文</p></body></html>", False),
        ("<html><body><p>全文</p><script>x</script>\n</HTML>", False),
        ("", True),
    ],
)
def test_is_truncated(text: str, truncated: bool) -> None:
    assert is_truncated(text) is truncated
