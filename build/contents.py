"""What a release holds: exactly the files its ``datapackage.json`` records.

The ``ptoffact`` block of a release's datapackage lists, under ``files``, every file of the
release as a POSIX path inside its folder (datapackage.json and SHA256SUMS included); its
resources record each table's gzip CSV, Parquet shards and quarantine file with their size
and sha256, and SHA256SUMS gives the sha256 of every file but itself. This list is the one
definition of a release that ``build`` (what ``--out`` may hold), ``verify``, ``publish``,
``load`` and ``describe`` use. Nothing here touches the disk: :mod:`.release_folder` reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from ptoffact_build.errors import UsageError
from ptoffact_build.schema import TABLES

DATAPACKAGE = "datapackage.json"
SUMS = "SHA256SUMS"
CARD = "README.md"  # the dataset card
DATAPACKAGE_LIMIT = 16 << 20  # a release's datapackage is some tens of kB
SHA256 = re.compile(r"[0-9a-f]{64}")
# What a copy downloaded from the Hugging Face Hub holds besides the release: the Hub's
# attributes file, and huggingface_hub's download metadata (snapshot_download(local_dir=...)).
HUB_FILES = (".gitattributes",)
HUB_FOLDER = ".cache"
HUB_CACHE = ".cache/huggingface"
# what releases written before the datapackage listed their files may hold at their top
LEGACY_TOP = ["data", "csv", "quarantine", "README.md", "validation_report.json", ".spill"]


class NotARelease(UsageError):
    """A folder that is not a ptoffact release, or whose records cannot be read (exit 2)."""


@dataclass(frozen=True)
class Recorded:
    """A table's file as the datapackage records it: its path, size and sha256."""

    path: str
    size: int | None
    sha256: str


@dataclass(frozen=True)
class ReleaseContents:
    """The files of a release (sorted), the table files' records, its tables and version."""

    files: tuple[str, ...]
    recorded: dict[str, Recorded]
    tables: tuple[str, ...]
    version: str

    def folders(self) -> set[str]:
        """Every folder that holds a file of the release (``data``, ``data/rejections``...)."""
        found: set[str] = set()
        for name in self.files:
            parents = PurePosixPath(name).parents
            found.update(p.as_posix() for p in parents if p.as_posix() != ".")
        return found


def is_hub_addition(relative: str, kind: str) -> bool:
    """Whether a path in a folder, a ``kind`` of item ("file" or "folder"), is what the Hub
    adds to a downloaded copy of a release."""
    if kind == "file":
        return relative in HUB_FILES
    return kind == "folder" and relative in (HUB_FOLDER, HUB_CACHE)


def safe_path(value: Any, where: str) -> str:
    """A path inside the release, as recorded: relative, POSIX, no ``..``, no empty part."""
    if not isinstance(value, str) or not value:
        raise NotARelease(f"{where}: a recorded path is not a file name: {value!r}")
    parts = value.split("/")
    if value.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in value:
        raise NotARelease(f"{where}: recorded path {value!r} leaves the release")
    if "\0" in value or any(ord(c) < 32 for c in value):
        raise NotARelease(f"{where}: recorded path {value!r} holds control characters")
    return value


def recorded_sha256(value: Any, path: str, where: str) -> str:
    algorithm, _, digest = str(value).partition(":") if isinstance(value, str) else ("", "", "")
    if algorithm != "sha256" or not SHA256.fullmatch(digest):
        raise NotARelease(f"{where}: {path!r} has no sha256 hash")
    return digest


def recorded_size(value: Any, path: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NotARelease(f"{where}: {path!r} records a size that is not a byte count: {value!r}")
    return value


def recorded_file(entry: Any, where: str) -> Recorded:
    """A file entry of a resource (the CSV itself, a Parquet shard, the quarantine file)."""
    if not isinstance(entry, dict):
        raise NotARelease(f"{where}: a recorded file is not an object")
    path = safe_path(entry.get("path"), where)
    return Recorded(
        path,
        recorded_size(entry.get("bytes"), path, where),
        recorded_sha256(entry.get("hash"), path, where),
    )


def resource_files(resource: Any, where: str) -> tuple[str, list[Recorded]]:
    """A table resource's name and recorded files."""
    if not isinstance(resource, dict) or resource.get("name") not in TABLES:
        raise NotARelease(f"{where}: a resource is not one of the tables {', '.join(TABLES)}")
    shards = resource.get("parquet", [])
    held = resource.get("quarantined") or {}
    if not isinstance(shards, list) or not isinstance(held, dict):
        raise NotARelease(f"{where}: resource {resource['name']} has malformed file lists")
    entries = [resource, *shards] + ([held] if held.get("path") is not None else [])
    return resource["name"], [recorded_file(entry, where) for entry in entries]


def parse_package(data: bytes, where: str = DATAPACKAGE) -> dict[str, Any]:
    """The datapackage as a dict; NotARelease when it is not UTF-8 JSON of an object."""
    try:
        package = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise NotARelease(f"{where}: not a datapackage ({reason})") from None
    if not isinstance(package, dict):
        raise NotARelease(f"{where}: not a datapackage (not a JSON object)")
    return package


def contents_of(package: dict[str, Any], where: str = DATAPACKAGE) -> ReleaseContents:
    """What the release whose datapackage this is holds; NotARelease when it is not one."""
    block = package.get("ptoffact")
    if not isinstance(block, dict):
        raise NotARelease(f"{where}: not a ptoffact release (no ptoffact block)")
    listed = block.get("files")
    if listed is None:
        raise NotARelease(
            f"{where}: written by an earlier ptoffact that did not list the release's files; "
            "rebuild the release"
        )
    if not isinstance(listed, list):
        raise NotARelease(f"{where}: its list of files is not a list")
    files = [safe_path(name, where) for name in listed]
    if len(set(files)) != len(files) or not {DATAPACKAGE, SUMS} <= set(files):
        raise NotARelease(f"{where}: its list of files repeats a file or lacks {DATAPACKAGE}")
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        raise NotARelease(f"{where}: records no table")
    recorded: dict[str, Recorded] = {}
    tables: list[str] = []
    for resource in resources:
        table, entries = resource_files(resource, where)
        tables.append(table)
        recorded.update((entry.path, entry) for entry in entries)
    unlisted = sorted(set(recorded) - set(files))
    if unlisted:
        raise NotARelease(f"{where}: records {unlisted[0]} but does not list it as a file")
    version = package.get("version")
    return ReleaseContents(
        tuple(sorted(files)), recorded, tuple(tables), version if isinstance(version, str) else ""
    )


def legacy_top_level(package: dict[str, Any]) -> list[str] | None:
    """The names at the top of a release written before releases listed their files (its
    ``release_entries``), or None when the datapackage is not such a release's."""
    block = package.get("ptoffact")
    if not isinstance(block, dict) or "files" in block:
        return None
    entries = block.get("release_entries", LEGACY_TOP)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return None
    return [*entries, DATAPACKAGE]


def files_block(files: Iterable[str]) -> list[str]:
    """The ``files`` of a release's ``ptoffact`` block: sorted, with the datapackage and
    SHA256SUMS (written after the other files are listed)."""
    return sorted({*files, DATAPACKAGE, SUMS})
