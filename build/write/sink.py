"""The release sink: the writers of one table in a release folder, fed by the checker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa

from ptoffact_build.filerecord import FileRecord, record_of
from ptoffact_build.pools import pool
from ptoffact_build.read.readahead import prefetch
from ptoffact_build.schema import load_schema
from ptoffact_build.stopwatch import Stopwatch
from ptoffact_build.write.gzip_csv import GzipCsv
from ptoffact_build.write.parquet import ROW_GROUP_BYTES, SHARD_BYTES, ParquetShards
from ptoffact_build.write.quarantine import QuarantineCsv
from ptoffact_build.write.sort import SORT_KEYS, BucketSorter
from ptoffact_build.write.zip_copy import ZipMember, copy_member

SPILL = ".spill"  # the build's scratch files, inside its scratch folder
# The sort may run ahead of the Parquet writer by up to AHEAD_RUNS runs of RUN_BYTES, so it
# goes on while a row group is encoded (one run ahead, the two mostly take turns).
RUN_BYTES = 16 << 20
AHEAD_RUNS = 4


class Stopped(Exception):
    """Writing a table was abandoned because the build is ending."""


@dataclass(frozen=True)
class ShardOptions:
    """How big the Parquet shards and their row groups are (uncompressed bytes)."""

    shard_bytes: int = SHARD_BYTES
    row_group_bytes: int = ROW_GROUP_BYTES

    def sizes(self) -> tuple[int, int]:
        return self.shard_bytes, self.row_group_bytes


@dataclass(frozen=True)
class TableFiles:
    """The files written for one table: Parquet shards, the gzip CSV, the quarantine file."""

    shards: list[FileRecord]
    csv: FileRecord
    quarantine: FileRecord | None

    @property
    def parquet_bytes(self) -> int:
        return sum(s.bytes for s in self.shards)

    def relative_to(self, root: Path) -> TableFiles:
        """The same records with their paths relative to ``root``."""
        held = None if self.quarantine is None else self.quarantine.relative_to(root)
        shards = [s.relative_to(root) for s in self.shards]
        return replace(self, shards=shards, csv=self.csv.relative_to(root), quarantine=held)


@dataclass
class ReleaseSink:
    """The writers of one table in a release folder."""

    root: Path
    table: str
    options: ShardOptions
    parquet: ParquetShards = field(init=False)
    csv: GzipCsv = field(init=False)
    held: QuarantineCsv = field(init=False)
    sorter: BucketSorter = field(init=False)
    closing: Future | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    member: ZipMember | None = None  # the source whose deflate stream may be the gzip CSV
    copying: Future | None = None  # copying it, started with the table's first rows
    rows: int = 0
    ahead_runs: int = 1  # AHEAD_RUNS where the writer has the machine to itself (the last table)

    def __post_init__(self) -> None:
        schema = load_schema(self.table).arrow
        self.parquet = ParquetShards(
            self.root / "data" / self.table,
            schema,
            shard_bytes=self.options.shard_bytes,
            row_group_bytes=self.options.row_group_bytes,
            sorting_columns=SORT_KEYS,
        )
        self.sorter = BucketSorter(self.root / SPILL / self.table, schema)
        self.csv = GzipCsv(self.root / "csv" / f"{self.table}.csv.gz", schema)
        self.held = QuarantineCsv(self.root / "quarantine" / f"{self.table}.csv")

    def write(self, batch: pa.RecordBatch) -> None:
        if self.member is not None and self.copying is None:
            self.copying = Future()  # ours before queued, as in table_done
            copy_pool().submit(run_into, self.copying, self.copy_source)  # beside the reading
        self.sorter.write(batch)
        self.rows += batch.num_rows

    def quarantine(
        self, file: str, rows: pa.Array, reasons: pa.Array, text: pa.RecordBatch
    ) -> None:
        self.held.write(file, rows, reasons, text)

    def table_done(self, watch: Stopwatch) -> None:
        """Start writing the table while the next one is checked.

        The future is ours, made before the work is queued: even when Ctrl-C interrupts
        ``submit`` after the writer thread has started, :meth:`settle` can wait for it.
        """
        self.closing = Future()
        closer_pool().submit(run_into, self.closing, lambda: self.timed_close(watch))

    def copy_source(self) -> int | None:
        """Make the gzip CSV from the source's deflate stream (see :mod:`.zip_copy`); its
        rows, or None when the source's text is not the declared CSV."""
        assert self.member is not None  # only submitted with a member
        return copy_member(self.member, self.csv.path, self.parquet.schema.names, self.stop)

    def copied(self) -> bool:
        """Whether the gzip CSV is the source's copy: every row it holds was written."""
        if self.copying is None:
            return False
        rows = self.copying.result()
        if rows == self.rows and self.held.rows == 0:
            return True
        self.csv.path.unlink(missing_ok=True)  # written from the rows instead
        return False

    def timed_close(self, watch: Stopwatch) -> TableFiles:
        with watch.stage("write: sort, Parquet, gzip CSV (worker thread)"):
            return self.close_now()

    def close(self) -> TableFiles:
        """The written files (waiting for the writing started by :meth:`table_done`)."""
        return self.closing.result() if self.closing is not None else self.close_now()

    def settle(self) -> None:
        """Stop writing in progress and wait for it to end (before cleaning up)."""
        self.stop.set()
        for job in (self.copying, self.closing):
            if job is not None and not job.cancel():  # it started: let it stop
                wait([job])

    def close_now(self) -> TableFiles:
        """Write the rows in key order, then close every file.

        The gzip CSV is the source's own deflate stream when :meth:`copy_source` could copy
        it (it runs beside the sort); otherwise the rows are written to it in key order.
        """
        copied = self.copied()
        csv_pool = pool("csv")
        pending = None
        for run in prefetch(runs_of(self.sorter.sorted_batches()), self.ahead_runs):
            for batch in run:  # sorted ahead while a row group is encoded
                if self.stop.is_set():
                    raise Stopped(self.table)
                if not copied:
                    if pending is not None:
                        pending.result()  # CSV batches stay in order
                    pending = csv_pool.submit(self.csv.write, batch)
                self.parquet.write(batch)
        if pending is not None:
            pending.result()
        shards = self.parquet.close()
        csv = record_of(self.csv.path, self.rows) if copied else self.csv.close()
        return TableFiles(shards, csv, self.held.close())


def runs_of(batches: Iterator[pa.RecordBatch], run_bytes: int = RUN_BYTES) -> Iterator[list]:
    """The batches in order, gathered into lists of about ``run_bytes``."""
    run: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        run.append(batch)
        size += batch.nbytes
        if size >= run_bytes:
            yield run
            run, size = [], 0
    if run:
        yield run


def run_into(done: Future, work: Callable[[], object]) -> None:
    """Run ``work`` into ``done``, unless ``done`` was cancelled before it started (settled:
    nothing to do)."""
    if not done.set_running_or_notify_cancel():
        return
    try:
        done.set_result(work())
    except BaseException as error:
        done.set_exception(error)


def copy_pool() -> ThreadPoolExecutor:
    """One thread that copies source deflate streams into gzip CSVs."""
    return pool("copy")


def closer_pool() -> ThreadPoolExecutor:
    """One thread that writes finished tables, in order, while later ones are checked."""
    return pool("writer")
