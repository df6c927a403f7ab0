"""Opt-in keys and body changes (issue 15): ``updated``, ``tags`` (keywords, stock names),
``description``, figures, ``<!-- more -->`` and the credit line; each off by default."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import lxml.html
import pytest
import yaml
from scrapy import Request
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler

from sinacrawl.credit import credit_line
from sinacrawl.feed import parse_feed
from sinacrawl.items import ArticleItem
from sinacrawl.optin import (
    insert_more,
    make_figures,
    page_keywords,
    page_outlet,
    stock_names,
    summary,
)
from sinacrawl.pipelines import BodyPipeline
from sinacrawl.post import PostFields, parse_post, render_post
from sinacrawl.queuecodec import dumps, loads
from tests.conftest import CORPUS, REPLAY, require_shared, run_crawl

#: Every opt-in setting of issue 15 but SINACRAWL_IMAGES_DIR, a folder (tests/test_images.py).
ALL_ON = (
    "SINACRAWL_UPDATED",
    "SINACRAWL_TAGS",
    "SINACRAWL_STOCK_TAGS",
    "SINACRAWL_DESCRIPTION",
    "SINACRAWL_FIGURES",
    "SINACRAWL_MORE",
    "SINACRAWL_CREDIT",
)

FIELDS = PostFields(
    title="央行降准",
    categories=("金融",),
    headimg="",
    author="新浪财经",
    date="Tue, 21 Dec 2021 06:56:42 GMT",
    thumbnail="",
)
OFF_HEAD = (
    "\n---\ntitle: '央行降准'\ncategories: \n - 金融\nheadimg: ''\nauthor: 新浪财经\n"
    "comments: false\ndate: Tue, 21 Dec 2021 06:56:42 GMT\nthumbnail: ''\n"
)
SKELETON_TAIL = "---\n\n<div>   \n<p>x</p>\n</div>\n            "


def test_all_keys_off_is_specs_skeleton() -> None:
    assert render_post(FIELDS, "<p>x</p>") == OFF_HEAD + SKELETON_TAIL


def test_opt_in_keys_follow_thumbnail_in_fixed_order_and_read_back_equal() -> None:
    tags = ("央行", "yes", "- x", "2021", "a: b", "Moody's", "#外汇")
    fields = PostFields(
        **{
            **{k: getattr(FIELDS, k) for k in ("title", "categories", "headimg", "author")},
            "date": FIELDS.date,
            "thumbnail": "",
            "updated": "Wed, 22 Dec 2021 01:00:00 GMT",
            "tags": tags,
            "description": "央行：降准 0.5 个百分点 #1",
        }
    )
    text = render_post(fields, "<p>x</p>")
    assert text == (
        OFF_HEAD + "updated: Wed, 22 Dec 2021 01:00:00 GMT\n"
        "tags: \n - 央行\n - 'yes'\n - '- x'\n - '2021'\n - 'a: b'\n - Moody's\n - '#外汇'\n"
        "description: '央行：降准 0.5 个百分点 #1'\n" + SKELETON_TAIL
    )
    meta = yaml.safe_load(text.split("\n---\n")[1])
    assert meta["updated"] == "Wed, 22 Dec 2021 01:00:00 GMT"
    assert meta["tags"] == list(tags)
    assert meta["description"] == "央行：降准 0.5 个百分点 #1"
    assert parse_post(text) == (fields, "<p>x</p>")


def test_parse_post_still_requires_specs_keys() -> None:
    text = render_post(FIELDS, "<p>x</p>").replace("thumbnail: ''\n", "")
    with pytest.raises(ValueError, match="thumbnail"):
        parse_post(text)


def test_page_keywords_from_meta_and_wbkey_deduplicated_in_order() -> None:
    doc = lxml.html.fromstring(
        '<html><head><meta name="Keywords" content=" 央行, 降准，,央行 "></head><body>'
        '<div class="keywords" id="keywords" data-wbkey="降准、LPR,稳增长">'
        "<span>文章关键词：</span><a>降准</a></div></body></html>"
    )
    assert page_keywords(doc) == ("央行", "降准", "LPR", "稳增长")
    assert page_keywords(lxml.html.fromstring("<html><body><p>x</p></body></html>")) == ()


@pytest.mark.parametrize(
    ("intro", "body", "expected"),
    [
        ("　　人民币中间价\n创新低。", "<p>正文。</p>", "人民币中间价 创新低。"),
        (
            "",
            "<p>　　原标题：央行降准</p><p>来源：新华社</p><p>（作者｜张三）</p>"
            "<p><strong>小标题</strong></p><p>　　央行宣布降准。市场平稳。</p>",
            "央行宣布降准。市场平稳。",
        ),
        ("", "<p>" + "长" * 60 + "。" + "句" * 80 + "。</p>", "长" * 60 + "。"),
        ("", "<p>" + "无" * 130 + "</p>", "无" * 119 + "…"),
        ("", "<p>　　</p><p>责任编辑：王蒙</p>", None),
        ("", "<p>　　►文观察者网鞠峰</p><p>　　► 文 观察者网</p><p>正文。</p>", "正文。"),
    ],
)
def test_summary(intro: str, body: str, expected: str | None) -> None:
    assert summary(intro, body) == expected


def test_feed_intro_travels_through_the_redis_queue() -> None:
    (entry,) = parse_feed(
        '{"result": {"status": {"code": 0}, "data": [{"url": "https://finance.sina.com.cn/'
        'a/doc-ia.shtml", "title": "t", "ctime": "1", "mtime": "2", "intro": "摘要"}]}}'
    )
    assert entry.intro == "摘要"
    queued = dumps(Request(entry.url, cb_kwargs={"entry": entry}).to_dict())
    assert loads(queued)["cb_kwargs"]["entry"] == entry
    older = queued.replace(',"intro":"摘要"'.encode(), b"")  # queued before issue 15
    assert older != queued
    assert loads(older)["cb_kwargs"]["entry"].intro == ""


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The bundled replay crawled with all settings off and with each one on alone."""
    runs: dict[str, dict[str, str]] = {}
    settings = (
        "",
        "SINACRAWL_UPDATED",
        "SINACRAWL_TAGS",
        "SINACRAWL_DESCRIPTION",
        "SINACRAWL_FIGURES",
        "SINACRAWL_STOCK_TAGS",
        "SINACRAWL_MORE",
        "SINACRAWL_CREDIT",
    )
    for setting in settings:
        out = tmp_path_factory.mktemp("optin")
        extra = ("-s", f"{setting}=1") if setting else ()
        result = run_crawl("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={out}", *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[setting] = {p.name: p.read_text("utf-8") for p in sorted(Path(out).glob("*.md"))}
        STATS[setting] = result.stderr
    return runs


#: Each replay's log (its stats dump), by setting.
STATS: dict[str, str] = {}


EXPECTED = {
    "SINACRAWL_UPDATED": {
        "fxsktkp0000001.md": "updated: Tue, 24 May 2016 17:30:00 GMT\n",
        "kknscsi0000002.md": "updated: Thu, 25 Aug 2005 21:39:00 GMT\n",
        "kknscsi0000003.md": "updated: Thu, 25 Aug 2005 21:39:00 GMT\n",
        "kyamrmz0151960.md": "updated: Tue, 21 Dec 2021 06:56:42 GMT\n",
    },
    "SINACRAWL_TAGS": {
        "fxsktkp0000001.md": "",
        "kknscsi0000002.md": "",
        "kknscsi0000003.md": "",
        "kyamrmz0151960.md": "tags: \n - 浙江\n - 疫情防控\n - 经济社会发展\n - 稳增长\n",
    },
    "SINACRAWL_STOCK_TAGS": {
        "fxsktkp0000001.md": "",
        "kknscsi0000002.md": "",
        "kknscsi0000003.md": "",
        # news_keyword_pub,stock,sh600036&sz000001: the page links only sh600036 (招商银行)
        "kyamrmz0151960.md": "tags: \n - 招商银行\n",
    },
    "SINACRAWL_DESCRIPTION": {
        "fxsktkp0000001.md": "description: '人民币兑美元中间价报6.5693，创逾五年新低。'\n",
        "kknscsi0000002.md": "description: '截至8月25日，沪深两市上市公司半年报已披露完毕。'\n",
        "kknscsi0000003.md": "description: '截至8月25日，沪深两市上市公司半年报已披露完毕。'\n",
        "kyamrmz0151960.md": "description: '本报杭州12月20日电（记者 刘乐平）20日下午，"
        "省委常委会召开会议，深入学习贯彻中央经济工作会议精神。'\n",
    },
}


KEYS = {"SINACRAWL_STOCK_TAGS": "tags"}


@pytest.mark.parametrize("setting", sorted(EXPECTED))
def test_one_setting_on_changes_only_its_key(
    replays: dict[str, dict[str, str]], setting: str
) -> None:
    off, on = replays[""], replays[setting]
    assert sorted(on) == sorted(off) == sorted(EXPECTED[setting])
    for name, text in on.items():
        added = EXPECTED[setting][name]
        thumbnail_end = off[name].index("\n", off[name].index("\nthumbnail: ") + 1) + 1
        assert text == off[name][:thumbnail_end] + added + off[name][thumbnail_end:], name
        key = KEYS.get(setting, setting.removeprefix("SINACRAWL_").lower())
        meta = yaml.safe_load(text.split("\n---\n")[1])
        assert meta.get(key) == (yaml.safe_load(added)[key] if added else None), name


def test_figures_setting_changes_only_the_captioned_image(
    replays: dict[str, dict[str, str]],
) -> None:
    off, on = replays[""], replays["SINACRAWL_FIGURES"]
    image = (
        '<img src="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"'
        ' alt="会议现场" referrerpolicy="no-referrer">'
    )
    name = "kyamrmz0151960.md"
    assert f"<div>{image}<span>会议现场</span></div>" in off[name]
    assert on == {
        **off,
        name: off[name].replace(
            f"<div>{image}<span>会议现场</span></div>",
            f"<div><figure>{image}<figcaption>会议现场</figcaption></figure></div>",
        ),
    }


def test_figures_need_the_caption_right_after_the_image() -> None:
    div = lxml.html.fragment_fromstring(
        '<div><img src="a.jpg">文字<span class="img_descr">说明</span>'
        '<img src="b.jpg"><span class="img_descr"> </span>'
        '<img src="c.jpg"><span class="other">说明</span></div>'
    )
    before = lxml.html.tostring(div)
    assert make_figures(div) == 0
    assert lxml.html.tostring(div) == before


def test_keywords_with_markup_stay_inert() -> None:
    doc = lxml.html.fromstring(
        '<html><head><meta name="keywords" content=\'央行,<script>alert(1)</script>降准,'
        '"x" onmouseover=alert(2)\'></head><body></body></html>'
    )
    assert page_keywords(doc) == ("央行", "alert(1)降准", "“x” onmouseover＝alert(2)")


#: The shape of Sina's stock list and quote links (finance.sina.com.cn 2018-2026 pages, e.g.
#: ../shared/corpus's usstock 2026 page and a 2022 page whose sh000300 link is empty).
STOCK_PAGE = (
    "<html><body><div id='artibody'><p>"
    "<span id=usstock_MSFT><a href=https://stock.finance.sina.com.cn/usstock/quotes/MSFT.html "
    "class=keyword>微软</a></span>、"
    "<span id=stock_sh000300><a href=https://finance.sina.com.cn/realstock/company/sh000300/"
    "nc.shtml class=keyword><span id=stock_sz399300></span></a>"
    "<a href=https://finance.sina.com.cn/realstock/company/sz399300/nc.shtml class=keyword>"
    "沪深300指数</a></span>、"
    "<a href=https://finance.sina.com.cn/realstock/company/sh600000/nc.shtml>浦发<b>银行</b></a>"
    "<a href=https://finance.sina.com.cn/realstock/company/sh601988/nc.shtml>"
    "&lt;script&gt;中国银行</a>"
    "<a href=https://finance.sina.com.cn/realstock/company/sh601398/nc.shtml>" + "长" * 31 + "</a>"
    "<a href=https://finance.sina.com.cn/realstock/company/sh600036X/nc.shtml>别的</a>"
    "</p><!-- news_keyword_pub,stock,MSFT&sh000300&sz399300&sh600000&sh601988&sh601398"
    "&sh600036&MSFT&a'b --></div></body></html>"
)


def test_stock_names_follow_the_list_and_its_quote_links() -> None:
    doc = lxml.html.fromstring(STOCK_PAGE)
    assert stock_names(doc) == ("微软", "沪深300指数", "浦发银行", "中国银行")
    empty = "<html><body><p>x</p><!-- news_keyword_pub,stock, --></body></html>"
    assert stock_names(lxml.html.fromstring(empty)) == ()


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # 2018+ template: .date-source's .source link (or span) beats the meta
        (
            '<meta name="mediaid" content="新浪财经">',
            '<div class="date-source"><a class="source ent-source" href="http://bjnews.com.cn/">'
            " 新京报 </a></div><p class='ori_titlesource'>原标题：x</p>"
            "<div class='source'>相关来源</div>",
            "新京报",
        ),
        # 2016 template: the outlet is loose text in .time-source; mediaid names it
        (
            '<meta name="mediaid" content="中国证券报">',
            '<span class="time-source">x</span>',
            "中国证券报",
        ),
        # sina.cn pages: article:author, when not empty
        (
            '<meta property="article:author" content=""><meta property="article:author" '
            'content="上海证券报">',
            "",
            "上海证券报",
        ),
        ("", "<p>2005年8月25日</p>", ""),
    ],
)
def test_page_outlet(head: str, body: str, expected: str) -> None:
    doc = lxml.html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")
    assert page_outlet(doc) == expected


