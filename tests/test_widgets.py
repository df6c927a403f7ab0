"""Sina's page widgets inside the article (issue 11, SPEC section 3): each kind on a page of
``tests/fixtures/widgets/``, with the exact text kept, the exact text removed and the images.
"""

from __future__ import annotations

import lxml.html
import pytest

from sinacrawl.charset import Decoded, decode_page
from sinacrawl.clean import CleanBody, clean_body, https_url
from sinacrawl.extract import article_container, page_title
from sinacrawl.widgets import image_source, is_hidden, is_placeholder
from tests.conftest import FIXTURES, body_text

WIDGETS = FIXTURES / "widgets"
URL = "https://finance.sina.com.cn/china/2024-03-01/doc-inbadwg00001.shtml"
EDITOR = "责任编辑：李明"


def _clean(name: str) -> CleanBody:
    page = (WIDGETS / name).read_bytes()
    container = article_container(lxml.html.document_fromstring(decode_page(page, None).text))
    assert container is not None
    body = clean_body(container, URL)
    assert body is not None
    return body


@pytest.mark.parametrize(
    ("name", "text", "removed", "images"),
    [
        pytest.param(
            "video-player-2018.html",
            "村里的闲置老宅改成了民宿。山楂小院周末的入住率超过八成。" + EDITOR,
            ["视频加载中", "自动播放", "play", "向前", "向后", "ivideo", "民宿成爆款（视频）"],
            ("https://n.sinaimg.cn/translate/315/w714h401/20240301/ab12-minsu1.jpg",),
            id="video-2018",
        ),
        pytest.param(
            "video-player-2019.html",
            "这款芯片的功耗下降了三成。" + EDITOR,
            [
                "视频加载中",
                "play",
                "自动播放",
                "ivideo",
                "发布会",
                "video.sina.com.cn",
                "发布会现场",
            ],
            ("https://n.sinaimg.cn/tech/transform/200/w600h400/20190907/cd34-chip.jpg",),
            id="video-2019",
        ),
        pytest.param(
            "quote-box.html",
            "作者：张三摘要：零售之争再起！信用卡成为银行新的利润突破点。"
            "息差收窄，信用卡业务重回银行业焦点。"
            "“信用卡是零售银行的入口。”一位银行人士说。" + EDITOR,
            ["系列报道", "国有大行抢夺信用卡客户", "相关新闻", "股份行信用卡收入排名"],
            (),
            id="fin_reference",
        ),
        pytest.param(
            "promo-links.html",
            "本周券商发布研究报告超过五百篇，详见此前报道。据黑猫投诉平台数据，相关投诉下降两成。"
            + EDITOR,
            ["热门研报", "金麒麟", "新浪众测", "金融曝光台", "免费试用", "licaishi", "zhongce"],
            (),
            id="promo-links",
        ),
        pytest.param(
            "keyword-links.html",
            "各方重申《南太平洋无核区条约》的意义。招商银行与美光均发布公告，华夏成长净值上涨。"
            "原文见政府网站。" + EDITOR,
            ["weibo.com", "realstock", "quotes/MU", "fund/quotes"],
            (),
            id="keyword-links",
        ),
        pytest.param(
            "hidden.html",
            "央行开展七天期逆回购操作。利率持平。" + EDITOR,
            ["隐藏的推广文字", "wx_logo", "n.sinaimg.cn/default", "藏起来的段落"],
            (),
            id="hidden",
        ),
        pytest.param(
            "embed.html",
            "第一段正文。第二段正文。第三段正文。" + EDITOR,
            ["player.swf", "embed"],
            (),
            id="embed",
        ),
        pytest.param(
            "lazy-images.html",
            "一季度港口货物吞吐量创新高。" + EDITOR,
            ["transparent.gif", "blank.gif", "HTTP://", "N.SINAIMG.CN"],
            (
                "https://n.sinaimg.cn/finance/transform/20240301/ef56-port.jpg",
                "https://n.sinaimg.cn/finance/transform/20240301/GH78-Crane.JPG",
            ),
            id="lazy-and-case",
        ),
        pytest.param(
            "promo-sentence.html",
            "一季度社会消费品零售总额同比增长百分之五。其中餐饮收入增长一成。"
            "专家认为消费将持续回暖！" + EDITOR,
            ["海量资讯", "新浪财经APP", "获取更多解读"],
            (),
            id="promo-sentence",
        ),
        pytest.param(
            "promo-paragraphs.html",
            "沪深两市成交额突破万亿元。新浪财经获悉，北向资金净流入。创业板指收涨百分之二。"
            "两融余额继续回升。沪指收复三千点。" + EDITOR,
            ["海量资讯", "新 浪", "扫码", "img_wrapper", "金麒麟", "播放", "股吧", "下载", "打开"],
            (),
            id="promo-paragraphs",
        ),
    ],
)
def test_widget_kinds(name: str, text: str, removed: list[str], images: tuple[str, ...]) -> None:
    body = _clean(name)
    assert body_text(body.html) == text
    for gone in removed:
        assert gone not in body.html
    assert body.images == images


