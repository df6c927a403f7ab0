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
    (``modified``: Sina's last edit), both aware UTC datetimes or ``None`` when absent, and
    ``intro`` (the feed's summary of the article, ``""`` when absent; issue 15 item 3) and
    ``media_name`` (the outlet it credits, ``""`` when absent; issue 15 item 5).
    """

    url: str
    title: str
    published: datetime | None
    modified: datetime | None = None
    intro: str = ""
    media_name: str = ""


def feed_url(pageid: int, lid: int, page: int, num: int = 50) -> str:
    """The roll-feed URL of channel ``pageid``/``lid`` (``SINACRAWL_CHANNELS``, issue 12),
    1-based ``page``, ``num`` entries a page, in SPEC section 5's exact form.

    >>> feed_url(155, 1686, 2)
    'https://feed.mix.sina.com.cn/api/roll/get?pageid=155&lid=1686&num=50&page=2'
    >>> feed_url(384, 2672, 1)
    'https://feed.mix.sina.com.cn/api/roll/get?pageid=384&lid=2672&num=50&page=1'
    """
    return add_or_replace_parameters(
        FEED_BASE, {"pageid": str(pageid), "lid": str(lid), "num": str(num), "page": str(page)}
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

    An empty list is the feed's end. Every listed entry is returned, its ``url`` as text (an
    entry that is not an object, or has no ``url``, gets ``""``), so that the spider can log and
    count the ones it cannot request. Raises :class:`FeedError` when ``text`` is not the feed's
    shape (an HTML error page, say) or the feed reports an error (``result.status.code`` not 0).
    """
    try:
        document = _unwrap_jsonp(text)
        result = document["result"]
        data = result["data"]
        status = result.get("status") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        detail = f"no {exc.args[0]!r} key" if isinstance(exc, KeyError) else str(exc)
        raise FeedError(f"not a roll-feed page: {detail}") from exc
    if isinstance(status, dict) and str(status.get("code", 0)) != "0":
        raise FeedError(f"feed status {status.get('code')} ({status.get('msg', '')})")
    if not isinstance(data, list):
        raise FeedError("result.data is not a list")
    entries = []
    for raw in data:
        if not isinstance(raw, dict):
            entries.append(FeedEntry("", "", None))
            continue
        url = "" if raw.get("url") is None else str(raw["url"]).strip()
        title = str(raw.get("title") or "")
        published, modified = parse_unix(raw.get("ctime")), parse_unix(raw.get("mtime"))
        intro, media_name = raw.get("intro"), raw.get("media_name")
        entries.append(
            FeedEntry(
                url,
                title,
                published,
                modified,
                intro if isinstance(intro, str) else "",
                media_name if isinstance(media_name, str) else "",
            )
        )
    return entries
