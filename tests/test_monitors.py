"""The close-of-run monitors, the run report and the alerts (issue 14), on replay folders
built here: Sina's template changed, Sina blocks, the feed went stale; and the corpus, which
passes every monitor."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import jsonschema
import pytest

from sinacrawl.monitors import FRONT_MATTER_SCHEMA
from tests.conftest import CORPUS, REPLAY, require_shared, run_crawl
from tests.crawl_log import CrawlLog

FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
ARTICLE = "https://finance.sina.com.cn/china/2026-03-0{day}/doc-imon{n:010d}.shtml"
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_新浪财经_新浪网</title>
<meta property="article:published_time" content="2026-03-0{day}T09:30:00+08:00" />
</head><body><div class="main-content w1240">
<h1 class="main-title">{title}</h1>
<div class="date-source"><span class="date">2026年03月0{day}日 09:30</span></div>
<div class="{container_class}" id="{container_id}">
<p>　　国家统计局今日发布数据，{title}，市场各方对此反应积极，分析人士认为经济运行总体平稳。</p>
<p>　　业内专家表示，相关政策效果持续显现，后续仍需关注外部环境变化带来的不确定性。</p>
<p>　　与此同时，多家机构上调了全年增长预期，消费与投资两端均呈现回暖态势。</p>
</div></div></body></html>
"""


