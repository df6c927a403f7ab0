"""The item that travels from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date as Day  # the field ``date`` would shadow the class
from datetime import datetime
from typing import Any

from sinacrawl.zhibo import Flash

__all__ = ["ArticleItem", "DigestItem"]


@dataclass
class ArticleItem:
    """One Sina article on its way to a Hexo post.

    The spider fills the page fields; :class:`~sinacrawl.pipelines.FieldsPipeline` the front
    matter (SPEC section 2); :class:`~sinacrawl.pipelines.BodyPipeline` ``body``, ``headimg``
    and ``thumbnail`` (section 3); :class:`~sinacrawl.pipelines.PostWriterPipeline` writes it
    (sections 1 and 4). ``tree`` is the page parsed once and shared by the pipelines; it is
    never exported: ``FEED_EXPORT_FIELDS`` (settings.py) lists what ``scrapy crawl -O``
    exports, the post's fields (issue 14).
    """

    # from the spider
    url: str
    docid: str
    page: bytes = field(repr=False)
    content_type: str | None = None
    feed_title: str | None = None
    feed_published: datetime | None = None
    #: the feed's ``mtime``, ``intro`` and ``media_name`` (issue 15: ``updated``,
    #: ``description`` and the credit line)
    feed_modified: datetime | None = None
    feed_intro: str | None = None
    feed_media_name: str | None = None
    #: the spider's ``since`` (a Beijing day): checked against the page's own date when the
    #: feed gave no time (issue 11)
    since: Day | None = None
    # front matter
    title: str | None = None
    categories: tuple[str, ...] = ()
    author: str | None = None
    date: str | None = None
    headimg: str | None = None
    thumbnail: str | None = None
    #: opt-in front matter (issue 15): ``SINACRAWL_UPDATED``, ``_TAGS``, ``_DESCRIPTION``
    updated: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    body: str | None = field(default=None, repr=False)
    #: the post's path relative to ``POSTS_DIR`` (set by the writer)
    filename: str | None = None
    # pipeline-internal
    og_image: str | None = None
    tree: Any = field(default=None, repr=False, compare=False)


@dataclass
class DigestItem:
    """One Beijing day of one 7x24 channel on its way to a digest post (issue 12): the
    ``sina_7x24`` spider fills it; :class:`~sinacrawl.pipelines.DigestPipeline` turns it into the
    :class:`ArticleItem` that :class:`~sinacrawl.pipelines.PostWriterPipeline` writes as
    ``POSTS_DIR/<docid>.md``. ``flashes`` are the day's, newest first, each once; ``url`` is the
    channel's first zhibo page (for log lines).
    """

    url: str
    docid: str
    title: str
    categories: tuple[str, ...]
    flashes: tuple[Flash, ...] = field(repr=False)
