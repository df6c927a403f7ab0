"""Where things live on a Sina article page: every selector the extraction uses, as data.

Each entry was confirmed on a saved page of ``../shared/corpus/pages`` (named beside it).
XPath 1.0 over an ``lxml.html`` tree; CSS-like class tests use the
``contains(concat(' ', normalize-space(@class), ' '), ' x ')`` idiom. Alternatives are written as
one step with ``or``, never as a union (``a | b``): libxml2 sorts a union's nodes into document
order with comparisons that walk sibling lists, quadratic on a long article with many matches.
"""

from __future__ import annotations

import re
from typing import Final

from lxml.etree import XPath


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- head and metadata ------------------------------------------------------------------------
#: Headline, in order of preference (SPEC section 2). ``h1.main-title``: 2018+ template
#: (gne-finance-roll-2018-12-28); ``h1#artibodyTitle``: 2016 template (recon16-*).
TITLE: Final = (
    XPath(f"//h1[{_has_class('main-title')}]"),
    XPath("//h1[@id='artibodyTitle']"),
)
OG_TITLE: Final = XPath("//meta[@property='og:title']/@content")
OG_IMAGE: Final = XPath("//meta[@property='og:image']/@content")
PUBLISHED_TIME: Final = XPath("//meta[@property='article:published_time']/@content")
#: Visible date text: ``.date`` (2018+ template), ``.time-source`` (2016 template,
#: magichtml-finance-forexroll-2016-05-25), ``#pub_date`` (older pages).
DATE_TEXT: Final = XPath(
    f"//*[{_has_class('date')} or {_has_class('time-source')} or @id='pub_date']"
)

#: Sina's generic share images (not an article image): SPEC section 2.
PLACEHOLDER_IMAGE: Final = re.compile(r"^(?:https?:)?//n\.sinaimg\.cn/default/")

# --- the article container (SPEC section 3) ---------------------------------------------------
#: First match wins. ``#artibody``: finance template (recon-*); ``#article``: news template
#: (gne-news-2019-09-07) and the 2005 house template (cwced-bj-house-2005-03-31);
#: ``section.art_content``: the sina.cn mobile template (magichtml-finance-sina-cn-mobile-2005).
#: ``id()`` reads the parser's table of ids (the first element with the id, as
#: ``//*[@id=…]`` would give first) instead of visiting every element of the page.
CONTAINER: Final = (
    XPath("id('artibody')"),
    XPath("id('article')"),
    XPath(f"//section[{_has_class('art_content')}]"),
)

# --- what the body loses (SPEC section 3) -----------------------------------------------------
#: Removed with everything inside them, by tag (and HTML comments: clean.py).
REMOVE_TAGS: Final = (
    "script", "style", "noscript", "iframe", "ins", "object", "embed", "form", "video", "audio",
)  # fmt: skip
#: Removed with everything inside them, by mark: predicates that read only ``@class``, ``@id``
#: and ``@data-sudaclick``.
_REMOVE_MARKED: Final = (
    # QR block and app promotion (recon-*: div.appendQr_wrap; kaihu/finance_app widgets)
    _has_class("appendQr_wrap"),
    "contains(@class, 'kaihu') or contains(@id, 'kaihu')",
    "starts-with(@class, 'finance_app_') or contains(@class, ' finance_app_')",
    # live quote spans (gne-finance-usstock-2019-09-09: span#quote_JPM)
    "self::span and starts-with(@id, 'quote_')",
    # market chart widget (recon16-*, magichtml-finance-forexroll-2016: div.ct_hqimg)
    _has_class("ct_hqimg"),
    # ad slots (magichtml-news-2024-05-16: div#ad_44086 around ins.sinaads)
    "starts-with(@id, 'ad_')",
    _has_class("otherContent_01"),
    # "related news" box (recon-2021-05-01: blockquote.fin_reference)
    _has_class("fin_reference"),
    _has_class("article-notice"),
    # stock-forum promotion (recon16-*: div[data-sudaclick=suda_1028_guba])
    "@data-sudaclick='suda_1028_guba'",
    # video players (a poster image there is not an article image)
    "contains(@class, 'video') or contains(@id, 'video')",
    "contains(@class, 'miaopai')",
)
#: Elements removed with their content by mark (in document order, one step: see above).
REMOVE_MARKED: Final = XPath(
    "descendant::*[@class or @id or @data-sudaclick]["
    + " or ".join(f"({test})" for test in _REMOVE_MARKED)
    + "]"
)

#: Block elements whose whole text is checked against :data:`PROMO_TEXT`, in document order.
PROMO_BLOCKS: Final = XPath("descendant::*[self::p or self::blockquote or self::div]")
#: Promotional paragraphs Sina inserts (matched on the block's text, white space removed).
#: recon16-*: "进入【新浪财经股吧】讨论";
#: recon-2021-07-11-lmpacgj7066994: "炒股就看金麒麟分析师研报…";
#: recon-*: "海量资讯、精准解读，尽在新浪财经APP";
#: gne-news-2019-10-23-iicezuev4202091: "点击进入专题：聚焦香港局势".
PROMO_TEXT: Final = re.compile(
    r"^(?:进入【新浪财经股吧】讨论"
    r"|点击进入专题[:：].{0,40}"
    r"|炒股就看.{0,40}金麒麟.*"
    r"|.{0,40}尽在新浪财经APP"
    r"|.{0,30}(?:下载|打开)新浪财经(?:APP|客户端).{0,40}"
    r"|.{0,40}【点击投票】.{0,40}"
    r"|新浪财经(?:免费)?(?:产品)?(?:体验官|试用).{0,60})$",
    re.IGNORECASE,
)

#: Elements dropped when nothing is left in them: no text but white space, no image or table
#: (corpus pages leave ``<p>　　</p>``, ``<div></div>`` and empty caption spans behind).
EMPTY_TAGS: Final = ("p", "div", "span", "strong", "b", "em", "i", "u", "font", "center")
KEEP_EMPTY: Final = XPath("descendant::*[self::img or self::table or self::hr]")

#: Lazy-image attributes that win over a placeholder ``src`` (SPEC section 3).
LAZY_SRC: Final = ("data-src", "data-original")
IMAGES: Final = XPath(".//img")
LINKS: Final = XPath(".//a[@href]")
