"""Text and URLs that a Hexo theme prints unescaped and Hexo's regex filters re-parse
(issue 13, "Script on the published blog"; issue 11 item 10).

What the published blog does with a post, read in the pinned packages (tests/hexo):

- Volantis 6.8.3 prints ``title`` raw (``<%- %>``) into ``<h1>``, ``alt="…"``, ``title='…'``,
  share links' ``href="…&title=…"``, the sidebar and the archive and category lists, and
  ``headimg``/``thumbnail`` into ``src='…'`` and ``href="…&pics=…"``
  (``layout/_partial/meta.ejs``, ``post.ejs``, ``_meta/thumbnail.ejs``, ``_plugins/share``).
- Hexo 8's ``external_link`` filter (``after_render:html`` on every page, and
  ``after_post_render``) finds ``<a …href="http…">`` with a regex and rewrites the first
  ``href=`` and ``rel='…'`` *text* of the tag, wherever it sits: inside another attribute's
  value that text gains a ``"`` and the rest of the value becomes live attributes.
- Volantis's lazy-load filter (``scripts/filters/z-lazyload.js``, ``after_render:html``) finds
  ``<img(.*?)src="(.*?)"`` and inserts ``" class=… srcset="`` after the first occurrence of the
  ``src`` value in the tag, again wherever it sits (an ``alt`` repeating the URL is cut open).
- hexo-renderer-marked 7 passes the body's HTML block through as written (its ``link`` and
  ``image`` renderers see only Markdown syntax), so the two filters above are what re-parse it.

So a value may hold nothing a browser or those regexes read as markup: :func:`safe_title` for
titles, :func:`attribute_url` and :func:`https_image_url` for URLs, :func:`body_attribute` for
every attribute nh3 keeps in the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps
from typing import Final
from urllib.parse import urlsplit

from scrapy.utils.url import url_is_from_any_domain
from w3lib.url import safe_url_string

from sinacrawl.charset import strip_controls
from sinacrawl.post import clean_value

__all__ = [
    "DEFAULT_IMAGE_HOSTS",
    "attribute_url",
    "body_attribute",
    "https_image_url",
    "is_image_host",
    "safe_title",
]

#: Sina's image hosts, as seen in real pages (../shared/corpus): ``n.sinaimg.cn``,
#: ``k.sinaimg.cn``, ``www.sinaimg.cn``, ``i0``–``i3.sinaimg.cn``, ``tva*.sinaimg.cn`` (every
#: ``*.sinaimg.cn``) and, on 2005–2016 pages, ``image2.sina.com.cn``. A host matches a name
#: when it is that name or a subdomain of it. Setting ``SINACRAWL_IMAGE_HOSTS`` replaces it.
DEFAULT_IMAGE_HOSTS: Final = ("sinaimg.cn", "image2.sina.com.cn")

# Regex over text already extracted: an HTML tag spelled out in a headline ("&lt;script&gt;").
_TAG_LIKE = re.compile(r"</?[A-Za-z!?][^<>]*>")
#: What the HTML tokenizer reads as the start of a tag (WHATWG "tag open state"): ``<`` then
#: an ASCII letter, ``/``, ``!`` or ``?``. ``<净流入>`` is text and stays.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
#: ``=`` right after an ASCII letter reads as an attribute (``href=``, ``src=``, ``rel=``) to
#: Hexo's and Volantis's regex filters; ``1+1=2`` and ``市盈率=20`` stay as written.
_ASSIGNMENT = re.compile(r"(?<=[A-Za-z])=")
#: A ``'`` opens a quotation when no letter or digit (of any script) precedes it and a
#: non-space follows (``'again'``, ``：'舍得花'``); any other is a closing quote or an
#: apostrophe (``Moody's``), as in marked's smartypants (hexo-renderer-marked).
_OPENING_SINGLE = re.compile(r"(?<!\w)'(?=\S)")
#: A URL that no quoted or unquoted attribute, and no regex filter, can be cut at: printable
#: ASCII without white space, quotes, angle brackets, backtick or backslash.
_ATTRIBUTE_SAFE_URL = re.compile(r"[!#-&(-;=?-\[\]-_a-z{-~]+")
#: Attribute text values (``alt``) holding any of these are dropped: ``=`` and quotes are what
#: a regex filter needs to mint an attribute, ``<``/``>`` end a tag, ``//`` repeats a URL (the
#: lazy-load filter cuts a value that repeats the ``src``), and ``href``/``src``/``on…`` are the
#: names those filters and browsers act on.
_UNSAFE_TEXT = re.compile(r"[=\"'`<>\\]|//|href|src|(?<![a-z])on[a-z]", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,5}%?")
_WORDS = re.compile(r"[a-z_ -]*")
_URL_SCHEMES: Final = frozenset({"http", "https", "mailto"})
#: Distinct URLs whose encodings are remembered: a body's URLs are encoded when the body is
#: cleaned and again in nh3's attribute filter; Sina's logos recur on every page (perf11).
#: Only URLs up to :data:`_CACHED_URL_CHARS` characters: at most about 8 MB held.
_URL_CACHE = 4096
_CACHED_URL_CHARS = 2048


def _remembered(function: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """``function`` (pure) with its answers for the last :data:`_URL_CACHE` distinct short
    URLs cached."""
    cached = lru_cache(maxsize=_URL_CACHE)(function)

    @wraps(function)
    def lookup(url: str) -> str | None:
        return cached(url) if len(url) <= _CACHED_URL_CHARS else function(url)

    return lookup


def _typographic_quotes(text: str) -> str:
    # Double quotes pair up in headlines: they alternate, whatever script surrounds them
    # (smartypants' rule reads 60万"12306账号" as two closing quotes).
    text = _OPENING_SINGLE.sub("\u2018", text).replace("'", "\u2019")
    parts = text.split('"')
    quotes = ("\u201c", "\u201d")
    return "".join(part + quotes[index % 2] for index, part in enumerate(parts[:-1])) + parts[-1]


def safe_title(raw: str) -> str:
    """A headline as the post's title: one clean line (:func:`~sinacrawl.post.clean_value`)
    that no theme printing it raw can read as markup (issue 13, item 2).

    Tag-like runs (``<b>``, ``</script>``) are removed, again and again with the line cleaning
    until nothing changes (``<<b>img …>`` nests one tag in another; a BOM, private-use or
    unassigned character after ``<`` is removed by the cleaning); a ``<`` still followed by a
    letter, ``/``, ``!`` or ``?`` (an unclosed tag) becomes ``＜``; ``=`` after a letter becomes
    ``＝``; ``"`` and ``'`` become typographic quotes, so the title stays inside any quoted
    attribute. ``<净流入>``, ``&``, ``《》`` and ``1+1=2`` stay as they are.

    >>> safe_title("央行 <script>alert(1)</script> 降准 <净流入>")
    '央行 alert(1) 降准 <净流入>'
    >>> safe_title("A<<b>img src=x onerror=alert(1)>B <img src=x")
    'AB ＜img src＝x'
    >>> safe_title("Moody's \\"negative\\" 'again'")
    'Moody’s “negative” ‘again’'
    """
    text = clean_value(raw)
    while (stripped := clean_value(_TAG_LIKE.sub("", text))) != text:
        text = stripped
    text = _ASSIGNMENT.sub("\uff1d", _TAG_OPEN.sub("\uff1c", text))
    return _typographic_quotes(text)


@_remembered
def attribute_url(url: str) -> str | None:
    """``url`` percent-encoded (w3lib's ``safe_url_string``, then ``'`` as ``%27``) so that it
    can stand in any attribute, quoted or not; ``None`` when it cannot be parsed or keeps a
    character no URL may hold (a bidi or other non-ASCII character in the host). Idempotent:
    an already encoded URL comes back unchanged. Scheme and host are lower-cased.

    A pure function of ``url``: answers for the last 4,096 distinct URLs (of up to 2,048
    characters) are cached.

    >>> attribute_url("HTTP://N.SINAIMG.CN/a b'\\"<c>.jpg")
    'http://n.sinaimg.cn/a%20b%27%22%3Cc%3E.jpg'
    """
    try:
        encoded = safe_url_string(url.strip()).replace("'", "%27")
    except ValueError:  # "Invalid IPv6 URL" and the like
        return None
    return encoded if _ATTRIBUTE_SAFE_URL.fullmatch(encoded) else None


@_remembered
def https_image_url(url: str) -> str | None:
    """An absolute image URL as the post may carry it (SPEC section 2, issue 13 item 3):
    :func:`attribute_url`, ``http:`` moved to ``https:``, no user name or port; ``None`` for
    any other scheme, a relative URL or one with no host. Cached like :func:`attribute_url`.

    >>> https_image_url("http://n.sinaimg.cn/a'.jpg")
    'https://n.sinaimg.cn/a%27.jpg'
    """
    encoded = attribute_url(url)
    if encoded is None:
        return None
    try:
        parts = urlsplit(encoded)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.username is not None or port is not None or parts.netloc != parts.hostname:
        return None
    return "https" + encoded[len(parts.scheme) :]


def is_image_host(url: str, hosts: Iterable[str]) -> bool:
    """Is ``url``'s host one of ``hosts`` or a subdomain of one (``n.sinaimg.cn`` matches
    ``sinaimg.cn``)? Scrapy's ``url_is_from_any_domain``, as for ``allowed_domains``.
    """
    return url_is_from_any_domain(url, list(hosts))


def body_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's ``attribute_filter`` for the body (issue 13, item 1): the value an attribute
    keeps, or ``None`` to drop it. Every value must survive Hexo's ``external_link`` and
    Volantis's lazy-load regexes as written: URLs are :func:`attribute_url` (``src``
    :func:`https_image_url`) with an allowed scheme, checked again because nh3 does not check
    what the filter returns; ``alt`` is dropped when it holds ``=``, a quote, ``<``, ``>``,
    ``//`` or an ``href``/``src``/``on…`` fragment, and loses its control characters
    (:func:`~sinacrawl.charset.strip_controls`); sizes are digits (and ``%``); anything
    else (``rel``, ``class``, ``referrerpolicy``: fixed words set by the sanitizer) must be
    plain words.

    >>> body_attribute("img", "alt", "图1 onerror=alert(1)") is None
    True
    >>> body_attribute("a", "href", "https://e.com/?q=\\"x\\"")
    'https://e.com/?q=%22x%22'
    """
    if attribute == "href":
        url = attribute_url(value)
        try:
            return url if url and urlsplit(url).scheme in _URL_SCHEMES else None
        except ValueError:  # a bracketed host that is no IP address
            return None
    if attribute == "src":
        return https_image_url(value)
    if attribute == "alt":
        value = strip_controls(value)
        return None if _UNSAFE_TEXT.search(value) else value
    if attribute in {"width", "height", "colspan", "rowspan"}:
        return value if _NUMBER.fullmatch(value.strip()) else None
    return value if _WORDS.fullmatch(value) else None
