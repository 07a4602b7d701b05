"""The build id and the release's version: short digests, never a time.

The build id is derived from the inputs (the ptoffact version, the Table Schemas, the sources'
sha256, the error policy and the shard sizes); the datapackage's ``ptoffact`` block names it.
The release's version follows its content: the ptoffact version, then a digest of every file
of the release (see :func:`content_version`), so the same rows and documents give the same
version and any other content another one. A table's Parquet shards carry only what depends on
that table (its rows, its schema, the writer's version): an unchanged table keeps
byte-identical shards across builds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from ptoffact_build import __version__
from ptoffact_build.filerecord import FileRecord
from ptoffact_build.schema import TABLES, schema_dir

ID_CHARS = 16
VERSION_CHARS = 12
# The version the documents that name the version are first written with, to take the
# digest of their content (:func:`content_version`).
PLACEHOLDER_VERSION = f"{__version__}+{'0' * VERSION_CHARS}"


def short_digest(facts: object, chars: int = ID_CHARS) -> str:
    """The first ``chars`` hex digits of the sha256 of ``facts`` as canonical JSON."""
    text = json.dumps(facts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:chars]


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


def content_version(digests: Mapping[str, str]) -> str:
    """The version of a release: ``<ptoffact version>+<digest>``, the digest over the sha256
    of every file by path (SHA256SUMS aside), the files that name the version written with
    :data:`PLACEHOLDER_VERSION`."""
    return f"{__version__}+{short_digest(sorted(digests.items()), VERSION_CHARS)}"


def parquet_metadata() -> dict[str, str]:
    """The key-value metadata every Parquet file carries: the version of the writer."""
    return {"ptoffact_version": __version__}
