"""sinacrawl replaces only the posts it wrote and that nobody changed since (issue 13 item 12):
a hand-written post, an edited post, a post of an older sinacrawl that was not in its format;
under ``POSTS_REFRESH``, ``-a urls=`` and Sina's edits alike. ``SINACRAWL_OVERWRITE_FOREIGN``
forces the replacement."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sinacrawl.post import parse_post
from sinacrawl.storage import WriteOutcome
from sinacrawl.written import WrittenPosts, is_sinacrawl_post
from tests.conftest import REPLAY, run_crawl
from tests.crawl_log import CrawlLog
from tests.test_storage import NAME, URL, _item, _pipeline, _post

HAND_WRITTEN = "---\ntitle: 我的旅行\ndate: 2024-05-01\n---\n\n杭州三日游。\n".encode()
KEPT = (
    f"post {NAME} kept: sinacrawl did not write it, or it was edited since "
    f"(SINACRAWL_OVERWRITE_FOREIGN replaces it): {URL}"
)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_a_hand_written_post_is_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / NAME).write_bytes(HAND_WRITTEN)
    pipeline = _pipeline(tmp_path)
    item = _item()
    assert pipeline.process_item(item) is item  # not dropped: it goes on (Redis: done)
    assert (tmp_path / NAME).read_bytes() == HAND_WRITTEN
    assert _warnings(caplog) == [KEPT]
    assert pipeline.stats.get_value("sinacrawl/post/kept_foreign") == 1
    assert pipeline.stats.get_value("sinacrawl/post/replaced") is None

    forced = _pipeline(tmp_path, SINACRAWL_OVERWRITE_FOREIGN="1")
    forced.process_item(_item())
    assert (tmp_path / NAME).read_bytes() == _post(_item())
    assert forced.stats.get_value("sinacrawl/post/replaced") == 1
    # from now on it is sinacrawl's: Sina's next edit replaces it without the setting
    _pipeline(tmp_path).process_item(_item("新标题"))
    assert (tmp_path / NAME).read_bytes() == _post(_item("新标题"))


def test_sinas_edit_replaces_an_unchanged_post_but_not_an_edited_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = _pipeline(tmp_path)
    pipeline.process_item(_item())
    pipeline.process_item(_item("第二版"))  # Sina edited the article: replaced
    assert (tmp_path / NAME).read_bytes() == _post(_item("第二版"))
    edited = _post(_item("第二版")).replace("会议强调".encode(), "会议强调（博主注）".encode())
    (tmp_path / NAME).write_bytes(edited)  # the blog's owner edits the post
    pipeline.process_item(_item("第三版"))
    pipeline.process_item(_item("第二版"))
    assert (tmp_path / NAME).read_bytes() == edited
    assert _warnings(caplog) == [KEPT, KEPT]
    stats = pipeline.stats.get_stats()
    assert {k: v for k, v in stats.items() if k.startswith("sinacrawl/post/")} == {
        "sinacrawl/post/written": 1,
        "sinacrawl/post/replaced": 1,
        "sinacrawl/post/kept_foreign": 2,
    }


def test_posts_of_an_older_sinacrawl_are_adopted_by_their_format(tmp_path: Path) -> None:
    """Migration: a folder without ``.sinacrawl`` (an older sinacrawl wrote it). Posts in
    sinacrawl's exact format are adopted; any other ``.md`` stays the owner's."""
    old = _post(_item("旧版标题"))
    (tmp_path / NAME).write_bytes(old)
    # the owner added a front-matter key: still the skeleton, no longer sinacrawl's bytes
    tagged = old.replace(b"\ncomments: false\n", "\ncomments: false\ntags: [旅行]\n".encode())
    (tmp_path / "kyamrmz0000001.md").write_bytes(tagged)
    (tmp_path / "my-trip.md").write_bytes(HAND_WRITTEN)
    assert is_sinacrawl_post(old) and not is_sinacrawl_post(tagged)
    tagged_fields = parse_post(tagged.decode())[0]
    assert tagged_fields.tags == ("旅行",)
    assert replace(tagged_fields, tags=()) == parse_post(old.decode())[0]
    written = WrittenPosts(tmp_path)
    assert written.write(NAME, _post(_item())) is WriteOutcome.REPLACED
    assert written.adopted == 1
    assert written.write("kyamrmz0000001.md", _post(_item())) is WriteOutcome.KEPT_FOREIGN
    assert written.write("my-trip.md", _post(_item())) is WriteOutcome.KEPT_FOREIGN
    assert (tmp_path / "my-trip.md").read_bytes() == HAND_WRITTEN
    assert WrittenPosts(tmp_path).write(NAME, old) is WriteOutcome.REPLACED  # no second adoption


def test_two_writers_share_the_state_and_a_torn_line_is_skipped(tmp_path: Path) -> None:
    first, second = WrittenPosts(tmp_path), WrittenPosts(tmp_path)
    assert first.write("a.md", b"a1") is WriteOutcome.WRITTEN
    assert second.write("a.md", b"a2") is WriteOutcome.REPLACED  # second read first's line
    log = tmp_path / ".sinacrawl" / "written.jsonl"
    with log.open("ab") as handle:
        handle.write(b'{"name": "b.md", "sha')  # a writer killed mid-line
    assert first.write("a.md", b"a3") is WriteOutcome.REPLACED
    assert first.write("c.md", b"c1") is WriteOutcome.WRITTEN
    assert second.write("c.md", b"c2") is WriteOutcome.REPLACED
    lines = log.read_bytes().splitlines()
    assert lines[2] == b'{"name": "b.md", "sha'
    assert [json.loads(line)["name"] for i, line in enumerate(lines) if i != 2] == [
        "a.md", "a.md", "a.md", "c.md", "c.md",
    ]  # fmt: skip
    assert second.bad_lines == 1


def test_given_urls_keep_a_hand_written_post(tmp_path: Path) -> None:
    """The crawl, as a user runs it: ``-a urls=`` over a post the blog's owner wrote, and an
    article that fails. Keeping the post is not a failure: the crawl still ends ``finished``."""
    (tmp_path / NAME).write_bytes(HAND_WRITTEN)
    missing = "https://finance.sina.com.cn/china/2021-12-22/doc-imissing0000001.shtml"
    urls = f"urls={URL},{missing}"
    args = ("-a", urls, "-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={tmp_path}")
    result = run_crawl(*args)
    assert result.returncode == 0, result.stderr[-3000:]
    log = CrawlLog(result.stderr)
    assert sorted(log.lines("WARNING")) == [
        ("WARNING", f"article failed: IgnoreRequest: replay miss: not in {REPLAY}: {missing}"),
        ("WARNING", KEPT),
    ]
    assert log.stats()["sinacrawl/post/kept_foreign"] == 1
    summary = log.summary()
    assert (summary["written"], summary["replaced"], summary["reason"]) == ("0", "0", "finished")
    assert (tmp_path / NAME).read_bytes() == HAND_WRITTEN

    forced = run_crawl(*args, "-s", "SINACRAWL_OVERWRITE_FOREIGN=True")
    assert CrawlLog(forced.stderr).summary()["replaced"] == "1"
    assert is_sinacrawl_post((tmp_path / NAME).read_bytes())
