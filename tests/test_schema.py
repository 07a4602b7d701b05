"""Every table and field of the hand-written schemas, and every target derived from them."""

from __future__ import annotations

import json

import datasets
import pyarrow as pa
import pytest

from ptoffact_build.describe.dictionary import data_dictionary
from ptoffact_build.devtools.generate import repo_root
from ptoffact_build.schema import (
    TABLES,
    arrow_type,
    hf_dtype,
    load_schema,
    load_schemas,
    to_arrow,
    to_features,
    to_frictionless,
)

FIELDS = [(t, f.name) for t in TABLES for f in load_schema(t).fields]
EXPECTED_COLUMNS = {"office_actions": 23, "rejections": 9, "citations": 9}
TEXT_COLUMNS = {"app_id", "ifw_number", "art_unit", "uspc_class", "uspc_subclass", "parsed"}


@pytest.mark.parametrize("table", TABLES)
def test_table_shape_and_keys(table: str) -> None:
    schema = load_schema(table)
    assert len(schema.fields) == EXPECTED_COLUMNS[table]
    assert len(schema.description) > 20 and schema.title
    assert len(set(schema.field_names)) == len(schema.field_names)
    for name in schema.primary_key:
        assert schema.field(name).required
    for fk in schema.foreign_keys:
        target = load_schema(fk["reference"]["resource"])
        assert TABLES.index(target.name) < TABLES.index(table)
        for here, there in zip(fk["fields"], fk["reference"]["fields"], strict=True):
            assert schema.field(here).required
            assert there in target.primary_key
            assert schema.field(here).type == target.field(there).type


def test_declared_keys() -> None:
    assert load_schema("office_actions").primary_key == ("ifw_number",)
    (fk,) = load_schema("rejections").foreign_keys
    assert fk == {
        "fields": ["ifw_number"],
        "reference": {"resource": "office_actions", "fields": ["ifw_number"]},
    }
    assert not load_schema("citations").primary_key
    assert all(f.required for f in load_schema("office_actions").fields)


@pytest.mark.parametrize("table, name", FIELDS)
def test_every_field_is_described_and_converts(table: str, name: str) -> None:
    schema = load_schema(table)
    field = schema.field(name)
    assert len(field.description) >= 20, "each field needs a real description"
    assert field.type in {"string", "integer", "boolean", "date"}
    assert isinstance(arrow_type(field), pa.DataType)
    assert to_arrow(schema).field(name).metadata[b"description"].decode() == field.description
    assert to_features(schema)[name].dtype == hf_dtype(field)
    assert name in data_dictionary()
    if name in TEXT_COLUMNS:
        assert field.type == "string"
    if field.type == "boolean":
        assert (field.true_values, field.false_values) == (["1"], ["0"])


@pytest.mark.parametrize("table", TABLES)
def test_arrow_and_features_agree(table: str) -> None:
    schema = load_schema(table)
    features = datasets.Features.from_arrow_schema(to_arrow(schema))
    assert features == to_features(schema)
    assert to_frictionless(schema)["fields"] == schema.descriptor["fields"]


def test_root_datapackage_matches_schemas() -> None:
    package = json.loads((repo_root() / "datapackage.json").read_text())
    schemas = load_schemas()
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    for resource in package["resources"]:
        assert resource["schema"] == to_frictionless(schemas[resource["name"]])
