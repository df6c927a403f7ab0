"""Issue 13 (script on the published blog) and issue 11 item 10 (URLs): titles, URLs and body
attributes that no theme and no Hexo filter can turn into markup. The Hexo check
(tests/test_hexo.py) proves the same on a real Volantis build.
"""

from __future__ import annotations

import logging
import re

import lxml.html
import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler

from sinacrawl.clean import clean_body
from sinacrawl.items import ArticleItem
from sinacrawl.pipelines import BodyPipeline
from sinacrawl.theme_safety import (
    attribute_url,
    body_attribute,
    https_image_url,
    is_image_host,
    safe_title,
)
from tests.blog_scan import Baseline, element_findings

URL = "https://finance.sina.com.cn/china/gncj/2022-03-03/doc-ihostile0000099.shtml"
#: What a browser's tokenizer reads as a tag start.
_TAG_OPEN = re.compile(r"<[A-Za-z/!?]")

# (raw headline as text_content gives it, title) — every kind of issue 13 item 2.
TITLES = [
    # nesting: one pass of the tag strip leaves a tag behind
    ("央行<<b>img src=x onerror=alert(1)>降准", "央行降准"),
    ("A<<script>script>alert(2)<</script>/script>B", "Aalert(2)B"),
    # a character the line cleaning removes after the strip: BOM, private use, unassigned
    ("利率<\ufeffimg src=x onerror=alert(3)>走低", "利率走低"),
    ("利率<\ue000svg onload=alert(4)>走低", "利率走低"),
    ("利率<\u0378img src=x onerror=alert(5)>走低", "利率走低"),
    ("利率<\x07img src=x onerror=alert(6)>走低", "利率走低"),
    # an unclosed tag, which the theme's own </h1> would close
    ("港股收评<img src=x onerror=alert(7)", "港股收评＜img src＝x onerror＝alert(7)"),
    ("港股</h1 <b", "港股＜/h1 ＜b"),
    ("注释<!-- x", "注释＜!-- x"),
    # quotes that would end Volantis's alt="…" and title='…'
    ("x' onmouseover='alert(8)", "x’ onmouseover＝‘alert(8)"),
    ('x" onmouseover="alert(9)', "x“ onmouseover＝”alert(9)"),
    # what a reader sees stays readable
    ('"北向资金"净流入 《报告》 & <净流入> 1+1=2', "“北向资金”净流入 《报告》 & <净流入> 1+1=2"),
    ("Moody's cuts China's outlook to 'negative'", "Moody’s cuts China’s outlook to ‘negative’"),
    ('60万"12306账号"外泄', "60万“12306账号”外泄"),
    ("火爆：'舍得花'成标签", "火爆：‘舍得花’成标签"),
    ("A股 & 港股 <涨停> 板 &amp;", "A股 & 港股 <涨停> 板 &amp;"),
]


@pytest.mark.parametrize(("raw", "title"), TITLES)
def test_title_is_safe_at_a_fixpoint(raw: str, title: str) -> None:
    assert safe_title(raw) == title
    assert safe_title(title) == title
    assert not _TAG_OPEN.search(title)
    assert not set("\"'") & set(title)


@pytest.mark.parametrize(
    ("url", "encoded"),
    [
        ("https://n.sinaimg.cn/a.jpg", "https://n.sinaimg.cn/a.jpg"),
        ("https://n.sinaimg.cn/a.jpg' onerror='alert(1)", "https://n.sinaimg.cn/a.jpg%27%20onerror=%27alert(1)"),
        ('https://n.sinaimg.cn/a"b<c>d`e.jpg', "https://n.sinaimg.cn/a%22b%3Cc%3Ed%60e.jpg"),
        ("https://n.sinaimg.cn/a\x07b\x00c.jpg", "https://n.sinaimg.cn/a%07b%00c.jpg"),
        ("https://n.sinaimg.cn/a\u202eb.jpg", "https://n.sinaimg.cn/a%E2%80%AEb.jpg"),
        ("https://n.sinaimg.cn/中 文.jpg", "https://n.sinaimg.cn/%E4%B8%AD%20%E6%96%87.jpg"),
        ("HTTP://N.SINAIMG.CN/a.jpg", "http://n.sinaimg.cn/a.jpg"),
        ("https://n.sina\u202eimg.cn/a.jpg", None),  # a bidi character in the host
        ("https://[::1/a.jpg", None),
    ],
)  # fmt: skip
def test_attribute_url_percent_encodes(url: str, encoded: str | None) -> None:
    assert attribute_url(url) == encoded
    if encoded is not None:
        assert attribute_url(encoded) == encoded


