"""The describe-cost benchmark (benchmarks/describe_cost.py) builds with a baseline's code and
this checkout's, alternating, describes this checkout's release, and reports every run, the
ratios and the CPU per stage (real subprocesses, the sample)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

SCRIPT = REPO / "benchmarks" / "describe_cost.py"
TIMEOUT = 300

pytestmark = pytest.mark.benchmark


def test_one_round_against_a_baseline_checkout(tmp_path: Path) -> None:
    """This checkout as its own baseline: the baseline's code is found through the link."""
    command = [sys.executable, str(SCRIPT), "--source", str(REPO / "build" / "sample")]
    command += ["--baseline", str(REPO), "--rounds", "1", "--work", str(tmp_path)]
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    runs = re.findall(r"^\| (\d) \| (build \(\w+\)|describe \(this\)) \|", done.stdout, re.M)
    assert [what for _, what in runs] == ["build (baseline)", "build (this)", "describe (this)"]
    assert re.search(r"^- build cpu: this / baseline = [\d.]+$", done.stdout, re.M)
    assert re.search(r"^- describe wall / build wall \(this\) = [\d.]+$", done.stdout, re.M)
    stage = r"^\| describe: measure the shards, draw the figures \| — \| — \| [\d.]+ \| [\d.]+ \|$"
    assert not re.search(stage, done.stdout, re.M)  # this checkout is the baseline too
    assert re.search(r"^\| check \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", done.stdout, re.M)
    assert list(tmp_path.glob("ptoffact-describe-cost-*")) == []  # its releases are removed
