"""Tampering with a release as a careless or hostile user would: a CSV copy's rows or a
Parquet shard's rows changed, then their sizes, hashes and (if asked) rows re-recorded in
datapackage.json and SHA256SUMS, so that the file-level check passes and only a re-check of
the rows can tell (import as ``release_edits``)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ptoffact_build.hashing import file_sha256

DATAPACKAGE = "datapackage.json"
SUMS = "SHA256SUMS"


def package_of(release: Path) -> dict:
    return json.loads((release / DATAPACKAGE).read_text(encoding="utf-8"))


def entry_of(package: dict, path: str) -> dict:
    """The datapackage entry (a resource or one of its shards) recording ``path``."""
    for resource in package["resources"]:
        for entry in [resource, *resource["parquet"]]:
            if entry["path"] == path:
                return entry
    raise KeyError(path)


def write_sums_line(release: Path, path: str) -> None:
    """SHA256SUMS's line for ``path`` given the file's digest now."""
    sums = release / SUMS
    lines = sums.read_text(encoding="utf-8").splitlines()
    digest = file_sha256(release / path)
    lines = [f"{digest}  {path}" if line.endswith(f"  {path}") else line for line in lines]
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")


def rerecord(release: Path, path: str, **fields: object) -> None:
    """Record ``path``'s size and sha256 as they are now (and any ``fields``, e.g. rows)."""
    package = package_of(release)
    entry = entry_of(package, path)
    entry["bytes"] = (release / path).stat().st_size
    entry["hash"] = f"sha256:{file_sha256(release / path)}"
    entry.update(fields)
    (release / DATAPACKAGE).write_text(json.dumps(package, indent=2), encoding="utf-8")
    write_sums_line(release, path)
    write_sums_line(release, DATAPACKAGE)


def csv_copy(table: str) -> str:
    return f"csv/{table}.csv.gz"


def shard_of(table: str) -> str:
    return f"data/{table}/train-00000-of-00001.parquet"


def edit_csv_text(release: Path, table: str, edit: Callable[[str], str]) -> None:
    """Change a CSV copy's text, then re-record it."""
    path = release / csv_copy(table)
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    path.write_bytes(gzip.compress(edit(text).encode("utf-8"), mtime=0))
    rerecord(release, csv_copy(table))


def records_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def text_of(records: list[list[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(records)
    return out.getvalue()


def edit_csv_records(
    release: Path, table: str, edit: Callable[[list[list[str]]], None]
) -> list[list[str]]:
    """Change a CSV copy's records (header first) in place, then re-record it; the records
    as they were before."""
    before: list[list[str]] = []

    def change(text: str) -> str:
        records = records_of(text)
        before.extend([list(r) for r in records])
        edit(records)
        return text_of(records)

    edit_csv_text(release, table, change)
    return before


def csv_records(release: Path, table: str) -> list[list[str]]:
    """A CSV copy's records, header first."""
    return records_of(gzip.decompress((release / csv_copy(table)).read_bytes()).decode("utf-8"))


def shard_table(release: Path, table: str) -> pa.Table:
    return pq.read_table(release / shard_of(table))


def edit_shard(
    release: Path, table: str, edit: Callable[[pa.Table], pa.Table], rows: bool = True
) -> None:
    """Rewrite a table's one shard with ``edit``'s rows, then re-record it (its rows too,
    unless ``rows`` is False)."""
    path = release / shard_of(table)
    changed = edit(pq.read_table(path))
    pq.write_table(changed, path)
    extra = {"rows": changed.num_rows} if rows else {}
    rerecord(release, shard_of(table), **extra)


def set_value(table: pa.Table, column: str, index: int, value: object) -> pa.Table:
    """The table with one cell replaced (the column keeps its type)."""
    values = table.column(column).to_pylist()
    values[index] = value
    at = table.schema.get_field_index(column)
    kept = table.schema.field(at)
    return table.set_column(at, kept, pa.array(values, kept.type))
