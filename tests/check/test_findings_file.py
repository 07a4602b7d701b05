"""`--findings FILE` lists every finding, streamed; quarantined rows keep their extra cells
and say when they were quarantined only for the row they refer to."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from frictionless_helpers import csv_bytes, sample_records
from ptoffact_build.check.findings import FindingBlock, FindingLog, FindingsFile
from ptoffact_build.schema import TABLES

COLUMNS = ["table", "file", "row", "field", "type", "value", "message"]
BAD_DATES = 30  # more than the report's 20 examples


def ptoffact(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ptoffact_build.cli", *args, "--quiet"],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


@pytest.fixture
def corrupted(tmp_path: Path) -> list[str]:
    """The sample with 30 bad dates, an extra cell, and a row referring to a bad row."""
    tables = {t: sample_records(t) for t in TABLES}
    for row in tables["office_actions"][1 : BAD_DATES + 1]:
        row[3] = "2017-02-30"
    tables["rejections"][5].extend(["surplus", "more, text"])
    folder = tmp_path / "csv"
    folder.mkdir()
    for table, rows in tables.items():
        (folder / f"{table}.csv").write_bytes(csv_bytes(rows))
    return [str(folder / f"{t}.csv") for t in TABLES]


def read_findings(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("name", ["all.csv", "all.jsonl", "all.ndjson"])
def test_validate_lists_every_finding(name: str, corrupted, tmp_path: Path) -> None:
    out, report = tmp_path / name, tmp_path / "report.json"
    done = ptoffact(
        "validate",
        "--source",
        *corrupted,
        "--findings",
        str(out),
        "--report",
        str(report),
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stderr
    found = read_findings(out)
    assert list(found[0]) == COLUMNS
    dates = [f for f in found if f["type"] == "type-error"]
    assert [int(f["row"]) for f in dates] == list(range(2, BAD_DATES + 2))
    assert {f["value"] for f in dates} == {"2017-02-30"}
    assert {(f["table"], f["file"], f["field"]) for f in dates} == {
        ("office_actions", "office_actions.csv", "mail_dt")
    }
    extra = [f["value"] for f in found if f["type"] == "extra-cell"]
    assert extra == ["surplus", "more, text"]
    errors = json.loads(report.read_text())["tables"]["office_actions"]["errors"]
    assert errors["type-error"]["count"] == BAD_DATES
    assert len(errors["type-error"]["examples"]) == 20
    assert len(found) == json.loads(report.read_text())["error_count"]


def test_a_failed_build_still_writes_the_findings(corrupted, tmp_path: Path) -> None:
    out = tmp_path / "found.csv"
    done = ptoffact(
        "build",
        "--source",
        *corrupted,
        "--out",
        str(tmp_path / "rel"),
        "--findings",
        str(out),
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert len(read_findings(out)) == BAD_DATES + 2
    assert not (tmp_path / "rel").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("name", ["found.txt", "folder.csv"])
def test_a_findings_file_ptoffact_cannot_write_is_a_usage_error(name, corrupted, tmp_path):
    (tmp_path / "folder.csv").mkdir()
    done = ptoffact(
        "validate", "--source", *corrupted, "--findings", str(tmp_path / name), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--findings" in done.stderr


def test_the_findings_file_is_streamed(tmp_path: Path) -> None:
    """A million findings pass through without a Python object per finding."""
    n = 1_000_000
    out = FindingsFile(tmp_path / "many.csv")
    log = FindingLog(out=out)
    values = pa.array(np.char.mod("v%d", np.arange(n)).astype(object), pa.string())
    rows = np.arange(2, n + 2)
    tracemalloc.start()
    log.add_block(
        "citations", "c.csv", rows, FindingBlock("type-error", "x", "n", rows - 2, values)
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out.close()
    # numpy columns of the batch take ~20 MB; a Finding object per finding would take ~300 MB
    assert peak < 64 << 20
    assert log.counts[("citations", "type-error")] == n
    assert len(log.examples[("citations", "type-error")]) == 20 and not log.everything
    with open(tmp_path / "many.csv", encoding="utf-8") as stream:
        assert sum(1 for _ in stream) == n + 1
    last = (tmp_path / "many.csv").read_text(encoding="utf-8").rsplit("\n", 2)[-2]
    assert last == f'"citations","c.csv",{n + 1},"x","type-error","v{n - 1}","n"'


def test_quarantine_keeps_extra_cells_and_marks_cascaded_rows(tmp_path: Path) -> None:
    tables = {t: sample_records(t) for t in TABLES}
    tables["office_actions"][5][3] = "bad"
    key = tables["office_actions"][5][1]
    tables["rejections"][3].extend(["x", "y, z"])
    folder = tmp_path / "csv"
    folder.mkdir()
    for table, rows in tables.items():
        (folder / f"{table}.csv").write_bytes(csv_bytes(rows))
    done = ptoffact(
        "build",
        "--source",
        str(folder),
        "--out",
        str(tmp_path / "rel"),
        "--on-error",
        "quarantine",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    held = read_findings(tmp_path / "rel" / "quarantine" / "rejections.csv")
    by_row = {int(r["source_row"]): r for r in held}
    assert json.loads(by_row[4]["extra_cells"]) == ["x", "y, z"]
    assert by_row[4]["cascaded"] == "false"
    cascaded = [r for r in held if r["cascaded"] == "true"]
    assert cascaded and {r["ifw_number"] for r in cascaded} == {key}
    assert all(r["extra_cells"] == "" for r in cascaded)


def test_a_bad_findings_name_is_refused_before_any_fetch(tmp_path: Path) -> None:
    """With --source odp, a wrong --findings name is a usage error before the key is looked at."""
    env = {k: v for k, v in os.environ.items() if k != "USPTO_API_KEY"}
    env["PTOFFACT_CACHE"] = str(tmp_path / "cache")
    for command in (["validate"], ["build", "--out", str(tmp_path / "rel")]):
        argv = [*command, "--source", "odp", "--findings", str(tmp_path / "findings.txt")]
        done = subprocess.run(
            [sys.executable, "-m", "ptoffact_build.cli", *argv],
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 2, done.stderr
        assert "--findings" in done.stderr and "key" not in done.stderr.lower(), done.stderr
