"""Assembling a release folder in a temporary place, and putting it in place when complete."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ptoffact_build.allocators import use_lean_allocators
from ptoffact_build.buildid import build_id, parquet_metadata
from ptoffact_build.describe.documents import REPORT_NAME, ReleaseDocuments, measure_and_draw
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.report import SourceRecord, report_json, source_records
from ptoffact_build.errors import DataInvalid
from ptoffact_build.jsonfile import write_json
from ptoffact_build.pipeline import RunResult, run_tables
from ptoffact_build.pools import worker_pools
from ptoffact_build.progress import RowProgress
from ptoffact_build.read.csv_reader import DEFAULT_CHUNK_BYTES
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.schema import TABLES
from ptoffact_build.write.outpath import (
    check_out,
    check_output_files,
    nearest_existing,
    source_roots,
)
from ptoffact_build.write.scratch import (
    clean_stale_scratch,
    make_scratch,
    recover_swap,
    remove_scratch,
    swap_into_place,
)
from ptoffact_build.write.sink import AHEAD_RUNS, SPILL, ReleaseSink, ShardOptions, TableFiles
from ptoffact_build.write.zip_copy import copyable_member

DEFAULT_REPORT = "--report (by default beside --out)"


def failed_report_path(out: Path) -> Path:
    """Where a failed build leaves its report: beside the release, never inside it."""
    return out.parent / f"{out.name}.{REPORT_NAME}"


def output_files(out: Path, report: Path | None, findings: Path | None) -> dict[str, Path | None]:
    """The files a build may write besides the release, by the option that names them: the
    report (``--report``, else the default place of a failed build's) and the findings."""
    report_option = "--report" if report is not None else DEFAULT_REPORT
    return {report_option: report or failed_report_path(out), "--findings": findings}


def build_release(
    sources: dict[str, list[SourceFile]],
    out: Path,
    *,
    policy: str = "fail",
    report_path: Path | None = None,
    progress: RowProgress | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    shard_options: ShardOptions | None = None,
    fetched: dict[str, dict] | None = None,
    keep_all: bool = False,
    source_spec: Iterable[str | Path] = (),
    findings: Path | None = None,
    repo: str | None = None,
) -> RunResult:
    """Build a release into ``out``; on failure ``out`` is left exactly as it was.

    With ``repo`` (OWNER/NAME) the card's loading examples name that Hub repository.

    ``out`` must be missing, an empty folder or a release (:func:`.outpath.check_out`); the
    release is assembled in a scratch folder beside it (in its closest existing ancestor:
    missing parents are made only when the release is put in place).
    """
    use_lean_allocators(map_large_blocks=True)
    roots = source_roots(source_spec, [s.path for files in sources.values() for s in files])
    out = check_out(out, roots)
    check_output_files(output_files(out, report_path, findings), out, roots)
    progress = progress or RowProgress.quiet()
    home = nearest_existing(out.parent)
    clean_stale_scratch(home)
    for note in recover_swap(out):
        progress.note(note)
        out = check_out(out, roots)
    records = source_records(sources, fetched)
    shard_options = shard_options or ShardOptions()
    build = build_id(records, policy, shard_options.shard_bytes, shard_options.row_group_bytes)
    with worker_pools():
        work = make_scratch(home, out.name)
        sinks: dict[str, ReleaseSink] = {}
        try:
            for t in TABLES:
                member = copyable_member(sources[t])
                sinks[t] = ReleaseSink(work, t, shard_options, member=member)
            # the last table is written once everything is read: its sort may run ahead
            sinks[TABLES[-1]].ahead_runs = AHEAD_RUNS
            for sink in sinks.values():
                sink.parquet.key_value = parquet_metadata()
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
                write_json(failed, report)
                raise DataInvalid(invalid_message(result, failed))
            finish_release(work, out, sinks, result, records, report_path, progress, build, repo)
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
    build: str = "",
    repo: str | None = None,
) -> None:
    """Write the tables, describe them (the figures, the report, the card, the datapackage,
    croissant.json and SHA256SUMS, last: it covers every other file); put the release in
    place."""
    closed = close_tables(sinks, result, progress)
    remove_scratch_files(work / SPILL)
    progress.note("describing the release: statistics, figures, card and metadata")
    shards = {t: [s.path for s in closed[t].shards] for t in TABLES}
    with result.watch.stage("describe: measure the shards, draw the figures"):
        facts, plots = measure_and_draw(work, shards)
    files = {t: closed[t].relative_to(work) for t in TABLES}
    quarantined = {t: result.tables[t].rows_quarantined for t in TABLES}
    year = datetime.now(UTC).year
    record = ReleaseRecord(build, result.policy, tuple(records), files, quarantined, year)
    report = report_json(result, records, facts)  # its timings end here
    if report_path is not None:
        write_json(report_path, report)
    own_report = report_json(result, records, facts, timings=False)
    ReleaseDocuments(work, facts, record, own_report, plots, repo).write()
    swap_into_place(work, out)


def close_tables(
    sinks: dict[str, ReleaseSink], result: RunResult, progress: RowProgress
) -> dict[str, TableFiles]:
    """Wait for each table's writer to finish its files."""
    closed: dict[str, TableFiles] = {}
    for table in TABLES:
        rows = result.tables[table].rows_valid
        progress.note(f"{table}: writing {rows:,} rows (Parquet in key order, gzip CSV)")
        with result.watch.stage("write: waiting for the writer"):
            closed[table] = sinks[table].close()
    return closed


def remove_scratch_files(folder: Path) -> None:
    """Remove the build's spill folder (empty by now, or holding spent scratch)."""
    if folder.exists():
        shutil.rmtree(folder)


def invalid_message(result: RunResult, report: Path | None, building: bool = True) -> str:
    """One line, the same for ``build`` and ``validate``: how many findings, the first of them,
    whether a release was written (``build`` only) and where the report is."""
    first = result.log.first()
    head = (
        f"{result.log.total:,} validation error(s); first: {first.one_line()}"
        if first
        else "validation failed"
    )
    parts = [head] + (["no release written"] if building else [])
    return "; ".join(parts + ([f"report: {report}"] if report else []))
