"""What later tables look up in earlier ones, derived from the schemas and the quirk measures.

Tables run in :data:`~ptoffact_build.schema.TABLES` order, each after the tables it refers
to. A table's key index is kept when a later table's foreign key refers to it (or a quirk
measure looks values up in its key); the distinct values of another column are kept when a
later table's quirk measure looks values up in it. Nothing else outlives its table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.schema import TableSchema


@dataclass(frozen=True)
class Lookup:
    """A column of an earlier table that a quirk measure looks values up in.

    It is supplied as a :class:`KeyIndex`: every key the table holds when the column is its
    primary key, else the distinct values of its valid rows; None when the table was
    unreadable.
    """

    table: str
    field: str


@dataclass(frozen=True)
class Needs:
    """What later tables need of one table."""

    keys: bool = False  # the index of every key it holds (foreign key checks, lookups)
    kept_keys: bool = False  # the keys of its rows kept (cascading a quarantine)
    values: tuple[str, ...] = ()  # columns besides the key whose distinct values are looked up


def needs_of(schema: TableSchema, later: Iterable[TableSchema], lookups: Iterable[Lookup]) -> Needs:
    """What the ``later`` tables' foreign keys and quirk ``lookups`` need of ``schema``."""
    referenced = any(
        fk["reference"]["resource"] == schema.name for other in later for fk in other.foreign_keys
    )
    columns = {lookup.field for lookup in lookups if lookup.table == schema.name}
    key = set(schema.primary_key)
    values = tuple(name for name in schema.field_names if name in columns - key)
    return Needs(keys=referenced or bool(columns & key), kept_keys=referenced, values=values)


@dataclass
class References:
    """The indexes the tables read so far share with the tables after them."""

    keys: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> its keys
    kept: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> keys kept
    columns: dict[Lookup, KeyIndex | None] = field(default_factory=dict)  # for quirk measures
