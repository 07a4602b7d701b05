"""The release's ``SHA256SUMS``: every other file's sha256, in the format ``sha256sum -c`` reads.

Written last, after datapackage.json (the release marker), so it covers that file too; it is
listed among the release's entries in datapackage.json so that a later build may replace it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ptoffact_build.hashing import file_sha256
from ptoffact_build.replace import replace_text

SUMS = "SHA256SUMS"


def release_files(root: Path, skip: Iterable[str] = ()) -> list[str]:
    """Every file under ``root`` but SHA256SUMS and the ``skip`` names at its top, as sorted
    POSIX paths relative to it."""
    left_out = {SUMS, *skip}
    found = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    names = (p.relative_to(root).as_posix() for p in found)
    return sorted(name for name in names if name not in left_out)


def sums_text(digests: dict[str, str]) -> str:
    """``<sha256>  <path>``, one line per file, sorted by path."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def read_sums(path: Path) -> dict[str, str]:
    """The digests a ``SHA256SUMS`` file lists, by path (none when it is missing)."""
    if not path.is_file():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            found[name] = digest
    return found


def write_sums(root: Path, skip: Iterable[str] = ()) -> Path:
    """Write ``root/SHA256SUMS`` listing every file but itself; ``skip`` names top-level
    files that will not be in the release (the scratch marker)."""
    digests = {name: file_sha256(root / name) for name in release_files(root, skip)}
    path = root / SUMS
    replace_text(path, sums_text(digests))
    return path