def build_replay(folder: Path, statuses: list[int], container: bool = True) -> Path:
    """A replay folder: one feed page listing ``len(statuses)`` articles of March 2026, each
    answered with its status (200: a finance-template page; with ``container`` False its
    article body is in a ``div`` sinacrawl does not know, as after a template change)."""
    (folder / "pages").mkdir(parents=True)
    lines = ["url\tfile\tstatus\tcontent_type\tlocation"]
    entries = []
    for n, status in enumerate(statuses, start=1):
        day = 1 + n % 5
        url = ARTICLE.format(day=day, n=n)
        title = f"三月经济数据第{n}号"
        entries.append({"url": url, "title": title, "ctime": str(1772328600 + 86400 * day)})
        page = PAGE.format(
            title=title,
            day=day,
            container_class="article" if container else "article-v3",
            container_id="artibody" if container else "article-body-v3",
        )
        (folder / "pages" / f"{n}.html").write_text(page, encoding="utf-8")
        code = "" if status == 200 else str(status)
        lines.append(f"{url}\tpages/{n}.html\t{code}\ttext/html; charset=utf-8\t")
    feed = {"result": {"status": {"code": 0}, "data": entries}}
    (folder / "feed.json").write_text(json.dumps(feed, ensure_ascii=False), encoding="utf-8")
    lines.append(f"{FEED.format(1)}\tfeed.json\t\tapplication/json\t")
    (folder / "manifest.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _crawl(replay: Path, posts: Path, *args: str) -> tuple[int, CrawlLog, dict[str, object]]:
    result = run_crawl("-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}", *args)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    report = json.loads((posts / ".sinacrawl" / "sina_finance-report.json").read_text("utf-8"))
    return result.returncode, CrawlLog(result.stderr), report


def test_a_template_change_fails_the_drift_monitor(tmp_path: Path) -> None:
    replay = build_replay(tmp_path / "replay", [200] * 6, container=False)
    status, log, report = _crawl(replay, tmp_path / "posts")
    assert status == 1
    # the whole crawl failed: its own ERROR says so, and the monitors do not pile on
    assert report["finish_reason"] == "all_failed"
    assert report["dropped"] == {"no_container": 6}
    assert log.errors()[0].startswith("every article failed")
    # with one page still in the old template, the crawl "finished": the monitor catches it
    mixed = build_replay(tmp_path / "mixed", [200] * 6, container=False)
    (mixed / "pages" / "1.html").write_text(
        (replay / "pages" / "1.html")
        .read_text("utf-8")
        .replace('"article-v3" id="article-body-v3"', '"article" id="artibody"'),
        encoding="utf-8",
    )
    status, log, report = _crawl(mixed, tmp_path / "mixed-posts")
    assert status == 1
    assert log.errors() == [
        "monitor template_drift failed: 83% of 6 article pages dropped for their template "
        "(no_container=5), over 50%: has Sina changed its article page?"
    ]
    assert report["finish_reason"] == "monitor_failed"
    assert report["posts"] == {"written": 1, "replaced": 0, "unchanged": 0, "skipped": 0}
    assert report["monitors"]["template_drift"].startswith("failed: 83% of 6 article pages")
    assert report["monitors"]["finished"] == "passed"


def test_403_on_most_articles_fails_the_blocking_monitor(tmp_path: Path) -> None:
    replay = build_replay(tmp_path / "replay", [200, 200, 403, 403, 403, 403])
    status, log, report = _crawl(replay, tmp_path / "posts")
    assert status == 1
    # answers: 2 robots.txt (404), the feed, 2 articles, 4 × 403
    assert log.errors() == [
        "monitor blocking failed: 44% of 9 answers were HTTP 403 or 5xx, over 30%: is Sina "
        "blocking the crawler?"
    ]
    assert report["http"] == {"200": 3, "403": 4, "404": 2}
    assert report["finish_reason"] == "monitor_failed"


def test_the_corpus_replay_passes_every_monitor(tmp_path: Path) -> None:
    require_shared(CORPUS)
    status, log, report = _crawl(CORPUS, tmp_path / "posts", "-a", "pages=3")
    assert status == 0
    assert log.errors() == []
    assert report["finish_reason"] == "finished"
    monitors = report["monitors"]
    assert isinstance(monitors, dict)
    assert monitors.pop("stale_feed") == "skipped: replay without SINACRAWL_MONITOR_NOW"
    assert monitors == {
        name: "passed"
        for name in ("blocking", "body_length", "finished", "front_matter", "new_posts",
                     "template_drift")
    }  # fmt: skip


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A webhook receiver on a free 127.0.0.1 port; the JSON bodies it got."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_a_feed_of_old_entries_fails_the_stale_monitor_and_calls_the_webhook(
    webhook: tuple[str, list[dict[str, object]]], tmp_path: Path
) -> None:
    """The bundled replay's newest entry is from 2021-12-21 06:56:42 UTC: judged at the
    recording time given (a replay's own clock) six hours later it is fresh, one day later
    stale. Only the failed run calls the webhook."""
    url, received = webhook
    hook = ("-s", f"SINACRAWL_WEBHOOK_URL={url}")
    status, log, report = _crawl(
        REPLAY, tmp_path / "fresh", *hook, "-s", "SINACRAWL_MONITOR_NOW=2021-12-21T12:56:42Z"
    )
    assert (status, log.errors(), received) == (0, [], [])
    assert report["monitors"]["stale_feed"] == "passed"
    status, log, report = _crawl(
        REPLAY, tmp_path / "stale", *hook, "-s", "SINACRAWL_MONITOR_NOW=2021-12-22T06:56:42Z"
    )
    assert status == 1
    reason = "the feed's newest entry is 24.0 hours old, over 12: has Sina's feed gone stale?"
    assert log.errors() == [f"monitor stale_feed failed: {reason}"]
    assert report["feed"] == {"pages": 1, "entries": 4, "failed": 0, "newest": 1640069802}
    assert received == [
        {
            "spider": "sina_finance",
            "finish_reason": "monitor_failed",
            "failed": [{"monitor": "stale_feed", "reason": reason}],
            "posts_written": 4,
        }
    ]


GOOD = {
    "url": "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml",
    "docid": "kyamrmz0151960",
    "filename": "kyamrmz0151960.md",
    "title": "浙江：更好统筹推进疫情防控和经济社会发展",
    "categories": ("金融", "新浪财经", "新浪财经－国內"),
    "author": "新浪财经",
    "date": "Tue, 21 Dec 2021 06:56:42 GMT",
    "headimg": "",
    "thumbnail": "",
    "body": "<p>正文</p>",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date", "2021-12-21 14:56:42"),
        ("title", ""),
        ("categories", ()),
        ("headimg", "http://n.sinaimg.cn/a.jpg"),
        ("filename", ".hidden.md"),
    ],
)
def test_the_front_matter_schema_rejects_a_wrong_field(field: str, value: object) -> None:
    jsonschema.validate({**GOOD, "categories": list(GOOD["categories"])}, FRONT_MATTER_SCHEMA)
    bad = {**GOOD, field: list(value) if isinstance(value, tuple) else value}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, FRONT_MATTER_SCHEMA)
