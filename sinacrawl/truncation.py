"""Telling a truncated page from a whole one (SPEC section 6, "truncated HTML")."""

from __future__ import annotations

__all__ = ["is_truncated"]

#: Every saved Sina page ends its document: all 87 pages of ``../shared/corpus`` carry
#: ``</body>`` or ``</html>`` within their last 2,000 bytes (magichtml-news-2024-05-16 has only
#: ``</body>``). A server that stops mid-page sends neither.
_END_TAGS = ("</body", "</html")


def is_truncated(text: str) -> bool:
    """Whether a decoded page stops before its end: neither ``</body>`` nor ``</html>`` occurs
    (case-insensitive). lxml would quietly close the open elements of such a page, and the
    post would lose the rest of the article without a word.

    >>> is_truncated("<html><body><div id='artibody'><p>中标")
    True
    >>> is_truncated("<html><body><p>全文</p></BODY>")
    False
    """
    lowered = text.lower()
    return not any(tag in lowered for tag in _END_TAGS)
