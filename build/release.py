"""Assembling a release folder in a temporary place, and putting it in place when complete."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ptoffact_build.check.keys import spill_into
from ptoffact_build.describe.card import SourceRecord, render_card
from ptoffact_build.describe.datapackage import FileEntry, datapackage, table_resource, write_json
from ptoffact_build.errors import DataInvalid
from ptoffact_build.pipeline import RunResult, run_tables
from ptoffact_build.pools import pool, worker_pools
from ptoffact_build.progress import RowProgress
from ptoffact_build.read.csv_reader import BUILD_CHUNK_BYTES
from ptoffact_build.read.readahead import prefetch
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.schema import TABLES, load_schema, to_arrow
from ptoffact_build.stopwatch import Stopwatch
from ptoffact_build.write.files import (
    ROW_GROUP_BYTES,
    SHARD_BYTES,
    GzipCsv,
    ParquetShards,
    QuarantineCsv,
    sha256_of,
)
from ptoffact_build.write.outpath import check_out, check_report, nearest_existing, source_roots
from ptoffact_build.write.scratch import (
    RELEASE_MARK,
    SCRATCH_MARK,
    clean_stale_scratch,
    make_scratch,
    recover_swap,
    remove_scratch,
    swap_into_place,
)
from ptoffact_build.write.sort import SORT_KEYS, BucketSorter

REPORT_NAME = "validation_report.json"
SPILL = ".spill"  # the build's scratch files, inside its scratch folder


class Stopped(Exception):
    """Writing a table was abandoned because the build is ending."""


@dataclass
class ShardOptions:
    shard_bytes: int = SHARD_BYTES
    row_group_bytes: int = ROW_GROUP_BYTES


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

    def __post_init__(self) -> None:
        schema = to_arrow(load_schema(self.table))
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
        self.sorter.write(batch)

    def quarantine(
        self, file: str, rows: pa.Array, reasons: pa.Array, text: pa.RecordBatch
    ) -> None:
        self.held.write(file, rows, reasons, text)

    def table_done(self, watch: Stopwatch) -> None:
        """Start writing the table while the next one is checked."""
        self.closing = closer_pool().submit(self.timed_close, watch)

    def timed_close(self, watch: Stopwatch) -> dict:
        with watch.stage("write: sort, Parquet, gzip CSV (worker thread)"):
            return self.close_now()

    def close(self) -> dict:
        """The written files (waiting for the writing started by :meth:`table_done`)."""
        return self.closing.result() if self.closing is not None else self.close_now()

    def settle(self) -> None:
        """Stop writing in progress and wait for it to end (before cleaning up)."""
        self.stop.set()
        if self.closing is not None:
            wait([self.closing])

    def close_now(self) -> dict:
        """Write the rows in key order, then close every file."""
        csv_pool = pool("csv")
        pending = None
        for batch in prefetch(self.sorter.sorted_batches()):  # sort ahead while writing
            if self.stop.is_set():
                raise Stopped(self.table)
            if pending is not None:
                pending.result()  # CSV batches stay in order
            pending = csv_pool.submit(self.csv.write, batch)
            self.parquet.write(batch)
        if pending is not None:
            pending.result()
        return {
            "shards": self.parquet.close(),
            "csv": self.csv.close(),
            "quarantine": self.held.close(),
        }


def closer_pool() -> ThreadPoolExecutor:
    """One thread that writes finished tables, in order, while later ones are checked."""
    return pool("writer")


def report_json(result: RunResult, sources: list[SourceRecord]) -> dict:
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
                    s.path.name,
                    s.path.stat().st_size,
                    info.get("sha256") or sha256_of(s.path),
                    info.get("modified"),
                    info.get("fetched_at"),
                )
            )
    return records


def release_datapackage(
    root: Path, closed: dict[str, dict], result: RunResult, sources: list[SourceRecord]
) -> dict:
    """The release's datapackage.json: gzip CSV resources, Parquet shards listed beside them."""
    resources = []
    for table in TABLES:
        files = closed[table]
        csv = files["csv"]
        shards = [
            {
                "path": rel(root, s.path),
                "bytes": s.bytes,
                "hash": f"sha256:{s.sha256}",
                "rows": s.rows,
            }
            for s in files["shards"]
        ]
        extra = {"parquet": shards}
        held = files["quarantine"]
        extra["quarantined"] = {"rows": result.tables[table].rows_quarantined}
        if held is not None:
            extra["quarantined"].update(path=rel(root, held.path), hash=f"sha256:{held.sha256}")
        entry = FileEntry(rel(root, csv.path), csv.bytes, csv.sha256, csv.rows)
        resources.append(table_resource(load_schema(table), entry, **extra))
    block = {
        "sources": [s.to_json() for s in sources],
        "policy": result.policy,
        "release_entries": release_entries(root),
    }
    return datapackage(resources, ptoffact=block)


