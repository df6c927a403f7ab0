"""A replay folder made large by pointing many article URLs at the same page (crash tests)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES

FEED = "https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page={}"
URL = "https://finance.sina.com.cn/china/2024-03-01/doc-inmany{:06d}.shtml"
TITLE = "国常会部署稳外贸措施"
DATE = "Fri, 01 Mar 2024 02:15:00 GMT"
PARAGRAPH = "国务院常务会议3月1日召开，部署稳外贸稳外资措施。"
#: Paragraphs added to the page, so that each post is some 12 KB and its write takes a while.
EXTRA = 150
BODY_TEXT = PARAGRAPH * (EXTRA + 1) + "会议指出，要加大出口信用保险支持。" + "责任编辑：李明"


def build(folder: Path, count: int) -> int:
    """Write a replay folder listing ``count`` articles (50 a feed page) that all serve one
    article page; return the number of feed pages (the spider's ``pages`` argument).
    """
    page = (FIXTURES / "bad" / "retry-500" / "pages" / "article.html").read_text(encoding="utf-8")
    extra = "\n".join(f"<p>　　{PARAGRAPH}</p>" for _ in range(EXTRA))
    page = page.replace(
        '<div class="article" id="artibody">', f'<div class="article" id="artibody">\n{extra}'
    )
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "article.html").write_text(page, encoding="utf-8")
    rows = ["url\tfile\tstatus\tcontent_type\tlocation"]
    pages = (count + 49) // 50
    for number in range(1, pages + 1):
        urls = [URL.format(i) for i in range((number - 1) * 50, min(number * 50, count))]
        data = [{"url": u, "title": TITLE, "ctime": "1709259300"} for u in urls]
        feed = json.dumps({"result": {"status": {"code": 0}, "data": data}}, ensure_ascii=False)
        (folder / f"page{number}.json").write_text(feed, encoding="utf-8")
        rows.append(f"{FEED.format(number)}\tpage{number}.json\t\tapplication/json\t")
        rows += [f"{u}\tpages/article.html\t\ttext/html; charset=utf-8\t" for u in urls]
    (folder / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return pages


def docid(index: int) -> str:
    return URL.format(index).split("doc-i")[1].removesuffix(".shtml")
