"""Sina's page widgets inside an article, recognised by what they hold, not by one page's text
(SPEC section 3; issue 11): hidden elements, video players, link-only boxes (related reading,
promotional link blocks), promotional sentences, automatic keyword links, lazy images.

Pure functions over an ``lxml.html`` container, called by :func:`sinacrawl.clean.clean_body`;
the selectors and lists they use are data in :mod:`sinacrawl.selectors`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import tinycss2
from lxml.html import HtmlElement

from sinacrawl import selectors
from sinacrawl.nodetext import text_of

__all__ = [
    "has_promo_sentence",
    "has_video_player",
    "hides",
    "image_source",
    "is_hidden",
    "is_placeholder",
    "is_promo_paragraph",
    "may_hold_promo_paragraph",
    "remove_link_boxes",
    "remove_promo_sentences",
    "remove_video_players",
    "unwrap_keyword_links",
    "unwrap_void_containers",
]

_HIDING = {("display", "none"), ("visibility", "hidden")}


def _drop(node: HtmlElement) -> None:
    """Remove ``node`` and its content, keeping the text that follows it."""
    if node.getparent() is not None:
        node.drop_tree()


def is_hidden(style: str) -> bool:
    """Does the inline ``style`` hide its element (``display:none`` or ``visibility:hidden``)?
    Parsed as CSS declarations (tinycss2): names and values in any case, with any spacing,
    comments and ``!important``; the last declaration of a property wins, as in a browser.

    >>> is_hidden("DISPLAY : None !important")
    True
    >>> is_hidden("display:none; display: block")
    False
    >>> is_hidden("font-family: none-such")
    False
    """
    values: dict[str, str] = {}
    for declaration in tinycss2.parse_blocks_contents(
        style, skip_comments=True, skip_whitespace=True
    ):
        if declaration.type == "declaration":
            value = tinycss2.serialize(declaration.value).strip().lower()
            values[declaration.lower_name] = value
    return any(values.get(name) == value for name, value in _HIDING)


def hides(node: HtmlElement) -> bool:
    """Is ``node`` hidden by HTML's ``hidden`` attribute or by its inline ``style``
    (:func:`is_hidden`; only a style mentioning ``none`` or ``hidden``, in any case, is parsed)?
    Such an element goes with its content (SPEC section 3): the WeChat share logo ``#wx_pic``
    under ``display:none``, a player's ``display:none`` playlist.
    """
    if node.get("hidden") is not None:
        return True
    style = node.get("style")
    if style is None:
        return False
    style = style.lower()
    return ("none" in style or "hidden" in style) and is_hidden(style)


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _on_hosts(url: str, hosts: tuple[str, ...]) -> bool:
    if not any(h in url.lower() for h in hosts):
        return False  # most URLs: no parse needed
    host = _host(url)
    return any(host == h or host.endswith("." + h) for h in hosts)


def has_video_player(container: HtmlElement) -> bool:
    """Does the article hold one of Sina's video players (by its marks or its poster image)?
    Only elements with an attribute can be marked (:data:`~sinacrawl.selectors.WITH_ATTRIBUTES`,
    found by libxml2: issue 16)."""
    for node in selectors.WITH_ATTRIBUTES(container):
        cls, ident = node.get("class"), node.get("id")
        if (cls or ident) and selectors.is_player_mark(cls or "", ident or ""):
            return True
    return any(_on_hosts(img.get("src") or "", selectors.VIDEO_POSTER_HOSTS)
               for img in selectors.IMAGES(container))  # fmt: skip


def remove_video_players(container: HtmlElement, whole_text: str | None = None) -> bool:
    """Remove what a video player leaves once its marked wrapper is gone (SPEC section 3): its
    skeleton texts (视频加载中，请稍候 / 自动播放 / 向前 / 向后 / play) and its poster images,
    with the link around a poster. ``whole_text`` is ``text_of(container)`` when the caller has it
    (issue 16: a long article's text is read once for several passes). True when something
    was removed."""
    whole = text_of(container) if whole_text is None else whole_text  # not an XPath per node
    removed = False
    skeleton = (
        selectors.PLAYER_SKELETON(container) if any(w in whole for w in _PLAYER_WORDS) else []
    )
    for text in skeleton:
        node = text.getparent()
        if node is not None and text.is_tail:
            node = node.getparent()  # "<label><input>自动播放</label>": the label
        if node is None or node is container:
            continue
        if selectors.PLAYER_TEXT.match("".join(text_of(node).split())):
            _drop(node)
            removed = True
    for img in selectors.IMAGES(container):
        if _on_hosts(img.get("src") or "", selectors.VIDEO_POSTER_HOSTS):
            parent = img.getparent()
            only_child = parent is not None and parent.tag == "a" and len(parent) == 1
            _drop(parent if only_child and not text_of(parent).strip() else img)
            removed = True
    return removed


def _text_outside_links(node: HtmlElement) -> str:
    parts = [node.text or ""]
    for child in node:
        if child.tag != "a":
            parts.append(_text_outside_links(child))
        parts.append(child.tail or "")
    return "".join("".join(parts).split())


def _is_promo_link(href: str) -> bool:
    if not any(suffix in href.lower() for suffix, _ in selectors.PROMO_LINKS):
        return False
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    for suffix, path in selectors.PROMO_LINKS:
        if (host == suffix or host.endswith("." + suffix)) and parts.path.startswith(path):
            return True
    return False


def _only_links(node: HtmlElement) -> bool:
    """Is ``node`` a list of links with at most a short label (相关新闻：) and no image? The
    label is shorter than the links' text: "据<a>黑猫投诉</a>平台数据，投诉下降两成。" is a
    sentence of the author's with a link in it."""
    label = len(_text_outside_links(node))
    linked = sum(len("".join(text_of(a).split())) for a in selectors.LINKS(node))
    return label <= min(selectors.LINK_BOX_LABEL_CHARS, linked) and not selectors.KEEP_EMPTY(node)


def remove_link_boxes(container: HtmlElement) -> bool:
    """Remove Sina's link-only boxes (SPEC section 3, issue 11):

    - ``blockquote.fin_reference`` when it holds only links (related reading, a series' other
      episodes); one holding the author's text (摘要, a lead) stays;
    - any block whose every link points at Sina's commercial or promotional properties
      (:data:`~sinacrawl.selectors.PROMO_LINKS`) and that holds only links; a paragraph of
      the author's text with such a link stays.

    True when a box was removed.
    """
    removed = False
    for box in selectors.QUOTE_BOX(container):
        if _only_links(box):
            _drop(box)
            removed = True
    if not any(_is_promo_link(a.get("href") or "") for a in selectors.LINKS(container)):
        return removed  # most articles: no block to look at
    for block in selectors.LINK_BLOCKS(container):
        if block.getparent() is None:
            continue  # inside a block already dropped
        links = selectors.LINKS(block)
        if all(_is_promo_link(a.get("href") or "") for a in links) and _only_links(block):
            _drop(block)
            removed = True
    return removed


def may_hold_promo_paragraph(text: str) -> bool:
    """Might ``text``, or a piece of it, be a promotional paragraph once its white space is
    removed? False when it lacks a character of each of
    :data:`~sinacrawl.selectors.PROMO_TEXT_WORDS` (every :data:`~sinacrawl.selectors.PROMO_TEXT`
    match holds one of them; removing white space or cutting ``text`` adds no character): then
    no part of ``text`` is one (issue 16: a few scans of a long article's text in C instead of
    a check of each paragraph).

    >>> may_hold_promo_paragraph("新 浪财\u3000经APP"), may_hold_promo_paragraph("新浪微博")
    (True, False)
    """
    return any(all(c in text for c in word) for word in selectors.PROMO_TEXT_WORDS)


def is_promo_paragraph(text: str) -> bool:
    """Is a block's ``text`` (white space removed) one of Sina's promotional paragraphs
    (:data:`~sinacrawl.selectors.PROMO_TEXT`), every sentence of it? A block that also holds a
    sentence of the author's stays; only its promotional sentence goes (issue 11,
    :func:`remove_promo_sentences`).

    >>> is_promo_paragraph("海量资讯、精准解读，尽在新浪财经APP")
    True
    >>> is_promo_paragraph("消费持续回暖！下载新浪财经APP，获取更多解读")
    False
    """
    if not selectors.PROMO_TEXT.match(text):
        return False
    return all(
        selectors.PROMO_TEXT.match(sentence.rstrip(_END_MARKS))
        for sentence in selectors.SENTENCES.findall(text)
    )


_END_MARKS = "。！？!?\n"
_PLAYER_WORDS = ("视频加载中", "自动播放", "连续播放", "向前", "向后", "play", "Play", "PLAY")


def _strip_promo(text: str | None) -> str | None:
    if not text or not selectors.PROMO_SENTENCE.search(text):
        return text
    sentences = selectors.SENTENCES.findall(text)
    return "".join(s for s in sentences if not selectors.PROMO_SENTENCE.search(s))


def has_promo_sentence(text: str) -> bool:
    """Does :data:`~sinacrawl.selectors.PROMO_SENTENCE` match anywhere in ``text``? The same
    answer as ``PROMO_SENTENCE.search(text)``, searched only around each of its anchor words
    (:data:`~sinacrawl.selectors.PROMO_SENTENCE_ANCHORS`), so that a long article's text is
    not run through the whole pattern character by character (perf11: 40 ms a megabyte).

    >>> has_promo_sentence("据统计，" * 100 + "下载新浪财经APP，获取更多解读")
    True
    >>> has_promo_sentence("新浪财经讯 成交额突破万亿元。")
    False
    """
    reach = selectors.PROMO_SENTENCE_REACH
    for word in selectors.PROMO_SENTENCE_ANCHORS:
        at = text.find(word)
        while at >= 0:
            if selectors.PROMO_SENTENCE.search(text, max(0, at - reach), at + len(word) + reach):
                return True
            at = text.find(word, at + 1)
    return False


def remove_promo_sentences(container: HtmlElement, whole_text: str | None = None) -> None:
    """Remove Sina's fixed promotional sentences from the text they share with the author's
    (issue 11: only the sentence goes, the paragraph stays). Whole promotional paragraphs go
    earlier, in :func:`sinacrawl.clean.clean_body`. ``whole_text`` is ``text_of(container)`` when
    the caller has it (issue 16)."""
    if not has_promo_sentence(text_of(container) if whole_text is None else whole_text):
        return  # a match inside one text node is a match in the whole text: none anywhere
    for text in selectors.PROMO_SENTENCE_TEXT(container):
        node = text.getparent()
        if node is None:
            continue
        if text.is_tail:
            node.tail = _strip_promo(node.tail)
        else:
            node.text = _strip_promo(node.text)


def unwrap_keyword_links(container: HtmlElement) -> None:
    """Turn Sina's automatic keyword links (SPEC section 3) into their plain text."""
    for link in selectors.KEYWORD_LINKS(container):
        link.drop_tag()


def unwrap_void_containers(container: HtmlElement) -> None:
    """Remove ``<embed>`` but keep what the parser put inside it: the rest of the article."""
    for node in list(container.iterdescendants(*selectors.VOID_CONTAINERS)):
        node.drop_tag()


def is_placeholder(url: str) -> bool:
    """Is ``url`` one of Sina's placeholder or logo images (never an article image)?

    >>> is_placeholder("HTTPS://N.SINAIMG.CN/default/2019/transparent.gif")
    True
    """
    return bool(selectors.PLACEHOLDER_IMAGE.match(url.strip()))


def image_source(img: HtmlElement) -> str | None:
    """The URL an ``<img>`` shows once its page's script ran (SPEC section 3, issue 11): a
    known lazy attribute (``data-src``, ``data-original``) first; else its ``src`` unless that is
    missing or a placeholder; else any ``data-*`` attribute holding an image URL. ``None`` when
    only a placeholder (or nothing) is left.
    """
    for name in selectors.LAZY_SRC:
        value = (img.get(name) or "").strip()
        if value and not is_placeholder(value):
            return value
    src = (img.get("src") or "").strip()
    if src and not is_placeholder(src):
        return src
    for name, value in img.attrib.items():
        url = str(value).strip()
        if name.startswith("data-") and selectors.IMAGE_URL.match(url) and not is_placeholder(url):
            return url
    return None
