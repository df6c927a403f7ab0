"""Everyday Scrapy habits (issue 14): feed exports, setting and argument mistakes, an
unreachable network or Redis, ``scrapy parse`` and ``scrapy check`` on a replayed page."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.conftest import REPLAY, ROOT, run_crawl
from tests.crawl_log import CrawlLog

ARTICLE = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
FIELDS = [
    "url", "docid", "filename", "title", "categories", "author", "date", "headimg", "thumbnail",
    "body",
]  # fmt: skip
HEADIMG = "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"


def _scrapy(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _exported(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".jsonl", ".jl"):
        return [json.loads(line) for line in text.splitlines()]
    if path.suffix == ".json":
        loaded: list[dict[str, object]] = json.loads(text)
        return loaded
    if path.suffix == ".csv":
        return [
            {k: v.split(",") if k == "categories" else v for k, v in row.items()}
            for row in csv.DictReader(text.splitlines())
        ]
    return [
        {f.tag: [v.text for v in f] if f.tag == "categories" else f.text for f in item}
        for item in ElementTree.fromstring(text)
    ]


SUFFIXES = [".jsonl", ".json", ".jl", ".csv", ".xml"]


def test_o_exports_the_posts_and_no_internal_field(tmp_path: Path) -> None:
    outputs = [arg for suffix in SUFFIXES for arg in ("-O", str(tmp_path / f"posts{suffix}"))]
    result = run_crawl(
        "-a", f"urls={ARTICLE}", "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path / 'p'}",
        *outputs,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and " ERROR: " not in result.stderr
    for suffix in SUFFIXES:
        [item] = _exported(tmp_path / f"posts{suffix}")
        assert list(item) == FIELDS, suffix
        body = item.pop("body")
        assert isinstance(body, str) and body.startswith("<p>　　<strong>省委常委会会议研究部署")
        assert body.endswith('<p class="article-editor">责任编辑：王蒙 </p>')
        assert item == EXPORTED, suffix


def test_o_exports_the_opt_in_keys_whose_settings_are_on(tmp_path: Path) -> None:
    common = ("-a", f"urls={ARTICLE}", "-s", f"REPLAY_DIR={REPLAY}")
    on = ("-s", "SINACRAWL_UPDATED=1", "-s", "SINACRAWL_STOCK_TAGS=1", "-s", "SINACRAWL_CREDIT=1")
    runs = {
        "on": (*on, "-s", "SINACRAWL_DESCRIPTION=1"),
        # a list given with -s is the user's: left as it is
        "given": (*on, "-s", "FEED_EXPORT_FIELDS=url,tags,title"),
    }
    for name, args in runs.items():
        out = tmp_path / f"{name}.jsonl"
        result = run_crawl(*common, "-s", f"POSTS_DIR={tmp_path / name}", *args, "-O", str(out))
        assert result.returncode == 0, result.stderr[-3000:]
    [item] = _exported(tmp_path / "on.jsonl")
    assert list(item) == [*FIELDS[:-1], "updated", "tags", "description", "body"]
    # no feed with -a urls, so no mtime: the key is there, empty
    assert (item["updated"], item["tags"]) == (None, ["招商银行"])
    assert item["description"] == (
        "本报杭州12月20日电（记者 刘乐平）20日下午，省委常委会召开会议，"
        "深入学习贯彻中央经济工作会议精神。"
    )
    assert isinstance(item["body"], str) and item["body"].endswith(">原文链接</a></p>")
    assert _exported(tmp_path / "given.jsonl") == [
        {"url": ARTICLE, "tags": ["招商银行"], "title": EXPORTED["title"]}
    ]


EXPORTED = {
    "url": ARTICLE,
    "docid": "kyamrmz0151960",
    "filename": "kyamrmz0151960.md",
    "title": "浙江：更好统筹推进疫情防控和经济社会发展",
    "categories": ["金融", "新浪财经", "新浪财经－国內"],
    "author": "新浪财经",
    "date": "Tue, 21 Dec 2021 06:56:42 GMT",
    "headimg": HEADIMG,
    "thumbnail": HEADIMG,
}


BOOLEAN = "allowed values are 0/1, true/false, True/False"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("POSTS_REFRESH=maybe", f"POSTS_REFRESH='maybe': {BOOLEAN}"),
        ("REPLAY_RECORD=yes", f"REPLAY_RECORD='yes': {BOOLEAN}"),
        (
            "SINACRAWL_MAX_ARTICLES=-1",
            "SINACRAWL_MAX_ARTICLES='-1': allowed values are a whole number from 0 up",
        ),
        (
            "SINACRAWL_POSTS_LAYOUT=daily",
            "SINACRAWL_POSTS_LAYOUT='daily': allowed values are flat, year-month",
        ),
        # Scrapy's own settings in the README's table, and values read as URLs or tables
        ("DOWNLOAD_DELAY=fast", "DOWNLOAD_DELAY='fast': allowed values are a number from 0 up"),
        (
            "SINACRAWL_DEFAULT_HEADIMG=javascript:alert(1)",
            "SINACRAWL_DEFAULT_HEADIMG='javascript:alert(1)': allowed values are empty, an "
            "http(s) image URL, or a path on the site (/images/banner.jpg)",
        ),
        ("SINACRAWL_CHANNELS=[1]", "SINACRAWL_CHANNELS='[1]': allowed values are a JSON object"),
    ],
)
def test_a_wrong_setting_value_is_one_error_line_naming_it(
    setting: str, message: str, tmp_path: Path
) -> None:
    result = run_crawl("-s", setting, "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert result.returncode == 2
    assert [line for line in result.stderr.splitlines() if "error" in line.lower()] == [
        f"__main__.py: error: {message}"
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_wrong_setting_value_is_in_the_job_log_too(tmp_path: Path) -> None:
    """scrapyd gives each job ``LOG_FILE``; stderr goes to scrapyd's own log."""
    log = tmp_path / "job.log"
    result = run_crawl("-s", "POSTS_REFRESH=maybe", "-s", f"LOG_FILE={log}")
    assert result.returncode == 2
    assert CrawlLog(log.read_text(encoding="utf-8")).errors() == [
        "POSTS_REFRESH='maybe': allowed values are 0/1, true/false, True/False"
    ]


