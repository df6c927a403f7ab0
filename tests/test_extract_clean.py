"""Field rules (SPEC section 2) and body cleaning (sections 3, 3a) on the bundled pages."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from sinacrawl.charset import decode_page
from sinacrawl.clean import clean_body, https_url, layout
from sinacrawl.dates import format_rfc1123
from sinacrawl.extract import article_container, og_image, page_title, published
from tests.conftest import REPLAY, body_text

PAGE_2021 = REPLAY / "pages" / "finance-2021-12-21-ikyamrmz0151960.html"
URL_2021 = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
PAGE_2016 = REPLAY / "pages" / "finance-2016-05-25-ifxsktkp0000001.html"
URL_2016 = "https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp0000001.shtml"


def _tree(page: Path) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(decode_page(page.read_bytes(), None).text)


def test_fields_of_the_2021_template() -> None:
    doc = _tree(PAGE_2021)
    assert page_title(doc) == "浙江：更好统筹推进疫情防控和经济社会发展"
    moment = published(doc)
    assert moment is not None
    assert format_rfc1123(moment) == "Tue, 21 Dec 2021 06:56:42 GMT"
    assert og_image(doc) is None  # n.sinaimg.cn/default/ is Sina's placeholder


def test_fields_of_the_2016_template() -> None:
    doc = _tree(PAGE_2016)
    # h1#artibodyTitle wins over og:title; the date text is 00:30 Beijing, the day before in UTC
    assert page_title(doc) == "“人民币”中间价: 创逾五年新低 #外汇"  # typographic quotes (issue 13)
    moment = published(doc)
    assert moment is not None
    assert format_rfc1123(moment) == "Tue, 24 May 2016 16:30:00 GMT"
    assert og_image(doc) == "//n.sinaimg.cn/finance/2016/og-real.jpg"


def test_og_title_when_no_headline() -> None:
    doc = lxml.html.document_fromstring(
        '<html><head><meta property="og:title" content=" 标题 &amp;  二 "></head>'
        "<body></body></html>"
    )
    assert page_title(doc) == "标题 & 二"
    assert published(doc) is None
    assert article_container(doc) is None


def test_container_is_artibody_not_its_promotional_ancestor() -> None:
    container = article_container(_tree(PAGE_2021))
    assert container is not None
    assert container.get("id") == "artibody"


def test_clean_body_keeps_the_article_and_removes_the_rest() -> None:
    container = article_container(_tree(PAGE_2021))
    assert container is not None
    body = clean_body(container, URL_2021)
    assert body is not None
    text = body_text(body.html)
    for kept in [
        "省委常委会会议研究部署疫情防控工作",
        "会议指出，招商银行等金融机构要全力支持稳增长。",
        "会议现场",
        "模板示例{{page.title}}与{%raw%}不应被Hexo执行。",
        "会议强调，要毫不放松抓好常态化疫情防控。",
        "责任编辑：王蒙",
    ]:
        assert kept in text
    for gone in ["炒股就看", "48.30", "海量资讯", "扫码开户", "sinaads", "window."]:
        assert gone not in text
    assert body.images == (
        "https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg",
    )
    assert (
        '<img src="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg" '
        'alt="会议现场" referrerpolicy="no-referrer">'
    ) in body.html
    assert (
        '<a href="https://finance.sina.com.cn/china/2021-12-20/doc-ikyakumx5380000.shtml" '
        'rel="noopener noreferrer">前期报道</a>'
    ) in body.html
    assert "onerror" not in body.html and "<!--" not in body.html and "{" not in body.html
    assert body.html.startswith("<p>　　<strong>省委常委会会议研究部署疫情防控工作</strong></p>\n")
    assert body.html.endswith('\n<p class="article-editor">责任编辑：王蒙 </p>')


def test_clean_body_of_the_2016_template() -> None:
    container = article_container(_tree(PAGE_2016))
    assert container is not None
    body = clean_body(container, URL_2016)
    assert body is not None
    # chart widget, video poster and stock-forum promotion are gone: no image is left
    assert body.images == ()
    assert body.html == (
        "<p>　　新浪财经讯 5月25日凌晨消息，人民币兑美元中间价报6.5693。</p>\n"
        "<pre>USD/CNY  6.5693&#10;\nEUR/CNY  7.3348\n</pre>\n"
        "<p>　　交易员表示，市场出现广泛的美元买盘。</p>"
    )


def test_empty_article_is_none() -> None:
    doc = lxml.html.document_fromstring(
        '<div id="artibody"><!-- x --><script>a()</script>'
        '<p class="article-editor">责任编辑：王蒙</p></div>'
    )
    container = article_container(doc)
    assert container is not None
    assert clean_body(container, URL_2021) is None


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (
            '<img src="/blank.gif" data-original="//n.sinaimg.cn/a.jpg">',
            "https://n.sinaimg.cn/a.jpg",
        ),
        ('<img src="http://n.sinaimg.cn/b.png">', "https://n.sinaimg.cn/b.png"),
        ('<img src="javascript:alert(1)">', None),
        ('<img src="data:image/png;base64,AAAA">', None),
    ],
)
def test_image_sources(markup: str, expected: str | None) -> None:
    doc = lxml.html.document_fromstring(f'<div id="artibody"><p>文字</p>{markup}</div>')
    container = article_container(doc)
    assert container is not None
    body = clean_body(container, URL_2021)
    assert body is not None
    assert body.images == ((expected,) if expected else ())
    assert body.html.count("<img") == (1 if expected else 0)


def test_executable_markup_never_survives() -> None:
    hostile = (
        '<div id="artibody"><p onclick="x()">点<a href="jav&#x61;script:alert(1)">这</a></p>'
        '<svg onload="x()"><a href="vbscript:x">v</a></svg><base href="https://evil/">'
        '<meta http-equiv="refresh" content="0;url=https://evil/"><object data="x"></object>'
        '<embed src="x"><form action="x"><button formaction="javascript:x()">b</button></form>'
        '<img src="https://n.sinaimg.cn/c.jpg" srcset="javascript:x 1x" onerror="x()"></div>'
    )
    container = article_container(lxml.html.document_fromstring(hostile))
    assert container is not None
    body = clean_body(container, URL_2021)
    assert body is not None
    lowered = body.html.lower()
    for needle in ["onclick", "onload", "onerror", "javascript", "vbscript", "<svg", "<base",
                   "<meta", "<object", "<embed", "<form", "formaction", "srcset"]:  # fmt: skip
        assert needle not in lowered
    assert "点" in body.html


def test_layout_keeps_pre_and_removes_blank_and_indented_lines() -> None:
    assert layout("  <p>a</p>\n\n\t<p>b</p>\n   \n<pre>x\n\n  y</pre>\n") == (
        "<p>a</p>\n<p>b</p>\n<pre>x&#10;\n  y</pre>"
    )


def test_https_url() -> None:
    assert https_url("/a/b.jpg", URL_2021) == "https://finance.sina.com.cn/a/b.jpg"
    assert https_url("mailto:x@y", URL_2021) is None


def test_markup_spelled_out_in_a_headline_is_not_kept() -> None:
    doc = lxml.html.document_fromstring(
        '<h1 class="main-title">央行&lt;script&gt;alert(1)&lt;/script&gt;降准 &lt;净流入&gt;</h1>'
    )
    assert page_title(doc) == "央行alert(1)降准 <净流入>"


def test_empty_elements_and_topic_promotions_are_removed() -> None:
    """gne-news-2019-10-23 ends with Sina's "点击进入专题：聚焦香港局势" box; pages of the
    corpus leave empty ``<p>　　</p>``, ``<div></div>`` and caption ``<span></span>`` behind."""
    doc = lxml.html.document_fromstring(
        '<div id="artibody"><p>　　正文。</p><p>　　</p><p> <br> </p><div><span></span></div>'
        '<div><img src="//n.sinaimg.cn/a.jpg"><span class="img_descr"></span></div>'
        '<div>\n<div>点击进入专题：</div>\n<a href="http://news.sina.cn/zt_d/x">聚焦香港局势</a></div>'
        "<p>尾<span></span>声</p></div>"
    )
    container = article_container(doc)
    assert container is not None
    body = clean_body(container, URL_2021)
    assert body is not None
    assert body.html == (
        "<p>　　正文。</p>"
        '<div><img src="https://n.sinaimg.cn/a.jpg" referrerpolicy="no-referrer"></div>'
        "<p>尾声</p>"
    )


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        # lxml refuses these characters in the text it joins when it drops an element
        ("<p>a<script>x</script>\x0cb</p>", "<p>a b</p>"),
        ('<p>a<span style="display:none">x</span>\x01b\x1f</p><p>c\ufffe</p>', "<p>ab</p><p>c</p>"),
        ("<p>a\x0b<!-- x -->b</p>", "<p>ab</p>"),
    ],
)
def test_control_characters_leave_the_text_and_never_stop_the_cleaning(
    markup: str, expected: str
) -> None:
    container = lxml.html.fragment_fromstring(f'<div id="artibody">{markup}</div>')
    body = clean_body(container, "https://finance.sina.com.cn/china/2024-03-01/doc-ia.shtml")
    assert body is not None
    assert body.html == expected


@pytest.mark.parametrize(
    ("container", "markup", "expected"),
    [
        # a control character in the container's own attribute (attack trial, stop 19)
        ('<div id="artibody" data-x="a\x01b">', "<p>正文</p>", "<p>正文</p>"),
        ('<div id="artibody" class="article\x0c">', "<p>正文</p>", "<p>正文</p>"),
        # C1 controls and DEL go from the text too; an image's alt keeps no control character
        ('<div id="artibody">', "<p>正文\x85中\x9b文\x7f结束。</p>", "<p>正文中文结束。</p>"),
        (
            '<div id="artibody">',
            '<p>正文</p><img src="//n.sinaimg.cn/finance/a.jpg" alt="图\x01片\ufffe">',
            '<p>正文</p><img src="https://n.sinaimg.cn/finance/a.jpg" alt="图片" '
            'referrerpolicy="no-referrer">',
        ),
        # a bracketed host that is no IP address: the link loses its href, the image goes
        (
            '<div id="artibody">',
            '<p>见<a href="http://[链接]">此处</a>。</p>',
            '<p>见<a rel="noopener noreferrer">此处</a>。</p>',
        ),
        ('<div id="artibody">', '<p>正文</p><img src="http://[::1/a.jpg">', "<p>正文</p>"),
    ],
)
def test_odd_attributes_and_characters_never_stop_the_cleaning(
    container: str, markup: str, expected: str
) -> None:
    root = lxml.html.fragment_fromstring(f"{container}{markup}</div>")
    body = clean_body(root, "https://finance.sina.com.cn/china/2024-03-01/doc-ia.shtml")
    assert body is not None
    assert body.html == expected


def test_a_malformed_image_url_is_no_image() -> None:
    assert https_url("http://[x/a.jpg", "https://finance.sina.com.cn/a.shtml") is None
