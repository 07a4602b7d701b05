"""Putting a finished release in place: the atomic exchange where the system has it, the
two renames where it does not (no renameat2, or a file system answering EINVAL/ENOSYS)."""

from __future__ import annotations

import ctypes
import errno
import json
import os
from pathlib import Path

import pytest

from ptoffact_build.write import scratch
from ptoffact_build.write.scratch import RELEASE_MARK, SCRATCH_MARK, swap_into_place


def release_folder(folder: Path, text: str, marked: bool = False) -> Path:
    """A minimal release: a datapackage listing ``data``, and ``data/rows.txt``."""
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "rows.txt").write_text(text)
    package = {"ptoffact": {"release_entries": ["data"]}}
    (folder / RELEASE_MARK).write_text(json.dumps(package))
    if marked:
        (folder / SCRATCH_MARK).write_text(json.dumps({"pid": os.getpid(), "host": "h"}))
    return folder


def refusing(code: int):
    """A stand-in for libc's renameat2 that answers -1 with ``errno`` set to ``code``."""

    def call(*args: object) -> int:
        ctypes.set_errno(code)
        return -1

    return lambda: call


@pytest.mark.parametrize("how", ["exchange", "no renameat2", "EINVAL", "ENOSYS"])
def test_a_release_replaces_the_old_one_and_nothing_is_left(
    tmp_path: Path, monkeypatch, how: str
) -> None:
    if how == "no renameat2":
        monkeypatch.setattr(scratch, "renameat2", lambda: None)
    elif how != "exchange":
        monkeypatch.setattr(scratch, "renameat2", refusing(getattr(errno, how)))
    elif scratch.renameat2() is None:
        pytest.skip("no renameat2 here")
    out = release_folder(tmp_path / "rel", "old")
    work = release_folder(tmp_path / f".rel.building-{os.getpid()}-ab12", "new", marked=True)
    renames: list[str] = []
    real = Path.rename
    monkeypatch.setattr(Path, "rename", lambda s, t: renames.append(Path(t).name) or real(s, t))
    swap_into_place(work, out)
    assert (out / "data" / "rows.txt").read_text() == "new"
    assert sorted(os.listdir(out)) == ["data", RELEASE_MARK]
    assert os.listdir(tmp_path) == ["rel"]
    expected = [] if how == "exchange" else [f".rel.old-{os.getpid()}", "rel"]
    assert renames == expected


def test_an_error_other_than_unsupported_is_raised_and_nothing_moves(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(scratch, "renameat2", refusing(errno.EACCES))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    with pytest.raises(PermissionError):
        scratch.exchange(a, b)
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


def test_unsupported_exchange_does_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(scratch, "renameat2", refusing(errno.EINVAL))
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    (a / "x").touch()
    b.mkdir()
    assert scratch.exchange(a, b) is False
    assert os.listdir(a) == ["x"] and os.listdir(b) == []
