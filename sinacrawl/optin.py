"""The opt-in values of issue 15: Sina's keywords as ``tags``, a ``description`` (summary) and
captioned images as ``<figure>``. Each is off by default; they are used only when its setting is
on.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.html import HtmlElement, builder

from sinacrawl.post import clean_value

__all__ = ["DESCRIPTION_LIMIT", "make_figures", "page_keywords", "summary"]

#: The longest ``description``, in characters (issue 15 item 3).
DESCRIPTION_LIMIT = 120
# Sina separates keywords with ASCII commas, full-width commas or ideographic commas.
_KEYWORD_SPLIT = re.compile("[,，、]")
# A byline or credit rather than the article's text: 来源：…, 作者：…, 文｜…, 记者 …, 编辑：….
_BYLINE = re.compile(
    r"^[（(【\[]?\s*(?:来源|作者|文|图|撰文|记者|本报记者|编辑|责任编辑|责编|出品|策划|校对)"
    r"\s*[：:|｜/丨]"
)
_SENTENCE_END = re.compile("[。！？!?…]")


def page_keywords(doc: HtmlElement) -> tuple[str, ...]:
    """Sina's keywords of an article page: ``<meta name="keywords">`` then the ``data-wbkey``
    of ``#keywords`` (the "文章关键词" box under the 2018+ template), split on ``,``, ``，``
    and ``、``, each one line (:func:`~sinacrawl.post.clean_value`), the first of duplicates
    kept, in page order. Empty when the page has none (issue 15 item 2).

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
            keyword = clean_value(part)
            if keyword:
                seen.setdefault(keyword, None)
    return tuple(seen)


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
    ``…`` when there is none. ``None`` when there is no such text.

    >>> summary("", '<p>原标题：旧</p><p>来源：新华社</p><p>　　央行降准。市场平稳。</p>', 8)
    '央行降准。'
    """
    text = clean_value(intro.replace("\u3000", " ")) if intro else ""
    if not text:
        fragment = lxml.html.fragment_fromstring(body_html, create_parent="div")
        text = next(filter(None, map(_real_paragraph, fragment.iter("p"))), "")
    return _cut(text, limit) if text else None


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
