"""The front-matter check of every item (issue 14), at a small cost per item (issue 16).

Spidermon's ``ItemValidationPipeline`` turns the whole item into a dict (``ItemAdapter.asdict``,
which inspects each of its 23 fields, the page bytes and parsed tree included), builds a new
jsonschema validator and slugifies its stat names again for every item: 6.5% of a replay crawl
(py-spy, 1,000 articles), for a schema that reads 13 fields.
"""

from __future__ import annotations

import re
from typing import Any

from itemadapter import ItemAdapter
from jsonschema.validators import validator_for
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.contrib.scrapy.stats import ValidationStatsManager
from spidermon.contrib.validation import JSONSchemaValidator
from spidermon.contrib.validation.jsonschema.formats import format_checker
from spidermon.contrib.validation.jsonschema.tools import get_schema_from

__all__ = ["FieldsSchemaValidator", "FrontMatterValidationPipeline"]

#: How jsonschema names a missing required field (as Spidermon reads it).
_REQUIRED = re.compile("'(.+)' is a required property")


class FieldsSchemaValidator(JSONSchemaValidator):  # type: ignore[misc]
    """Spidermon's JSON-schema validator (same errors, same messages) with its jsonschema
    validator built once, and the names of the fields its ``schema`` (a dict) reads
    (``properties`` and ``required``) in :attr:`fields`.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        names = [*schema.get("properties", {}), *schema.get("required", ())]
        #: The item fields the schema reads, in the schema's order, each once.
        self.fields: tuple[str, ...] = tuple(dict.fromkeys(names))
        self._validator = validator_for(schema)(schema=schema, format_checker=format_checker)

    def _validate(self, data: dict[str, Any], strict: bool = False) -> None:
        for error in self._validator.iter_errors(data):
            path = [str(part) for part in error.absolute_path]
            required = _REQUIRED.search(error.message)
            if required:
                path.append(required.group(1))
            self._add_errors({".".join(path): [error.message]})


class _NamedStats(ValidationStatsManager):  # type: ignore[misc]
    """Spidermon's validation stats with each stat name slugified once, not once an item."""

    def __init__(self, stats: Any) -> None:
        super().__init__(stats)
        self._names: dict[tuple[str, ...], str] = {}

    def _get_stats_name(self, *names: str) -> str:
        name = self._names.get(names)
        if name is None:
            name = self._names[names] = super()._get_stats_name(*names)
        return name


class FrontMatterValidationPipeline(ItemValidationPipeline):  # type: ignore[misc]
    """Spidermon's ``ItemValidationPipeline``, in its place in ``ITEM_PIPELINES``, with its
    settings (``SPIDERMON_ENABLED``, ``SPIDERMON_VALIDATION_SCHEMAS``, ``…_DROP_ITEMS_WITH_ERRORS``,
    ``…_ADD_ERRORS_TO_ITEMS``, ``…_ERRORS_FIELD``) and its stats (``spidermon/validation/items``,
    ``…/items/errors``, ``…/fields/errors/<message>/<field>``, which
    :class:`~sinacrawl.monitors.RunMonitors` reads), that validates a dict of only the fields
    the schemas read (:class:`FieldsSchemaValidator`) instead of the whole item (issue 16:
    the page bytes and the parsed tree are never looked at). ``spidermon/validation/fields``
    counts those fields. A schema is a dict, an object path to one, or a JSON file (Spidermon's
    ``get_schema_from``); raises Scrapy's ``NotConfigured`` for anything else (as Spidermon).
    """

    def __init__(self, validators: dict[str, list[Any]], stats: Any, **kwargs: Any) -> None:
        super().__init__(validators, stats, **kwargs)
        self.stats = _NamedStats(stats)
        fields = [
            name
            for validators in self.validators.values()
            for validator in validators
            for name in validator.fields
        ]
        #: The fields every validated dict holds (the union of the schemas' fields).
        self.fields = tuple(dict.fromkeys(fields))

    @classmethod
    def _load_jsonschema_validator(cls, schema: Any) -> FieldsSchemaValidator:
        if isinstance(schema, str):
            schema = get_schema_from(schema)
        if not isinstance(schema, dict):
            super()._load_jsonschema_validator(schema)  # raises NotConfigured, saying why
        return FieldsSchemaValidator(schema)

    def process_item(self, item: Any) -> Any:
        validators = self.find_validators(item)
        if not validators:
            return item
        adapter = ItemAdapter(item)
        data = {name: adapter[name] for name in self.fields if name in adapter}
        self.stats.add_item()
        self.stats.add_fields(len(data))
        for validator in validators:
            ok, errors = validator.validate(data)
            if not ok:
                self._add_error_stats(errors)
                if self.add_errors_to_items:
                    self._add_errors_to_item(adapter, errors)
                if self.drop_items_with_errors:
                    self._drop_item(item, errors)
        return item
