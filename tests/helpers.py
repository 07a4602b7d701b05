"""Helpers shared by the tests (import as ``helpers``): the sample's records, CSV writing,
the benchmark scripts as modules, the repository root."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from types import ModuleType

from ptoffact_build.read.sources import sample_dir

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
