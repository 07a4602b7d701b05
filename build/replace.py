"""Replacing a file whole: write a temporary file beside it, then rename it over the old one.

A reader (or a crash) sees the old file or the new one, never a part of either. The
temporary file is hidden (``.<name>.<pid>.tmp``) and removed if writing fails.
"""

from __future__ import annotations

import os
from pathlib import Path


def replace_bytes(path: Path, data: bytes) -> None:
    """Make ``path`` hold ``data`` (its folder is made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def replace_text(path: Path, text: str) -> None:
    """Make ``path`` hold ``text`` as UTF-8, line ends as given."""
    replace_bytes(path, text.encode("utf-8"))


def replace_with(path: Path, source: Path) -> None:
    """Move ``source`` (a file in the same file system) over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, path)
