"""The benchmark runner (benchmarks/run.py) works end to end at a tiny scale.

Nothing here is about speed: the tests check that every step runs and is reported, and that
the generated section of the output file is replaced without touching the text around it.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from importlib import util
from pathlib import Path

import pytest

from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.001"
STEPS = (
    "floor (pyarrow parse)",
    "ptoffact validate",
    "ptoffact build",
    "Polars sink_parquet",
    "pandas read_csv + to_parquet",
)
DUCKDB = "DuckDB COPY to Parquet"
SMALL = "0.0005"
BEFORE = "# Benchmarks\n\nHand-written analysis before the run.\n\n"
AFTER = "\n## What was tried\n\nHand-written notes after the run.\n"


pytestmark = pytest.mark.benchmark  # it builds releases: -m "not benchmark" skips it
run = load_benchmark("run")
BEGIN, END = run.markers(float(SCALE))
X = run.X  # the multiplication sign


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, str]:
    """One end-to-end run at a tiny scale, into an output file with hand-written text."""
    tmp = tmp_path_factory.mktemp("bench")
    out = tmp / "BENCHMARKS.md"
    out.write_text(f"{BEFORE}{BEGIN}\nstale generated text\n{END}\n{AFTER}")
    command = [
        *("--scale", SCALE, "--data", str(tmp / "data" / SCALE), "--work", str(tmp / "work")),
        *("--memory-scales", SMALL, "--frictionless-scale", SMALL, "--out", str(out)),
    ]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    return done, out.read_text()


def table_row(text: str, step: str, after: str = "") -> list[str]:
    """The cells of the first row for ``step`` (in the text after ``after``)."""
    for line in text[text.index(after) :].splitlines():
        if line.startswith(f"| {step} "):
            return [cell.strip() for cell in line.strip("|").split("|")]
    raise AssertionError(f"no row for {step!r}")


def rows(cells: list[str]) -> int:
    return int(cells[1].replace(",", ""))


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
    for target in ("floor rows/s", "floor wall", "frictionless rows/s", "1 GiB"):
        assert re.search(rf"\| [^|\n]*{re.escape(target)}[^|\n]* \| .+ \| (met|\*\*not met)", text)
    assert "cores (nproc)" in text and "MemTotal" in text and "pyarrow" in text
    assert f"python benchmarks/run.py --scale {SCALE} --data" in text
    assert "### Peak memory by scale" in text and "| 0.0005 |" in text
    assert "### Where the time goes" in text
    references = ("build wall ÷ Polars wall", f"validate rows/s at scale {SCALE} ÷ frictionless")
    for reference in references:
        assert re.search(rf"\| {re.escape(reference)}[^|\n]*\(no target\) \| .+ \| — \|", text)


def test_peers_convert_every_row(bench: tuple[subprocess.CompletedProcess, str]) -> None:
    """Polars (and DuckDB, when installed) write Parquet holding every row of the source."""
    _, text = bench
    floor_rows = rows(table_row(text, "floor (pyarrow parse)"))
    assert rows(table_row(text, "Polars sink_parquet")) == floor_rows
    duckdb = table_row(text, DUCKDB)
    if util.find_spec("duckdb") is None:
        assert duckdb[1] == "skipped: duckdb is not installed (pip install '.[bench]')"
        assert re.search(rf"\| build wall ≤ 1.5 {X} DuckDB wall \| not measured .*skipped", text)
        pytest.skip("duckdb is not installed: checked that run.py skipped its step saying why")
    assert rows(duckdb) == floor_rows
    assert float(duckdb[4].replace(",", "")) > 0  # peak RSS
    measured = rf"[\d.]+ s = [\d.]+ {X} DuckDB \([\d.]+ s\)"
    target = rf"\| build wall ≤ 1.5 {X} DuckDB wall \| {measured} \| (met|\*\*not met)"
    assert re.search(target, text)


def test_frictionless_and_validate_on_the_same_small_release(
    bench: tuple[subprocess.CompletedProcess, str],
) -> None:
    _, text = bench
    heading = f"#### frictionless and `validate` at scale {SMALL}"
    assert heading in text
    validate = table_row(text, "ptoffact validate", heading)
    frictionless = table_row(text, "frictionless", heading)
    assert f"scale {SMALL}" in validate[0] and "release datapackage" in frictionless[0]
    assert rows(validate) == rows(frictionless) > 0
    assert float(frictionless[3].replace(",", "")) > 0  # rows/s
    assert "frictionless_release.py" in text and "frictionless found" not in text
    assert re.search(rf"\| validate rows/s ≥ 50 {X} frictionless rows/s \| [\d,]+ rows/s = ", text)


def test_regenerating_keeps_text_outside_the_markers(
    bench: tuple[subprocess.CompletedProcess, str],
) -> None:
    _, text = bench
    assert text.startswith(BEFORE + BEGIN + "\n")
    assert text.endswith(END + "\n" + AFTER)
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "stale generated text" not in text


def test_write_report_creates_and_appends(tmp_path: Path) -> None:
    new = tmp_path / "new.md"
    run.write_report(new, "first\n", 0.1)
    assert run.markers(0.1)[0] in new.read_text() and "first" in new.read_text()
    run.write_report(new, "second\n", 0.1)
    assert "second" in new.read_text() and "first" not in new.read_text()
    plain = tmp_path / "plain.md"
    plain.write_text("# Notes\n")
    run.write_report(plain, "generated\n", 0.1)
    assert plain.read_text().startswith("# Notes\n") and "generated" in plain.read_text()


def test_each_scale_keeps_its_own_section(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    run.write_report(out, "small scale\n", 0.1)
    run.write_report(out, "full scale\n", 1.0)
    run.write_report(out, "small scale again\n", 0.1)
    text = out.read_text()
    assert "full scale" in text and "small scale again" in text
    assert "small scale\n" not in text
    assert text.index(run.markers(0.1)[0]) < text.index(run.markers(1.0)[0])


def test_failing_step_is_reported_not_raised() -> None:
    command = [sys.executable, "-c", "import sys; print('context'); sys.exit('boom')"]
    step = run.run_step(run.Step("bad", command, "bad"))
    assert not step.ok and step.returncode == 1 and step.error == "boom"
    floor = run.run_step(run.Step("ok", [sys.executable, "-c", "pass"], "ok"))
    assert "failed (exit 1): boom" in run.step_row(step, floor)


def test_a_missing_peer_is_skipped_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run.util, "find_spec", lambda name: None)
    step = run.peer_step("duckdb", tmp_path, tmp_path / "out")
    assert step.skipped == "duckdb is not installed (pip install '.[bench]')"
    assert not step.ok and step.usage is None and not (tmp_path / "out").exists()
    floor = run.run_step(run.Step("ok", [sys.executable, "-c", "pass"], "ok"))
    assert "| skipped: duckdb is not installed" in run.step_row(step, floor)


def test_unzip_csvs_once(tmp_path: Path) -> None:
    for table in run.TABLES:
        with zipfile.ZipFile(tmp_path / f"{table}.csv.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{table}.csv", f"a,b\n1,{table}\n")
    folder = run.unzip_csvs(tmp_path)
    csv = folder / "citations.csv"
    assert folder == tmp_path / "csv" and csv.read_text() == "a,b\n1,citations\n"
    stamp = csv.stat().st_mtime_ns
    run.unzip_csvs(tmp_path)
    assert csv.stat().st_mtime_ns == stamp  # already whole: not unzipped again
    csv.write_text("a,b\n")
    run.unzip_csvs(tmp_path)
    assert csv.read_text() == "a,b\n1,citations\n"  # a partial copy is replaced


def test_runs_keep_the_fastest_and_list_every_wall(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "RUNS_PER_STEP", 3)
    prepared: list[int] = []
    # a second between the runs: a loaded machine may take half a second to start Python
    sleeps = "import sys, time; time.sleep((2.0, 0.0, 1.0)[int(sys.argv[1])])"
    command = [sys.executable, "-c", sleeps, "0"]
    step = run.Step("sleepy", command, "sleepy")

    def prepare() -> None:  # each run sleeps a different time
        command[-1] = str(len(prepared))
        prepared.append(1)

    run.run_step(step, prepare)
    assert len(prepared) == 3 and len(step.walls) == 3
    assert step.ok and step.usage.wall == min(step.walls) == step.walls[1]
    assert step.walls[1] < step.walls[2] < step.walls[0]
    line = run.runs_lines([step])[0]
    assert "ran 3 times" in line and "sleepy " + ", ".join(f"{w:.1f}" for w in step.walls) in line


def test_rusage_fallback_without_usr_bin_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "TIME_BIN", Path("/nonexistent/time"))
    command = [sys.executable, "-c", "print('{\"rows\": 3}')"]
    step = run.run_step(run.Step("fallback", command, "fallback"))
    assert step.ok and step.output == {"rows": 3}
    assert step.usage.wall > 0 and step.usage.rss_kb > 0
