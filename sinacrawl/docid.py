"""Sina document ids and the post file names built from them (SPEC sections 2 and 4, issue 13
item 13)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

__all__ = ["document_id", "post_filename", "url_digest"]

# Regex over a URL's last path segment (not HTML): the whole segment is Sina's article name,
# "doc-ikyamrmz0151960.shtml" / "detail-ikknscsi2623250.d.html", so that no other page that
# merely carries an id somewhere in its path ("…/x-doc-i<id>.shtml") takes an article's file.
_SINA_ID = re.compile(r"(?:doc|detail)-i([A-Za-z0-9]+)(?:\.d)?(?:\.s?html?)?")
_UNSAFE = re.compile(r"[^a-z0-9]+")
#: A name used as it is: lower-case ASCII letters, digits and inner hyphens.
_PORTABLE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: Windows device names: ``CON.md`` cannot be created or read there, whatever the extension.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{port}{n}" for port in ("com", "lpt") for n in "0123456789"]
)
#: SPEC section 4: at most 120 bytes, extension included.
MAX_NAME_BYTES = 120
#: Characters of the slug a fallback name keeps before its digest.
_SLUG_CHARS = 60


def url_digest(url: str) -> str:
    """12 hex digits of the SHA-1 of ``url`` made canonical (w3lib's ``canonicalize_url``)
    without its scheme and default port: Sina serves one article over http and https.

    >>> url_digest("http://finance.sina.com.cn/a.shtml") == url_digest(
    ...     "https://finance.sina.com.cn/a.shtml")
    True
    """
    parts = urlsplit(canonicalize_url(url))
    port = parts.port if parts.port not in (80, 443) else None
    host = (parts.hostname or "") + (f":{port}" if port else "")
    canonical = parts._replace(scheme="", netloc=host).geturl()
    return hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:12]


def _slug(text: str) -> str:
    return _UNSAFE.sub("-", text.lower()).strip("-")[:_SLUG_CHARS].strip("-")


def document_id(url: str) -> str:
    """Sina's document id for an article URL: the id after ``doc-i``/``detail-i``.

    >>> document_id("https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml")
    'kyamrmz0151960'

    A URL without one (old pages, issue 13 item 13) gets an id unique to it: the slug of its
    last path segment, without extension, then a digest of the URL (:func:`url_digest`), so
    that ``…/2005-03-21/244339.shtml`` and ``…/2006/244339.html`` are two articles:

    >>> document_id("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml")
    '244339-2accd931fabd'
    >>> document_id("https://finance.sina.cn/2021-12-21/detail-ikyamrmz0151960.d.html")
    'kyamrmz0151960'

    The id counts only as the whole last path segment: a page that merely carries an article's
    id elsewhere in its path is another page, and must not replace that article's post:

    >>> document_id("https://blog.sina.com.cn/s/x-doc-ikyamrmz0151960.shtml")
    'x-doc-ikyamrmz0151960-b13c7d5f529c'
    >>> document_id("https://finance.sina.com.cn/")
    'sina-f9a9174097d3'
    """
    path = urlsplit(url).path
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    match = _SINA_ID.fullmatch(segment)
    if match:
        return match.group(1)
    last = segment.split(".", 1)[0]
    return f"{_slug(last) or 'sina'}-{url_digest(url)}"


def post_filename(docid: str, url: str) -> str:
    """The post's file name (SPEC section 4): ASCII, deterministic, never starting with ``.``
    or ``_`` (Hexo skips those), at most 120 bytes, and portable (issue 13 item 13): lower
    case only, so that no two names differ only in case, and never a Windows device name.

    The document id is the stable key, so an article keeps its file (and its Hexo permalink)
    when Sina edits its title; a Sina id (lower-case letters and digits) is the name as it is.
    Any other id (upper case, a device name, other characters, too long) becomes its slug
    followed by a digest of ``url`` (:func:`url_digest`), unique per article URL.

    >>> post_filename("kyamrmz0151960", "https://example/doc-ikyamrmz0151960.shtml")
    'kyamrmz0151960.md'
    >>> post_filename("CON", "https://finance.sina.com.cn/doc-iCON.shtml")
    'con-04556d3d9dc0.md'
    """
    stem = docid
    if (
        not _PORTABLE.fullmatch(stem)
        or stem in _RESERVED
        or len(stem) > MAX_NAME_BYTES - len(".md")
    ):
        stem = f"{_slug(docid) or 'sina'}-{url_digest(url)}"
    return stem + ".md"