def test_the_embed_no_longer_swallows_the_article() -> None:
    # libxml2 opens <embed> as a container: all that follows it sat inside
    doc = lxml.html.document_fromstring((WIDGETS / "embed.html").read_bytes())
    embed = doc.find(".//embed")
    assert embed is not None and "第三段正文" in embed.text_content()


@pytest.mark.parametrize(
    ("style", "hidden"),
    [
        ("display:none", True),
        ("DISPLAY : None !important", True),
        ("color:red;/* x */visibility: Hidden", True),
        ("display:none; display:block", False),
        ("font-family: none-such; display: block", False),
        ("visibility:visible", False),
        ("display", False),
    ],
)
def test_inline_style_hiding(style: str, hidden: bool) -> None:
    assert is_hidden(style) is hidden


@pytest.mark.parametrize(
    ("markup", "source"),
    [
        ('<img src="//n.sinaimg.cn/default/a/transparent.gif" data-x="//n.sinaimg.cn/a.jpg">',
         "//n.sinaimg.cn/a.jpg"),
        ('<img src="//n.sinaimg.cn/b.jpg" data-x="//n.sinaimg.cn/a.jpg">', "//n.sinaimg.cn/b.jpg"),
        ('<img data-original="//n.sinaimg.cn/a.png" src="//n.sinaimg.cn/b.jpg">',
         "//n.sinaimg.cn/a.png"),
        ('<img src="data:image/gif;base64,R0lGOD" data-real="https://x.sinaimg.cn/c.webp">',
         "https://x.sinaimg.cn/c.webp"),
        ('<img src="//n.sinaimg.cn/default/logo.png" data-x="no url">', None),
        ('<img src="HTTPS://N.SINAIMG.CN/DEFAULT/2019/a.gif">', None),
    ],
)  # fmt: skip
def test_image_source(markup: str, source: str | None) -> None:
    assert image_source(lxml.html.fragment_fromstring(markup)) == source


def test_placeholders_and_upper_case_urls() -> None:
    assert is_placeholder("https://n.sinaimg.cn/default/2019/wx_logo.jpg")
    assert is_placeholder("//n.sinaimg.cn/finance/blank.gif")
    assert not is_placeholder("//n.sinaimg.cn/finance/blankets.jpg")
    assert https_url("HTTP://N.SINAIMG.CN/a.jpg", URL) == "https://n.sinaimg.cn/a.jpg"
    assert https_url("Https://N.Sinaimg.CN/A.jpg?X=Y", URL) == "https://n.sinaimg.cn/A.jpg?X=Y"


@pytest.mark.parametrize("title", ["\u200b\u200b", "\ufeff\u200d", " \u2060 "])
def test_a_title_of_zero_width_characters_is_no_title(title: str) -> None:
    doc = lxml.html.document_fromstring(
        f'<html><head><meta property="og:title" content="{title}"></head>'
        f'<body><h1 class="main-title">{title}</h1></body></html>'
    )
    assert page_title(doc) is None


@pytest.mark.parametrize(
    "content_type", ["text/html; charset=ISO-8859-1", "text/html; charset=us-ascii", None]
)
def test_latin1_is_never_a_declaration_over_gb_bytes(content_type: str | None) -> None:
    # SPEC section 5: Latin-1 decodes any bytes; the meta (here gb2312, or Latin-1 itself in
    # the last case) or GB18030 detection decides
    meta = "gb2312" if content_type else "iso-8859-1"
    page = f'<meta charset="{meta}"><h1>沪深两市成交额</h1>'.encode("gb2312")
    assert decode_page(page, content_type) == Decoded(page.decode("gb18030"), "gb18030", False)
    assert decode_page(b"<h1>Sina</h1>", content_type) == Decoded("<h1>Sina</h1>", "utf-8", False)


@pytest.mark.parametrize(
    ("markup", "kept"),
    [
        ("<div>\u3000<p>责任 编辑：李明</p>\u3000</div>", False),
        ("<div><p>\u3000</p><!-- 正文 -->责任编辑 ：<b>李明</b> SF055</div>", False),
        ("<div><p> 责任编辑</p></div>", True),
        ("<div><p>\u3000</p>责任编辑：<img src='//n.sinaimg.cn/a.jpg'></div>", True),
        ("<div>\u3000<b>正</b>文。责任编辑：李明</div>", True),
    ],
)
def test_a_body_of_only_the_editor_line_is_no_body(markup: str, kept: bool) -> None:
    # The editor line (责任编辑： and all after it, white space aside) is not the article's text.
    body = clean_body(lxml.html.fragment_fromstring(markup), URL)
    assert (body is not None) is kept
