"""Opt-in front-matter keys (issue 15): ``updated``, ``tags``, ``description``; off by default."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
import yaml
from scrapy import Request

from sinacrawl.feed import parse_feed
from sinacrawl.optin import make_figures, page_keywords, summary
from sinacrawl.post import PostFields, parse_post, render_post
from sinacrawl.queuecodec import dumps, loads
from tests.conftest import REPLAY, run_crawl

FIELDS = PostFields(
    title="央行降准",
    categories=("金融",),
    headimg="",
    author="新浪财经",
    date="Tue, 21 Dec 2021 06:56:42 GMT",
    thumbnail="",
)
OFF_HEAD = (
    "\n---\ntitle: '央行降准'\ncategories: \n - 金融\nheadimg: ''\nauthor: 新浪财经\n"
    "comments: false\ndate: Tue, 21 Dec 2021 06:56:42 GMT\nthumbnail: ''\n"
)
SKELETON_TAIL = "---\n\n<div>   \n<p>x</p>\n</div>\n            "


def test_all_keys_off_is_specs_skeleton() -> None:
    assert render_post(FIELDS, "<p>x</p>") == OFF_HEAD + SKELETON_TAIL


def test_opt_in_keys_follow_thumbnail_in_fixed_order_and_read_back_equal() -> None:
    tags = ("央行", "yes", "- x", "2021", "a: b", "Moody's", "#外汇")
    fields = PostFields(
        **{
            **{k: getattr(FIELDS, k) for k in ("title", "categories", "headimg", "author")},
            "date": FIELDS.date,
            "thumbnail": "",
            "updated": "Wed, 22 Dec 2021 01:00:00 GMT",
            "tags": tags,
            "description": "央行：降准 0.5 个百分点 #1",
        }
    )
    text = render_post(fields, "<p>x</p>")
    assert text == (
        OFF_HEAD + "updated: Wed, 22 Dec 2021 01:00:00 GMT\n"
        "tags: \n - 央行\n - 'yes'\n - '- x'\n - '2021'\n - 'a: b'\n - Moody's\n - '#外汇'\n"
        "description: '央行：降准 0.5 个百分点 #1'\n" + SKELETON_TAIL
    )
    meta = yaml.safe_load(text.split("\n---\n")[1])
    assert meta["updated"] == "Wed, 22 Dec 2021 01:00:00 GMT"
    assert meta["tags"] == list(tags)
    assert meta["description"] == "央行：降准 0.5 个百分点 #1"
    assert parse_post(text) == (fields, "<p>x</p>")


def test_parse_post_still_requires_specs_keys() -> None:
    text = render_post(FIELDS, "<p>x</p>").replace("thumbnail: ''\n", "")
    with pytest.raises(ValueError, match="thumbnail"):
        parse_post(text)


def test_page_keywords_from_meta_and_wbkey_deduplicated_in_order() -> None:
    doc = lxml.html.fromstring(
        '<html><head><meta name="Keywords" content=" 央行, 降准，,央行 "></head><body>'
        '<div class="keywords" id="keywords" data-wbkey="降准、LPR,稳增长">'
        "<span>文章关键词：</span><a>降准</a></div></body></html>"
    )
    assert page_keywords(doc) == ("央行", "降准", "LPR", "稳增长")
    assert page_keywords(lxml.html.fromstring("<html><body><p>x</p></body></html>")) == ()


@pytest.mark.parametrize(
    ("intro", "body", "expected"),
    [
        ("　　人民币中间价\n创新低。", "<p>正文。</p>", "人民币中间价 创新低。"),
        (
            "",
            "<p>　　原标题：央行降准</p><p>来源：新华社</p><p>（作者｜张三）</p>"
            "<p><strong>小标题</strong></p><p>　　央行宣布降准。市场平稳。</p>",
            "央行宣布降准。市场平稳。",
        ),
        ("", "<p>" + "长" * 60 + "。" + "句" * 80 + "。</p>", "长" * 60 + "。"),
        ("", "<p>" + "无" * 130 + "</p>", "无" * 119 + "…"),
        ("", "<p>　　</p><p>责任编辑：王蒙</p>", None),
    ],
)
def test_summary(intro: str, body: str, expected: str | None) -> None:
    assert summary(intro, body) == expected


def test_feed_intro_travels_through_the_redis_queue() -> None:
    (entry,) = parse_feed(
        '{"result": {"status": {"code": 0}, "data": [{"url": "https://finance.sina.com.cn/'
        'a/doc-ia.shtml", "title": "t", "ctime": "1", "mtime": "2", "intro": "摘要"}]}}'
    )
    assert entry.intro == "摘要"
    queued = dumps(Request(entry.url, cb_kwargs={"entry": entry}).to_dict())
    assert loads(queued)["cb_kwargs"]["entry"] == entry
    older = queued.replace(',"intro":"摘要"'.encode(), b"")  # queued before issue 15
    assert older != queued
    assert loads(older)["cb_kwargs"]["entry"].intro == ""


@pytest.fixture(scope="module")
def replays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """The bundled replay crawled with all settings off and with each one on alone."""
    runs: dict[str, dict[str, str]] = {}
    settings = (
        "",
        "SINACRAWL_UPDATED",
        "SINACRAWL_TAGS",
        "SINACRAWL_DESCRIPTION",
        "SINACRAWL_FIGURES",
    )
    for setting in settings:
        out = tmp_path_factory.mktemp("optin")
        extra = ("-s", f"{setting}=1") if setting else ()
        result = run_crawl("-s", f"REPLAY_DIR={REPLAY}", "-s", f"POSTS_DIR={out}", *extra)
        assert result.returncode == 0, result.stderr[-3000:]
        runs[setting] = {p.name: p.read_text("utf-8") for p in sorted(Path(out).glob("*.md"))}
    return runs


EXPECTED = {
    "SINACRAWL_UPDATED": {
        "fxsktkp0000001.md": "updated: Tue, 24 May 2016 17:30:00 GMT\n",
        "kknscsi0000002.md": "updated: Thu, 25 Aug 2005 21:39:00 GMT\n",
        "kknscsi0000003.md": "updated: Thu, 25 Aug 2005 21:39:00 GMT\n",
        "kyamrmz0151960.md": "updated: Tue, 21 Dec 2021 06:56:42 GMT\n",
    },
    "SINACRAWL_TAGS": {
        "fxsktkp0000001.md": "",
        "kknscsi0000002.md": "",
        "kknscsi0000003.md": "",
        "kyamrmz0151960.md": "tags: \n - 浙江\n - 疫情防控\n - 经济社会发展\n - 稳增长\n",
    },
    "SINACRAWL_DESCRIPTION": {
        "fxsktkp0000001.md": "description: '人民币兑美元中间价报6.5693，创逾五年新低。'\n",
        "kknscsi0000002.md": "description: '截至8月25日，沪深两市上市公司半年报已披露完毕。'\n",
        "kknscsi0000003.md": "description: '截至8月25日，沪深两市上市公司半年报已披露完毕。'\n",
        "kyamrmz0151960.md": "description: '本报杭州12月20日电（记者 刘乐平）20日下午，"
        "省委常委会召开会议，深入学习贯彻中央经济工作会议精神。'\n",
    },
}


@pytest.mark.parametrize("setting", sorted(EXPECTED))
def test_one_setting_on_changes_only_its_key(
    replays: dict[str, dict[str, str]], setting: str
) -> None:
    off, on = replays[""], replays[setting]
    assert sorted(on) == sorted(off) == sorted(EXPECTED[setting])
    for name, text in on.items():
        added = EXPECTED[setting][name]
        thumbnail_end = off[name].index("\n", off[name].index("\nthumbnail: ") + 1) + 1
        assert text == off[name][:thumbnail_end] + added + off[name][thumbnail_end:], name
        key = setting.removeprefix("SINACRAWL_").lower()
        meta = yaml.safe_load(text.split("\n---\n")[1])
        assert meta.get(key) == (yaml.safe_load(added)[key] if added else None), name


def test_figures_setting_changes_only_the_captioned_image(
    replays: dict[str, dict[str, str]],
) -> None:
    off, on = replays[""], replays["SINACRAWL_FIGURES"]
    image = (
        '<img src="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg"'
        ' alt="会议现场" referrerpolicy="no-referrer">'
    )
    name = "kyamrmz0151960.md"
    assert f"<div>{image}<span>会议现场</span></div>" in off[name]
    assert on == {
        **off,
        name: off[name].replace(
            f"<div>{image}<span>会议现场</span></div>",
            f"<div><figure>{image}<figcaption>会议现场</figcaption></figure></div>",
        ),
    }


def test_figures_need_the_caption_right_after_the_image() -> None:
    div = lxml.html.fragment_fromstring(
        '<div><img src="a.jpg">文字<span class="img_descr">说明</span>'
        '<img src="b.jpg"><span class="img_descr"> </span>'
        '<img src="c.jpg"><span class="other">说明</span></div>'
    )
    before = lxml.html.tostring(div)
    assert make_figures(div) == 0
    assert lxml.html.tostring(div) == before
