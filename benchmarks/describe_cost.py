#!/usr/bin/env python
"""What describing a release costs: this checkout's build against a baseline's, side by side,
with the CPU seconds of every stage, and ``ptoffact describe`` of the release built.

    git worktree add /tmp/ptoffact-baseline <commit>      # the code to compare with
    python benchmarks/describe_cost.py --source /tmp/bench01 --baseline /tmp/ptoffact-baseline

Each round builds the source twice, each build in its own process: with the baseline's code
and with this checkout's, the order alternating from round to round so that a noisy
neighbour weighs on both. When this checkout has the ``describe`` command, each of its
releases is then described again (``ptoffact describe RELEASE``). For every run: wall
seconds, CPU seconds (user + system, child processes included), and the peak resident
memory of the process and its children together (sampled from ``/proc`` every 20 ms; Linux).

CPU per stage: in its child mode the script wraps ptoffact's ``Stopwatch.stage`` (the
stages the report's ``seconds_per_stage`` names) to add up, per stage, the CPU seconds of the
thread that ran it (``time.thread_time``) and of the whole process (``time.process_time``).
A stage on a worker thread is its thread's CPU; a stage that runs alone (the describe stage,
once the writers closed, whose Polars queries run on Polars' own threads) is the process'.

The baseline runs from its checkout: ``ptoffact_build`` is imported from its ``build/``
folder through a link in a temporary folder put first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STAGES_FILE = "PTOFFACT_BENCH_STAGES"  # in a child: where to write the CPU per stage
SAMPLE_SECONDS = 0.02
THIS = "this"
BASELINE = "baseline"
DESCRIBE = "describe"


@dataclass(frozen=True)
class Run:
    """One command's cost."""

    variant: str  # THIS or BASELINE (a build) or DESCRIBE (this checkout's describe)
    wall: float
    cpu: float
    tree_mib: float  # the process and its children together, sampled (nan: unknown)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)


# ---- memory of a process tree --------------------------------------------------------------


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


# ---- the child: the command line, its stages' CPU recorded ---------------------------------


def record_stage_cpu(path: Path) -> None:
    """Wrap ``Stopwatch.stage`` to add up each stage's thread and process CPU, written as
    JSON to ``path`` when the process exits."""
    import atexit

    from ptoffact_build import stopwatch

    spent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    lock = threading.Lock()
    stage = stopwatch.Stopwatch.stage

    @contextlib.contextmanager
    def counted(self: stopwatch.Stopwatch, name: str) -> Iterator[None]:
        thread, process = time.thread_time(), time.process_time()
        try:
            with stage(self, name):
                yield
        finally:
            with lock:
                spent[name]["thread_cpu"] += time.thread_time() - thread
                spent[name]["process_cpu"] += time.process_time() - process

    stopwatch.Stopwatch.stage = counted  # type: ignore[method-assign]
    atexit.register(lambda: path.write_text(json.dumps(spent)))


def child(argv: Sequence[str]) -> int:
    """Run the command line, recording the CPU of its stages when asked."""
    if STAGES_FILE in os.environ:
        record_stage_cpu(Path(os.environ[STAGES_FILE]))
    from ptoffact_build.cli import main

    return main(argv)


# ---- the parent ---------------------------------------------------------------------------


def baseline_path(checkout: Path, work: Path) -> str:
    """A folder holding ``ptoffact_build``, a link to the baseline's ``build/``."""
    folder = work / "baseline-path"
    folder.mkdir(exist_ok=True)
    link = folder / "ptoffact_build"
    if not link.exists():
        link.symlink_to((checkout / "build").resolve(), target_is_directory=True)
    return str(folder)


def run(variant: str, argv: list[str], env: dict[str, str], work: Path) -> Run:
    """Run the command line in a child process; its wall, CPU, peak memory and stages."""
    stages = work / f"stages-{variant}.json"
    command = [sys.executable, __file__, "--child", *argv]
    env = {**env, STAGES_FILE: str(stages)}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    memory.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    tree = memory.peak_mib()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"describe_cost: {variant} ({' '.join(argv)}) exited {code}")
    found = json.loads(stages.read_text()) if stages.exists() else {}
    stages.unlink(missing_ok=True)
    return Run(variant, wall, usage.ru_utime + usage.ru_stime, tree, found)


def has_describe(env: dict[str, str]) -> bool:
    """Whether this checkout's command line has ``describe``."""
    command = [sys.executable, "-m", "ptoffact_build.cli", "describe", "--help"]
    return subprocess.run(command, env=env, capture_output=True).returncode == 0


