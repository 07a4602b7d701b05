#!/usr/bin/env python
"""Benchmark ptoffact against the floor (a bare pyarrow parse) and its peers.

    python benchmarks/run.py --scale 1.0 [--data DIR] [--work DIR] [--memory-scales 0.1,0.3]
        [--frictionless-scale 0.01] [--pandas-rows N] [--out BENCHMARKS.md]

In one run on the same synthetic zips (written by ``ptoffact synthesize`` when missing) it
measures wall time, rows/s and peak RSS of: (a) the floor, pyarrow's bare CSV parse;
(b) ``ptoffact validate``; (c) ``ptoffact build``; (d) DuckDB's and (e) Polars' plain conversion
of the same CSVs, unzipped beforehand into ``DATA/csv/`` (not timed), to zstd Parquet with
every column as text (benchmarks/peers.py; DuckDB is skipped, saying so, when not installed);
(f) ``pandas.read_csv(dtype=str)`` then ``to_parquet``. Then, on a source from the same
generator at ``--frictionless-scale`` (small enough for frictionless to finish), it builds a
release (not timed) and measures ``ptoffact validate`` on that source and frictionless-py
validating the release's ``datapackage.json`` (the same checks, keys and hashes). Each step
is its own subprocess under ``/usr/bin/time``. ``validate`` and ``build`` run again at the
memory scales to show how peak RSS grows. The Markdown report is printed and written to
``--out`` between markers, so text outside them survives a rerun.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata, util
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")
DEFAULT_ROOT = Path("/tmp/ptoffact-bench")


def markers(scale: float, name: str = "BENCHMARK") -> tuple[str, str]:
    """The lines around one scale's generated section (each scale, and each benchmark
    ``name``, keeps its own)."""
    return (
        f"<!-- BEGIN GENERATED {name} scale {scale:g} -->",
        f"<!-- END GENERATED {name} scale {scale:g} -->",
    )


MARK = "PTOFFACT-BENCH-TIME"
TIME_BIN = Path("/usr/bin/time")
MIB = 1 << 20
GIB = 1 << 30
RSS_TARGET = 1 * GIB
# issue 11's targets: validate rows/s over the floor's and frictionless'; build wall over the
# floor's and DuckDB's
VALIDATE_FLOOR_TARGET = 1.0
VALIDATE_FRICTIONLESS_TARGET = 50.0
BUILD_FLOOR_TARGET = 2.0
BUILD_DUCKDB_TARGET = 1.5
X = "\u00d7"  # the multiplication sign
RUNS_PER_STEP = 1  # set by --runs: each step is run this many times, the fastest kept
PEER_NAMES = {"duckdb": "DuckDB COPY to Parquet", "polars": "Polars sink_parquet"}
MAIN_STEPS = ("floor", "validate", "build", "duckdb", "polars", "pandas")
SMALL_STEPS = ("small validate", "frictionless")

# pandas' peak RSS for one table is about 3.4 bytes per byte of CSV plus a base of about
# 150 MB (measured with pandas 3 and dtype=str: 229 MB for the 24.6 MB citations CSV at scale
# 0.01, 983 MB for 246 MB at 0.1); rounded up here, and the whole table is read only when that
# estimate stays under this share of the memory available.
PANDAS_RSS_PER_CSV_BYTE = 4.0
PANDAS_RSS_BASE = 256 * MIB
PANDAS_MEMORY_SHARE = 0.6


@dataclass
class Usage:
    """What ``/usr/bin/time`` measured for one subprocess."""

    wall: float
    user: float
    sys: float
    rss_kb: int


@dataclass
class Step:
    """One measured step: its command, usage, rows and outcome."""

    name: str
    command: list[str]
    shown: str
    rows: int | None = None
    usage: Usage | None = None
    returncode: int = 0
    error: str = ""
    tag: str = ""
    note: str = ""
    subset: bool = False
    skipped: str = ""
    walls: list[float] = field(default_factory=list)  # every run's wall time
    output: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.returncode == 0 and not self.error and not self.skipped and self.usage is not None
        )

    @property
    def wall(self) -> float | None:
        return self.usage.wall if self.ok and self.usage else None

    @property
    def rate(self) -> float | None:
        if not self.ok or not self.rows or not self.usage or self.usage.wall <= 0:
            return None
        return self.rows / self.usage.wall

    @property
    def rss_bytes(self) -> int | None:
        return self.usage.rss_kb * 1024 if self.ok and self.usage else None


@dataclass
class Target:
    """One target of the issue, with the measured figure and whether it is met."""

    name: str
    measured: str
    met: bool | None
    has_target: bool = True  # False: a figure shown for reference


# ---------------------------------------------------------------------------- running steps


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def timed(command: list[str]) -> list[str]:
    """``command`` under /usr/bin/time, or under this script's rusage wrapper without it."""
    if TIME_BIN.is_file() and os.access(TIME_BIN, os.X_OK):
        return [str(TIME_BIN), "-f", f"{MARK} %e %U %S %M", *command]
    return [sys.executable, str(Path(__file__).resolve()), "--wrap", *command]


