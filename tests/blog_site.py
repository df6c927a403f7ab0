"""The blog of ``site/`` built from crawled posts and served on 127.0.0.1, for
tests/test_blog_browser.py.

The site is copied into a temporary folder (its own ``node_modules`` linked, installed once by
``npm ci`` from ``site/package-lock.json``), the posts are copied into its ``source/_posts``, and
``npm run build`` runs as the README says, in a time zone far from Beijing's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import ROOT
from tests.hexo_site import npm_install

SITE = ROOT / "site"
#: Copied into a test site; the rest of ``site/`` is built output or the posts of a local build.
SITE_FILES = ("_config.yml", "_config.volantis.yml", "package.json", "package-lock.json")
SITE_FOLDERS = ("scripts", "lib", "source/_data", "source/images")


def install() -> None:
    """node and npm present (else skip, or fail under CI); ``npm ci`` in site/ unless done."""
    npm_install(SITE)


def make_site(base: Path, posts: list[Path]) -> Path:
    """A copy of ``site/`` in ``base`` whose ``source/_posts`` holds ``posts`` (``.md`` files)."""
    base.mkdir(parents=True)
    for name in SITE_FILES:
        shutil.copyfile(SITE / name, base / name)
    for name in SITE_FOLDERS:
        shutil.copytree(SITE / name, base / name)
    (base / "node_modules").symlink_to(SITE / "node_modules", target_is_directory=True)
    target = base / "source" / "_posts"
    target.mkdir(parents=True)
    for post in posts:
        shutil.copyfile(post, target / post.name)
    return base


def build(site: Path, timezone: str) -> subprocess.CompletedProcess[str]:
    """``npm run build`` in ``site`` with the machine's zone set to ``timezone`` (``TZ``)."""
    env = dict(os.environ, TZ=timezone, NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        ["npm", "run", "build"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def build_script(
    site: Path, posts: Path, images: Path | None, timezone: str
) -> subprocess.CompletedProcess[str]:
    """``site/build.sh POSTS [IMAGES]`` (the README's way) run in ``site``, a :func:`make_site`
    copy, with the machine's zone set to ``timezone``."""
    shutil.copyfile(SITE / "build.sh", site / "build.sh")
    # The copied lock is as old as the installed one: build.sh must not run npm ci through
    # the node_modules link into site/.
    lock = (SITE / "package-lock.json").stat()
    os.utime(site / "package-lock.json", ns=(lock.st_atime_ns, lock.st_mtime_ns))
    env = dict(os.environ, TZ=timezone, NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        ["sh", str(site / "build.sh"), str(posts), *([str(images)] if images else [])],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""


@contextmanager
def serve(public: Path) -> Iterator[str]:
    """Serve ``public`` on 127.0.0.1 (a free port) while the block runs; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(public)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
