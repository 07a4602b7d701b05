"""``ptoffact verify --rows``: every row of a release re-checked.

On releases whose CSV copies were corrupted and their sizes and hashes re-recorded (so the
file check passes), the findings of frictionless' types equal frictionless-py's on the
release's datapackage.json, as (table, row, field, type); the rows in which the CSV and the
Parquet copies differ are named as ``copy-mismatch`` findings, exactly those an independent
count (rows typed by hand, matched as multisets) expects. Parquet-only corruptions get their
own findings; recorded row counts and shard schemas are checked.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from frictionless_helpers import normalise, release_findings
from helpers import exact, typed_value
from ptoffact_build.cli import main
from ptoffact_build.schema import TABLES, load_schema
from release_edits import (
    csv_copy,
    csv_records,
    edit_csv_records,
    edit_csv_text,
    edit_shard,
    package_of,
    rerecord,
    set_value,
    shard_of,
    shard_table,
)

OWN_TYPES = {"copy-mismatch", "parquet-schema"}  # and row-count on a Parquet shard


def of_csv(finding: dict) -> bool:
    """A finding frictionless could make too: of a CSV copy, of one of its types (row-count
    is one: frictionless compares a CSV's rows with the datapackage's ``rows``)."""
    return finding["file"].endswith(".csv.gz") and finding["type"] not in OWN_TYPES


@pytest.fixture
def release(sample_release: Path, tmp_path: Path) -> Path:
    """A copy of the sample release, free to tamper with."""
    copy = tmp_path / "release"
    shutil.copytree(sample_release, copy)
    return copy


def verify_rows(release: Path, tmp_path: Path, *extra: str, capsys) -> tuple[int, str, list]:
    """Run ``verify --rows``; its exit code, stderr and every finding (from --findings)."""
    listing = tmp_path / "findings.jsonl"
    code = main(["verify", "--rows", "--quiet", str(release), "--findings", str(listing), *extra])
    err = capsys.readouterr().err
    lines = listing.read_text(encoding="utf-8").splitlines()
    return code, err, [json.loads(line) for line in lines]


def theirs(findings: list[dict]) -> set[tuple]:
    """The findings of frictionless' types, as the comparison with frictionless takes them."""
    return {normalise(f["table"], f["row"], f["field"], f["type"]) for f in findings if of_csv(f)}


def ours(findings: list[dict]) -> Counter:
    """The other findings (verify's own), as (table, file, row, type), counted."""
    return Counter((f["table"], f["file"], f["row"], f["type"]) for f in findings if not of_csv(f))


# -- the independent count of the rows that differ ---------------------------------------------


def typed_records(table: str, records: list[list[str]], skip: set[int]) -> list[tuple[int, str]]:
    """(row number, typed row as text) of each CSV record but the header and the rows
    ``skip`` names (those frictionless found fault with)."""
    names = load_schema(table).field_names
    kinds = {f.name: f.type for f in load_schema(table).fields}
    typed = []
    for i, record in enumerate(records[1:], start=2):
        if i not in skip:
            values = {n: typed_value(kinds[n], cell) for n, cell in zip(names, record, strict=True)}
            typed.append((i, exact(values)))
    return typed


def surplus(ours_: list[tuple[object, str]], theirs_: list[tuple[object, str]]) -> list[object]:
    """Where our rows are that theirs do not match (of a row held more often, the last)."""
    left = Counter(text for _, text in theirs_)
    extra = []
    for where, text in ours_:
        if left[text]:
            left[text] -= 1
        else:
            extra.append(where)
    return extra


def expected_mismatches(release: Path, faulty: set[tuple]) -> Counter:
    """The copy-mismatch findings a corrupted CSV copy should give: its rows without a
    frictionless finding, typed by hand, against the Parquet rows, as multisets."""
    expected: Counter = Counter()
    for table in TABLES:
        records = csv_records(release, table)
        skip = {row for t, row, _, _ in faulty if t == table}
        from_csv = typed_records(table, records, skip)
        parquet = shard_table(release, table).to_pylist()
        from_parquet = [(i, exact(row)) for i, row in enumerate(parquet)]
        file = f"{table}.csv.gz"
        for row in surplus(from_csv, from_parquet):
            expected[(table, file, row, "copy-mismatch")] += 1
        for index in surplus(from_parquet, from_csv):
            expected[(table, shard_of(table), index, "copy-mismatch")] += 1
    return expected


# -- corruptions of the CSV copies ------------------------------------------------------------


