"""A careless or hostile user: out-of-range sizes, output files that are folders, FIFOs,
devices, symbolic links, a user's files or one another, FIFOs where ptoffact reads its own
files, unreadable sources, paths that are not UTF-8, loop or are too long. Each is its
documented exit code with one line, before any work and with nothing touched.

Runs that could hang on a FIFO are real subprocesses with a timeout, so a regression fails
instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ptoffact_build.cli import SIZE_RANGES, main

TIMEOUT = 120


def one_line(err: str) -> str:
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "unexpected error" not in err, err
    return err


def refused(capsys, *argv: str, code: int = 2) -> str:
    """Run the command in-process; assert it exits ``code`` with one line; that line."""
    assert main(list(argv)) == code, capsys.readouterr().err
    return one_line(capsys.readouterr().err)


def run(*argv: str | bytes, cwd: Path, prefix: list[str] | None = None):
    """The command line in a subprocess, bounded in time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env["PTOFFACT_CACHE"] = str(cwd.parent / "cache")
    command = [*(prefix or []), sys.executable, "-m", "ptoffact_build.cli", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=TIMEOUT)


@pytest.fixture
def here(tmp_path: Path, monkeypatch) -> Path:
    """A working folder holding a user's file."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "keep.txt").write_text("the user's")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PTOFFACT_CACHE", str(tmp_path / "cache"))
    return folder


def dead_pid() -> int:
    """The PID of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


# --- the size options --------------------------------------------------------------------

BAD_SIZES = [
    ("--chunk-mb", "-1"),
    ("--chunk-mb", "0"),
    ("--chunk-mb", "100000"),
    ("--shard-mb", "0", "--row-group-mb", "0"),
    ("--shard-mb", "16385"),
    ("--row-group-mb", "0"),
    ("--row-group-mb", "300"),
]


@pytest.mark.parametrize("sizes", BAD_SIZES, ids=" ".join)
def test_a_size_out_of_range_is_refused_naming_the_range(here: Path, capsys, sizes) -> None:
    err = refused(capsys, "build", "--out", "rel", *sizes)
    option = sizes[0]
    least, most = SIZE_RANGES[option[2:].replace("-", "_")]
    assert f"{option} {sizes[1]}" in err and f"{least} to {most}" in err
    assert sorted(os.listdir(here)) == ["keep.txt"]
    if option == "--chunk-mb":
        assert f"{least} to {most}" in refused(capsys, "validate", *sizes)


def test_a_row_group_larger_than_the_shard_is_refused(here: Path, capsys) -> None:
    err = refused(capsys, "build", "--out", "rel", "--shard-mb", "10", "--row-group-mb", "20")
    assert "--row-group-mb 20" in err and "--shard-mb 10" in err
    assert sorted(os.listdir(here)) == ["keep.txt"]


def test_the_smallest_sizes_build(here: Path) -> None:
    argv = ["build", "--quiet", "--out", "rel", "--chunk-mb", "1"]
    assert main([*argv, "--shard-mb", "1", "--row-group-mb", "1"]) == 0
    assert sorted(os.listdir(here / "rel" / "data")) == [
        "citations",
        "office_actions",
        "rejections",
    ]


def test_the_ranges_are_in_the_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for name, (least, most) in SIZE_RANGES.items():
        assert f"--{name.replace('_', '-')} MB" in help_text and f"{least} to {most}" in help_text
