"""The cheaper forms perf11 gave the cleaning answer exactly as the forms they replaced."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import lxml.etree
import lxml.html
import pytest
from lxml.html import tostring

from sinacrawl import selectors, widgets
from sinacrawl.clean import (
    _PROMO_MAX_CHARS,
    _collapse_line_breaks,
    _drop_empty,
    _has_article_text,
    _remove_clutter,
    _remove_control_characters,
    _serialise,
)
from sinacrawl.extract import _elements, _meta_contents, article_container
from sinacrawl.nodetext import text_of
from sinacrawl.selectors import PROMO_SENTENCE, PROMO_TEXT, is_marked, is_player_mark
from sinacrawl.widgets import (
    has_promo_sentence,
    has_video_player,
    is_promo_paragraph,
    may_hold_promo_paragraph,
)
from tests.conftest import CORPUS

#: What _collapse_line_breaks replaced (clean.py before perf11).
LINE_BREAK = re.compile(r"(?<![ \t\r\f\v])[ \t\r\f\v]*\n[ \t\r\n\f\v]*")
FIXTURES = Path(__file__).parent / "fixtures"


def test_line_breaks_collapse_as_the_regex_did() -> None:
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice("ab \t\n\r\f\v<>") for _ in range(rng.randrange(0, 40)))
        assert _collapse_line_breaks(text) == LINE_BREAK.sub("\n", text), repr(text)


def test_line_breaks_in_long_white_space_stay_linear() -> None:
    text = "<p>a</p>" + " " * 400_000 + "\n" + " \n" * 200_000 + "<p>b</p>"
    start = time.process_time()
    assert _collapse_line_breaks(text) == "<p>a</p>\n<p>b</p>"
    assert time.process_time() - start < 0.5


#: Pieces of Sina's promo sentences and of ordinary text, put together at random.
_PIECES = (
    "新浪财经", "黑猫投诉", "金融曝光台", "新浪众测", "尽在", "APP", "app", "下载", "打开",
    "客户端", "点击", "进入", "欢迎", "平台", "投诉入口", "免费试用", "申请试用", "。", "！", "\n",
    "成交额", "突破万亿元", "市场", " ", "x" * 15,
)  # fmt: skip


def test_promo_sentences_are_found_as_the_whole_pattern_finds_them() -> None:
    rng = random.Random(16)
    found = 0
    for _ in range(5000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(0, 30)))
        expected = PROMO_SENTENCE.search(text) is not None
        assert has_promo_sentence(text) is expected, text
        found += expected
    assert 500 < found < 4500  # both answers were tried often


def _pages() -> list[Path]:
    pages = sorted(FIXTURES.rglob("*.htm*")) + sorted(FIXTURES.rglob("*.shtml"))
    return pages + (sorted((CORPUS / "pages").glob("*.htm*")) if CORPUS.exists() else [])


def _container(path: Path) -> lxml.html.HtmlElement | None:
    try:
        return article_container(lxml.html.document_fromstring(path.read_bytes()))
    except lxml.etree.ParserError:  # an empty page
        return None


@pytest.mark.parametrize(
    "path", [p for p in _pages() if _container(p) is not None], ids=lambda path: path.name
)
def test_a_body_serialises_as_its_children_did(path: Path) -> None:
    container = _container(path)
    assert container is not None
    children = (container.text or "") + "".join(
        tostring(child, encoding="unicode", with_tail=True) for child in container
    )
    attributes = dict(container.attrib)
    assert _serialise(container) == children
    assert dict(container.attrib) == attributes


def _mentions(name: str, *attributes: str) -> str:
    spellings = (name, name.capitalize(), name.upper())
    return " or ".join(f"contains({a}, '{s}')" for a in attributes for s in spellings)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


#: The XPath is_marked replaced (selectors.py before perf11).
REMOVE_MARKED = lxml.etree.XPath(
    "descendant::*[@class or @id or @data-sudaclick]["
    + " or ".join(
        f"({test})"
        for test in (
            _has_class("appendQr_wrap"),
            "contains(@class, 'kaihu') or contains(@id, 'kaihu')",
            "starts-with(@class, 'finance_app_') or contains(@class, ' finance_app_')",
            "self::span and starts-with(@id, 'quote_')",
            _has_class("ct_hqimg"),
            "starts-with(@id, 'ad_')",
            _has_class("otherContent_01"),
            _has_class("article-notice"),
            "@data-sudaclick='suda_1028_guba'",
            _mentions("video", "@class", "@id"),
            _mentions("player", "@class", "@id"),
            "@id='wx_pic'",
            "contains(@class, 'miaopai')",
        )
    )
    + "]"
)
#: The XPath is_player_mark replaced.
VIDEO_PLAYER = lxml.etree.XPath(
    "descendant::*[@class or @id]"
    f"[{_mentions('video', '@class', '@id')} or {_mentions('player', '@class', '@id')}"
    " or contains(@class, 'miaopai')]"
)


def _marks(root: lxml.html.HtmlElement) -> tuple[list[object], list[object]]:
    marked, players = [], []
    for node in root.iterdescendants(lxml.etree.Element):
        cls, ident = node.get("class") or "", node.get("id") or ""
        if is_marked(node.tag, cls, ident, node.get("data-sudaclick") or ""):
            marked.append(node)
        if is_player_mark(cls, ident):
            players.append(node)
    return marked, players


def test_marks_are_read_as_the_xpath_read_them_in_every_article() -> None:
    for path in _pages():
        try:
            container = article_container(lxml.html.document_fromstring(path.read_bytes()))
        except lxml.etree.ParserError:
            continue
        if container is not None:
            assert _marks(container) == (REMOVE_MARKED(container), VIDEO_PLAYER(container))


_MARK_PIECES = (
    "appendQr_wrap", "kaihu", "finance_app_x", "quote_", "ct_hqimg", "ad_", "otherContent_01",
    "article-notice", "suda_1028_guba", "video", "Video", "VIDEO", "viDeo", "player", "PLAYER",
    "wx_pic", "miaopai", "x", " ", "\t", "\n", "\u3000", "\xa0", "adv", "quote", "wx_pi", "miao",
)  # fmt: skip


def test_marks_are_read_as_the_xpath_read_them_on_random_attributes() -> None:
    rng = random.Random(13)
    root = lxml.html.fragment_fromstring("<div></div>")
    for _ in range(3000):
        node = lxml.etree.SubElement(root, rng.choice(("div", "span", "p")))
        for name in ("class", "id", "data-sudaclick"):
            if rng.random() < 0.6:
                node.set(name, "".join(rng.choice(_MARK_PIECES) for _ in range(rng.randrange(3))))
    marked, players = _marks(root)
    assert marked == REMOVE_MARKED(root) and players == VIDEO_PLAYER(root)
    assert 300 < len(marked) < 2700 and len(players) > 100


#: The XPaths the page lookups replaced (selectors.py before perf11), by what they find.
LOOKUPS = {
    ("h1", "class", "main-title"): lxml.etree.XPath(f"//h1[{_has_class('main-title')}]"),
    ("h1", "id", "artibodyTitle"): lxml.etree.XPath("//h1[@id='artibodyTitle']"),
}
METAS = {
    name: lxml.etree.XPath(f"//meta[@property='{name}']/@content")
    for name in ("og:title", "og:image", "article:published_time")
}


def test_page_lookups_find_what_the_xpaths_found_on_every_page() -> None:
    extra = (
        '<h1 class="a\tmain-title">x</h1><h1 class="main-title\u3000b">y</h1>'
        '<meta property="og:image"><meta property="og:image" content="">'
    )
    docs = [lxml.html.document_fromstring(f"<html><head></head><body>{extra}</body></html>")]
    for path in _pages():
        try:
            docs.append(lxml.html.document_fromstring(path.read_bytes()))
        except lxml.etree.ParserError:
            continue
    for doc in docs:
        body = doc.find("body")
        for where in (doc, body) if body is not None else (doc,):
            for key, xpath in LOOKUPS.items():
                assert list(_elements(where, *key)) == xpath(doc)
            for name, xpath in METAS.items():
                assert list(_meta_contents(where, name)) == [str(v) for v in xpath(doc)]


# --- issue 16: long articles ---------------------------------------------------------------


def _old_remove_clutter(container: lxml.html.HtmlElement) -> None:
    """clean._remove_clutter before issue 16: every element's attributes read in Python, every
    block's text checked, the whole text read again by each pass."""
    widgets.unwrap_void_containers(container)
    doomed = list(container.iterdescendants(*selectors.REMOVE_TAGS, lxml.etree.Comment))
    for node in container.iterdescendants(lxml.etree.Element):
        cls, ident, suda = node.get("class"), node.get("id"), node.get("data-sudaclick")
        marked = (cls or ident or suda) and is_marked(node.tag, cls or "", ident or "", suda or "")
        if marked or widgets.hides(node):
            doomed.append(node)
    for node in doomed:
        if node.getparent() is not None:
            node.drop_tree()
    for node in list(container.iterdescendants(*selectors.PROMO_BLOCK_TAGS)):
        text = "".join(text_of(node).split())
        promotional = len(text) <= _PROMO_MAX_CHARS and is_promo_paragraph(text)
        if promotional and node.getparent() is not None:
            node.drop_tree()
    widgets.remove_video_players(container)
    widgets.remove_link_boxes(container)
    widgets.remove_promo_sentences(container)
    widgets.unwrap_keyword_links(container)


