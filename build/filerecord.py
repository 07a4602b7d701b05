"""The one record of a file the pipeline writes or reads: where it is, its size and sha256."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ptoffact_build.hashing import file_sha256


@dataclass(frozen=True)
class FileRecord:
    """A file with its size, its sha256 and, for a table's file, its data rows."""

    path: Path
    bytes: int
    sha256: str
    rows: int | None = None

    @property
    def hash(self) -> str:
        """The digest as a data package writes it (``sha256:<hex>``)."""
        return f"sha256:{self.sha256}"

    def relative_to(self, root: Path) -> FileRecord:
        """The same record with its path relative to ``root``."""
        return replace(self, path=self.path.relative_to(root))


def record_of(path: Path, rows: int | None = None) -> FileRecord:
    """The record of a file on disk: its size and sha256 measured now."""
    return FileRecord(path, path.stat().st_size, file_sha256(path), rows)
