"""Item pipelines: front-matter fields, body, post file (SPEC sections 1 to 4).

Each pipeline is a thin adapter over the pure functions of :mod:`sinacrawl.extract`,
:mod:`sinacrawl.clean`, :mod:`sinacrawl.post` and :mod:`sinacrawl.storage`. An item that cannot
become a right post is dropped with :class:`DropItem` naming the reason and the URL, and counted
as ``sinacrawl/dropped/<reason>``.
"""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import NoReturn, Self

import lxml.etree
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred

from sinacrawl.charset import decode_page
from sinacrawl.clean import clean_body, https_url
from sinacrawl.credit import credit_line
from sinacrawl.dates import beijing_day, format_rfc1123, plausible
from sinacrawl.digest import digest_body
from sinacrawl.docid import post_filename
from sinacrawl.extract import (
    PageLimitError,
    article_container,
    headline_text,
    og_image,
    page_title,
    parse_page,
    published,
)
from sinacrawl.items import ArticleItem, DigestItem
from sinacrawl.layout import PostLocator
from sinacrawl.optin import insert_more, page_keywords, page_outlet, stock_names, summary
from sinacrawl.post import PostFields, clean_value, render_post
from sinacrawl.storage import WriteOutcome, check_writable, remove_stale_temps
from sinacrawl.theme_safety import (
    DEFAULT_IMAGE_HOSTS,
    attribute_url,
    https_image_url,
    is_image_host,
)
from sinacrawl.truncation import is_truncated
from sinacrawl.widgets import has_video_player
from sinacrawl.written import WrittenPosts

__all__ = ["UNWRITABLE", "BodyPipeline", "DigestPipeline", "FieldsPipeline", "PostWriterPipeline"]

logger = logging.getLogger(__name__)
REPLACEMENT_CHARACTER = "\ufffd"
#: The finish reason of a crawl stopped because ``POSTS_DIR`` cannot be written (SPEC
#: section 6); ``scrapy crawl`` then exits with status 1 (:mod:`sinacrawl.commands.crawl`).
UNWRITABLE = "posts_dir_unwritable"


def _drop(
    stats: StatsCollector,
    item: ArticleItem | DigestItem,
    reason: str,
    detail: str,
    log_level: str | None = None,
) -> NoReturn:
    stats.inc_value(f"sinacrawl/dropped/{reason}")
    raise DropItem(f"{reason}: {detail}: {item.url}", log_level=log_level)


