"""Sina Finance's roll-feed channels: the ``SINACRAWL_CHANNELS`` table read, the channels a crawl
asks for, and the channel an article URL belongs to (issue 12).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ALL", "Channel", "channel_for_url", "read_channels", "select_channels"]

#: The ``channel`` spider argument that asks for every channel of the table, in table order.
ALL = "all"
#: A channel key: short, ASCII, usable in ``-a channel=a,b`` and in log lines.
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass(frozen=True, slots=True)
class Channel:
    """One roll-feed channel: its ``key`` (``usstock``), the feed's ``pageid`` and ``lid``, the
    ``categories`` of its posts, in order, and ``paths``, the URL path prefixes of Sina's
    articles that belong to it (``/stock/usstock/``), used for articles given with ``-a urls``.
    """

    key: str
    pageid: int
    lid: int
    categories: tuple[str, ...]
    paths: tuple[str, ...] = ()


def _channel(key: object, raw: object) -> Channel:
    """One entry of the table as a :class:`Channel`; :class:`ValueError` naming the key and the
    field that is wrong."""
    if not isinstance(key, str) or not _KEY.match(key) or key == ALL:
        raise ValueError(
            f"SINACRAWL_CHANNELS key {key!r} must be lower-case ASCII letters, digits, - or _ "
            f"(at most 32) and not {ALL!r}"
        )
    where = f"SINACRAWL_CHANNELS[{key!r}]"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where} must be a mapping with 'pageid', 'lid' and 'categories'")
    numbers = {}
    for name in ("pageid", "lid"):
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            raise ValueError(f"{where} needs a whole number {name!r}, got {value!r}")
        numbers[name] = int(value)
    categories = raw.get("categories")
    if (
        not isinstance(categories, list | tuple)
        or not categories
        or not all(isinstance(c, str) and c.strip() for c in categories)
    ):
        raise ValueError(f"{where} needs 'categories', a list of non-empty strings")
    paths = raw.get("paths", ())
    if not isinstance(paths, list | tuple) or not all(
        isinstance(p, str) and p.startswith("/") for p in paths
    ):
        raise ValueError(f"{where}['paths'] must be a list of URL paths starting with '/'")
    return Channel(key, numbers["pageid"], numbers["lid"], tuple(categories), tuple(paths))


def read_channels(table: Mapping[Any, Any]) -> tuple[Channel, ...]:
    """Every channel of ``table`` (the ``SINACRAWL_CHANNELS`` setting: key → ``{"pageid": int,
    "lid": int, "categories": [str, …], "paths": [str, …]}``, ``paths`` optional), in the table's
    order.

    >>> read_channels({"china": {"pageid": 155, "lid": 1686, "categories": ["金融"]}})[0].lid
    1686

    Raises :class:`ValueError`, with a message for the user, for an empty table or a malformed
    entry.
    """
    if not table:
        raise ValueError("SINACRAWL_CHANNELS is empty: it needs at least one channel")
    return tuple(_channel(key, raw) for key, raw in table.items())


def select_channels(channels: tuple[Channel, ...], wanted: str) -> tuple[Channel, ...]:
    """The channels the ``channel`` spider argument names: comma-separated keys, in the order
    given (a key given twice counts once), or ``all`` for every channel in table order. That
    order decides the categories of an article listed by several channels: the first channel
    listing it wins (issue 12).

    >>> table = read_channels({k: {"pageid": 1, "lid": 1, "categories": ["x"]} for k in "abc"})
    >>> [c.key for c in select_channels(table, "c, a,c")]
    ['c', 'a']

    Raises :class:`ValueError` for an empty argument or an unknown key.
    """
    by_key = {channel.key: channel for channel in channels}
    keys = [key.strip() for key in wanted.split(",") if key.strip()]
    if keys == [ALL]:
        return channels
    if not keys:
        raise ValueError(f"channel must name a channel or {ALL!r}, got {wanted!r}")
    unknown = [key for key in keys if key not in by_key]
    if unknown:
        raise ValueError(
            f"unknown channel {unknown[0]!r}; SINACRAWL_CHANNELS has {sorted(by_key)} (or {ALL!r})"
        )
    return tuple(by_key[key] for key in dict.fromkeys(keys))


def channel_for_url(channels: tuple[Channel, ...], url: str) -> Channel | None:
    """The channel whose ``paths`` hold ``url``'s path, the longest matching prefix winning
    (``/china/hgjj/`` before ``/china/``; on a tie, the earlier channel of the table); ``None``
    when no channel claims the path. Sina files an article under its channel's path on every
    host (``finance.sina.com.cn/stock/usstock/c/2026-01-05/doc-….shtml``).

    >>> table = read_channels({
    ...     "china": {"pageid": 155, "lid": 1686, "categories": ["x"], "paths": ["/china/"]},
    ...     "macro": {"pageid": 155, "lid": 1687, "categories": ["y"], "paths": ["/china/hgjj/"]},
    ... })
    >>> channel_for_url(table, "https://finance.sina.com.cn/china/hgjj/2026-01-05/doc-ia.shtml").key
    'macro'
    >>> channel_for_url(table, "https://finance.sina.com.cn/roll/2026-01-05/doc-ia.shtml") is None
    True
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    best: tuple[int, Channel] | None = None
    for channel in channels:
        for prefix in channel.paths:
            if path.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), channel)
    return best[1] if best else None
