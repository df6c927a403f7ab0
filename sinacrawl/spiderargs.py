"""Spider arguments a spider does not know: warned about, never silently ignored (issue 14)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["unknown_arguments", "warn_unknown"]

logger = logging.getLogger(__name__)


def unknown_arguments(known: Iterable[str], given: Iterable[str]) -> list[str]:
    """The names in ``given`` that are not in ``known``, sorted. Names starting with ``_`` are
    scrapyd's own (``_job``, ``_version``: it passes them as spider arguments to every job)
    and never unknown.

    >>> unknown_arguments({"pages", "urls"}, ["page", "_job", "urls"])
    ['page']
    """
    wanted = set(known)
    return sorted(name for name in given if name not in wanted and not name.startswith("_"))


def warn_unknown(spider: str, known: Iterable[str], given: Iterable[str]) -> list[str]:
    """Log one WARNING naming the unknown arguments among ``given`` and the ``known`` ones of
    spider ``spider`` (a misspelled ``-a page=3`` used to be ignored without a word); return
    the unknown names.
    """
    unknown = unknown_arguments(known, given)
    if unknown:
        logger.warning(
            "unknown spider argument%s %s ignored; %s knows: %s",
            "s" if len(unknown) > 1 else "",
            ", ".join(unknown),
            spider,
            ", ".join(sorted(known)),
        )
    return unknown
