"""kill -9 at each point of putting a release in place over an earlier one: --out holds a
complete release (the old or the new) whenever the atomic exchange is used, and the next
build cleans up whatever the killed one left, on the exchange path and on the two-rename
fallback alike (real subprocesses)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.cli import main
from ptoffact_build.schema import TABLES
from ptoffact_build.write.scratch import exchange

TIMEOUT = 120

# Runs `ptoffact build` and SIGKILLs it at $KILL_AT of the swap; FALLBACK=1 makes the
# exchange unavailable, as on a system without renameat2.
DRIVER = """
import os, shutil, signal, sys
from pathlib import Path
from ptoffact_build.write import scratch

point, fallback = os.environ["KILL_AT"], os.environ.get("FALLBACK") == "1"
swapped = []

def kill(at):
    if at == point:
        os.kill(os.getpid(), signal.SIGKILL)

real_exchange = scratch.exchange

def exchange(a, b):
    if fallback:
        return False
    kill("before")
    assert real_exchange(a, b), "the exchange is not available here"
    swapped.append(b)
    kill("after")
    return True

real_rename = Path.rename

def rename(self, target):
    aside = ".old-" in Path(target).name
    put_in = ".building-" in self.name and Path(target).name == "rel"
    if aside:
        kill("before")
    moved = real_rename(self, target)
    if aside:
        kill("between")
    if put_in:
        swapped.append(target)
        kill("after")
    return moved

real_rmtree = shutil.rmtree

def rmtree(path, *args, **kwargs):
    real_rmtree(path, *args, **kwargs)
    if swapped:  # removing the old release: one of its folders is gone
        kill("removing")

scratch.exchange, Path.rename, shutil.rmtree = exchange, rename, rmtree
from ptoffact_build.cli import main
sys.exit(main(sys.argv[1:]))
"""

EXCHANGE_POINTS = {"before": "old", "after": "new", "removing": "new"}
FALLBACK_POINTS = {"before": "old", "between": None, "after": "new", "removing": "new"}


def data_files(folder: Path) -> dict[str, str]:
    """The release's Parquet shards and CSV copies and their hashes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.relative_to(folder).parts[0] in ("data", "csv")
    }


def complete(folder: Path) -> bool:
    """Every file SHA256SUMS lists is there with its hash, and nothing else is."""
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return False
    listed = dict(reversed(line.split("  ", 1)) for line in sums.read_text().splitlines())
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    return files == {*listed, "SHA256SUMS"} and all(
        hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
        for name, digest in listed.items()
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The old release (the sample), the changed sources and the release they give."""
    root = tmp_path_factory.mktemp("swap")
    old = root / "old" / "rel"
    assert main(["build", "--quiet", "--out", str(old)]) == 0
    changed = root / "changed"
    changed.mkdir()
    for table in TABLES:
        rows = sample_rows(table)
        if table == "office_actions":
            rows[5][4] = "X9999"  # art_unit: still valid, another value
        write_rows(changed / f"{table}.csv", rows)
    new = root / "new" / "rel"
    assert main(["build", "--quiet", "--source", str(changed), "--out", str(new)]) == 0
    assert data_files(old) != data_files(new)
    return {"old": old, "new": new, "changed": changed}


def killed_build(here: Path, releases: dict[str, Path], point: str, fallback: bool) -> None:
    driver = here.parent / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "KILL_AT": point, "FALLBACK": "1" if fallback else "0"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PTOFFACT_CACHE"] = str(here.parent / "cache")
    command = [sys.executable, str(driver), "build", "--quiet", "--out", "rel"]
    command += ["--source", str(releases["changed"])]
    run = subprocess.run(command, cwd=here, env=env, capture_output=True, timeout=TIMEOUT)
    assert run.returncode == -9, run.stderr.decode()[-2000:]


def failing_build(here: Path, releases: dict[str, Path]) -> None:
    """A build that fails validation: it replaces nothing, and cleans up before it reads."""
    bad = here.parent / "bad"
    shutil.copytree(releases["changed"], bad)
    rows = sample_rows("office_actions")
    rows[5][3] = "not a date"
    write_rows(bad / "office_actions.csv", rows)
    argv = ["build", "--quiet", "--source", str(bad), "--out", "rel", "--report", "../r.json"]
    assert main(argv) == 1


@pytest.mark.parametrize(
    ("fallback", "point", "holds"),
    [(False, p, h) for p, h in EXCHANGE_POINTS.items()]
    + [(True, p, h) for p, h in FALLBACK_POINTS.items()],
    ids=[f"exchange-{p}" for p in EXCHANGE_POINTS] + [f"renames-{p}" for p in FALLBACK_POINTS],
)
def test_a_build_killed_during_the_swap_leaves_a_release(
    tmp_path: Path, monkeypatch, releases: dict[str, Path], fallback: bool, point: str, holds
) -> None:
    here = tmp_path / "work"
    here.mkdir()
    (here / "keep.txt").write_text("the user's")
    monkeypatch.chdir(here)
    shutil.copytree(releases["old"], here / "rel")
    killed_build(here, releases, point, fallback)
    left = sorted(os.listdir(here))
    assert len(left) > 2, left  # the killed build left something to clean up
    out = here / "rel"
    if holds is None:  # only between the fallback's two renames: nothing at --out
        assert not out.exists() and any(n.startswith(".rel.old-") for n in left), left
    else:
        assert complete(out) and data_files(out) == data_files(releases[holds]), left
    failing_build(here, releases)
    assert sorted(os.listdir(here)) == ["keep.txt", "rel"]
    assert complete(out)
    assert data_files(out) == data_files(releases[holds or "old"])


def test_the_exchange_swaps_two_folders_atomically(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "from_a").touch()
    (b / "from_b").touch()
    if not exchange(a, b):
        pytest.skip("renameat2 RENAME_EXCHANGE is not available here")
    assert os.listdir(a) == ["from_b"] and os.listdir(b) == ["from_a"]
    with pytest.raises(FileNotFoundError):
        exchange(a, tmp_path / "missing")
    assert os.listdir(a) == ["from_b"]
