"""Which files of a release folder are published: all of them but hidden scratch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ptoffact_build.publish.verify import ReleaseMismatch


@dataclass(frozen=True)
class ReleaseFile:
    """A file to upload: its path inside the release (POSIX) and its size."""

    path: str
    size: int


def is_hidden(relative: Path) -> bool:
    """Dotfiles and anything under a dot folder (``.spill`` scratch, editor files)."""
    return any(part.startswith(".") for part in relative.parts)


def release_files(release: Path) -> list[ReleaseFile]:
    """Every non-hidden file of the release, sorted; a script in it is refused.

    ``datasets`` refuses a Hub repository holding a ``.py`` loading script, so a release
    folder that contains one is not published.
    """
    found = []
    for path in sorted(release.rglob("*")):
        relative = path.relative_to(release)
        if is_hidden(relative) or not path.is_file():
            continue
        if path.suffix == ".py":
            raise ReleaseMismatch(f"{path}: a Python file is not part of a release; remove it")
        found.append(ReleaseFile(relative.as_posix(), path.stat().st_size))
    return found
