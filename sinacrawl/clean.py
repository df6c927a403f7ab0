"""The article body: Sina's ads, QR blocks and promotions out, a safe HTML block in
(SPEC sections 3 and 3a).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin

import nh3
from lxml.etree import Comment
from lxml.html import HtmlElement, tostring

from sinacrawl import selectors, widgets
from sinacrawl.charset import CONTROL_CHARACTERS, strip_controls
from sinacrawl.nodetext import text_of
from sinacrawl.optin import make_figures
from sinacrawl.theme_safety import attribute_url, body_attribute, https_image_url

__all__ = ["CleanBody", "clean_body", "https_url", "sanitize"]

#: The allowlist handed to nh3 (Ammonia): article markup only, nothing executable. No
#: ``title`` attribute: Hexo's ``external_link`` filter re-parses ``<a>`` tags with a regex and
#: turns a title holding ``href=`` into live attributes (issue 13, item 1); every kept value
#: also passes :func:`~sinacrawl.theme_safety.body_attribute`.
ALLOWED_TAGS: Final = frozenset(
    {
        "p", "div", "span", "br", "hr", "strong", "b", "em", "i", "u", "s", "sub", "sup",
        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "ul", "ol", "li",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "td", "th", "a", "img",
        "figure", "figcaption", "center",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: Final = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "referrerpolicy"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
ALLOWED_CLASSES: Final = {"p": {"article-editor", "show_author"}}
URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})

_SCHEME_AND_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
#: The editor line's start (``责任编辑：梁斌 SF055``), white space removed: text from it on is
#: not the article's.
_EDITOR_MARKS: Final = ("责任编辑:", "责任编辑：")
_PRE = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL | re.IGNORECASE)
#: White space other than a line break (what :func:`_collapse_line_breaks` strips around one).
_BLANKS = " \t\r\f\v"
_BLANK_LINE_AHEAD = re.compile(r"\n(?=[ \t\r\f\v]*\n)")
#: Written as entities (no replacement brings one back, so the order does not matter).
_ESCAPES: Final = (("{", "&#123;"), ("}", "&#125;"), ("`", "&#96;"))
#: A tilde followed by another: no run of ``~`` is left, so no line opens a ``~~~`` fence.
_TILDE_RUN = re.compile(r"~(?=~)")
#: Promotional blocks are short; a long block is the author's text whatever it starts with.
_PROMO_MAX_CHARS = 160


#: The sanitizer of record, built once (nh3 >= 0.3's ``Cleaner``: the allowlist is converted
#: for Ammonia once, not at every call).
_SANITIZER: Final = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    allowed_classes={tag: set(names) for tag, names in ALLOWED_CLASSES.items()},
    url_schemes=set(URL_SCHEMES),
    set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
    attribute_filter=body_attribute,
)


@dataclass(frozen=True, slots=True)
class CleanBody:
    """A cleaned body: ``html`` ready for the post, ``images`` its ``img`` URLs in order."""

    html: str
    images: tuple[str, ...]


def https_url(url: str, base_url: str) -> str | None:
    """``url`` made absolute against ``base_url`` and moved to ``https:``; ``None`` unless the
    result is http(s), or when ``url`` cannot be parsed (a bracketed host that is no IP address,
    ``http://[::1/a.jpg``). Schemes are case-insensitive (issue 11: ``HTTP://N.SINAIMG.CN/a.jpg``).

    >>> https_url("//n.sinaimg.cn/a.jpg", "http://finance.sina.com.cn/x.shtml")
    'https://n.sinaimg.cn/a.jpg'
    >>> https_url("HTTP://N.SINAIMG.CN/a.jpg", "https://finance.sina.com.cn/x.shtml")
    'https://n.sinaimg.cn/a.jpg'
    """
    try:
        absolute = urljoin(base_url, _lower_scheme_and_host(url.strip()))
    except ValueError:  # a bracketed host that is no IP address: ``http://[链接]``
        return None
    if absolute.startswith("http://"):
        return "https://" + absolute[len("http://") :]
    return absolute if absolute.startswith("https://") else None


def _lower_scheme_and_host(url: str) -> str:
    """``url`` with its scheme and host in lower case (both are case-insensitive, RFC 3986
    section 6.2.2.1); ``urljoin`` keeps an upper-case scheme it does not recognise as http."""
    return _SCHEME_AND_HOST.sub(lambda match: match.group(0).lower(), url, count=1)


def _drop(node: HtmlElement) -> None:
    """Remove ``node`` and its content, keeping the text that follows it."""
    if node.getparent() is not None:
        node.drop_tree()


def _remove_control_characters(container: HtmlElement) -> None:
    """Take control characters out of every text in ``container``
    (:func:`~sinacrawl.charset.strip_controls`), when its text holds one: lxml would refuse the
    text it joins when the cleaning drops an element next to one (a ``ValueError`` that lost the
    article; issue 16's trial: ``<p>a<script>x</script>\\x0cb</p>``). Reading the text costs
    about 1% of the parse.
    Attribute values are nh3's filter's (:func:`~sinacrawl.theme_safety.body_attribute`)."""
    if CONTROL_CHARACTERS.search(text_of(container)) is None:
        return
    for node in container.iterdescendants():
        if node.text:
            node.text = strip_controls(node.text)
        if node.tail:
            node.tail = strip_controls(node.tail)
    if container.text:
        container.text = strip_controls(container.text)


def _remove_clutter(container: HtmlElement) -> None:
    widgets.unwrap_void_containers(container)
    # Dropping in any order gives the same tree: each node's tail text stays where it was (a
    # node inside one dropped already goes with it).
    doomed = list(container.iterdescendants(*selectors.REMOVE_TAGS, Comment))
    doomed.extend(_marked_or_hidden(container))
    for node in doomed:
        _drop(node)
    # The whole text, for the passes that first ask whether their words occur at all: read
    # once, and again only after a pass removed something (a removal can join two texts).
    whole = text_of(container)
    changed = _remove_promo_blocks(container, whole)
    text = None if changed else whole
    changed = widgets.remove_video_players(container, text)
    changed = widgets.remove_link_boxes(container) or changed
    widgets.remove_promo_sentences(container, None if changed else text)
    widgets.unwrap_keyword_links(container)


def _marked_or_hidden(container: HtmlElement) -> list[HtmlElement]:
    """The elements of ``container`` removed with their content for their marks
    (:func:`~sinacrawl.selectors.is_marked`) or because they are hidden
    (:func:`~sinacrawl.widgets.hides`), in document order. Both read only an element's tag and
    attributes: only elements with an attribute are read, found by libxml2
    (:data:`~sinacrawl.selectors.WITH_ATTRIBUTES`), and the answer for a tag and its attributes
    is kept for the call (a long article repeats a few of them on hundreds of elements; issue
    16)."""
    answers: dict[tuple[object, ...], bool] = {}
    found = []
    for node in selectors.WITH_ATTRIBUTES(container):
        key = (node.tag, *node.items())
        doomed = answers.get(key)
        if doomed is None:
            cls, ident, suda = node.get("class"), node.get("id"), node.get("data-sudaclick")
            doomed = bool(cls or ident or suda) and selectors.is_marked(
                node.tag, cls or "", ident or "", suda or ""
            )
            doomed = answers[key] = doomed or widgets.hides(node)
        if doomed:
            found.append(node)
    return found


def _remove_promo_blocks(container: HtmlElement, whole: str) -> bool:
    """Drop the blocks (:data:`~sinacrawl.selectors.PROMO_BLOCK_TAGS`) whose whole text is a
    promotional paragraph (:func:`~sinacrawl.widgets.is_promo_paragraph`); ``whole`` is
    ``text_of(container)``. True when one was dropped. A block's text is part of the
    container's, so when the container's lacks a character of every word such a paragraph holds
    (:data:`~sinacrawl.selectors.PROMO_TEXT_WORDS`) no block is read (issue 16: one text check
    for a whole long article instead of one per paragraph); nor is a block whose own text lacks
    them."""
    if not widgets.may_hold_promo_paragraph(whole):
        return False
    dropped = False
    for node in list(container.iterdescendants(*selectors.PROMO_BLOCK_TAGS)):
        raw = text_of(node)
        if not widgets.may_hold_promo_paragraph(raw):
            continue
        text = "".join(raw.split())  # white space out
        if len(text) <= _PROMO_MAX_CHARS and widgets.is_promo_paragraph(text):
            _drop(node)
            dropped = True
    return dropped


def _drop_empty(container: HtmlElement) -> None:
    # Innermost first, so that a wrapper emptied by its children's removal goes too. An element
    # whose own text is not white space keeps some text whatever goes inside it: no text_of.
    for node in reversed(list(container.iterdescendants(*selectors.EMPTY_TAGS))):
        own = node.text
        if own and not own.isspace():
            continue
        if not text_of(node).strip() and not selectors.KEEP_EMPTY(node):
            _drop(node)


def _fix_images(container: HtmlElement, base_url: str) -> tuple[str, ...]:
    images = []
    for img in selectors.IMAGES(container):
        source = widgets.image_source(img)
        src = https_url(source, base_url) if source else None
        src = https_image_url(src) if src else None  # percent-encoded: no quote, no space
        if src is None:
            _drop(img)
            continue
        img.set("src", src)
        images.append(src)
    return tuple(images)


def _fix_links(container: HtmlElement, base_url: str) -> None:
    for link in selectors.LINKS(container):
        # Percent-encoded: a control character would make lxml refuse the value (issue 14).
        try:
            href = attribute_url(urljoin(base_url, (link.get("href") or "").strip()))
        except ValueError:  # a bracketed host that is no IP address: ``http://[链接]``
            href = None
        link.set("href", href or "")


def _has_article_text(container: HtmlElement) -> bool:
    """Is there text in ``container`` before the editor line (:data:`_EDITOR_MARKS`), white
    space aside? The answer ``_EDITOR.sub("", "".join(text_of(container).split()))`` gave
    with ``_EDITOR = re.compile(r"责任编辑[:：]\\S*")`` (a text without white space runs to
    its end from the first mark), read from the first few text pieces instead of the whole
    text (issue 16; tests/test_perf_equivalence.py compares both). ``itertext`` gives the text
    nodes of :func:`~sinacrawl.nodetext.text_of`, comments left out.

    >>> import lxml.html
    >>> _has_article_text(lxml.html.fragment_fromstring("<div><p>责任编辑 ：<b>x</b></p>y</div>"))
    False
    """
    start = ""
    for piece in container.itertext():
        start += "".join(piece.split())
        if len(start) >= len(_EDITOR_MARKS[0]):
            break
    return bool(start) and not start.startswith(_EDITOR_MARKS)


def _serialise(container: HtmlElement) -> str:
    """The markup inside ``container``: one serialisation of the whole as a ``<div>``, its start
    and end tags cut off, instead of one per child (the container's tag is put back). Its
    attributes stay as they are: the serialiser writes ``>`` in a value as ``&gt;``, so the start
    tag ends at the first ``>``; putting them back after clearing them raised ``ValueError`` on a
    control character in one (attack trial, stop 19: ``<div id="artibody" data-x="a&#1;b">``)."""
    tag = container.tag
    container.tag = "div"
    html: str = tostring(container, encoding="unicode", with_tail=False)
    container.tag = tag
    return html[html.index(">") + 1 : -len("</div>")]


def _collapse_line_breaks(text: str) -> str:
    """Each run of white space that holds a line break, in ``text``, as one line break; other
    runs as they are. Lines split and stripped in C: the regex doing the same
    (``(?<![ \\t\\r\\f\\v])[ \\t\\r\\f\\v]*\\n[ \\t\\r\\n\\f\\v]*``) tried every character of a long
    body (12 ms for 300 KB; tests/test_perf_equivalence.py compares both).

    >>> _collapse_line_breaks("<p>a</p> \\n\\n  <p>b  c</p>\\n")
    '<p>a</p>\\n<p>b  c</p>\\n'
    """
    if "\n" not in text:
        return text
    lines = text.split("\n")
    kept = [lines[0].rstrip(_BLANKS)]
    kept.extend(line for line in (middle.strip(_BLANKS) for middle in lines[1:-1]) if line)
    kept.append(lines[-1].lstrip(_BLANKS))
    return "\n".join(kept)


def layout(html: str) -> str:
    """Lay the body out as one Markdown HTML block (SPEC section 3a): no blank line, no line
    starting with white space; inside ``<pre>`` only blank lines change (their line break becomes
    ``&#10;``), so preformatted text renders the same. Braces, backticks and runs of tildes become
    entities so that Hexo's Nunjucks and code-fence filters never see ``{{``, ``{%``, ``{#`` or a
    fence: Hexo's ``backtick_code_block`` filter reads a line of ``~~~`` (or a backtick fence)
    and a later closing one as a code block even inside HTML (seen with real Hexo 8.1, a
    ``<pre>`` of ``~~~~`` rules rendered as escaped code; tests/test_hexo.py).

    >>> layout("<p>a</p>\\n\\n   <p>{{ b }}</p>\\n")
    '<p>a</p>\\n<p>&#123;&#123; b &#125;&#125;</p>'
    >>> layout("<pre>~~~\\nx\\n~~~\\n</pre><p>3~5%</p>")
    '<pre>&#126;&#126;~\\nx\\n&#126;&#126;~\\n</pre><p>3~5%</p>'
    """
    pieces = _PRE.split(html)
    for index, piece in enumerate(pieces):
        if index % 2:
            pieces[index] = _BLANK_LINE_AHEAD.sub("&#10;", piece)
        else:
            pieces[index] = _collapse_line_breaks(piece)
    laid_out = "".join(pieces).strip(" \t\r\n\f\v")
    for character, entity in _ESCAPES:  # str.replace: several times faster than str.translate
        laid_out = laid_out.replace(character, entity)
    return _TILDE_RUN.sub("&#126;", laid_out)


def clean_body(container: HtmlElement, base_url: str, figures: bool = False) -> CleanBody | None:
    """Clean the article ``container`` in place and return the body, or ``None`` when nothing
    of the article is left (no text besides the editor line, and no image).

    Removes SPEC section 3's list (QR and app blocks, ads, scripts, quote spans, chart widgets,
    video players, link-only quote boxes and promotional link blocks, promotional paragraphs and
    sentences, hidden elements, comments; :mod:`sinacrawl.widgets`), turns keyword links into
    text, and removes the empty elements left behind, gives every image an
    absolute ``https:`` ``src`` with ``referrerpolicy="no-referrer"`` (dropping images with no
    http(s) source; URLs percent-encoded), makes links absolute, then passes the markup through
    nh3's allowlist, every attribute value through
    :func:`~sinacrawl.theme_safety.body_attribute` (issue 13: nothing Hexo's regex filters
    can turn into an attribute). With ``figures`` (``SINACRAWL_FIGURES``, issue 15 item 6) an
    image with Sina's caption becomes a ``<figure>`` (:func:`~sinacrawl.optin.make_figures`).
    """
    _remove_control_characters(container)
    _remove_clutter(container)
    images = _fix_images(container, base_url)
    if figures:
        make_figures(container)
    _drop_empty(container)
    _fix_links(container, base_url)
    if not images and not _has_article_text(container):
        return None
    return CleanBody(sanitize(_serialise(container)), images)


def sanitize(html: str) -> str:
    """``html`` through the body's nh3 allowlist (:data:`ALLOWED_TAGS`, attributes, classes,
    URL schemes; every image ``referrerpolicy="no-referrer"``; every attribute value through
    :func:`~sinacrawl.theme_safety.body_attribute`), then :func:`layout` (SPEC sections 3 and
    3a, issue 13). Used for the article body and for the lines sinacrawl adds to it (issue 15's
    credit line).

    >>> sanitize('<p onclick="x()">{a}<script>b</script></p>')
    '<p>&#123;a&#125;</p>'
    """
    return layout(_SANITIZER.clean(html))
