"""A release's tables as its datapackage records them (the CSV copy, the rows, the Parquet
shards), and their shards read: what ``verify --rows`` compares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ptoffact_build.contents import DATAPACKAGE, NotARelease
from ptoffact_build.errors import SourceError
from ptoffact_build.read.sources import SourceFile, classify
from ptoffact_build.schema import TABLES

PARQUET_BATCH_ROWS = 1 << 19  # rows per batch read from a shard (fewer cost more CPU)


@dataclass(frozen=True)
class Shard:
    """A Parquet shard as the datapackage records it: its path in the release, its rows."""

    path: str
    rows: int | None


@dataclass(frozen=True)
class RecordedTable:
    """A table as the datapackage records it: the CSV copy, its rows, its Parquet shards."""

    name: str
    csv: str
    rows: int | None
    shards: tuple[Shard, ...]
    csv_hash: str | None = None  # as recorded (``sha256:<hex>``)

    def source(self, release: Path) -> SourceFile:
        """The CSV copy as a source for the validation pipeline."""
        found = classify(release / self.csv)
        if found is None or found.table != self.name or found.kind != "csv.gz":
            raise NotARelease(f"{DATAPACKAGE}: {self.csv!r} is not {self.name}'s gzip CSV")
        return found


def recorded_rows(entry: dict) -> int | None:
    """An entry's ``rows``, when it records a count."""
    rows = entry.get("rows")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def recorded_tables(package: dict) -> dict[str, RecordedTable]:
    """Every table's files and counts, from the release's datapackage; NotARelease when a
    table or its files are not recorded."""
    by_name = {r.get("name"): r for r in package["resources"] if isinstance(r, dict)}
    tables = {}
    for name in TABLES:
        resource = by_name.get(name)
        if resource is None or not isinstance(resource.get("path"), str):
            raise NotARelease(f"{DATAPACKAGE}: no resource {name!r} with a path")
        shards = resource.get("parquet")
        if not isinstance(shards, list) or not all(
            isinstance(s, dict) and isinstance(s.get("path"), str) for s in shards
        ):
            raise NotARelease(f"{DATAPACKAGE}: {name!r} lists no Parquet shards")
        tables[name] = RecordedTable(
            name,
            resource["path"],
            recorded_rows(resource),
            tuple(Shard(s["path"], recorded_rows(s)) for s in shards),
            resource.get("hash"),
        )
    return tables


def shard_footer(release: Path, shard: Shard) -> pq.FileMetaData:
    """A shard's footer; SourceError when the file cannot be read as Parquet."""
    try:
        return pq.read_metadata(release / shard.path)
    except (OSError, pa.ArrowException) as error:
        raise SourceError(f"{release / shard.path}: cannot be read as Parquet ({error})") from None


def shard_frames(
    release: Path, shard: Shard, columns: list[str] | None = None
) -> Iterator[pl.DataFrame]:
    """A shard's rows (or some ``columns`` of them) as Polars reads them,
    :data:`PARQUET_BATCH_ROWS` at a time (a slice of the file is decoded at a time, so memory
    holds one batch, not a row group)."""
    rows = shard_footer(release, shard).num_rows
    scan = pl.scan_parquet(release / shard.path)
    if columns is not None:
        scan = scan.select(columns)
    for start in range(0, rows, PARQUET_BATCH_ROWS):
        try:
            yield scan.slice(start, PARQUET_BATCH_ROWS).collect()
        except pl.exceptions.PolarsError as error:
            message = " ".join(str(error).split())
            raise SourceError(f"{release / shard.path}: cannot be read ({message})") from None
