"""Local copies of a post's images (issue 15 item 1, ``SINACRAWL_IMAGES_DIR``).

Every image of a post (the body's ``<img>``, ``headimg``, ``thumbnail``) on one of Sina's image
hosts is downloaded through Scrapy's own :class:`~scrapy.pipelines.files.FilesPipeline` (not
``ImagesPipeline``, which re-encodes to JPEG) into
``<SINACRAWL_IMAGES_DIR>/<post name>/<hash>.<ext>`` and the post points at
``<SINACRAWL_IMAGES_URL><post name>/<hash>.<ext>``, so the blog no longer hotlinks Sina
(yuque-hexo#41) and an image Sina deletes stays on the blog. An image that cannot be stored
keeps its Sina URL (and the ``referrerpolicy`` the body gives it).
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import stat
from collections import defaultdict
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Self

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.pipelines.files import FilesPipeline, FSFilesStore
from scrapy.pipelines.media import FileInfo, FileInfoOrError, MediaPipeline
from scrapy.pipelines.media import _MediaRequestFiltered as _Filtered
from scrapy.statscollectors import StatsCollector
from scrapy.utils.request import RequestFingerprinterProtocol
from twisted.python.failure import Failure

from sinacrawl.docid import post_filename
from sinacrawl.items import ArticleItem
from sinacrawl.pipelines import UNWRITABLE
from sinacrawl.storage import (
    NotRegularFileError,
    check_writable,
    remove_stale_temps,
    replace_atomic,
)
from sinacrawl.theme_safety import DEFAULT_IMAGE_HOSTS, attribute_url, is_image_host
from sinacrawl.urlguard import IMAGE_REQUEST

__all__ = [
    "DEFAULT_MAXSIZE",
    "IMAGE_TYPES",
    "ImageNotStored",
    "ImageStore",
    "LocalImagesPipeline",
    "image_extension",
    "images_url_prefix",
]

logger = logging.getLogger(__name__)

#: ``SINACRAWL_IMAGES_MAXSIZE``'s default, in bytes: Sina's article images are JPEGs of 20 to
#: 300 KB (``n.sinaimg.cn/…/w550h366/…``); 5 MB leaves room for a long infographic.
DEFAULT_MAXSIZE = 5 * 1024 * 1024
#: The file types a copy may be stored as: magic bytes → extension. The extension comes from
#: the bytes, never from the URL, so a static server never serves a copy as HTML.
IMAGE_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
)
#: Every extension a stored copy may have (:data:`IMAGE_TYPES`, and WebP).
_EXTENSIONS = (".jpg", ".png", ".gif", ".webp")
#: A body ``<img>`` tag as :func:`sinacrawl.clean.clean_body` writes it (nh3's serializer: the
#: attributes double-quoted, ``<`` never inside a tag; no ``>`` in a kept value, see
#: :func:`~sinacrawl.theme_safety.body_attribute`) and its ``src`` attribute.
_IMG_TAG = re.compile(r"<img\b[^>]*>")
_SRC = re.compile(r'(?<=\s)src="([^"]*)"')
#: Length, in hex digits, of the SHA-1 of the image URL that names its copy (64 bits: no two
#: images of one post collide).
_HASH_DIGITS = 16


class ImageNotStored(_Filtered):
    """Why an image was not stored (its message is the reason the WARNING gives). A subclass
    of the exception Scrapy's media pipelines raise for a filtered request (a
    :class:`~scrapy.pipelines.media.FileException`), which they log at DEBUG without a
    traceback: :class:`LocalImagesPipeline` logs each failure once, as a WARNING with the
    article's URL, and an image that cannot be copied is an expected outcome, not an error."""


