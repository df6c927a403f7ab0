"""Front-matter fields from a parsed Sina article page (SPEC section 2).

Small functions over an ``lxml.html`` tree, each returning ``None`` for "absent" rather than
raising; the selectors they use live in :mod:`sinacrawl.selectors`. :func:`parse_page` parses
only as much of the page as those functions need.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import lxml.etree
import lxml.html
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction

from sinacrawl import selectors
from sinacrawl.charset import Decoded
from sinacrawl.dates import parse_date_text, parse_iso, plausible
from sinacrawl.theme_safety import safe_title

__all__ = [
    "PageLimitError",
    "article_container",
    "headline_text",
    "og_image",
    "page_title",
    "parse_page",
    "published",
]

#: Bytes (or characters) fed to the parser at a time: at least 4 KB, and a sixteenth of what
#: was fed so far, so that the parse stops at most that far past the end of the article and a
#: long page takes few chunks (libxml2's push parser slows down quadratically over thousands
#: of small chunks: 4 KB chunks cost 38 ms/MB on a 10 MB page, 101 ms/MB on 20 MB).
_CHUNK = 4096
_CHUNK_SHARE = 16
#: Tags an ``#artibody`` element has on Sina's pages; another tag only costs the whole parse.
_CONTAINER_TAGS = ("div", "article", "section")
#: lxml.html's element classes, chosen in C (``HtmlElementClassLookup`` calls Python for every
#: element; its form-specific classes are of no use here).
_HTML_ELEMENTS = lxml.etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)

#: Invisible characters: a headline made only of them is no headline (issue 11, ``no_title``).
_ZERO_WIDTH = re.compile("[\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")


class PageLimitError(ValueError):
    """A page libxml2 stopped parsing part-way because it hit one of its resource limits
    (content nested deeper than 256 elements, a text node over 10,000,000 bytes): the tree
    would silently lack the rest of the article (issue 13 item 14).
    """


def _check_limits(log: Any) -> None:
    """Raise :class:`PageLimitError` when ``log`` (a parser's error log) holds a
    resource-limit error; lxml's HTML parsers otherwise recover silently from it.
    """
    for error in log:
        if error.type == lxml.etree.ErrorTypes.ERR_RESOURCE_LIMIT:
            raise PageLimitError(f"libxml2 stopped parsing: {error.message.strip()}")


def headline_text(raw: str) -> str:
    """A headline as the post's title: :func:`~sinacrawl.theme_safety.safe_title`.

    Real Sina headlines hold no markup, and themes such as Volantis print the title unescaped
    into the page (a ``<script>`` there would run on the user's site). Text like ``<净流入>``,
    which no browser reads as a tag, is kept. Zero-width and direction-mark characters go, so
    a headline of only those is empty (issue 11).

    >>> headline_text("央行 <script>alert(1)</script> 降准 <净流入>")
    '央行 alert(1) 降准 <净流入>'
    >>> headline_text("\u200b\u200d\ufeff")
    ''
    """
    return safe_title(_ZERO_WIDTH.sub("", raw))


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
    first visible date text (``2021年12月21日 14:56``, Beijing). A time that is not
    :func:`~sinacrawl.dates.plausible` (year 9999, year 1) counts as absent. ``None`` when
    none is left.
    """
    for value in selectors.PUBLISHED_TIME(doc):
        moment = parse_iso(str(value))
        if moment and plausible(moment):
            return moment
    for node in selectors.DATE_TEXT(doc):
        moment = parse_date_text(node.text_content())
        if moment and plausible(moment):
            return moment
    return None


def _first_og_image(doc: HtmlElement) -> str | None:
    return next((url for url in (str(v).strip() for v in selectors.OG_IMAGE(doc)) if url), None)


def og_image(doc: HtmlElement) -> str | None:
    """The page's ``og:image`` as it is written (possibly protocol-relative), or ``None`` when
    it has none or it is one of Sina's ``n.sinaimg.cn/default/`` placeholders (SPEC section 2).
    Sina pages carry one; of several, the first (Open Graph's primary image) is the one.
    """
    url = _first_og_image(doc)
    return None if url is None or selectors.PLACEHOLDER_IMAGE.match(url) else url


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


def _settled(doc: HtmlElement, container: HtmlElement) -> bool:
    """Do the lookups on ``doc``, a page cut right after ``container`` closed, answer exactly
    as on the whole page? Yes when each answers from its first choice (a first match in document
    order stays first however the page goes on) and the headline element is complete (the only
    elements still open at the cut are the container's ancestors).
    """
    first = article_container(doc)
    if first is None or first is not container:
        return False  # an earlier #artibody encloses this one and is still open
    open_elements = set(first.iterancestors())
    for node in selectors.TITLE[0](doc):
        if node in open_elements:
            return False
        if headline_text(node.text_content()):
            break
    else:
        return False
    times = (parse_iso(str(value)) for value in selectors.PUBLISHED_TIME(doc))
    if not any(moment and plausible(moment) for moment in times):
        return False
    return _first_og_image(doc) is not None


def parse_page(page: Decoded, body: bytes) -> HtmlElement:
    """Parse a page (``body``, decoded by :func:`~sinacrawl.charset.decode_page` as ``page``)
    for this module's lookups: the tree ``lxml.html.document_fromstring(page.text)`` builds, or
    only its beginning when that gives every lookup the same answer.

    The page is fed to lxml's push parser in growing chunks (its bytes when they are clean
    UTF-8, which libxml2 reads fastest; else the text) until the first ``#artibody`` closes:
    on Sina's finance template that is two thirds into the page, before comments, related news
    and footer. The beginning is kept when :func:`_settled` shows the lookups cannot change;
    otherwise, and on templates without ``#artibody``, the rest is parsed too. The tree is
    only ever shorter, never different: a test compares both on every corpus page. Raises what
    ``document_fromstring`` raises (:class:`lxml.etree.ParserError`, :class:`ValueError`), and
    :class:`PageLimitError` when libxml2 gave up on part of the page.
    """
    data: str | bytes = page.text
    encoding = None
    if page.encoding == "utf-8" and not page.replaced:
        data, encoding = body, "utf-8"
    parser = lxml.etree.HTMLPullParser(events=("end",), tag=_CONTAINER_TAGS, encoding=encoding)
    parser.set_element_class_lookup(_HTML_ELEMENTS)
    try:
        fed = 0
        while fed < len(data):
            end = fed + max(_CHUNK, fed // _CHUNK_SHARE)
            parser.feed(data[fed:end])
            fed = end
            ended = [node for _, node in parser.read_events() if node.get("id") == "artibody"]
            if ended:
                if _settled(ended[0].getroottree().getroot(), ended[0]):
                    return _closed(parser)
                parser.feed(data[fed:])
                break
        return _closed(parser)
    except lxml.etree.LxmlError:
        fallback = lxml.html.HTMLParser()
        doc = lxml.html.document_fromstring(page.text, parser=fallback)
        _check_limits(fallback.error_log)
        return doc


def _closed(parser: lxml.etree.HTMLPullParser) -> HtmlElement:
    doc: HtmlElement | None = parser.close()
    _check_limits(parser.feed_error_log)
    if doc is None:
        raise lxml.etree.ParserError("Document is empty")
    return doc