class FieldsPipeline:
    """Decode and parse the page once, then fill ``title``, ``date``, ``author`` and the
    ``og:image`` candidate (SPEC section 2).

    Settings ``SINACRAWL_AUTHOR`` (str, default ``新浪财经``); ``SINACRAWL_UPDATED`` (bool,
    default False: ``updated`` from the feed's ``mtime``, RFC 1123 UTC, none without a plausible
    one), ``SINACRAWL_TAGS`` (bool, default False: ``tags`` from the page's keywords,
    :func:`~sinacrawl.optin.page_keywords`) and ``SINACRAWL_STOCK_TAGS`` (bool, default False:
    the names of the article's ``news_keyword_pub`` stocks as ``tags`` too, after the keywords,
    each tag once, :func:`~sinacrawl.optin.stock_names`), issue 15 items 4 and 2. Drops:
    ``truncated`` (a page that stops before its end), ``unparsable``, ``too_complex`` (a page
    libxml2 could not parse whole: nesting or a text node past its limits, issue 13 item 14),
    ``no_title`` (also a headline of only zero-width characters), ``no_date``, ``undecodable``
    (a title with replacement characters), ``too_old`` (the spider's ``since`` is set, the feed
    gave no time and the page's own date is before that Beijing day; issue 11).
    Stat ``sinacrawl/decode/replaced`` counts pages no declared charset decodes cleanly.
    """

    def __init__(
        self,
        stats: StatsCollector,
        author: str,
        updated: bool = False,
        tags: bool = False,
        stock_tags: bool = False,
    ) -> None:
        self.stats = stats
        self.author = author
        self.updated = updated
        self.tags = tags
        self.stock_tags = stock_tags

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.get("SINACRAWL_AUTHOR", "新浪财经"),
            settings.getbool("SINACRAWL_UPDATED"),
            settings.getbool("SINACRAWL_TAGS"),
            settings.getbool("SINACRAWL_STOCK_TAGS"),
        )

    def process_item(self, item: ArticleItem) -> ArticleItem:
        decoded = decode_page(item.page, item.content_type)
        if is_truncated(decoded.text):
            _drop(self.stats, item, "truncated", f"page stops after {len(item.page)} bytes")
        if decoded.replaced:
            self.stats.inc_value("sinacrawl/decode/replaced")
            logger.warning(
                "no declared charset decodes %s cleanly; used %s", item.url, decoded.encoding
            )
        try:
            tree = parse_page(decoded, item.page)
        except PageLimitError as exc:
            _drop(self.stats, item, "too_complex", str(exc))
        except (lxml.etree.ParserError, ValueError) as exc:
            _drop(self.stats, item, "unparsable", str(exc))
        item.page = b""
        title = page_title(tree) or headline_text(item.feed_title or "")
        if not title:
            _drop(self.stats, item, "no_title", "no headline, og:title or feed title")
        if REPLACEMENT_CHARACTER in title:
            _drop(self.stats, item, "undecodable", f"title {title!r} did not decode")
        feed_time = item.feed_published
        moment = published(tree) or (feed_time if feed_time and plausible(feed_time) else None)
        if moment is None:
            _drop(self.stats, item, "no_date", "no published_time, date text or feed time")
        if item.since and feed_time is None and beijing_day(moment) < item.since:
            day = beijing_day(moment)
            _drop(self.stats, item, "too_old", f"published {day}, before {item.since}")
        item.title = title
        item.date = format_rfc1123(moment)
        item.author = self.author
        item.og_image = og_image(tree)
        modified = item.feed_modified
        if self.updated and modified is not None and plausible(modified):
            item.updated = format_rfc1123(modified)
        keywords = page_keywords(tree) if self.tags else ()
        stocks = stock_names(tree) if self.stock_tags else ()
        item.tags = tuple(dict.fromkeys(keywords + stocks))
        item.tree = tree
        return item


def default_headimg_url(value: str) -> str:
    """``SINACRAWL_DEFAULT_HEADIMG`` as the post carries it: empty, an https image URL
    (:func:`~sinacrawl.theme_safety.https_image_url`) or a path on the site, percent-encoded.

    :raises ValueError: for anything else (``javascript:…``, ``ftp://…``), naming the setting.
    """
    value = value.strip()
    if not value:
        return ""
    site_path = value.startswith("/") and not value.startswith("//")
    encoded = attribute_url(value) if site_path else https_image_url(value)
    if encoded is None:
        raise ValueError(
            f"SINACRAWL_DEFAULT_HEADIMG {value!r} is neither an http(s) URL "
            "nor a path on the site (/images/banner.jpg)"
        )
    return encoded


