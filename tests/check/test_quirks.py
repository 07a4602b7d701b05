"""The quirk measures: exact counts on the seeded sample, worked out here from its CSVs."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.check.quirks import QUIRKS, length_counts, quirk_lookups, value_counts
from ptoffact_build.check.references import Lookup, Needs, needs_of
from ptoffact_build.pipeline import run_tables
from ptoffact_build.read.sources import resolve_sources, sample_dir
from ptoffact_build.schema import TABLES, load_schema, parse_table_schema

Rows = list[dict[str, str]]


def test_value_counts_count_nulls_as_empty() -> None:
    counts = value_counts(pa.array(["103", None, "103", "102", None]))
    assert counts == {"103": 2, "102": 1, "": 2}


def test_length_counts_in_characters_ascii_or_not() -> None:
    ascii_text = pa.array(["7659971", "20110059422", None, "1234567"])
    assert length_counts(ascii_text) == {"7": 2, "11": 1}
    accented = pa.array(["Müller", "abc", None])
    assert length_counts(accented) == {"6": 1, "3": 1}
    assert length_counts(ascii_text.slice(1, 3)) == {"11": 1, "7": 1}


# --- the expected figures, from the CSV text alone --------------------------------------


def sample_tables() -> dict[str, Rows]:
    """The sample's rows, as any CSV reader sees them."""
    tables = {}
    for table in TABLES:
        with zipfile.ZipFile(sample_dir() / f"{table}.csv.zip") as archive:
            text = archive.read(f"{table}.csv").decode("utf-8")
        tables[table] = list(csv.DictReader(io.StringIO(text, newline="")))
    return tables


def rows_in_groups(keys: list[tuple]) -> int:
    """Rows whose key occurs more than once."""
    return sum(n for n in Counter(keys).values() if n > 1)


def lengths(values: list[str]) -> dict[str, int]:
    return {str(n): c for n, c in Counter(len(v) for v in values if v).items()}


def office_action_figures(oa: Rows) -> dict:
    dates = [r["mail_dt"] for r in oa]
    return {
        "mail_dt_first": min(dates),
        "mail_dt_last": max(dates),
        "mail_dt_before_2008": sum(d < "2008-01-01" for d in dates),
        "same_day_duplicate_rows": rows_in_groups([(r["app_id"], r["mail_dt"]) for r in oa]),
        "art_unit_non_numeric": sum(not re.fullmatch("[0-9]+", r["art_unit"]) for r in oa),
        "art_unit_lengths": lengths([r["art_unit"] for r in oa]),
        "uspc_class_lengths": lengths([r["uspc_class"] for r in oa]),
        "document_cd": dict(Counter(r["document_cd"] for r in oa)),
    }


def rejection_figures(rej: Rows) -> dict:
    claims = [r["claim_numbers"] for r in rej]
    return {
        "action_type": dict(Counter(r["action_type"] for r in rej)),
        "action_subtype": dict(Counter(r["action_subtype"] for r in rej)),
        "colliding_triple_rows": rows_in_groups(
            [(r["ifw_number"], r["action_type"], r["action_subtype"]) for r in rej]
        ),
        "claim_numbers_empty": claims.count(""),
        "claim_numbers_not_a_plain_list": sum(
            bool(c) and not re.fullmatch(r"[0-9]+(,[0-9]+)*", c) for c in claims
        ),
    }


def citation_figures(cit: Rows, oa: Rows) -> dict:
    apps, ifws = {r["app_id"] for r in oa}, {r["ifw_number"] for r in oa}
    return {
        "app_id_not_in_office_actions": sum(r["app_id"] not in apps for r in cit),
        "ifw_number_empty": sum(r["ifw_number"] == "" for r in cit),
        "ifw_number_not_in_office_actions": sum(r["ifw_number"] not in ifws | {""} for r in cit),
        "repeated_app_citation_rows": rows_in_groups(
            [(r["app_id"], r["citation_pat_pgpub_id"]) for r in cit]
        ),
        "action_type": dict(Counter(r["action_type"] for r in cit)),
        "parsed_lengths": lengths([r["parsed"] for r in cit]),
    }


def measured(folder_or_sample: str | Path) -> dict[str, dict]:
    result = run_tables(resolve_sources([folder_or_sample]))
    return {t: result.tables[t].quirks for t in TABLES}


