"""Front-matter fields from a parsed Sina article page (SPEC section 2).

Small functions over an ``lxml.html`` tree, each returning ``None`` for "absent" rather than
raising; the selectors they use live in :mod:`sinacrawl.selectors`. :func:`parse_page` parses
only as much of the page as those functions need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, AnyStr

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

#: The start tag of the element with ``id="artibody"`` (any quoting, any case) and its tag
#: name; Sina's pages write it on a ``div`` (``article``/``section`` are allowed too).
_ARTIBODY_START = r"""<(div|article|section)\b[^>]*?\bid\s*=\s*["']?artibody(?=["'\s/>])"""
#: Bytes (or characters) parsed past the article's end tag, so that the tree shows something
#: after the article: proof that a complete end tag closed it (at the end of its input the
#: parser drops a cut tag and puts cut text inside the innermost open element).
_MARGIN = 512
#: lxml.html's element classes, chosen in C (``HtmlElementClassLookup`` calls Python for every
#: element; its form-specific classes are of no use here).
_HTML_ELEMENTS = lxml.etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)

#: XML's white space, on which XPath's ``normalize-space`` (and so a class test) splits.
_XML_SPACE = str.maketrans("\t\n\r", "   ")
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


def _first_text(values: Iterable[str]) -> str | None:
    for value in values:
        text = headline_text(value)
        if text:
            return text
    return None


def _elements(doc: HtmlElement, tag: str, attribute: str, value: str) -> Iterator[HtmlElement]:
    """The page's ``tag`` elements whose ``attribute`` is ``value`` (for ``class``: holds the
    word ``value``, the list split on XML white space as XPath's ``normalize-space`` does), in
    document order, found as they are asked for: a caller that stops at the first walks the page
    only that far."""
    for node in doc.getroottree().iter(tag):
        found = node.get(attribute)
        if found is None:
            continue
        if found == value or (
            attribute == "class" and value in found.translate(_XML_SPACE).split(" ")
        ):
            yield node


def _meta_contents(doc: HtmlElement, name: str) -> Iterator[str]:
    """The ``content`` of each ``<meta property="name">`` of the page, in document order, found
    as asked for (:func:`_elements`)."""
    for meta in _elements(doc, "meta", "property", name):
        content = meta.get("content")
        if content is not None:
            yield content


def page_title(doc: HtmlElement) -> str | None:
    """The headline: ``h1.main-title`` (or the 2016 ``h1#artibodyTitle``), else ``og:title``.

    Entities are decoded by the parser; white space is collapsed. ``None`` when neither exists.
    """
    for tag, attribute, value in selectors.TITLE:
        title = _first_text(node.text_content() for node in _elements(doc, tag, attribute, value))
        if title:
            return title
    return _first_text(_meta_contents(doc, selectors.OG_TITLE))


def published(doc: HtmlElement) -> datetime | None:
    """Publication time: ``article:published_time`` (ISO 8601; no offset = Beijing), else the
    first visible date text (``2021年12月21日 14:56``, Beijing). A time that is not
    :func:`~sinacrawl.dates.plausible` (year 9999, year 1) counts as absent. ``None`` when
    none is left.
    """
    for value in _meta_contents(doc, selectors.PUBLISHED_TIME):
        moment = parse_iso(value)
        if moment and plausible(moment):
            return moment
    for node in selectors.DATE_TEXT(doc):
        moment = parse_date_text(node.text_content())
        if moment and plausible(moment):
            return moment
    return None


def _first_og_image(doc: HtmlElement) -> str | None:
    urls = (value.strip() for value in _meta_contents(doc, selectors.OG_IMAGE))
    return next((url for url in urls if url), None)


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


def _open_at_end(doc: HtmlElement) -> set[HtmlElement]:
    """The elements of ``doc`` that may still have been open where its input stopped: the
    path from the root down through each last child (a stack-built tree is only ever extended
    there; an element on it may also have closed just before the end, which only errs on the
    cautious side).
    """
    path = {doc}
    node = doc
    while len(node):
        node = node[-1]
        path.add(node)
    return path


def _settled(doc: HtmlElement, container: HtmlElement) -> bool:
    """Do the lookups on ``doc``, the tree of a beginning of the page, answer exactly as on the
    whole page? Yes when ``container`` is the first container and complete (something follows
    it), each lookup answers from its first choice (a first match in document order stays first
    however the page goes on) and the headline element is complete (not on the tree's open
    end, :func:`_open_at_end`).
    """
    if article_container(doc) is not container:
        return False  # an earlier #artibody encloses this one, or another comes first
    open_elements = _open_at_end(doc)
    if container in open_elements:
        return False  # nothing after the article: its end tag may be past the cut
    for node in _elements(doc, *selectors.TITLE[0]):
        if node in open_elements:
            return False
        if headline_text(node.text_content()):
            break
    else:
        return False
    times = (parse_iso(value) for value in _meta_contents(doc, selectors.PUBLISHED_TIME))
    if not any(moment and plausible(moment) for moment in times):
        return False
    return _first_og_image(doc) is not None


