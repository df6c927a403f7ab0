"""Benchmark sinacrawl against the parse floor, trafilatura and GNE (issue 6).

Run from the project root after ``pip install -e ".[bench]"``::

    python bench/run.py --replay ../shared/corpus --articles 2000

Everything runs on one core (the process pins itself; the crawl subprocesses inherit it). The
pages are the corpus's article pages that ``expected.jsonl`` marks ``post: true``.

Extraction against the floor (issues 11 and 16), side by side so that the machine's load cancels
out: per page, the parse floor and sinacrawl's extraction run alternately ``--repeats`` times
each on the same bytes, timed in CPU time of this process (``time.process_time``: time another
process takes the core is not counted); each one's fastest run counts (as ``timeit`` does) and
the page's ratio is extraction ÷ floor. ``extract_vs_floor`` is the median of those ratios over
the pages, taken in each of ``--extract-rounds`` rounds: printed as the median over the rounds,
with ``extract_vs_floor_min`` and ``_max``. The other figures are medians over the pages of the
fastest runs, in ms:

- ``parse_floor_ms``: ``lxml.html.document_fromstring`` on the page's bytes, nothing else;
- ``extract_ms``: what FieldsPipeline and BodyPipeline do, without Scrapy or disk: decode, parse,
  extract the front matter, look for a video player, clean the body, render the post;
- ``trafilatura_ms``: ``trafilatura.extract(text, output_format="html", include_images=True)``;
- ``gne_ms``: ``GeneralNewsExtractor().extract(text)``.

Long articles (issue 16: cleaning linear and at most 2x the parse per MB): one finance page whose
article is grown (its paragraphs repeated) to 1 MB and to 20 MB. In each of ``--long-rounds``
rounds (the two sizes one after the other), per size, ``--long-runs`` runs of each, alternately,
in CPU time: the floor, the extraction, ``clean_body`` alone (on a freshly parsed page) and the
cleaning's last step alone (serialise, nh3, layout: what no pass of sinacrawl's own can remove);
a round's figure is each one's fastest run, in ms per MB of page. Printed: the fastest over the
rounds as ``long_parse_ms_per_mb_*``, ``long_extract_ms_per_mb_*``, ``long_clean_ms_per_mb_*``,
``long_sanitize_ms_per_mb_*``; per round ``long_clean_vs_parse_*`` and
``long_sanitize_vs_parse_*`` (÷ that round's floor) and ``long_size_growth`` (extraction per MB
at 20 MB ÷ at 1 MB in that round: 1 is linear), as the median over the rounds with ``*_min``
and ``*_max``.

Then a whole ``scrapy crawl sina_finance`` over a replay folder of ``--articles`` articles (each
a distinct URL whose manifest line points at a corpus page through a symbolic link: no copies)
and roll-feed pages listing them: wall time, CPU time and peak RSS of the process; and the same
for a tenth of the articles (``*_small``). The posts go to a temporary folder under
``--posts-in`` (default ``/dev/shm`` when it exists, so that the figure is sinacrawl's work and
not the disk's fsync latency).

The crawl's limit (issue 16) is measured side by side with it, interleaved over ``--rounds``
rounds; each round runs, on the same replay size:

- the null spider (``bench/null_spider.py``: the same spider, settings and middlewares, no item
  pipelines, nothing yielded per article: Scrapy's own cost), ``null_spider_ms_per_page``;
- the parse floor over the replay's article pages in order (``replay_floor_ms_per_page``);
- the crawl with its posts under ``--posts-in``, then under ``--disk-posts-in`` (default
  ``/tmp``, the real disk: each post's fsync kept; ``*_disk``).

Per round: ``crawl_vs_limit`` = crawl ÷ (null spider + parse floor), ``crawl_vs_null_spider``
and ``crawl_vs_floor`` (crawl ÷ that round's parse floor), from wall times; and
``crawl_cpu_vs_limit``, the same from CPU times (the processes' user + system time, the floor's
``time.process_time``), which other processes on a loaded machine disturb far less; printed as
the median over the rounds with ``*_min`` and ``*_max``. The ``crawl_*`` and ``null_spider_*``
figures are medians too.

Each figure is printed as ``name=value``, then the ratios, then ``accuracy_<extractor>=R/N``:
on how many pages the extractor kept every ``must_contain`` text and dropped every
``must_not_contain`` text (compared as the corpus README says: tags removed, entities decoded,
white space removed).
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

import lxml.html
from w3lib.url import canonicalize_url

try:
    import trafilatura
    from gne import GeneralNewsExtractor
except ImportError as exc:  # the optional extra is missing
    sys.exit(f"{exc}: install the benchmark's extra first: pip install -e '.[bench]'")

from sinacrawl.charset import decode_page
from sinacrawl.clean import _serialise, clean_body, https_url, sanitize
from sinacrawl.dates import format_rfc1123
from sinacrawl.extract import article_container, og_image, page_title, parse_page, published
from sinacrawl.feed import feed_url
from sinacrawl.post import PostFields, render_post
from sinacrawl.replay import MANIFEST, load_manifest
from sinacrawl.widgets import has_video_player

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("金融", "新浪财经", "新浪财经－国內")
FEED_PAGEID, FEED_LID = 155, 1686  # the default channel, china
FEED_PAGE_SIZE = 50
#: Long articles (issue 16): a finance page grown to about these sizes, in bytes.
LONG_SIZES = {"1mb": 1_000_000, "20mb": 20_000_000}
_TAG = re.compile(r"<[^>]+>")
_WHITE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Page:
    """One corpus article: its URL, saved bytes, Content-Type and ``expected.jsonl`` line."""

    url: str
    file: Path
    body: bytes
    content_type: str | None
    expected: dict[str, object]


def load_pages(corpus: Path) -> list[Page]:
    """The corpus's ``post: true`` article pages, in ``expected.jsonl`` order."""
    answers = load_manifest(corpus)
    pages = []
    for line in (corpus / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        if case["post"] is not True:
            continue
        entry = answers[canonicalize_url(case["url"])][-1]
        assert entry.file is not None, case["url"]
        pages.append(
            Page(case["url"], entry.file, entry.file.read_bytes(), entry.content_type or None, case)
        )
    return pages


# --- the extractors, each from the page's bytes ---------------------------------------------


def parse_floor(page: Page) -> str:
    """lxml's parse of the whole page and nothing else (the floor)."""
    lxml.html.document_fromstring(page.body)
    return ""


def sinacrawl_extract(page: Page) -> str:
    """What FieldsPipeline and BodyPipeline do, then the post rendered: the body HTML."""
    tree = parse_page(decode_page(page.body, page.content_type), page.body)
    title, moment, og = page_title(tree), published(tree), og_image(tree)
    container = article_container(tree)
    assert title and moment and container is not None, page.url
    has_video_player(container)  # BodyPipeline asks before cleaning (issue 11)
    body = clean_body(container, page.url)
    assert body is not None, page.url
    headimg = next(iter(body.images), None) or (https_url(og, page.url) if og else "") or ""
    fields = PostFields(title, CATEGORIES, headimg, "新浪财经", format_rfc1123(moment), headimg)
    render_post(fields, body.html)
    return body.html


def _text(page: Page) -> str:
    return decode_page(page.body, page.content_type).text


def trafilatura_extract(page: Page) -> str:
    """trafilatura's HTML output with images."""
    return trafilatura.extract(_text(page), output_format="html", include_images=True) or ""


def gne_extract(page: Page) -> str:
    """GNE's extracted article text."""
    return str(GeneralNewsExtractor().extract(_text(page)).get("content") or "")


def median_ms(
    pages: list[Page], extractor: Callable[[Page], str], repeats: int
) -> tuple[float, list[str]]:
    """Median over ``pages`` of the fastest of ``repeats`` runs, in ms; and each page's output."""
    outputs = [extractor(page) for page in pages]  # warm-up (imports, caches)
    best = []
    for page in pages:
        fastest = math.inf
        for _ in range(repeats):
            start = time.perf_counter()
            extractor(page)
            fastest = min(fastest, time.perf_counter() - start)
        best.append(fastest * 1000)
    return statistics.median(best), outputs


@dataclass(frozen=True, slots=True)
class SideBySide:
    """One interleaved round over the pages: each page's fastest floor and extraction (ms)."""

    floor_ms: list[float]
    extract_ms: list[float]

    @property
    def ratio(self) -> float:
        """Median over the pages of extraction ÷ floor."""
        return statistics.median(e / f for e, f in zip(self.extract_ms, self.floor_ms, strict=True))


def side_by_side(pages: list[Page], repeats: int) -> SideBySide:
    """Per page, the floor and the extraction alternately ``repeats`` times each, in this
    process's CPU time; the fastest of each (ms)."""
    floors, extracts = [], []
    for page in pages:
        floor = extract = math.inf
        for _ in range(repeats):
            start = time.process_time()
            parse_floor(page)
            middle = time.process_time()
            sinacrawl_extract(page)
            end = time.process_time()
            floor, extract = min(floor, middle - start), min(extract, end - middle)
        floors.append(floor * 1000)
        extracts.append(extract * 1000)
    return SideBySide(floors, extracts)


@dataclass(frozen=True, slots=True)
class LongRound:
    """One round over a long article, in ms per MB of page: the fastest of its runs of the parse
    floor, the extraction, ``clean_body`` alone and the cleaning's last step alone (serialise,
    nh3, layout: :func:`sinacrawl.clean.sanitize` of the cleaned container's markup)."""

    parse: float
    extract: float
    clean: float
    sanitize: float


def long_round(big: Page, runs: int) -> LongRound:
    """``runs`` times each, alternately, on ``big``: the floor, the extraction, ``clean_body``
    on a freshly parsed page (the parse not timed) and the sanitizing of the cleaned markup; CPU
    time of this process; the fastest of each, in ms per MB."""
    megabytes = len(big.body) / 1_000_000
    best = dict.fromkeys(("parse", "extract", "clean", "sanitize"), math.inf)

    def timed(name: str, work: Callable[..., object], *args: object) -> None:
        start = time.process_time()
        work(*args)
        best[name] = min(best[name], (time.process_time() - start) * 1000 / megabytes)

    for _ in range(runs):
        timed("parse", parse_floor, big)
        timed("extract", sinacrawl_extract, big)
        container = article_container(parse_page(decode_page(big.body, big.content_type), big.body))
        assert container is not None, big.url
        timed("clean", clean_body, container, big.url)
        timed("sanitize", lambda cleaned: sanitize(_serialise(cleaned)), container)
    return LongRound(**best)


def grown(page: Page, size: int) -> Page:
    """``page`` with its article's paragraphs repeated until the page is at least ``size``
    bytes (UTF-8): a long article, so that all of it is parsed, cleaned and rendered.
    """
    tree = lxml.html.document_fromstring(page.body)
    container = article_container(tree)
    assert container is not None, page.url
    paragraphs = [deepcopy(p) for p in container.iter("p")]
    step = sum(len(lxml.html.tostring(p, encoding="utf-8")) for p in paragraphs)
    for _ in range(max(0, size - len(page.body)) // step + 1):
        container.extend(deepcopy(p) for p in paragraphs)
    body = lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
    return Page(page.url, page.file, body, "text/html; charset=utf-8", page.expected)


# --- accuracy --------------------------------------------------------------------------------


def body_text(markup: str) -> str:
    """Text as expected.jsonl compares it: tags removed, entities decoded, no white space."""
    return _WHITE.sub("", html.unescape(_TAG.sub("", markup)))


def accurate(page: Page, output: str) -> bool:
    """Did ``output`` keep every ``must_contain`` text and drop every ``must_not_contain``?"""
    text = body_text(output)
    kept = page.expected["must_contain"]
    gone = page.expected["must_not_contain"]
    assert isinstance(kept, list) and isinstance(gone, list)
    return all(_WHITE.sub("", k) in text for k in kept) and not any(
        _WHITE.sub("", g) in text for g in gone
    )


# --- the crawl -------------------------------------------------------------------------------


def build_replay(folder: Path, corpus: Path, pages: list[Page], articles: int) -> int:
    """Fill ``folder`` with a replay of ``articles`` distinct article URLs cycling over
    ``pages`` (manifest lines into a symbolic link to the corpus's files: no copies) and roll-feed
    pages listing them; return the number of feed pages.
    """
    (folder / "corpus").symlink_to(corpus.resolve(), target_is_directory=True)
    (folder / "feeds").mkdir()
    feed_pages = math.ceil(articles / FEED_PAGE_SIZE)
    lines = ["url\tfile\tstatus\tcontent_type\tlocation"]
    entries = []
    for number in range(articles):
        page = pages[number % len(pages)]
        url = f"https://finance.sina.com.cn/bench/2024-01-01/doc-ibench{number:08d}.shtml"
        file = "corpus/" + page.file.relative_to(corpus.resolve()).as_posix()
        lines.append(f"{url}\t{file}\t\t{page.content_type or ''}\t")
        entries.append({"url": url, "title": page.expected["title"], "ctime": "1640069802"})
    for index in range(feed_pages):
        data = entries[index * FEED_PAGE_SIZE : (index + 1) * FEED_PAGE_SIZE]
        name = f"feeds/page{index + 1}.json"
        (folder / name).write_text(json.dumps({"result": {"data": data}}), encoding="utf-8")
        url = feed_url(FEED_PAGEID, FEED_LID, index + 1, FEED_PAGE_SIZE)
        lines.append(f"{url}\t{name}\t\tapplication/json; charset=utf-8\t")
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return feed_pages


#: Starts the crawl from a fresh, small interpreter and prints its wall time (s), CPU time
#: (s), peak RSS (KB) and exit code. A child's ``ru_maxrss`` counts what its parent held when
#: it was forked, so the crawl must not be forked from this process, which holds trafilatura,
#: GNE and the pages.
_LAUNCHER = """
import os, sys, time
quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, code)
"""


@dataclass(frozen=True, slots=True)
class CrawlRun:
    """One replay crawl: wall and CPU time (s), peak RSS (MB) and posts written."""

    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    written: int


def replay_floor_ms(pages: list[Page], articles: int) -> tuple[float, float]:
    """The parse floor of a replay of ``articles`` articles: lxml's parse of each article
    page in the replay's order (cycling over ``pages``, as :func:`build_replay` does), once;
    wall and CPU ms per page.
    """
    start, cpu = time.perf_counter(), time.process_time()
    for number in range(articles):
        lxml.html.document_fromstring(pages[number % len(pages)].body)
    wall_ms = (time.perf_counter() - start) * 1000 / articles
    return wall_ms, (time.process_time() - cpu) * 1000 / articles


_RESPONSES = re.compile(r"'downloader/response_count': (\d+)")


def crawl(
    corpus: Path, pages: list[Page], articles: int, posts_in: Path | None, null: bool = False
) -> CrawlRun:
    """``scrapy crawl sina_finance`` over a fresh replay of ``articles`` articles, its posts
    written into a fresh folder under ``posts_in`` (the system's temporary folder if None); or,
    if ``null``, the null spider (``bench/null_spider.py``) over the same replay.
    """
    with (
        tempfile.TemporaryDirectory(prefix="sinacrawl-bench-") as temp,
        tempfile.TemporaryDirectory(prefix="sinacrawl-bench-posts-", dir=posts_in) as posts,
    ):
        folder = Path(temp) / "replay"
        folder.mkdir()
        feed_pages = build_replay(folder, corpus, pages, articles)
        log = Path(temp) / "crawl.log"
        settings = {
            "REPLAY_DIR": folder,
            "POSTS_DIR": posts,
            "LOG_FILE": log,
            "LOG_LEVEL": "INFO",
            # Replayed answers come at once: no throttling, and enough requests in flight to
            # keep the core busy (Scrapy's default of 16, for one domain here).
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "TELNETCONSOLE_ENABLED": False,
        }
        command = [sys.executable, "-m", "scrapy"]
        if null:
            command += ["runspider", str(ROOT / "bench" / "null_spider.py")]
        else:
            command += ["crawl", "sina_finance"]
        command += ["-a", f"pages={feed_pages}"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCRAPY_")}
        launcher = [sys.executable, "-c", _LAUNCHER, *command]
        report = subprocess.run(
            launcher, cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        seconds, cpu, rss_kb, code = report.stdout.split()
        text = log.read_text(encoding="utf-8")
        if code != "0" or "Traceback" in text:
            sys.exit(f"the crawl failed (exit {code}):\n{text[-3000:]}")
        written = sum(1 for _ in Path(posts).glob("*.md"))
        responses = _RESPONSES.search(text)
        if responses is None or int(responses.group(1)) < articles + feed_pages:
            sys.exit(f"the crawl did not fetch every page:\n{text[-3000:]}")
        return CrawlRun(float(seconds), float(cpu), int(rss_kb) / 1024, written)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", type=Path, required=True, help="the corpus replay folder")
    parser.add_argument("--articles", type=int, default=2000, help="articles in the crawl")
    parser.add_argument("--repeats", type=int, default=9, help="runs per page (fastest counts)")
    parser.add_argument(
        "--extract-rounds", type=int, default=3, help="interleaved rounds of floor and extraction"
    )
    shm = Path("/dev/shm")
    parser.add_argument(
        "--posts-in",
        type=Path,
        default=shm if shm.is_dir() else None,
        help="folder for the crawl's temporary POSTS_DIR (default /dev/shm if present)",
    )
    parser.add_argument(
        "--disk-posts-in",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="the same on the real disk, fsync kept (*_disk figures; default the temp folder)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the crawl")
    parser.add_argument(
        "--long-rounds", type=int, default=3, help="interleaved rounds over the long articles"
    )
    parser.add_argument(
        "--long-runs", type=int, default=3, help="runs of each long-article cost per round"
    )
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    corpus = args.replay.resolve()
    pages = load_pages(corpus)
    small_articles = max(1, args.articles // 10)

    figures: dict[str, float] = {}
    outputs: dict[str, list[str]] = {"sinacrawl": [sinacrawl_extract(page) for page in pages]}
    sides = [side_by_side(pages, args.repeats) for _ in range(args.extract_rounds)]
    middle = sorted(sides, key=lambda side: side.ratio)[len(sides) // 2]
    figures["parse_floor_ms"] = statistics.median(middle.floor_ms)
    figures["extract_ms"] = statistics.median(middle.extract_ms)
    half = args.repeats // 2 or 1
    figures["trafilatura_ms"], outputs["trafilatura"] = median_ms(pages, trafilatura_extract, half)
    figures["gne_ms"], outputs["gne"] = median_ms(pages, gne_extract, half)
    finance = next(page for page in pages if "/recon-" in page.file.as_posix())
    bigs = {name: grown(finance, size) for name, size in LONG_SIZES.items()}
    long: dict[str, list[LongRound]] = {name: [] for name in bigs}
    for _ in range(args.long_rounds):  # the sizes interleaved, so that load changes hit both
        for name, big in bigs.items():
            long[name].append(long_round(big, args.long_runs))
    del bigs
    for name, rounds_of_size in long.items():
        for cost in ("parse", "extract", "clean", "sanitize"):
            fastest = min(getattr(one, cost) for one in rounds_of_size)
            figures[f"long_{cost}_ms_per_mb_{name}"] = fastest

    locations = {"": args.posts_in, "_disk": args.disk_posts_in}
    rounds: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        rounds.setdefault(name, []).append(value)

    crawls: dict[str, list[CrawlRun]] = {suffix: [] for suffix in locations}
    for _ in range(args.rounds):
        null = crawl(corpus, pages, args.articles, None, null=True)
        null_ms = null.seconds * 1000 / args.articles
        null_cpu_ms = null.cpu_seconds * 1000 / args.articles
        floor_ms, floor_cpu_ms = replay_floor_ms(pages, args.articles)
        note("null_spider_ms_per_page", null_ms)
        note("replay_floor_ms_per_page", floor_ms)
        for suffix, posts_in in locations.items():
            run = crawl(corpus, pages, args.articles, posts_in)
            if run.written != args.articles:
                sys.exit(f"the crawl of {args.articles} articles wrote {run.written} posts")
            crawls[suffix].append(run)
            crawl_ms = run.seconds * 1000 / args.articles
            note(f"crawl_vs_limit{suffix}", crawl_ms / (null_ms + floor_ms))
            crawl_cpu_ms = run.cpu_seconds * 1000 / args.articles
            note(f"crawl_cpu_vs_limit{suffix}", crawl_cpu_ms / (null_cpu_ms + floor_cpu_ms))
            note(f"crawl_vs_null_spider{suffix}", crawl_ms / null_ms)
            note(f"crawl_vs_floor{suffix}", crawl_ms / floor_ms)
    for suffix, runs in crawls.items():
        run = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]  # the median run
        figures[f"crawl_pages_per_s{suffix}"] = args.articles / run.seconds
        figures[f"crawl_ms_per_page{suffix}"] = run.seconds * 1000 / args.articles
        figures[f"crawl_cpu_ms_per_page{suffix}"] = run.cpu_seconds * 1000 / args.articles
        figures[f"peak_rss_mb{suffix}"] = run.peak_rss_mb
    small = crawl(corpus, pages, small_articles, args.posts_in)
    if small.written != small_articles:
        sys.exit(f"the crawl of {small_articles} articles wrote {small.written} posts")
    figures["crawl_pages_per_s_small"] = small_articles / small.seconds
    figures["crawl_ms_per_page_small"] = small.seconds * 1000 / small_articles
    figures["crawl_cpu_ms_per_page_small"] = small.cpu_seconds * 1000 / small_articles
    figures["peak_rss_mb_small"] = small.peak_rss_mb
    for name in ("null_spider_ms_per_page", "replay_floor_ms_per_page"):
        figures[name] = statistics.median(rounds.pop(name))

    extract = figures["extract_ms"]
    ratios = {
        "extract_vs_floor": statistics.median(side.ratio for side in sides),
        "extract_vs_floor_min": min(side.ratio for side in sides),
        "extract_vs_floor_max": max(side.ratio for side in sides),
        "trafilatura_vs_extract": figures["trafilatura_ms"] / extract,
        "gne_vs_extract": figures["gne_ms"] / extract,
        "rss_growth": figures["peak_rss_mb"] / figures["peak_rss_mb_small"],
    }
    per_round: dict[str, list[float]] = {"long_size_growth": []}
    for name, rounds_of_size in long.items():
        for cost in ("clean", "sanitize"):
            values = [getattr(one, cost) / one.parse for one in rounds_of_size]
            per_round[f"long_{cost}_vs_parse_{name}"] = values
    for small_round, big_round in zip(long["1mb"], long["20mb"], strict=True):
        per_round["long_size_growth"].append(big_round.extract / small_round.extract)
    for name, values in per_round.items():
        ratios[name] = statistics.median(values)
        ratios[f"{name}_min"], ratios[f"{name}_max"] = min(values), max(values)
    for name, values in rounds.items():
        ratios[name] = statistics.median(values)
        ratios[f"{name}_min"], ratios[f"{name}_max"] = min(values), max(values)
    for name, value in {**figures, **ratios}.items():
        print(f"{name}={value:.3f}")
    for name, results in outputs.items():
        right = sum(accurate(page, output) for page, output in zip(pages, results, strict=True))
        print(f"accuracy_{name}={right}/{len(pages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
