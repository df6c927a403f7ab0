"""The credit line at the end of a post (issue 15 item 5, ``SINACRAWL_CREDIT``):
``来源：<outlet> · 原文链接``, the outlet as text and 原文链接 linking the Sina article.
"""

from __future__ import annotations

import unicodedata
from html import escape

from sinacrawl.clean import sanitize
from sinacrawl.post import clean_value
from sinacrawl.theme_safety import attribute_url
from sinacrawl.urlguard import url_problem

__all__ = ["credit_line"]

#: The link text of the article's URL.
LINK_TEXT = "原文链接"
#: The longest outlet name kept, in characters (media names are short: ``新京报``,
#: ``21世纪经济报道``); a longer one is no outlet's name.
OUTLET_LIMIT = 60


def credit_line(outlet: str, url: str) -> str | None:
    """The credit paragraph of the article at ``url``, as sanitized body HTML (the body's nh3
    allowlist and layout, :func:`~sinacrawl.clean.sanitize`, which gives links
    ``rel="noopener noreferrer"``): ``<p>来源：新京报 · <a href="…">原文链接</a></p>``.
    ``outlet`` (the feed's ``media_name``, else the page's source line,
    :func:`~sinacrawl.optin.page_outlet`) is one line of text, HTML-escaped: markup in it
    shows as written and runs nothing; format characters (bidi overrides, zero-width) are
    dropped, since they could turn the line around; an empty one, or one over
    :data:`OUTLET_LIMIT` characters, leaves ``<p><a href="…">原文链接</a></p>``.
    ``url`` must be an http(s) URL on a Sina host (:func:`~sinacrawl.urlguard.url_problem`) that
    can stand in an attribute (:func:`~sinacrawl.theme_safety.attribute_url`); ``None`` when it
    is not (the caller counts and logs it).

    >>> print(credit_line("<b>新京报</b>", "https://finance.sina.com.cn/a'.shtml"))
    ... # doctest: +NORMALIZE_WHITESPACE
    <p>来源：&lt;b&gt;新京报&lt;/b&gt; · <a href="https://finance.sina.com.cn/a%27.shtml"
    rel="noopener noreferrer">原文链接</a></p>
    >>> credit_line("新京报", "javascript:alert(1)//sina.com.cn") is None
    True
    """
    href = attribute_url(url)
    if url_problem(url) is not None or href is None:
        return None
    link = f'<a href="{escape(href)}">{LINK_TEXT}</a>'
    name = "".join(ch for ch in clean_value(outlet) if unicodedata.category(ch) != "Cf")
    if len(name) > OUTLET_LIMIT:
        name = ""
    text = f"来源：{escape(name, quote=False)} · {link}" if name else link
    return sanitize(f"<p>{text}</p>")
