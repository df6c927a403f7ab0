"""parse_page: the page cut after the article gives every lookup the whole page's answer, and
any page where that cannot be shown is parsed whole."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html
import pytest

from sinacrawl.charset import decode_page
from sinacrawl.clean import clean_body
from sinacrawl.extract import article_container, og_image, page_title, parse_page, published
from sinacrawl.optin import page_keywords, stock_names
from tests.conftest import CORPUS, require_shared

URL = "https://finance.sina.com.cn/roll/2021-12-21/doc-ikyamrmz0151960.shtml"
META = (
    '<meta property="og:title" content="OG 标题">'
    '<meta property="article:published_time" content="2021-12-21T14:56:42+08:00">'
    '<meta property="og:image" content="//n.sinaimg.cn/finance/a.jpg">'
)
HEAD = '<html><head><meta charset="utf-8">' + META + "</head><body>"
TITLE = '<h1 class="main-title">浙江：统筹推进</h1>'
ARTICLE = '<div id="artibody"><p>正文第一段。</p></div>'
#: Well past the margin parse_page keeps after the article: what follows it is past the cut.
PAD = "<p>填充</p>" * 1000
#: Enough after the article that the parse can stop well before the end.
FOOTER = '<div class="footer"><p>页脚</p></div>' * 2000 + "</body></html>"


def _lookups(tree: lxml.html.HtmlElement) -> tuple[object, ...]:
    container = article_container(tree)
    body = clean_body(container, URL) if container is not None else None
    return page_title(tree), published(tree), og_image(tree), body


def _both(html: str) -> tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]:
    body = html.encode("utf-8")
    return parse_page(decode_page(body, None), body), lxml.html.document_fromstring(html)


def _count(tree: lxml.html.HtmlElement) -> int:
    return sum(1 for _ in tree.iter())


def test_a_finance_page_is_cut_after_the_article() -> None:
    cut, whole = _both(HEAD + TITLE + ARTICLE + FOOTER)
    assert _lookups(cut) == _lookups(whole)
    assert page_title(cut) == "浙江：统筹推进"
    assert og_image(cut) == "//n.sinaimg.cn/finance/a.jpg"
    assert _count(cut) < 300 < 4000 < _count(whole)


@pytest.mark.parametrize(
    ("page", "title", "moment", "og"),
    [
        # the preferred headline comes only after the article
        (
            HEAD + '<h1 id="artibodyTitle">旧标题</h1>' + ARTICLE + PAD + TITLE + FOOTER,
            "浙江：统筹推进",
            "2021-12-21 14:56:42+08:00",
            "//n.sinaimg.cn/finance/a.jpg",
        ),
        # the headline element encloses the article: still open at the cut
        (
            HEAD + '<h1 class="main-title">标题' + ARTICLE + "<b>填充</b>" * 1000 + "尾</h1>"
            + FOOTER,
            "标题正文第一段。" + "填充" * 1000 + "尾",
            "2021-12-21 14:56:42+08:00",
            "//n.sinaimg.cn/finance/a.jpg",
        ),
        # the first headline holds only tag-like text, which page_title does not count
        (
            HEAD + '<h1 class="main-title">&lt;b&gt;&lt;/b&gt;</h1>' + ARTICLE + PAD
            + '<h1 id="artibodyTitle">新标题</h1>' + FOOTER,
            "新标题",
            "2021-12-21 14:56:42+08:00",
            "//n.sinaimg.cn/finance/a.jpg",
        ),
        # an impossible published_time: the date text after the article dates the page
        (
            HEAD.replace("2021-12-21T14:56:42+08:00", "9999-12-31T23:59:59-08:00") + TITLE
            + ARTICLE + PAD + '<span class="date">2021年12月21日 14:56</span>' + FOOTER,
            "浙江：统筹推进",
            "2021-12-21 14:56:00+08:00",
            "//n.sinaimg.cn/finance/a.jpg",
        ),
        # publication time and og:image only after the article
        (
            "<html><head></head><body>" + TITLE + ARTICLE + PAD + META + FOOTER,
            "浙江：统筹推进",
            "2021-12-21 14:56:42+08:00",
            "//n.sinaimg.cn/finance/a.jpg",
        ),
    ],
)  # fmt: skip
def test_a_lookup_the_beginning_cannot_settle_reads_the_whole_page(
    page: str, title: str, moment: str, og: str
) -> None:
    cut, whole = _both(page)
    assert _lookups(cut) == _lookups(whole)
    assert (page_title(cut), str(published(cut)), og_image(cut)) == (title, moment, og)
    assert _count(cut) == _count(whole)


@pytest.mark.parametrize(
    ("after", "tags"),
    [
        # the 2018+ template's "文章关键词" box sits under the article (SINACRAWL_TAGS)
        (
            '<div class="keywords" id="keywords" data-wbkey="降准,LPR">'
            "<span>文章关键词：</span></div>",
            ("降准", "LPR"),
        ),
        # the stock list's comment after the article (SINACRAWL_STOCK_TAGS)
        (
            "<!-- news_keyword_pub,stock,sh600036 -->"
            '<a href="https://finance.sina.com.cn/realstock/company/sh600036/nc.shtml">招商银行</a>',
            ("招商银行",),
        ),
    ],
)
def test_optin_lookups_past_the_article_read_the_whole_page(
    after: str, tags: tuple[str, ...]
) -> None:
    cut, whole = _both(HEAD + TITLE + ARTICLE + PAD + after + FOOTER)
    assert page_keywords(cut) + stock_names(cut) == tags
    assert page_keywords(whole) + stock_names(whole) == tags
    assert _count(cut) == _count(whole)


def test_an_enclosing_artibody_is_the_container_whole() -> None:
    outer = '<div id="artibody"><p>外层</p>' + ARTICLE + PAD + "<p>外层尾</p></div>"
    cut, whole = _both(HEAD + TITLE + outer + FOOTER)
    assert _lookups(cut) == _lookups(whole)
    body = clean_body(article_container(cut), URL)
    assert body is not None
    assert body.html == "<p>外层</p><div><p>正文第一段。</p></div>" + PAD + "<p>外层尾</p>"


def test_a_page_without_artibody_is_parsed_whole() -> None:
    page = HEAD + TITLE + '<div id="article"><p>正文</p></div>' + FOOTER
    cut, whole = _both(page)
    assert lxml.html.tostring(cut) == lxml.html.tostring(whole)


def test_a_gb18030_page_is_parsed_from_its_text() -> None:
    page = HEAD.replace("utf-8", "gb2312") + TITLE + ARTICLE + FOOTER
    body = page.encode("gb18030")
    decoded = decode_page(body, None)
    assert decoded.encoding == "gb18030"
    tree = parse_page(decoded, body)
    assert page_title(tree) == "浙江：统筹推进"
    assert _lookups(tree) == _lookups(lxml.html.document_fromstring(decoded.text))


def test_an_empty_page_raises_what_document_fromstring_raises() -> None:
    with pytest.raises(lxml.etree.ParserError, match="Document is empty"):
        parse_page(decode_page(b"", None), b"")


def test_a_placeholder_first_og_image_means_none() -> None:
    page = HEAD.replace("finance/a.jpg", "default/b.png") + (
        '<meta property="og:image" content="//n.sinaimg.cn/finance/c.jpg">'
    )
    tree = lxml.html.document_fromstring(page + TITLE + ARTICLE)
    assert og_image(tree) is None


def _corpus_pages() -> list[Path]:
    return sorted((CORPUS / "pages").glob("*.htm*")) if CORPUS.exists() else []


@pytest.mark.parametrize("path", _corpus_pages() or [None], ids=lambda p: p.name if p else "absent")
def test_every_corpus_page_gives_the_whole_pages_answers(path: Path | None) -> None:
    require_shared(CORPUS)
    assert path is not None
    raw = path.read_bytes()
    decoded = decode_page(raw, None)
    cut = parse_page(decoded, raw)
    assert _lookups(cut) == _lookups(lxml.html.document_fromstring(decoded.text))


def test_the_finance_template_is_read_only_up_to_the_article() -> None:
    path = require_shared(CORPUS) / "pages" / "recon-2021-12-27-fangjdd0058439.html"
    raw = path.read_bytes()
    cut = parse_page(decode_page(raw, None), raw)
    assert cut.xpath("count(//*)") < 0.8 * lxml.html.document_fromstring(raw).xpath("count(//*)")
