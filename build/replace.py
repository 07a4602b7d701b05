"""Replacing a file whole: write a new file beside it, then rename it over the old one.

A reader (or a crash) sees the old file or the new one, never a part of either; whatever sat
at the path (a symbolic link, a FIFO) is replaced, never followed or waited on. The new file
(``.ptoffact-<pid>-<random>.tmp``, created exclusively) is removed if writing fails.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def replace_bytes(path: Path, data: bytes) -> None:
    """Make ``path`` hold ``data`` (its folder is made if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".ptoffact-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def replace_text(path: Path, text: str) -> None:
    """Make ``path`` hold ``text`` as UTF-8, line ends as given."""
    replace_bytes(path, text.encode("utf-8"))


def replace_with(path: Path, source: Path) -> None:
    """Move ``source`` (a file in the same file system) over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, path)
