"""The post file format (SPEC section 1): the seed's round trip, exact bytes, YAML safety."""

from __future__ import annotations

import pytest
import yaml

from sinacrawl.post import PostFields, PostFormatError, clean_value, parse_post, render_post
from tests.conftest import SEED, require_shared

FIELDS = PostFields(
    title="浙江：更好统筹推进疫情防控和经济社会发展",
    categories=("金融", "新浪财经", "新浪财经－国內"),
    headimg="https://n.sinaimg.cn/finance/a.jpg",
    author="新浪财经",
    date="Tue, 21 Dec 2021 06:56:42 GMT",
    thumbnail="https://n.sinaimg.cn/finance/a.jpg",
)


def test_seed_round_trip_gives_the_same_bytes() -> None:
    raw = require_shared(SEED).read_bytes()
    fields, body = parse_post(raw.decode("utf-8"))
    assert (
        fields.title
        == "浙江：更好统筹推进疫情防控和经济社会发展 巩固向好态势努力为全国大局多作贡献"
    )
    assert fields.categories == ("金融", "新浪财经", "新浪财经－国內")
    assert fields.date == "Tue, 21 Dec 2021 06:56:42 GMT"
    assert fields.comments is False
    assert render_post(fields, body).encode("utf-8") == raw


def test_render_gives_the_skeleton_byte_for_byte() -> None:
    expected = (
        "\n---\n"
        "title: '浙江：更好统筹推进疫情防控和经济社会发展'\n"
        "categories: \n"
        " - 金融\n"
        " - 新浪财经\n"
        " - 新浪财经－国內\n"
        "headimg: 'https://n.sinaimg.cn/finance/a.jpg'\n"
        "author: 新浪财经\n"
        "comments: false\n"
        "date: Tue, 21 Dec 2021 06:56:42 GMT\n"
        "thumbnail: 'https://n.sinaimg.cn/finance/a.jpg'\n"
        "---\n"
        "\n"
        "<div>   \n"
        "<p>正文</p>\n"
        "</div>\n"
        "            "
    )
    assert render_post(FIELDS, "<p>正文</p>") == expected


HOSTILE = [
    "Moody's cuts China's outlook to 'negative'",
    'He said "no"',
    "央行: 降准0.5个百分点",
    "# not a comment",
    "a #b",
    "- leading dash",
    "[1, 2]",
    "*alias",
    "&anchor",
    "@handle",
    "`tick`",
    "---",
    "...",
    "{{ 市场 }} 与 {% 政策 %} 之间",
    "{a: 1}",
    "12306",
    "0.5",
    "1e3",
    "0x1F",
    "yes",
    "No",
    "null",
    "~",
    "!tag",
    "|",
    ">",
    "%TAG",
    "? key",
    "a\\b",
    "A股“3000点”保卫战 & 北向资金<净流入>",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_front_matter_reads_back_exactly(value: str) -> None:
    fields = PostFields(
        title=value,
        categories=(value, "新浪财经", value),
        headimg=value,
        author=value,
        date=FIELDS.date,
        thumbnail=value,
    )
    text = render_post(fields, "<p>x</p>")
    head = text.split("\n---\n")[1]
    loaded = yaml.safe_load(head)
    assert loaded["title"] == value
    assert loaded["author"] == value
    assert loaded["categories"] == [value, "新浪财经", value]
    assert loaded["headimg"] == loaded["thumbnail"] == value
    assert loaded["comments"] is False
    assert parse_post(text) == (fields, "<p>x</p>")


def test_values_stay_on_one_line_however_long() -> None:
    title = "长" * 400 + "\n\t 尾\x00\x1b"
    text = render_post(PostFields(title, (), "", "新浪财经", FIELDS.date, ""), "<p>x</p>")
    assert f"title: '{'长' * 400} 尾'\n" in text
    assert yaml.safe_load(text.split("\n---\n")[1])["title"] == "长" * 400 + " 尾"


def test_clean_value_collapses_and_trims() -> None:
    assert clean_value("  a \u3000 b\r\nc\u2028d  ") == "a b c d"


def test_parse_post_rejects_other_files() -> None:
    with pytest.raises(PostFormatError):
        parse_post("---\ntitle: x\n---\nbody")
