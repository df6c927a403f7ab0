"""7x24 digests: which Beijing days a tick may write, the flashes of each day, and the digest's
title, file stem and raw body (issue 12). The body still goes through
:func:`sinacrawl.clean.clean_body`, like any article's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from lxml.html import HtmlElement, fragment_fromstring
from lxml.html.builder import DIV, STRONG, A, P

from sinacrawl.dates import BEIJING
from sinacrawl.zhibo import Flash

__all__ = [
    "day_start",
    "digest_body",
    "digest_stem",
    "digest_title",
    "flashes_by_day",
    "open_days",
]

#: Tags that cannot sit inside a ``<p>``: a flash whose text holds one is kept in a ``<div>``.
_BLOCK_TAGS = frozenset(
    {"p", "div", "ul", "ol", "li", "table", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5",
     "h6", "figure", "center", "hr"}
)  # fmt: skip


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in Beijing, aware."""
    return datetime.combine(day, time(), BEIJING)


def open_days(now: datetime, grace: timedelta) -> tuple[date, ...]:
    """The Beijing days whose digest a tick at ``now`` (aware) may still write, oldest first:
    today, and yesterday too until ``grace`` after midnight, so that the flashes of yesterday's
    last minutes, published after the last tick before midnight, still reach its digest. Once a
    day is over (midnight plus ``grace``) its post is left alone.

    >>> noon = datetime(2026, 12, 2, 12, 0, tzinfo=BEIJING)
    >>> open_days(noon, timedelta(hours=1))
    (datetime.date(2026, 12, 2),)
    >>> open_days(noon.replace(hour=0, minute=30), timedelta(hours=1))
    (datetime.date(2026, 12, 1), datetime.date(2026, 12, 2))
    """
    today = now.astimezone(BEIJING).date()
    if now - day_start(today) < grace:
        return (today - timedelta(days=1), today)
    return (today,)


def flashes_by_day(flashes: Iterable[Flash], days: Iterable[date]) -> dict[date, list[Flash]]:
    """The flashes of each of ``days`` (Beijing), newest first (by time, then by id), each id
    once: the first occurrence in ``flashes`` wins (pages are read newest first, so a flash
    that a later page repeats after the feed moved on is the same flash). Days without a flash
    are left out.
    """
    wanted = set(days)
    seen: set[int] = set()
    grouped: dict[date, list[Flash]] = {}
    for flash in flashes:
        if flash.id in seen:
            continue
        seen.add(flash.id)
        day = flash.created.astimezone(BEIJING).date()
        if day in wanted:
            grouped.setdefault(day, []).append(flash)
    for listed in grouped.values():
        listed.sort(key=lambda f: (f.created, f.id), reverse=True)
    return dict(sorted(grouped.items()))


def digest_stem(zhibo_id: int, day: date) -> str:
    """The digest's document id, its file name without ``.md``: ASCII, stable for the day and
    channel, never starting with ``.`` or ``_`` (SPEC section 4).

    >>> digest_stem(152, date(2026, 12, 1))
    '7x24-152-20261201'
    """
    return f"7x24-{zhibo_id}-{day:%Y%m%d}"


def digest_title(prefix: str, day: date) -> str:
    """The digest's title: ``prefix`` (the channel's title), a middle dot, the ISO day.

    >>> digest_title("新浪财经7x24", date(2026, 12, 1))
    '新浪财经7x24 · 2026-12-01'
    """
    return f"{prefix} · {day.isoformat()}"


def _text_block(html: str) -> HtmlElement:
    """A flash's ``rich_text`` as one element: a ``<p>`` when it is inline text, else a
    ``<div>`` (a ``<p>`` cannot hold a block)."""
    block: HtmlElement = fragment_fromstring(html, create_parent="div")
    if not any(isinstance(el.tag, str) and el.tag in _BLOCK_TAGS for el in block.iterdescendants()):
        block.tag = "p"
    return block


def digest_body(flashes: Iterable[Flash]) -> HtmlElement:
    """The raw body of a digest, a ``<div>`` holding one ``<div>`` per flash, in the order
    given (newest first): its Beijing time (``HH:MM:SS``, bold), its text, its stocks
    (``相关股票：贵州茅台（sh600519）``) and a link to Sina's page of it (``原文``). Clean it
    with :func:`sinacrawl.clean.clean_body` before it goes into a post.
    """
    body: HtmlElement = DIV()
    for flash in flashes:
        parts = [
            P(STRONG(f"{flash.created.astimezone(BEIJING):%H:%M:%S}")),
            _text_block(flash.html),
        ]
        if flash.stocks:
            parts.append(
                P("相关股票：" + "、".join(f"{name}（{symbol}）" for name, symbol in flash.stocks))
            )
        if flash.link:
            parts.append(P(A("原文", href=flash.link)))
        block = DIV(*parts)
        block.tail = "\n"  # one flash a line in the post file
        body.append(block)
    return body
