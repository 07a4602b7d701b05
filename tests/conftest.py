"""Shared fixtures: an isolated, offline Hugging Face cache, the sample, a built release.

Helpers that tests import live in helpers.py, not here."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.schema import TABLES


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