def _old_has_video_player(container: lxml.html.HtmlElement) -> bool:
    """widgets.has_video_player before issue 16: every element's marks read in Python."""
    for node in container.iterdescendants(lxml.etree.Element):
        if is_player_mark(node.get("class") or "", node.get("id") or ""):
            return True
    return any(
        widgets._on_hosts(img.get("src") or "", selectors.VIDEO_POSTER_HOSTS)
        for img in selectors.IMAGES(container)
    )


def _old_drop_empty(container: lxml.html.HtmlElement) -> None:
    """clean._drop_empty before issue 16: the text of every element read."""
    for node in reversed(list(container.iterdescendants(*selectors.EMPTY_TAGS))):
        empty = not text_of(node).strip() and not selectors.KEEP_EMPTY(node)
        if empty and node.getparent() is not None:
            node.drop_tree()


#: The editor check before issue 16 (clean_body: no text when this left nothing).
OLD_EDITOR = re.compile(r"责任编辑[:：]\S*")


def _old_has_article_text(container: lxml.html.HtmlElement) -> bool:
    return bool(OLD_EDITOR.sub("", "".join(text_of(container).split())))


#: Texts and markup of Sina's widgets, promotions, marks and white space, for random articles.
_WHITE_SPACE = (" ", "\t", "\n", "\r", "\xa0", "\u3000", "\u2028", "\u2003", "\x85", "\u200b")
_TEXTS = (
    "新浪财经", "海量资讯、精准解读，尽在新浪财经APP", "下载新浪财经APP，获取更多解读",
    "进入【新浪财经股吧】讨论", "点击进入专题：聚焦", "炒股就看金麒麟分析师研报", "【点击投票】",
    "新浪财经体验官", "新 浪\u3000财 经APP", "视频加载中，请稍候", "自动播放", "play", "向前",
    "。", "成交额突破万亿元", "责任编辑：张三", "责任 编辑 ：", "点击进入黑猫投诉", "x", "金" * 170,
)  # fmt: skip
_TAGS = ("p", "div", "span", "strong", "b", "font", "center", "blockquote", "a", "li", "table")
_ATTRIBUTES = (
    'class="appendQr_wrap"', 'class="keyword"', 'class="fin_reference"', 'class="x"',
    'class="article-editor"', 'id="ad_1"', 'id="wx_pic"', 'id="J_Article_Player"',
    'style="display:none"', 'style="color:red"', "hidden", 'data-sudaclick="suda_1028_guba"',
    'href="https://zhongce.sina.com.cn/x"', 'href="https://tousu.sina.com.cn/"',
    'href="https://example.com/a"',
)  # fmt: skip
_VOIDS = (
    '<img src="//n.sinaimg.cn/a.jpg">', '<img src="http://p.ivideo.sina.com.cn/v.jpg">', "<br>",
    "<hr>", "<!-- c -->", "<script>新浪财经</script>", "<embed src=x>",
)  # fmt: skip


