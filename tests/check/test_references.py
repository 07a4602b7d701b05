"""What a table keeps for the tables after it follows from their foreign keys alone."""

from __future__ import annotations

from ptoffact_build.check.references import Needs, needs_of
from ptoffact_build.pipeline import needs_of_later_tables
from ptoffact_build.schema import parse_table_schema


def schema(name: str, pk: list[str], fks: list[dict] | None = None):
    fields = [{"name": n, "type": "string"} for n in ("k", "a", "b")]
    return parse_table_schema(name, {"fields": fields, "primaryKey": pk, "foreignKeys": fks or []})


def test_needs_come_from_foreign_keys() -> None:
    fk = {"fields": ["a"], "reference": {"resource": "p", "fields": ["k"]}}
    parent, child, other = schema("p", ["k"]), schema("c", [], [fk]), schema("o", [])
    assert needs_of(parent, [child]) == Needs(keys=True, kept_keys=True)
    assert needs_of(parent, [other]) == Needs()
    assert needs_of(parent, [other, child]) == Needs(keys=True, kept_keys=True)
    assert needs_of(child, []) == Needs()


def test_the_release_keeps_only_the_office_actions_keys() -> None:
    """rejections refer to office_actions; nothing refers to rejections or citations."""
    assert needs_of_later_tables("office_actions") == Needs(keys=True, kept_keys=True)
    assert needs_of_later_tables("rejections") == Needs()
    assert needs_of_later_tables("citations") == Needs()
