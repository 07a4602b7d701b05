"""Facts about a written file: its size and sha256, as a :class:`FileRecord`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ptoffact_build.filerecord import FileRecord

HASH_BLOCK = 1 << 20


def sha256_of(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while block := stream.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def record_of(path: Path, rows: int | None = None) -> FileRecord:
    """The record of a file on disk: its size and sha256 measured now."""
    return FileRecord(path, path.stat().st_size, sha256_of(path), rows)
