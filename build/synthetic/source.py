"""The driver: every chunk of applications through the three tables' writers, into zips that
replace only what an earlier run wrote."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from ptoffact_build.errors import UsageError
from ptoffact_build.progress import RowProgress
from ptoffact_build.read.sources import classify
from ptoffact_build.schema import TABLES
from ptoffact_build.synthetic.actions import make_actions
from ptoffact_build.synthetic.citations import make_citations
from ptoffact_build.synthetic.plan import Plan, draw_app_ids, make_plan
from ptoffact_build.synthetic.rejections import make_rejections, subtypes
from ptoffact_build.synthetic.writer import TableStats, TableWriter
from ptoffact_build.write.outpath import nearest_existing, writable_folder

MARK = b"ptoffact synthesize"
"""How every zip written here begins its comment: a later run replaces only such files."""


def zip_path(out: Path, table: str) -> Path:
    return out / f"{table}.csv.zip"


def written_here(path: Path) -> bool:
    """Whether ``path`` is a regular file (not a link) and a zip this module wrote."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with zipfile.ZipFile(path) as archive:
            return archive.comment.startswith(MARK)
    except (OSError, zipfile.BadZipFile):
        return False


def check_place(out: Path) -> None:
    """A usage error unless the zips can go into ``out`` without overwriting anyone's file
    or joining another source of a table."""
    if out.is_symlink() and not out.exists():
        raise UsageError(f"{out}: a link to nothing; name a folder")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file, not a folder")
    writable_folder(nearest_existing(out), str(out))
    if not out.is_dir():
        return
    ours = {zip_path(out, t).name for t in TABLES}
    for entry in sorted(out.iterdir()):
        if entry.name in ours and not written_here(entry):
            raise UsageError(
                f"{entry} exists and was not written by `ptoffact synthesize`; refusing to "
                "overwrite it (move it, or choose another folder)"
            )
        source = classify(entry)
        if entry.name not in ours and source is not None and not entry.name.startswith("."):
            raise UsageError(
                f"{out} holds {entry.name}, a file of table {source.table}: the synthetic zips "
                "would be a second source for it (choose a new or empty folder)"
            )


def generate_chunk(
    plan: Plan, chunk: int, seed: int, app_ids: np.ndarray, orphan_ids: np.ndarray, key: int
) -> dict[str, dict[str, pa.Array]]:
    """All three tables' rows for one chunk of applications."""
    rng = np.random.default_rng([seed, chunk])
    a0, a1 = plan.share(plan.apps, chunk)
    o0, o1 = plan.share(plan.rows["office_actions"], chunk)
    r0, r1 = plan.share(plan.rows["rejections"], chunk)
    c0, c1 = plan.share(plan.rows["citations"], chunk)
    g0, g1 = plan.share(plan.orphan_apps, chunk)
    h0, h1 = plan.share(plan.orphan_rows, chunk)
    apps = app_ids[a0:a1]
    oa = make_actions(rng, apps, o1 - o0, o0, key)
    sub = subtypes(rng, oa)
    return {
        "office_actions": oa.columns,
        "rejections": make_rejections(rng, oa, sub, r1 - r0, apps),
        "citations": make_citations(rng, oa, sub, apps, orphan_ids[g0:g1], c1 - c0, h1 - h0),
    }


def write_source(
    out: Path,
    scale: float,
    seed: int = 0,
    *,
    compresslevel: int = 1,
    crlf: bool = False,
    progress: RowProgress | None = None,
) -> dict[str, TableStats]:
    """Write ``<table>.csv.zip`` for the three tables into ``out``; return rows and sizes.

    ``out`` is made if missing. Each zip is written as a hidden partial file beside its name
    and renamed into place when all three are complete, so a failed or interrupted run leaves
    what was there before. Line endings are LF unless ``crlf``; ``compresslevel`` is zlib's
    (1 is fastest). Raises ValueError for a scale or seed out of range.
    """
    plan = make_plan(scale)
    if seed < 0:
        raise ValueError(f"seed {seed}: must be 0 or more")
    out = Path(out)
    check_place(out)
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    partial = {t: out / f".{t}.csv.zip.partial-{os.getpid()}" for t in TABLES}
    comment = MARK + f": scale {scale!r}, seed {seed}".encode()
    try:
        stats = write_tables(plan, partial, seed, compresslevel, crlf, comment, progress)
    except BaseException:
        for path in partial.values():
            path.unlink(missing_ok=True)
        if made and not any(out.iterdir()):
            out.rmdir()
        raise
    for table, path in partial.items():
        os.replace(path, zip_path(out, table))
    return stats


def write_tables(
    plan: Plan,
    paths: dict[str, Path],
    seed: int,
    compresslevel: int,
    crlf: bool,
    comment: bytes,
    progress: RowProgress | None,
) -> dict[str, TableStats]:
    """Generate the plan's chunks and stream each table's rows into its zip at ``paths``."""
    progress = progress or RowProgress.quiet()
    ids = draw_app_ids(plan, seed)
    app_ids, orphan_ids = ids[: plan.apps], ids[plan.apps :]
    key = int(np.random.default_rng([seed, 0x1F]).integers(0, 2**30))
    eol = "\r\n" if crlf else "\n"
    writers: dict[str, TableWriter] = {}
    written = 0  # bytes of CSV shown so far
    try:
        for table in TABLES:
            writers[table] = TableWriter(paths[table], table, compresslevel, eol, comment)
        progress.start("synthesizing")
        for chunk in range(plan.chunks):
            rows = generate_chunk(plan, chunk, seed, app_ids, orphan_ids, key)
            for table, columns in rows.items():
                writers[table].put(columns)
            csv_bytes = sum(w.stats.csv_bytes for w in writers.values())
            progress.advance(sum(len(c["app_id"]) for c in rows.values()), csv_bytes - written)
            written = csv_bytes
    finally:
        stats = close_all(writers)
    progress.advance(0, sum(s.csv_bytes for s in stats.values()) - written)
    progress.finish()
    for table, s in stats.items():
        if s.rows != plan.rows[table]:
            raise AssertionError(f"{table}: wrote {s.rows:,} rows, planned {plan.rows[table]:,}")
        progress.note(
            f"{table}: {s.rows:,} rows, {s.csv_bytes / 1e6:,.1f} MB of CSV, "
            f"{s.zip_bytes / 1e6:,.1f} MB zipped"
        )
    return stats


def close_all(writers: dict[str, TableWriter]) -> dict[str, TableStats]:
    """Close every writer (each one even when another fails); the first failure is raised."""
    stats, failure = {}, None
    for table, writer in writers.items():
        try:
            stats[table] = writer.close()
        except BaseException as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return stats