URL = "https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml"
LINK = f'<a href="{URL}" rel="noopener noreferrer">原文链接</a>'


@pytest.mark.parametrize(
    ("outlet", "url", "expected"),
    [
        ("新京报", URL, f"<p>来源：新京报 · {LINK}</p>"),
        (
            ' <img src=x onerror="alert(1)">{{ x }}\n新华社 ',
            URL,
            '<p>来源：&lt;img src=x onerror="alert(1)"&gt;&#123;&#123; x &#125;&#125; 新华社 · '
            f"{LINK}</p>",
        ),
        ("", URL, f"<p>{LINK}</p>"),
        # bidi overrides and zero-width characters could turn the line around (attack trial)
        ("\u202e新京\u200b报\u2066", URL, f"<p>来源：新京报 · {LINK}</p>"),
        # no outlet's name is that long: none rather than a wall of text
        ("新" * 61, URL, f"<p>{LINK}</p>"),
        ("新" * 60, URL, f"<p>来源：{'新' * 60} · {LINK}</p>"),
        ("新京报", "http://finance.sina.com.cn/a b.shtml", None),
        ("新京报", "https://finance.sina.com.cn.evil.example/a.shtml", None),
        ("新京报", "javascript:alert(1)//finance.sina.com.cn", None),
    ],
)
def test_credit_line(outlet: str, url: str, expected: str | None) -> None:
    assert credit_line(outlet, url) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "<p>　　原标题：旧</p>\n<blockquote><p>　　摘要。</p></blockquote>\n<p>来源：新华社</p>"
            "\n<p>　　正文一。</p>\n<p>　　正文二。</p>",
            "<p>　　原标题：旧</p>\n<blockquote><p>　　摘要。</p></blockquote>\n<p>来源：新华社</p>"
            "\n<p>　　正文一。</p>\n<!-- more -->\n<p>　　正文二。</p>",
        ),
        (
            '<div><p>表内。</p></div><p class="x"><strong>题</strong></p><p>　　<b>首</b>段。</p>',
            '<div><p>表内。</p></div><p class="x"><strong>题</strong></p><p>　　<b>首</b>段。</p>'
            "\n<!-- more -->",
        ),
        ("<div><p>　　只有内层。</p></div>", "<div><p>　　只有内层。</p></div>"),
        # quotes before the mark: entities (Volantis prints the excerpt into href="…")
        (
            '<p>　　<a href="https://finance.sina.com.cn/a">"甲"</a>乙\'丙</p>\n<p>"丁"</p>',
            '<p>　　<a href="https://finance.sina.com.cn/a">&quot;甲&quot;</a>乙&#39;丙</p>'
            '\n<!-- more -->\n<p>"丁"</p>',
        ),
        # a paragraph inside an inline element is not top-level: the mark never goes inside
        # the <a> (Hexo's excerpt would end with the link open over the index page)
        (
            '<a href="https://finance.sina.com.cn/a"><p>　　链内。</p></a><p>　　正文。</p>'
            "<p>　　二。</p>",
            '<a href="https://finance.sina.com.cn/a"><p>　　链内。</p></a><p>　　正文。</p>'
            "\n<!-- more --><p>　　二。</p>",
        ),
        (
            "<span><p>　　甲。</p></span><strong><p>　　乙。</p></strong>",
            "<span><p>　　甲。</p></span><strong><p>　　乙。</p></strong>",
        ),
    ],
)
def test_insert_more_after_the_first_real_top_level_paragraph(body: str, expected: str) -> None:
    assert insert_more(body) == expected


