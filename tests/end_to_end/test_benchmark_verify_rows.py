"""The verify --rows benchmark (benchmarks/verify_rows.py) works end to end at a tiny scale:
both steps run in each round, in alternating order, each round's figures and ratios are
reported, and only its own section of the output file is replaced. Nothing here is about
speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
SCALE = "0.0005"
run = load_benchmark("run")
BEGIN, END = run.markers(float(SCALE), "VERIFY-ROWS")
OTHER_BEGIN, OTHER_END = run.markers(float(SCALE))  # benchmarks/run.py's own section
ROUND = re.compile(r"^\| (\d) \| (verify|frictionless) \|((?: [\d.,]+ \|){8})$", re.MULTILINE)


def test_two_rounds_side_by_side(tmp_path: Path) -> None:
    out = tmp_path / "BENCHMARKS.md"
    kept = f"# Benchmarks\n\n{OTHER_BEGIN}\nrun.py's figures\n{OTHER_END}\n\nNotes.\n"
    out.write_text(f"{kept}\n{BEGIN}\nstale\n{END}\n")
    command = [sys.executable, str(ROOT / "benchmarks" / "verify_rows.py"), "--scale", SCALE]
    command += ["--data", str(tmp_path / "data"), "--work", str(tmp_path / "work")]
    command += ["--rounds", "2", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith(kept) and "stale" not in text
    rounds = ROUND.findall(text)
    assert [r[:2] for r in rounds] == [("1", "verify"), ("2", "frictionless")]
    for _, _, cells in rounds:
        wall, cpu, rss, f_wall, f_cpu, f_rss, wall_ratio, cpu_ratio = (
            float(c.replace(",", "")) for c in cells.strip(" |").split(" | ")
        )
        assert wall > 0 and f_wall > 0 and rss > 20 and f_rss > 20
        assert within_rounding(wall_ratio, f_wall, wall)
        assert within_rounding(cpu_ratio, f_cpu, cpu)
    assert re.search(r"median ratio [\d.]+ \u00d7 \((met|\*\*not met\*\*)\)", text)
    assert "ptoffact verify --rows --quiet" in text and "frictionless_release.py" in text
    assert done.stdout.strip().startswith("### `verify --rows` against frictionless-py")


def within_rounding(ratio: float, numerator: float, denominator: float) -> bool:
    """``ratio`` is numerator / denominator, all three shown to one decimal."""
    low = (numerator - 0.05) / (denominator + 0.05)
    high = (numerator + 0.05) / max(denominator - 0.05, 0.01)
    return low - 0.05 <= ratio <= high + 0.05