def image_extension(body: bytes, content_type: str) -> str:
    """The extension a downloaded image is stored with, from its first bytes (JPEG, PNG, GIF,
    WebP: :data:`IMAGE_TYPES`).

    :raises ImageNotStored: when the bytes are none of those, or the ``Content-Type`` header
        (``content_type``, empty when absent) is neither ``image/…`` nor
        ``application/octet-stream``: an HTML error page with status 200 is not an image.

    >>> image_extension(b"GIF89a\\x01\\x00", "image/gif")
    '.gif'
    >>> image_extension(b"<html>404</html>", "text/html")
    Traceback (most recent call last):
    ...
    sinacrawl.images.ImageNotStored: not an image: content type text/html
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind and not kind.startswith("image/") and kind != "application/octet-stream":
        raise ImageNotStored(f"not an image: content type {kind}")
    for magic, extension in IMAGE_TYPES:
        if body.startswith(magic):
            return extension
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return ".webp"
    raise ImageNotStored(f"not an image: no JPEG, PNG, GIF or WebP signature ({len(body)} bytes)")


def images_url_prefix(value: str) -> str:
    """``SINACRAWL_IMAGES_URL`` as the prefix of a local copy's URL: a path on the site
    (``/images/``, ``/blog/images/`` under a Hexo ``root`` of ``/blog/``) or an https URL,
    percent-encoded, ending in ``/``.

    :raises ValueError: for anything else (``javascript:…``, ``images/``), naming the setting.

    >>> images_url_prefix("/blog/images")
    '/blog/images/'
    """
    value = value.strip()
    encoded = attribute_url(value)
    site_path = value.startswith("/") and not value.startswith("//")
    if encoded is None or not (site_path or encoded.startswith("https://")):
        raise ValueError(
            f"SINACRAWL_IMAGES_URL {value!r} is neither a path on the site (/images/) "
            "nor an https URL"
        )
    return encoded.rstrip("/") + "/"


class ImageStore(FSFilesStore):
    """Scrapy's file-system store, writing as :mod:`sinacrawl.storage` writes posts: each copy
    atomically (:func:`~sinacrawl.storage.replace_atomic`: a killed crawl leaves no half image),
    never through a symlink (a post's image folder that is a symlink is refused with
    :class:`~sinacrawl.storage.NotRegularFileError`; a symlink at the file's own path is
    replaced, its target untouched), and only regular files count as stored (issue 13 item 11).
    """

    def __init__(self, basedir: str | os.PathLike[str]) -> None:
        # Scrapy's store creates its folder here; LocalImagesPipeline.open_spider does, so
        # that a folder that cannot be written stops the crawl with one ERROR line.
        self.basedir = str(basedir)
        self.created_directories = defaultdict(set)
        #: post folders written into during this crawl, and the temporary files a killed
        #: earlier crawl left in them and that were removed (:func:`remove_stale_temps`)
        self.seen_folders: set[Path] = set()
        self.stale_removed = 0

    def persist_file(
        self,
        path: str | os.PathLike[str],
        buf: BytesIO,
        info: MediaPipeline.SpiderInfo,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Write ``buf`` to ``path`` (``<post name>/<file>``, relative to the store); the first
        write into a post's folder in a crawl removes the temporary files a killed crawl left
        there (only sinacrawl's own, :func:`~sinacrawl.storage.remove_stale_temps`).

        :raises NotRegularFileError: when the post's folder is a symlink or not a folder.
        :raises OSError: when the file cannot be written (disk full).
        """
        target = self._get_filesystem_path(path)
        folder = target.parent
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            mode = folder.lstat().st_mode
            if not stat.S_ISDIR(mode):
                raise NotRegularFileError(folder, symlink=stat.S_ISLNK(mode)) from None
        if folder not in self.seen_folders:
            self.seen_folders.add(folder)
            self.stale_removed += remove_stale_temps(folder)
        replace_atomic(target, buf.getvalue())

    def regular_file(self, path: str) -> bool:
        """Whether ``path`` (relative to the store) is a regular file, not followed if a
        symlink."""
        try:
            return stat.S_ISREG(self._get_filesystem_path(path).lstat().st_mode)
        except OSError:
            return False


