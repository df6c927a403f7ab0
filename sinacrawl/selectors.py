"""Where things live on a Sina article page: every selector the extraction uses, as data.

Each entry was confirmed on a saved page of ``../shared/corpus/pages`` (named beside it).
XPath 1.0 over an ``lxml.html`` tree; CSS-like class tests use the
``contains(concat(' ', normalize-space(@class), ' '), ' x ')`` idiom. Alternatives are written as
one step with ``or``, never as a union (``a | b``): libxml2 sorts a union's nodes into document
order with comparisons that walk sibling lists, quadratic on a long article with many matches.
Whole-page lookups are written ``/descendant::x[…]``, the same nodes as ``//x[…]`` (no
positional predicate) at half the cost: libxml2 evaluates ``//`` as a child step from every node.
"""

from __future__ import annotations

import re
from typing import Final

from lxml.etree import XPath


def _mentions(name: str, *attributes: str) -> str:
    """Does any of ``attributes`` contain ``name`` in lower case, Capitalised or UPPER case?
    (Cheaper than ``translate()``, which copies every value it reads.)"""
    spellings = (name, name.capitalize(), name.upper())
    return " or ".join(f"contains({a}, '{s}')" for a in attributes for s in spellings)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# --- head and metadata ------------------------------------------------------------------------
#: Headline, in order of preference (SPEC section 2), as (tag, attribute, value): a ``class``
#: value is one word of the class list. ``h1.main-title``: 2018+ template
#: (gne-finance-roll-2018-12-28); ``h1#artibodyTitle``: 2016 template (recon16-*). These and
#: the ``<meta property>`` names below are read in document order and the first answer stops
#: the walk (extract.py): on a long article an XPath visited every element (60 ms for 20 MB).
TITLE: Final = (("h1", "class", "main-title"), ("h1", "id", "artibodyTitle"))
OG_TITLE: Final = "og:title"
OG_IMAGE: Final = "og:image"
PUBLISHED_TIME: Final = "article:published_time"
#: Visible date text: ``.date`` (2018+ template), ``.time-source`` (2016 template,
#: magichtml-finance-forexroll-2016-05-25), ``#pub_date`` (older pages).
DATE_TEXT: Final = XPath(
    "/descendant::*[@class or @id]"
    f"[{_has_class('date')} or {_has_class('time-source')} or @id='pub_date']"
)

#: Sina's generic share images and lazy-load placeholders, never an article image nor
#: ``headimg`` (SPEC sections 2 and 3; issue 11): anything under ``n.sinaimg.cn/default/``
#: (the 2021 template's og:image, the WeChat logo ``#wx_pic``,
#: ``n.sinaimg.cn/default/…/transparent.gif``), any transparent/blank/spacer GIF, and ``data:``
#: URIs. Schemes and hosts are case-insensitive.
PLACEHOLDER_IMAGE: Final = re.compile(
    r"^(?:(?:https?:)?//n\.sinaimg\.cn/default/"
    r"|[^?#]*/(?:transparent|blank|spacer|pixel|grey|gray|loading)[^/?#]*\.gif(?:[?#]|$)"
    r"|data:)",
    re.IGNORECASE,
)
#: A ``data-*`` attribute value that is an image URL (issue 11: a lazy image whose attribute
#: name sinacrawl does not know still gives its image when ``src`` is a placeholder).
IMAGE_URL: Final = re.compile(
    r"^\s*(?:https?:)?//[^\s\"'<>]+\.(?:jpe?g|png|gif|webp|bmp)(?:[?#][^\s\"'<>]*)?\s*$",
    re.IGNORECASE,
)

