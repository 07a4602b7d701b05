"""An unexpected exception (a bug) exits 70 with one line pointing to a saved traceback,
never claims the data is invalid, and never writes the API key (real subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "k3y-that-must-not-leak-0123456789"

# Make one function raise a bug, then run the command line.
DRIVER = """
import os, sys
import ptoffact_build.pipeline as pipeline
import ptoffact_build.check.checker as validate
where, argv = sys.argv[1], sys.argv[2:]

def broken(*args, **kwargs):
    raise RuntimeError("boom with " + os.environ["USPTO_API_KEY"])

def broken_reader(*args, **kwargs):  # fails on the read-ahead thread
    yield from ()
    raise RuntimeError("boom in a worker with " + os.environ["USPTO_API_KEY"])

def disk_full(*args, **kwargs):  # the disk fills while the writer thread writes
    raise OSError(28, "No space left on device", "rel/data/x.parquet")

if where == "check":
    validate.check_field = broken
elif where == "disk":
    import ptoffact_build.write.parquet as parquet
    parquet.ParquetShards.write = disk_full
elif where == "read":
    pipeline.read_csv_file = broken_reader
from ptoffact_build.cli import main
sys.exit(main(argv))
"""


def run(tmp_path: Path, where: str, *argv: str) -> subprocess.CompletedProcess:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache"), "USPTO_API_KEY": KEY}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    command = [sys.executable, str(driver), where, *argv]
    return subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )


@pytest.mark.parametrize(
    ("where", "command"),
    [("check", "build"), ("read", "build"), ("check", "validate"), ("read", "validate")],
)
def test_a_bug_exits_70_with_a_saved_traceback(tmp_path: Path, where: str, command: str) -> None:
    argv = [command, "--quiet"] + (["--out", "rel"] if command == "build" else [])
    done = run(tmp_path, where, *argv)
    assert done.returncode == 70, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "RuntimeError: boom" in lines[0] and "bug" in lines[0]
    text = (done.stdout + done.stderr).lower()
    assert "invalid" not in text and "validation error" not in text
    saved = list((tmp_path / "cache" / "crashes").glob("crash-*.txt"))
    assert len(saved) == 1 and str(saved[0]) in lines[0]
    trace = saved[0].read_text()
    assert trace.startswith("Traceback") and "RuntimeError: boom" in trace
    assert KEY not in trace and KEY not in done.stderr + done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "driver.py"]


def test_expected_failures_keep_their_codes(tmp_path: Path) -> None:
    assert run(tmp_path, "none", "build", "--source", "missing.zip").returncode == 3
    assert run(tmp_path, "none", "build", "--out", "").returncode == 2
    assert not (tmp_path / "cache" / "crashes").exists()


def test_a_full_disk_is_an_output_problem_not_a_bug(tmp_path: Path) -> None:
    """ENOSPC while writing: exit 2, one line naming the file, no release, no scratch left."""
    done = run(tmp_path, "disk", "build", "--quiet", "--out", "rel")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == ["ptoffact: error: cannot write (rel/data/x.parquet): No space left on device"]
    assert not (tmp_path / "cache" / "crashes").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["driver.py"]


@pytest.mark.parametrize("key_file", ["fifo", "endless"])
def test_a_bug_is_reported_whatever_the_key_file_is(tmp_path: Path, key_file: str) -> None:
    """The key is blanked from the traceback, so the key file is read again: a FIFO with no
    writer left or a device that never ends must not hang the report or make a second bug."""
    path = tmp_path.parent / f"{tmp_path.name}-key"
    if key_file == "fifo":
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    done = run(tmp_path, "check", "build", "--quiet", "--out", "rel", "--api-key-file", str(path))
    assert done.returncode == 70, done.stderr
    assert "RuntimeError: boom" in done.stderr and len(done.stderr.strip().splitlines()) == 1
