"""Which body paths a replay manifest may name (SPEC section 5: relative to the folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sinacrawl.replay import ReplayError, load_manifest

HEADER = "url\tfile\tstatus\tcontent_type\tlocation\n"


def _folder(tmp_path: Path, file: str) -> Path:
    folder = tmp_path / "replay"
    folder.mkdir()
    (folder / "manifest.tsv").write_text(HEADER + f"https://a.sina.com.cn/x\t{file}\t\t\t\n")
    return folder


@pytest.mark.parametrize("file", ["../secret.html", "pages/../../secret.html", "/etc/hostname"])
def test_a_path_outside_the_folder_is_refused(tmp_path: Path, file: str) -> None:
    with pytest.raises(ReplayError, match="is outside the folder"):
        load_manifest(_folder(tmp_path, file))


def test_a_symlinked_pages_folder_is_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "corpus" / "pages"
    elsewhere.mkdir(parents=True)
    (elsewhere / "a.html").write_bytes(b"<p>a</p>")
    folder = _folder(tmp_path, "pages/a.html")
    (folder / "pages").symlink_to(elsewhere)
    [entry] = load_manifest(folder)["https://a.sina.com.cn/x"]
    assert entry.file == folder.resolve() / "pages" / "a.html"
    assert entry.file.read_bytes() == b"<p>a</p>"


@pytest.mark.parametrize("status", ["0", "999", "abc", "-1"])
def test_a_status_that_is_not_http_is_refused(tmp_path: Path, status: str) -> None:
    folder = tmp_path / "replay"
    folder.mkdir()
    (folder / "manifest.tsv").write_text(HEADER + f"https://a.sina.com.cn/x\t\t{status}\t\t\n")
    with pytest.raises(ReplayError, match=f"manifest.tsv:2: bad status '{status}'"):
        load_manifest(folder)


def test_a_byte_order_mark_is_not_part_of_the_header(tmp_path: Path) -> None:
    folder = tmp_path / "replay"
    folder.mkdir()
    manifest = "\ufeff" + HEADER + "https://a.sina.com.cn/x\t\t404\t\t\n"
    (folder / "manifest.tsv").write_text(manifest, encoding="utf-8")
    [entry] = load_manifest(folder)["https://a.sina.com.cn/x"]
    assert entry.status == "404"