def test_summary_stays_inert() -> None:
    assert summary('<script>alert(1)</script>央行"降准"。', "") == "alert(1)央行“降准”。"
    assert summary("", "<p>&lt;img src=x onerror=alert(1)&gt;正文。</p>") == "正文。"


def test_feed_media_name_travels_through_the_redis_queue() -> None:
    (entry,) = parse_feed(
        '{"result": {"status": {"code": 0}, "data": [{"url": "https://finance.sina.com.cn/'
        'a/doc-ia.shtml", "title": "t", "ctime": "1", "media_name": "新京报"}]}}'
    )
    assert entry.media_name == "新京报"
    queued = dumps(Request(entry.url, cb_kwargs={"entry": entry}).to_dict())
    assert loads(queued)["cb_kwargs"]["entry"] == entry
    older = queued.replace(',"media_name":"新京报"'.encode(), b"")
    assert older != queued
    assert loads(older)["cb_kwargs"]["entry"].media_name == ""


def test_more_setting_changes_only_the_body_after_the_first_paragraph(
    replays: dict[str, dict[str, str]],
) -> None:
    off, on = replays[""], replays["SINACRAWL_MORE"]
    after = {
        "fxsktkp0000001.md": "新浪财经讯 5月25日凌晨消息，人民币兑美元中间价报6.5693。</p>\n",
        "kknscsi0000002.md": "<p>　　截至8月25日，沪深两市上市公司半年报已披露完毕。</p>\n",
        "kknscsi0000003.md": "<p>　　截至8月25日，沪深两市上市公司半年报已披露完毕。</p>\n",
        # the bold subheading is not the first paragraph
        "kyamrmz0151960.md": "省委常委会召开会议，深入学习贯彻中央经济工作会议精神。</p>\n",
    }
    assert sorted(on) == sorted(off) == sorted(after)
    for name, text in on.items():
        assert off[name].count(after[name]) == 1, name
        assert text == off[name].replace(after[name], after[name] + "<!-- more -->\n"), name


