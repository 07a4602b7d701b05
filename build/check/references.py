"""What later tables look up in earlier ones, derived from the schemas' foreign keys.

Tables run in :data:`~ptoffact_build.schema.TABLES` order, each after the tables it refers
to. A table's key index is kept when a later table's foreign key refers to it, and, under
the quarantine policy, the keys of its rows kept (a row referring to a quarantined row
follows it). Nothing else outlives its table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.schema import TableSchema


@dataclass(frozen=True)
class Needs:
    """What later tables need of one table."""

    keys: bool = False  # the index of every key it holds (foreign key checks)
    kept_keys: bool = False  # the keys of its rows kept (cascading a quarantine)


def needs_of(schema: TableSchema, later: Iterable[TableSchema]) -> Needs:
    """What the ``later`` tables' foreign keys need of ``schema``."""
    referenced = any(
        fk["reference"]["resource"] == schema.name for other in later for fk in other.foreign_keys
    )
    return Needs(keys=referenced, kept_keys=referenced)


@dataclass
class References:
    """The indexes the tables read so far share with the tables after them."""

    keys: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> its keys
    kept: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> keys kept
