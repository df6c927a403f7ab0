"""Scrapy's downloader with its per-slot concurrency kept (issue 16: a polite crawl).

Scrapy 2.19's ``Downloader._process_queue`` starts each queued download as an asyncio task, and
the task puts its request in ``slot.transferring`` only when it first runs: by then the loop has
read ``slot.free_transfer_slots()`` again, seen every slot still free, and started the whole
queue. With ``DOWNLOAD_DELAY = 0`` (a delay makes Scrapy start one request per pass, which
hides the fault), ``CONCURRENT_REQUESTS_PER_DOMAIN = 1`` let 11 requests to one host run at
once against bench/redis_speedup.py's proxy, which answers after 150 ms; tests/test_downloader.py
saw 7 at once with a limit of 2.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from scrapy.core.downloader import Downloader
from scrapy.resolver import dnscache
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot

__all__ = ["SlotLimitedDownloader"]


class SlotLimitedDownloader(Downloader):
    """``DOWNLOADER``: Scrapy's :class:`~scrapy.core.downloader.Downloader`, but a request
    counts against its slot's concurrency (``CONCURRENT_REQUESTS_PER_DOMAIN``, ``_PER_IP``,
    ``DOWNLOAD_SLOTS``) from the moment it is started, not from when its task first runs.

    Each pass shows Scrapy's own ``_process_queue`` one queued request at a time and marks the
    request as transferring as soon as it is started; the download task adds it again (a set:
    no change) and removes it when done. Delays, ``latercall`` and jitter stay Scrapy's.

    A request's slot is its own host's (:meth:`get_slot_key`): a redirected request carries
    the slot of the URL it came from (Scrapy's redirect copies ``meta``), and a host written
    with a trailing dot (``finance.sina.com.cn.``) is the same host (attack trial, stop 19).
    """

    def get_slot_key(self, request: Request) -> str:
        """The slot of ``request`` as Scrapy names it (its ``download_slot`` meta, else its
        host, resolved when ``CONCURRENT_REQUESTS_PER_IP`` is set), without a trailing dot;
        a redirected request's ``download_slot`` is ignored: Scrapy's redirect copied it from
        the URL the request came from."""
        if "redirect_urls" not in request.meta:
            return super().get_slot_key(request).rstrip(".")
        key = (urlparse_cached(request).hostname or "").rstrip(".")
        return dnscache.get(key, key) if self.ip_concurrency else key

    def _process_queue(self, slot: Slot) -> None:
        waiting, slot.queue = slot.queue, deque()
        try:
            while waiting and slot.free_transfer_slots() > 0:
                entry = waiting.popleft()
                slot.queue.append(entry)
                super()._process_queue(slot)
                if slot.queue:  # not started: a delay holds the slot
                    break
                slot.transferring.add(entry[0])
        finally:
            slot.queue.extend(waiting)
