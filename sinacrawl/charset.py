"""Decoding Sina pages: declared charsets, checked against the bytes (SPEC section 5).

Older Sina pages are GB2312/GBK and are decoded as GB18030 (its superset). When the HTTP header
and the page's ``<meta>`` disagree, the first declared charset that decodes the bytes without an
error wins, so a ``charset=utf-8`` header over a GB2312 page (cwced-chanye-finance-2005-03-21
served by a misconfigured proxy) does not produce mojibake. Strict UTF-8 is tried first whatever
is declared: GB18030 decodes nearly any byte string without error, while GB text is practically
never valid UTF-8, so the order is what makes "decodes without errors" a real test.

Sina never serves Latin-1: a header saying ISO-8859-1, us-ascii or windows-1252 (w3lib reads
all three as cp1252) over non-ASCII bytes is a server default, not a declaration, since Latin-1
decodes any bytes (SPEC section 5; issue 11: a GB2312 page under such a header came out as
mojibake). The page's meta charset, else UTF-8/GB18030 detection, decides.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

__all__ = ["CONTROL_CHARACTERS", "Decoded", "decode_page", "strip_controls"]

#: Control characters a page's text may hold and a post never does: C0 but tab, line feed and
#: carriage return (XML 1.0 forbids them and lxml refuses any text holding one), DEL, C1, and
#: the noncharacters U+FFFE and U+FFFF (refused by lxml too). SPEC section 1 removes them from
#: the front matter; the body and 7x24 flashes lose them too (issue 16's trials).
CONTROL_CHARACTERS: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
#: A form feed is HTML white space (a space on the page); the others show nothing.
_CONTROLS_OUT: Final[dict[int, str | None]] = {
    c: None for c in [*range(0x09), 0x0B, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF]
}
_CONTROLS_OUT[0x0C] = " "


def strip_controls(text: str) -> str:
    """``text`` without :data:`CONTROL_CHARACTERS`, a form feed turned into a space.

    >>> strip_controls("央行\x0c今日\x01开展\x85操作")
    '央行 今日开展操作'
    """
    return text.translate(_CONTROLS_OUT) if CONTROL_CHARACTERS.search(text) else text


class Decoded(NamedTuple):
    """A decoded page: ``text``, the codec that produced it, and whether bytes were replaced."""

    text: str
    encoding: str
    replaced: bool


#: What w3lib makes of ``ISO-8859-1``, ``latin1``, ``us-ascii`` and ``windows-1252``.
_SERVER_DEFAULTS = frozenset({"cp1252", "latin-1", "iso8859-1", "ascii"})


def _not_a_default(name: str | None, body: bytes) -> str | None:
    """A declared charset ``name``, or ``None`` when it is a Latin-1 default over non-ASCII
    bytes (see the module's docstring; a page's meta saying Latin-1 is no better than the
    header: Sina never writes Latin-1 pages).

    >>> _not_a_default("cp1252", "新浪".encode("gb2312")) is None
    True
    >>> _not_a_default("cp1252", b"ascii only")
    'cp1252'
    """
    if name in _SERVER_DEFAULTS and not body.isascii():
        return None
    return name


def decode_page(body: bytes, content_type: str | None) -> Decoded:
    """Decode an HTML ``body`` given its ``Content-Type`` header value (``None`` if absent).

    Candidates in order: UTF-8, the header's charset, the page's meta charset (either ignored
    when it is a Latin-1 default over non-ASCII bytes), and GB18030 only when nothing is declared (a
    truncated UTF-8 page must not turn into GB18030 mojibake); the
    first that decodes strictly wins. If none does, the first declared one (else UTF-8) decodes with
    U+FFFD replacement characters and ``replaced`` is true.

    >>> page = '<meta charset="gb2312"><p>新浪'.encode("gb2312")
    >>> decode_page(page, "text/html; charset=utf-8")
    Decoded(text='<meta charset="gb2312"><p>新浪', encoding='gb18030', replaced=False)
    """
    # w3lib resolves the names: GB2312/GBK/cp936 to GB18030, an unknown charset to None.
    declared = [
        _not_a_default(http_content_type_encoding(content_type) if content_type else None, body),
        _not_a_default(html_body_declared_encoding(body), body),
    ]
    candidates: list[str] = []
    undeclared = ["gb18030"] if not any(declared) else []
    for name in ["utf-8", *declared, *undeclared]:
        if name and name not in candidates:
            candidates.append(name)
    for name in candidates:
        try:
            return Decoded(body.decode(name), name, False)
        except UnicodeDecodeError:
            continue
    fallback = next((name for name in declared if name), "utf-8")
    return Decoded(body.decode(fallback, errors="replace"), fallback, True)
