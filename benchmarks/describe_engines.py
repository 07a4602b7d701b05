#!/usr/bin/env python
"""The describe stage's heavy counts by two engines, side by side: ptoffact's measure (Polars
lazy queries, footers, two passes in key order) and DuckDB (SQL, as a researcher would write
it: a query per count, DuckDB's own parallelism and spilling).

    python benchmarks/describe_engines.py RELEASE [--threads 2] [--memory-limit 600MB]

Each engine runs in a process of its own, timed by ``os.wait4`` (wall, CPU of all threads,
peak RSS). DuckDB computes what costs most to measure: the rows per key and the joins of the
overview and the quirks, the repeated triples and pairs, the same-day duplicates, the
free-text columns' bytes, distinct estimates and lengths. ptoffact measures everything the
card shows (more than DuckDB here). DuckDB is a benchmark dependency (``pip install
'.[bench]'``); without it that step is skipped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DUCKDB_QUERIES = {
    "rejections per action, with an action": (
        "WITH p AS (SELECT ifw_number, count(*) n FROM rejections GROUP BY ALL) "
        "SELECT count(*), avg(n), median(n), sum(n) FILTER (WHERE ifw_number IN "
        "(SELECT ifw_number FROM office_actions)) FROM p"
    ),
    "citations per application, without an action": (
        "WITH p AS (SELECT app_id, count(*) n FROM citations GROUP BY ALL) "
        "SELECT count(*), avg(n), median(n), sum(n) FILTER (WHERE app_id NOT IN "
        "(SELECT app_id FROM office_actions)) FROM p"
    ),
    "citations per action named, unknown actions": (
        "WITH p AS (SELECT ifw_number, count(*) n FROM citations WHERE ifw_number IS NOT NULL "
        "GROUP BY ALL) SELECT count(*), sum(n) FILTER (WHERE ifw_number NOT IN "
        "(SELECT ifw_number FROM office_actions)) FROM p"
    ),
    "repeated rejection triples": (
        "SELECT count(*), sum(n) FROM (SELECT count(*) n FROM rejections "
        "GROUP BY ifw_number, action_type, action_subtype HAVING n > 1)"
    ),
    "repeated citation pairs (hashed)": (
        "SELECT sum(n) FROM (SELECT count(*) n FROM citations "
        "GROUP BY hash(app_id, citation_pat_pgpub_id) HAVING n > 1)"
    ),
    "same-day actions": (
        "SELECT sum(n) FROM (SELECT count(*) n FROM office_actions "
        "GROUP BY app_id, mail_dt HAVING n > 1)"
    ),
    "free text: bytes and distinct estimates": (
        "SELECT sum(strlen(citation_pat_pgpub_id)), approx_count_distinct(citation_pat_pgpub_id), "
        "sum(strlen(parsed)), approx_count_distinct(parsed) FROM citations"
    ),
    "parsed lengths": "SELECT length(parsed), count(*) FROM citations GROUP BY ALL",
}


def run_duckdb(release: Path, threads: int, memory_limit: str) -> None:
    """The child: DuckDB's queries over the release, each query's seconds on stderr."""
    import tempfile

    import duckdb

    with tempfile.TemporaryDirectory(prefix="ptoffact-duckdb-") as spill:
        config = {"threads": threads, "memory_limit": memory_limit, "temp_directory": spill}
        db = duckdb.connect(config={**config, "preserve_insertion_order": False})
        for table in ("office_actions", "rejections", "citations"):
            shards = (release / "data" / table / "*.parquet").as_posix()
            db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{shards}')")
        for name, sql in DUCKDB_QUERIES.items():
            started = time.perf_counter()
            db.sql(sql).fetchall()
            print(f"  {name}: {time.perf_counter() - started:.2f} s", file=sys.stderr)


def run_ptoffact(release: Path) -> None:
    """The child: ptoffact's measure of the release (everything the card shows)."""
    from ptoffact_build.allocators import use_lean_allocators
    from ptoffact_build.describe.measure import measure_release
    from ptoffact_build.schema import TABLES

    use_lean_allocators()
    measure_release({t: sorted((release / "data" / t).glob("*.parquet")) for t in TABLES})


def child_cost(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of this script in child mode."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", *argv])
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"describe_engines: {' '.join(argv)} failed")
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def has_duckdb() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path, help="a release folder (ptoffact build --out)")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB's threads (default 2)")
    parser.add_argument("--memory-limit", default="600MB", help="DuckDB's (default 600MB)")
    args = parser.parse_args(argv)
    rows = [
        (
            "ptoffact measure (Polars; every number of the card)",
            child_cost(["ptoffact", str(args.release)]),
        )
    ]
    if has_duckdb():
        engine = ["duckdb", str(args.release), str(args.threads), args.memory_limit]
        rows.append(("DuckDB (the heavy counts only)", child_cost(engine)))
    else:
        print("DuckDB is not installed: its step is skipped", file=sys.stderr)
    print("| engine | wall s | CPU s | peak RSS MiB |\n|---|--:|--:|--:|")
    for name, (wall, cpu, rss) in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {rss:,.0f} |")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        mode, release, *rest = sys.argv[2:]
        if mode == "duckdb":
            run_duckdb(Path(release), int(rest[0]), rest[1])
        else:
            run_ptoffact(Path(release))
        sys.exit(0)
    sys.exit(main())
