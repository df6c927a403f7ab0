"""The Hexo post file, byte by byte (SPEC section 1): rendering, reading back, YAML quoting."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import yaml

__all__ = [
    "PostFields",
    "PostFormatError",
    "clean_value",
    "parse_post",
    "quote",
    "render_post",
    "scalar",
]

_OPEN = "\n---\n"
_BODY_OPEN = "---\n\n<div>   \n"
_BODY_CLOSE = "\n</div>\n            "
_SPACE_RUN = re.compile(r"\s+")
# YAML 1.1 and 1.2 words that load as something other than a string when plain.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
# A plain scalar must not start with an indicator, a digit, a sign or a dot, nor hold ": "/" #".
_PLAIN_SAFE = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`0-9+.=<\\](?:(?!: | #)[^\n])*(?<![\s:])$")


class PostFormatError(ValueError):
    """A file that is not a post in SPEC section 1's skeleton."""


@dataclass(frozen=True, slots=True)
class PostFields:
    """The front matter of a post, in SPEC section 1's key order; ``date`` is RFC 1123 UTC.

    The opt-in keys (issue 15, each off by default and then absent from the file) follow
    ``thumbnail`` in this fixed order: ``updated`` (RFC 1123 UTC, ``SINACRAWL_UPDATED``),
    ``tags`` (``SINACRAWL_TAGS``), ``description`` (``SINACRAWL_DESCRIPTION``). ``None`` or an
    empty tuple writes no key.
    """

    title: str
    categories: tuple[str, ...]
    headimg: str
    author: str
    date: str
    thumbnail: str
    comments: bool = False
    updated: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None


def clean_value(value: str) -> str:
    """One line of text for a front-matter value: white space runs collapsed to one space, ends
    trimmed, control and non-printable characters (which YAML rejects) removed.

    >>> clean_value(" 央行:\\t降准\\n0.5 \\x07个百分点 ")
    '央行: 降准 0.5 个百分点'
    """
    collapsed = _SPACE_RUN.sub(" ", value)
    if collapsed.isprintable():  # no Cc, Cf, Cs, Co, Cn: nothing below would go
        return collapsed.strip()
    kept = "".join(
        ch
        for ch in collapsed
        if unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"} and ch not in "\ufeff\ufffe"
    )
    return _SPACE_RUN.sub(" ", kept).strip()


def quote(value: str) -> str:
    """A YAML single-quoted scalar: ``'`` inside is doubled.

    >>> quote("Moody's")
    "'Moody''s'"
    """
    return "'" + value.replace("'", "''") + "'"


@lru_cache(maxsize=256)  # categories and author: the same few values on every post
def scalar(value: str) -> str:
    """``value`` plain where YAML 1.1 (PyYAML) and 1.2 (js-yaml) both read it back as the same
    string, single-quoted otherwise (SPEC section 1, ``author`` and categories).

    >>> scalar("新浪财经"), scalar("yes"), scalar("- x"), scalar("2021")
    ('新浪财经', "'yes'", "'- x'", "'2021'")
    """
    if value.lower() in _YAML_WORDS or not _PLAIN_SAFE.match(value):
        return quote(value)
    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError:
        return quote(value)
    return value if loaded == value else quote(value)


def render_post(fields: PostFields, body: str) -> str:
    """The whole post as text (UTF-8 it when writing): SPEC section 1's skeleton, the values
    cleaned and quoted, ``body`` placed as it is between ``<div>   `` and ``</div>``.
    """
    lines = [
        f"title: {quote(clean_value(fields.title))}",
        "categories: ",
        *(f" - {scalar(clean_value(c))}" for c in fields.categories),
        f"headimg: {quote(clean_value(fields.headimg))}",
        f"author: {scalar(clean_value(fields.author))}",
        f"comments: {'true' if fields.comments else 'false'}",
        f"date: {clean_value(fields.date)}",
        f"thumbnail: {quote(clean_value(fields.thumbnail))}",
    ]
    if fields.updated:
        lines.append(f"updated: {clean_value(fields.updated)}")
    tags = [tag for tag in (clean_value(t) for t in fields.tags) if tag]
    if tags:
        lines += ["tags: ", *(f" - {scalar(tag)}" for tag in tags)]
    if fields.description and clean_value(fields.description):
        lines.append(f"description: {quote(clean_value(fields.description))}")
    return _OPEN + "\n".join(lines) + "\n" + _BODY_OPEN + body + _BODY_CLOSE


def parse_post(text: str) -> tuple[PostFields, str]:
    """Read a post back into its fields and body; the inverse of :func:`render_post`.

    The opt-in keys (``updated``, ``tags``, ``description``; issue 15) may be absent; the
    others must be there. Raises :class:`PostFormatError` when ``text`` is not in the skeleton.
    """
    if not text.startswith(_OPEN) or not text.endswith(_BODY_CLOSE):
        raise PostFormatError("not a sinacrawl post: skeleton start or end differs")
    head, sep, body = text[len(_OPEN) :].partition("\n" + _BODY_OPEN)
    if not sep:
        raise PostFormatError("not a sinacrawl post: no closing --- and <div>")
    try:
        meta = yaml.safe_load(head)
    except yaml.YAMLError as exc:
        raise PostFormatError(f"front matter is not YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise PostFormatError("front matter is not a mapping")
    try:
        fields = PostFields(
            title=str(meta["title"]),
            categories=tuple(str(c) for c in meta["categories"] or ()),
            headimg=str(meta["headimg"]),
            author=str(meta["author"]),
            date=str(meta["date"]),
            thumbnail=str(meta["thumbnail"]),
            comments=bool(meta["comments"]),
            updated=None if meta.get("updated") is None else str(meta["updated"]),
            tags=tuple(str(t) for t in meta.get("tags") or ()),
            description=None if meta.get("description") is None else str(meta["description"]),
        )
    except KeyError as exc:
        raise PostFormatError(f"front matter lacks {exc}") from exc
    return fields, body[: -len(_BODY_CLOSE)]
