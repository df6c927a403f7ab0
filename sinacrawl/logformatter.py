"""Log formatter: one line per dropped item (SPEC section 6, "a logged reason")."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

__all__ = ["OneLineLogFormatter"]


class OneLineLogFormatter(LogFormatter):
    """Scrapy's formatter, except that a dropped item is logged as one line,
    ``Dropped: <reason>: <detail>: <url>`` (the :class:`~scrapy.exceptions.DropItem` message
    the pipelines build), without the item's repr on a second line. The level stays Scrapy's
    (``DropItem.log_level``, else ``DEFAULT_DROPITEM_LOG_LEVEL``, WARNING by default).

    The pipelines log nothing themselves when they drop an item, so each drop is one line.
    """

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        return {
            "level": result["level"],
            "msg": "Dropped: %(exception)s",
            "args": {"exception": exception},
        }
