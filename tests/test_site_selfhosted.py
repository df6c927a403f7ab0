"""The blog's guards on its self-hosted theme files (site/scripts/self-hosted.js, issue 15
item 1: no request leaves the blog's origin): a version the theme asks for that
site/package.json does not pin fails the build; a page that links a ``/npm/`` file the site does
not serve is a WARN of the build. The browser tests (tests/test_blog_browser.py) prove the
working case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.blog_site import build, install, make_site
from tests.conftest import FIXTURES

POST = FIXTURES / "site" / "selfhost0000001.md"
FONT = "volantis-npm/@fontsource/varela-round@5.3.0/files/varela-round-latin-400-normal.woff2"


def _build_with_font_url(base: Path, url: str) -> tuple[int, str]:
    """Build a copy of ``site/`` whose logo font URL is ``url``; exit status and output."""
    install()
    site = make_site(base / "site", [POST])
    config = site / "_config.volantis.yml"
    text = config.read_text(encoding="utf-8")
    assert text.count(f"url: {FONT}") == 1
    config.write_text(text.replace(f"url: {FONT}", f"url: {url}"), encoding="utf-8")
    result = build(site, "UTC")
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("url", "failed", "message"),
    [
        (
            FONT.replace("@5.3.0", "@5.2.0"),
            True,
            "self-hosted: the theme asks for @fontsource/varela-round@5.2.0, "
            "site/package.json installs 5.3.0: pin 5.2.0",
        ),
        (
            "volantis-npm/left-pad@1.3.0/index.woff2",
            False,
            "WARN  self-hosted: a page links /npm/left-pad@1.3.0/index.woff2, which the site "
            "does not serve (add its package to site/package.json)",
        ),
    ],
)
def test_a_file_the_site_cannot_serve_is_reported(
    tmp_path: Path, url: str, failed: bool, message: str
) -> None:
    status, output = _build_with_font_url(tmp_path, url)
    assert (status != 0, message in output) == (failed, True), output[-3000:]
