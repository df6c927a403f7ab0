"""Sina's 7x24 live news (the zhibo feed): its channels, the URL of a page, and the flashes a page
lists (issue 12).

A page is JSON: ``result.status.code`` (0 = fine), ``result.data.feed.list[]`` newest first, each
flash with ``id``, ``rich_text`` (HTML), ``create_time`` (Beijing time, ``YYYY-MM-DD HH:MM:SS``),
``tag[{id, name}]`` and ``ext``, a JSON *string* holding ``stocks[{market, symbol, key}]`` and
``docurl``; ``result.data.feed.page_info`` says which page it is of how many
(https://zhibo.sina.com.cn/api/zhibo/feed?zhibo_id=152&page=1&pagesize=20&dire=f&dpc=1).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from w3lib.url import add_or_replace_parameters

from sinacrawl.charset import strip_controls
from sinacrawl.dates import BEIJING

__all__ = [
    "Flash",
    "ZhiboChannel",
    "ZhiboError",
    "ZhiboPage",
    "parse_zhibo",
    "read_zhibo_channels",
    "select_zhibo_channels",
    "zhibo_url",
]

ZHIBO_BASE = "https://zhibo.sina.com.cn/api/zhibo/feed"
#: The ``zhibo`` spider argument that asks for every channel of the table.
ALL = "all"
_SYMBOL = re.compile(r"^[A-Za-z0-9.$-]{1,20}$")


class ZhiboError(ValueError):
    """A zhibo page that is not the feed's JSON, or that reports an error."""


@dataclass(frozen=True, slots=True)
class ZhiboChannel:
    """One 7x24 channel: its ``zhibo_id`` (152), the digest posts' ``title`` before the day
    (``新浪财经7x24``) and their ``categories``, in order."""

    zhibo_id: int
    title: str
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Flash:
    """One flash: Sina's ``id``, ``created`` (aware, Beijing time), ``html`` (``rich_text`` as
    served, not yet cleaned), ``link`` (``ext.docurl`` or ``None``) and ``stocks``, the
    ``(name, symbol)`` pairs of ``ext.stocks``; text, link and names without control characters
    (:func:`~sinacrawl.charset.strip_controls`: lxml refuses them, and one lost the whole day's
    digest; attack trial, stop 19)."""

    id: int
    created: datetime
    html: str
    link: str | None = None
    stocks: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ZhiboPage:
    """What one page lists: its readable ``flashes`` in the page's order, a reason for each
    entry that is not a flash (``bad``), and ``last``: no page comes after it."""

    flashes: tuple[Flash, ...]
    bad: tuple[str, ...]
    last: bool


def zhibo_url(zhibo_id: int, page: int, pagesize: int) -> str:
    """The URL of 1-based ``page`` of channel ``zhibo_id``, ``pagesize`` flashes a page, newest
    first.

    >>> zhibo_url(152, 2, 50)
    'https://zhibo.sina.com.cn/api/zhibo/feed?zhibo_id=152&page=2&pagesize=50&dire=f&dpc=1'
    """
    return add_or_replace_parameters(
        ZHIBO_BASE,
        {
            "zhibo_id": str(zhibo_id),
            "page": str(page),
            "pagesize": str(pagesize),
            "dire": "f",
            "dpc": "1",
        },
    )


def read_zhibo_channels(table: Mapping[Any, Any]) -> tuple[ZhiboChannel, ...]:
    """Every channel of ``table`` (the ``SINACRAWL_7X24_CHANNELS`` setting: zhibo id →
    ``{"title": str, "categories": [str, …]}``), in the table's order.

    >>> read_zhibo_channels({"152": {"title": "7x24", "categories": ["a"]}})[0].zhibo_id
    152

    Raises :class:`ValueError`, with a message for the user, for an empty table or a malformed
    entry.
    """
    if not table:
        raise ValueError("SINACRAWL_7X24_CHANNELS is empty: it needs at least one channel")
    channels = []
    for key, raw in table.items():
        where = f"SINACRAWL_7X24_CHANNELS[{key!r}]"
        if isinstance(key, bool) or not str(key).isdigit():
            raise ValueError(f"{where}: the key must be a zhibo id (a whole number)")
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where} must be a mapping with 'title' and 'categories'")
        title, categories = raw.get("title"), raw.get("categories")
        if not isinstance(title, str) or not title.strip():
            raise ValueError(f"{where} needs a non-empty 'title'")
        if (
            not isinstance(categories, list | tuple)
            or not categories
            or not all(isinstance(c, str) and c.strip() for c in categories)
        ):
            raise ValueError(f"{where} needs 'categories', a list of non-empty strings")
        channels.append(ZhiboChannel(int(key), title, tuple(categories)))
    return tuple(channels)


