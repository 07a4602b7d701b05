"""The benchmark runner (benchmarks/run.py) works end to end at a tiny scale.

Nothing here is about speed: the tests check that every step runs and is reported, and that
the generated section of the output file is replaced without touching the text around it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.001"
STEPS = (
    "floor (pyarrow parse)",
    "ptoffact validate",
    "ptoffact build",
    "frictionless",
    "pandas read_csv + to_parquet",
)
BEFORE = "# Benchmarks\n\nHand-written analysis before the run.\n\n"
AFTER = "\n## What was tried\n\nHand-written notes after the run.\n"


run = load_benchmark("run")


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, str]:
    """One end-to-end run at a tiny scale, into an output file with hand-written text."""
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "BENCHMARKS.md"
    out.write_text(f"{BEFORE}{run.BEGIN}\nstale generated text\n{run.END}\n{AFTER}")
    command = [
        *("--scale", SCALE, "--data", str(tmp / "data" / SCALE), "--work", str(tmp / "work")),
        *("--memory-scales", "0.0005", "--frictionless-rows", "2000", "--out", str(out)),
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    return done, out.read_text()


def table_row(text: str, step: str) -> list[str]:
    """The cells of the main table's row for ``step``."""
    for line in text.splitlines():
        if line.startswith(f"| {step} "):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no row for {step!r}")


def test_exits_zero(bench: tuple[subprocess.CompletedProcess, str]) -> None:
    done, _ = bench
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_row_per_step_with_numeric_rates(bench: tuple[subprocess.CompletedProcess, str]) -> None:
    _, text = bench
    for step in STEPS:
        cells = table_row(text, step)
        assert "failed" not in cells[1], cells
        assert int(cells[1].replace(",", "")) > 0
        assert float(cells[3].replace(",", "")) > 0  # rows/s
        assert float(cells[4].replace(",", "")) > 0  # peak RSS


def test_targets_machine_and_command(bench: tuple[subprocess.CompletedProcess, str]) -> None:
    _, text = bench
    assert "### Targets" in text
    for target in ("floor rows/s", "floor wall", "frictionless rows/s", "1.5 GiB", "Parquet"):
        assert re.search(rf"\| [^|\n]*{re.escape(target)}[^|\n]* \| .+ \| (met|\*\*not met)", text)
    assert "cores (nproc)" in text and "MemTotal" in text and "pyarrow" in text
    assert f"python benchmarks/run.py --scale {SCALE} --data" in text
    assert "### Peak memory by scale" in text and "| 0.0005 |" in text
    assert "### Where the time goes" in text
    assert "subset" in table_row(text, "frictionless")[0]


def test_regenerating_keeps_text_outside_the_markers(
    bench: tuple[subprocess.CompletedProcess, str],
) -> None:
    _, text = bench
    assert text.startswith(BEFORE + run.BEGIN + "\n")
    assert text.endswith(run.END + "\n" + AFTER)
    assert text.count(run.BEGIN) == 1 and text.count(run.END) == 1
    assert "stale generated text" not in text


def test_write_report_creates_and_appends(tmp_path: Path) -> None:
    new = tmp_path / "new.md"
    run.write_report(new, "first\n")
    assert run.BEGIN in new.read_text() and "first" in new.read_text()
    run.write_report(new, "second\n")
    assert "second" in new.read_text() and "first" not in new.read_text()
    plain = tmp_path / "plain.md"
    plain.write_text("# Notes\n")
    run.write_report(plain, "generated\n")
    assert plain.read_text().startswith("# Notes\n") and "generated" in plain.read_text()


def test_failing_step_is_reported_not_raised() -> None:
    command = [sys.executable, "-c", "import sys; print('context'); sys.exit('boom')"]
    step = run.run_step(run.Step("bad", command, "bad"))
    assert not step.ok and step.returncode == 1 and step.error == "boom"
    floor = run.run_step(run.Step("ok", [sys.executable, "-c", "pass"], "ok"))
    assert "failed (exit 1): boom" in run.step_row(step, floor)


def test_rusage_fallback_without_usr_bin_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "TIME_BIN", Path("/nonexistent/time"))
    command = [sys.executable, "-c", "print('{\"rows\": 3}')"]
    step = run.run_step(run.Step("fallback", command, "fallback"))
    assert step.ok and step.output == {"rows": 3}
    assert step.usage.wall > 0 and step.usage.rss_kb > 0