class BodyPipeline:
    """Clean the article body and choose ``headimg``/``thumbnail`` (SPEC sections 2, 3, 3a).

    ``headimg`` is the first body image on an image host, else the page's ``og:image`` when
    it is on one, else the default (issue 13, item 3: Volantis prints it raw into
    ``src='…'``, so it is percent-encoded and ``https:``; an off-site ``og:image`` is a
    tracking pixel). Settings: ``SINACRAWL_IMAGE_HOSTS`` (list of host names, each matching
    itself and its subdomains; default :data:`~sinacrawl.theme_safety.DEFAULT_IMAGE_HOSTS`),
    ``SINACRAWL_DEFAULT_HEADIMG`` (an http(s) URL on any host, made ``https:``, or a path on
    the blog such as ``/images/banner.jpg``; percent-encoded; default empty; anything else
    raises :class:`ValueError` naming the setting), ``SINACRAWL_DESCRIPTION`` (bool, default
    False: ``description`` from the feed's ``intro`` or the body, :func:`~sinacrawl.optin.summary`,
    issue 15 item 3; not for 7x24 digests), ``SINACRAWL_FIGURES`` (bool, default False: an image
    with Sina's caption becomes ``<figure>``/``<figcaption>``, issue 15 item 6),
    ``SINACRAWL_MORE`` (bool, default False: Hexo's ``<!-- more -->`` after the first real
    paragraph, :func:`~sinacrawl.optin.insert_more`, issue 15 item 3), ``SINACRAWL_CREDIT``
    (bool, default False: a last line ``来源：<outlet> · 原文链接``, the feed's ``media_name``
    else the page's source line, :func:`~sinacrawl.credit.credit_line`, issue 15 item 5; stats
    ``sinacrawl/credit/no_outlet`` (the line without 来源, INFO) and ``sinacrawl/credit/bad_url``
    (no line: the article's URL is not an http(s) Sina URL, WARNING)). Drops:
    ``no_container`` (a video, slide-show or other non-article page), ``video_only`` (an
    article that is only a video player: nothing left once the player goes; SPEC section 3,
    issue 11), ``empty_body``, ``undecodable``. Stat ``sinacrawl/headimg/offsite_og_image``
    counts ``og:image`` URLs passed over for their host (a WARNING with both URLs).
    """

    def __init__(
        self,
        stats: StatsCollector,
        default_headimg: str,
        image_hosts: tuple[str, ...] = DEFAULT_IMAGE_HOSTS,
        description: bool = False,
        figures: bool = False,
        more: bool = False,
        credit: bool = False,
    ) -> None:
        self.stats = stats
        self.image_hosts = image_hosts
        self.description = description
        self.figures = figures
        self.more = more
        self.credit = credit
        self.default_headimg = default_headimg_url(default_headimg)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.get("SINACRAWL_DEFAULT_HEADIMG", ""),
            tuple(settings.getlist("SINACRAWL_IMAGE_HOSTS", list(DEFAULT_IMAGE_HOSTS))),
            settings.getbool("SINACRAWL_DESCRIPTION"),
            settings.getbool("SINACRAWL_FIGURES"),
            settings.getbool("SINACRAWL_MORE"),
            settings.getbool("SINACRAWL_CREDIT"),
        )

    def process_item(self, item: ArticleItem) -> ArticleItem:
        container = article_container(item.tree)
        outlet = item.feed_media_name or (page_outlet(item.tree) if self.credit else "")
        item.tree = None
        if container is None:
            _drop(self.stats, item, "no_container", "no article container (not an article page)")
        video = has_video_player(container)
        body = clean_body(container, item.url, self.figures)
        if body is None and video:
            _drop(self.stats, item, "video_only", "a video player and no text")
        if body is None:
            _drop(self.stats, item, "empty_body", "nothing left after cleaning")
        if REPLACEMENT_CHARACTER in body.html:
            _drop(self.stats, item, "undecodable", "body did not decode")
        item.headimg = item.thumbnail = self._headimg(item, body.images)
        item.body = body.html
        if self.description:
            item.description = summary(item.feed_intro, body.html)
        if self.more:
            item.body = insert_more(item.body)
        if self.credit:
            item.body = self._with_credit(item, item.body, outlet)
        return item

    def _with_credit(self, item: ArticleItem, body: str, outlet: str) -> str:
        line = credit_line(outlet, item.url)
        if line is None:
            self.stats.inc_value("sinacrawl/credit/bad_url")
            logger.warning("no credit line: not an http(s) Sina URL: %s", item.url)
            return body
        if not clean_value(outlet):
            self.stats.inc_value("sinacrawl/credit/no_outlet")
            logger.info(
                "credit line without 来源: neither feed nor page names an outlet: %s", item.url
            )
        return body + "\n" + line

    def _headimg(self, item: ArticleItem, images: tuple[str, ...]) -> str:
        hosts = self.image_hosts
        first = next((url for url in images if is_image_host(url, hosts)), None)
        if first is not None:
            return first
        og = https_url(item.og_image, item.url) if item.og_image else None
        og = https_image_url(og) if og else None
        if og is not None and not is_image_host(og, hosts):
            self.stats.inc_value("sinacrawl/headimg/offsite_og_image")
            logger.warning(
                "og:image %s is not on an image host (SINACRAWL_IMAGE_HOSTS), not used: %s",
                og,
                item.url,
            )
            og = None
        return og or self.default_headimg


