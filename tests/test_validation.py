"""The front-matter check reads only the schema's fields (issue 16) and counts what Spidermon's
``ItemValidationPipeline`` counts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from itemadapter import ItemAdapter
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from slugify import slugify
from spidermon.contrib.scrapy import stats as spidermon_stats
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline

from sinacrawl.items import ArticleItem
from sinacrawl.settings import ITEM_PIPELINES, SPIDERMON_VALIDATION_SCHEMAS
from sinacrawl.validation import FrontMatterValidationPipeline

VALID = ArticleItem(
    url="https://finance.sina.com.cn/china/2021-12-21/doc-ikyamrmz0151960.shtml",
    docid="ikyamrmz0151960",
    page=b"<html><body>" + "正文".encode() * 50_000 + b"</body></html>",
    title="浙江省委常委会召开会议",
    categories=("金融", "新浪财经", "新浪财经－国內"),
    author="新浪财经",
    date="Tue, 21 Dec 2021 06:56:42 GMT",
    headimg="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg",
    thumbnail="https://n.sinaimg.cn/finance/transform/116/w550h366/20211221/a1b2-c3d4.jpg",
    body="<p>　　本报杭州12月20日电</p>",
    filename="ikyamrmz0151960.md",
    tree=object(),
)
#: A title over two lines, a date not in GMT, a headimg over http, no body.
INVALID = replace(
    VALID,
    title="标题\n第二行",
    date="2021-12-21 14:56",
    headimg="http://n.sinaimg.cn/a.jpg",
    body=None,
)


def _stats(cls: type[ItemValidationPipeline], *items: ArticleItem) -> dict[str, Any]:
    crawler = get_crawler(
        settings_dict={
            "SPIDERMON_ENABLED": True,
            "SPIDERMON_VALIDATION_SCHEMAS": SPIDERMON_VALIDATION_SCHEMAS,
        }
    )
    crawler.stats.open_spider()
    pipeline = build_from_crawler(cls, crawler)
    for item in items:
        assert pipeline.process_item(item) is item
    return {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("spidermon/")}


def test_valid_and_invalid_items_are_counted_as_spidermon_counts_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    theirs = _stats(ItemValidationPipeline, VALID, INVALID, VALID)

    def whole_item(self: ItemAdapter) -> dict[str, Any]:
        raise AssertionError("the whole item was turned into a dict")

    monkeypatch.setattr(ItemAdapter, "asdict", whole_item)
    ours = _stats(FrontMatterValidationPipeline, VALID, INVALID, VALID)
    errors = "spidermon/validation/fields/errors"
    assert {k: v for k, v in ours.items() if k.startswith(errors)} == {
        errors: 4,
        f"{errors}/regex_not_matched": 3,
        f"{errors}/regex_not_matched/date": 1,
        f"{errors}/regex_not_matched/headimg": 1,
        f"{errors}/regex_not_matched/title": 1,
        f"{errors}/invalid_string": 1,
        f"{errors}/invalid_string/body": 1,
    }
    assert ours["spidermon/validation/items"] == 3
    assert ours["spidermon/validation/items/errors"] == 1
    # the schema's 13 fields a dict, where Spidermon counts all 23 of the item's
    assert (ours["spidermon/validation/fields"], theirs["spidermon/validation/fields"]) == (39, 69)
    del ours["spidermon/validation/fields"], theirs["spidermon/validation/fields"]
    assert ours == theirs


def test_stat_names_are_made_once_not_once_an_item(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def counted(text: str, **kwargs: Any) -> str:
        made.append(text)
        return slugify(text, **kwargs)

    monkeypatch.setattr(spidermon_stats, "slugify", counted)
    _stats(FrontMatterValidationPipeline, VALID)
    once = len(made)
    made.clear()
    _stats(FrontMatterValidationPipeline, *[VALID] * 50)
    assert len(made) == once


def test_it_takes_spidermons_place() -> None:
    assert "spidermon.contrib.scrapy.pipelines.ItemValidationPipeline" not in ITEM_PIPELINES
    assert ITEM_PIPELINES["sinacrawl.validation.FrontMatterValidationPipeline"] == 800
