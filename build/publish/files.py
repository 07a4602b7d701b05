"""Which files of a release folder are published: all of them but hidden scratch.

A few are uploaded with other bytes than the local copy (the card written for the
repository, see :mod:`.hubcard`): those carry their uploaded content.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ptoffact_build.publish.verify import ReleaseMismatch


@dataclass(frozen=True)
class ReleaseFile:
    """A file to upload: its path inside the release (POSIX), its size as uploaded, and its
    uploaded bytes when they are not the local file's."""

    path: str
    size: int
    content: bytes | None = None


def is_hidden(relative: Path) -> bool:
    """Dotfiles and anything under a dot folder (``.spill`` scratch, editor files)."""
    return any(part.startswith(".") for part in relative.parts)


def release_files(release: Path, replaced: dict[str, bytes] | None = None) -> list[ReleaseFile]:
    """Every non-hidden file of the release, sorted; a script in it is refused.

    ``replaced`` gives the uploaded bytes of files that differ from the local copy.

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
        name = relative.as_posix()
        content = (replaced or {}).get(name)
        size = path.stat().st_size if content is None else len(content)
        found.append(ReleaseFile(name, size, content))
    return found