class DigestPipeline(BodyPipeline):
    """Turn a 7x24 day (:class:`~sinacrawl.items.DigestItem`) into the post the writer writes
    (issue 12): the flashes' body (:func:`sinacrawl.digest.digest_body`) cleaned and sanitized by
    :func:`sinacrawl.clean.clean_body` like any article's (SPEC sections 3 and 3a), ``date`` the
    day's first flash (UTC, SPEC section 1), ``headimg``/``thumbnail`` chosen by
    :class:`BodyPipeline`'s rule (there is no ``og:image``) and its settings, ``author`` the
    setting ``SINACRAWL_AUTHOR``. It takes the place of :class:`FieldsPipeline` and
    :class:`BodyPipeline` in the ``sina_7x24`` spider. Drops ``empty_body`` (nothing left after
    cleaning).
    """

    #: The base of relative links in a flash's text: Sina's 7x24 page.
    BASE_URL = "https://finance.sina.com.cn/7x24/"
    author = "新浪财经"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = super().from_crawler(crawler)
        pipeline.author = crawler.settings.get("SINACRAWL_AUTHOR", "新浪财经")
        return pipeline

    def process_item(self, item: DigestItem) -> ArticleItem:  # type: ignore[override]
        body = clean_body(digest_body(item.flashes), self.BASE_URL)
        if body is None:
            _drop(self.stats, item, "empty_body", "nothing left after cleaning")
        post = ArticleItem(
            url=item.url,
            docid=item.docid,
            page=b"",
            title=item.title,
            categories=item.categories,
            author=self.author,
            date=format_rfc1123(min(flash.created for flash in item.flashes)),
            body=body.html,
        )
        post.headimg = post.thumbnail = self._headimg(post, body.images)
        return post