# --- the article container (SPEC section 3) ---------------------------------------------------
#: First match wins. ``#artibody``: finance template (recon-*); ``#article``: news template
#: (gne-news-2019-09-07) and the 2005 house template (cwced-bj-house-2005-03-31);
#: ``section.art_content``: the sina.cn mobile template (magichtml-finance-sina-cn-mobile-2005).
#: ``id()`` reads the parser's table of ids (the first element with the id, as
#: ``//*[@id=…]`` would give first) instead of visiting every element of the page.
CONTAINER: Final = (
    XPath("id('artibody')"),
    XPath("id('article')"),
    XPath(f"/descendant::section[{_has_class('art_content')}]"),
)

# --- what the body loses (SPEC section 3) -----------------------------------------------------
#: Removed with everything inside them, by tag (and HTML comments: clean.py).
REMOVE_TAGS: Final = (
    "script", "style", "noscript", "iframe", "ins", "object", "form", "video", "audio",
)  # fmt: skip
#: Elements with at least one attribute: only these can carry a mark or hide (found by libxml2;
#: reading each element's attributes in Python cost 2 µs an element on a long article, issue 16).
WITH_ATTRIBUTES: Final = XPath("descendant::*[@*]")
#: XML's white space, on which XPath's ``normalize-space`` (and so a class test) splits.
_XML_SPACE: Final = str.maketrans("\t\n\r", "   ")
#: ``video`` and ``player``, each in lower case, Capitalised and UPPER case.
_PLAYER_MARKS: Final = ("video", "Video", "VIDEO", "player", "Player", "PLAYER")


def is_player_mark(cls: str, ident: str) -> bool:
    """Is an element whose ``class`` is ``cls`` and ``id`` is ``ident`` (``""`` when absent)
    marked as a video player? ``video`` or ``player`` (lower case, Capitalised or UPPER case) in
    either, or ``miaopai`` in the class. The 2018 finance player is ``div.artical-player-wrap``
    around ``div#J_Article_Player`` (xmu-finance-chanjing-cyxw-2018-04-12).

    >>> is_player_mark("artical-player-wrap", ""), is_player_mark("", "J_Article_Player")
    (True, True)
    """
    return any(mark in cls or mark in ident for mark in _PLAYER_MARKS) or "miaopai" in cls


def is_marked(tag: str, cls: str, ident: str, sudaclick: str) -> bool:
    """Is an element removed with everything inside it by its marks (SPEC section 3)? Reads
    only its ``tag``, ``class``, ``id`` and ``data-sudaclick`` (``""`` when absent). A class is
    a word of the ``class`` list split on XML white space (as XPath's
    ``contains(concat(' ', normalize-space(@class), ' '), ' x ')`` reads it). In Python: the
    same twenty tests in one XPath took libxml2 10 µs per element with a class (perf11;
    tests/test_perf_equivalence.py checks both agree).

    >>> is_marked("div", "clearfix appendQr_wrap", "", ""), is_marked("p", "appendQr", "", "")
    (True, False)
    """
    classes = cls.translate(_XML_SPACE).split(" ")
    return (
        # QR block and app promotion (recon-*: div.appendQr_wrap; kaihu/finance_app widgets)
        "appendQr_wrap" in classes
        or "kaihu" in cls
        or "kaihu" in ident
        or cls.startswith("finance_app_")
        or " finance_app_" in cls
        # live quote spans (gne-finance-usstock-2019-09-09: span#quote_JPM)
        or (tag == "span" and ident.startswith("quote_"))
        # market chart widget (recon16-*, magichtml-finance-forexroll-2016: div.ct_hqimg)
        or "ct_hqimg" in classes
        # ad slots (magichtml-news-2024-05-16: div#ad_44086 around ins.sinaads)
        or ident.startswith("ad_")
        or "otherContent_01" in classes
        or "article-notice" in classes
        # stock-forum promotion (recon16-*: div[data-sudaclick=suda_1028_guba])
        or sudaclick == "suda_1028_guba"
        # video players: a poster image there is not an article image
        or is_player_mark(cls, ident)
        # the WeChat share logo, hidden on the page (issue 11; SPEC section 3)
        or ident == "wx_pic"
    )