def _article_end(data: str | bytes) -> int | None:
    """Where to cut ``data`` so that the first ``#artibody`` element is closed: just past its
    matching end tag, counted by nesting of its tag name, plus :data:`_MARGIN`; ``None`` when
    the page has no such element, its end is not found, or the beginning cannot settle anyway
    (no ``main-title``, ``article:published_time`` or ``og:image`` before the cut), or an
    opt-in lookup needs what follows (:data:`_LATE_WORDS_S` past the cut). Only a guess:
    :func:`_settled` on the parsed beginning decides.
    """
    if isinstance(data, bytes):
        cut = _end_tag(data, _ARTIBODY_START_B, _TAGS_B, _SETTLE_WORDS_B, _LATE_WORDS_B)
        while cut is not None and 0 < cut < len(data) and 0x80 <= data[cut] < 0xC0:
            cut -= 1  # not inside a UTF-8 sequence
        return cut
    return _end_tag(data, _ARTIBODY_START_S, _TAGS_S, _SETTLE_WORDS_S, _LATE_WORDS_S)


def _end_tag(
    data: AnyStr,
    start_re: re.Pattern[AnyStr],
    tags_re: re.Pattern[AnyStr],
    words: tuple[AnyStr, ...],
    late: tuple[AnyStr, ...],
) -> int | None:
    start = start_re.search(data)
    if start is None:
        return None
    name = start.group(1).lower()
    depth = 0
    for tag in tags_re.finditer(data, start.start()):
        if tag.group(2).lower() != name:
            continue
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            cut = tag.end() + _MARGIN
            if not all(data.find(word, 0, cut) >= 0 for word in words):
                return None
            return None if any(data.find(word, cut) >= 0 for word in late) else cut
    return None


_ARTIBODY_START_S = re.compile(_ARTIBODY_START, re.IGNORECASE)
_ARTIBODY_START_B = re.compile(_ARTIBODY_START.encode(), re.IGNORECASE)
_TAGS_S = re.compile(r"<(/?)(div|article|section)\b", re.IGNORECASE)
_TAGS_B = re.compile(_TAGS_S.pattern.encode(), re.IGNORECASE)
#: Words the beginning must hold for :func:`_settled` to say yes (a page without them is
#: parsed whole at once: cheaper than a beginning parsed in vain).
_SETTLE_WORDS_S = ("main-title", "article:published_time", "og:image")
_SETTLE_WORDS_B = tuple(word.encode() for word in _SETTLE_WORDS_S)
#: Words that, past the cut, mean an opt-in lookup of :mod:`sinacrawl.optin` needs what follows
#: the article: the 2018+ template's "文章关键词" box (``#keywords[data-wbkey]``, under the
#: article) and the ``news_keyword_pub`` stock list (issue 15 item 2). The page is parsed whole.
_LATE_WORDS_S = ("data-wbkey", "news_keyword_pub")
_LATE_WORDS_B = tuple(word.encode() for word in _LATE_WORDS_S)


def parse_page(page: Decoded, body: bytes) -> HtmlElement:
    """Parse a page (``body``, decoded by :func:`~sinacrawl.charset.decode_page` as ``page``)
    for this module's lookups and :mod:`sinacrawl.optin`'s: the tree
    ``lxml.html.document_fromstring(page.text)`` builds, or only its beginning when that gives
    every lookup the same answer.

    The page is parsed from its bytes when they are clean UTF-8 (which libxml2 reads fastest),
    else from its text. On Sina's finance template the first ``#artibody`` closes two thirds
    into the page, before comments, related news and footer: only the beginning up to just past
    its end tag (:func:`_article_end`) is parsed, in one call to libxml2's parser, and kept
    when :func:`_settled` shows the lookups cannot change; otherwise, and on templates without
    ``#artibody``, the whole page is parsed (libxml2's push parser, used before, costs 1.2-1.35x
    the one-call parse per byte). The tree is only ever shorter, never different: a test
    compares both on every corpus page. Raises what ``document_fromstring`` raises
    (:class:`lxml.etree.ParserError`, :class:`ValueError`), and :class:`PageLimitError` when
    libxml2 gave up on part of the page.
    """
    data: str | bytes = page.text
    encoding = None
    if page.encoding == "utf-8" and not page.replaced:
        data, encoding = body, "utf-8"
    try:
        cut = _article_end(data)
        if cut is not None and cut < len(data):
            doc = _parse(data[:cut], encoding)
            container = selectors.CONTAINER[0](doc)
            if container and _settled(doc, container[0]):
                return doc
        return _parse(data, encoding)
    except lxml.etree.LxmlError:
        if encoding is None:
            raise
        return _parse(page.text, None)


def _parse(data: str | bytes, encoding: str | None) -> HtmlElement:
    parser = lxml.etree.HTMLParser(encoding=encoding)
    parser.set_element_class_lookup(_HTML_ELEMENTS)
    doc: HtmlElement = lxml.html.document_fromstring(data, parser=parser)
    _check_limits(parser.error_log)
    return doc
