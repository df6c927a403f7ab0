"""Publication dates: Sina's forms in, RFC 1123 UTC out (SPEC section 2, "date")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime

__all__ = [
    "BEIJING",
    "beijing_day",
    "format_rfc1123",
    "parse_date_text",
    "parse_iso",
    "parse_unix",
    "plausible",
]

#: Sina's pages and feed speak Beijing time, UTC+8 (no DST).
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

# "2021年12月21日 14:56", "2016年05月25日10:10", optionally ":42" seconds.
_CN_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[:：]\s*(\d{2}))?"
)


def parse_iso(value: str) -> datetime | None:
    """Read ``article:published_time`` (ISO 8601); no offset means Beijing time.

    >>> parse_iso("2021-12-21T14:56:42+08:00").isoformat()
    '2021-12-21T14:56:42+08:00'
    >>> parse_iso("2005-08-26 05:39:00").utcoffset()
    datetime.timedelta(seconds=28800)

    Returns an aware datetime, or ``None`` when the text is not ISO 8601.
    """
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)


def parse_date_text(text: str) -> datetime | None:
    """Read a page's visible date text (``.date``, ``.time-source``) as Beijing time.

    >>> parse_date_text("2016年05月25日10:10 新浪财经").isoformat()
    '2016-05-25T10:10:00+08:00'

    Returns ``None`` when no such date is in ``text`` or its numbers are out of range.
    """
    match = _CN_DATE.search(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=BEIJING)
    except ValueError:
        return None


def parse_unix(value: str | int | float | None) -> datetime | None:
    """Read the roll feed's ``ctime`` (Unix seconds, as a string or number); ``None`` if absent."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def format_rfc1123(moment: datetime) -> str:
    """Format an aware datetime as the post's ``date`` (UTC, English names, any locale).

    >>> format_rfc1123(datetime(2021, 12, 21, 14, 56, 42, tzinfo=BEIJING))
    'Tue, 21 Dec 2021 06:56:42 GMT'

    Raises ``ValueError`` for a naive datetime.
    """
    if moment.tzinfo is None:
        raise ValueError("format_rfc1123 needs an aware datetime")
    return format_datetime(moment.astimezone(UTC), usegmt=True)


#: The earliest publication time believed (Sina went online in 1998; older dates on its pages
#: are typos or placeholders such as year 1).
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
#: How far ahead of this machine's clock a publication time may be (clock skew, time zones).
LEEWAY = timedelta(days=2)


def plausible(moment: datetime, now: datetime | None = None) -> bool:
    """Whether ``moment`` (aware) can be a Sina article's publication time: from 1990 to two
    days past ``now`` (default: the current time). A page's ``9999-12-31`` or ``0001年01月01日``
    is not a date to publish a post under (it would also overflow RFC 1123 formatting).

    >>> plausible(datetime(2021, 12, 21, 14, 56, tzinfo=BEIJING))
    True
    >>> plausible(datetime(9999, 12, 31, tzinfo=BEIJING))
    False
    """
    return EARLIEST <= moment <= (now or datetime.now(UTC)) + LEEWAY


def beijing_day(moment: datetime) -> date:
    """The calendar day of ``moment`` in Beijing (what the ``since`` spider argument compares)."""
    return moment.astimezone(BEIJING).date()