def test_an_empty_urls_argument_is_an_error_not_a_feed_crawl(tmp_path: Path) -> None:
    result = run_crawl("-a", "urls=", "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        ": error: urls is empty: give comma-separated article URLs, or leave it out"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_misspelled_argument_is_warned_about_and_scrapyds_are_not(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", "page=3", "-a", "_job=0123abc", "-a", f"urls={ARTICLE}",
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 0
    assert CrawlLog(result.stderr).lines("WARNING") == [
        (
            "WARNING",
            "unknown spider argument page ignored; sina_finance knows: channel, pages, since, "
            "until, urls",
        )
    ]


def test_a_run_whose_every_given_url_is_invalid_fails(tmp_path: Path) -> None:
    result = run_crawl(
        "-a", "urls=ftp://finance.sina.com.cn/a,https://example.com/doc-iabc.shtml",
        "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 1
    assert CrawlLog(result.stderr).errors() == [
        "every article failed: 0 requests failed, 0 dropped, 0 forbidden by robots.txt, "
        "2 given URLs invalid; no post was produced"
    ]
    assert "'finish_reason': 'all_failed'" in result.stderr


def test_an_unreachable_network_is_one_error_naming_the_host(tmp_path: Path) -> None:
    """A proxy on a closed 127.0.0.1 port stands for a network that refuses every connection."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
    env["https_proxy"] = env["http_proxy"] = "http://127.0.0.1:9"
    env.pop("no_proxy", None)
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sina_finance", "-s", f"POSTS_DIR={tmp_path}",
         "-s", "RETRY_TIMES=0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert CrawlLog(result.stderr).errors() == [
        "the feed failed: 1 feed pages failed and none listed an article; no post was produced; "
        "cannot reach feed.mix.sina.com.cn: DownloadConnectionRefusedError: Connection was "
        "refused by other side: 111: Connection refused."
    ]


def test_an_unreachable_redis_is_one_error_naming_it(tmp_path: Path) -> None:
    result = run_crawl(
        "-s", "REDIS_URL=redis://127.0.0.1:9/0", "-s", f"REPLAY_DIR={REPLAY}",
        "-s", f"POSTS_DIR={tmp_path}",
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert CrawlLog(result.stderr).errors() == [
        "cannot reach Redis at 127.0.0.1:9 (REDIS_URL): ConnectionError: Error 111 connecting "
        "to 127.0.0.1:9. Connection refused.; the crawl does not start"
    ]


def test_scrapy_parse_on_a_replayed_article(tmp_path: Path) -> None:
    result = _scrapy(
        "parse", "--spider=sina_finance", "--pipelines", "-s", f"REPLAY_DIR={REPLAY}",
        "-s", f"POSTS_DIR={tmp_path}", ARTICLE,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'title': '浙江：更好统筹推进疫情防控和经济社会发展'," in result.stdout
    assert "'filename': 'kyamrmz0151960.md'," in result.stdout
    assert "Traceback" not in result.stderr


def test_scrapy_check_runs_the_contracts_on_replayed_pages() -> None:
    result = _scrapy("check", "-s", f"REPLAY_DIR={REPLAY}", "sina_finance")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 4 contracts" in result.stderr
    assert result.stderr.rstrip().endswith("OK")
