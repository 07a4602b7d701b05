#!/usr/bin/env python
"""frictionless-py on a subset of the source, with ptoffact's own Table Schemas.

    python benchmarks/frictionless_subset.py write SOURCE_DIR SUBSET_DIR ROWS
    python benchmarks/frictionless_subset.py validate SUBSET_DIR

``write`` copies the first ROWS rows of office_actions and citations to plain CSVs, and the
first ROWS rows of rejections whose ``ifw_number`` is in the office_actions subset, so that the
foreign key (kept in the schema) holds on the subset. ``validate`` runs
``frictionless.Package.validate`` on them, every check on (types, constraints, primary and
foreign keys), and prints one JSON line: ``{"rows": total, "tables": {...}, "valid": bool,
"errors": n}``.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ptoffact_build.schema import TABLES, load_schema

LIMIT_ERRORS = 100_000


def source_rows(path: Path) -> Iterator[list[str]]:
    """The rows of a zip's single CSV member, header first."""
    with zipfile.ZipFile(path) as zf, zf.open(zf.namelist()[0]) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        yield from csv.reader(text)


def copy_rows(
    source: Path, target: Path, rows: int, keep: Callable[[list[str]], bool] | None = None
) -> tuple[list[str], list[list[str]]]:
    """Write the header and the first ``rows`` kept rows of ``source`` to ``target``."""
    reader = source_rows(source)
    header = next(reader)
    kept: list[list[str]] = []
    for row in reader:
        if keep is None or keep(row):
            kept.append(row)
            if len(kept) >= rows:
                break
    reader.close()
    with open(target, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(kept)
    return header, kept


def write(source: Path, subset: Path, rows: int) -> dict[str, int]:
    """Write the three subset CSVs; return the rows written per table."""
    subset.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    header, actions = copy_rows(
        source / "office_actions.csv.zip", subset / "office_actions.csv", rows
    )
    counts["office_actions"] = len(actions)
    key = header.index("ifw_number")
    known = {row[key] for row in actions if len(row) > key}
    del actions
    rej_source = source / "rejections.csv.zip"
    rej_key = next(source_rows(rej_source)).index("ifw_number")
    _, kept = copy_rows(
        rej_source,
        subset / "rejections.csv",
        rows,
        lambda row: len(row) > rej_key and row[rej_key] in known,
    )
    counts["rejections"] = len(kept)
    _, kept = copy_rows(source / "citations.csv.zip", subset / "citations.csv", rows)
    counts["citations"] = len(kept)
    return counts


def validate(subset: Path) -> dict[str, object]:
    """Validate the subset CSVs with frictionless; return rows, validity and error count."""
    import frictionless

    resources = [
        {
            "name": table,
            "path": f"{table}.csv",
            "format": "csv",
            "encoding": "utf-8",
            "schema": load_schema(table).frictionless(),
        }
        for table in TABLES
    ]
    package = frictionless.Package({"resources": resources}, basepath=str(subset))
    report = package.validate(limit_errors=LIMIT_ERRORS)
    tables = {task.name: int(task.stats.get("rows") or 0) for task in report.tasks}
    errors = sum(len(task.errors) for task in report.tasks)
    return {"rows": sum(tables.values()), "tables": tables, "valid": report.valid, "errors": errors}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) == 4 and args[0] == "write":
        counts = write(Path(args[1]), Path(args[2]), int(args[3]))
        print(json.dumps({"rows": sum(counts.values()), "tables": counts}))
        return 0
    if len(args) == 2 and args[0] == "validate":
        print(json.dumps(validate(Path(args[1]))))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
