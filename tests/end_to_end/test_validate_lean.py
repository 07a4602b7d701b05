"""`validate` reads lean: it measures no release (no quirks, no card statistics: it has no
release to describe) and reads 8 MiB chunks by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import sample_rows
from ptoffact_build import pipeline
from ptoffact_build.cli import main
from ptoffact_build.read.csv_reader import DEFAULT_CHUNK_BYTES
from ptoffact_build.schema import TABLES

TABLE_KEYS = [
    "files",
    "rows_read",
    "rows_valid",
    "rows_quarantined",
    "rows_quarantined_for_a_quarantined_reference",
    "unreadable",
    "errors",
]


def validate_report(tmp_path: Path, *options: str) -> dict:
    report = tmp_path / "report.json"
    argv = ["validate", "--quiet", "--source", "sample", "--report", str(report), *options]
    assert main([*argv, "--cache-dir", str(tmp_path / "cache")]) == 0
    return json.loads(report.read_text())


def test_the_validate_report_counts_rows_and_findings_only(tmp_path: Path) -> None:
    report = validate_report(tmp_path)
    assert "statistics" not in report
    assert report["valid"] is True and report["error_count"] == 0
    assert not [stage for stage in report["seconds_per_stage"] if "describe" in stage]
    for table in TABLES:
        found = report["tables"][table]
        assert list(found) == TABLE_KEYS  # no quirks: validate has no release to measure
        rows = len(sample_rows(table)) - 1
        assert (found["rows_read"], found["rows_valid"], found["rows_quarantined"]) == (
            rows,
            rows,
            0,
        )
        assert found["files"] == [f"{table}.csv.zip"] and found["errors"] == {}


@pytest.mark.parametrize(("options", "expected"), [((), 8 << 20), (("--chunk-mb", "3"), 3 << 20)])
def test_validate_reads_8_mib_chunks_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...], expected: int
) -> None:
    seen: list[int] = []
    read = pipeline.read_batches

    def recording(source, chunk_bytes: int):
        seen.append(chunk_bytes)
        return read(source, chunk_bytes)

    monkeypatch.setattr(pipeline, "read_batches", recording)
    validate_report(tmp_path, *options)
    assert seen == [expected] * len(TABLES)
    assert DEFAULT_CHUNK_BYTES == 8 << 20
