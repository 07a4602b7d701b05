"""Assembling a release folder in a temporary place, and putting it in place when complete."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ptoffact_build.allocators import use_lean_allocators
from ptoffact_build.buildid import (
    PLACEHOLDER_VERSION,
    build_id,
    content_version,
    data_id,
    parquet_metadata,
)
from ptoffact_build.check.keys import spill_into
from ptoffact_build.contents import DATAPACKAGE
from ptoffact_build.describe.card import render_card, split_sizes, table_description
from ptoffact_build.describe.croissant import CROISSANT, release_croissant
from ptoffact_build.describe.datapackage import release_datapackage
from ptoffact_build.describe.figure_process import FigureProcess
from ptoffact_build.describe.plots import IMAGES, Plot, figure_data, per_mail_year
from ptoffact_build.describe.report import Origin, SourceRecord, report_json, source_records
from ptoffact_build.errors import DataInvalid
from ptoffact_build.hashing import file_sha256
from ptoffact_build.jsonfile import json_text, replace_json, write_json
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
    SCRATCH_MARK,
    clean_stale_scratch,
    make_scratch,
    recover_swap,
    remove_scratch,
    swap_into_place,
)
from ptoffact_build.write.sink import AHEAD_RUNS, SPILL, ReleaseSink, ShardOptions, TableFiles
from ptoffact_build.write.sums import write_sums
from ptoffact_build.write.zip_copy import copyable_member

REPORT_NAME = "validation_report.json"
CARD = "README.md"
DEFAULT_REPORT = "--report (by default beside --out)"


def written_files(root: Path) -> list[str]:
    """The files written in a scratch folder so far, as sorted POSIX paths inside it (its
    marker and spill folder aside)."""
    found = (p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return sorted(p.as_posix() for p in found if p.parts[0] not in (SCRATCH_MARK, SPILL))


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
            with spill_into(work / SPILL):
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
                replace_json(failed, report)
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
    """Write the tables, the report, the card, the datapackage and SHA256SUMS (last: it covers
    every other file); put the release in place."""
    plots: list[Plot] = []
    if not result.statistics:  # nothing to draw
        closed = close_tables(sinks, result, progress)
    else:
        closed, plots = close_tables_drawing_figures(work, sinks, result, progress)
    remove_scratch_files(work / SPILL)
    progress.note("writing the dataset card, datapackage.json and croissant.json")
    report = report_json(result, records)  # after writing: its timings are complete
    write_json(work / REPORT_NAME, report_json(result, records, timings=False))
    if report_path is not None:
        replace_json(report_path, report)
    documents = ReleaseDocuments(work, closed, result, records, build, repo, plots)
    digests = documents.write()
    write_sums(work, digests)  # last: it covers every other file
    swap_into_place(work, out)


@dataclass
class ReleaseDocuments:
    """The card, the datapackage and croissant.json of a release assembled in ``work``, which
    name its version: a digest of every file, these three written with a placeholder version."""

    work: Path
    closed: dict[str, TableFiles]
    result: RunResult
    records: list[SourceRecord]
    build: str
    repo: str | None
    plots: list[Plot]
    year: int = field(default_factory=lambda: datetime.now(UTC).year)

    def rendered(self, version: str) -> dict[str, bytes]:
        """The documents' bytes by path, naming ``version``."""
        described = {t: table_description(data_id(self.closed[t].shards)) for t in TABLES}
        sizes = split_sizes(self.closed)
        card = render_card(
            self.result, self.records, sizes, self.repo, self.year, described, self.plots, version
        )
        files = [*written_files(self.work), CARD, DATAPACKAGE, CROISSANT]
        package = release_datapackage(
            self.work, self.closed, self.result, self.records, files, version
        )
        package["ptoffact"]["build_id"] = self.build
        croissant = release_croissant(package, Origin.of_build(self.records), self.year)
        return {
            CARD: card.encode("utf-8"),
            DATAPACKAGE: json_text(package).encode("utf-8"),
            CROISSANT: json_text(croissant).encode("utf-8"),
        }

    def known_digests(self) -> dict[str, str]:
        """The sha256 of every other file of the release by path (the tables' files were
        hashed as they were written)."""
        digests = {
            record.path.relative_to(self.work).as_posix(): record.sha256
            for files in self.closed.values()
            for record in [*files.shards, files.csv, *filter(None, [files.quarantine])]
        }
        for name in written_files(self.work):
            if name not in digests:
                digests[name] = file_sha256(self.work / name)
        return digests

    def write(self) -> dict[str, str]:
        """Write the documents with the release's version; the sha256 of every file."""
        digests = self.known_digests()
        drafts = self.rendered(PLACEHOLDER_VERSION)
        version = content_version(digests | {n: sha256_of(b) for n, b in drafts.items()})
        for name, data in self.rendered(version).items():
            (self.work / name).write_bytes(data)
            digests[name] = sha256_of(data)
        return digests


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def close_tables_drawing_figures(
    work: Path, sinks: dict[str, ReleaseSink], result: RunResult, progress: RowProgress
) -> tuple[dict[str, TableFiles], list[Plot]]:
    """Wait for the writers while a child process draws the figures into ``work``."""
    with result.watch.stage("figures (separate process)"):  # from its start to its result
        figures = FigureProcess(work / IMAGES, figure_data(result), per_mail_year(result))
        try:  # the figures are drawn while the writers finish
            closed = close_tables(sinks, result, progress)
            return closed, figures.result()
        finally:  # it draws into the scratch folder, which a failure removes
            figures.stop()


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
