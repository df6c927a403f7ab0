"""Sina document ids and the post file names built from them (SPEC sections 2 and 4)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

__all__ = ["document_id", "post_filename"]

# Regex over a URL string (not HTML): "doc-ikyamrmz0151960" / "detail-ikknscsi2623250".
_SINA_ID = re.compile(r"(?:doc|detail)-i([A-Za-z0-9]+)")
_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")
#: SPEC section 4: at most 120 bytes, extension included.
MAX_NAME_BYTES = 120


def document_id(url: str) -> str:
    """Sina's document id for an article URL.

    >>> document_id("https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml")
    'kyamrmz0151960'
    >>> document_id("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml")
    '244339'

    Without a ``doc-i``/``detail-i`` id, the last path segment without its extension; the empty
    string when the path has none.
    """
    match = _SINA_ID.search(urlsplit(url).path)
    if match:
        return match.group(1)
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return last.split(".", 1)[0]


def post_filename(docid: str, url: str) -> str:
    """The post's file name: ASCII, filesystem-safe, deterministic, at most 120 bytes.

    The document id is the stable key, so an article keeps its file (and its Hexo permalink)
    when Sina edits its title. It never starts with ``.`` or ``_`` (Hexo skips those); an id
    with nothing usable falls back to a hash of the URL.

    >>> post_filename("kyamrmz0151960", "https://example/doc-ikyamrmz0151960.shtml")
    'kyamrmz0151960.md'
    """
    stem = _UNSAFE.sub("-", docid).strip("-")[: MAX_NAME_BYTES - 3]
    if not stem:
        stem = "sina-" + hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]
    return stem + ".md"