def _random_text(rng: random.Random) -> str:
    pieces = (rng.choice(_WHITE_SPACE + _TEXTS) for _ in range(rng.randrange(4)))
    return "".join(pieces)


def _random_node(rng: random.Random, depth: int) -> str:
    tag = rng.choice(_TAGS)
    attributes = "".join(" " + a for a in _ATTRIBUTES if rng.random() < 0.08)
    inner = _random_text(rng)
    for _ in range(rng.randrange(4) if depth < 4 else 0):
        inner += _random_node(rng, depth + 1) if rng.random() < 0.7 else rng.choice(_VOIDS)
        inner += _random_text(rng)
    return f"<{tag}{attributes}>{inner}</{tag}>{_random_text(rng)}"


_PAGE = '<html><head><meta charset="utf-8"></head><body><div id="artibody">{}</div></body></html>'


def _random_articles(count: int) -> list[str]:
    rng = random.Random(16)
    bodies = (
        "".join(_random_node(rng, 0) for _ in range(rng.randrange(1, 5))) for _ in range(count)
    )
    return [_PAGE.format(body) for body in bodies]


#: Text that only reads as a player's label or a promo sentence once a promotional paragraph,
#: a player's label or a link box inside it is gone (the whole text must be read again).
_JOINED = (
    "<div>自动<div>海量资讯、精准解读，尽在新浪财经APP</div>播放</div>",
    "<div>下载新浪<div>进入【新浪财经股吧】讨论</div>财经APP。正文。</div>",
    "<div>打开新浪<span>视频加载中</span>财经客户端。正文。</div>",
    '<div>下载新浪<blockquote class="fin_reference"><a href="https://finance.sina.com.cn/a.shtml">'
    "相关新闻</a></blockquote>财经APP。正文。</div>",
)