def test_credit_setting_adds_only_the_last_line(replays: dict[str, dict[str, str]]) -> None:
    off, on = replays[""], replays["SINACRAWL_CREDIT"]
    article = "https://finance.sina.com.cn/{}"
    credits = {
        # the feed's media_name beats the page's source line; the link is the feed's URL
        "fxsktkp0000001.md": "来源：中国证券报 · ",
        "kknscsi0000002.md": "",  # a 2005 page names no outlet
        "kknscsi0000003.md": "",
        "kyamrmz0151960.md": "来源：浙江日报 · ",  # .date-source's .source link
    }
    urls = {
        "fxsktkp0000001.md": "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/"
        "doc-ifxsktkp0000001.shtml",
        "kknscsi0000002.md": article.format("stock/2005-08-26/doc-ikknscsi0000002.shtml"),
        "kknscsi0000003.md": article.format("stock/2005-08-26/doc-ikknscsi0000003.shtml"),
        "kyamrmz0151960.md": URL,
    }
    assert sorted(on) == sorted(off) == sorted(credits)
    end = "\n</div>\n            "
    for name, text in on.items():
        line = (
            f'<p>{credits[name]}<a href="{urls[name]}" rel="noopener noreferrer">原文链接</a></p>'
        )
        assert text == off[name].removesuffix(end) + "\n" + line + end, name
    assert "'sinacrawl/credit/no_outlet': 2," in STATS["SINACRAWL_CREDIT"]
    assert "sinacrawl/credit/bad_url" not in STATS["SINACRAWL_CREDIT"]
    assert "sinacrawl/credit" not in STATS[""]


