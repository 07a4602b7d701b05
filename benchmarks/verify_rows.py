#!/usr/bin/env python
"""``ptoffact verify --rows`` against frictionless-py re-checking the same release.

    python benchmarks/verify_rows.py --scale 0.1 [--data DIR] [--work DIR] [--rounds 1]
        [--out BENCHMARKS.md]

On the zips ``benchmarks/generate.py`` writes at ``--scale`` (generated into ``--data`` when
missing) it builds a release (not timed). Then, in each round, it runs on that release, each
in its own process under ``/usr/bin/time`` (wall, CPU, peak RSS): ``ptoffact verify --rows``
and frictionless-py validating the release's ``datapackage.json``
(``benchmarks/frictionless_release.py``: the CSV copies' rows, keys, bytes and hashes). The
order alternates from round to round, so a noisy neighbour weighs on both; each round's ratio
compares two runs made side by side. The Markdown section is printed and written to ``--out``
between its markers (text outside them is kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (benchmarks/run.py: timing, data, machine)

TARGET = 25.0  # issue 19: verify --rows at least 25 times faster than frictionless-py
NAME = "VERIFY-ROWS"
X = bench.X  # the multiplication sign
REPORT = "verify-rows-report.json"


def release_name(scale: float) -> str:
    return f"verify-rows-release-{bench.scale_name(scale)}"


@dataclass
class Round:
    """One round: verify and frictionless, run one after the other."""

    number: int
    first: str
    verify: bench.Step
    frictionless: bench.Step

    @property
    def wall_ratio(self) -> float | None:
        return bench.ratio(self.frictionless.wall, self.verify.wall)

    @property
    def cpu_ratio(self) -> float | None:
        return bench.ratio(cpu(self.frictionless), cpu(self.verify))


def cpu(step: bench.Step) -> float | None:
    """User plus system seconds of a step that ran."""
    return step.usage.user + step.usage.sys if step.ok and step.usage else None


def verify_step(release: Path, report: Path) -> bench.Step:
    args = ["verify", "--rows", "--quiet", str(release), "--report", str(report)]
    shown = "ptoffact " + shlex.join(args)
    return bench.Step("ptoffact verify --rows", bench.ptoffact(*args), shown)


def frictionless_step(release: Path) -> bench.Step:
    descriptor = release / "datapackage.json"
    command = [sys.executable, str(HERE / "frictionless_release.py"), str(descriptor)]
    shown = f"python benchmarks/frictionless_release.py {descriptor}"
    return bench.Step("frictionless-py validate", command, shown)


def run_one(step: bench.Step, rows: int) -> bench.Step:
    """Run the step once under the timer; its rows are the release's."""
    bench.log(f"{step.name}: {step.shown}")
    bench.attempt(step)
    if step.ok and step.usage:
        step.rows = rows
        bench.log(f"{step.name}: {step.usage.wall:.1f} s, {step.usage.rss_kb / 1024:.0f} MiB")
    else:
        bench.log(f"{step.name}: failed ({step.returncode}): {step.error}")
    return step


def release_rows(release: Path) -> int:
    """The rows the release records (what both steps re-check)."""
    package = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    return sum(int(resource["rows"]) for resource in package["resources"])


def rounds(release: Path, work: Path, count: int) -> list[Round]:
    """``count`` rounds, the order alternating (verify first in the first)."""
    rows = release_rows(release)
    files = [*release.glob("csv/*.csv.gz"), *release.glob("data/*/*.parquet")]
    done = []
    for number in range(1, count + 1):
        bench.warm_cache(files)
        order = ("verify", "frictionless") if number % 2 else ("frictionless", "verify")
        steps = {
            "verify": verify_step(release, work / REPORT),
            "frictionless": frictionless_step(release),
        }
        for name in order:
            run_one(steps[name], rows)
        done.append(Round(number, order[0], steps["verify"], steps["frictionless"]))
    return done


def cell(value: float | None, digits: int = 1) -> str:
    return bench.fmt_float(value, digits)


