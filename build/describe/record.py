"""What a release records of how it was built, besides its rows: the describe stage renders
the card, the datapackage and the report from this and from what it measures in the shards.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptoffact_build.buildid import data_id
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.report import SourceRecord
from ptoffact_build.schema import TABLES
from ptoffact_build.write.sink import TableFiles


@dataclass(frozen=True)
class SplitSize:
    """A table's one split: its rows, its bytes in memory as ``datasets`` measures them on
    loading (``num_bytes``, which keys its cache too) and its Parquet bytes on disk."""

    rows: int
    arrow_bytes: int
    parquet_bytes: int


@dataclass(frozen=True)
class ReleaseRecord:
    """A build's id, error policy, sources, year, and per table its files (paths relative to
    the release) and the rows it quarantined."""

    build: str
    policy: str
    sources: tuple[SourceRecord, ...]
    files: dict[str, TableFiles]
    quarantined: dict[str, int]
    year: int  # the build's, which dates the package's citation

    def split_sizes(self, facts: ReleaseFacts) -> dict[str, SplitSize]:
        """Each table's split size: rows and loaded bytes measured, Parquet bytes recorded."""
        return {
            t: SplitSize(facts.rows(t), facts.tables[t].arrow_bytes, self.files[t].parquet_bytes)
            for t in TABLES
        }

    def descriptions(self) -> dict[str, str]:
        """Each table's config description: the build id and a digest of its Parquet bytes."""
        return {t: build_description(self.build, data_id(self.files[t].shards)) for t in TABLES}


def build_description(build: str, data: str) -> str:
    """A config's description: the build id and a digest of the table's Parquet bytes."""
    return f"ptoffact build {build}, Parquet data {data}"
