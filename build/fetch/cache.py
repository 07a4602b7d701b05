"""The download cache: verified files plus ``manifest.json`` describing each of them.

A file is trusted only through the manifest: its entry (table, format, name, size, sha256, the
portal's modification time, when it was fetched, its public URI) must match the bytes on disk.
The manifest never holds the API key or a signed URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ptoffact_build.errors import FetchSourceError
from ptoffact_build.fetch.listing import parse_name
from ptoffact_build.hashing import file_sha256
from ptoffact_build.jsonfile import write_json
from ptoffact_build.ownfiles import OwnFileError, read_own_file

MANIFEST = "manifest.json"
LOCK = ".lock"
MANIFEST_VERSION = 1
MANIFEST_LIMIT = 16 << 20  # a manifest holds a few entries of some hundred bytes each


@dataclass
class FetchedFile:
    """A verified source zip in the cache."""

    table: str
    path: Path
    name: str
    size: int
    sha256: str
    modified: str | None
    fetched_at: str
    from_cache: bool


@contextmanager
def locked(cache_dir: Path) -> Iterator[None]:
    """Hold the cache folder's lock; a second fetch into the same folder fails at once."""
    lock = FileLock(Path(cache_dir) / LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise FetchSourceError(f"another ptoffact fetch is using the cache {cache_dir}") from None
    try:
        yield
    finally:
        lock.release()


def read_manifest(cache_dir: Path) -> dict[str, dict[str, Any]]:
    """The manifest's entries by file name; empty when there is none or it is unreadable."""
    try:
        data = json.loads(read_own_file(Path(cache_dir) / MANIFEST, MANIFEST_LIMIT))
    except (OSError, OwnFileError, ValueError):  # a FIFO there is not waited on
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: entry for name, entry in files.items() if isinstance(entry, dict)}


def _write_manifest(cache_dir: Path, files: dict[str, dict[str, Any]]) -> None:
    """Replace the manifest atomically (write a temporary file, then rename it)."""
    body = {"version": MANIFEST_VERSION, "files": dict(sorted(files.items()))}
    write_json(Path(cache_dir) / MANIFEST, body)


def record(cache_dir: Path, fetched: FetchedFile, fmt: str, uri: str) -> None:
    """Add or replace the manifest entry of a freshly verified file."""
    entry = {
        "table": fetched.table,
        "format": fmt,
        "name": fetched.name,
        "size": fetched.size,
        "sha256": fetched.sha256,
        "modified": fetched.modified,
        "fetched_at": fetched.fetched_at,
        "uri": uri,
    }
    files = read_manifest(cache_dir)
    files[fetched.name] = entry
    _write_manifest(cache_dir, files)


def is_intact(cache_dir: Path, entry: dict[str, Any]) -> bool:
    """True when the entry's file exists with the recorded size and sha256."""
    name = entry.get("name")
    if not isinstance(name, str) or Path(name).name != name:
        return False
    path = Path(cache_dir) / name
    return (
        path.is_file()
        and path.stat().st_size == entry.get("size")
        and file_sha256(path) == entry.get("sha256")
    )


def _release_rank(entry: dict[str, Any]) -> tuple[int, str]:
    """Sort key: the re-release number of the entry's name, then the name."""
    name = str(entry.get("name", ""))
    parsed = parse_name(name)
    return (parsed[2] if parsed else -1, name)


def cached_file(cache_dir: Path, table: str, fmt: str) -> FetchedFile | None:
    """The newest intact cached file for ``table`` in ``fmt``, or None."""
    entries = [
        e
        for e in read_manifest(cache_dir).values()
        if e.get("table") == table and e.get("format") == fmt
    ]
    for entry in sorted(entries, key=_release_rank, reverse=True):
        if is_intact(cache_dir, entry):
            return FetchedFile(
                table=table,
                path=Path(cache_dir) / entry["name"],
                name=entry["name"],
                size=entry["size"],
                sha256=entry["sha256"],
                modified=entry.get("modified"),
                fetched_at=str(entry.get("fetched_at", "")),
                from_cache=True,
            )
    return None


__all__ = ["MANIFEST", "FetchedFile", "cached_file", "locked", "read_manifest", "record"]