@pytest.mark.parametrize(
    ("url", "image"),
    [
        ("http://n.sinaimg.cn/a'.jpg", "https://n.sinaimg.cn/a%27.jpg"),
        ("HTTP://N.SINAIMG.CN/a.jpg", "https://n.sinaimg.cn/a.jpg"),
        ("javascript:alert(1)", None),
        ("data:image/gif;base64,R0lGOD", None),
        ("//n.sinaimg.cn/a.jpg", None),
        ("https://user@n.sinaimg.cn/a.jpg", None),
        ("https://n.sinaimg.cn:8443/a.jpg", None),
    ],
)
def test_https_image_url(url: str, image: str | None) -> None:
    assert https_image_url(url) == image


def test_image_hosts_match_host_and_subdomains() -> None:
    hosts = ("sinaimg.cn", "image2.sina.com.cn")
    assert is_image_host("https://n.sinaimg.cn/a.jpg", hosts)
    assert is_image_host("https://image2.sina.com.cn/a.jpg", hosts)
    assert not is_image_host("https://sinaimg.cn.evil.example/a.jpg", hosts)
    assert not is_image_host("https://p.ivideo.sina.com.cn/a.jpg", hosts)


@pytest.mark.parametrize(
    ("tag", "attribute", "value", "kept"),
    [
        ("img", "alt", "资料图：招聘会现场。瞿宏伦 摄", "资料图：招聘会现场。瞿宏伦 摄"),
        ("img", "alt", "href=x onfocus=alert(1) autofocus", None),
        ("img", "alt", "rel='x' b", None),
        ("img", "alt", "https://n.sinaimg.cn/a.jpg x", None),
        ("img", "alt", "图 src", None),
        ("img", "alt", "x onerror", None),
        ("img", "alt", "<b>", None),
        ("img", "width", "550", "550"),
        ("img", "width", "1 onerror=alert(1)", None),
        ("td", "colspan", "2", "2"),
        ("a", "href", "javascript:alert(1)", None),
        ("a", "href", "mailto:a@example.com", "mailto:a@example.com"),
        ("a", "href", "https://e.com/a\"b onmouseover=x", "https://e.com/a%22b%20onmouseover=x"),
        ("img", "src", "https://n.sinaimg.cn/a'.jpg", "https://n.sinaimg.cn/a%27.jpg"),
        ("a", "rel", "noopener noreferrer", "noopener noreferrer"),
        ("a", "rel", "x\" onfocus=\"y", None),
    ],
)  # fmt: skip
def test_body_attribute(tag: str, attribute: str, value: str, kept: str | None) -> None:
    assert body_attribute(tag, attribute, value) == kept


def test_body_keeps_no_attribute_a_hexo_filter_could_reparse() -> None:
    container = lxml.html.fragment_fromstring(
        '<div id="artibody"><p>据<a title="href=x onfocus=alert(1) autofocus tabindex=1 a=" '
        'href="https://research.example.net/r.pdf">研报</a>，'
        "<a title=\"rel='x' onmouseover=alert(2) b='\" href='https://e.org/a\"b'>分析</a></p>"
        '<img alt="//n.sinaimg.cn/1.jpg onerror=alert(3) x" src="//n.sinaimg.cn/1.jpg" '
        'title="href=y onload=alert(4)" width="1 onerror=alert(5)">'
        '<img src="//n.sinaimg.cn/2.jpg\' onerror=\'alert(6)" alt="图2"></div>'
    )
    body = clean_body(container, URL)
    assert body is not None
    assert body.html == (
        '<p>据<a rel="noopener noreferrer" href="https://research.example.net/r.pdf">研报</a>，'
        '<a rel="noopener noreferrer" href="https://e.org/a%22b">分析</a></p>'
        '<img referrerpolicy="no-referrer" src="https://n.sinaimg.cn/1.jpg">'
        '<img src="https://n.sinaimg.cn/2.jpg%27%20onerror=%27alert(6)" alt="图2" '
        'referrerpolicy="no-referrer">'
    )
    assert body.images == (
        "https://n.sinaimg.cn/1.jpg",
        "https://n.sinaimg.cn/2.jpg%27%20onerror=%27alert(6)",
    )


def test_a_control_character_in_a_url_is_encoded_not_a_crash() -> None:
    container = lxml.html.fragment_fromstring(
        '<div id="artibody"><p>图<img src="//n.sinaimg.cn/a&#x7;.jpg">与'
        '<a href="https://e.org/a&#x1;b">链接</a></p></div>'
    )
    body = clean_body(container, URL)
    assert body is not None
    assert body.html == (
        '<p>图<img src="https://n.sinaimg.cn/a%07.jpg" referrerpolicy="no-referrer">与'
        '<a href="https://e.org/a%01b" rel="noopener noreferrer">链接</a></p>'
    )