def _articles() -> list[bytes]:
    pages = [path.read_bytes() for path in _pages()]
    joined = [_PAGE.format(body) for body in _JOINED]
    return pages + [article.encode() for article in joined + _random_articles(800)]


def _article(page: bytes) -> lxml.html.HtmlElement | None:
    try:
        return article_container(lxml.html.document_fromstring(page))
    except lxml.etree.ParserError:
        return None


def test_clutter_and_empty_elements_go_as_before_issue_16() -> None:
    promo = empty = players = 0
    for page in _articles():
        new, old = _article(page), _article(page)
        if new is None or old is None:
            continue
        _remove_control_characters(new)  # clean_body's first step (the fixtures have some)
        _remove_control_characters(old)
        before = len(old.xpath("descendant::*"))
        readable = "新浪财经" in text_of(old)  # decoded as UTF-8
        assert has_video_player(new) is _old_has_video_player(old)
        players += has_video_player(new)
        _remove_clutter(new)
        _old_remove_clutter(old)
        assert tostring(new, encoding="unicode") == tostring(old, encoding="unicode")
        promo += readable and len(old.xpath("descendant::*")) < before
        middle = len(old.xpath("descendant::*"))
        _drop_empty(new)
        _old_drop_empty(old)
        assert tostring(new, encoding="unicode") == tostring(old, encoding="unicode")
        empty += len(old.xpath("descendant::*")) < middle
        assert _has_article_text(new) is _old_has_article_text(old)
    assert promo > 300 and empty > 150 and players > 100  # each answer was tried often


#: The XPaths IMAGES and LINKS replaced (selectors.py before issue 16).
OLD_IMAGES, OLD_LINKS = lxml.etree.XPath(".//img"), lxml.etree.XPath(".//a[@href]")


def test_images_and_links_are_found_as_before_issue_16() -> None:
    found = 0
    for page in _articles()[::4]:
        container = _article(page)
        for node in () if container is None else container.iter(lxml.etree.Element):
            assert selectors.IMAGES(node) == OLD_IMAGES(node)
            assert selectors.LINKS(node) == OLD_LINKS(node)
            found += len(selectors.LINKS(node))
    assert found > 200


def test_the_editor_check_reads_as_the_regex_did() -> None:
    rng = random.Random(161)
    pieces = (
        "责任",
        "编辑",
        "：",
        ":",
        "张三",
        " ",
        "\u3000",
        "\n",
        "<b>",
        "</b>",
        "<!--c-->",
        "x",
    )
    answers = set()
    for _ in range(3000):
        inner = "".join(rng.choice(pieces) for _ in range(rng.randrange(8)))
        try:
            div = lxml.html.fragment_fromstring(f"<div>{inner}</div>")
        except lxml.etree.ParserError:
            continue
        expected = _old_has_article_text(div)
        assert _has_article_text(div) is expected, inner
        answers.add(expected)
    assert answers == {True, False}


def test_a_promotional_paragraph_always_holds_the_characters_of_a_word() -> None:
    rng = random.Random(162)
    found = 0
    for _ in range(20000):
        text = "".join(rng.choice(_TEXTS + _WHITE_SPACE) for _ in range(rng.randrange(1, 4)))
        stripped = "".join(text.split())
        if PROMO_TEXT.match(stripped) or is_promo_paragraph(stripped):
            found += 1
            assert may_hold_promo_paragraph(text) and may_hold_promo_paragraph(stripped), text
    assert found > 500
