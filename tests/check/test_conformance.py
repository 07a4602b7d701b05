"""Conformance: on the sample and corrupted copies of it, ptoffact finds exactly what
frictionless-py finds, as a set of (table, row, field, error type)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import frictionless
import pytest

from frictionless_helpers import frictionless_findings, ptoffact_findings
from helpers import write_rows
from ptoffact_build.pipeline import CheckOptions, run_tables
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.schema import TABLES, load_schema


def rows_of(path: Path) -> list[list[str]]:
    import csv

    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def set_cell(table: str, row: int, column: str, value: str):
    """A corruption: one cell of a data row (row numbers as frictionless counts them)."""

    def corrupt(files: dict[str, Path]) -> None:
        rows = rows_of(files[table])
        rows[row - 1][rows[0].index(column)] = value
        write_rows(files[table], rows)

    return corrupt


def edit_rows(table: str, edit: Callable[[list[list[str]]], None]):
    def corrupt(files: dict[str, Path]) -> None:
        rows = rows_of(files[table])
        edit(rows)
        write_rows(files[table], rows)

    return corrupt


def duplicate_key(files: dict[str, Path]) -> None:
    rows = rows_of(files["office_actions"])
    rows[40][1] = rows[10][1]
    write_rows(files["office_actions"], rows)


def insert_blank_line(files: dict[str, Path]) -> None:
    lines = files["rejections"].read_text(encoding="utf-8").split("\n")
    lines.insert(30, "")
    files["rejections"].write_text("\n".join(lines), encoding="utf-8")


def quoted_newline_then_error(files: dict[str, Path]) -> None:
    rows = rows_of(files["citations"])
    rows[5][1] = "Smith, J.\nsecond line of a messy reference"
    rows[9][6] = "yes"
    write_rows(files["citations"], rows)


CORRUPTIONS = {
    "clean": lambda files: None,
    "bad date": set_cell("office_actions", 12, "mail_dt", "2017-13-45"),
    "impossible day": set_cell("office_actions", 13, "mail_dt", "2017-02-30"),
    "lenient date form": set_cell("office_actions", 14, "mail_dt", "2017-3-4"),
    "bad flag": set_cell("office_actions", 20, "fp_missing", "2"),
    "outside enum": set_cell("office_actions", 30, "document_cd", "CTXX"),
    "integer outside enum": set_cell("office_actions", 31, "signature_type", "7"),
    "not an integer": set_cell("office_actions", 32, "cite103_max", "3.5"),
    "negative integer": set_cell("office_actions", 33, "cite103_max", "-1"),
    "broken pattern": set_cell("rejections", 25, "app_id", "1234567X"),
    "too long": set_cell("office_actions", 34, "uspc_subclass", "0010001"),
    "missing required": set_cell("office_actions", 50, "art_unit", ""),
    "missing key": set_cell("office_actions", 51, "ifw_number", ""),
    "duplicate primary key": duplicate_key,
    "dangling foreign key": set_cell("rejections", 60, "ifw_number", "ZZZZZZZZZZZZZZZ"),
    "extra cell": edit_rows("citations", lambda rows: rows[70].append("surplus")),
    "missing cell": edit_rows("rejections", lambda rows: rows[80].pop()),
    "missing required cell": edit_rows("office_actions", lambda rows: rows[81].pop()),
    "blank row": insert_blank_line,
    "row of empty cells": edit_rows("citations", lambda rows: rows.insert(90, [""] * 9)),
    "wrong header": edit_rows("citations", lambda rows: rows[0].__setitem__(2, "parsd")),
    "missing header": edit_rows("rejections", lambda rows: rows.pop(0)),
    "quoted newline, then a bad flag": quoted_newline_then_error,
}


VALID_FORMS = {"clean", "lenient date form"}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_findings_equal_frictionless(name: str, sample_csvs: dict[str, Path]) -> None:
    CORRUPTIONS[name](sample_csvs)
    expected = frictionless_findings(sample_csvs)
    assert ptoffact_findings(sample_csvs) == expected
    if name not in VALID_FORMS:
        assert expected, "the corruption must produce at least one finding"


def test_every_corruption_at_once(sample_csvs: dict[str, Path]) -> None:
    for name, corrupt in CORRUPTIONS.items():
        if name not in {"wrong header", "missing header", "missing key"}:
            corrupt(sample_csvs)
    expected = frictionless_findings(sample_csvs)
    assert len(expected) >= 15
    assert ptoffact_findings(sample_csvs) == expected


def test_small_chunks_give_the_same_findings(sample_csvs: dict[str, Path]) -> None:
    """Chunk boundaries (here every few kB) change nothing, even around quoted newlines."""
    for name in ("quoted newline, then a bad flag", "extra cell", "blank row", "bad flag"):
        CORRUPTIONS[name](sample_csvs)
    whole = ptoffact_findings(sample_csvs)
    assert ptoffact_findings(sample_csvs, chunk_bytes=3000) == whole
    assert whole == frictionless_findings(sample_csvs)


def test_findings_are_typed_data(sample_csvs: dict[str, Path]) -> None:
    set_cell("office_actions", 12, "mail_dt", "2017-13-45")(sample_csvs)
    result = run_tables(resolve_sources(sample_csvs.values()), CheckOptions(keep_all=True))
    (finding,) = result.findings()
    assert finding.key() == ("office_actions", 12, "mail_dt", "type-error")
    assert finding.value == "2017-13-45"
    assert finding.file == "office_actions.csv"
    assert "office_actions.csv, row 12, column mail_dt" in finding.one_line()


@pytest.mark.parametrize("table", TABLES)
def test_schema_loads_in_frictionless(table: str) -> None:
    schema = frictionless.Schema.from_descriptor(load_schema(table).frictionless())
    assert [f.name for f in schema.fields] == load_schema(table).field_names
