#!/usr/bin/env python
"""What the card's statistics cost: ``ptoffact build`` with and without them, alternating.

    python benchmarks/statistics_cost.py --source /tmp/bench01 [--rounds 3] [--work DIR]

Each round runs the real build twice, each in its own process: once as users run it, once
with the statistics switched off (this script's child mode sets ``PTOFFACT_BENCH_STATISTICS``,
which only this script reads: it then replaces the build's statistics with none before
calling the command line). The two orders alternate from round to round, so a noisy
neighbour weighs on both. Each run's CPU seconds (user + system) and peak RSS come from
``os.wait4``, its wall seconds from the clock around it; the report gives every run, the
medians, and the growth with the statistics on, in percent.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SWITCH = "PTOFFACT_BENCH_STATISTICS"  # "off" in a child: build without the statistics
VARIANTS = ("on", "off")


@dataclass(frozen=True)
class Run:
    """One build's cost."""

    variant: str
    wall: float
    cpu: float
    rss_mib: float


def build_without_statistics() -> None:
    """Make the build compute no statistics and so draw no figures (the child's ``off``
    mode): its run of the tables is the one ``validate`` makes."""
    from ptoffact_build import pipeline, release

    release.run_tables = functools.partial(pipeline.run_tables, statistics=False)


def child(argv: Sequence[str]) -> int:
    """Run the command line, without statistics when the switch says so."""
    if os.environ.get(SWITCH) == "off":
        build_without_statistics()
    from ptoffact_build.cli import main

    return main(argv)


def measure(variant: str, source: Path, out: Path) -> Run:
    """Build ``source`` into ``out`` in a child process; its wall, CPU and peak RSS."""
    command = [sys.executable, __file__, "--child", "build", "--source", str(source)]
    command += ["--out", str(out), "--quiet"]
    env = {**os.environ, SWITCH: variant}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"statistics_cost: the build ({variant}) exited {process.returncode}")
    shutil.rmtree(out)
    return Run(variant, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def growth(runs: list[Run], measure_of: str) -> tuple[float, float, float]:
    """The medians with statistics on and off, and the growth in percent."""
    on = statistics.median(getattr(r, measure_of) for r in runs if r.variant == "on")
    off = statistics.median(getattr(r, measure_of) for r in runs if r.variant == "off")
    return on, off, 100 * (on / off - 1)


def report(runs: list[Run], source: Path) -> str:
    rounds = len(runs) // 2
    lines = [
        f"ptoffact build of {source}, {rounds} rounds, statistics on and off alternating",
        "",
        "| run | statistics | wall s | CPU s | peak RSS MiB |",
        "|--:|---|--:|--:|--:|",
    ]
    for i, r in enumerate(runs, start=1):
        lines.append(f"| {i} | {r.variant} | {r.wall:.2f} | {r.cpu:.2f} | {r.rss_mib:.0f} |")
    lines += ["", "| median | on | off | growth |", "|---|--:|--:|--:|"]
    for name, label, unit in (("wall", "wall", "s"), ("cpu", "CPU", "s"), ("rss_mib", "RSS", "")):
        on, off, grown = growth(runs, name)
        digits = 0 if name == "rss_mib" else 2
        unit = unit or "MiB"
        lines.append(f"| {label} ({unit}) | {on:.{digits}f} | {off:.{digits}f} | {grown:+.1f} % |")
    return "\n".join(lines)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a folder of source zips")
    parser.add_argument("--rounds", type=int, default=3, help="pairs of builds (default 3)")
    parser.add_argument("--work", type=Path, help="where the releases go (a temp folder)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ptoffact-statistics-cost-", dir=args.work))
    runs = []
    try:
        for round_ in range(args.rounds):
            order = VARIANTS if round_ % 2 == 0 else VARIANTS[::-1]
            for variant in order:
                runs.append(measure(variant, args.source, work / f"release-{variant}"))
                print(f"round {round_ + 1}: {runs[-1]}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(runs, args.source))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
