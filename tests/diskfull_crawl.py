"""``scrapy crawl sina_finance ARGS`` on a disk that fills up: after BUDGET successful
``os.fsync`` calls every further one fails with ENOSPC, as a full disk does.

Usage (from the project root): ``python tests/diskfull_crawl.py BUDGET ARGS...``
"""

from __future__ import annotations

import errno
import os
import sys

from scrapy.cmdline import execute


def main() -> None:
    budget = int(sys.argv[1])
    real_fsync = os.fsync
    calls = 0

    def fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls > budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    os.fsync = fsync
    execute(["scrapy", "crawl", "sina_finance", *sys.argv[2:]])


if __name__ == "__main__":
    main()
