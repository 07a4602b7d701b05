"""`validate` reads lean: no card statistics (it has no card) and 8 MiB chunks by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ptoffact_build import pipeline
from ptoffact_build.cli import main
from ptoffact_build.describe.report import report_json, source_records
from ptoffact_build.pipeline import run_tables
from ptoffact_build.read.csv_reader import DEFAULT_CHUNK_BYTES
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.schema import TABLES


def validate_report(tmp_path: Path, *options: str) -> dict:
    report = tmp_path / "report.json"
    argv = ["validate", "--quiet", "--source", "sample", "--report", str(report), *options]
    assert main([*argv, "--cache-dir", str(tmp_path / "cache")]) == 0
    return json.loads(report.read_text())


def test_the_validate_report_has_no_statistics_block(tmp_path: Path) -> None:
    report = validate_report(tmp_path)
    assert "statistics" not in report
    stages = report["seconds_per_stage"]
    assert not [stage for stage in stages if "statistics" in stage]  # nor was time spent on them
    assert report["valid"] is True
    assert report["tables"]["office_actions"]["quirks"]  # the quirks are still measured


def test_statistics_are_computed_only_when_asked() -> None:
    sources = resolve_sources(["sample"])
    lean = run_tables(sources, statistics=False)
    full = run_tables(sources)  # no writers: only what is counted as rows are checked
    assert all(lean.tables[t].statistics == {} for t in TABLES)
    assert full.tables["office_actions"].statistics["per_mail_year"]
    assert full.tables["citations"].statistics["citations_by_source"]
    records = source_records(sources)
    assert "statistics" not in report_json(lean, records)
    assert report_json(full, records)["statistics"]["per_mail_year"]
    for table in TABLES:  # nothing else changes
        assert lean.tables[table].quirks == full.tables[table].quirks
        assert lean.tables[table].distinct == full.tables[table].distinct
        assert lean.tables[table].rows_valid == full.tables[table].rows_valid


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
