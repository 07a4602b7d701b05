"""Where a run may write: ``--out``, ``--report`` and ``--findings`` (and the default report of
a failed build, ``<out>.validation_report.json``) are checked before any work starts.

``--out`` is replaced only when it is missing, an empty folder, or a ptoffact release
(recognised by the ``ptoffact`` block of its datapackage.json, which lists what the release
holds). It may not be, hold or lie inside a source, nor be or hold the working folder, and its
path must be UTF-8 (pyarrow writes there). A report or findings file is written only where
nothing is, over an empty file, or over a report or findings list ptoffact wrote (recognised
by its first bytes, read without blocking on a FIFO): never through a symbolic link, into a
folder, FIFO or device, inside a source or ``--out``, and never two of them to one file.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from ptoffact_build.check.findings import FINDINGS_COLUMNS, findings_format
from ptoffact_build.errors import UsageError
from ptoffact_build.ownfiles import OwnFileError, kind_of, open_own_file
from ptoffact_build.read.sources import SAMPLE, sample_dir
from ptoffact_build.write.scratch import foreign_entries

# the first bytes of what ptoffact writes at --report and --findings (a report's JSON, the
# findings as CSV with their header, or as JSON Lines)
OWN_HEADS = [
    re.compile(rb'\A\{\s*"valid": (?:true|false),\s*"policy": "'),
    re.compile(re.escape(",".join(f'"{c}"' for c in FINDINGS_COLUMNS).encode() + b"\n")),
    re.compile(rb'\A\{"table":"'),
]
HEAD_BYTES = 4096
# the longest name made beside --out: its scratch folder ".<name>.building-<pid>-<8 hex>"
SCRATCH_NAME_EXTRA = len(".") + len(".building-") + 10 + len("-") + 8


def nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def writable_folder(folder: Path, what: str, listed: bool = False) -> None:
    """A usage error unless ``folder`` is a folder this process may write in (and, if
    ``listed``, list: a build looks beside --out for the scratch of earlier builds)."""
    if not folder.is_dir():
        raise UsageError(f"{what}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{what}: cannot write in {folder} (read-only)")
    if listed and not os.access(folder, os.R_OK):
        raise UsageError(f"{what}: cannot list {folder} (no read permission)")


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


def shown(path: str | Path) -> str:
    """A path as text to print, its bytes that are not UTF-8 escaped (``\\xff``)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def expanded(path: str | Path, what: str) -> Path:
    """``path`` with a leading ``~`` expanded; a usage error for an unknown user's ``~``."""
    try:
        return Path(path).expanduser()
    except RuntimeError as error:
        raise UsageError(f"{what} {shown(path)}: cannot be used ({error})") from None


def resolved(path: Path, what: str, given: str | Path | None = None) -> Path:
    """``path`` made absolute, its symbolic links resolved; a usage error naming ``given``
    (or ``path``) for a loop of links."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as error:
        named = shown(path if given is None else given)
        raise UsageError(f"{what} {named}: cannot be used ({error})") from None


def check_utf8(path: Path, what: str) -> None:
    """A usage error unless ``path`` is valid UTF-8 (pyarrow cannot write elsewhere)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"{what} {shown(path)}: the path is not valid UTF-8, and the Parquet writer needs "
            "UTF-8 paths; name a folder whose path is UTF-8"
        ) from None