#: Block elements whose whole text is checked against :data:`PROMO_TEXT`, in document order
#: (lxml's ``iterdescendants`` with these tags: a fifth of the cost of the same ``self::`` XPath).
PROMO_BLOCK_TAGS: Final = ("p", "blockquote", "div")
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

#: Every :data:`PROMO_TEXT` match holds one of these words (white space removed; no case).
PROMO_TEXT_WORDS: Final = ("新浪财经", "点击进入专题", "金麒麟", "【点击投票】")

#: Elements dropped when nothing is left in them: no text but white space, no image or table
#: (corpus pages leave ``<p>　　</p>``, ``<div></div>`` and empty caption spans behind).
EMPTY_TAGS: Final = ("p", "div", "span", "strong", "b", "em", "i", "u", "font", "center")
KEEP_EMPTY: Final = XPath("descendant::*[self::img or self::table or self::hr]")

#: Lazy-image attributes that win over any ``src`` (SPEC section 3); any other ``data-*``
#: attribute holding an image URL wins over a placeholder or missing ``src`` (issue 11).
LAZY_SRC: Final = ("data-src", "data-original")
#: ``descendant::``, not ``.//``: the same nodes, but ``.//a[@href]`` is a child step with a
#: predicate from every node (3.4 ms/MB on a 20 MB article against 0.9 ms/MB; issue 16).
IMAGES: Final = XPath("descendant::img")
LINKS: Final = XPath("descendant::a[@href]")

# --- page widgets, decided by what they hold (SPEC section 3, issue 11) ------------------------
#: Poster and thumbnail hosts of Sina's video players: such an image is never an article image
#: (xmu-finance-chanjing-cyxw-2018-04-12: ``p.ivideo.sina.com.cn/…_220_124.jpg``).
VIDEO_POSTER_HOSTS: Final = ("ivideo.sina.com.cn", "video.sina.com.cn", "v.iask.com")
#: The whole text of a video player's leftover skeleton element (SPEC section 3).
PLAYER_TEXT: Final = re.compile(
    r"^(?:视频加载中[，,]?(?:请稍候)?[.。…]*|自动播放|连续播放|向前|向后|play)$", re.IGNORECASE
)
#: Text nodes that may be a player's skeleton: their element's whole text is then checked
#: against :data:`PLAYER_TEXT` (text nodes first: far fewer than elements).
PLAYER_SKELETON: Final = XPath(
    "descendant::text()[contains(., '视频加载中') or contains(., '自动播放')"
    " or contains(., '连续播放') or contains(., '向前') or contains(., '向后')"
    f" or {_mentions('play', '.')}]"
)