def wrap(command: list[str]) -> int:
    """Run one child and print its usage in /usr/bin/time's format (the fallback)."""
    start = time.perf_counter()
    returncode = subprocess.call(command)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = f"{MARK} {wall:.2f} {usage.ru_utime:.2f} {usage.ru_stime:.2f} {usage.ru_maxrss}"
    print(line, file=sys.stderr)
    return returncode


def parse_usage(stderr: str) -> tuple[Usage | None, list[str]]:
    """The usage on the marker line, and the other stderr lines."""
    usage, rest = None, []
    for line in stderr.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == MARK:
            with contextlib.suppress(ValueError):
                wall, user, system = (float(p) for p in parts[1:4])
                usage = Usage(wall, user, system, int(parts[4]))
                continue
        rest.append(line)
    return usage, rest


def last_line(lines: Sequence[str]) -> str:
    """The last non-empty line, shortened for a table cell."""
    for line in reversed(lines):
        if line.strip() and not line.startswith("Command exited with non-zero status"):
            text = line.strip().replace("|", "\\|")
            return text if len(text) <= 160 else text[:157] + "..."
    return ""


def last_json(stdout: str) -> dict[str, Any]:
    """The JSON object on the last line of stdout, or an empty dict."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                return json.loads(line)
    return {}


def attempt(step: Step) -> None:
    """Run the step's command once under the timer; record usage, exit code and output."""
    step.usage, step.error, step.output = None, "", {}
    try:
        done = subprocess.run(timed(step.command), capture_output=True, text=True, cwd=ROOT)
    except OSError as error:
        step.returncode, step.error = -1, str(error)
        return
    step.usage, rest = parse_usage(done.stderr)
    step.returncode = done.returncode
    step.output = last_json(done.stdout)
    if done.returncode != 0:
        step.error = last_line(rest) or "no message"
    elif step.usage is None:
        step.error = "no timing found on stderr"


def run_step(step: Step, prepare: Callable[[], object] | None = None) -> Step:
    """Run the step ``RUNS_PER_STEP`` times (``prepare`` before each) and keep the fastest run.

    A failed run ends the step and is what it records.
    """
    log(f"{step.name}: {step.shown}")
    best: tuple[Usage, dict[str, Any]] | None = None
    for _ in range(RUNS_PER_STEP):
        if prepare is not None:
            prepare()
        attempt(step)
        if not step.ok or step.usage is None:
            log(f"{step.name}: failed ({step.returncode}): {step.error}")
            return step
        step.walls.append(step.usage.wall)
        log(f"{step.name}: {step.usage.wall:.1f} s, {step.usage.rss_kb / 1024:.0f} MiB")
        if best is None or step.usage.wall < best[0].wall:
            best = (step.usage, step.output)
    if best is not None:
        step.usage, step.output = best
    return step


def finish(step: Step, rows: Callable[[], int]) -> Step:
    """Set the step's rows from ``rows()``; a failure there marks the step failed."""
    if step.ok:
        try:
            step.rows = rows()
        except (OSError, ValueError, KeyError, TypeError) as error:
            step.error = f"could not read the result: {error}"
    return step


# ---------------------------------------------------------------------------- the data


def scale_name(scale: float) -> str:
    """The folder name of a scale: ``1.0``, ``0.1``, ``0.0005``."""
    return str(float(scale))


def zips(folder: Path) -> list[Path]:
    """The three source zips in ``folder``."""
    return [folder / f"{table}.csv.zip" for table in TABLES]


