"""The body's Markdown layout (SPEC section 3a): what Hexo's filters must never see."""

from __future__ import annotations

from sinacrawl.clean import layout


def test_tilde_runs_cannot_open_a_hexo_code_fence() -> None:
    # Hexo 8's backtick_code_block filter turned this <pre> into an escaped code block.
    assert layout("<pre>表头\n~~~~\n数据\n~~~~\n合计</pre>") == (
        "<pre>表头\n&#126;&#126;&#126;~\n数据\n&#126;&#126;&#126;~\n合计</pre>"
    )
    assert layout("<p>甲<br>\n~~~\n乙<br>\n~~~\n丙</p>") == (
        "<p>甲<br>\n&#126;&#126;~\n乙<br>\n&#126;&#126;~\n丙</p>"
    )


def test_a_single_tilde_stays_as_written() -> None:
    assert layout("<p>区间 3~5%，~ 开头</p>") == "<p>区间 3~5%，~ 开头</p>"


def test_braces_and_backticks_become_entities() -> None:
    assert layout("<p>{{ a }} {% b %} {# c #} ```</p>") == (
        "<p>&#123;&#123; a &#125;&#125; &#123;% b %&#125; &#123;# c #&#125; &#96;&#96;&#96;</p>"
    )