class _PerPostFingerprinter:
    """Request fingerprints that also hold the post's name, so that one image in two posts
    is stored (and pointed at) in each post's folder: Scrapy's media pipelines answer a
    request seen before from a cache keyed by the fingerprint alone."""

    def __init__(self, fingerprinter: RequestFingerprinterProtocol) -> None:
        self.fingerprinter = fingerprinter

    def fingerprint(self, request: Request) -> bytes:
        post = str(request.meta.get("sinacrawl_post", "")).encode()
        return hashlib.sha1(self.fingerprinter.fingerprint(request) + b"\0" + post).digest()


class LocalImagesPipeline(FilesPipeline):
    """Store a post's images beside the blog and point the post at them (issue 15 item 1).

    Runs after :class:`~sinacrawl.pipelines.BodyPipeline` and before
    :class:`~sinacrawl.pipelines.PostWriterPipeline` (``ITEM_PIPELINES`` 250): the post is
    written once every image is stored or has failed. For each distinct image URL of the body's
    ``<img src>``, ``headimg`` and ``thumbnail``:

    - not on ``SINACRAWL_IMAGE_HOSTS``: not requested, kept (stat ``sinacrawl/images/offsite``,
      a WARNING with both URLs); a path on the site (``SINACRAWL_DEFAULT_HEADIMG``) is left alone;
    - already stored (any of the extensions of :data:`IMAGE_TYPES`): used, not downloaded again,
      however old (stat ``sinacrawl/images/uptodate``): a later crawl of an unchanged article
      downloads nothing, and an image Sina has deleted since stays;
    - else downloaded (through every downloader middleware: the request guard, robots.txt,
      replay) with ``download_maxsize`` ``SINACRAWL_IMAGES_MAXSIZE``, no redirect followed, and
      stored as ``<post name>/<16 hex of the URL's SHA-1><ext>`` (:class:`ImageStore`; the post
      name is the post file's, :func:`~sinacrawl.docid.post_filename`, so never a path from the
      URL), the extension from the bytes (:func:`image_extension`) (stat
      ``sinacrawl/images/downloaded``);
    - a failure (HTTP status other than 200, empty, too large, not an image, replay miss,
      blocked, timeout, write error) keeps the Sina URL: stat ``sinacrawl/images/failed``,
      a WARNING ``image not stored, the post keeps its URL: <reason>: <image> (<article>)``.
      The post is still written.

    Settings (read in :meth:`from_crawler`): ``SINACRAWL_IMAGES_DIR`` (folder; empty, the
    default: :class:`NotConfigured`, every post byte-identical to SPEC section 1),
    ``SINACRAWL_IMAGES_URL`` (str, default ``/images/``: where the blog serves that folder,
    :func:`images_url_prefix`; raises :class:`ValueError` naming it), ``SINACRAWL_IMAGES_MAXSIZE``
    (bytes, default :data:`DEFAULT_MAXSIZE`), ``SINACRAWL_IMAGE_HOSTS``.
    """

    MEDIA_NAME = "image"
    #: Only the local file system: no S3, GCS or FTP store.
    STORE_SCHEMES: ClassVar[dict[str, Any]] = {"": ImageStore, "file": ImageStore}

    def __init__(
        self,
        store_uri: str,
        *,
        crawler: Crawler,
        url_prefix: str = "/images/",
        maxsize: int = DEFAULT_MAXSIZE,
        image_hosts: tuple[str, ...] = DEFAULT_IMAGE_HOSTS,
    ) -> None:
        super().__init__(store_uri, crawler=crawler)
        # Scrapy 2.19's media pipelines key their per-crawl cache of results by
        # self._fingerprinter; a post's image must be looked up in that post's folder.
        self._fingerprinter = _PerPostFingerprinter(crawler.request_fingerprinter)
        assert crawler.stats is not None
        self.stats: StatsCollector = crawler.stats
        self.image_store: ImageStore = self.store  # type: ignore[assignment]
        self.url_prefix = images_url_prefix(url_prefix)
        self.maxsize = maxsize
        self.image_hosts = image_hosts

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """The pipeline from the settings; :class:`NotConfigured` when ``SINACRAWL_IMAGES_DIR``
        is empty."""
        settings = crawler.settings
        folder = settings.get("SINACRAWL_IMAGES_DIR") or ""
        if not folder:
            # Off by default: no message, so Scrapy logs no "Disabled …" WARNING every crawl.
            raise NotConfigured
        return cls(
            str(Path(folder).absolute()),
            crawler=crawler,
            url_prefix=settings.get("SINACRAWL_IMAGES_URL", "/images/"),
            maxsize=settings.getint("SINACRAWL_IMAGES_MAXSIZE", DEFAULT_MAXSIZE),
            image_hosts=tuple(settings.getlist("SINACRAWL_IMAGE_HOSTS", list(DEFAULT_IMAGE_HOSTS))),
        )

    def open_spider(self, spider: Spider | None = None) -> None:
        """Create the images folder and prove it writable, before any request.

        :raises CloseSpider: (finish reason ``posts_dir_unwritable``, one ERROR line naming
            the folder) when it cannot be created or written.
        """
        folder = Path(self.image_store.basedir)
        try:
            check_writable(folder)
        except OSError as exc:
            logger.error(
                "cannot write images into SINACRAWL_IMAGES_DIR %s: %s; the crawl stops before "
                "any request",
                folder,
                exc.strerror or exc,
            )
            raise CloseSpider(UNWRITABLE) from exc
        super().open_spider()

    def close_spider(self, spider: Spider | None = None) -> None:
        """Stat ``sinacrawl/images/stale_temp_removed``: temporary files of a killed crawl
        removed from the post folders written into."""
        if self.image_store.stale_removed:
            self.stats.set_value(
                "sinacrawl/images/stale_temp_removed", self.image_store.stale_removed
            )

    @staticmethod
    def _post(item: ArticleItem) -> str:
        return Path(post_filename(item.docid, item.url)).stem

    def _image_urls(self, item: ArticleItem) -> Iterator[str]:
        for tag in _IMG_TAG.findall(item.body or ""):
            source = _SRC.search(tag)
            if source:
                yield html.unescape(source[1])
        yield from filter(None, (item.headimg, item.thumbnail))

    def _requestable(self, item: ArticleItem) -> tuple[list[str], list[str]]:
        """The item's image URLs to download and those off the image hosts, each once, in
        order (a path on the site, ``SINACRAWL_DEFAULT_HEADIMG``, is neither)."""
        wanted: list[str] = []
        offsite: list[str] = []
        for url in dict.fromkeys(self._image_urls(item)):
            if url.startswith("https://"):
                (wanted if is_image_host(url, self.image_hosts) else offsite).append(url)
        return wanted, offsite

    def get_media_requests(
        self, item: ArticleItem, info: MediaPipeline.SpiderInfo
    ) -> list[Request]:
        """One request per image to copy (``download_maxsize``, the post's name in ``meta``);
        an image off the image hosts is counted and logged here, never requested."""
        wanted, offsite = self._requestable(item)
        for url in offsite:
            self.stats.inc_value("sinacrawl/images/offsite")
            logger.warning(
                "image not on an image host (SINACRAWL_IMAGE_HOSTS), not copied: %s (%s)",
                url,
                item.url,
            )
        # Never redirected (nor by a meta refresh: Scrapy's middlewares obey dont_redirect): a
        # redirect's target would be fetched without this host check (attack trial).
        meta = {
            "download_maxsize": self.maxsize,
            "sinacrawl_post": self._post(item),
            IMAGE_REQUEST: True,
            "dont_redirect": True,
        }
        return [Request(url, callback=NO_CALLBACK, meta=dict(meta)) for url in wanted]

    def media_to_download(  # type: ignore[override]
        self, request: Request, info: MediaPipeline.SpiderInfo, *, item: Any = None
    ) -> FileInfo | None:
        """The stored copy (any extension, however old: ``uptodate``), else ``None``:
        download it."""
        stem = self._stem(request)
        for extension in _EXTENSIONS:
            path = stem + extension
            if self.image_store.regular_file(path):
                self.inc_stats("uptodate")
                return {"url": request.url, "path": path, "checksum": "", "status": "uptodate"}
        return None

    async def media_downloaded(
        self,
        response: Response,
        request: Request,
        info: MediaPipeline.SpiderInfo,
        *,
        item: Any = None,
    ) -> FileInfo:
        """Store a downloaded image (:meth:`file_path`, :class:`ImageStore`).

        :raises ImageNotStored: for a status other than 200, bytes that are not an image, or
            a write that failed (its reason in the message).
        """
        if response.status != 200:
            raise ImageNotStored(f"HTTP status {response.status}")
        path = self.file_path(request, response, info, item=item)
        try:
            self.image_store.persist_file(path, BytesIO(response.body), info)
        except OSError as exc:
            raise ImageNotStored(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.inc_stats("downloaded")
        checksum = hashlib.md5(response.body, usedforsecurity=False).hexdigest()
        return {"url": request.url, "path": path, "checksum": checksum, "status": "downloaded"}

    def media_failed(
        self, failure: Failure, request: Request, info: MediaPipeline.SpiderInfo
    ) -> NoReturn:
        """Raise the reason as :class:`ImageNotStored` (a replay miss, a blocked or too large
        download, a timeout; :meth:`item_completed` logs it once, with the article's URL)."""
        if isinstance(failure.value, ImageNotStored):
            raise failure.value
        reason = failure.getErrorMessage() or type(failure.value).__name__
        raise ImageNotStored(reason) from failure.value

    def _stem(self, request: Request) -> str:
        digest = hashlib.sha1(request.url.encode()).hexdigest()[:_HASH_DIGITS]
        return f"{request.meta['sinacrawl_post']}/{digest}"

    def file_path(
        self,
        request: Request,
        response: Response | None = None,
        info: MediaPipeline.SpiderInfo | None = None,
        *,
        item: Any = None,
    ) -> str:
        """``<post name>/<hash><ext>``, the extension from the downloaded bytes.

        :raises ImageNotStored: without ``response`` (the extension is not known before the
            download), or when the bytes are not an image (:func:`image_extension`).
        """
        if response is None:
            raise ImageNotStored("the file name of an image needs its bytes")
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        return self._stem(request) + image_extension(response.body, content_type)

    def inc_stats(self, status: str) -> None:
        """Scrapy's ``file_count``/``file_status_count/…`` and ``sinacrawl/images/<status>``."""
        super().inc_stats(status)
        self.stats.inc_value(f"sinacrawl/images/{status}")

    def item_completed(
        self, results: list[FileInfoOrError], item: ArticleItem, info: MediaPipeline.SpiderInfo
    ) -> ArticleItem:
        """Point the post's body ``<img src>``, ``headimg`` and ``thumbnail`` at the stored
        copies; log and count each image that failed (its URL stays)."""
        local: dict[str, str] = {}
        wanted, _ = self._requestable(item)
        for url, (ok, value) in zip(wanted, results, strict=True):
            if ok:
                assert isinstance(value, dict)
                local[url] = self.url_prefix + value["path"]
                continue
            assert isinstance(value, Failure)
            self.stats.inc_value("sinacrawl/images/failed")
            logger.warning(
                "image not stored, the post keeps its URL: %s: %s (%s)",
                value.getErrorMessage(),
                url,
                item.url,
            )
        if local:
            item.body = _IMG_TAG.sub(lambda tag: _local_src(tag[0], local), item.body or "")
            item.headimg = local.get(item.headimg or "", item.headimg)
            item.thumbnail = local.get(item.thumbnail or "", item.thumbnail)
        return item


def _local_src(tag: str, local: dict[str, str]) -> str:
    source = _SRC.search(tag)
    if source is None:
        return tag
    path = local.get(html.unescape(source[1]))
    if path is None:
        return tag
    return f'{tag[: source.start()]}src="{path}"{tag[source.end() :]}'
