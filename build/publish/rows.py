"""``verify --rows``: every row of a release re-checked, the Parquet shards against the CSV copies.

The gzip CSV copies go through the validation pipeline (:func:`.pipeline.run_all_tables`, the
checks proven equal to frictionless-py's), so every CSV row is checked against its Table
Schema: types, constraints, the primary key and the foreign keys. Each valid CSV row, typed
as the release's Arrow schema, is hashed into a :class:`.rowdigest.RowDigest`; on another
thread, meanwhile, so is every row of the table's Parquet shards. When the two digests agree
the shards hold exactly the CSV's valid rows (as a multiset; the order may differ), so every
Parquet row was checked too. Where they disagree, :mod:`.rowmatch` names the rows that
differ and checks those Parquet rows against the schema directly.

Besides the rows: each shard's Arrow schema must be its table's (names, types,
nullability), and the row counts must be those the release records (the datapackage's
``rows`` per table and per shard, the Parquet footers, the CSV copy's rows).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ptoffact_build.check.findings import Finding, FindingLog, finding_log
from ptoffact_build.contents import DATAPACKAGE
from ptoffact_build.pipeline import CheckOptions, RunResult, run_all_tables
from ptoffact_build.pools import InOrder, pool
from ptoffact_build.progress import RowProgress
from ptoffact_build.publish.recorded import (
    RecordedTable,
    Shard,
    recorded_tables,
    shard_footer,
    shard_frames,
)
from ptoffact_build.publish.rowdigest import RowDigest, row_hashes
from ptoffact_build.publish.rowmatch import name_differences
from ptoffact_build.read.csv_reader import DEFAULT_CHUNK_BYTES
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.release_folder import open_release
from ptoffact_build.schema import TABLES, load_schema
from ptoffact_build.stopwatch import Stopwatch

# Finding types of verify --rows beyond frictionless' (README: "Verifying a release's rows";
# also rowmatch's COPY_MISMATCH)
ROW_COUNT = "row-count"  # rows counted differ from the rows recorded
PARQUET_SCHEMA = "parquet-schema"  # a shard whose Arrow schema is not its table's
HASHES_QUEUED = 2  # CSV batches waiting to be hashed while the next is checked


def same_schema(found: pa.Schema, expected: pa.Schema) -> bool:
    """Names, types and nullability equal (metadata aside)."""
    return found.remove_metadata().equals(expected.remove_metadata())


def schema_note(found: pa.Schema, expected: pa.Schema) -> str:
    """What differs between a shard's schema and its table's, in a few words."""
    if found.names != expected.names:
        return f"columns {found.names} instead of {expected.names}"
    for got, want in zip(found, expected, strict=True):
        if not got.equals(want):
            return f"column {want.name} is {got} instead of {want}"
    return "its schema differs from the table's"


def checked_shards(release: Path, table: RecordedTable, log: FindingLog) -> list[Shard]:
    """The table's shards whose schema is the table's (their rows are compared); findings
    for the others and for row counts that differ from the records."""
    expected = load_schema(table.name).arrow
    usable, total = [], 0
    for shard in table.shards:
        footer = shard_footer(release, shard)
        total += footer.num_rows
        if shard.rows is not None and footer.num_rows != shard.rows:
            note = f"the shard holds {footer.num_rows:,} rows, {DATAPACKAGE} records {shard.rows:,}"
            log.add(Finding(table.name, shard.path, None, None, ROW_COUNT, None, note))
        found = footer.schema.to_arrow_schema()
        if same_schema(found, expected):
            usable.append(shard)
            continue
        note = f"{schema_note(found, expected)}; its rows are not compared"
        log.add(Finding(table.name, shard.path, None, None, PARQUET_SCHEMA, None, note))
    if table.rows is not None and total != table.rows:
        note = f"the Parquet shards hold {total:,} rows, {DATAPACKAGE} records {table.rows:,}"
        where = f"data/{table.name}/"
        log.add(Finding(table.name, where, None, None, ROW_COUNT, None, note))
    return usable


@dataclass
class ParquetDigests:
    """The digests of every table's Parquet rows, made on a worker thread."""

    release: Path
    shards: Mapping[str, list[Shard]]
    watch: Stopwatch
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> dict[str, RowDigest]:
        digests = {}
        for table in TABLES:
            digests[table] = RowDigest()
            for shard in self.shards[table]:
                frames = shard_frames(self.release, shard)
                for frame in self.watch.timed("parquet rows read (worker thread)", frames):
                    if self.stop.is_set():
                        return digests
                    with self.watch.stage("parquet rows hashed (worker thread)"):
                        digests[table].add(row_hashes(frame))
        return digests


