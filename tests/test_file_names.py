"""Post file names (SPEC section 4, issue 13 item 13): unique per article URL and portable to
case-insensitive file systems and Windows, with Sina's document ids kept as the names."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinacrawl.docid import document_id, post_filename
from sinacrawl.post import parse_post
from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog, post_names

#: Windows device names, with any extension (Microsoft's "Naming Files, Paths, and Namespaces").
RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}
#: Old Sina pages have no ``doc-i`` id; their last segment repeats across years and folders.
NO_ID = [
    "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml",
    "http://chanye.finance.sina.com.cn/sm/2006-01-09/244339.html",
    "https://finance.sina.com.cn/stock/CON.shtml",
    "https://finance.sina.com.cn/stock/nul.html",
    "https://finance.sina.com.cn/stock/COM1.shtml",
    "https://finance.sina.com.cn/stock/Report.shtml",
    "https://finance.sina.com.cn/stock/report.shtml",
    "https://finance.sina.com.cn/stock/",
    "https://finance.sina.com.cn/stock/2005/",
    "https://finance.sina.com.cn/stock/doc-iCON.shtml",
    "https://finance.sina.com.cn/stock/doc-icon.shtml",
    "https://finance.sina.com.cn/stock/detail-icom1.d.html",
    "https://finance.sina.com.cn/stock/doc-iKYAMRMZ0151960.shtml",
    "https://finance.sina.com.cn/stock/doc-ikyamrmz0151960.shtml",
]


def _name(url: str) -> str:
    return post_filename(document_id(url), url)


def test_names_are_unique_per_url_and_portable() -> None:
    names = [_name(url) for url in NO_ID]
    assert len({name.lower() for name in names}) == len(NO_ID), names
    for name in names:
        assert name == name.lower() and name.endswith(".md"), name
        assert name.split(".", 1)[0] not in RESERVED, name
        assert not name.startswith((".", "_", "-")) and len(name.encode()) <= 120, name
    assert names[0].startswith("244339-") and names[1].startswith("244339-")
    assert names[-1] == "kyamrmz0151960.md"


def test_same_article_same_name() -> None:
    """http and https, a default port, an upper-case host: one article, one file."""
    first = _name("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml")
    assert _name("https://CHANYE.finance.sina.com.cn:443/sm/2005-03-21/244339.shtml") == first
    assert document_id(NO_ID[0]) == first.removesuffix(".md")


@pytest.mark.parametrize(
    ("docid", "name"),
    [
        ("kyamrmz0151960", "kyamrmz0151960.md"),
        ("kknscsi2623250", "kknscsi2623250.md"),
        ("nmany000001", "nmany000001.md"),
    ],
)
def test_sina_ids_are_the_names(docid: str, name: str) -> None:
    url = f"https://finance.sina.com.cn/china/2021-12-21/doc-i{docid}.shtml"
    assert document_id(url) == docid
    assert post_filename(docid, url) == name


def test_crawl_writes_one_post_per_url(tmp_path: Path) -> None:
    """``-a urls=`` with URLs whose old names collided (or were device names): one post each."""
    page = (FIXTURES / "bad" / "retry-500" / "pages" / "article.html").read_bytes()
    replay = tmp_path / "replay"
    (replay / "pages").mkdir(parents=True)
    (replay / "pages" / "article.html").write_bytes(page)
    urls = NO_ID[:7]
    rows = ["url\tfile\tstatus\tcontent_type\tlocation"]
    rows += [f"{url}\tpages/article.html\t\ttext/html; charset=utf-8\t" for url in urls]
    (replay / "manifest.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    posts = tmp_path / "posts"
    result = run_crawl(
        "-a", f"urls={','.join(urls)}", "-s", f"REPLAY_DIR={replay}", "-s", f"POSTS_DIR={posts}"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = CrawlLog(result.stderr).summary()
    assert (summary["written"], summary["dropped"]) == ("7", "0")
    assert post_names(posts) == sorted(_name(url) for url in urls)
    titles = {
        parse_post((posts / n).read_text(encoding="utf-8"))[0].title for n in post_names(posts)
    }
    assert titles == {"国常会部署稳外贸措施"}
