"""Finding the source files of each table: the embedded sample, a folder, or named files."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ptoffact_build.errors import SourceError, UsageError
from ptoffact_build.schema import TABLES

SAMPLE = "sample"
CSV_KINDS = ("csv", "csv.gz", "csv.zip")
DTA_KINDS = ("dta", "dta.zip")

# table name, then an optional suffix (a BigQuery shard number, `_r1` re-releases, ...),
# then the kind. `office_actions.zip` is read as a CSV zip, as distributed.
FILE_NAME = re.compile(
    r"^(?P<table>" + "|".join(TABLES) + r")"
    r"(?:(?P<shard>[-_]?[0-9]{12})|(?P<suffix>[-_][A-Za-z0-9_-]*))?"
    r"\.(?P<kind>csv\.gz|csv\.zip|csv|dta\.zip|dta|zip)$",
    re.IGNORECASE,
)
# `bq extract` replaces the `*` of its destination URI with the shard number, 12 digits from
# 000000000000 up: `office_actions-*.csv.gz` gives office_actions-000000000000.csv.gz, ...
SHARD_KINDS = ("csv", "csv.gz")
ONE_SOURCE = (
    "a table is read from one file, or from the shards of one BigQuery export: "
    "<table>-000000000000.csv.gz, <table>-000000000001.csv.gz, ... in one folder"
)


@dataclass(frozen=True)
class SourceFile:
    """One file holding (part of) a table."""

    table: str
    path: Path
    kind: str  # one of CSV_KINDS or DTA_KINDS

    @property
    def is_stata(self) -> bool:
        return self.kind in DTA_KINDS


def classify(path: Path) -> SourceFile | None:
    """The table and kind of a file, from its name; None when the name is not a table's."""
    match = FILE_NAME.match(path.name)
    if not match:
        return None
    kind = match["kind"].lower()
    return SourceFile(match["table"].lower(), path, "csv.zip" if kind == "zip" else kind)


def sample_dir() -> Path:
    """The folder of the embedded sample zips."""
    return Path(__file__).resolve().parent.parent / "sample"


def files_of(spec: Iterable[str | Path]) -> list[Path]:
    """Expand the ``--source`` arguments (the word ``sample``, folders, files) into files."""
    files: list[Path] = []
    for item in spec:
        path = sample_dir() if str(item) == SAMPLE else Path(item)
        if path.is_dir():
            files.extend(p for p in sorted(path.iterdir()) if p.is_file() and classify(p))
        elif path.exists():
            files.append(check_regular_file(path))
        else:
            raise SourceError(f"{path}: no such file or folder")
    return files


def check_regular_file(path: Path) -> Path:
    """``path`` itself when it is a regular file (or a link to one); else a source error.

    A FIFO, a device such as ``/dev/zero`` or a socket could block or never end; ``os.stat``
    tells them apart without opening them.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise SourceError(f"{path}: not a regular file (a FIFO, device or socket); pass a file")
    return path


def resolve_sources(spec: Iterable[str | Path]) -> dict[str, list[SourceFile]]:
    """Every table's source files, in name order; an error names what is missing or unknown.

    Each table has one source: one file, or the shards of one BigQuery export. Two sources
    of a table (a zip and the CSV unzipped beside it, a re-release beside the original, zips
    and shards, ...) or one file named twice would double its rows: a usage error naming both,
    raised from names and ``stat`` alone, before any file is read.
    """
    by_table: dict[str, list[SourceFile]] = {t: [] for t in TABLES}
    for path in distinct_files(files_of(spec)):
        source = classify(path)
        if source is None:
            raise UsageError(
                f"{path}: not a table file; names start with one of {', '.join(TABLES)} "
                "and end in .csv, .csv.gz, .csv.zip, .zip, .dta or .dta.zip"
            )
        by_table[source.table].append(source)
    for table, sources in by_table.items():
        if not sources:
            raise SourceError(f"no file for table {table} in the source")
        sources.sort(key=lambda s: s.path.name)
        check_one_source(table, sources)
    return by_table


def distinct_files(paths: Iterable[Path]) -> list[Path]:
    """``paths``; a usage error naming both when two of them are one file (the same path
    twice, a folder and a file in it, a link and its target, hard links)."""
    seen: dict[tuple[int, int], Path] = {}
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as exc:
            raise SourceError(f"{path}: cannot be read ({exc.strerror})") from None
        first = seen.setdefault((info.st_dev, info.st_ino), path)
        if first is not path:
            same = f"{path} is" if str(first) == str(path) else f"{first} and {path} are one file,"
            raise UsageError(f"{same} named twice in --source; name it once")
    return list(seen.values())


def export_of(path: Path) -> str:
    """What a source file belongs to: the name pattern of its BigQuery export (its folder,
    then its name with the shard number as ``*``) for a shard, else the file itself."""
    match = FILE_NAME.match(path.name)
    if match is None or match["shard"] is None or match["kind"].lower() not in SHARD_KINDS:
        return str(path)
    pattern = path.name[: match.end("shard") - 12] + "*" + path.name[match.end("shard") :]
    return str(Path(os.path.realpath(path.parent)) / pattern)


def check_one_source(table: str, sources: list[SourceFile]) -> None:
    """A usage error naming two files of ``table`` that belong to different sources."""
    first = export_of(sources[0].path)
    for other in sources[1:]:
        if export_of(other.path) != first:
            raise UsageError(
                f"table {table} has two sources, {sources[0].path} and {other.path}; "
                f"pass only one ({ONE_SOURCE})"
            )