def _pipeline(**settings: object) -> BodyPipeline:
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()  # type: ignore[union-attr]
    pipeline: BodyPipeline = build_from_crawler(BodyPipeline, crawler)
    return pipeline


def _item(body: str, og_image: str | None) -> ArticleItem:
    page = f'<html><body><div id="artibody">{body}</div></body></html>'
    return ArticleItem(
        url=URL,
        docid="hostile0000099",
        page=b"",
        og_image=og_image,
        tree=lxml.html.document_fromstring(page),
    )


def test_an_offsite_og_image_is_ignored_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    pipeline = _pipeline()
    with caplog.at_level(logging.WARNING):
        item = pipeline.process_item(_item("<p>正文</p>", "https://tracker.example.com/p.gif"))
    assert item.headimg == item.thumbnail == ""
    assert pipeline.stats.get_value("sinacrawl/headimg/offsite_og_image") == 1
    assert "og:image https://tracker.example.com/p.gif is not on an image host" in caplog.text
    assert URL in caplog.text


def test_the_first_image_on_an_image_host_is_the_headimg() -> None:
    pipeline = _pipeline()
    body = '<img src="https://img.example.net/1.jpg"><img src="//n.sinaimg.cn/2.jpg"><p>正文</p>'
    item = pipeline.process_item(_item(body, "//n.sinaimg.cn/og'.jpg"))
    assert item.headimg == "https://n.sinaimg.cn/2.jpg"
    item = pipeline.process_item(_item("<p>正文</p>", "//n.sinaimg.cn/og'.jpg"))
    assert item.headimg == "https://n.sinaimg.cn/og%27.jpg"
    assert pipeline.stats.get_value("sinacrawl/headimg/offsite_og_image") is None


def test_image_hosts_setting_widens_the_list() -> None:
    pipeline = _pipeline(SINACRAWL_IMAGE_HOSTS="sinaimg.cn,img.example.net")
    body = '<img src="https://img.example.net/1.jpg"><p>正文</p>'
    assert pipeline.process_item(_item(body, None)).headimg == "https://img.example.net/1.jpg"


def test_default_headimg_is_encoded_and_must_be_http_or_a_site_path() -> None:
    pipeline = _pipeline(SINACRAWL_DEFAULT_HEADIMG="https://blog.example/a b.png")
    assert pipeline.process_item(_item("<p>正文</p>", None)).headimg == (
        "https://blog.example/a%20b.png"
    )
    pipeline = _pipeline(SINACRAWL_DEFAULT_HEADIMG="/images/banner 'a'.jpg")
    assert pipeline.process_item(_item("<p>正文</p>", None)).headimg == (
        "/images/banner%20%27a%27.jpg"
    )
    for wrong in ("javascript:alert(1)", "images/a.jpg", "//evil.example/a.jpg"):
        with pytest.raises(ValueError, match="SINACRAWL_DEFAULT_HEADIMG"):
            _pipeline(SINACRAWL_DEFAULT_HEADIMG=wrong)


def test_the_blog_scan_finds_what_content_minted() -> None:
    theme = lxml.html.document_fromstring(
        '<html><head><script src="/js/app.js"></script><script>var a = 1;</script></head>'
        '<body><a href="/p/" title="t">x</a><img src="/a.png" alt="a"></body></html>'
    )
    baseline = Baseline()
    for element in theme.iter():
        baseline.add(element)
    built = lxml.html.document_fromstring(
        '<html><head><script src="/js/app.js"></script><script>var a = 2;</script></head><body>'
        '<a title="x" target="_blank" rel="noopener" href=x onfocus=alert(1) autofocus>y</a>'
        "<h1>t<img src=x onerror=alert(2)</h1><script>alert(3)</script>"
        '<a href="javascript:alert(4)">z</a></body></html>'
    )
    allowed = baseline.pairs | {("a", "target"), ("a", "rel")}
    found = [f for el in built.iter() for f in element_findings(el, baseline, allowed)]
    assert found == [
        "a[onfocus='alert(1)']",
        "a[onfocus] is in no clean page and no post",
        "a[autofocus] is in no clean page and no post",
        "img[onerror='alert(2)</h1']",
        "img[onerror] is in no clean page and no post",
        "<script> not in the theme: 'alert(0)'",
        "a[href='javascript:alert(4)']",
    ]