def release_entries(root: Path) -> list[str]:
    """What the release folder holds at its top: the marker that a later build may replace
    it (see :mod:`.scratch`), and may delete nothing else."""
    names = {e.name for e in root.iterdir()} - {SCRATCH_MARK, SPILL}
    return sorted(names | {RELEASE_MARK})


def rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def write_report(path: Path, report: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )


def failed_report_path(out: Path) -> Path:
    """Where a failed build leaves its report: beside the release, never inside it."""
    return out.parent / f"{out.name}.{REPORT_NAME}"


def build_release(
    sources: dict[str, list[SourceFile]],
    out: Path,
    *,
    policy: str = "fail",
    report_path: Path | None = None,
    progress: RowProgress | None = None,
    chunk_bytes: int = BUILD_CHUNK_BYTES,
    shard_options: ShardOptions | None = None,
    fetched: dict[str, dict] | None = None,
    keep_all: bool = False,
    source_spec: Iterable[str | Path] = (),
    findings: Path | None = None,
) -> RunResult:
    """Build a release into ``out``; on failure ``out`` is left exactly as it was.

    ``out`` must be missing, an empty folder or a release (:func:`.outpath.check_out`); the
    release is assembled in a scratch folder beside it (in its closest existing ancestor:
    missing parents are made only when the release is put in place).
    """
    roots = source_roots(source_spec, [s.path for files in sources.values() for s in files])
    out = check_out(out, roots)
    check_report(report_path, out, roots)
    progress = progress or RowProgress.quiet()
    home = nearest_existing(out.parent)
    clean_stale_scratch(home)
    for note in recover_swap(out):
        progress.note(note)
        out = check_out(out, roots)
    records = source_records(sources, fetched)
    with worker_pools():
        work = make_scratch(home, out.name)
        sinks: dict[str, ReleaseSink] = {}
        try:
            with spill_into(work / SPILL):
                sinks.update(
                    (t, ReleaseSink(work, t, shard_options or ShardOptions())) for t in TABLES
                )
                result = run_tables(
                    sources,
                    policy=policy,
                    sinks=sinks,
                    progress=progress,
                    chunk_bytes=chunk_bytes,
                    keep_all=keep_all,
                    findings=findings,
                )
            if not result.ok:
                report = report_json(result, records)
                failed = report_path or failed_report_path(out)
                write_report(failed, report)
                raise DataInvalid(invalid_message(result, failed))
            finish_release(work, out, sinks, result, records, report_path, progress)
            return result
        finally:
            for sink in sinks.values():
                sink.settle()
            remove_scratch(work)


def finish_release(
    work: Path,
    out: Path,
    sinks: dict[str, ReleaseSink],
    result: RunResult,
    records: list[SourceRecord],
    report_path: Path | None,
    progress: RowProgress,
) -> None:
    """Write the tables, the report, the card and the datapackage; put the release in place."""
    closed = {}
    for table in TABLES:
        rows = result.tables[table].rows_valid
        progress.note(f"{table}: writing {rows:,} rows in key order (Parquet, gzip CSV)")
        with result.watch.stage("write: waiting for the writer"):
            closed[table] = sinks[table].close()
    remove_scratch_files(work / SPILL)
    progress.note("writing the dataset card and datapackage.json")
    report = report_json(result, records)  # after writing: its timings are complete
    write_report(work / REPORT_NAME, report)
    if report_path is not None:
        write_report(report_path, report)
    parquet_bytes = {t: sum(s.bytes for s in closed[t]["shards"]) for t in TABLES}
    card = render_card(result, records, str(out), parquet_bytes)
    (work / "README.md").write_text(card, encoding="utf-8")
    # last: its list of the folder's entries marks the folder as a release
    write_json(work / RELEASE_MARK, release_datapackage(work, closed, result, records))
    swap_into_place(work, out)


def remove_scratch_files(folder: Path) -> None:
    """Remove the build's spill folder (empty by now, or holding spent scratch)."""
    if folder.exists():
        shutil.rmtree(folder)


def invalid_message(result: RunResult, report: Path) -> str:
    """One line: how many findings, the first of them, and where the report is."""
    first = result.log.first()
    head = (
        f"{result.log.total:,} validation error(s); first: {first.one_line()}"
        if first
        else "validation failed"
    )
    return f"{head}; no release written; report: {report}"
