"""Where a run may write: ``--out`` and ``--report`` are checked before any work starts.

``--out`` is replaced only when it is missing, an empty folder, or a ptoffact release
(recognised by the ``ptoffact`` block of its datapackage.json, which lists what the release
holds). It may not be, hold or lie inside a source, nor be or hold the working folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ptoffact_build.errors import UsageError
from ptoffact_build.read.sources import SAMPLE, sample_dir
from ptoffact_build.write.scratch import foreign_entries


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def writable_folder(folder: Path, what: str) -> None:
    """A usage error unless ``folder`` is a folder this process may write in."""
    if not folder.is_dir():
        raise UsageError(f"{what}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {folder} (read-only)")


def overlaps(a: Path, b: Path) -> bool:
    """Whether one path is, holds or lies inside the other."""
    return a == b or a in b.parents or b in a.parents


def source_roots(spec: Iterable[str | Path], files: Iterable[Path] = ()) -> list[Path]:
    """The resolved source files and the folders named by ``--source`` (the sample's too)."""
    roots = [Path(f).resolve() for f in files]
    for item in spec:
        path = sample_dir() if str(item) == SAMPLE else Path(item)
        if path.is_dir():
            roots.append(path.resolve())
    return roots


def check_out(out: str | Path, sources: Iterable[Path] = ()) -> Path:
    """The resolved release folder, once it is safe to replace; else a usage error."""
    if str(out).strip() == "":
        raise UsageError("--out is empty: name the release folder, e.g. dist/ptoffact")
    path = Path(out).expanduser().resolve()
    here = Path.cwd().resolve()
    if path == here or path in here.parents:
        raise UsageError(f"--out {out}: is or holds the working folder; name a release folder")
    for source in sources:
        if overlaps(path, source):
            raise UsageError(f"--out {out}: is, holds or lies inside the source {source}")
    anchor = nearest_existing(path)
    if anchor != path:
        writable_folder(anchor, f"--out {out}")
        return path
    if not path.is_dir():
        raise UsageError(f"--out {out}: is a file, not a release folder; refusing to replace it")
    foreign = foreign_entries(path) if any(path.iterdir()) else []
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(
            f"--out {out}: holds files a ptoffact release does not ({shown}); refusing to "
            "replace it: name a new or empty folder, or an earlier release"
        )
    writable_folder(path.parent, f"--out {out}")
    for folder in [path, *(p for p in path.rglob("*") if p.is_dir() and not p.is_symlink())]:
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--out {out}: cannot replace it, {folder} is read-only")
    return path


def check_report(
    report: Path | None,
    out: Path | None = None,
    sources: Iterable[Path] = (),
    option: str = "--report",
) -> None:
    """A usage error unless the file that ``option`` names (the report, the findings) can be
    written at ``report`` without harm."""
    if report is None:
        return
    path = Path(report).expanduser().resolve()
    if path.is_dir():
        raise UsageError(f"{option} {report}: is a folder; name a file, e.g. report.json")
    for source in sources:
        if overlaps(path, source):
            raise UsageError(f"{option} {report}: is or lies inside the source {source}")
    if out is not None and overlaps(path, out):
        raise UsageError(f"{option} {report}: is or lies inside --out, which the build replaces")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise UsageError(f"{option} {report}: cannot write it (read-only)")
        return
    writable_folder(nearest_existing(path.parent), f"{option} {report}")