def one_round(
    number: int, source: Path, work: Path, envs: dict[str, dict[str, str]], describe: bool
) -> list[Run]:
    """Build with each variant (alternating the order), then describe this checkout's."""
    order = list(envs) if number % 2 == 0 else list(envs)[::-1]
    runs = []
    for variant in order:
        out = work / f"release-{variant}"
        argv = ["build", "--quiet", "--source", str(source), "--out", str(out)]
        runs.append(run(variant, argv, envs[variant], work))
        print(f"round {number + 1}: {variant} {runs[-1].wall:.1f} s", file=sys.stderr)
        if variant == THIS and describe:
            runs.append(run(DESCRIBE, [DESCRIBE, str(out)], envs[THIS], work))
        shutil.rmtree(out)
    return runs


def median(runs: list[Run], variant: str, measure: str) -> float:
    return statistics.median(getattr(r, measure) for r in runs if r.variant == variant)


def stage_cpu(runs: list[Run], variant: str) -> dict[str, tuple[float, float]]:
    """Per stage, the median thread CPU and process CPU over the variant's runs."""
    mine = [r for r in runs if r.variant == variant]
    names = sorted({name for r in mine for name in r.stages})
    return {
        name: tuple(  # type: ignore[misc]
            statistics.median(r.stages.get(name, {}).get(kind, 0.0) for r in mine)
            for kind in ("thread_cpu", "process_cpu")
        )
        for name in names
    }


def mib(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.0f}"


def runs_table(runs: list[Run]) -> list[str]:
    lines = [
        "| run | command | wall s | CPU s | peak RSS with children MiB |",
        "|--:|---|--:|--:|--:|",
    ]
    for i, r in enumerate(runs, start=1):
        what = "describe (this)" if r.variant == DESCRIBE else f"build ({r.variant})"
        lines.append(f"| {i} | {what} | {r.wall:.2f} | {r.cpu:.2f} | {mib(r.tree_mib)} |")
    return lines


def medians_table(runs: list[Run]) -> list[str]:
    variants = [v for v in (BASELINE, THIS, DESCRIBE) if any(r.variant == v for r in runs)]
    lines = [
        "| median | " + " | ".join(variants) + " |",
        "|---|" + "--:|" * len(variants),
    ]
    for measure, label in (("wall", "wall s"), ("cpu", "CPU s"), ("tree_mib", "peak MiB")):
        cells = [median(runs, v, measure) for v in variants]
        shown = [mib(c) if measure == "tree_mib" else f"{c:.2f}" for c in cells]
        lines.append(f"| {label} | " + " | ".join(shown) + " |")
    lines.append("")
    if BASELINE in variants:
        for measure in ("wall", "cpu", "tree_mib"):
            ratio = median(runs, THIS, measure) / median(runs, BASELINE, measure)
            lines.append(f"- build {measure}: this / baseline = {ratio:.3f}")
    if DESCRIBE in variants:
        for measure in ("wall", "cpu"):
            ratio = median(runs, DESCRIBE, measure) / median(runs, THIS, measure)
            lines.append(f"- describe {measure} / build {measure} (this) = {ratio:.3f}")
    return lines


def stages_table(runs: list[Run]) -> list[str]:
    variants = [v for v in (BASELINE, THIS) if any(r.variant == v for r in runs)]
    found = {v: stage_cpu(runs, v) for v in variants}
    names = sorted({name for v in variants for name in found[v]})
    head = " | ".join(f"{v}: thread CPU s | {v}: process CPU s" for v in variants)
    lines = [f"| stage | {head} |", "|---|" + "--:|--:|" * len(variants)]
    for name in names:
        cells = []
        for v in variants:
            thread, process = found[v].get(name, (math.nan, math.nan))
            cells += ["—" if math.isnan(thread) else f"{thread:.2f}"]
            cells += ["—" if math.isnan(process) else f"{process:.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def report(runs: list[Run], source: Path, rounds: int) -> str:
    return "\n".join(
        [
            f"ptoffact build of {source}, {rounds} round(s), variants alternating",
            "",
            *runs_table(runs),
            "",
            *medians_table(runs),
            "",
            "CPU seconds per stage (medians):",
            "",
            *stages_table(runs),
        ]
    )


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="a folder of source zips")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of builds (default 2)")
    parser.add_argument("--work", type=Path, help="where the releases go (a temp folder)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ptoffact-describe-cost-", dir=args.work))
    envs = {THIS: dict(os.environ)}
    if args.baseline is not None:
        path = [baseline_path(args.baseline, work), os.environ.get("PYTHONPATH", "")]
        envs = {BASELINE: {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}}
        envs[THIS] = dict(os.environ)
    describe = has_describe(envs[THIS])
    runs: list[Run] = []
    try:
        for number in range(args.rounds):
            runs += one_round(number, args.source, work, envs, describe)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(report(runs, args.source, args.rounds))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    sys.exit(main())
