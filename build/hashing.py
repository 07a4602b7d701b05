"""The one way ptoffact hashes a file or bytes: the hex sha256 of its bytes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path


def stream_sha256(stream: io.BufferedIOBase) -> str:
    """The hex sha256 of what is left to read in an open file, read in blocks by
    :func:`hashlib.file_digest`."""
    return hashlib.file_digest(stream, "sha256").hexdigest()


def file_sha256(path: Path | str) -> str:
    """The hex sha256 of the file at ``path``."""
    with open(path, "rb") as stream:
        return stream_sha256(stream)


def bytes_sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
