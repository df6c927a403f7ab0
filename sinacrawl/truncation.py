"""Telling a truncated page from a whole one (SPEC section 6, "truncated HTML")."""

from __future__ import annotations

__all__ = ["is_truncated"]

#: Every saved Sina page ends its document: all 87 pages of ``../shared/corpus`` carry
#: ``</body>`` or ``</html>`` within their last 2,000 bytes (magichtml-news-2024-05-16 has only
#: ``</body>``). A server that stops mid-page sends neither.
_END_TAGS = ("</body", "</html")
#: Characters searched first, from the end (issue 16: lowercasing whole pages cost 15% of a
#: replay crawl); the whole page is searched only when they lack both tags, so the answer is
#: the same.
_TAIL = 4096


def is_truncated(text: str) -> bool:
    """Whether a decoded page stops before its end: neither ``</body>`` nor ``</html>`` occurs
    (case-insensitive). lxml would quietly close the open elements of such a page, and the
    post would lose the rest of the article without a word.

    >>> is_truncated("<html><body><div id='artibody'><p>中标")
    True
    >>> is_truncated("<html><body><p>全文</p></BODY>")
    False
    >>> is_truncated("<html><body><p>全文</p></body>" + "<!-- 广告 -->" * 1000)  # tags far back
    False
    """
    tail = text[-_TAIL:].lower()  # where whole pages have them: no copy of a 200 KB page
    if any(tag in tail for tag in _END_TAGS):
        return False
    lowered = text.lower()
    return not any(tag in lowered for tag in _END_TAGS)