def write_csv(path: Path, rows: Rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- exact counts -------------------------------------------------------------------------


def test_sample_quirks_are_counted_exactly() -> None:
    tables = sample_tables()
    oa, rej, cit = tables["office_actions"], tables["rejections"], tables["citations"]
    quirks = measured("sample")
    assert quirks["office_actions"] == office_action_figures(oa)
    assert quirks["rejections"] == rejection_figures(rej)
    assert quirks["citations"] == citation_figures(cit, oa)
    # the seeded quirks are all there to be counted
    assert quirks["office_actions"]["same_day_duplicate_rows"] > 0
    assert quirks["citations"]["app_id_not_in_office_actions"] > 0


def test_lookups_follow_the_office_actions_read(tmp_path: Path) -> None:
    """Without some Office actions, citations of them are unknown and rejections of them
    are not valid (so not measured): both use what the earlier table held."""
    tables = sample_tables()
    oa = tables["office_actions"]
    dropped = oa[::7]
    kept = [r for r in oa if r not in dropped]
    ifws = {r["ifw_number"] for r in kept}
    rej = [r for r in tables["rejections"] if r["ifw_number"] in ifws]
    write_csv(tmp_path / "office_actions.csv", kept)
    write_csv(tmp_path / "rejections.csv", tables["rejections"])
    write_csv(tmp_path / "citations.csv", tables["citations"])
    quirks = measured(tmp_path)
    expected = citation_figures(tables["citations"], kept)
    assert quirks["citations"] == expected
    assert expected["ifw_number_not_in_office_actions"] > 0
    assert (
        expected["app_id_not_in_office_actions"]
        > citation_figures(tables["citations"], oa)["app_id_not_in_office_actions"]
    )
    assert quirks["rejections"] == rejection_figures(rej)
    assert len(rej) < len(tables["rejections"])


# --- what the tables share ----------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_quirk_lookups_name_columns_of_earlier_tables(table: str) -> None:
    measure = QUIRKS[table]
    assert quirk_lookups(table) == tuple(measure.lookups.values())
    for name, lookup in measure.lookups.items():
        assert TABLES.index(lookup.table) < TABLES.index(table)
        assert lookup.field in load_schema(lookup.table).field_names
        assert name in {f.name for f in dataclasses.fields(measure)}


def test_needs_come_from_foreign_keys_and_lookups() -> None:
    def schema(name: str, pk: list[str], fks: list[dict] | None = None):
        fields = [{"name": n, "type": "string"} for n in ("k", "a", "b")]
        return parse_table_schema(
            name, {"fields": fields, "primaryKey": pk, "foreignKeys": fks or []}
        )

    fk = {"fields": ["a"], "reference": {"resource": "p", "fields": ["k"]}}
    parent, child, other = schema("p", ["k"]), schema("c", [], [fk]), schema("o", [])
    assert needs_of(parent, [child], []) == Needs(keys=True, kept_keys=True)
    assert needs_of(parent, [other], []) == Needs()
    assert needs_of(parent, [other], [Lookup("p", "k")]) == Needs(keys=True)
    assert needs_of(parent, [other], [Lookup("p", "b"), Lookup("p", "a"), Lookup("x", "k")]) == (
        Needs(values=("a", "b"))
    )
    assert needs_of(parent, [child], [Lookup("p", "a")]) == Needs(True, True, ("a",))


def test_citation_quirks_use_the_indexes_they_are_given() -> None:
    from ptoffact_build.check.quirks import quirks_for

    known = {
        Lookup("office_actions", "app_id"): KeyIndex.build(pa.array(["11111111"])),
        Lookup("office_actions", "ifw_number"): KeyIndex.build(pa.array(["IFW1"])),
    }
    measure = quirks_for("citations", known)
    batch = pa.RecordBatch.from_pydict(
        {
            "app_id": ["11111111", "22222222", "22222222"],
            "ifw_number": ["IFW1", "IFW2", None],
            "action_type": ["103", "102", None],
            "parsed": ["1234567", "1234567", "1234567"],
            "citation_pat_pgpub_id": ["US1", "US2", "US2"],
        }
    )
    measure.observe(batch)
    summary = measure.summary()
    assert summary["app_id_not_in_office_actions"] == 2
    assert summary["ifw_number_not_in_office_actions"] == 1
    assert summary["ifw_number_empty"] == 1
    assert summary["repeated_app_citation_rows"] == 2
    unknowing = quirks_for("citations", {})
    unknowing.observe(batch)
    assert unknowing.summary()["app_id_not_in_office_actions"] == 0
