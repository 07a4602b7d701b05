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

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

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
    release: str | Path, tables: str | Iterable[str] | None = None, **kwargs: Any
) -> dict[str, datasets.Dataset | datasets.IterableDataset]:
    """Tables of a release folder (or Hub repo) by name, each loaded with
    ``datasets.load_dataset(release, table, split="train", **kwargs)``.

    ``tables`` is one table's name, several, or None for every table; ``kwargs`` go to
    ``load_dataset``, e.g. ``streaming=True``, ``columns=["app_id", "mail_dt"]`` or
    ``filters=[("alice_in", "==", True)]``, or another ``split``. With ``columns`` or
    ``filters`` the card's split sizes (those of whole tables) are not checked.
    """
    names = (
        list(TABLES) if tables is None else [tables] if isinstance(tables, str) else list(tables)
    )
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise ValueError(f"no such table: {', '.join(unknown)} (tables: {', '.join(TABLES)})")
    kwargs.setdefault("split", "train")
    if "columns" in kwargs or "filters" in kwargs:  # a part of a table: sizes differ by design
        kwargs.setdefault("verification_mode", "no_checks")
    return {t: datasets.load_dataset(str(release), t, **kwargs) for t in names}


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
        with tempfile.TemporaryDirectory(prefix="ptoffact-") as tmp:
            out = Path(tmp) / "release"
            build_keeping_report(where, out)
            yield from self._read_shards(release_shards(out, self.config.name))


def build_keeping_report(where: str, out: Path) -> None:
    """Build a release of the sources at ``where`` into ``out``. When they are invalid, the
    error names the validation report, kept in a folder of its own in the system's temporary
    folder (the release's temporary folder is removed with it); otherwise none is left."""
    from ptoffact_build.errors import DataInvalid
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import REPORT_NAME, BuildOptions, build_release

    kept = Path(tempfile.mkdtemp(prefix="ptoffact-report-"))
    try:
        build_release(resolve_sources([where]), out, BuildOptions(report=kept / REPORT_NAME))
    except DataInvalid:
        raise  # its message names the report in ``kept``
    except BaseException:
        shutil.rmtree(kept, ignore_errors=True)
        raise
    shutil.rmtree(kept, ignore_errors=True)
