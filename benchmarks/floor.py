#!/usr/bin/env python
"""The floor: pyarrow's bare CSV parse of the three zips, counting rows.

    python benchmarks/floor.py DIR

Each zip member is streamed through ``zipfile`` into ``pyarrow.csv.open_csv`` with every column
typed as string, ``strings_can_be_null=False`` and 16 MB blocks; nothing is checked or kept.
Prints one JSON line: ``{"rows": total, "tables": {table: rows}}``.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")
BLOCK_SIZE = 16 << 20


def header_names(zf: zipfile.ZipFile, member: str) -> list[str]:
    """The column names on the member's first line."""
    with zf.open(member) as stream:
        line = stream.readline().decode("utf-8-sig").rstrip("\r\n")
    return next(csv.reader([line]))


def count_rows(path: Path) -> int:
    """Parse the zip's single CSV member with pyarrow and return its number of data rows."""
    with zipfile.ZipFile(path) as zf:
        member = zf.namelist()[0]
        names = header_names(zf, member)
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
        )
        read = pacsv.ReadOptions(block_size=BLOCK_SIZE)
        rows = 0
        with zf.open(member) as stream:
            reader = pacsv.open_csv(stream, read_options=read, convert_options=convert)
            for batch in reader:
                rows += batch.num_rows
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(args[0])
    tables = {t: count_rows(folder / f"{t}.csv.zip") for t in TABLES}
    print(json.dumps({"rows": sum(tables.values()), "tables": tables}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