def ensure_data(folder: Path, scale: float) -> str:
    """Generate the zips at ``scale`` into ``folder`` unless all three are there; "" or why not."""
    if all(path.is_file() for path in zips(folder)):
        return ""
    log(f"generating scale {scale} into {folder}")
    command = [sys.executable, "-m", "ptoffact_build.cli", "synthesize", "--scale", str(scale)]
    done = subprocess.run(
        [*command, "--out", str(folder), "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        why = last_line(done.stderr.splitlines())
        return f"ptoffact synthesize failed ({done.returncode}): {why}"
    return ""


def warm_cache(paths: Sequence[Path]) -> None:
    """Read the files once, so that the first step does not pay for a cold page cache."""
    for path in paths:
        if not path.is_file():
            continue
        with open(path, "rb") as stream:
            while stream.read(16 << 20):
                pass


def member_bytes(path: Path) -> int:
    """Uncompressed bytes of a zip's members (0 when it cannot be read)."""
    try:
        with zipfile.ZipFile(path) as zf:
            return sum(info.file_size for info in zf.infolist())
    except (OSError, zipfile.BadZipFile):
        return 0


def mem_info(key: str) -> int | None:
    """A /proc/meminfo figure in bytes."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == key:
                return int(value.split()[0]) * 1024
    return None


def report_rows(path: Path) -> int:
    """Rows read in a ptoffact validation report."""
    report = json.loads(path.read_text())
    return sum(int(table["rows_read"]) for table in report["tables"].values())


def report_stages(path: Path) -> dict[str, float]:
    """The report's ``seconds_per_stage`` (empty when absent)."""
    with contextlib.suppress(OSError, ValueError):
        return dict(json.loads(path.read_text()).get("seconds_per_stage") or {})
    return {}


def unzip_csvs(data: Path) -> Path:
    """Each zip's CSV member as ``data/csv/<table>.csv`` (kept when already unzipped whole)."""
    folder = data / "csv"
    folder.mkdir(exist_ok=True)
    for table in TABLES:
        target = folder / f"{table}.csv"
        with zipfile.ZipFile(data / f"{table}.csv.zip") as zf:
            info = zf.infolist()[0]
            if target.is_file() and target.stat().st_size == info.file_size:
                continue
            log(f"unzipping {info.filename} into {folder} (not timed)")
            partial = target.with_name(target.name + ".partial")
            with zf.open(info) as source, open(partial, "wb") as sink:
                shutil.copyfileobj(source, sink, 16 << 20)
            partial.replace(target)
    return folder


def parquet_rows(folder: Path) -> int:
    """Rows in the metadata of the Parquet files in ``folder``."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(path).metadata.num_rows for path in folder.glob("*.parquet"))


def parquet_bytes(release: Path) -> int:
    """Bytes of the release's Parquet shards."""
    return sum(path.stat().st_size for path in (release / "data").rglob("*.parquet"))


# ---------------------------------------------------------------------------- the steps


def ptoffact(*args: str) -> list[str]:
    """The ptoffact command line, run by this interpreter."""
    return [sys.executable, "-m", "ptoffact_build.cli", *args]


def floor_step(data: Path) -> Step:
    """(a) pyarrow's bare parse of the three zips."""
    command = [sys.executable, str(HERE / "floor.py"), str(data)]
    step = run_step(Step("floor (pyarrow parse)", command, f"python benchmarks/floor.py {data}"))
    return finish(step, lambda: int(step.output["rows"]))


def validate_step(data: Path, report: Path, tag: str = "") -> Step:
    """(b) ``ptoffact validate``."""
    args = ["validate", "--quiet", "--source", str(data), "--report", str(report)]
    shown = "ptoffact " + shlex.join(args)
    step = Step("ptoffact validate", ptoffact(*args), shown, tag=tag)
    run_step(step, lambda: report.unlink(missing_ok=True))
    return finish(step, lambda: report_rows(report))


def build_report(release: Path) -> Path:
    """Where the build step writes its report with the seconds per stage (the release's own
    copy has none), beside the release."""
    return release.parent / "build-report.json"


def build_step(data: Path, release: Path) -> Step:
    """(c) ``ptoffact build`` into a fresh release folder."""
    report = build_report(release)
    args = ["build", "--quiet", "--source", str(data), "--out", str(release)]
    args += ["--report", str(report)]
    step = Step("ptoffact build", ptoffact(*args), "ptoffact " + shlex.join(args))
    run_step(step, lambda: shutil.rmtree(release, ignore_errors=True))
    return finish(step, lambda: report_rows(report))


def peer_step(engine: str, csv: Path, out: Path) -> Step:
    """(d, e) DuckDB's or Polars' conversion of the unzipped CSVs (benchmarks/peers.py)."""
    args = [engine, str(csv), str(out)]
    command = [sys.executable, str(HERE / "peers.py"), *args]
    shown = "python benchmarks/peers.py " + shlex.join(args)
    step = Step(f"{PEER_NAMES[engine]} (unzipped CSVs)", command, shown)
    if util.find_spec(engine) is None:
        step.skipped = f"{engine} is not installed (pip install '.[bench]')"
        log(f"{step.name}: skipped: {step.skipped}")
        return step
    run_step(step, lambda: shutil.rmtree(out, ignore_errors=True))
    finish(step, lambda: parquet_rows(out))
    shutil.rmtree(out, ignore_errors=True)
    return step


def small_release(data: Path, release: Path) -> str:
    """Build the release frictionless validates (not timed); "" or why it failed."""
    shutil.rmtree(release, ignore_errors=True)
    args = ["build", "--quiet", "--source", str(data), "--out", str(release)]
    done = subprocess.run(ptoffact(*args), capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return f"building its release failed ({done.returncode}): " + last_line(
            done.stderr.splitlines()
        )
    return ""


def frictionless_step(data: Path, release: Path, scale: float) -> Step:
    """(g) frictionless-py validating the datapackage.json of a release built from ``data``."""
    descriptor = release / "datapackage.json"
    command = [sys.executable, str(HERE / "frictionless_release.py"), str(descriptor)]
    shown = f"python benchmarks/frictionless_release.py {descriptor}"
    step = Step("frictionless", command, shown, tag=f"release datapackage, scale {scale:g}")
    step.note = (
        f"at scale {scale:g} (a source from the same generator; the release built from it "
        "first, not timed): all three tables, the primary and foreign keys, each file's bytes "
        "and sha256 hash; compare its rows/s with `ptoffact validate` at the same scale"
    )
    if error := small_release(data, release):
        step.returncode, step.error = 1, error
        log(f"{step.name}: {error}")
        return step
    run_step(step)
    if step.ok and not step.output.get("valid", False):
        step.note += f"; frictionless found {step.output.get('errors')} errors"
    return finish(step, lambda: int(step.output["rows"]))


def pandas_plan(
    data: Path, citation_rows: int | None, rows: int | None
) -> tuple[list[str], str, str]:
    """The pandas route's row options, tag and note: whole files unless they would not fit."""
    if rows:
        note = f"subset: the first {rows:,} rows of each table (--pandas-rows)"
        return ["--rows", str(rows)], f"subset: {rows:,} rows/table", note
    available = mem_info("MemAvailable") or mem_info("MemTotal") or 0
    size = member_bytes(data / "citations.csv.zip")
    estimate = PANDAS_RSS_BASE + PANDAS_RSS_PER_CSV_BYTE * size
    budget = PANDAS_MEMORY_SHARE * available
    if estimate <= budget or not citation_rows:
        note = (
            f"whole files: the estimated peak, {estimate / GIB:.1f} GiB, fits in "
            f"{PANDAS_MEMORY_SHARE:.0%} of the {available / GIB:.1f} GiB available"
        )
        return [], "whole files", note
    fit = int(citation_rows * (budget - PANDAS_RSS_BASE) / (PANDAS_RSS_PER_CSV_BYTE * size))
    fit = max(1_000_000 * (fit // 1_000_000), 100_000)
    note = (
        f"subset: citations limited to its first {fit:,} rows, since the whole table "
        f"(estimated peak {estimate / GIB:.1f} GiB) would not fit in "
        f"{PANDAS_MEMORY_SHARE:.0%} of the {available / GIB:.1f} GiB available; "
        "other tables whole"
    )
    return ["--citations-rows", str(fit)], f"subset: citations {fit:,} rows", note


def pandas_step(data: Path, out: Path, citation_rows: int | None, rows: int | None) -> Step:
    """(e) ``pandas.read_csv(dtype=str)`` then ``to_parquet``."""
    options, tag, note = pandas_plan(data, citation_rows, rows)
    args = [str(data), str(out), *options]
    command = [sys.executable, str(HERE / "pandas_route.py"), *args]
    shown = "python benchmarks/pandas_route.py " + shlex.join(args)
    step = Step("pandas read_csv + to_parquet", command, shown, tag=tag, note=note)
    step.subset = bool(options)
    run_step(step, lambda: shutil.rmtree(out, ignore_errors=True))
    finish(step, lambda: int(step.output["rows"]))
    shutil.rmtree(out, ignore_errors=True)
    return step


@dataclass
class MemoryRow:
    """validate and build at one scale, for the memory growth table."""

    scale: float
    validate: Step
    build: Step
    note: str = ""


def memory_row(scale: float, data: Path, work: Path) -> MemoryRow:
    """Run validate and build at one scale (generating its data if missing)."""
    note = ensure_data(data, scale)
    folder = work / f"scale-{scale_name(scale)}"
    folder.mkdir(parents=True, exist_ok=True)
    validate = validate_step(data, folder / "report.json")
    build = build_step(data, folder / "release")
    shutil.rmtree(folder / "release", ignore_errors=True)
    return MemoryRow(scale, validate, build, note)


# ---------------------------------------------------------------------------- the machine


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def version(package: str) -> str:
    """An installed package's version."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_revision() -> str:
    """The repository's commit, with ``+changes`` when the tree is dirty."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (head or "unknown") + (" + uncommitted changes" if dirty else "")


def machine() -> list[str]:
    """The machine's description, one Markdown bullet per line."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    total = mem_info("MemTotal")
    names = ("pyarrow", "pandas", "frictionless", "numpy", "duckdb", "polars")
    packages = ", ".join(f"{name} {version(name)}" for name in names)
    return [
        f"- CPU: {cpu_model()}, {cores} cores (nproc)",
        f"- memory: {total / GIB:.1f} GiB (MemTotal)" if total else "- memory: unknown",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {packages}",
        f"- ptoffact at commit {git_revision()}",
    ]


# ---------------------------------------------------------------------------- the report


def fmt_int(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def fmt_float(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def fmt_mib(value: int | None) -> str:
    return "—" if value is None else f"{value / MIB:,.0f}"


def ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base


def failed_cell(step: Step) -> str:
    """Why a step has no figures: skipped or failed."""
    if step.skipped:
        return f"skipped: {step.skipped}"
    return f"failed (exit {step.returncode}): {step.error}"


def step_row(step: Step, floor: Step) -> str:
    """One row of the main table."""
    name = step.name + (f" ({step.tag})" if step.tag else "")
    if not step.ok:
        return f"| {name} | {failed_cell(step)} | — | — | — | — | — | — |"
    usage = step.usage
    assert usage is not None
    wall_ratio = "n/a (subset)" if step.subset else fmt_float(ratio(usage.wall, floor.wall), 2)
    cells = [
        name,
        fmt_int(step.rows),
        fmt_float(usage.wall),
        fmt_float(step.rate, 0),
        fmt_mib(step.rss_bytes),
        wall_ratio,
        fmt_float(ratio(step.rate, floor.rate), 3),
        fmt_float(usage.user + usage.sys),
    ]
    return "| " + " | ".join(cells) + " |"


def steps_table(steps: Sequence[Step]) -> list[str]:
    """The main table: one row per step, ratios to the floor (the first step)."""
    lines = [
        "| step | rows | wall s | rows/s | peak RSS (MiB) | wall / floor "
        "| rows/s / floor | CPU s (user+sys) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    return lines + [step_row(step, steps[0]) for step in steps]


def small_table(steps: Sequence[Step]) -> list[str]:
    """The small-scale steps (validate and frictionless), without ratios to the floor."""
    lines = [
        "| step | rows | wall s | rows/s | peak RSS (MiB) | CPU s (user+sys) |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for step in steps:
        name = step.name + (f" ({step.tag})" if step.tag else "")
        if not step.ok or step.usage is None:
            lines.append(f"| {name} | {failed_cell(step)} | — | — | — | — |")
            continue
        usage = step.usage
        cells = [name, fmt_int(step.rows), fmt_float(usage.wall), fmt_float(step.rate, 0)]
        cells += [fmt_mib(step.rss_bytes), fmt_float(usage.user + usage.sys)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def check(name: str, value: float | None, limit: float | None, shown: str, le: bool) -> Target:
    """A target ``value <= limit`` (``le``) or ``value >= limit``."""
    if value is None or limit is None:
        return Target(name, "not measured (a step failed or was skipped)", None)
    return Target(name, shown, value <= limit if le else value >= limit)


def rate_target(
    value: Step, base: Step, base_name: str, limit: float | None, label: str = ""
) -> Target:
    """``value``'s rows/s at least ``limit`` times ``base``'s (``None``: shown, no target)."""
    times = ratio(value.rate, base.rate)
    shown = (
        f"{fmt_float(value.rate, 0)} rows/s = {fmt_float(times, 2)} {X} "
        f"{base_name} ({fmt_float(base.rate, 0)} rows/s)"
    )
    if limit is None:
        name = label or f"validate rows/s ÷ {base_name} rows/s"
        name += " (no target)"
        return Target(name, check(name, times, 0, shown, False).measured, None, has_target=False)
    return check(f"validate rows/s ≥ {limit:g} {X} {base_name} rows/s", times, limit, shown, False)


def wall_target(build: Step, base: Step, base_name: str, limit: float | None) -> Target:
    """``build``'s wall at most ``limit`` times ``base``'s (``None``: shown, no target)."""
    times = ratio(build.wall, base.wall)
    shown = f"{fmt_float(build.wall)} s = {fmt_float(times, 2)} {X} {base_name} "
    shown += f"({fmt_float(base.wall)} s)"
    if limit is None:
        name = f"build wall ÷ {base_name} wall (no target)"
        return Target(name, check(name, times, 0, shown, True).measured, None, has_target=False)
    return check(f"build wall ≤ {limit:g} {X} {base_name} wall", times, limit, shown, True)


def targets(results: Results) -> list[Target]:
    """Issue 11's targets, measured, and the Parquet size kept from issue 4."""
    steps, release_bytes, source_bytes = results.steps, results.release_bytes, results.source_bytes
    floor, build, fric = steps["floor"], steps["build"], steps["frictionless"]
    found = [
        rate_target(steps["validate"], floor, "floor", VALIDATE_FLOOR_TARGET),
        rate_target(steps["small validate"], fric, "frictionless", VALIDATE_FRICTIONLESS_TARGET),
        rate_target(
            steps["validate"],
            fric,
            "frictionless",
            None,
            f"validate rows/s at scale {results.scale:g} ÷ frictionless rows/s at scale "
            f"{results.small_scale:g}",
        ),
        wall_target(build, floor, "floor", BUILD_FLOOR_TARGET),
        wall_target(build, steps["duckdb"], "DuckDB", BUILD_DUCKDB_TARGET),
        wall_target(build, steps["polars"], "Polars", None),
    ]
    for key in ("validate", "build"):
        rss = steps[key].rss_bytes
        shown = f"{fmt_mib(rss)} MiB" if rss else ""
        found.append(check(f"{key} peak RSS ≤ 1 GiB", rss, RSS_TARGET, shown, le=True))
    shown = (
        f"{fmt_int(release_bytes)} B Parquet vs {fmt_int(source_bytes)} B zips "
        f"= {fmt_float(ratio(release_bytes, source_bytes), 3)}"
    )
    found.append(check("Parquet release ≤ zipped CSVs", release_bytes, source_bytes, shown, True))
    return found


def targets_table(found: Sequence[Target]) -> list[str]:
    """The targets as a Markdown table."""
    lines = ["| target | measured | status |", "|---|---|---|"]
    for target in found:
        status = {True: "met", False: "**not met**", None: "not measured"}[target.met]
        status = status if target.has_target else "—"
        lines.append(f"| {target.name} | {target.measured} | {status} |")
    return lines


def memory_table(rows: Sequence[MemoryRow]) -> list[str]:
    """Peak RSS and wall of validate and build by scale."""
    lines = [
        "| scale | rows | validate peak RSS (MiB) | build peak RSS (MiB) "
        "| validate wall s | build wall s |",
        "|--:|--:|--:|--:|--:|--:|",
    ]
    for row in sorted(rows, key=lambda r: r.scale):
        rows_read = row.validate.rows if row.validate.ok else row.build.rows
        cells = [
            f"{row.scale:g}",
            fmt_int(rows_read) if rows_read else f"failed: {row.note or row.validate.error}",
            fmt_mib(row.validate.rss_bytes),
            fmt_mib(row.build.rss_bytes),
            fmt_float(row.validate.usage.wall if row.validate.ok and row.validate.usage else None),
            fmt_float(row.build.usage.wall if row.build.ok and row.build.usage else None),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def stages_table(validate: dict[str, float], build: dict[str, float]) -> list[str]:
    """Seconds per stage from the two validation reports."""
    if not validate and not build:
        return ["No stage timings were reported."]
    names = list(dict.fromkeys([*validate, *build]))
    lines = ["| stage | validate s | build s |", "|---|--:|--:|"]
    for name in names:
        lines.append(
            f"| {name} | {fmt_float(validate.get(name), 2)} | {fmt_float(build.get(name), 2)} |"
        )
    return lines


@dataclass
class Results:
    """Everything one run measured."""

    command: str
    scale: float
    data: Path
    steps: dict[str, Step]
    memory: list[MemoryRow]
    source_bytes: int
    csv_bytes: int
    release_bytes: int | None
    validate_stages: dict[str, float]
    build_stages: dict[str, float]
    notes: list[str]
    small_scale: float = 0.0


def parquet_sizes(results: Results) -> list[str]:
    """One line comparing the Parquet bytes written by the release and the whole-file peers."""
    sizes = [f"the release's shards (zstd, typed) {fmt_int(results.release_bytes)}"]
    labels = {"duckdb": "DuckDB (zstd, all text)", "polars": "Polars (zstd, all text)"}
    labels["pandas"] = "pandas (snappy, all text)"
    for key, label in labels.items():
        step = results.steps[key]
        if step.ok and not step.subset and step.output.get("parquet_bytes"):
            sizes.append(f"{label} {int(step.output['parquet_bytes']):,}")
    return [f"Parquet bytes: {'; '.join(sizes)}."]


def runs_lines(steps: Sequence[Step]) -> list[str]:
    """When steps ran more than once: every run's wall time, and that the fastest is shown."""
    ran = [step for step in steps if len(step.walls) > 1]
    if not ran:
        return []
    walls = "; ".join(
        f"{step.name}{f' ({step.tag})' if step.tag else ''} "
        + ", ".join(f"{wall:.1f}" for wall in step.walls)
        for step in ran
    )
    return [
        f"Each step ran {RUNS_PER_STEP} times and the tables show its fastest run (wall, with "
        f"that run's CPU and peak RSS). Wall seconds of every run: {walls}.",
        "",
    ]


def render(results: Results) -> str:
    """The generated Markdown section, markers excluded."""
    steps = [results.steps[key] for key in MAIN_STEPS]
    small = [results.steps[key] for key in SMALL_STEPS]
    lines = [
        f"## Benchmark at scale {results.scale:g}",
        "",
        "Reproduce (from the repository root):",
        "",
        "```bash",
        results.command,
        "```",
        "",
        f"Run on {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, on:",
        "",
        *machine(),
        "",
        f"Source: the three zips written by `ptoffact synthesize --scale {results.scale:g}` "
        f"in `{results.data}`: {fmt_int(results.source_bytes)} bytes zipped, "
        f"{fmt_int(results.csv_bytes)} bytes of CSV. Each step is its own process, timed with "
        "`/usr/bin/time` (wall, CPU, peak RSS); every step reads the same rows: the zips, "
        f"or for DuckDB and Polars the CSVs unzipped beforehand into `{results.data / 'csv'}` "
        "(the unzip is not timed).",
        "",
        *steps_table(steps),
        "",
        "Ratios are to the floor. The floor only parses; `validate` also types and checks "
        "every cell, primary and foreign keys included; `build` also writes the Parquet "
        "shards, gzip CSVs and documents; DuckDB and Polars only convert the CSVs to zstd "
        "Parquet with every column as text. Wall times include each process' start-up and "
        "imports.",
        "",
        *[f"- {step.name}: {step.note}." for step in steps if step.note],
        "",
        *runs_lines([*steps, *small]),
        f"#### frictionless and `validate` at scale {results.small_scale:g}",
        "",
        *small_table(small),
        "",
        *[f"- {step.name}: {step.note}." for step in small if step.note],
        "",
        "Commands (`ptoffact` is run as `python -m ptoffact_build.cli`):",
        "",
        *[f"- {step.name}: `{step.shown}`" for step in [*steps, *small]],
        "",
        "### Targets",
        "",
        *targets_table(targets(results)),
        "",
    ]
    lines += [*parquet_sizes(results), ""]
    lines += [
        "### Peak memory by scale",
        "",
        *memory_table(results.memory),
        "",
        "### Where the time goes",
        "",
        f"Seconds per stage at scale {results.scale:g}, from the reports' "
        "`seconds_per_stage` (of the last run when steps ran more than once). Stages on "
        "worker threads overlap the main thread, so the stages do not add up to the wall time.",
        "",
        *stages_table(results.validate_stages, results.build_stages),
    ]
    if results.notes:
        lines += ["", "Notes:", "", *[f"- {note}" for note in results.notes]]
    return "\n".join(lines) + "\n"


def write_report(path: Path, section: str, scale: float, name: str = "BENCHMARK") -> None:
    """Replace the scale's generated section of ``path`` (creating the file or markers if
    needed); the other scales' sections (and other benchmarks' ``name``) stay."""
    begin, end = markers(scale, name)
    block = f"{begin}\n{section}{end}\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if begin in text and end in text and text.index(begin) < text.index(end):
        head, _, rest = text.partition(begin)
        _, _, tail = rest.partition(end)
        text = head + block.rstrip("\n") + tail
    elif text:
        text = text.rstrip("\n") + "\n\n" + block
    else:
        text = "# Benchmarks\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------- main


def parse_scales(text: str) -> list[float]:
    """``"0.1,0.3"`` → ``[0.1, 0.3]``; empty for ``""``."""
    return [float(part) for part in text.split(",") if part.strip()]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, required=True, help="1.0 = the real row counts")
    parser.add_argument("--data", type=Path, help=f"the zips (default {DEFAULT_ROOT}/<scale>)")
    parser.add_argument(
        "--data-root",
        type=Path,
        help="folder of <scale> data folders for --memory-scales (default: --data's parent)",
    )
    parser.add_argument("--work", type=Path, default=DEFAULT_ROOT / "work", help="outputs")
    parser.add_argument(
        "--memory-scales", default="", help="more scales for the memory growth table (0.1,0.3)"
    )
    parser.add_argument(
        "--frictionless-scale",
        type=float,
        default=0.01,
        help="scale of the source on which frictionless and validate are compared",
    )
    parser.add_argument(
        "--pandas-rows", type=int, help="first N rows per table (default: whole if it fits)"
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of each step; the fastest is kept (default 1)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    return parser.parse_args(argv)


def small_steps(scale: float, work: Path) -> dict[str, Step]:
    """``validate`` and frictionless on a source from the same generator at ``scale``."""
    data = work / f"source-{scale_name(scale)}"
    if note := ensure_data(data, scale):
        names = {"small validate": "ptoffact validate", "frictionless": "frictionless"}
        return {key: Step(name, [], "", returncode=1, error=note) for key, name in names.items()}
    warm_cache(zips(data))
    tag = f"scale {scale:g}"
    return {
        "small validate": validate_step(data, work / "small-report.json", tag),
        "frictionless": frictionless_step(data, work / "frictionless-release", scale),
    }


def measure(args: argparse.Namespace, data: Path, root: Path, command: str) -> Results:
    """Run every step and collect the results; ``command`` is the line that reproduces it."""
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    notes = [note] if (note := ensure_data(data, args.scale)) else []
    source = [path for path in zips(data) if path.is_file()]
    csv = unzip_csvs(data) if not notes else data / "csv"
    warm_cache(source)
    floor = floor_step(data)
    validate = validate_step(data, work / "report.json")
    build = build_step(data, work / "release")
    release_bytes = parquet_bytes(work / "release") if build.ok else None
    steps = {"floor": floor, "validate": validate, "build": build}
    for engine in PEER_NAMES:
        warm_cache([csv / f"{table}.csv" for table in TABLES])
        steps[engine] = peer_step(engine, csv, work / engine)
    floor_tables = floor.output.get("tables", {}) if floor.ok else {}
    steps["pandas"] = pandas_step(
        data, work / "pandas", floor_tables.get("citations"), args.pandas_rows
    )
    steps |= small_steps(args.frictionless_scale, work)
    memory = [MemoryRow(args.scale, validate, build)]
    for scale in parse_scales(args.memory_scales):
        if scale != args.scale:
            memory.append(memory_row(scale, root / scale_name(scale), work))
    return Results(
        command=command,
        scale=args.scale,
        data=data,
        steps=steps,
        memory=memory,
        source_bytes=sum(path.stat().st_size for path in source),
        csv_bytes=sum(member_bytes(path) for path in source),
        release_bytes=release_bytes,
        validate_stages=report_stages(work / "report.json"),
        build_stages=report_stages(build_report(work / "release")),
        notes=notes,
        small_scale=args.frictionless_scale,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: 0 when every step ran, 1 when one failed."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--wrap"]:
        return wrap(argv[1:])
    args = parse_args(argv)
    global RUNS_PER_STEP
    RUNS_PER_STEP = max(1, args.runs)
    data = args.data or DEFAULT_ROOT / scale_name(args.scale)
    root = args.data_root or data.parent
    command = shlex.join(["python", "benchmarks/run.py", *argv])
    results = measure(args, data, root, command)
    section = render(results)
    write_report(args.out, section, args.scale)
    print(section)
    log(f"written to {args.out}")
    failed = [s for s in results.steps.values() if not s.ok and not s.skipped]
    failed += [s for row in results.memory for s in (row.validate, row.build) if not s.ok]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