#: Sina's quote box: related reading when it holds only links, the author's text (摘要, a lead)
#: otherwise (xmu-finance-bank-focus-2018-04-11 has both kinds; recon-2021-05-01 a 相关新闻 box).
QUOTE_BOX: Final = XPath(f"descendant::blockquote[{_has_class('fin_reference')}]")
#: Blocks checked for being only links to Sina's commercial/promotional properties.
LINK_BLOCKS: Final = XPath(
    "descendant::*[self::p or self::div or self::blockquote or self::ul or self::li"
    " or self::table][descendant::a[@href]]"
)
#: A label a link list may carry besides its links (相关新闻：, 《信用卡赛点》系列报道：):
#: at most this many characters outside links, white space removed.
LINK_BOX_LABEL_CHARS: Final = 20
#: Sina's commercial and promotional properties (issue 11): a block whose every link points
#: here is Sina's promotion, not the author's. (host suffix, path prefix) pairs; an empty path
#: prefix is the whole host. 新浪众测 (zhongce), 黑猫投诉 (tousu), 新浪理财师 and the paid
#: 金麒麟 research (licaishi, gu.sina.cn), the VIP data service (vip.stock.finance), the app
#: download pages (finance.sina.com.cn/mobile/, /app/), 金融曝光台 (finance.sina.com.cn/zt_d/bgt/),
#: Sina's ad click hosts (sax, e.sina).
PROMO_LINKS: Final = (
    ("zhongce.sina.com.cn", ""),
    ("zhongce.sina.cn", ""),
    ("tousu.sina.com.cn", ""),
    ("tousu.sina.cn", ""),
    ("licaishi.sina.com.cn", ""),
    ("gu.sina.cn", ""),
    ("vip.stock.finance.sina.com.cn", ""),
    ("sax.sina.com.cn", ""),
    ("e.sina.com.cn", ""),
    ("finance.sina.com.cn", "/mobile/"),
    ("finance.sina.com.cn", "/app/"),
    ("finance.sina.com.cn", "/zt_d/bgt"),
)
#: Sina's fixed promotional phrases, found inside any text: the sentence holding one goes
#: (issue 11: only that sentence when it shares a paragraph with the author's text). Searched
#: in text nodes, so each alternative is anchored on a literal word (no leading ``.*``).
PROMO_SENTENCE: Final = re.compile(
    r"尽在新浪财经APP"
    r"|(?:下载|打开)新浪财经(?:APP|客户端)"
    r"|(?:点击|进入|登录|登陆|前往|欢迎)[^。！？!?\n]{0,20}(?:黑猫投诉|金融曝光台|新浪众测)"
    r"|(?:黑猫投诉|金融曝光台|新浪众测)(?:平台)?[^。！？!?\n]{0,12}(?:投诉入口|举报入口|免费试用|申请试用)",
    re.IGNORECASE,
)
#: Every :data:`PROMO_SENTENCE` match holds one of these words, at most
#: :data:`PROMO_SENTENCE_REACH` characters from either end of the match (widgets.py searches
#: only around them: the whole pattern costs about 50 ns a character of text).
PROMO_SENTENCE_ANCHORS: Final = ("新浪财经", "黑猫投诉", "金融曝光台", "新浪众测")
PROMO_SENTENCE_REACH: Final = 40
#: Text nodes that may hold a :data:`PROMO_SENTENCE` (its literal words, searched in C).
PROMO_SENTENCE_TEXT: Final = XPath(
    "descendant::text()[contains(., '新浪财经') or contains(., '黑猫投诉')"
    " or contains(., '金融曝光台') or contains(., '新浪众测')]"
)
#: A text's sentences, every character in one: text up to and including its end marks
#: (。！？!? or a line end), or the text after the last one.
SENTENCES: Final = re.compile(r"[^。！？!?\n]*[。！？!?\n]+|[^。！？!?\n]+")

#: Sina's automatic keyword links (SPEC section 3): they become their plain text.
#: ``a.keyword`` (gne-finance-usstock-2019-09-09, every xmu-* page), stock-quote pages, 黑猫投诉,
#: and weibo links its CMS adds with ``zw=finance``; quote pages of any Sina market (``/quotes/``).
KEYWORD_LINKS: Final = XPath(
    "descendant::a["
    + _has_class("keyword")
    + " or @data-sudaclick='content_marketkeywords_p'"
    + " or contains(@href, '/realstock/company/')"
    + " or (contains(@href, 'sina.com.cn') and contains(@href, '/quotes/'))"
    + " or contains(@href, 'tousu.sina.com.cn')"
    + " or (contains(@href, 'weibo.com') and contains(@href, 'zw=finance'))"
    + "]"
)
#: Elements HTML calls void that libxml2's HTML parser opens as containers: a bare ``<embed>``
#: (how older Sina pages wrote Flash players) then swallows the rest of the article (issue 11);
#: ``<source>``, ``<track>``, ``<wbr>`` and ``<keygen>`` do the same (checked with lxml 6.1).
#: The element goes, what the parser put inside it stays.
VOID_CONTAINERS: Final = ("embed", "source", "track", "wbr", "keygen")