def select_zhibo_channels(
    channels: tuple[ZhiboChannel, ...], wanted: str
) -> tuple[ZhiboChannel, ...]:
    """The channels the ``zhibo`` spider argument names: comma-separated zhibo ids (a repeated
    id counts once), or ``all``.

    Raises :class:`ValueError` for an empty argument or an id the table lacks.
    """
    by_id = {str(channel.zhibo_id): channel for channel in channels}
    ids = [part.strip() for part in wanted.split(",") if part.strip()]
    if ids == [ALL]:
        return channels
    if not ids:
        raise ValueError(f"zhibo must name a zhibo id or {ALL!r}, got {wanted!r}")
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise ValueError(
            f"unknown zhibo channel {unknown[0]!r}; SINACRAWL_7X24_CHANNELS has "
            f"{sorted(by_id, key=int)} (or {ALL!r})"
        )
    return tuple(by_id[i] for i in dict.fromkeys(ids))


def _ext(raw: object) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """``docurl`` and the stock list of a flash's ``ext`` (a JSON string; anything unreadable
    in it is left out, it is decoration)."""
    try:
        ext = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw
    except ValueError:
        return None, ()
    if not isinstance(ext, dict):
        return None, ()
    docurl = ext.get("docurl")
    link = (strip_controls(docurl).strip() or None) if isinstance(docurl, str) else None
    stocks = []
    for stock in ext.get("stocks") or ():
        if not isinstance(stock, dict):
            continue
        name = strip_controls(str(stock.get("key") or "")).strip()
        symbol = str(stock.get("symbol") or "").strip()
        if name and _SYMBOL.match(symbol):
            stocks.append((name, symbol))
    return link, tuple(stocks)


def _flash(raw: object) -> Flash | str:
    """One list entry as a :class:`Flash`, or the reason it is not one."""
    if not isinstance(raw, dict):
        return "not an object"
    try:
        flash_id = int(raw.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"no numeric id ({raw.get('id')!r})"
    text = raw.get("rich_text")
    if not isinstance(text, str) or not text.strip():
        return f"flash {flash_id}: no rich_text"
    try:
        created = datetime.strptime(str(raw.get("create_time")), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return (
            f"flash {flash_id}: create_time {raw.get('create_time')!r} is not YYYY-MM-DD HH:MM:SS"
        )
    link, stocks = _ext(raw.get("ext"))
    return Flash(flash_id, created.replace(tzinfo=BEIJING), strip_controls(text), link, stocks)


def _not_zhibo(exc: Exception) -> ZhiboError:
    detail = f"no {exc.args[0]!r} key" if isinstance(exc, KeyError) else str(exc)
    return ZhiboError(f"not a zhibo page: {detail}")


def parse_zhibo(text: str) -> ZhiboPage:
    """The flashes of one zhibo page (JSON).

    An empty list, or ``page_info`` saying this page is the last (``page >= totalPage``), makes
    ``last`` true. An entry that is not a flash (no id, no text, a time that is not
    ``YYYY-MM-DD HH:MM:SS``) is left out with its reason in ``bad``. Raises :class:`ZhiboError`
    when ``text`` is not the feed's JSON (an HTML error page) or reports an error
    (``result.status.code`` not 0).
    """
    try:
        result = json.loads(text)["result"]
        status = result.get("status") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _not_zhibo(exc) from exc
    # an error answer carries no feed: say what Sina said
    if isinstance(status, dict) and str(status.get("code", 0)) != "0":
        raise ZhiboError(f"zhibo status {status.get('code')} ({status.get('msg', '')})")
    try:
        feed = result["data"]["feed"]
        listed = feed["list"]
    except (KeyError, TypeError) as exc:
        raise _not_zhibo(exc) from exc
    if not isinstance(listed, list):
        raise ZhiboError("result.data.feed.list is not a list")
    flashes: list[Flash] = []
    bad: list[str] = []
    for raw in listed:
        flash = _flash(raw)
        if isinstance(flash, Flash):
            flashes.append(flash)
        else:
            bad.append(flash)
    info = feed.get("page_info") if isinstance(feed, dict) else None
    last = not listed
    if isinstance(info, dict):
        with contextlib.suppress(KeyError, TypeError, ValueError):  # no page_info: list decides
            last = last or int(info["page"]) >= int(info["totalPage"])
    return ZhiboPage(tuple(flashes), tuple(bad), last)