@dataclass
class CsvDigests:
    """The digests of every table's valid CSV rows (a pipeline RowObserver), hashed on a
    worker thread while the next batch is checked."""

    watch: Stopwatch
    digests: dict[str, RowDigest] = field(default_factory=lambda: {t: RowDigest() for t in TABLES})
    line: InOrder[tuple[str, pa.RecordBatch]] = field(init=False)

    def __post_init__(self) -> None:
        self.line = InOrder("csv-rows", self.watch, "wait for the CSV rows' hashes", HASHES_QUEUED)

    def observe(self, table: str, file: str, rows: np.ndarray, typed: pa.RecordBatch) -> None:
        if typed.num_rows:
            self.line.submit(self.add, (table, typed))

    def add(self, item: tuple[str, pa.RecordBatch]) -> None:
        table, typed = item
        with self.watch.stage("csv rows hashed (worker thread)"):
            self.digests[table].add(row_hashes(typed))


@dataclass
class RowsCheck:
    """What ``verify --rows`` found: the pipeline's result (its log holds every finding)
    and, per table, the Parquet rows and the hash buckets in which the two copies differ."""

    result: RunResult
    tables: dict[str, RecordedTable]
    parquet_rows: dict[str, int]
    differing_buckets: dict[str, int]

    @property
    def ok(self) -> bool:
        return self.result.log.total == 0


def verify_rows(
    release: Path,
    *,
    findings: Path | None = None,
    progress: RowProgress | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> RowsCheck:
    """Re-check every row of the release (see the module's docstring); every finding goes to
    the result's log (and to ``findings``, a CSV or JSON Lines file, if given)."""
    with open_release(release) as folder:
        tables = recorded_tables(folder.package())
    sources = {t: [tables[t].source(release)] for t in TABLES}
    with finding_log(findings) as log:
        return check_release_rows(release, tables, sources, log, progress, chunk_bytes)


def check_release_rows(
    release: Path,
    tables: dict[str, RecordedTable],
    sources: dict[str, list[SourceFile]],
    log: FindingLog,
    progress: RowProgress | None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
) -> RowsCheck:
    """The first pass (both copies hashed side by side), the counts, then the rows named
    where the copies differ."""
    usable = {t: checked_shards(release, tables[t], log) for t in TABLES}
    watch = Stopwatch()
    parquet = ParquetDigests(release, usable, watch)
    pending = pool("parquet-rows").submit(parquet.run)
    csv = CsvDigests(watch)
    try:
        options = CheckOptions(chunk_bytes=chunk_bytes)
        quiet = progress or RowProgress.quiet()
        result = run_all_tables(sources, options, None, quiet, log, observer=csv)
        csv.line.wait()
        if progress is not None and not pending.done():
            progress.note("hashing the last Parquet rows")
        digests = pending.result()
    finally:
        parquet.stop.set()
    result.watch = merged(result.watch, watch)
    count_findings(tables, result, log)
    differing = {t: compared(csv.digests[t], digests[t], result, t) for t in TABLES}
    if any(len(b) for b in differing.values()):
        with result.watch.stage("naming the rows that differ"):
            name_differences(
                release, sources, usable, csv.digests, digests, differing, log, progress
            )
    return RowsCheck(
        result,
        tables,
        {t: digests[t].rows for t in TABLES},
        {t: len(differing[t]) for t in TABLES},
    )


def compared(csv: RowDigest, parquet: RowDigest, result: RunResult, table: str) -> np.ndarray:
    """The buckets in which a table's copies differ; none for a CSV copy that could not be
    read to its end (its encoding-error says so; its rows were not all seen)."""
    if result.tables[table].unreadable:
        return np.zeros(0, np.intp)
    return csv.differing(parquet)


def merged(first: Stopwatch, second: Stopwatch) -> Stopwatch:
    """One stopwatch holding both's stages."""
    for name, seconds in second.seconds.items():
        first.seconds[name] += seconds
    return first


def count_findings(tables: dict[str, RecordedTable], result: RunResult, log: FindingLog) -> None:
    """A finding for each CSV copy whose rows differ in number from the datapackage's record
    (not for an unreadable one: its encoding-error says why)."""
    for name, table in tables.items():
        done = result.tables[name]
        if table.rows is None or done.unreadable or done.rows_read == table.rows:
            continue
        file = Path(table.csv).name
        note = f"the CSV copy holds {done.rows_read:,} rows, {DATAPACKAGE} records {table.rows:,}"
        log.add(Finding(name, file, None, None, ROW_COUNT, str(done.rows_read), note))
