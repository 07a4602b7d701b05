#!/usr/bin/env python
"""What the card's statistics cost: ``ptoffact build`` with and without them, alternating.

    python benchmarks/statistics_cost.py --source /tmp/bench01 [--rounds 3] [--work DIR]

Each round runs the real build twice, each in its own process: once as users run it, once
with the statistics switched off (this script's child mode sets ``PTOFFACT_BENCH_STATISTICS``,
which only this script reads: it then replaces the build's statistics with none before
calling the command line). The two orders alternate from round to round, so a noisy
neighbour weighs on both. Each run's CPU seconds (user + system, its child processes' too)
and the build process's peak RSS come from ``os.wait4``, its wall seconds from the clock
around it. The peak RSS of the build and its child processes together (the figures are drawn
in one) is sampled from ``/proc`` every 20 ms (Linux; "—" elsewhere). The report gives every
run, the medians, and the growth with the statistics on, in percent.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SWITCH = "PTOFFACT_BENCH_STATISTICS"  # "off" in a child: build without the statistics
VARIANTS = ("on", "off")
SAMPLE_SECONDS = 0.02
MEASURES = (
    ("wall", "wall (s)"),
    ("cpu", "CPU (s)"),
    ("rss_mib", "RSS (MiB)"),
    ("tree_mib", "RSS with children (MiB)"),
)


@dataclass(frozen=True)
class Run:
    """One build's cost."""

    variant: str
    wall: float
    cpu: float
    rss_mib: float
    tree_mib: float  # the build and its child processes together, sampled (nan: unknown)


def rss_kib(pid: int) -> int:
    """A process's resident memory now, in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """A process's children, their children, and so on (from /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(c) for c in task.read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *descendants(child)]
    return found


class TreeMemory(threading.Thread):
    """Samples the resident memory of a process and its descendants until it ends."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.done = pid, 0, threading.Event()
        self.known = Path(f"/proc/{pid}/status").exists()

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            tree = [self.pid, *descendants(self.pid)]
            self.peak_kib = max(self.peak_kib, sum(rss_kib(p) for p in tree))

    def peak_mib(self) -> float:
        self.done.set()
        self.join()
        return self.peak_kib / 1024 if self.known else math.nan


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
    memory = TreeMemory(process.pid)
    memory.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    tree = memory.peak_mib()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"statistics_cost: the build ({variant}) exited {process.returncode}")
    shutil.rmtree(out)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(variant, wall, cpu, usage.ru_maxrss / 1024, tree)


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
        "| run | statistics | wall s | CPU s | peak RSS MiB | with children MiB |",
        "|--:|---|--:|--:|--:|--:|",
    ]
    for i, r in enumerate(runs, start=1):
        lines.append(
            f"| {i} | {r.variant} | {r.wall:.2f} | {r.cpu:.2f} | {r.rss_mib:.0f} | "
            f"{mib(r.tree_mib)} |"
        )
    lines += ["", "| median | on | off | growth |", "|---|--:|--:|--:|"]
    for name, label in MEASURES:
        on, off, grown = growth(runs, name)
        if name in ("rss_mib", "tree_mib"):
            lines.append(f"| {label} | {mib(on)} | {mib(off)} | {grown:+.1f} % |")
        else:
            lines.append(f"| {label} | {on:.2f} | {off:.2f} | {grown:+.1f} % |")
    return "\n".join(lines)


def mib(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.0f}"


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
