#!/usr/bin/env python
"""The peers' plain conversions of the unzipped CSVs to zstd Parquet, every column as text.

    python benchmarks/peers.py duckdb CSV_DIR OUT_DIR
    python benchmarks/peers.py polars CSV_DIR OUT_DIR

Per table, ``CSV_DIR/<table>.csv`` becomes ``OUT_DIR/<table>.parquet``:

- duckdb: ``COPY (SELECT * FROM read_csv(<csv>, all_varchar=true)) TO <out>
  (FORMAT parquet, COMPRESSION zstd)``;
- polars: ``pl.scan_csv(<csv>, infer_schema=False).sink_parquet(<out>, compression="zstd")``.

Nothing is checked. Prints one JSON line: ``{"parquet_bytes": n}`` (the caller counts the
rows in the Parquet files' metadata, outside the timed process).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def with_duckdb(csv: Path, out: Path) -> None:
    """DuckDB's COPY of one CSV to zstd Parquet, all columns as VARCHAR."""
    import duckdb

    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM read_csv({sql_text(str(csv))}, all_varchar=true)) "
            f"TO {sql_text(str(out))} (FORMAT parquet, COMPRESSION zstd)"
        )


def with_polars(csv: Path, out: Path) -> None:
    """Polars' streaming scan of one CSV, every column as text, sunk to zstd Parquet."""
    import polars as pl

    pl.scan_csv(csv, infer_schema=False).sink_parquet(out, compression="zstd")


CONVERTERS: dict[str, Callable[[Path, Path], None]] = {
    "duckdb": with_duckdb,
    "polars": with_polars,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] not in CONVERTERS:
        print(__doc__, file=sys.stderr)
        return 2
    convert, source, out = CONVERTERS[args[0]], Path(args[1]), Path(args[2])
    out.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        convert(source / f"{table}.csv", out / f"{table}.parquet")
    size = sum((out / f"{table}.parquet").stat().st_size for table in TABLES)
    print(json.dumps({"parquet_bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