def set_cell(row: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def edit(records: list[list[str]]) -> None:
        records[row - 1][records[0].index(column)] = value

    return edit


def copy_key(records: list[list[str]]) -> None:
    records[40][1] = records[10][1]


def shuffle(records: list[list[str]]) -> None:
    body = records[1:]
    random.Random(7).shuffle(body)
    records[1:] = body


def blank_line(text: str) -> str:
    lines = text.split("\n")
    lines.insert(30, "")
    return "\n".join(lines)


def flip_flag(records: list[list[str]]) -> None:
    at = records[0].index("form892")
    records[50][at] = "1" if records[50][at] == "0" else "0"


CSV_CORRUPTIONS: dict[str, tuple[str, Callable]] = {
    "clean": ("citations", lambda records: None),
    "rows in another order": ("citations", shuffle),
    "bad date": ("office_actions", set_cell(12, "mail_dt", "2017-13-45")),
    "bad flag": ("office_actions", set_cell(20, "fp_missing", "2")),
    "outside enum": ("office_actions", set_cell(30, "document_cd", "CTXX")),
    "not an integer": ("office_actions", set_cell(32, "cite103_max", "3.5")),
    "broken pattern": ("rejections", set_cell(25, "app_id", "1234567X")),
    "too long": ("office_actions", set_cell(34, "uspc_subclass", "0010001")),
    "missing required": ("office_actions", set_cell(50, "art_unit", "")),
    "duplicate primary key": ("office_actions", copy_key),
    "dangling foreign key": ("rejections", set_cell(60, "ifw_number", "ZZZZZZZZZZZZZZZ")),
    "extra cell": ("citations", lambda records: records[70].append("surplus")),
    "missing cell": ("rejections", lambda records: records[80].pop()),
    "a valid value changed": ("citations", flip_flag),
    "a row twice": ("citations", lambda records: records.append(list(records[5]))),
    "a row removed": ("citations", lambda records: records.pop(9)),
}


@pytest.mark.parametrize("name", CSV_CORRUPTIONS)
def test_corrupted_csv_copies_give_frictionless_findings_and_the_rows_that_differ(
    name: str, release: Path, tmp_path: Path, capsys
) -> None:
    table, edit = CSV_CORRUPTIONS[name]
    edit_csv_records(release, table, edit)
    expected = release_findings(release / "datapackage.json")
    code, err, findings = verify_rows(release, tmp_path, capsys=capsys)
    assert theirs(findings) == expected
    assert ours(findings) == expected_mismatches(release, expected)
    if name in {"clean", "rows in another order"}:
        assert code == 0 and not findings
    else:
        assert code == 1 and findings
        assert f"{len(findings):,} validation error(s); first: " in err


def test_a_blank_line_in_a_csv_copy(release: Path, tmp_path: Path, capsys) -> None:
    edit_csv_text(release, "rejections", blank_line)
    expected = release_findings(release / "datapackage.json")
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    assert ("rejections", 31, None, "blank-row") in expected
    assert theirs(findings) == expected
    assert ours(findings) == expected_mismatches(release, expected)
    assert code == 1


def test_every_csv_corruption_at_once(release: Path, tmp_path: Path, capsys) -> None:
    for name, (table, edit) in CSV_CORRUPTIONS.items():
        if name != "rows in another order":
            edit_csv_records(release, table, edit)
    expected = release_findings(release / "datapackage.json")
    assert len(expected) >= 12
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    assert theirs(findings) == expected
    assert ours(findings) == expected_mismatches(release, expected)
    assert code == 1


# -- corruptions of the Parquet shards --------------------------------------------------------


def csv_row_of(release: Path, table: str, column: str, value: str) -> int:
    """The CSV row number of the (one) record whose ``column`` holds ``value``."""
    records = csv_records(release, table)
    at = records[0].index(column)
    (row,) = [i for i, r in enumerate(records[1:], start=2) if r[at] == value]
    return row


def test_a_parquet_value_breaking_a_pattern(release: Path, tmp_path: Path, capsys) -> None:
    key = shard_table(release, "office_actions").column("ifw_number")[5].as_py()
    edit_shard(release, "office_actions", lambda t: set_value(t, "app_id", 5, "1234567X"))
    assert release_findings(release / "datapackage.json") == set()
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    shard = shard_of("office_actions")
    assert code == 1
    assert Counter((f["table"], f["file"], f["row"], f["field"], f["type"]) for f in findings) == {
        ("office_actions", shard, 5, None, "copy-mismatch"): 1,
        (
            "office_actions",
            "office_actions.csv.gz",
            csv_row_of(release, "office_actions", "ifw_number", key),
            None,
            "copy-mismatch",
        ): 1,
        ("office_actions", shard, 5, "app_id", "constraint-error"): 1,
    }
    broken = next(f for f in findings if f["type"] == "constraint-error")
    assert broken["value"] == "1234567X" and "pattern" in broken["message"]


def test_a_parquet_key_repeated_and_the_rows_that_referred_to_it(
    release: Path, tmp_path: Path, capsys
) -> None:
    actions = shard_table(release, "office_actions")
    lost, kept = actions.column("ifw_number")[7].as_py(), actions.column("ifw_number")[3].as_py()
    edit_shard(release, "office_actions", lambda t: set_value(t, "ifw_number", 7, kept))
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    found = Counter((f["table"], f["file"], f["row"], f["field"], f["type"]) for f in findings)
    expected = Counter(
        {
            ("office_actions", shard_of("office_actions"), 7, None, "copy-mismatch"): 1,
            (
                "office_actions",
                "office_actions.csv.gz",
                csv_row_of(release, "office_actions", "ifw_number", lost),
                None,
                "copy-mismatch",
            ): 1,
            ("office_actions", shard_of("office_actions"), 7, "ifw_number", "primary-key"): 1,
        }
    )
    for index in referring_rows(release, lost):
        expected[("rejections", shard_of("rejections"), index, "ifw_number", "foreign-key")] += 1
    assert found == expected and code == 1


def test_a_row_dropped_from_a_shard(release: Path, tmp_path: Path, capsys) -> None:
    key = shard_table(release, "office_actions").column("ifw_number")[0].as_py()
    edit_shard(release, "office_actions", lambda t: t.slice(1))
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    expected = Counter(
        {
            (
                "office_actions",
                "office_actions.csv.gz",
                csv_row_of(release, "office_actions", "ifw_number", key),
                "copy-mismatch",
            ): 1,
            ("office_actions", "data/office_actions/", None, "row-count"): 1,
        }
    )
    for index in referring_rows(release, key):  # their action is gone from the Parquet
        expected[("rejections", shard_of("rejections"), index, "foreign-key")] += 1
    assert ours(findings) == expected
    assert theirs(findings) == set() and code == 1


def referring_rows(release: Path, key: str) -> list[int]:
    """The rejections' Parquet rows that refer to the action ``key`` (at least one)."""
    keys = shard_table(release, "rejections").column("ifw_number").to_pylist()
    found = [i for i, value in enumerate(keys) if value == key]
    assert found, "the sample must have rejections of that action"
    return found


def test_a_shard_with_another_schema(release: Path, tmp_path: Path, capsys) -> None:
    def dates_as_text(table: pa.Table) -> pa.Table:
        at = table.schema.get_field_index("mail_dt")
        return table.set_column(at, "mail_dt", table.column("mail_dt").cast(pa.string()))

    edit_shard(release, "office_actions", dates_as_text)
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    (schema,) = [f for f in findings if f["type"] == "parquet-schema"]
    assert schema["file"] == shard_of("office_actions") and "mail_dt" in schema["message"]
    unmatched = [f for f in findings if f["type"] == "copy-mismatch"]
    assert {f["file"] for f in unmatched} == {"office_actions.csv.gz"}
    assert len(unmatched) == len(csv_records(release, "office_actions")) - 1
    assert code == 1


def test_an_unreadable_shard_exits_3_naming_it(release: Path, tmp_path: Path, capsys) -> None:
    (release / shard_of("citations")).write_bytes(b"PAR1 not really parquet PAR1")
    rerecord(release, shard_of("citations"))
    code = main(["verify", "--rows", "--quiet", str(release)])
    err = capsys.readouterr().err
    assert code == 3 and shard_of("citations") in err and "Traceback" not in err


def test_recorded_row_counts_are_checked(release: Path, tmp_path: Path, capsys) -> None:
    package = package_of(release)
    rejections = next(r for r in package["resources"] if r["name"] == "rejections")
    rejections["rows"] += 1
    rejections["parquet"][0]["rows"] -= 1
    (release / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")
    rerecord(release, csv_copy("rejections"))  # SHA256SUMS's line for datapackage.json
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    assert ours(findings) == {
        ("rejections", shard_of("rejections"), None, "row-count"): 1,
        ("rejections", "data/rejections/", None, "row-count"): 1,
    }
    expected = release_findings(release / "datapackage.json")
    assert theirs(findings) == expected == {("rejections", None, None, "row-count")}
    assert code == 1


def test_only_so_many_rows_are_named(
    release: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptoffact_build.publish import rowmatch

    monkeypatch.setattr(rowmatch, "NAMED_ROWS", 40)
    edit_shard(release, "citations", lambda t: set_value_all(t, "form892"))
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    named = [f for f in findings if f["type"] == "copy-mismatch" and f["row"] is not None]
    (summary,) = [f for f in findings if f["type"] == "copy-mismatch" and f["row"] is None]
    rows = shard_table(release, "citations").num_rows
    assert 0 < len(named) <= 2 * 40
    assert {f["file"] for f in named} == {"citations.csv.gz", shard_of("citations")}
    assert "not named" in summary["message"]
    left = int(summary["message"].split("about ")[1].split(" more")[0].replace(",", ""))
    assert rows - 40 <= left <= 2 * rows
    assert code == 1


def set_value_all(table: pa.Table, column: str) -> pa.Table:
    """Every value of a boolean column flipped."""
    at = table.schema.get_field_index(column)
    flipped = pa.array(~np.array(table.column(column).to_pylist(), bool))
    return table.set_column(at, table.schema.field(at), flipped)


# -- the command ------------------------------------------------------------------------------


def test_an_intact_release_passes_with_a_report(
    sample_release: Path, tmp_path: Path, capsys
) -> None:
    report = tmp_path / "report.json"
    code = main(["verify", "--rows", "--quiet", str(sample_release), "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    rows = {r["name"]: r["rows"] for r in package_of(sample_release)["resources"]}
    assert f"office_actions {rows['office_actions']:,}" in out and out.startswith("ok: ")
    written = json.loads(report.read_text())
    assert written["valid"] is True and written["error_count"] == 0
    for table in TABLES:
        assert written["tables"][table]["rows_read"] == rows[table]
        assert written["parquet"][table]["rows"] == rows[table]
        assert written["parquet"][table]["differing_hash_buckets"] == 0


def test_the_report_of_a_failed_check_lists_the_findings(
    release: Path, tmp_path: Path, capsys
) -> None:
    edit_csv_records(release, "office_actions", set_cell(12, "mail_dt", "2017-13-45"))
    report = tmp_path / "report.json"
    code, err, findings = verify_rows(release, tmp_path, "--report", str(report), capsys=capsys)
    written = json.loads(report.read_text())
    assert code == 1 and f"report: {report}" in err
    assert written["error_count"] == len(findings) == 2
    errors = written["tables"]["office_actions"]["errors"]
    assert errors["type-error"]["count"] == 1 and errors["copy-mismatch"]["count"] == 1
    assert written["parquet"]["office_actions"]["differing_hash_buckets"] == 1


def test_report_options_need_rows(sample_release: Path, tmp_path: Path, capsys) -> None:
    code = main(["verify", str(sample_release), "--report", str(tmp_path / "r.json")])
    assert code == 2 and "--rows" in capsys.readouterr().err
    same = str(tmp_path / "same.csv")
    code = main(["verify", "--rows", str(sample_release), "--report", same, "--findings", same])
    assert code == 2 and "same file" in capsys.readouterr().err
    inside = str(sample_release / "report.json")
    code = main(["verify", "--rows", str(sample_release), "--report", inside])
    assert code == 2 and not (sample_release / "report.json").exists()


def test_files_that_differ_stop_before_the_rows(release: Path, tmp_path: Path, capsys) -> None:
    with open(release / csv_copy("rejections"), "ab") as stream:
        stream.write(b"x")
    code = main(["verify", "--rows", "--quiet", str(release)])
    captured = capsys.readouterr()
    assert code == 1 and "csv/rejections.csv.gz" in captured.err
    assert "rows ok" not in captured.out


def test_a_csv_copy_with_a_byte_that_is_not_utf8(release: Path, tmp_path: Path, capsys) -> None:
    path = release / csv_copy("citations")
    data = gzip.decompress(path.read_bytes())
    cut = data.index(b"\n", len(data) // 2) + 1
    path.write_bytes(gzip.compress(data[:cut] + b"\xff" + data[cut:], mtime=0))
    rerecord(release, csv_copy("citations"))
    code, _, findings = verify_rows(release, tmp_path, capsys=capsys)
    assert code == 1
    (unreadable,) = [f for f in findings if f["type"] == "encoding-error"]
    assert unreadable["table"] == "citations"
    # the table stopped at the byte: its rows are not compared with the Parquet ones
    assert not [f for f in findings if f["table"] == "citations" and f["type"] != "encoding-error"]


def test_a_release_with_quarantined_rows_passes(
    sample_csvs: dict[str, Path], tmp_path: Path, capsys
) -> None:
    """Its CSV copies hold the valid rows in key order (not the source's), as its shards do;
    the quarantined rows are in neither."""
    from helpers import sample_rows, write_rows
    from ptoffact_build.pipeline import CheckOptions
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import BuildOptions, build_release

    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"
    write_rows(sample_csvs["office_actions"], rows)
    out = tmp_path / "held"
    options = BuildOptions(CheckOptions(policy="quarantine"))
    build_release(resolve_sources(sample_csvs.values()), out, options)
    held = {r["name"]: r["quarantined"]["rows"] for r in package_of(out)["resources"]}
    assert held["office_actions"] == 1 and held["rejections"] > 0  # its rejections follow it
    code, _, findings = verify_rows(out, tmp_path, capsys=capsys)
    assert code == 0 and findings == []
