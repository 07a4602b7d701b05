"""Ctrl-C, SIGTERM and interrupts inside worker-pool start-up end the process, clean up
the scratch folder and leave the previous release as it was (real subprocesses)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ptoffact_build.cli import main
from ptoffact_build.synthetic import write_source

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60

# Raise KeyboardInterrupt right after a thread of the given name prefix has started, as a
# SIGINT landing inside Thread.start would; then run the command line.
DRIVER = """
import sys, threading
prefix, argv = sys.argv[1], sys.argv[2:]
original, fired = threading.Thread.start, []

def start(self):
    original(self)
    if self.name.startswith(prefix) and not fired:
        fired.append(self.name)
        raise KeyboardInterrupt

threading.Thread.start = start
from ptoffact_build.cli import main
code = main(argv)
print("fired in", fired, file=sys.stderr)
sys.exit(code)
"""

POOLS = [
    "ptoffact-read-ahead",
    "ptoffact-check",
    "ptoffact-writer",
    "ptoffact-copy",
    "ptoffact-csv",
]


def environment(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def digest(folder: Path) -> dict[str, str]:
    """The release's files and their hashes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".building-" in p.name or ".old-" in p.name)


@pytest.fixture(scope="module")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of the sample, built by the command line."""
    home = tmp_path_factory.mktemp("old")
    out = home / "rel"
    command = [sys.executable, "-m", "ptoffact_build.cli", "build", "--quiet", "--out", str(out)]
    subprocess.run(command, check=True, env=environment(home), timeout=TIMEOUT)
    return out


def copy_release(release: Path, where: Path) -> Path:
    out = where / "rel"
    subprocess.run(["cp", "-a", str(release), str(out)], check=True)
    return out


@pytest.mark.parametrize("prefix", POOLS)
def test_interrupt_inside_thread_start_ends_the_process(
    tmp_path: Path, old_release: Path, prefix: str, sample_csvs: dict[str, Path]
) -> None:
    out = copy_release(old_release, tmp_path)
    before = digest(out)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    argv = ["build", "--quiet", "--out", str(out)]
    if prefix == "ptoffact-csv":  # gzip CSVs are written from the rows when not zip copies
        argv += ["--source", str(sample_csvs["citations"].parent)]
    done = subprocess.run(
        [sys.executable, str(driver), prefix, *argv],
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert f"fired in ['{prefix}" in done.stderr, done.stderr
    assert done.returncode == 130, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert leftovers(tmp_path) == [] and digest(out) == before


@pytest.fixture(scope="module")
def big_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic source big enough to take a few seconds to build."""
    folder = tmp_path_factory.mktemp("big")
    write_source(folder, 0.004, seed=3)
    return folder


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_during_a_build(
    tmp_path: Path, old_release: Path, big_source: Path, signum: int, code: int
) -> None:
    out = copy_release(old_release, tmp_path)
    before = digest(out)
    command = [sys.executable, "-m", "ptoffact_build.cli", "build", "--source", str(big_source)]
    command += ["--out", str(out), "--chunk-mb", "1"]
    child = subprocess.Popen(command, env=environment(tmp_path), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not any(".building-" in p.name for p in tmp_path.iterdir()):
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # well into reading and checking
        assert child.poll() is None, "the build ended before the signal"
        child.send_signal(signum)
        _, err = child.communicate(timeout=TIMEOUT)
    finally:
        child.kill()
    assert child.returncode == code, err
    assert "Traceback" not in err
    assert leftovers(tmp_path) == [] and digest(out) == before


def dead_pid() -> int:
    """The PID of a process that has ended."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def test_next_build_removes_scratch_of_ended_runs(tmp_path: Path, old_release: Path) -> None:
    out = copy_release(old_release, tmp_path)
    pid = dead_pid()
    stale = tmp_path / f".rel.building-{pid}-abc"
    (stale / ".spill").mkdir(parents=True)
    (stale / ".spill" / "000001.arrows").write_bytes(b"x" * 1000)
    marker = {"pid": pid, "host": socket.gethostname()}
    (stale / ".ptoffact-scratch").write_text(json.dumps(marker))
    alive = tmp_path / f".rel.building-{os.getppid()}-def"  # a live process's: kept
    alive.mkdir()
    (alive / ".ptoffact-scratch").write_text(json.dumps({**marker, "pid": os.getppid()}))
    unmarked = tmp_path / f".rel.building-{pid}-ghi"  # not provably ours: kept
    unmarked.mkdir()
    (unmarked / "notes.txt").write_text("mine")
    assert main(["build", "--quiet", "--out", str(out)]) == 0
    assert not stale.exists()
    assert alive.is_dir() and (unmarked / "notes.txt").read_text() == "mine"


def test_validate_writes_no_scratch(tmp_path: Path, monkeypatch) -> None:
    """``validate`` keeps its key indexes in memory and measures nothing of a release: it
    leaves no file in the temp folder or the cache folder."""
    monkeypatch.setenv("PTOFFACT_CACHE", str(tmp_path / "cache"))
    empty_temp = tmp_path / "temp"
    empty_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(empty_temp))
    monkeypatch.setattr("tempfile.tempdir", None)
    assert main(["validate", "--quiet"]) == 0
    assert not (tmp_path / "cache").exists()
    assert list(empty_temp.iterdir()) == []