class PostWriterPipeline:
    """Write each item as ``POSTS_DIR/<docid>.md`` (SPEC sections 1 and 4), atomically, through
    :class:`~sinacrawl.written.WrittenPosts`: an unchanged post is not rewritten, and a file
    sinacrawl did not write, or that was edited since, is kept (issue 13 item 12). With
    ``SINACRAWL_POSTS_LAYOUT`` ``year-month`` a new post goes into ``POSTS_DIR/YYYY/MM/`` (its
    UTC date); a post already written stays where it is (:class:`~sinacrawl.layout.PostLocator`,
    issue 14).

    Settings ``POSTS_DIR`` (path, default ``output``), ``SINACRAWL_POSTS_LAYOUT`` (``flat``),
    ``SINACRAWL_OVERWRITE_FOREIGN`` (bool, default False: replace such files too). Stats
    ``sinacrawl/post/written``, ``…/replaced``, ``…/unchanged``, ``…/kept_foreign`` (with a
    WARNING naming the file and the URL; the item goes on, it is not dropped), ``…/adopted``
    (posts of an older sinacrawl taken as its own), ``…/stale_temp_removed`` (temporary files a
    killed crawl left, removed at start). An output folder that cannot be written stops the
    crawl (finish reason :data:`UNWRITABLE`) with one ERROR line naming it: at start, before any
    request is made, when it cannot be created or written or its ``.sinacrawl`` is not a folder;
    mid-crawl when a write fails (disk full), dropping that item as ``write_failed`` (its old
    post, if any, stays whole) and the items still in flight as ``not_written``. Posts already
    written are never touched.
    """

    def __init__(
        self,
        crawler: Crawler,
        stats: StatsCollector,
        posts_dir: Path | None,
        layout: str = "flat",
        overwrite_foreign: bool = False,
    ) -> None:
        self.crawler = crawler
        self.stats = stats
        self.posts_dir = posts_dir
        self.locator = PostLocator(posts_dir or Path(), layout)
        self.written = WrittenPosts(posts_dir, overwrite_foreign) if posts_dir else None
        self.closing: Deferred[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        folder = crawler.settings.get("POSTS_DIR", "output")
        layout = crawler.settings.get("SINACRAWL_POSTS_LAYOUT", "flat")
        overwrite = crawler.settings.getbool("SINACRAWL_OVERWRITE_FOREIGN")
        posts_dir = Path(folder) if folder else None
        return cls(crawler, crawler.stats, posts_dir, layout, overwrite)

    def open_spider(self) -> None:
        if self.posts_dir is None or self.written is None:
            logger.error(
                "POSTS_DIR is empty: set it to the folder the posts go into; the crawl stops "
                "before any request"
            )
            raise CloseSpider(UNWRITABLE)
        try:
            check_writable(self.posts_dir)
            self.written.check()
        except OSError as exc:
            logger.error(
                "cannot write posts into POSTS_DIR %s: %s; the crawl stops before any request",
                self.posts_dir.resolve(),
                exc.strerror or exc,
            )
            raise CloseSpider(UNWRITABLE) from exc
        stale = remove_stale_temps(self.posts_dir)
        if stale:
            self.stats.set_value("sinacrawl/post/stale_temp_removed", stale)
            logger.info("removed %d temporary files left by an earlier, killed crawl", stale)
        logger.info("writing posts into %s", self.posts_dir.resolve())

    def close_spider(self) -> None:
        if self.written is not None:
            self.written.close()

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert item.title and item.date and item.body is not None
        if self.closing is not None:
            _drop(self.stats, item, "not_written", "the crawl is stopping (POSTS_DIR)", "INFO")
        fields = PostFields(
            title=item.title,
            categories=item.categories,
            headimg=item.headimg or "",
            author=item.author or "",
            date=item.date,
            thumbnail=item.thumbnail or "",
            updated=item.updated,
            tags=item.tags,
            description=item.description,
        )
        assert self.posts_dir is not None and self.written is not None  # see open_spider
        name = post_filename(item.docid, item.url)
        target = self.locator.target(name, parsedate_to_datetime(item.date))
        relative = target.relative_to(self.posts_dir).as_posix()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            outcome = self.written.write(relative, render_post(fields, item.body).encode())
        except OSError as exc:
            assert self.crawler.engine is not None
            self.closing = deferred_from_coro(
                self.crawler.engine.close_spider_async(reason=UNWRITABLE)
            )
            _drop(
                self.stats,
                item,
                "write_failed",
                f"cannot write {target}: {exc.strerror or exc}; the crawl stops, posts already "
                "written are kept",
                "ERROR",
            )
        if self.written.adopted:
            self.stats.set_value("sinacrawl/post/adopted", self.written.adopted)
        self.stats.inc_value(f"sinacrawl/post/{outcome}")
        item.filename = relative
        if outcome is WriteOutcome.KEPT_FOREIGN:
            logger.warning(
                "post %s kept: sinacrawl did not write it, or it was edited since "
                "(SINACRAWL_OVERWRITE_FOREIGN replaces it): %s",
                relative,
                item.url,
            )
        elif outcome is not WriteOutcome.UNCHANGED:
            logger.info("post %s: %s (%s)", outcome, target.name, item.url)
        return item
