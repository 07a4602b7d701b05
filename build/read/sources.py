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

# table name, then an optional suffix (`-000000000000` BigQuery shards, `_r1` re-releases),
# then the kind. `office_actions.zip` is read as a CSV zip, as distributed.
FILE_NAME = re.compile(
    r"^(?P<table>" + "|".join(TABLES) + r")(?P<suffix>[-_][A-Za-z0-9_-]*)?"
    r"\.(?P<kind>csv\.gz|csv\.zip|csv|dta\.zip|dta|zip)$",
    re.IGNORECASE,
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
    """Every table's source files, in name order; an error names what is missing or unknown."""
    by_table: dict[str, list[SourceFile]] = {t: [] for t in TABLES}
    for path in files_of(spec):
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
        kinds = {"stata" if s.is_stata else "csv" for s in sources}
        if len(kinds) > 1:
            names = ", ".join(s.path.name for s in sources)
            raise UsageError(f"table {table} has both CSV and Stata files ({names}); pick one")
        sources.sort(key=lambda s: s.path.name)
    return by_table
