"""The one way ptoffact hashes a file: the hex sha256 of its bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_sha256(path: Path | str) -> str:
    """The hex sha256 of the file at ``path``, read in blocks by :func:`hashlib.file_digest`."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
