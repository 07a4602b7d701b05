"""ptoffact: the USPTO Office Action Research Dataset, validated and typed.

The public Python face of the package, and the Hugging Face builder (one config per table).

A release folder (or its Hub copy) holds Parquet shards and a card with YAML configs, so
``datasets.load_dataset(release, "rejections")`` needs no code. This builder is for reading
source files directly; since ``datasets`` 4 a loading script cannot be passed to
``load_dataset``, so instantiate the builder::

    from ptoffact import Ptoffact
    builder = Ptoffact(config_name="rejections", data_dir="dist/ptoffact")  # or source files
    builder.download_and_prepare()
    rejections = builder.as_dataset(split="train")
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.builder import Key

from ptoffact_build import __version__
from ptoffact_build.describe.datapackage import BIBTEX_PAPER, PORTAL_PRODUCT, SUMMARY
from ptoffact_build.schema import DEFAULT_TABLE, TABLES, load_schema

__all__ = [
    "TABLES",
    "Ptoffact",
    "PtoffactConfig",
    "__version__",
    "arrow_schema",
    "features",
    "load_release",
]


def features(table: str) -> datasets.Features:
    """The ``datasets`` features of a table, derived from its Table Schema."""
    return load_schema(table).features()


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a table (field descriptions in the metadata)."""
    return load_schema(table).arrow


def load_release(
    release: str | Path, tables: tuple[str, ...] = TABLES
) -> dict[str, datasets.Dataset]:
    """Every table of a release folder (or Hub repo), loaded with ``datasets.load_dataset``."""
    return {t: datasets.load_dataset(str(release), t, split="train") for t in tables}


class PtoffactConfig(datasets.BuilderConfig):
    """One table of the dataset."""


def is_release(folder: Path) -> bool:
    return (folder / "data").is_dir() and (folder / "datapackage.json").is_file()


def release_shards(folder: Path, table: str) -> list[Path]:
    shards = sorted((folder / "data" / table).glob("train-*.parquet"))
    if not shards:
        raise FileNotFoundError(f"{folder}: no Parquet shards for {table}")
    return shards


class Ptoffact(datasets.ArrowBasedBuilder):
    """Reads a ptoffact release folder, or validates and reads USPTO source files."""

    VERSION = datasets.Version(__version__)
    BUILDER_CONFIG_CLASS = PtoffactConfig
    BUILDER_CONFIGS: ClassVar[list[PtoffactConfig]] = [
        PtoffactConfig(name=t, version=datasets.Version(__version__)) for t in TABLES
    ]
    DEFAULT_CONFIG_NAME = DEFAULT_TABLE

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(
            description=SUMMARY,
            features=features(self.config.name),
            homepage=PORTAL_PRODUCT,
            license="cc0-1.0",
            citation=BIBTEX_PAPER,
        )

    def _split_generators(self, dl_manager):
        where = self.config.data_dir or (self.config.data_files and None)
        if where is None:
            raise ValueError("give data_dir: a release folder, a source folder, or 'sample'")
        return [
            datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"where": str(where)})
        ]

    def _generate_tables(self, where: str) -> Iterator[tuple[Key, pa.Table]]:
        folder = Path(where)
        if folder.is_dir() and is_release(folder):
            yield from self._read_shards(release_shards(folder, self.config.name))
            return
        yield from self._read_sources(where)

    def _read_shards(self, shards: list[Path]) -> Iterator[tuple[Key, pa.Table]]:
        for i, shard in enumerate(shards):
            for j, batch in enumerate(pq.ParquetFile(shard).iter_batches()):
                yield Key(i, j), pa.Table.from_batches([batch])

    def _read_sources(self, where: str) -> Iterator[tuple[Key, pa.Table]]:
        """Validate the source files (fail on any error) into a temporary release; read it."""
        from ptoffact_build.read.sources import resolve_sources
        from ptoffact_build.release import build_release

        with tempfile.TemporaryDirectory(prefix="ptoffact-") as tmp:
            out = Path(tmp) / "release"
            build_release(resolve_sources([where]), out)
            yield from self._read_shards(release_shards(out, self.config.name))
