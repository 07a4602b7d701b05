"""The release's ``SHA256SUMS``: every other file's sha256, in the format ``sha256sum -c`` reads.

Written last, after datapackage.json, so it covers that file too; the datapackage lists it
among the release's files (see :mod:`ptoffact_build.contents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ptoffact_build.contents import SUMS
from ptoffact_build.replace import replace_text


def sums_text(digests: Mapping[str, str]) -> str:
    """``<sha256>  <path>`` per file, sorted by path, SHA256SUMS itself left out."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests) if name != SUMS)


def write_sums(root: Path, digests: Mapping[str, str]) -> Path:
    """Write ``root/SHA256SUMS`` for the files whose sha256 ``digests`` gives by path
    (replaced whole)."""
    path = root / SUMS
    replace_text(path, sums_text(digests))
    return path
