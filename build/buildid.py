"""The build id: a short digest of everything that decides a release's data.

It is derived from the inputs (the ptoffact version, the Table Schemas, the sources' sha256,
the error policy and the shard sizes), never from the time, so rebuilding the same sources
with the same code gives the same id and byte-identical files. Each Parquet file names it in
its key-value metadata, the datapackage in its ``ptoffact`` block, and the card's configs in
their ``description`` (with a digest of the table's Parquet bytes; see :func:`data_id`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from ptoffact_build import __version__
from ptoffact_build.filerecord import FileRecord
from ptoffact_build.schema import TABLES, schema_dir

ID_CHARS = 16


def short_digest(facts: object) -> str:
    """The first :data:`ID_CHARS` hex digits of the sha256 of ``facts`` as canonical JSON."""
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_CHARS]


def build_id(
    sources: Iterable[FileRecord], policy: str, shard_bytes: int, row_group_bytes: int
) -> str:
    """The id of a build of these sources by this version of ptoffact with these options."""
    schemas = {
        t: hashlib.sha256((schema_dir() / f"{t}.json").read_bytes()).hexdigest() for t in TABLES
    }
    return short_digest(
        {
            "ptoffact": __version__,
            "schemas": schemas,
            "sources": [s.sha256 for s in sources],
            "policy": policy,
            "shards": [shard_bytes, row_group_bytes],
        }
    )


def data_id(shards: Iterable[FileRecord]) -> str:
    """A digest of a table's Parquet shards' sha256: it changes whenever a byte of them does."""
    return short_digest([s.sha256 for s in shards])


def parquet_metadata(build: str) -> dict[str, str]:
    """The key-value metadata every Parquet file of a build carries."""
    return {"ptoffact_version": __version__, "ptoffact_build_id": build}
