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
