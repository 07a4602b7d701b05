"""The Table Schemas in ``schema/`` and every target derived from them.

``schema/<table>.json`` is the only hand-written schema. This module loads it into a
:class:`TableSchema`, which derives every target from it: ``.arrow`` (the Arrow schema),
``.features()`` (the Hugging Face features) and ``.frictionless()`` (the descriptor a data
package embeds). Each :class:`Field` derives its own Arrow type and ``datasets`` dtype.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")
"""Every table, in dependency order (a table comes after the tables it refers to)."""

DEFAULT_TABLE = "office_actions"


def schema_dir() -> Path:
    """The folder holding the schema files (the repository's, or the installed copy)."""
    repo_copy = Path(__file__).resolve().parent.parent / "schema"
    if (repo_copy / "office_actions.json").is_file():
        return repo_copy
    return Path(str(resources.files("ptoffact_build.schema_files")))


INT8_RANGE = (-128, 127)
HF_DTYPES = {"string": "string", "date": "date32", "boolean": "bool"}


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

    @cached_property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type that stores the values (int8 where the constraints bound an
        integer within int8)."""
        if self.type == "string":
            return pa.string()
        if self.type == "date":
            return pa.date32()
        if self.type == "boolean":
            return pa.bool_()
        if self.type == "integer":
            return pa.int8() if self.within_int8 else pa.int64()
        raise ValueError(f"field {self.name!r}: type {self.type!r} has no Arrow mapping")

    @property
    def within_int8(self) -> bool:
        """Whether the constraints (an enum, or both bounds) keep the values within int8."""
        c = self.constraints
        bounds = [*c.get("enum", []), c.get("minimum"), c.get("maximum")]
        low, high = INT8_RANGE
        bounded = bool(c.get("enum")) or ("minimum" in c and "maximum" in c)
        return bounded and all(b is None or low <= b <= high for b in bounds)

    @property
    def arrow(self) -> pa.Field:
        """The Arrow field, carrying the description in its metadata."""
        return pa.field(
            self.name,
            self.arrow_type,
            nullable=not self.required,
            metadata={"description": self.description},
        )

    @property
    def hf_dtype(self) -> str:
        """The ``datasets`` Value dtype."""
        if self.type == "integer":
            return str(self.arrow_type)
        return HF_DTYPES[self.type]


@dataclass(frozen=True)
class TableSchema:
    """A table's schema: its fields, keys and the descriptor they came from."""

    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...]
    descriptor: dict[str, Any]

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @cached_property
    def arrow(self) -> pa.Schema:
        """The Arrow schema (field descriptions in the field metadata)."""
        return pa.schema([f.arrow for f in self.fields], metadata={"description": self.description})

    def features(self):
        """The ``datasets.Features``."""
        import datasets

        return datasets.Features({f.name: datasets.Value(f.hf_dtype) for f in self.fields})

    def features_yaml(self) -> list[dict[str, str]]:
        """The ``dataset_info.features`` list for the dataset card's YAML."""
        return [{"name": f.name, "dtype": f.hf_dtype} for f in self.fields]

    def frictionless(self) -> dict[str, Any]:
        """The Table Schema descriptor to embed in a data package resource."""
        descriptor = copy.deepcopy(self.descriptor)
        for key in ("$schema", "title", "description"):
            descriptor.pop(key, None)
        return descriptor


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
