"""Requests in the shared Redis queue as strict JSON, never pickle (issue 13, item 5).

scrapy-redis stores queued requests with :mod:`pickle` by default, so anyone who can write
``sinacrawl:<spider>:requests`` runs code in every worker (a ``__reduce__`` payload). This module
is a ``SCHEDULER_SERIALIZER`` (``loads``/``dumps`` over the dict of Scrapy's
:meth:`~scrapy.Request.to_dict`) that writes JSON and reads back only what it would write:

- a plain :class:`~scrapy.Request` (no ``_class``: Scrapy's :func:`request_from_dict` would
  import and call whatever class it names);
- callbacks and errbacks as names of the spider's own methods (:func:`request_from_queue`);
- headers from :data:`HEADERS` only, ``meta`` keys from :data:`META` only (no ``proxy``,
  ``download_maxsize``, ``dont_obey_robotstxt``…), each with its type; ``cb_kwargs`` values
  that are JSON scalars, lists or tuples of strings, or a :class:`~sinacrawl.feed.FeedEntry`.

Anything else raises :class:`RejectedRequest`; nothing in an entry is ever imported or called.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from scrapy import Request, Spider
from scrapy.utils.request import request_from_dict

from sinacrawl.feed import FeedEntry

__all__ = ["HEADERS", "META", "RejectedRequest", "dumps", "loads", "request_from_queue"]

#: Request headers a queued request may carry: what the spider and Scrapy's own middlewares set
#: before a request is (re)scheduled (a redirect hop carries the downloader's headers).
HEADERS: Final = frozenset(
    {"Accept", "Accept-Encoding", "Accept-Language", "Cookie", "Referer", "User-Agent"}
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_reason_list(value: object) -> bool:
    return isinstance(value, list) and all(_is_int(v) or isinstance(v, str) for v in value)


#: ``meta`` keys a queued request may carry, with the check of their value: Scrapy's depth,
#: redirect and retry bookkeeping, and sinacrawl's ``docid``. Keys the downloader sets again
#: for every download (:data:`RECOMPUTED_META`) are left out of the queue.
META: Final[dict[str, Callable[[object], bool]]] = {
    "depth": _is_int,
    "is_start_request": lambda v: isinstance(v, bool),
    "redirect_times": _is_int,
    "redirect_ttl": _is_int,
    "redirect_urls": _is_str_list,
    "redirect_reasons": _is_reason_list,
    "retry_times": _is_int,
    "docid": lambda v: isinstance(v, str),
}
#: Set again by the downloader for each download; a queued value would only let the queue's
#: writer pick a download slot or timeout.
RECOMPUTED_META: Final = frozenset({"download_slot", "download_latency", "download_timeout"})
#: Set by ``HttpProxyMiddleware`` from the worker's own environment (``_scheme_proxy``).
_ENV_PROXY_META: Final = ("proxy", "_scheme_proxy", "_auth_proxy")
_METHODS: Final = frozenset({"GET", "HEAD", "POST"})
_FEED_ENTRY: Final = "$feed_entry"
_TUPLE: Final = "$tuple"


class RejectedRequest(ValueError):
    """A queue entry that is not a request this module wrote; ``reason`` says why in a few
    words, ``excerpt`` is the entry's first bytes (for the log)."""

    def __init__(self, reason: str, excerpt: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.excerpt = excerpt


def _encode_value(value: object) -> object:
    if isinstance(value, FeedEntry):
        return {
            _FEED_ENTRY: {
                "url": value.url,
                "title": value.title,
                "published": value.published.isoformat() if value.published else None,
                "modified": value.modified.isoformat() if value.modified else None,
                "intro": value.intro,
                "media_name": value.media_name,
            }
        }
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return {_TUPLE: list(value)} if isinstance(value, tuple) else list(value)
    raise TypeError(f"cb_kwargs value of type {type(value).__name__} cannot be queued")


def dumps(obj: dict[str, Any]) -> bytes:
    """The JSON bytes of a request dict (:meth:`scrapy.Request.to_dict`). Raises
    :class:`TypeError` (a programming error, at scheduling time) for a request this module
    could not read back: another class, or a ``cb_kwargs`` value it does not know.
    """
    if "_class" in obj:
        raise TypeError(f"only scrapy.Request can be queued, not {obj['_class']}")
    meta = {k: v for k, v in obj["meta"].items() if k not in RECOMPUTED_META}
    if meta.get("_scheme_proxy"):
        meta = {k: v for k, v in meta.items() if k not in _ENV_PROXY_META}
    headers = {
        k.decode("latin-1"): [v.decode("latin-1") for v in values]
        for k, values in obj["headers"].items()
    }
    document = {
        **obj,
        "headers": headers,
        "body": base64.b64encode(obj["body"]).decode("ascii"),
        "meta": meta,
        "cb_kwargs": {k: _encode_value(v) for k, v in obj["cb_kwargs"].items()},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _aware(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RejectedRequest(f"feed entry {field} is not an aware ISO time")
    return moment


def _decode_value(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str) or _is_str_list(value):
        return value
    if isinstance(value, dict) and set(value) == {_TUPLE} and _is_str_list(value[_TUPLE]):
        return tuple(value[_TUPLE])
    if isinstance(value, dict) and set(value) == {_FEED_ENTRY}:
        fields = value[_FEED_ENTRY]
        if (
            isinstance(fields, dict)
            # "intro" and "media_name" came with issue 15: requests queued by an older
            # sinacrawl lack them
            and set(fields) - {"intro", "media_name"} == {"url", "title", "published", "modified"}
            and isinstance(fields["url"], str)
            and isinstance(fields["title"], str)
            and isinstance(fields.get("intro", ""), str)
            and isinstance(fields.get("media_name", ""), str)
        ):
            return FeedEntry(
                fields["url"],
                fields["title"],
                _aware(fields["published"], "published"),
                _aware(fields["modified"], "modified"),
                fields.get("intro", ""),
                fields.get("media_name", ""),
            )
        raise RejectedRequest("malformed feed entry in cb_kwargs")
    raise RejectedRequest(f"cb_kwargs value of type {type(value).__name__}")


def _headers(value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise RejectedRequest("headers is not an object")
    for name, values in value.items():
        if name not in HEADERS:
            raise RejectedRequest(f"header {name[:40]!r} is not allowed")
        if not _is_str_list(values):
            raise RejectedRequest(f"header {name!r} is not a list of strings")
    return value


def _meta(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise RejectedRequest("meta is not an object")
    for key, item in value.items():
        check = META.get(key)
        if check is None:
            raise RejectedRequest(f"meta key {key[:40]!r} is not allowed")
        if not check(item):
            raise RejectedRequest(f"meta key {key!r} has a wrong value")
    return value


def _body(value: object) -> bytes:
    if not isinstance(value, str):
        raise RejectedRequest("body is not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise RejectedRequest("body is not base64 text") from None


def _checked(document: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Callable[[object], bool]] = {
        "url": lambda v: isinstance(v, str) and bool(v),
        "callback": lambda v: v is None or isinstance(v, str),
        "errback": lambda v: v is None or isinstance(v, str),
        "method": lambda v: v in _METHODS,
        "encoding": lambda v: v == "utf-8",
        "priority": _is_int,
        "dont_filter": lambda v: isinstance(v, bool),
        "flags": _is_str_list,
        "cookies": lambda v: isinstance(v, dict) and all(isinstance(c, str) for c in v.values()),
    }
    structured = {"headers", "body", "meta", "cb_kwargs"}
    for name in document:
        if name not in fields and name not in structured:
            raise RejectedRequest(f"unknown field {name[:40]!r}")
    missing = (set(fields) | structured) - set(document)
    if missing:
        raise RejectedRequest(f"missing field {sorted(missing)[0]!r}")
    for name, check in fields.items():
        if not check(document[name]):
            raise RejectedRequest(f"field {name!r} has a wrong value")
    cb_kwargs = document["cb_kwargs"]
    if not isinstance(cb_kwargs, dict):
        raise RejectedRequest("cb_kwargs is not an object")
    return {
        **document,
        "headers": _headers(document["headers"]),
        "body": _body(document["body"]),
        "meta": _meta(document["meta"]),
        "cb_kwargs": {k: _decode_value(v) for k, v in cb_kwargs.items()},
    }


def loads(data: bytes) -> dict[str, Any]:
    """The request dict in a queue entry written by :func:`dumps`, every field checked.

    Raises :class:`RejectedRequest` for anything else: not UTF-8 JSON (a pickle), not an
    object, an unknown field (``_class``), a header or ``meta`` key not allowed, a value of the
    wrong type. Nothing in ``data`` is imported or called.

    >>> from scrapy import Request
    >>> entry = FeedEntry("https://finance.sina.com.cn/a/doc-ia.shtml", "标题", None)
    >>> request = Request(entry.url, cb_kwargs={"entry": entry, "categories": ("金融", "新浪财经")})
    >>> loads(dumps(request.to_dict()))["cb_kwargs"] == request.cb_kwargs
    True
    >>> loads(b"\\x80\\x04K\\x01.")
    Traceback (most recent call last):
    ...
    sinacrawl.queuecodec.RejectedRequest: not JSON
    """
    excerpt = bytes(data[:120])
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise RejectedRequest("not JSON", excerpt) from None
    if not isinstance(document, dict):
        raise RejectedRequest("not a JSON object", excerpt)
    try:
        return _checked(document)
    except RejectedRequest as exc:
        raise RejectedRequest(exc.reason, excerpt) from None


def _spider_method(spider: Spider, name: str | None, role: str) -> None:
    if name is None:
        return
    found = inspect.getattr_static(type(spider), name, None)
    if (
        name.startswith("_")
        or hasattr(Spider, name)
        or not inspect.isfunction(found)
        or not any(name in vars(c) for c in type(spider).__mro__ if issubclass(c, Spider))
    ):
        raise RejectedRequest(f"{role} {name[:40]!r} is not a method of spider {spider.name}")


def request_from_queue(document: dict[str, Any], spider: Spider) -> Request:
    """The request of a dict from :func:`loads`, its callback and errback looked up by name
    on ``spider``: a public method its class defines (not one of :class:`scrapy.Spider`'s own,
    nor a class or static method). Raises :class:`RejectedRequest` for any other name.
    """
    _spider_method(spider, document["callback"], "callback")
    _spider_method(spider, document["errback"], "errback")
    return request_from_dict(document, spider=spider)
