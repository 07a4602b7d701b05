#!/usr/bin/env python
"""The route many researchers take: ``pandas.read_csv(dtype=str)`` then ``to_parquet``.

    python benchmarks/pandas_route.py SOURCE_DIR OUT_DIR [--rows N] [--citations-rows N]

Per table, the zip member is read through ``zipfile`` with ``pandas.read_csv(dtype=str)`` (all
other options left at pandas' defaults) and written with ``DataFrame.to_parquet``. ``--rows``
reads only the first N rows of every table (``nrows``); ``--citations-rows`` only of citations.
Prints one JSON line: ``{"rows": total, "tables": {table: rows}, "parquet_bytes": n}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")


def convert(source: Path, out: Path, nrows: int | None) -> tuple[int, int]:
    """Read one zipped CSV with pandas and write it as Parquet; return (rows, parquet bytes)."""
    with zipfile.ZipFile(source) as zf, zf.open(zf.namelist()[0]) as stream:
        frame = pd.read_csv(stream, dtype=str, nrows=nrows)
    frame.to_parquet(out)
    return len(frame), out.stat().st_size


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder holding the three zips")
    parser.add_argument("out", type=Path, help="folder for the Parquet files")
    parser.add_argument("--rows", type=int, help="first N rows of every table")
    parser.add_argument("--citations-rows", type=int, help="first N rows of citations")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    parquet_bytes = 0
    for table in TABLES:
        nrows = args.citations_rows if table == "citations" and args.citations_rows else args.rows
        source = args.source / f"{table}.csv.zip"
        rows[table], size = convert(source, args.out / f"{table}.parquet", nrows)
        parquet_bytes += size
    print(json.dumps({"rows": sum(rows.values()), "tables": rows, "parquet_bytes": parquet_bytes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
