"""The cheaper forms perf11 gave the cleaning answer exactly as the forms they replaced."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import lxml.html
import pytest
from lxml.html import tostring

from sinacrawl.clean import _collapse_line_breaks, _serialise
from sinacrawl.extract import article_container
from sinacrawl.selectors import PROMO_SENTENCE
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


@pytest.mark.parametrize("path", _pages(), ids=lambda path: path.name)
def test_a_body_serialises_as_its_children_did(path: Path) -> None:
    try:
        container = article_container(lxml.html.document_fromstring(path.read_bytes()))
    except lxml.etree.ParserError:
        pytest.skip("an empty page")
    if container is None:
        pytest.skip("no article container")
    children = (container.text or "") + "".join(
        tostring(child, encoding="unicode", with_tail=True) for child in container
    )
    attributes = dict(container.attrib)
    assert _serialise(container) == children
    assert dict(container.attrib) == attributes
