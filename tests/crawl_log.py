"""Reading a crawl's log (stderr of ``scrapy crawl``): outcome lines, the summary, the stats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sinacrawl.statedir import STATE_DIR

_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[([\w.]+)\] (DEBUG|INFO|WARNING|ERROR|CRITICAL): (.*)$"
)
_STAT = re.compile(r"^[ {]'((?:sinacrawl|retry|replay)/[^']+)': (\d+),?}?$")
_SUMMARY = re.compile(
    r"^summary: written=(?P<written>\d+) unchanged=(?P<unchanged>\d+) replaced=(?P<replaced>\d+) "
    r"skipped=(?P<skipped>\d+) "
    r"dropped=(?P<dropped>\d+) \((?P<reasons>[^)]*)\) requests_failed=(?P<failed>\d+) "
    r"feed_pages_failed=(?P<feed_failed>\d+) finish_reason=(?P<reason>\w+)$"
)


@dataclass(frozen=True)
class CrawlLog:
    """One crawl's stderr, split into what the tests compare."""

    text: str

    def lines(self, *levels: str) -> list[tuple[str, str]]:
        """``(level, message)`` of every log record at one of ``levels``, in order; a record's
        continuation lines (a multi-line message) stay in its message.
        """
        records: list[tuple[str, str]] = []
        for line in self.text.splitlines():
            match = _LINE.match(line)
            if match:
                records.append((match.group(2), match.group(3)))
            elif records:
                records[-1] = (records[-1][0], records[-1][1] + "\n" + line)
        return [record for record in records if record[0] in levels]

    def outcomes(self) -> list[tuple[str, str]]:
        """INFO/WARNING/ERROR lines naming a URL: one per outcome, sorted."""
        return sorted(r for r in self.lines("INFO", "WARNING", "ERROR") if "://" in r[1])

    def errors(self) -> list[str]:
        return [message for _, message in self.lines("ERROR", "CRITICAL")]

    def summary(self) -> dict[str, str]:
        """The figures of the one ``summary:`` line."""
        found = [_SUMMARY.match(m) for _, m in self.lines("INFO") if m.startswith("summary:")]
        assert len(found) == 1 and found[0], self.text[-3000:]
        return found[0].groupdict()

    def stats(self) -> dict[str, int]:
        """The ``sinacrawl/``, ``retry/`` and ``replay/`` stats of the closing stats dump."""
        return {m.group(1): int(m.group(2)) for m in map(_STAT.match, self.text.splitlines()) if m}


def post_names(folder: Path) -> list[str]:
    """Every name in ``folder``, sorted (posts and anything else), but the crawl's own state
    folder ``.sinacrawl`` (its run lock, its run report)."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != STATE_DIR)