_OPT_IN_KEYS = re.compile(r"^(?:updated: .*\n|tags: \n(?: - .*\n)+|description: .*\n)", re.M)
_CREDIT = re.compile(
    r"\n<p>(?:来源：[^<]*· )?<a href=\"[^\"]+\" rel=\"noopener noreferrer\">原文链接</a></p>"
    r"(?=\n</div>\n {12}$)"
)
_FIGURE = re.compile(r"<figure>(<img [^>]*>)<figcaption>(.*?)</figcaption></figure>", re.S)


def _all_off(text: str) -> str:
    """A post written with every setting on, with each setting's change taken out again."""
    head, sep, body = text.partition("---\n\n<div>")
    excerpt, mark, rest = body.partition("\n<!-- more -->")
    if mark:  # the quotes insert_more wrote as entities in the text before the mark
        body = excerpt.replace("&quot;", '"').replace("&#39;", "'") + rest
    body = _FIGURE.sub(r"\1<span>\2</span>", _CREDIT.sub("", body))
    return _OPT_IN_KEYS.sub("", head) + sep + body


@pytest.fixture(scope="module")
def corpus_all_on(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The corpus replayed with every opt-in setting on."""
    require_shared(CORPUS)
    out = tmp_path_factory.mktemp("corpus-all-on")
    on = [arg for setting in ALL_ON for arg in ("-s", f"{setting}=1")]
    result = run_crawl("-a", "pages=3", "-s", f"REPLAY_DIR={CORPUS}", "-s", f"POSTS_DIR={out}", *on)
    assert result.returncode == 0, result.stderr[-3000:]
    return {p.name: p.read_text("utf-8") for p in sorted(out.glob("*.md"))}


def test_corpus_with_every_setting_on_differs_only_by_them(
    corpus_posts: Path, corpus_all_on: dict[str, str]
) -> None:
    off = {p.name: p.read_text("utf-8") for p in sorted(corpus_posts.glob("*.md"))}
    assert sorted(corpus_all_on) == sorted(off)
    assert {n: t for n, t in corpus_all_on.items() if _all_off(t) != off[n]} == {}
    counts = {
        "updated": sum("\nupdated: " in t for t in corpus_all_on.values()),
        "tags": sum("\ntags: \n" in t for t in corpus_all_on.values()),
        "description": sum("\ndescription: " in t for t in corpus_all_on.values()),
        "more": sum(t.count("\n<!-- more -->\n") for t in corpus_all_on.values()),
        "credit": sum(bool(_CREDIT.search(t)) for t in corpus_all_on.values()),
        "credit_outlet": sum("\n<p>来源：" in t for t in corpus_all_on.values()),
        "figure": sum(t.count("<figure>") for t in corpus_all_on.values()),
    }
    # every corpus post has keywords, text and an outlet; one entry has no plausible mtime
    assert counts == {
        "updated": 88,
        "tags": 89,
        "description": 89,
        "more": 89,
        "credit": 89,
        "credit_outlet": 89,
        "figure": 29,
    }
    # the keywords, then the stock list's names not among them (xmu-finance-bank-focus-2018-…)
    tags = yaml.safe_load(corpus_all_on["fyteqtq7774213.md"].split("\n---\n")[1])["tags"]
    assert tags == [
        *("王者荣耀", "信用卡", "平安银行", "民生银行", "发卡量"),
        *("浦发银行", "招商银行", "光大银行", "中信银行"),
    ]


def test_credit_without_a_sina_url_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No credit line for an article URL off Sina (the request guard lets none through; the
    pipeline checks again), a WARNING with the URL and ``sinacrawl/credit/bad_url``."""
    stats = StatsCollector(get_crawler())
    pipeline = BodyPipeline(stats, "", credit=True)
    url = "https://finance.sina.com.cn.evil.example/china/doc-ia.shtml"
    page = "<html><body><div id='artibody'><p>正文。</p></div></body></html>"
    item = ArticleItem(url=url, docid="a", page=b"", tree=lxml.html.fromstring(page))
    with caplog.at_level(logging.WARNING, logger="sinacrawl.pipelines"):
        assert pipeline.process_item(item).body == "<p>正文。</p>"
    assert stats.get_stats() == {"sinacrawl/credit/bad_url": 1}
    assert caplog.messages == [f"no credit line: not an http(s) Sina URL: {url}"]