def name_max(folder: Path) -> int:
    """The longest file name the file system of ``folder`` takes, in bytes."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def check_out(out: str | Path, sources: Iterable[Path] = ()) -> Path:
    """The resolved release folder, once it is safe to replace; else a usage error."""
    if str(out).strip() == "":
        raise UsageError("--out is empty: name the release folder, e.g. dist/ptoffact")
    path = resolved(expanded(out, "--out"), "--out")
    check_utf8(path, "--out")
    here = Path.cwd().resolve()
    if path == here or path in here.parents:
        raise UsageError(f"--out {out}: is or holds the working folder; name a release folder")
    for source in sources:
        if overlaps(path, source):
            raise UsageError(f"--out {out}: is, holds or lies inside the source {source}")
    anchor = nearest_existing(path)
    if len(os.fsencode(path.name)) + SCRATCH_NAME_EXTRA > name_max(anchor):
        raise UsageError(f"--out {out}: the name is too long for a scratch folder beside it")
    if anchor != path:
        writable_folder(anchor, f"--out {out}", listed=True)
        return path
    if not path.is_dir():
        raise UsageError(f"--out {out}: is a file, not a release folder; refusing to replace it")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UsageError(f"--out {out}: cannot list it (no read permission)")
    foreign = foreign_entries(path) if any(path.iterdir()) else []
    if foreign:
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(
            f"--out {out}: holds files a ptoffact release does not ({listed}); refusing to "
            "replace it: name a new or empty folder, or an earlier release"
        )
    writable_folder(path.parent, f"--out {out}", listed=True)
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
    written at ``report`` without harm: nothing there, an empty file or one ptoffact wrote."""
    if report is None:
        return
    path = output_path(report, option)
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):  # missing, or under a file: said below
        mode = None
    except OSError as error:
        raise UsageError(f"{option} {shown(report)}: cannot be used ({error.strerror})") from None
    for source in sources:
        if overlaps(path, source):
            raise UsageError(f"{option} {shown(report)}: is or lies inside the source {source}")
    if out is not None and overlaps(path, out):
        raise UsageError(
            f"{option} {shown(report)}: is or lies inside --out, which the build replaces"
        )
    if mode is None:
        writable_folder(nearest_existing(path.parent), f"{option} {shown(report)}")
        return
    if stat.S_ISDIR(mode):
        raise UsageError(f"{option} {shown(report)}: is a folder; name a file, e.g. report.json")
    if not stat.S_ISREG(mode):
        raise UsageError(f"{option} {shown(report)}: is {kind_of(mode)}; name a regular file")
    if not written_by_ptoffact(path):
        raise UsageError(
            f"{option} {shown(report)}: holds a file ptoffact did not write; refusing to "
            "overwrite it: name a new file, or remove it"
        )
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {shown(report)}: cannot write it (read-only)")


def output_path(path: Path, option: str) -> Path:
    """Where an output file goes: its folder resolved, its own name kept (a symbolic link
    there is the output place itself, never followed)."""
    given = expanded(path, option)
    if given.name in ("", ".", ".."):
        raise UsageError(f"{option} {shown(path)}: is a folder; name a file, e.g. report.json")
    return resolved(given.absolute().parent, option, path) / given.name


def written_by_ptoffact(path: Path) -> bool:
    """Whether a regular file is empty or begins as a ptoffact report or findings list does
    (read without following a symlink or waiting on a FIFO)."""
    try:
        with open_own_file(path) as stream:
            head = stream.read(HEAD_BYTES)
    except (OSError, OwnFileError):
        return False
    return not head or any(own.match(head) for own in OWN_HEADS)


def check_output_files(
    files: Mapping[str, Path | None], out: Path | None = None, sources: Iterable[Path] = ()
) -> None:
    """Check each output file (:func:`check_report`; keyed by the option that names it), and
    that no two of them are one file."""
    roots = list(sources)
    named = {option: path for option, path in files.items() if path is not None}
    for option, path in named.items():
        check_report(path, out, roots, option)
    seen: dict[Path, str] = {}
    for option, path in named.items():
        where = output_path(path, option)
        other = seen.get(where) or next((o for p, o in seen.items() if same_file(p, where)), None)
        if other is not None:
            raise UsageError(
                f"{option} and {other} name the same file {shown(path)}: give each its own"
            )
        seen[where] = option


def same_file(a: Path, b: Path) -> bool:
    """Whether two existing paths are one file (a hard link); False if either is missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_findings(path: Path | None) -> None:
    """A usage error, before any work, unless ``--findings`` names a CSV or JSON Lines file
    (where it may be written is checked with the other output files)."""
    if path is not None:
        findings_format(Path(path))


def add_report_arguments(parser: argparse.ArgumentParser, when: str = "") -> None:
    """The ``--report`` and ``--findings`` options (checked by :func:`check_output_files`);
    ``when`` begins their help (e.g. "with --rows: ")."""
    report_help = f"{when}write the validation report (JSON) here"
    parser.add_argument("--report", type=Path, metavar="FILE", help=report_help)
    parser.add_argument(
        "--findings",
        type=Path,
        metavar="FILE",
        help=f"{when}list every finding in FILE (.csv, or .jsonl/.ndjson for JSON Lines): "
        "table, file, row, field, type, value, message; written even when the run fails",
    )