def round_row(found: Round) -> str:
    v, f = found.verify, found.frictionless
    cells = [
        str(found.number),
        found.first,
        cell(v.wall),
        cell(cpu(v)),
        bench.fmt_mib(v.rss_bytes),
        cell(f.wall),
        cell(cpu(f)),
        bench.fmt_mib(f.rss_bytes),
        cell(found.wall_ratio),
        cell(found.cpu_ratio),
    ]
    return "| " + " | ".join(cells) + " |"


def median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def stage_lines(report: Path) -> list[str]:
    """Seconds per stage of the last verify run, from its report."""
    stages = bench.report_stages(report)
    if not stages:
        return []
    return [
        "Seconds per stage of the last `verify --rows` (its report's `seconds_per_stage`; "
        "worker threads overlap the main thread, so they do not add up to the wall time):",
        "",
        "| stage | seconds |",
        "|---|--:|",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in stages.items()],
    ]


def target_lines(found: list[Round], rows: int) -> list[str]:
    """The target, the median ratios and verify's rows per second."""
    wall = median([r.wall_ratio for r in found])
    status = "met" if wall is not None and wall >= TARGET else "**not met**"
    walls = [r.verify.wall for r in found if r.verify.wall]
    speed = f"; verify re-checks {rows / min(walls):,.0f} rows/s" if walls else ""
    return [
        f"Target: `verify --rows` at least {TARGET:g} {X} faster than frictionless-py (wall): "
        f"median ratio {cell(wall)} {X} ({status}); median CPU ratio "
        f"{cell(median([r.cpu_ratio for r in found]))} {X}{speed}."
    ]


def render(command: str, scale: float, data: Path, work: Path, found: list[Round]) -> str:
    """The Markdown section, markers excluded."""
    release = work / release_name(scale)
    rows = release_rows(release)
    lines = [
        f"### `verify --rows` against frictionless-py at scale {scale:g}",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Run on {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, on:",
        "",
        *bench.machine(),
        "",
        f"The release was built (not timed) from the zips `benchmarks/generate.py --scale "
        f"{scale:g}` writes, in `{data}`: {rows:,} rows. Both steps re-check every row of it, "
        "each in its own process under `/usr/bin/time`: `verify --rows` the CSV copies against "
        "the schemas and the Parquet shards against the CSV copies (after the file check of "
        "every recorded size and sha256); frictionless-py the CSV copies against the schemas, "
        "their bytes and hashes. Wall and CPU in seconds, peak RSS in MiB; the ratios are "
        "frictionless over verify, within one round.",
        "",
        "| round | first | verify wall | verify CPU | verify RSS | frictionless wall | "
        "frictionless CPU | frictionless RSS | wall ratio | CPU ratio |",
        "|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        *[round_row(r) for r in found],
        "",
        *target_lines(found, rows),
        "",
        *stage_lines(work / REPORT),
        "",
        "Commands (`ptoffact` is run as `python -m ptoffact_build.cli`):",
        "",
        *[f"- {step.name}: `{step.shown}`" for step in (found[0].verify, found[0].frictionless)],
    ]
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, required=True, help="1.0 = the real row counts")
    parser.add_argument(
        "--data", type=Path, help=f"the zips (default {bench.DEFAULT_ROOT}/<scale>)"
    )
    parser.add_argument("--work", type=Path, default=bench.DEFAULT_ROOT / "work", help="outputs")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of both steps (default 1)")
    parser.add_argument("--out", type=Path, default=bench.ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: 0 when both steps ran in every round, else 1."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    data = args.data or bench.DEFAULT_ROOT / bench.scale_name(args.scale)
    if note := bench.ensure_data(data, args.scale):
        bench.log(note)
        return 1
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    release = work / release_name(args.scale)
    bench.log(f"building the release from {data} into {release} (not timed)")
    if error := bench.small_release(data, release):
        bench.log(error)
        return 1
    found = rounds(release, work, max(1, args.rounds))
    command = shlex.join(["python", "benchmarks/verify_rows.py", *argv])
    section = render(command, args.scale, data, work, found)
    bench.write_report(args.out, section, args.scale, NAME)
    print(section)
    bench.log(f"written to {args.out}")
    ran = all(r.verify.ok and r.frictionless.ok for r in found)
    return 0 if ran else 1


if __name__ == "__main__":
    sys.exit(main())
