"""Header faults are findings, as in frictionless: the rows are still checked (by position),
keys into the table still resolve, and no release is published."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from frictionless_helpers import csv_bytes, frictionless_findings, ptoffact_findings, sample_records
from ptoffact_build.describe.datapackage import CSV_DIALECT
from ptoffact_build.errors import DataInvalid
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.schema import TABLES

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tables(tmp_path: Path) -> dict[str, list[list[str]]]:
    """The sample's records, to corrupt before writing them with :func:`write`."""
    return {t: sample_records(t) for t in TABLES}


def write(folder: Path, tables: dict[str, list[list[str]]]) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    files = {}
    for table, rows in tables.items():
        files[table] = folder / f"{table}.csv"
        files[table].write_bytes(csv_bytes(rows))
    return files


def plant_row_errors(tables: dict[str, list[list[str]]]) -> None:
    """A bad date in office_actions row 12 and a dangling key in rejections row 20."""
    tables["office_actions"][11][3] = "2017-13-45"
    tables["rejections"][19][1] = "ZZZZZZZZZZZZZZZ"


def test_labels_with_spaces_are_accepted(tables, tmp_path: Path) -> None:
    tables["rejections"][0] = [f" {label}\t" for label in tables["rejections"][0]]
    files = write(tmp_path / "csv", tables)
    assert ptoffact_findings(files) == frictionless_findings(files) == set()


HEADER_FAULTS = {
    "renamed": lambda labels: labels.__setitem__(2, "doc_code"),
    "missing": lambda labels: labels.pop(),
    "extra": lambda labels: labels.append("surplus"),
    "duplicated": lambda labels: labels.__setitem__(2, labels[1]),
    "blank": lambda labels: labels.__setitem__(2, ""),
}


@pytest.mark.parametrize("fault", HEADER_FAULTS)
def test_rows_under_a_wrong_header_are_checked(fault: str, tables, tmp_path: Path) -> None:
    HEADER_FAULTS[fault](tables["office_actions"][0])
    plant_row_errors(tables)
    files = write(tmp_path / "csv", tables)
    ours = ptoffact_findings(files)
    assert ("office_actions", 12, "mail_dt", "type-error") in ours
    assert ("rejections", 20, None, "foreign-key") in ours  # keys into the table resolve
    assert any(kind.endswith("-label") for *_, kind in ours)
    assert ours == frictionless_findings(files)


def test_a_wrong_header_publishes_nothing(tables, tmp_path: Path) -> None:
    tables["citations"][0][2] = "parsd"
    files = write(tmp_path / "csv", tables)
    out = tmp_path / "release"
    with pytest.raises(DataInvalid):
        build_release(
            resolve_sources(files.values()), out, BuildOptions(CheckOptions(policy="quarantine"))
        )
    assert not out.exists()


def test_a_bad_byte_in_a_header_is_a_finding(tables, tmp_path: Path) -> None:
    """The table is unreadable; the other tables are checked and the report is written."""
    plant_row_errors(tables)
    files = write(tmp_path / "csv", tables)
    data = files["office_actions"].read_bytes()
    files["office_actions"].write_bytes(data.replace(b"mail_dt", b"mail_d\xe9", 1))
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ptoffact_build.cli",
            "validate",
            "--quiet",
            "--report",
            str(report),
            "--source",
            *map(str, files.values()),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    tables_found = json.loads(report.read_text())["tables"]
    (example,) = tables_found["office_actions"]["errors"]["encoding-error"]["examples"]
    assert example["row"] == 1
    assert tables_found["office_actions"]["unreadable"]
    assert "foreign-key" not in tables_found["rejections"]["errors"]  # nothing to look up in
    assert tables_found["citations"]["errors"] == {}


def test_the_dialect_is_pinned_in_both_datapackages(sample_release: Path) -> None:
    root = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    release = json.loads((sample_release / "datapackage.json").read_text(encoding="utf-8"))
    for package in (root, release):
        for resource in package["resources"]:
            assert resource["dialect"] == CSV_DIALECT
    assert CSV_DIALECT["skipInitialSpace"] is False and CSV_DIALECT["doubleQuote"] is True


def test_frictionless_reads_a_space_before_a_quote_as_ptoffact_does(tables, tmp_path) -> None:
    """With the dialect pinned, frictionless does not guess skipInitialSpace from the file."""
    files = write(tmp_path / "csv", tables)
    lines = files["citations"].read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b",", b', "a,b"', 1)
    files["citations"].write_bytes(b"\n".join(lines))
    ours = ptoffact_findings(files)
    assert ("citations", 5, None, "extra-cell") in ours
    assert ours == frictionless_findings(files)


def test_a_bad_byte_in_a_row_of_the_wrong_width_is_a_finding(tables, tmp_path: Path) -> None:
    """Not a parse failure (exit 3) with pyarrow's ignored-exception noise on stderr."""
    tables["citations"][4][1] += "ñ"
    tables["citations"][4].append("surplus")
    files = write(tmp_path / "csv", tables)
    data = files["citations"].read_bytes()
    files["citations"].write_bytes(data.replace("ñ".encode(), b"\xf1", 1))
    done = subprocess.run(
        [sys.executable, "-m", "ptoffact_build.cli", "validate", "--quiet", "--source"]
        + [str(path) for path in files.values()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "ptoffact: error: 1 validation error(s); first: citations.csv, row 5: encoding-error: "
        "bytes that are not UTF-8"
    )
