"""Time and peak memory of the blog's build at scale (issue 10, fault 8).

Crawls ``../shared/corpus`` (replay, offline) into a temp folder, or takes ``--posts`` (a folder
of posts a crawl wrote), copies those posts under new names (``<name>-<n>.md``) until there are
``--count`` of them (default 3,000), puts them into a temp copy of ``site/`` and runs
``npm run build`` there once, as README's "Publish the blog" does. Prints ``name=value`` lines:
posts, generated files, wall seconds, CPU seconds (user + system of every process of the build)
and the peak resident memory of its largest process in MB.

    python bench/site_build.py [--count 3000] [--posts DIR]

Needs node and npm, and ``npm ci`` done in ``site/`` (README, Publish the blog).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SITE = ROOT / "site"
SITE_ITEMS = (
    "_config.yml", "_config.volantis.yml", "package.json", "package-lock.json", "scripts", "lib",
    "source/_data", "source/images",
)  # fmt: skip


def crawl_corpus(out: Path) -> Path:
    """The posts of a replay crawl of ``../shared/corpus`` (3 feed pages) in ``out``."""
    subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sina_finance", "-a", "pages=3",
         "-s", f"REPLAY_DIR={CORPUS}", "-s", f"POSTS_DIR={out}", "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, check=True,
    )  # fmt: skip
    return out


def make_site(base: Path, posts: list[Path], count: int) -> Path:
    """A copy of ``site/`` whose ``source/_posts`` holds ``count`` copies of ``posts``, renamed."""
    for item in SITE_ITEMS:
        source, target = SITE / item, base / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
    (base / "node_modules").symlink_to(SITE / "node_modules", target_is_directory=True)
    folder = base / "source" / "_posts"
    folder.mkdir(parents=True)
    for n in range(count):
        post = posts[n % len(posts)]
        shutil.copyfile(post, folder / f"{post.stem}-{n // len(posts)}.md")
    return base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="posts to build (default 3000)")
    parser.add_argument("--posts", type=Path, help="a folder of posts (default: crawl the corpus)")
    args = parser.parse_args()
    if not (SITE / "node_modules").is_dir():
        sys.exit("site/node_modules is missing: run `npm ci` in site/ first")
    with tempfile.TemporaryDirectory(prefix="site-build-") as temp:
        posts_dir = args.posts or crawl_corpus(Path(temp) / "posts")
        posts = sorted(p for p in posts_dir.glob("*.md") if not p.name.startswith("."))
        if not posts:
            sys.exit(f"no posts in {posts_dir}")
        site = make_site(Path(temp) / "site", posts, args.count)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run(
            ["npm", "run", "build"],
            cwd=site,
            env=dict(os.environ, NO_COLOR="1"),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"npm run build failed:\n{(result.stdout + result.stderr)[-3000:]}")
        files = sum(1 for p in (site / "public").rglob("*") if p.is_file())
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"site_build_posts={args.count}")
    print(f"site_build_files={files}")
    print(f"site_build_wall_s={wall:.1f}")
    print(f"site_build_cpu_s={cpu:.1f}")
    # ru_maxrss is in kilobytes on Linux: the largest process of the build (hexo's node).
    print(f"site_build_peak_rss_mb={after.ru_maxrss / 1024:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
