"""Assembling a release folder in a temporary place, and putting it in place when complete."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ptoffact_build.buildid import build_id, parquet_metadata
from ptoffact_build.describe.documents import REPORT_NAME, ReleaseDocuments, measure_and_draw
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.report import SourceRecord, report_json, source_records
from ptoffact_build.errors import DataInvalid
from ptoffact_build.jsonfile import write_json
from ptoffact_build.pipeline import CheckOptions, RunResult, run_tables
from ptoffact_build.pools import worker_pools
from ptoffact_build.progress import RowProgress
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


@dataclass(frozen=True)
class BuildOptions:
    """How a release is built: how its sources are checked, its shards' sizes, the
    ``--report`` file, the Hub repository its card's examples name (None: run from inside
    the release), what ``--source`` named (no output may lie inside it), and what the portal
    said of the files fetched from it (by file name)."""

    check: CheckOptions = field(default_factory=CheckOptions)
    shards: ShardOptions = field(default_factory=ShardOptions)
    report: Path | None = None
    repo: str | None = None
    source_spec: tuple[str | Path, ...] = ()
    fetched: Mapping[str, dict] = field(default_factory=dict)


def build_release(
    sources: dict[str, list[SourceFile]],
    out: Path,
    options: BuildOptions | None = None,
    progress: RowProgress | None = None,
) -> RunResult:
    """Build a release into ``out`` as ``options`` say; on failure ``out`` is left exactly
    as it was.

    ``out`` must be missing, an empty folder or a release (:func:`.outpath.check_out`); the
    release is assembled in a scratch folder beside it (in its closest existing ancestor:
    missing parents are made only when the release is put in place).
    """
    options = options or BuildOptions()
    roots = source_roots(options.source_spec, [s.path for f in sources.values() for s in f])
    out = check_out(out, roots)
    check_output_files(output_files(out, options.report, options.check.findings), out, roots)
    progress = progress or RowProgress.quiet()
    home = nearest_existing(out.parent)
    clean_stale_scratch(home)
    for note in recover_swap(out):
        progress.note(note)
        out = check_out(out, roots)
    records = source_records(sources, dict(options.fetched))
    build = build_id(records, options.check.policy, *options.shards.sizes())
    with worker_pools():
        work = make_scratch(home, out.name)
        sinks: dict[str, ReleaseSink] = {}
        try:
            for t in TABLES:
                member = copyable_member(sources[t])
                sinks[t] = ReleaseSink(work, t, options.shards, member=member)
            # the last table is written once everything is read: its sort may run ahead
            sinks[TABLES[-1]].ahead_runs = AHEAD_RUNS
            for sink in sinks.values():
                sink.parquet.key_value = parquet_metadata()
            result = run_tables(sources, options.check, sinks, progress)
            if not result.ok:
                failed = options.report or failed_report_path(out)
                write_json(failed, report_json(result, records))
                raise DataInvalid(invalid_message(result, failed))
            scratch = Scratch(work, out, sinks)
            finish_release(scratch, result, records, options, build, progress)
            return result
        finally:
            for sink in sinks.values():
                sink.settle()
            remove_scratch(work)


@dataclass(frozen=True)
class Scratch:
    """A release being assembled: its scratch folder, where it goes, its tables' writers."""

    work: Path
    out: Path
    sinks: dict[str, ReleaseSink]


def finish_release(
    scratch: Scratch,
    result: RunResult,
    records: list[SourceRecord],
    options: BuildOptions,
    build: str,
    progress: RowProgress,
) -> None:
    """Write the tables, describe them (the figures, the report, the card, the datapackage,
    croissant.json and SHA256SUMS, last: it covers every other file); put the release in
    place."""
    work = scratch.work
    closed = close_tables(scratch.sinks, result, progress)
    remove_scratch_files(work / SPILL)
    progress.note("describing the release: statistics, figures, card and metadata")
    shards = {t: [s.path for s in closed[t].shards] for t in TABLES}
    with result.watch.stage("describe: measure the shards, draw the figures"):
        facts, plots = measure_and_draw(work, shards)
    files = {t: closed[t].relative_to(work) for t in TABLES}
    quarantined = {t: result.tables[t].rows_quarantined for t in TABLES}
    year = datetime.now(UTC).year
    record = ReleaseRecord(build, result.policy, tuple(records), files, quarantined, year)
    if options.report is not None:  # its timings end here
        write_json(options.report, report_json(result, records, facts))
    own_report = report_json(result, records, facts, timings=False)
    ReleaseDocuments(work, facts, record, own_report, plots, options.repo).write()
    swap_into_place(work, scratch.out)


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
