"""Certificates are verified for https (issue 13 item 8): a server with a certificate no CA
signed, a man in the middle, gets no post published; one signed by a trusted CA (a test CA
given through OpenSSL's ``SSL_CERT_FILE``, as the system's CAs vouch for Sina) is read;
``DOWNLOAD_VERIFY_CERTIFICATES=False`` turns the check off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run_crawl
from tests.crawl_log import CrawlLog, post_names
from tests.local_server import ca_signed_certificate, self_signed_certificate, serve

PATH = "/china/2024-03-01/doc-inbadtls0001.shtml"
PAGE = (FIXTURES / "requests" / "escapes" / "pages" / "article.html").read_bytes()


def _crawl(tmp_path: Path, port: int, *settings: str) -> tuple[CrawlLog, Path, int]:
    posts = tmp_path / "posts"
    result = run_crawl(
        "-a", f"urls=https://localhost:{port}{PATH}",
        # the test server is not a Sina host: widen the guard to it, as a setting may
        "-s", "SINACRAWL_EXTRA_DOMAINS=localhost",
        # Scrapy's robots.txt middleware logs its own download errors with a traceback
        "-s", "ROBOTSTXT_OBEY=False",
        "-s", f"POSTS_DIR={posts}",
        *settings,
        timeout=120,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return CrawlLog(result.stderr), posts, result.returncode


def test_a_self_signed_certificate_is_refused(tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path)
    answers = {PATH: ({"Content-Type": "text/html; charset=utf-8"}, PAGE)}
    with serve(answers, tls) as port:
        log, posts, status = _crawl(tmp_path, port)
    url = f"https://localhost:{port}{PATH}"
    assert status == 1  # nothing was published: all_failed
    assert post_names(posts) == []
    warnings = [m for level, m in log.outcomes() if level == "WARNING"]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("article failed: TLSCertificateError: ")
    assert "certificate verify failed" in warnings[0]
    assert warnings[0].endswith(f": {url}")
    stats = log.stats()
    assert {k: v for k, v in stats.items() if k.startswith("sinacrawl/")} == {
        "sinacrawl/request_failed": 1,
        "sinacrawl/request_failed/TLSCertificateError": 1,
    }


def test_verification_can_be_turned_off(tmp_path: Path) -> None:
    tls = self_signed_certificate(tmp_path)
    answers = {PATH: ({"Content-Type": "text/html; charset=utf-8"}, PAGE)}
    with serve(answers, tls) as port:
        log, posts, status = _crawl(tmp_path, port, "-s", "DOWNLOAD_VERIFY_CERTIFICATES=False")
    assert status == 0
    assert post_names(posts) == ["nbadtls0001.md"]
    assert log.stats()["sinacrawl/post/written"] == 1


def test_a_certificate_from_a_trusted_ca_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key, ca = ca_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    answers = {PATH: ({"Content-Type": "text/html; charset=utf-8"}, PAGE)}
    with serve(answers, (cert, key)) as port:
        log, posts, status = _crawl(tmp_path, port)
    assert status == 0
    assert post_names(posts) == ["nbadtls0001.md"]
    assert log.stats()["sinacrawl/post/written"] == 1
