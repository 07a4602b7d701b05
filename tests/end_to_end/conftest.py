"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a user's file, with a cache folder of the test's own."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "keep.txt").write_text("the user's")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PTOFFACT_CACHE", str(tmp_path / "cache"))
    return folder
