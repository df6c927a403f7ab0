"""The values of sinacrawl's typed settings, checked before a crawl starts (issue 14): a wrong
one (``-s POSTS_REFRESH=maybe``) is one message naming the setting and its allowed values,
not a traceback from the component that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scrapy.settings import BaseSettings

__all__ = ["SETTING_KINDS", "check_settings"]

_BOOL = "0/1, true/false, True/False"


def _bool(settings: BaseSettings, name: str) -> str | None:
    try:
        settings.getbool(name)
    except ValueError:
        return _BOOL
    return None


def _number(
    low: float, high: float | None, whole: bool
) -> Callable[[BaseSettings, str], str | None]:
    kind = "a whole number" if whole else "a number"
    allowed = f"{kind} from {low:g}" + (f" to {high:g}" if high is not None else " up")

    def check(settings: BaseSettings, name: str) -> str | None:
        try:
            value = settings.getint(name) if whole else settings.getfloat(name)
        except (TypeError, ValueError):
            return allowed
        return allowed if value < low or (high is not None and value > high) else None

    return check


def _choice(*choices: str) -> Callable[[BaseSettings, str], str | None]:
    def check(settings: BaseSettings, name: str) -> str | None:
        return None if settings.get(name) in choices else ", ".join(choices)

    return check


def _dict(settings: BaseSettings, name: str) -> str | None:
    try:
        settings.getdict(name)
    except (TypeError, ValueError):
        return "a JSON object"
    return None


def _default_headimg(settings: BaseSettings, name: str) -> str | None:
    # Imported here: the pipelines module is the rule's home and imports much else.
    from sinacrawl.pipelines import default_headimg_url

    try:
        default_headimg_url(str(settings.get(name)))
    except ValueError:
        return "empty, an http(s) image URL, or a path on the site (/images/banner.jpg)"
    return None


def _images_url(settings: BaseSettings, name: str) -> str | None:
    # Imported here, as above: sinacrawl.images imports Scrapy's media pipelines.
    from sinacrawl.images import images_url_prefix

    try:
        images_url_prefix(str(settings.get(name)))
    except ValueError:
        return "a path on the site (/images/) or an https URL"
    return None


def _iso_time(settings: BaseSettings, name: str) -> str | None:
    try:
        datetime.fromisoformat(str(settings.get(name)))
    except ValueError:
        return "an ISO 8601 time, e.g. 2026-01-31T08:00:00+00:00"
    return None


#: Setting name → its check, which returns the allowed values when the setting's value is
#: not one of them. Settings that are unset pass.
SETTING_KINDS: dict[str, Callable[[BaseSettings, str], str | None]] = {
    # Scrapy's own, as sinacrawl's README lists them
    "ROBOTSTXT_OBEY": _bool,
    "AUTOTHROTTLE_ENABLED": _bool,
    "DOWNLOAD_VERIFY_CERTIFICATES": _bool,
    "DOWNLOAD_DELAY": _number(0, None, whole=False),
    "CONCURRENT_ITEMS": _number(1, None, whole=True),
    "DOWNLOAD_MAXSIZE": _number(0, None, whole=True),
    "DOWNLOAD_WARNSIZE": _number(0, None, whole=True),
    # sinacrawl's
    "POSTS_REFRESH": _bool,
    "REPLAY_RECORD": _bool,
    "SPIDERMON_ENABLED": _bool,
    "SINACRAWL_RUN_LOCK": _bool,
    "SINACRAWL_MAX_ARTICLES": _number(0, None, whole=True),
    "SINACRAWL_ON_NEW_POSTS_TIMEOUT": _number(1, None, whole=False),
    "SINACRAWL_REDIS_HEARTBEAT": _number(1, None, whole=False),
    "SINACRAWL_REDIS_LEASE": _number(1, None, whole=False),
    "SINACRAWL_MONITOR_MAX_DRIFT_SHARE": _number(0, 1, whole=False),
    "SINACRAWL_MONITOR_MAX_BLOCKED_SHARE": _number(0, 1, whole=False),
    "SINACRAWL_MONITOR_MAX_FEED_AGE": _number(0, None, whole=False),
    "SINACRAWL_MONITOR_MIN_MEDIAN_BODY": _number(0, None, whole=True),
    "SINACRAWL_MONITOR_MIN_PAGES": _number(1, None, whole=True),
    "SINACRAWL_MONITOR_NOW": _iso_time,
    "SINACRAWL_POSTS_LAYOUT": _choice("flat", "year-month"),
    "SINACRAWL_OVERWRITE_FOREIGN": _bool,
    "SINACRAWL_UPDATED": _bool,
    "SINACRAWL_TAGS": _bool,
    "SINACRAWL_DESCRIPTION": _bool,
    "SINACRAWL_FIGURES": _bool,
    "SINACRAWL_STOCK_TAGS": _bool,
    "SINACRAWL_MORE": _bool,
    "SINACRAWL_CREDIT": _bool,
    "SINACRAWL_FEED_MAX_ENTRIES": _number(1, None, whole=True),
    "SINACRAWL_SHARED_RATE": _number(0, None, whole=False),
    "SINACRAWL_REDIS_IDLE_POLL": _number(0.001, None, whole=False),
    "SINACRAWL_DEFAULT_HEADIMG": _default_headimg,
    "SINACRAWL_IMAGES_URL": _images_url,
    "SINACRAWL_IMAGES_MAXSIZE": _number(1, None, whole=True),
    "SINACRAWL_CHANNELS": _dict,
    "SINACRAWL_7X24_CHANNELS": _dict,
}


def check_settings(settings: BaseSettings) -> list[str]:
    """One message per setting of :data:`SETTING_KINDS` whose value is not allowed, e.g.
    ``POSTS_REFRESH='maybe': allowed values are 0/1, true/false, True/False``.

    >>> from scrapy.settings import Settings
    >>> check_settings(Settings({"REPLAY_RECORD": "yes", "SINACRAWL_MAX_ARTICLES": "5"}))
    ["REPLAY_RECORD='yes': allowed values are 0/1, true/false, True/False"]
    """
    problems = []
    for name, check in SETTING_KINDS.items():
        if settings.get(name) is None:
            continue
        allowed = check(settings, name)
        if allowed:
            problems.append(f"{name}={settings.get(name)!r}: allowed values are {allowed}")
    return problems
