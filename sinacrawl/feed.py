"""Sina's roll feed: the URL of a page and the entries it lists (SPEC section 5)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from w3lib.url import add_or_replace_parameters

from sinacrawl.dates import parse_unix

__all__ = ["FeedEntry", "FeedError", "feed_url", "parse_feed"]

FEED_BASE = "https://feed.mix.sina.com.cn/api/roll/get"


class FeedError(ValueError):
    """A feed page that is not the roll feed's JSON or JSONP."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One article listed by the feed: its URL, title, ``ctime`` (``published``) and ``mtime``
    (``modified``: Sina's last edit), both aware UTC datetimes or ``None`` when absent.
    """

    url: str
    title: str
    published: datetime | None
    modified: datetime | None = None


def feed_url(lid: int, page: int, num: int = 50) -> str:
    """The roll-feed URL for channel ``lid``, 1-based ``page``, in SPEC section 5's exact form.

    >>> feed_url(1686, 2)
    'https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=2'
    """
    return add_or_replace_parameters(
        FEED_BASE, {"pageid": "155", "lid": str(lid), "num": str(num), "page": str(page)}
    )


def _unwrap_jsonp(text: str) -> Any:
    """Decode the JSON object of a roll-feed page: plain JSON, JSONP ``cb({...});``, or Sina's
    guarded JSONP ``try{cb({...});}catch(e){};`` (the object is read up to its own end, so what
    follows it does not matter). Raises :class:`ValueError` when there is no such object.
    """
    stripped = text.strip()
    if stripped.startswith("{"):
        return json.loads(stripped)
    start = stripped.find("(")
    if start < 0:
        raise FeedError("neither JSON nor JSONP")
    document, _ = json.JSONDecoder().raw_decode(stripped[start + 1 :].lstrip())
    return document


def parse_feed(text: str) -> list[FeedEntry]:
    """The entries of one roll-feed page (JSON, or JSONP as ``callback({...})``).

    An empty list is the feed's end. Entries without an http(s) ``url`` are skipped.
    Raises :class:`FeedError` when ``text`` is not the feed's shape (an HTML error page, say).
    """
    try:
        document = _unwrap_jsonp(text)
        data = document["result"]["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FeedError(f"not a roll-feed page: {exc}") from exc
    if not isinstance(data, list):
        raise FeedError("result.data is not a list")
    entries = []
    for raw in data:
        if not isinstance(raw, dict):
            continue
        url = str(raw.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            continue
        title = str(raw.get("title") or "")
        published, modified = parse_unix(raw.get("ctime")), parse_unix(raw.get("mtime"))
        entries.append(FeedEntry(url, title, published, modified))
    return entries
