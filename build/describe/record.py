"""What a release records of how it was built, besides its rows: the describe stage renders
the card, the datapackage and the report from this and from what it measures in the shards.

``build`` makes the record; ``ptoffact describe`` reads it back from the release's
datapackage.json (:meth:`ReleaseRecord.from_datapackage`), which holds all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ptoffact_build.buildid import data_id
from ptoffact_build.contents import NotARelease
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.report import Origin, SourceRecord
from ptoffact_build.filerecord import FileRecord
from ptoffact_build.schema import TABLES
from ptoffact_build.write.sink import TableFiles


@dataclass(frozen=True)
class SplitSize:
    """A table's one split: its rows, its bytes in memory as ``datasets`` measures them on
    loading (``num_bytes``, which keys its cache too) and its Parquet bytes on disk."""

    rows: int
    arrow_bytes: int
    parquet_bytes: int


@dataclass(frozen=True)
class ReleaseRecord:
    """A build's id, error policy, sources, year, and per table its files (paths relative to
    the release) and the rows it quarantined."""

    build: str
    policy: str
    sources: tuple[SourceRecord, ...]
    files: dict[str, TableFiles]
    quarantined: dict[str, int]
    year: int  # the build's, which dates the package's citation

    def split_sizes(self, facts: ReleaseFacts) -> dict[str, SplitSize]:
        """Each table's split size: rows and loaded bytes measured, Parquet bytes recorded."""
        return {
            t: SplitSize(facts.rows(t), facts.tables[t].arrow_bytes, self.files[t].parquet_bytes)
            for t in TABLES
        }

    @classmethod
    def from_datapackage(cls, package: dict[str, Any], where: str) -> ReleaseRecord:
        """The record a release's datapackage.json holds (``where`` names it in errors)."""
        try:
            block = package["ptoffact"]
            resources = {r["name"]: r for r in package["resources"]}
            return cls(
                build=str(block["build_id"]),
                policy=str(block["policy"]),
                sources=tuple(source_of(s) for s in block["sources"]),
                files={t: table_files(resources[t]) for t in TABLES},
                quarantined={t: int(resources[t]["quarantined"]["rows"]) for t in TABLES},
                year=int(block.get("citation_year") or datetime.now(UTC).year),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise NotARelease(f"{where}: not a ptoffact release's record ({error!r})") from None

    def descriptions(self) -> dict[str, str]:
        """Each table's config description: a digest of its Parquet bytes."""
        return {t: table_description(data_id(self.files[t].shards)) for t in TABLES}

    def table_records(self) -> list[FileRecord]:
        """The tables' files: each one's shards, gzip CSV and quarantine file."""
        return [
            record
            for files in self.files.values()
            for record in [*files.shards, files.csv, *filter(None, [files.quarantine])]
        ]

    def table_paths(self) -> list[str]:
        return [record.path.as_posix() for record in self.table_records()]

    def table_digests(self) -> dict[str, str]:
        return {record.path.as_posix(): record.sha256 for record in self.table_records()}


def table_description(data: str) -> str:
    """A config's description: a digest of the table's Parquet bytes (it changes with them,
    and only with them)."""
    return f"ptoffact Parquet data {data}"


def recorded(entry: dict[str, Any]) -> FileRecord:
    """A file as a datapackage records it: path, bytes, ``sha256:`` hash, rows."""
    algorithm, _, digest = str(entry["hash"]).partition(":")
    if algorithm != "sha256" or not digest:
        raise ValueError(f"{entry.get('path')!r} has no sha256 hash")
    rows = entry.get("rows")
    return FileRecord(
        Path(entry["path"]), int(entry["bytes"]), digest, None if rows is None else int(rows)
    )


def table_files(resource: dict[str, Any]) -> TableFiles:
    """A table's files as its resource records them."""
    held = resource.get("quarantined") or {}
    quarantine = recorded(held) if held.get("path") else None
    shards = [recorded(shard) for shard in resource["parquet"]]
    return TableFiles(shards, recorded(resource), quarantine)


def source_of(entry: dict[str, Any]) -> SourceRecord:
    """A source file as the datapackage's ``ptoffact.sources`` records it."""
    algorithm, _, digest = str(entry["hash"]).partition(":")
    return SourceRecord(
        Path(entry["name"]),
        int(entry["bytes"]),
        digest if algorithm == "sha256" else str(entry["hash"]),
        modified=entry.get("modified"),
        fetched_at=entry.get("fetched"),
        origin=Origin(entry.get("origin", Origin.LOCAL.value)),
    )
