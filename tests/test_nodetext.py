"""text_of is text_content(), element for element (perf11: the cleaning reads texts through it)."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from sinacrawl.nodetext import text_of
from tests.conftest import CORPUS

FIXTURES = Path(__file__).parent / "fixtures"


def _pages() -> list[Path]:
    pages = sorted(FIXTURES.rglob("*.htm*")) + sorted(FIXTURES.rglob("*.shtml"))
    return pages + (sorted((CORPUS / "pages").glob("*.htm*")) if CORPUS.exists() else [])


def test_text_of_is_text_content_on_every_element_of_every_page() -> None:
    checked = 0
    for path in _pages():
        try:
            doc = lxml.html.document_fromstring(path.read_bytes())
        except lxml.etree.ParserError:
            continue  # an empty fixture
        for node in doc.iter(lxml.etree.Element):
            assert text_of(node) == node.text_content(), (path.name, node.tag)
            checked += 1
    assert checked > 1_000


@pytest.mark.parametrize(
    "markup",
    [
        "<div>a<!-- c -->b<?pi x?>c</div>",
        "<div></div>",
        "<div>&amp;&lt;&#0;&#x1F600;x<br>y</div>",
        "<div><script>s</script><style>t</style><p>　\xa0</p></div>",
    ],
)
def test_text_of_comments_entities_scripts_and_white_space(markup: str) -> None:
    node = lxml.html.fragment_fromstring(markup)
    assert text_of(node) == node.text_content()
