"""Comparing ptoffact's findings with frictionless-py's on the same CSV files.

Findings are compared as sets of (table, row, field, error type). frictionless validates a
datapackage of the files described exactly as ptoffact's datapackages describe them (the
same schemas and the same pinned CSV dialect).
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import frictionless

from ptoffact_build.describe.datapackage import CSV_DIALECT
from ptoffact_build.pipeline import CheckOptions, run_tables
from ptoffact_build.read.sources import resolve_sources, sample_dir
from ptoffact_build.schema import load_schema

# frictionless names no field for these; ptoffact names the key field (or none)
ROW_LEVEL = {"primary-key", "foreign-key", "blank-row", "extra-cell", "extra-label"}


def normalise(table: str, row: int | None, field: str | None, kind: str) -> tuple:
    return (table, row, None if kind in ROW_LEVEL else field, kind)


def frictionless_findings(
    files: dict[str, Path], without_keys_into: frozenset[str] = frozenset()
) -> set[tuple]:
    """What frictionless-py reports on the files, every error kept.

    ``without_keys_into`` names tables whose incoming foreign keys are left out of the
    schemas given to frictionless (see docs/reference.md, "Differences from frictionless-py").
    """
    resources = []
    for table, path in files.items():
        schema = load_schema(table).frictionless()
        keys = [
            fk
            for fk in schema.get("foreignKeys", [])
            if fk["reference"]["resource"] not in without_keys_into
        ]
        schema = (
            {**schema, "foreignKeys": keys}
            if keys
            else {k: v for k, v in schema.items() if k != "foreignKeys"}
        )
        resources.append(
            {
                "name": table,
                "path": path.name,
                "format": "csv",
                "encoding": "utf-8",
                "dialect": CSV_DIALECT,
                "schema": schema,
            }
        )
    folder = next(iter(files.values())).parent
    package = frictionless.Package({"resources": resources}, basepath=str(folder))
    return report_findings(package.validate(limit_errors=100_000))


def release_findings(datapackage: Path) -> set[tuple]:
    """What frictionless-py reports validating a release's datapackage.json (its CSV copies,
    their bytes and hashes), every error kept."""
    package = frictionless.Package(str(datapackage))
    return report_findings(package.validate(limit_errors=100_000))


def report_findings(report: frictionless.Report) -> set[tuple]:
    """A frictionless report's errors as (table, row, field, type), none lost to the limit."""
    found = set()
    for task in report.tasks:
        assert not task.warnings or "limit" not in str(task.warnings)
        for error in task.errors:
            found.add(
                normalise(
                    task.name,
                    getattr(error, "row_number", None),
                    getattr(error, "field_name", None),
                    error.type,
                )
            )
    assert not report.errors, report.errors  # the package itself was read
    return found


def ptoffact_findings(files: dict[str, Path], chunk_bytes: int = 64 << 20) -> set[tuple]:
    result = run_tables(
        resolve_sources(files.values()), CheckOptions(keep_all=True, chunk_bytes=chunk_bytes)
    )
    return {normalise(*f.key()) for f in result.findings()}


def sample_records(table: str) -> list[list[str]]:
    """The embedded sample's CSV records of a table, header first."""
    with zipfile.ZipFile(sample_dir() / f"{table}.csv.zip") as archive:
        text = archive.read(f"{table}.csv").decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def csv_bytes(rows: list[list[str]], quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    """Records as the distribution writes them (LF, minimal quoting unless asked)."""
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n", quoting=quoting).writerows(rows)
    return out.getvalue().encode("utf-8")
