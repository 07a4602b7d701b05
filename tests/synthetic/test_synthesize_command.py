"""``ptoffact synthesize``: a source that builds, output places it refuses, exit codes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ptoffact_build.read.sources import sample_dir
from ptoffact_build.schema import TABLES
from ptoffact_build.synthetic import REAL_ROWS

SCALE = "0.0005"
CLI = [sys.executable, "-m", "ptoffact_build.cli"]


def ptoffact(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_synthetic_source_builds_into_a_release(tmp_path: Path) -> None:
    source, release = tmp_path / "new" / "source", tmp_path / "release"
    done = ptoffact("synthesize", "--scale", SCALE, "--out", str(source))
    assert done.returncode == 0, done.stderr
    rows = {t: round(n * float(SCALE)) for t, n in REAL_ROWS.items()}
    counts = ", ".join(f"{t} {n:,}" for t, n in rows.items())
    assert done.stdout == (
        f"synthetic source written to {source} ({counts}); "
        f"build it: ptoffact build --source {source}\n"
    )
    assert "\r" not in done.stderr  # a pipe gets plain lines
    assert done.stderr.startswith(f"synthesizing: {sum(rows.values()):,} rows, ")
    assert sorted(snapshot(source)) == sorted(f"{t}.csv.zip" for t in TABLES)
    built = ptoffact("build", "--quiet", "--source", str(source), "--out", str(release))
    assert built.returncode == 0, built.stderr
    assert built.stdout == f"release written to {release} ({counts})\n"


def test_a_second_run_replaces_only_its_own_zips(tmp_path: Path) -> None:
    source = tmp_path / "source"
    assert ptoffact("synthesize", "--scale", SCALE, "--out", str(source)).returncode == 0
    (source / "notes.txt").write_text("mine")
    first = snapshot(source)
    done = ptoffact("synthesize", "--quiet", "--scale", SCALE, "--seed", "9", "--out", str(source))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    second = snapshot(source)
    assert sorted(second) == sorted(first) and second["notes.txt"] == b"mine"
    assert all(second[f"{t}.csv.zip"] != first[f"{t}.csv.zip"] for t in TABLES)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("rejections.csv.zip", "was not written by `ptoffact synthesize`"),
        ("citations.csv", "would be a second source"),
    ],
)
def test_a_folder_holding_a_users_table_file_is_refused(
    tmp_path: Path, name: str, words: str
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(sample_dir() / "rejections.csv.zip", source / name)
    before = snapshot(source)
    done = ptoffact("synthesize", "--scale", SCALE, "--out", str(source))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and words in done.stderr and name in done.stderr
    assert snapshot(source) == before


def test_a_link_in_place_of_a_zip_is_not_replaced(tmp_path: Path) -> None:
    source = tmp_path / "source"
    assert ptoffact("synthesize", "--scale", "1e-6", "--out", str(source)).returncode == 0
    kept = tmp_path / "kept.csv.zip"
    (source / "office_actions.csv.zip").rename(kept)
    (source / "office_actions.csv.zip").symlink_to(kept)  # even a link to one of its zips
    done = ptoffact("synthesize", "--scale", "1e-6", "--out", str(source))
    assert done.returncode == 2 and "office_actions.csv.zip" in done.stderr
    assert (source / "office_actions.csv.zip").is_symlink()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--scale", "0"], "--scale 0: must be above 0 and at most 25"),
        (["--scale", "-1"], "--scale -1: must be above 0"),
        (["--scale", "nan"], "--scale nan: must be above 0"),
        (["--scale", "26"], "--scale 26: must be above 0 and at most 25"),
        (["--scale", "0.1", "--seed", "-1"], "--seed -1: must be 0 or more"),
        (["--scale", "x"], "invalid float value"),
    ],
)
def test_bad_values_exit_2_and_write_nothing(tmp_path: Path, args: list[str], words: str) -> None:
    done = ptoffact("synthesize", *args, "--out", str(tmp_path / "source"))
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and list(tmp_path.iterdir()) == []


def test_an_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine")
    for out in (tmp_path / "file", tmp_path / "file" / "below"):
        done = ptoffact("synthesize", "--scale", SCALE, "--out", str(out))
        assert done.returncode == 2 and "is a file, not a folder" in done.stderr, done.stderr
    assert (tmp_path / "file").read_text() == "mine"


def test_an_interrupted_run_leaves_the_earlier_zips(tmp_path: Path) -> None:
    source = tmp_path / "source"
    assert ptoffact("synthesize", "--scale", "1e-5", "--out", str(source)).returncode == 0
    before = snapshot(source)
    command = [*CLI, "synthesize", "--quiet", "--scale", "0.05", "--out", str(source)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(source.glob(".citations.csv.zip.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert snapshot(source) == before
