"""The validation report (``validation_report.json``) and the source records it lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.quirks import quirks_json
from ptoffact_build.describe.statistics import statistics_json
from ptoffact_build.filerecord import FileRecord
from ptoffact_build.hashing import file_sha256
from ptoffact_build.read.sources import SourceFile, sample_dir
from ptoffact_build.schema import TABLES

if TYPE_CHECKING:
    from ptoffact_build.pipeline import RunResult


class Origin(StrEnum):
    """Where a build's source files came from; the card and datapackage say so."""

    PORTAL = "portal"  # fetched from the USPTO Open Data Portal (--source odp)
    SAMPLE = "sample"  # the embedded synthetic sample
    LOCAL = "local"  # other files, of unknown origin

    @classmethod
    def of_build(cls, records: Sequence[SourceRecord]) -> Origin:
        """One origin for all the sources, LOCAL when they are not all alike."""
        found = {r.origin for r in records}
        return found.pop() if len(found) == 1 else cls.LOCAL


def origin_of(path: Path, fetched: bool) -> Origin:
    """A source file's origin: fetched from the portal, the embedded sample, or local."""
    if fetched:
        return Origin.PORTAL
    if path.resolve().parent == sample_dir().resolve():
        return Origin.SAMPLE
    return Origin.LOCAL


@dataclass(frozen=True)
class SourceRecord(FileRecord):
    """A source file as the report, card and datapackage record it (never any credential):
    its size and sha256, where it came from, and the portal's facts when it was fetched."""

    modified: str | None = None
    fetched_at: str | None = None
    origin: Origin = Origin.LOCAL

    @property
    def name(self) -> str:
        return self.path.name

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"name": self.name, "bytes": self.bytes, "hash": self.hash}
        record["origin"] = self.origin.value
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
            info = (fetched or {}).get(s.path.name)
            records.append(
                SourceRecord(
                    s.path,
                    s.path.stat().st_size,
                    (info or {}).get("sha256") or file_sha256(s.path),
                    modified=(info or {}).get("modified"),
                    fetched_at=(info or {}).get("fetched_at"),
                    origin=origin_of(s.path, info is not None),
                )
            )
    return records


def report_json(
    result: RunResult,
    sources: Sequence[SourceRecord],
    facts: ReleaseFacts | None = None,
    timings: bool = True,
) -> dict[str, Any]:
    """The validation report: counts per type and capped examples; with ``timings`` the
    seconds per stage (not in a release's own copy, so that the same rows give the same
    release); with ``facts`` (a build's, measured in its release) the quirks of each table
    and the card's statistics. ``validate`` has no release to measure: its report has
    neither."""
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
        }
    report: dict[str, Any] = {
        "valid": result.log.total == 0,
        "policy": result.policy,
        "error_count": result.log.total,
        "examples_per_type": result.log.examples_per_type,
        "sources": [s.to_json() for s in sources],
        "tables": tables,
    }
    if timings:
        report["seconds_per_stage"] = result.watch.to_json()
    return report if facts is None else with_description(report, facts)


def with_description(report: dict[str, Any], facts: ReleaseFacts) -> dict[str, Any]:
    """The report with each table's measured ``quirks`` and the ``statistics`` block set
    from ``facts`` (replacing those it had)."""
    for table, quirks in quirks_json(facts).items():
        report["tables"][table]["quirks"] = quirks
    report["statistics"] = statistics_json(facts)
    return report
