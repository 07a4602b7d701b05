"""Check a release's files against the sizes and sha256 digests it records.

A release records its files' digests in ``datapackage.json`` (each table's gzip CSV, its
Parquet shards and its quarantine file) and, when present, in ``SHA256SUMS`` (the format
``sha256sum -c`` reads). Every file either names is checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ptoffact_build.errors import NotARelease, SourceError
from ptoffact_build.hashing import file_sha256

DATAPACKAGE = "datapackage.json"
SUMS = "SHA256SUMS"
SUMS_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


@dataclass(frozen=True)
class Recorded:
    """A file a release records: its path inside the release, sha256 and size if known."""

    path: str
    sha256: str
    size: int | None = None


def read_datapackage(release: Path) -> dict:
    """The release's datapackage.json; NotARelease when missing or unreadable."""
    path = release / DATAPACKAGE
    if not path.is_file():
        raise NotARelease(f"{release}: not a release folder (no {DATAPACKAGE})")
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotARelease(f"{path}: unreadable ({error})") from None
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        raise NotARelease(f"{path}: not a release's datapackage (no resources)")
    return package


def digest_of(entry: dict, where: str) -> str:
    value = entry.get("hash", "")
    algorithm, _, hexdigest = str(value).partition(":")
    if algorithm != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexdigest):
        raise NotARelease(f"{where}: {entry.get('path')!r} has no sha256 hash")
    return hexdigest


def from_datapackage(package: dict) -> list[Recorded]:
    """Every file the datapackage records with a hash: CSVs, Parquet shards, quarantine."""
    found = []
    for resource in package["resources"]:
        entries = [resource, *resource.get("parquet", [])]
        held = resource.get("quarantined") or {}
        if held.get("path"):
            entries.append(held)
        for entry in entries:
            digest = digest_of(entry, DATAPACKAGE)
            found.append(Recorded(entry["path"], digest, entry.get("bytes")))
    return found


def from_sums(path: Path) -> list[Recorded]:
    """The entries of a ``sha256sum`` file."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        match = SUMS_LINE.fullmatch(line)
        if not match:
            raise NotARelease(f"{path}, line {number}: not '<sha256>  <file>'")
        found.append(Recorded(match[2], match[1].lower()))
    return found


def recorded_files(release: Path) -> list[Recorded]:
    """The files the release records, from datapackage.json and SHA256SUMS if present."""
    found = from_datapackage(read_datapackage(release))
    if (release / SUMS).is_file():
        found += from_sums(release / SUMS)
    for entry in found:
        pure = PurePosixPath(entry.path)
        if pure.is_absolute() or ".." in pure.parts:
            raise NotARelease(f"{release}: recorded path {entry.path!r} leaves the release")
    return found


def problems(release: Path, records: list[Recorded]) -> list[str]:
    """One line per recorded file that is missing or differs (the first problem found for a
    file both records name); empty when all match."""
    found: dict[str, str] = {}
    digests: dict[str, str] = {}
    for entry in records:
        if entry.path in found:
            continue
        path = release / entry.path
        if not path.is_file():
            found[entry.path] = f"{entry.path}: missing"
            continue
        size = path.stat().st_size
        if entry.size is not None and size != entry.size:
            found[entry.path] = f"{entry.path}: {size:,} bytes, recorded {entry.size:,}"
            continue
        if entry.path not in digests:
            digests[entry.path] = file_sha256(path)
        if digests[entry.path] != entry.sha256:
            found[entry.path] = (
                f"{entry.path}: sha256 {digests[entry.path]} differs from the recorded one"
            )
    return list(found.values())


class ReleaseMismatch(SourceError):
    """A release that is incomplete or whose files differ from their records (exit 3)."""


def check_release(release: Path) -> int:
    """Verify for publishing: the number of files checked, or ReleaseMismatch naming them."""
    try:
        records = recorded_files(release)
    except NotARelease as error:
        raise ReleaseMismatch(str(error)) from None
    found = problems(release, records)
    if not (release / "README.md").is_file():
        found.insert(0, "README.md: missing")
    if found:
        raise ReleaseMismatch(f"{release}: release does not match its records: {'; '.join(found)}")
    return len({entry.path for entry in records})
