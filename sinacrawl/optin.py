"""The opt-in values of issue 15: Sina's keywords and the article's stock names as ``tags``, a
``description`` (summary), the ``<!-- more -->`` excerpt mark, the outlet of the credit line and
captioned images as ``<figure>``. Each is off by default; they are used only when its setting is
on.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

import lxml.html
from lxml.html import HtmlElement, builder

from sinacrawl.post import clean_value
from sinacrawl.theme_safety import safe_title

__all__ = [
    "DESCRIPTION_LIMIT",
    "EXPORTED_KEYS",
    "MORE",
    "STOCK_NAME_LIMIT",
    "export_fields",
    "insert_more",
    "make_figures",
    "page_keywords",
    "page_outlet",
    "stock_names",
    "summary",
]

#: The longest ``description``, in characters (issue 15 item 3).
DESCRIPTION_LIMIT = 120
# Sina separates keywords with ASCII commas, full-width commas or ideographic commas.
_KEYWORD_SPLIT = re.compile("[,，、]")
# A byline or credit rather than the article's text: 来源：…, 作者：…, 文｜…, 记者 …, 编辑：…, and
# ``►文 观察者网 邢晓楠`` (观察者网's byline: real 2021-22 bodies of ../shared/corpus's recon
# pages), the lines site/scripts/excerpt.js skips too.
_BYLINE = re.compile(
    r"^[（(【\[]?\s*(?:来源|作者|文|图|图片来源|图源|撰文|记者|本报记者|编辑|责任编辑|责编|出品|"
    r"策划|校对)\s*[：:|｜/丨]|^►\s*文"
)
_SENTENCE_END = re.compile("[。！？!?…]")
#: Sina's stock list of an article, a comment at the end of ``#artibody``:
#: ``<!-- news_keyword_pub,stock,sz000001&sh600000 -->`` (market ``stock``, ``usstock``, …,
#: then the codes joined by ``&``; empty on most pages). Seen in 80 of ../shared/corpus's 91 pages.
_STOCK_LIST = re.compile(r"\s*news_keyword_pub\s*,\s*\w*\s*,(.*)", re.DOTALL)
_STOCK_CODE = re.compile(r"[A-Za-z0-9.]{1,16}")
#: The longest stock name kept, in characters: names are short (``宁德时代``, ``摩根大通``).
STOCK_NAME_LIMIT = 30
#: Hexo's excerpt mark (hexo/lib/plugins/filter/after_post_render/excerpt.js): what precedes it
#: is the post's ``excerpt``, shown on the index pages.
MORE = "<!-- more -->"
# A tag, or a run of text between tags, of sanitized HTML.
_TAG_OR_TEXT = re.compile(r"<[^>]*>|[^<]+")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")
#: HTML's void elements: no end tag (nh3 writes ``<br>``, ``<img …>``).
_VOID = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr",
    }
)  # fmt: skip


#: The opt-in front-matter keys (item fields) in the post's order after ``thumbnail``, each
#: with the settings that fill it.
EXPORTED_KEYS: Final = (
    ("updated", ("SINACRAWL_UPDATED",)),
    ("tags", ("SINACRAWL_TAGS", "SINACRAWL_STOCK_TAGS")),
    ("description", ("SINACRAWL_DESCRIPTION",)),
)


def export_fields(fields: list[str], settings_on: Collection[str]) -> list[str]:
    """``FEED_EXPORT_FIELDS`` with the opt-in keys whose settings are in ``settings_on``
    inserted after ``thumbnail`` in the post's order (issue 15: ``-O posts.jsonl`` exports a key
    only when a setting fills it); ``fields`` as given when it has no ``thumbnail`` or already
    holds the key.

    >>> export_fields(["title", "thumbnail", "body"], {"SINACRAWL_STOCK_TAGS"})
    ['title', 'thumbnail', 'tags', 'body']
    """
    if "thumbnail" not in fields:
        return list(fields)
    added = [
        key
        for key, settings in EXPORTED_KEYS
        if key not in fields and any(name in settings_on for name in settings)
    ]
    at = fields.index("thumbnail") + 1
    return [*fields[:at], *added, *fields[at:]]


def page_keywords(doc: HtmlElement) -> tuple[str, ...]:
    """Sina's keywords of an article page: ``<meta name="keywords">`` then the ``data-wbkey``
    of ``#keywords`` (the "文章关键词" box under the 2018+ template), split on ``,``, ``，``
    and ``、``, each one line that a theme printing it raw cannot read as markup
    (:func:`~sinacrawl.theme_safety.safe_title`: Volantis 6.8.3 prints tag names unescaped in
    ``layout/_meta/tags.ejs``), the first of duplicates kept, in page order. Empty when the page
    has none (issue 15 item 2).

    >>> page_keywords(lxml.html.fromstring(
    ...     '<html><head><meta name="keywords" content="央行,降准，央行"></head>'
    ...     '<body><div id="keywords" data-wbkey="降准、LPR"></div></body></html>'))
    ('央行', '降准', 'LPR')
    """
    raw = doc.xpath(
        "//meta[translate(@name,'KEYWORDS','keywords')='keywords']/@content"
        " | //*[@id='keywords']/@data-wbkey"
    )
    seen: dict[str, None] = {}
    for value in raw:
        for part in _KEYWORD_SPLIT.split(str(value)):
            keyword = safe_title(part)
            if keyword:
                seen.setdefault(keyword, None)
    return tuple(seen)


def stock_names(doc: HtmlElement) -> tuple[str, ...]:
    """The names of the stocks in the article's ``news_keyword_pub`` stock list (issue 15 item
    2, ``SINACRAWL_STOCK_TAGS``), in the list's order, each once. A code's name is the text of
    the first link in the page to its quote page (an ``href`` with the code as a path segment or
    file name: ``…/realstock/company/sz000001/nc.shtml``, ``…/usstock/quotes/MSFT.html``, the
    ``<span id="stock_sz000001"><a class="keyword">平安银行</a></span>`` Sina puts in the body).
    A code without such a link (a real 2022 body in ../shared/corpus,
    ``recon-2022-03-07-eadjenp3031002.html``, links ``sh000300`` with no text), or whose name is
    longer than :data:`STOCK_NAME_LIMIT`, gives no name. Names are made inert like keywords
    (:func:`~sinacrawl.theme_safety.safe_title`).

    >>> stock_names(lxml.html.fromstring(
    ...     '<div><p><a href="https://finance.sina.com.cn/realstock/company/sz000001/nc.shtml">'
    ...     '平安银行</a>、<a href="/x/sh600000/nc.shtml"> </a></p>'
    ...     '<!-- news_keyword_pub,stock,sz000001&sh600000&sz000001 --></div>'))
    ('平安银行',)
    """
    codes: dict[str, None] = {}
    for comment in doc.xpath("//comment()[contains(., 'news_keyword_pub')]"):
        listed = _STOCK_LIST.match(comment.text or "")
        for code in listed.group(1).split("&") if listed else ():
            if _STOCK_CODE.fullmatch(code.strip()):
                codes.setdefault(code.strip(), None)
    if not codes:
        return ()
    links = [
        (str(link.get("href")), safe_title(link.text_content())) for link in doc.xpath("//a[@href]")
    ]
    names: dict[str, None] = {}
    for code in codes:
        quote_page = re.compile(rf"/{re.escape(code)}(?:/|\.s?html?\b)", re.IGNORECASE)
        name = next((text for href, text in links if text and quote_page.search(href)), "")
        if name and len(name) <= STOCK_NAME_LIMIT:
            names.setdefault(name, None)
    return tuple(names)


def page_outlet(doc: HtmlElement) -> str:
    """The outlet an article page names as its source (issue 15 item 5, the credit line when
    the feed gives no ``media_name``): the text of the first ``.source`` element (the
    ``.date-source`` line of the 2018+ template, ``<a class="source ent-source">新京报</a>``),
    else ``<meta name="mediaid">`` (every template since 2015, ``新浪财经`` on Sina's own
    articles), else a non-empty ``<meta property="article:author">`` (sina.cn pages); one line
    (:func:`~sinacrawl.post.clean_value`); ``""`` when the page names none (2005 pages).

    >>> page_outlet(lxml.html.fromstring(
    ...     '<html><head><meta name="mediaid" content="新浪财经"></head><body>'
    ...     '<div class="date-source"><a class="source"> 新京报 </a></div></body></html>'))
    '新京报'
    """
    candidates = doc.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' source ')]"
        " | //meta[@name='mediaid']/@content | //meta[@property='article:author']/@content"
    )
    elements = [c for c in candidates if isinstance(c, HtmlElement)]
    texts = [clean_value(e.text_content()) for e in elements[:1]]
    texts += [clean_value(str(c)) for c in candidates if not isinstance(c, HtmlElement)]
    return next(filter(None, texts), "")


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    return text[: ends[-1]] if ends else text[: limit - 1] + "…"


def _real_paragraph(paragraph: HtmlElement) -> str | None:
    text = clean_value(paragraph.text_content().replace("\u3000", " "))
    if not text or text.startswith("原标题") or _BYLINE.match(text):
        return None
    # A subheading: the paragraph's whole text is one bold run (<p><strong>…</strong></p>).
    bold = paragraph.xpath("./strong | ./b")
    if len(bold) == 1 and clean_value(bold[0].text_content()) == text:
        return None
    return text


def summary(intro: str | None, body_html: str, limit: int = DESCRIPTION_LIMIT) -> str | None:
    """The post's ``description`` (issue 15 item 3): the feed entry's ``intro`` when it has
    text, else the first real paragraph of the cleaned body (not ``原标题：…``, not a byline
    such as ``来源：…`` or ``作者：…``, not a bold subheading; ``　`` indents gone), cut after
    the last sentence end (``。！？!?…``) within ``limit`` characters, or at ``limit`` with
    ``…`` when there is none; made inert (:func:`~sinacrawl.theme_safety.safe_title`: Volantis
    prints ``description`` raw on a list card when a post has no excerpt). ``None`` when there
    is no such text.

    >>> summary("", '<p>原标题：旧</p><p>来源：新华社</p><p>　　央行降准。市场平稳。</p>', 8)
    '央行降准。'
    """
    text = safe_title(intro.replace("\u3000", " ")) if intro else ""
    if not text:
        fragment = lxml.html.fragment_fromstring(body_html, create_parent="div")
        text = safe_title(next(filter(None, map(_real_paragraph, fragment.iter("p"))), ""))
    return _cut(text, limit) if text else None


def insert_more(body_html: str) -> str:
    """``body_html`` with Hexo's excerpt mark :data:`MORE` on a line of its own after the first
    real paragraph (by :func:`summary`'s rule: not ``原标题：…``, a byline or a bold
    subheading), so that index pages show that paragraph as the post's excerpt (issue 15 item
    3, ``SINACRAWL_MORE``). Only a top-level ``<p>`` counts (one inside a ``<blockquote>`` or
    ``<div>`` would put the mark inside an element). In the text before the mark ``"`` and
    ``'`` become ``&quot;`` and ``&#39;`` (the same text once parsed): Hexo's excerpt is that
    part, and Volantis 6.8.3 prints it with only its tags stripped into share links'
    ``href="…&summary=…"`` (``layout/_plugins/share/layout.ejs``), where a quote would end the
    attribute. Unchanged when there is no such paragraph.

    >>> insert_more("<p>原标题：旧</p>\\n<p>　　央行降准。</p>\\n<p>市场平稳。</p>")
    '<p>原标题：旧</p>\\n<p>　　央行降准。</p>\\n<!-- more -->\\n<p>市场平稳。</p>'
    """
    fragment = lxml.html.fragment_fromstring(body_html, create_parent="div")
    top = [child for child in fragment if child.tag == "p"]
    first = next((p for p in top if _real_paragraph(p)), None)
    if first is None:
        return body_html
    wanted = top.index(first)
    depth = seen = 0
    # nh3's output: well-formed, no comment, ``<`` in text and attributes escaped or dropped,
    # so its tags can be read with a regex. Every element counts for the depth, inline ones
    # too: a ``<p>`` inside an ``<a>`` is not top-level (the mark there would leave Hexo's
    # excerpt with the link open).
    for tag in _TAG.finditer(body_html):
        closing, name = tag.group(1), tag.group(2).lower()
        if name in _VOID:
            continue
        depth += -1 if closing else 1
        if closing and name == "p" and depth == 0:
            if seen == wanted:
                excerpt = _TAG_OR_TEXT.sub(_quote_text, body_html[: tag.end()])
                return excerpt + "\n" + MORE + body_html[tag.end() :]
            seen += 1
    return body_html


def _quote_text(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text.startswith("<") else text.replace('"', "&quot;").replace("'", "&#39;")


def make_figures(container: HtmlElement) -> int:
    """Turn each image directly followed by Sina's caption (``<img><span class="img_descr">``,
    only white space between) into ``<figure><img><figcaption>caption</figcaption></figure>``
    in place, so that a theme can style it (issue 15 item 6, ``SINACRAWL_FIGURES``). The
    caption keeps its inline markup and loses its attributes. Returns how many were made.

    >>> div = lxml.html.fragment_fromstring(
    ...     '<div><img src="a.jpg"> <span class="img_descr">会议<b>现场</b></span>。</div>')
    >>> make_figures(div), lxml.html.tostring(div, encoding="unicode")
    (1, '<div><figure><img src="a.jpg"><figcaption>会议<b>现场</b></figcaption></figure>。</div>')
    """
    made = 0
    for img in list(container.iter("img")):
        caption = img.getnext()
        if (
            caption is None
            or caption.tag != "span"
            or "img_descr" not in (caption.get("class") or "").split()
            or (img.tail or "").strip()
            or not caption.text_content().strip()
        ):
            continue
        figure = builder.FIGURE()
        img.addprevious(figure)
        figure.tail, caption.tail, img.tail = caption.tail, None, None
        caption.tag = "figcaption"
        caption.attrib.clear()
        figure.extend([img, caption])
        made += 1
    return made
