"""The validation report (``validation_report.json``) and the source records it lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ptoffact_build.filerecord import FileRecord
from ptoffact_build.hashing import file_sha256
from ptoffact_build.pipeline import RunResult
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.schema import TABLES


@dataclass(frozen=True)
class SourceRecord(FileRecord):
    """A source file as the report, card and datapackage record it (never any credential):
    its size and sha256, and the portal's facts when it was fetched."""

    modified: str | None = None
    fetched_at: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"name": self.name, "bytes": self.bytes, "hash": self.hash}
        if self.modified:
            record["modified"] = self.modified
        if self.fetched_at:
            record["fetched"] = self.fetched_at
        return record


def source_records(
    sources: dict[str, list[SourceFile]], fetched: dict[str, dict] | None = None
) -> list[SourceRecord]:
    """Name, size and sha256 of every source file (with portal facts when fetched)."""
    records = []
    for table in TABLES:
        for s in sources[table]:
            info = (fetched or {}).get(s.path.name, {})
            records.append(
                SourceRecord(
                    s.path,
                    s.path.stat().st_size,
                    info.get("sha256") or file_sha256(s.path),
                    modified=info.get("modified"),
                    fetched_at=info.get("fetched_at"),
                )
            )
    return records


def report_json(result: RunResult, sources: list[SourceRecord]) -> dict[str, Any]:
    """The validation report: counts per type, capped examples, quirk measurements."""
    tables = {}
    for name, t in result.tables.items():
        tables[name] = {
            "files": [s.path.name for s in t.sources],
            "rows_read": t.rows_read,
            "rows_valid": t.rows_valid,
            "rows_quarantined": t.rows_quarantined,
            "rows_quarantined_for_a_quarantined_reference": t.rows_cascaded,
            "unreadable": t.unreadable,
            "errors": result.log.to_json(name),
            "quirks": t.quirks,
        }
    return {
        "valid": result.log.total == 0,
        "policy": result.policy,
        "error_count": result.log.total,
        "examples_per_type": result.log.examples_per_type,
        "sources": [s.to_json() for s in sources],
        "seconds_per_stage": result.watch.to_json(),
        "tables": tables,
    }
