"""Front-matter fields from a parsed Sina article page (SPEC section 2).

Small functions over an ``lxml.html`` tree, each returning ``None`` for "absent" rather than
raising; the selectors they use live in :mod:`sinacrawl.selectors`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml.html import HtmlElement

from sinacrawl import selectors
from sinacrawl.dates import parse_date_text, parse_iso
from sinacrawl.post import clean_value

__all__ = ["article_container", "headline_text", "og_image", "page_title", "published"]

# Regex over text already extracted: an HTML tag spelled out in a headline ("&lt;script&gt;").
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]*>")


def headline_text(raw: str) -> str:
    """A headline as the post's title: one clean line, with tag-like ``<x …>`` runs removed.

    Real Sina headlines hold no markup, and themes such as Volantis print the title unescaped
    into the page (a ``<script>`` there would run on the user's site). Text like ``<净流入>``,
    which no browser reads as a tag, is kept.

    >>> headline_text("央行 <script>alert(1)</script> 降准 <净流入>")
    '央行 alert(1) 降准 <净流入>'
    """
    return clean_value(_TAG_LIKE.sub("", raw))


def _first_text(values: list[Any]) -> str | None:
    for value in values:
        text = headline_text(str(value))
        if text:
            return text
    return None


def page_title(doc: HtmlElement) -> str | None:
    """The headline: ``h1.main-title`` (or the 2016 ``h1#artibodyTitle``), else ``og:title``.

    Entities are decoded by the parser; white space is collapsed. ``None`` when neither exists.
    """
    for xpath in selectors.TITLE:
        title = _first_text([node.text_content() for node in xpath(doc)])
        if title:
            return title
    return _first_text(selectors.OG_TITLE(doc))


def published(doc: HtmlElement) -> datetime | None:
    """Publication time: ``article:published_time`` (ISO 8601; no offset = Beijing), else the
    first visible date text (``2021年12月21日 14:56``, Beijing). ``None`` when neither parses.
    """
    for value in selectors.PUBLISHED_TIME(doc):
        moment = parse_iso(str(value))
        if moment:
            return moment
    for node in selectors.DATE_TEXT(doc):
        moment = parse_date_text(node.text_content())
        if moment:
            return moment
    return None


def og_image(doc: HtmlElement) -> str | None:
    """A real ``og:image`` (not one of Sina's ``n.sinaimg.cn/default/`` placeholders) as it is
    written on the page (possibly protocol-relative), or ``None``.
    """
    for value in selectors.OG_IMAGE(doc):
        url = str(value).strip()
        if url and not selectors.PLACEHOLDER_IMAGE.match(url):
            return url
    return None


def article_container(doc: HtmlElement) -> HtmlElement | None:
    """The article element: the first of ``#artibody``, ``#article``, the mobile
    ``section.art_content`` that exists (never an ancestor such as ``#article_content``).
    """
    for xpath in selectors.CONTAINER:
        found = xpath(doc)
        if found:
            node: HtmlElement = found[0]
            return node
    return None
