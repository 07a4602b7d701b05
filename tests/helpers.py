"""Helpers shared by the tests (import as ``helpers``): the sample's records, CSV writing,
the benchmark scripts as modules, the repository root."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import zipfile
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from ptoffact_build.describe.plots import PLOTS
from ptoffact_build.read.sources import resolve_sources, sample_dir
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.write.sink import ShardOptions

REPO = Path(__file__).resolve().parent.parent
"""The repository root."""


def load_benchmark(name: str) -> ModuleType:
    """Import ``benchmarks/<name>.py`` whether or not the repository root is on sys.path."""
    module_name = f"ptoffact_benchmarks_{name}"
    if module_name not in sys.modules:
        location = REPO / "benchmarks" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(module_name, location)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def sample_rows(table: str) -> list[list[str]]:
    """The sample's CSV records of a table, header first."""
    with zipfile.ZipFile(sample_dir() / f"{table}.csv.zip") as archive:
        text = archive.read(f"{table}.csv").decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """Write records as the distribution does (minimal quoting, LF)."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    return path


def typed_value(kind: str, text: str) -> object:
    """A CSV cell as the release should hold it: empty is missing, then by the field's type."""
    if text == "":
        return None
    if kind == "date":
        return date.fromisoformat(text)
    if kind == "boolean":
        return {"1": True, "0": False}[text]
    if kind == "integer":
        return int(text)
    assert kind == "string", kind
    return text


def typed_sample_records(table: str) -> list[dict[str, object]]:
    """The sample's rows of ``table`` typed by hand from the CSV text, in the CSV's order."""
    from ptoffact_build.schema import load_schema

    kinds = {f.name: f.type for f in load_schema(table).fields}
    header, *rows = sample_rows(table)
    assert header == list(kinds), header
    return [
        {n: typed_value(kinds[n], cell) for n, cell in zip(header, row, strict=True)}
        for row in rows
    ]


def exact(record: dict[str, object]) -> str:
    """A record as text that tells True from 1 and a date from a string: for comparisons."""
    return repr(sorted((name, type(value).__name__, value) for name, value in record.items()))


class FetchRun:
    """``fetch_tables`` against a fake portal, one table, recording sleeps and progress."""

    def __init__(self, portal: Any, cache_dir: Path, session: Any, key: str) -> None:
        self.portal, self.cache_dir, self.session, self.key = portal, cache_dir, session, key
        self.sleeps: list[float] = []
        self.output = io.StringIO()

    def __call__(self, **kwargs: Any) -> Any:
        from ptoffact_build.fetch.tables import fetch_tables

        options = {
            "api_url": self.portal.api_url,
            "api_key": self.key,
            "cache_dir": self.cache_dir,
            "progress": self.output,
            "sleep": self.sleeps.append,
            "session": self.session,
            "tables": ("office_actions",),
        }
        return fetch_tables(**{**options, **kwargs})


# The figures the sample draws: all but the 101 share per technology center (the sample has
# too few actions per center and quarter).
SAMPLE_FIGURES = [name for name in PLOTS if name != "grounds_101_by_center"]


def assert_same_figures(folder: Path, *others: Path) -> None:
    """``folder`` holds the sample's figures, each with the same bytes in ``others``."""
    assert sorted(p.stem for p in folder.glob("*.png")) == sorted(SAMPLE_FIGURES)
    for name in SAMPLE_FIGURES:
        png = (folder / f"{name}.png").read_bytes()
        for other in others:
            assert (other / f"{name}.png").read_bytes() == png, (name, other)


NO_FIGURE_DATA = {
    "per_mail_month_by_document_cd": [],
    "per_mail_quarter": [],
    "per_mail_quarter_by_center": [],
    "per_technology_center": [],
    "citation_rows": 0,
    "citations_by_source": [],
    "citations_in_several_sources": 0,
}  # figure_data of a build with nothing to draw


def rerecord(release: Path) -> None:
    """Record a release's files as they now are, as a build would have: its datapackage lists
    the files present, its resources give their sizes and sha256, SHA256SUMS lists the rest."""
    import hashlib
    import json

    def digest(name: str) -> str:
        return hashlib.sha256((release / name).read_bytes()).hexdigest()

    package_path = release / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    present = sorted(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file() and not p.relative_to(release).parts[0].startswith(".")
    )
    package["ptoffact"]["files"] = sorted({*present, "SHA256SUMS", "datapackage.json"})
    for resource in package["resources"]:
        held = resource["quarantined"]
        for entry in [resource, *resource["parquet"], *([held] if held.get("path") else [])]:
            entry["bytes"] = (release / entry["path"]).stat().st_size
            entry["hash"] = f"sha256:{digest(entry['path'])}"
    package_path.write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
    lines = [f"{digest(name)}  {name}\n" for name in package["ptoffact"]["files"]]
    sums = "".join(line for line in lines if not line.endswith("  SHA256SUMS\n"))
    (release / "SHA256SUMS").write_text(sums, encoding="utf-8")


def change_office_actions(release: Path, dropped: int = 10) -> None:
    """Change a release's rows as a user might, and re-record them (:func:`rerecord`): flip
    ``rejection_101`` of every third office action, drop the last ``dropped`` (their
    rejections then find no action), and record the new shard's rows too."""
    import json

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    (shard,) = sorted((release / "data" / "office_actions").glob("*.parquet"))
    original = pq.ParquetFile(shard)
    table = original.read()
    flipped = [i % 3 == 0 for i in range(table.num_rows)]
    column = table.column("rejection_101")
    changed = pc.if_else(pa.array(flipped), pc.invert(column), column)
    at = table.schema.get_field_index("rejection_101")
    table = table.set_column(at, "rejection_101", changed).slice(0, table.num_rows - dropped)
    sorting = original.metadata.row_group(0).sorting_columns
    pq.write_table(table, shard, compression="zstd", sorting_columns=sorting)
    package_path = release / "datapackage.json"
    package = json.loads(package_path.read_text(encoding="utf-8"))
    (resource,) = [r for r in package["resources"] if r["name"] == "office_actions"]
    (entry,) = resource["parquet"]
    entry["rows"] = table.num_rows
    package_path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    rerecord(release)


def sample_release_in_shards(out: Path, shard_bytes: int, row_group_bytes: int) -> Path:
    """The sample built into ``out`` with small shards and row groups (a table in several
    Parquet files)."""
    shards = ShardOptions(shard_bytes=shard_bytes, row_group_bytes=row_group_bytes)
    build_release(resolve_sources(["sample"]), out, BuildOptions(shards=shards))
    return out
