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

from sinacrawl.clean import _collapse_line_breaks, _serialise
from sinacrawl.extract import _elements, _meta_contents, article_container
from sinacrawl.selectors import PROMO_SENTENCE, is_marked, is_player_mark
from sinacrawl.widgets import has_promo_sentence
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
