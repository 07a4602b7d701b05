"""Every table and field of the hand-written schemas, and every target derived from them."""

from __future__ import annotations

import json

import datasets
import pyarrow as pa
import pytest

from ptoffact_build.describe.dictionary import data_dictionary
from ptoffact_build.devtools.generate import repo_root
from ptoffact_build.schema import TABLES, load_schema, load_schemas, parse_table_schema

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


@pytest.mark.parametrize("table", TABLES)
def test_missing_value_is_the_empty_cell(table: str) -> None:
    """The checker takes the empty cell as the one missing value (``empty_cells``)."""
    assert load_schema(table).descriptor["missingValues"] == [""]


@pytest.mark.parametrize("table, name", FIELDS)
def test_every_field_is_described_and_converts(table: str, name: str) -> None:
    schema = load_schema(table)
    field = schema.field(name)
    assert len(field.description) >= 20, "each field needs a real description"
    assert field.type in {"string", "integer", "boolean", "date"}
    assert isinstance(field.arrow_type, pa.DataType)
    assert schema.arrow.field(name) == field.arrow
    assert schema.arrow.field(name).metadata[b"description"].decode() == field.description
    assert schema.features()[name].dtype == field.hf_dtype
    assert name in data_dictionary()
    if name in TEXT_COLUMNS:
        assert field.type == "string"
    if field.type == "boolean":
        assert (field.true_values, field.false_values) == (["1"], ["0"])


@pytest.mark.parametrize("table", TABLES)
def test_arrow_and_features_agree(table: str) -> None:
    schema = load_schema(table)
    features = datasets.Features.from_arrow_schema(schema.arrow)
    assert features == schema.features()
    assert schema.frictionless()["fields"] == schema.descriptor["fields"]


def test_root_datapackage_matches_schemas() -> None:
    package = json.loads((repo_root() / "datapackage.json").read_text())
    schemas = load_schemas()
    assert [r["name"] for r in package["resources"]] == list(TABLES)
    for resource in package["resources"]:
        assert resource["schema"] == schemas[resource["name"]].frictionless()


def test_targets_are_derived_once_and_handed_out_safely() -> None:
    """The Arrow schema is built once per table; mutable targets are fresh copies."""
    schema = load_schema("rejections")
    assert schema.arrow is schema.arrow is load_schema("rejections").arrow
    changed = schema.frictionless()
    changed["fields"][0]["name"] = "changed"
    changed["primaryKey"] = ["changed"]
    assert schema.frictionless()["fields"][0]["name"] == schema.fields[0].name != "changed"
    assert "primaryKey" not in schema.frictionless()
    assert schema.features() is not schema.features()


def test_descriptor_becomes_every_target() -> None:
    required = {"required": True}
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "title": "T",
        "description": "A table",
        "fields": [
            {"name": "k", "type": "string", "description": "key", "constraints": required},
            {"name": "small", "type": "integer", "constraints": {"enum": [-1, 0, 1]}},
            {"name": "bounded", "type": "integer", "constraints": {"minimum": 0, "maximum": 127}},
            {"name": "wide", "type": "integer", "constraints": {"minimum": 0, "maximum": 128}},
            {"name": "open", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "flag", "type": "boolean"},
            {"name": "day", "type": "date"},
        ],
        "primaryKey": "k",
    }
    schema = parse_table_schema("t", descriptor)
    assert schema.arrow == pa.schema(
        [
            pa.field("k", pa.string(), nullable=False),
            pa.field("small", pa.int8()),
            pa.field("bounded", pa.int8()),
            pa.field("wide", pa.int64()),
            pa.field("open", pa.int64()),
            pa.field("flag", pa.bool_()),
            pa.field("day", pa.date32()),
        ]
    )
    assert schema.arrow.metadata == {b"description": b"A table"}
    assert schema.arrow.field("k").metadata == {b"description": b"key"}
    dtypes = ["string", "int8", "int8", "int64", "int64", "bool", "date32"]
    assert schema.features_yaml() == [
        {"name": f.name, "dtype": d} for f, d in zip(schema.fields, dtypes, strict=True)
    ]
    assert schema.features() == datasets.Features(
        {f.name: datasets.Value(d) for f, d in zip(schema.fields, dtypes, strict=True)}
    )
    assert schema.frictionless() == {"fields": descriptor["fields"], "primaryKey": "k"}
    with pytest.raises(ValueError, match="'n': type 'number' has no Arrow mapping"):
        _ = parse_table_schema("t", {"fields": [{"name": "n", "type": "number"}]}).arrow
