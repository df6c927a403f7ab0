"""A null spider for ``bench/run.py`` (issue 16): Scrapy's own cost over the same replay.

It is :class:`~sinacrawl.spiders.sina_finance.SinaFinanceSpider` (same feed reading, same
requests, same settings, downloader and spider middlewares) whose article callback yields
nothing, with no item pipelines: what is left is Scrapy's cost of downloading (replaying),
scheduling and dispatching each article response. Run it from the project root::

    python -m scrapy runspider bench/null_spider.py -a pages=N
"""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Request, Response
from scrapy.settings import BaseSettings

from sinacrawl.feed import FeedEntry
from sinacrawl.items import ArticleItem
from sinacrawl.spiders.sina_finance import SinaFinanceSpider


class NullSpider(SinaFinanceSpider):
    """sina_finance minus sinacrawl's per-article work: each article response yields nothing."""

    name = "bench_null"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The project's settings without its item pipelines."""
        super().update_settings(settings)
        settings.set("ITEM_PIPELINES", {}, priority="spider")

    def parse_article(
        self, response: Response, entry: FeedEntry | None, categories: tuple[str, ...]
    ) -> Iterator[ArticleItem | Request]:
        """Nothing for each article response."""
        yield from ()
