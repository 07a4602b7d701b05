"""--out is replaced only when it is a ptoffact release; output problems are usage errors;
a swap interrupted by kill -9 is finished by the next build (see also test_swap.py)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ptoffact_build.cli import main
from ptoffact_build.read.sources import sample_dir


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) and its hash."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def same_data(a: Path, b: Path) -> bool:
    """The same files, with the same Parquet and CSV bytes (the card names the folder)."""
    left, right = snapshot(a), snapshot(b)
    data = [k for k in left if k.startswith(("data/", "csv/"))]
    return left.keys() == right.keys() and all(left[k] == right[k] for k in data) and data


def refused(capsys, *argv: str) -> str:
    """Run the command in-process; assert it exits 2 with one line; that line."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "rel"
    assert main(["build", "--quiet", "--out", str(out)]) == 0
    return out


def copy_of(release: Path, where: Path) -> Path:
    shutil.copytree(release, where)
    return where


def test_a_folder_of_the_users_files_is_refused_and_kept(here: Path, capsys) -> None:
    (here / "mydocs").mkdir()
    (here / "mydocs" / "thesis.txt").write_text("years of work")
    before = snapshot(here)
    err = refused(capsys, "build", "--out", "mydocs")
    assert "thesis.txt" in err and "refusing" in err
    assert snapshot(here) == before and sorted(os.listdir(here)) == ["keep.txt", "mydocs"]


def test_the_source_folder_is_refused(sample_csvs, capsys) -> None:
    folder = sample_csvs["office_actions"].parent
    before = snapshot(folder)
    err = refused(capsys, "build", "--source", str(folder), "--out", str(folder))
    assert "source" in err or "holds files" in err
    inside = folder / "dist"
    err = refused(capsys, "build", "--source", str(folder), "--out", str(inside))
    assert "source" in err
    assert snapshot(folder) == before and not inside.exists()
    sample = sample_dir()
    err = refused(capsys, "build", "--source", "sample", "--out", str(sample / "rel"))
    assert "source" in err and not (sample / "rel").exists()


def test_a_source_file_named_as_out_is_refused(sample_csvs, capsys) -> None:
    files = [str(p) for p in sample_csvs.values()]
    target = sample_csvs["citations"]
    before = target.read_bytes()
    err = refused(capsys, "build", "--source", *files, "--out", str(target))
    assert "source" in err and target.read_bytes() == before


@pytest.mark.parametrize("out", ["", ".", "WORK"])
def test_the_working_folder_is_refused(here: Path, capsys, out: str) -> None:
    before = snapshot(here)
    refused(capsys, "build", "--out", str(here) if out == "WORK" else out)
    refused(capsys, "build", "--out", str(here.parent))  # holds the working folder
    assert snapshot(here) == before and sorted(os.listdir(here.parent)) == ["work"]


def test_a_file_as_out_is_refused_and_not_hidden(here: Path, capsys) -> None:
    (here / "notes.txt").write_text("notes")
    err = refused(capsys, "build", "--out", "notes.txt")
    assert "is a file" in err
    assert sorted(os.listdir(here)) == ["keep.txt", "notes.txt"]
    err = refused(capsys, "build", "--out", "notes.txt/rel")
    assert "is a file" in err and (here / "notes.txt").read_text() == "notes"


def test_a_failed_build_creates_no_parents(here: Path, sample_csvs) -> None:
    assert main(["build", "--source", "nothere", "--out", "a/b/rel"]) == 3
    assert not (here / "a").exists()
    sample_csvs["citations"].write_bytes(b"\x1f\x8b not gzip")  # unreadable, found mid-build
    broken = sample_csvs["citations"].rename(sample_csvs["citations"].with_suffix(".csv.gz"))
    files = [str(p) for p in [sample_csvs["office_actions"], sample_csvs["rejections"], broken]]
    assert main(["build", "--quiet", "--source", *files, "--out", "a/b/rel"]) == 3
    assert sorted(os.listdir(here)) == ["keep.txt"]  # no parents, no scratch


def test_an_empty_folder_is_replaced(here: Path, release: Path) -> None:
    (here / "empty").mkdir()
    assert main(["build", "--quiet", "--out", "empty"]) == 0
    assert same_data(here / "empty", release)
    assert sorted(os.listdir(here)) == ["empty", "keep.txt"]


def test_a_release_holding_a_users_file_is_refused(here: Path, release: Path, capsys) -> None:
    out = copy_of(release, here / "rel")
    (out / "notes.md").write_text("added by the user")
    before = snapshot(out)
    err = refused(capsys, "build", "--out", "rel")
    assert "notes.md" in err and snapshot(out) == before


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a folder unwritable, even for root (immutable), for the block."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("root without chattr: no folder is read-only")
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("chattr +i unsupported on this file system")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)


def test_read_only_out_or_parent_is_a_usage_error(here: Path, release: Path, capsys) -> None:
    out = copy_of(release, here / "rel")
    before = snapshot(out)
    with read_only(out):
        assert "read-only" in refused(capsys, "build", "--out", "rel")
    with read_only(here):
        assert "read-only" in refused(capsys, "build", "--out", "rel")
        assert "read-only" in refused(capsys, "build", "--out", "new/rel")
    assert snapshot(out) == before and sorted(os.listdir(here)) == ["keep.txt", "rel"]


def test_report_places_are_checked_first(here: Path, capsys) -> None:
    (here / "reports").mkdir()
    (here / "notes.txt").write_text("notes")
    for command in ("build", "validate"):
        extra = ["--out", "rel"] if command == "build" else []
        assert "is a folder" in refused(capsys, command, *extra, "--report", "reports")
        assert "is a file" in refused(capsys, command, *extra, "--report", "notes.txt/r.json")
        with read_only(here / "reports"):
            err = refused(capsys, command, *extra, "--report", "reports/r.json")
            assert "read-only" in err
    assert "inside --out" in refused(capsys, "build", "--out", "rel", "--report", "rel/r.json")
    assert sorted(os.listdir(here)) == ["keep.txt", "notes.txt", "reports"]
    assert list((here / "reports").iterdir()) == []


def test_an_old_copy_left_after_the_swap_is_removed(here: Path, release: Path) -> None:
    out = copy_of(release, here / "rel")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    old = copy_of(release, here / f".rel.old-{int(dead.stdout)}")
    shutil.rmtree(old / "data")  # killed while removing it: its datapackage.json goes last
    assert main(["build", "--quiet", "--out", "rel"]) == 0
    assert sorted(os.listdir(here)) == ["keep.txt", "rel"]
    assert same_data(out, release)
