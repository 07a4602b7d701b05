"""The Table Schemas in ``schema/`` and every target derived from them.

``schema/<table>.json`` is the only hand-written schema. This module loads it and derives the
Arrow schema, the Hugging Face features and the Frictionless descriptors from it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")
"""Every table, in dependency order (a table comes after the tables it refers to)."""

DEFAULT_TABLE = "office_actions"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"


def schema_dir() -> Path:
    """The folder holding the schema files (the repository's, or the installed copy)."""
    repo_copy = Path(__file__).resolve().parent.parent / "schema"
    if (repo_copy / "office_actions.json").is_file():
        return repo_copy
    return Path(str(resources.files("ptoffact_build.schema_files")))


@dataclass(frozen=True)
class Field:
    """One column of a table, as declared in its Table Schema."""

    name: str
    type: str
    description: str
    constraints: dict[str, Any]
    descriptor: dict[str, Any]

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    @property
    def true_values(self) -> list[str]:
        return self.descriptor.get("trueValues", ["true", "True", "TRUE", "1"])

    @property
    def false_values(self) -> list[str]:
        return self.descriptor.get("falseValues", ["false", "False", "FALSE", "0"])


@dataclass(frozen=True)
class TableSchema:
    """A table's schema: its fields, keys and the descriptor they came from."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...]
    missing_values: tuple[str, ...]
    descriptor: dict[str, Any]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def parse_table_schema(name: str, descriptor: dict[str, Any]) -> TableSchema:
    """Build a :class:`TableSchema` from a Table Schema descriptor."""
    fields = tuple(
        Field(
            name=f["name"],
            type=f["type"],
            description=f.get("description", ""),
            constraints=dict(f.get("constraints", {})),
            descriptor=f,
        )
        for f in descriptor["fields"]
    )
    pk = descriptor.get("primaryKey", [])
    return TableSchema(
        name=name,
        title=descriptor.get("title", name),
        description=descriptor.get("description", ""),
        fields=fields,
        primary_key=tuple([pk] if isinstance(pk, str) else pk),
        foreign_keys=tuple(descriptor.get("foreignKeys", [])),
        missing_values=tuple(descriptor.get("missingValues", [""])),
        descriptor=descriptor,
    )


@cache
def load_schema(table: str) -> TableSchema:
    """Load ``schema/<table>.json``."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    path = schema_dir() / f"{table}.json"
    return parse_table_schema(table, json.loads(path.read_text(encoding="utf-8")))


def load_schemas() -> dict[str, TableSchema]:
    """Every table's schema, in :data:`TABLES` order."""
    return {t: load_schema(t) for t in TABLES}


# --- Arrow -----------------------------------------------------------------------------

INT8_RANGE = (-128, 127)


def integer_arrow_type(field: Field) -> pa.DataType:
    """int8 when the constraints bound the field within int8, else int64."""
    c = field.constraints
    bounds = [*c.get("enum", []), c.get("minimum"), c.get("maximum")]
    low, high = INT8_RANGE
    bounded = bool(c.get("enum")) or ("minimum" in c and "maximum" in c)
    if bounded and all(b is None or low <= b <= high for b in bounds):
        return pa.int8()
    return pa.int64()


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow type that stores a field's values."""
    if field.type == "string":
        return pa.string()
    if field.type == "date":
        return pa.date32()
    if field.type == "boolean":
        return pa.bool_()
    if field.type == "integer":
        return integer_arrow_type(field)
    raise ValueError(f"field {field.name!r}: type {field.type!r} has no Arrow mapping")


def to_arrow_field(field: Field) -> pa.Field:
    """An Arrow field carrying the description in its metadata."""
    return pa.field(
        field.name,
        arrow_type(field),
        nullable=not field.required,
        metadata={"description": field.description},
    )


def to_arrow(table: TableSchema) -> pa.Schema:
    """The Arrow schema of a table (field descriptions in the field metadata)."""
    return pa.schema(
        [to_arrow_field(f) for f in table.fields],
        metadata={"description": table.description},
    )


# --- Hugging Face ------------------------------------------------------------------------

HF_DTYPES = {"string": "string", "date": "date32", "boolean": "bool"}


def hf_dtype(field: Field) -> str:
    """The ``datasets`` Value dtype of a field."""
    if field.type == "integer":
        return str(integer_arrow_type(field))
    return HF_DTYPES[field.type]


def to_features_yaml(table: TableSchema) -> list[dict[str, str]]:
    """The ``dataset_info.features`` list for the dataset card's YAML."""
    return [{"name": f.name, "dtype": hf_dtype(f)} for f in table.fields]


def to_features(table: TableSchema):
    """The ``datasets.Features`` of a table."""
    import datasets

    return datasets.Features({f.name: datasets.Value(hf_dtype(f)) for f in table.fields})


# --- Frictionless ------------------------------------------------------------------------


def to_frictionless(table: TableSchema) -> dict[str, Any]:
    """The Table Schema descriptor to embed in a data package resource."""
    descriptor = copy.deepcopy(table.descriptor)
    descriptor.pop("$schema", None)
    descriptor.pop("title", None)
    descriptor.pop("description", None)
    return descriptor
