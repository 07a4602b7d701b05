"""Shared fixtures: an isolated, offline Hugging Face cache, the sample, a built release."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from ptoffact_build.read.sources import sample_dir
from ptoffact_build.schema import TABLES

REPO = Path(__file__).resolve().parent.parent


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


@pytest.fixture(autouse=True, scope="session")
def offline_hf(tmp_path_factory: pytest.TempPathFactory):
    """No test reaches the Hub, and none touches the user's cache."""
    home = tmp_path_factory.mktemp("hf_home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HOME", str(home))
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("HF_DATASETS_OFFLINE", "1")
        patch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
        yield


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


@pytest.fixture
def sample_csvs(tmp_path: Path) -> dict[str, Path]:
    """The sample's three tables as plain CSV files in a fresh folder (for corrupting)."""
    folder = tmp_path / "csv"
    folder.mkdir()
    return {t: write_rows(folder / f"{t}.csv", sample_rows(t)) for t in TABLES}


@pytest.fixture(scope="session")
def sample_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release built once from the embedded sample."""
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import build_release

    out = tmp_path_factory.mktemp("release") / "ptoffact"
    build_release(resolve_sources(["sample"]), out)
    return out
