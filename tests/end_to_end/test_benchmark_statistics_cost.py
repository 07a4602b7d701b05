"""The statistics-cost benchmark (benchmarks/statistics_cost.py) builds with and without the
statistics, alternating, and reports every run and the growth (real subprocesses, the sample)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "statistics_cost.py"
TIMEOUT = 120


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache"), **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def child_build(tmp_path: Path, variant: str) -> Path:
    """A sample release built by the benchmark's child mode."""
    out = tmp_path / variant
    command = [sys.executable, str(SCRIPT), "--child", "build", "--quiet", "--out", str(out)]
    env = environment(tmp_path, PTOFFACT_BENCH_STATISTICS=variant)
    subprocess.run(command, check=True, env=env, timeout=TIMEOUT)
    return out


def test_the_switch_builds_without_statistics_only_in_the_benchmark(tmp_path: Path) -> None:
    off = child_build(tmp_path, "off")
    assert "statistics" not in json.loads((off / "validation_report.json").read_text())
    assert not (off / "images").exists()  # no statistics, no figures: nothing drawn
    on = child_build(tmp_path, "on")  # as users run it
    assert json.loads((on / "validation_report.json").read_text())["statistics"]["columns"]
    assert sorted(p.name for p in (on / "images").iterdir())


def test_one_round_reports_both_builds_and_the_growth(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--source", "sample", "--rounds", "1"]
    command += ["--work", str(tmp_path)]
    done = subprocess.run(
        command, env=environment(tmp_path), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stderr
    row = r"^\| (\d) \| (on|off) \| [\d.]+ \| [\d.]+ \| \d+ \| (\d+) \|$"
    runs = re.findall(row, done.stdout, re.M)
    assert [run[:2] for run in runs] == [("1", "on"), ("2", "off")]
    assert all(int(run[2]) > 20 for run in runs)  # a Python process with pyarrow, sampled
    for measure in ("wall (s)", "CPU (s)", "RSS (MiB)", "RSS with children (MiB)"):
        assert re.search(
            rf"^\| {re.escape(measure)} \| [\d.]+ \| [\d.]+ \| [+-][\d.]+ % \|$", done.stdout, re.M
        ), measure
    assert list(tmp_path.glob("ptoffact-statistics-cost-*")) == []  # its releases are removed
