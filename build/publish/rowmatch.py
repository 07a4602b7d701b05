"""Naming the rows in which a release's CSV copy and its Parquet shards differ.

Only the hash buckets whose digests disagree are looked at (up to :data:`NAMED_ROWS` rows a
side per table; the rest are counted in one finding). A second pass collects the rows of
those buckets: the Parquet rows with their shard and position, and the CSV's valid rows with
their row number, re-read through the same checks as the first pass so that the same rows
count as valid. Rows are matched as a multiset by their two hashes; each one left over is a
``copy-mismatch`` finding. The Parquet rows left over are then checked against the Table
Schema directly (constraints, required values, the primary key among all the table's shards,
the foreign keys), and where a referenced table's copies differ, every row of the tables
referring to it is checked against the keys its shards hold.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check import findings as F
from ptoffact_build.check.cells import to_mask
from ptoffact_build.check.checker import constraint_failures, constraint_note
from ptoffact_build.check.findings import Finding, FindingBlock, FindingLog
from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.pipeline import CheckOptions, run_all_tables
from ptoffact_build.progress import RowProgress
from ptoffact_build.publish.recorded import Shard, shard_frames
from ptoffact_build.publish.rowdigest import RowDigest, bucket_mask, buckets_of, row_hashes
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.schema import TABLES, TableSchema, load_schema

COPY_MISMATCH = "copy-mismatch"  # a finding: a row of one copy with no equal row in the other
NAMED_ROWS = 200_000  # rows a side per table collected to name the differences (memory bound)
NOT_IN_PARQUET = "no equal row in the Parquet shards"
NOT_IN_CSV = "no equal row in the CSV copy"


@dataclass
class PickedRows:
    """Rows of one copy in the chosen buckets: where each is, its hashes and its values."""

    schema: pa.Schema
    files: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # CSV row number or Parquet index
    hashes: list[np.ndarray] = field(default_factory=list)
    tables: list[pa.Table] = field(default_factory=list)

    def add(self, file: str, positions: np.ndarray, hashes: np.ndarray, rows: pa.Table) -> None:
        self.files.extend([file] * len(positions))
        self.positions.extend(positions.tolist())
        self.hashes.append(hashes)
        self.tables.append(rows)

    def keys(self) -> list[tuple[int, int]]:
        """Each row's two hashes, in the order the rows were added."""
        if not self.hashes:
            return []
        both = np.concatenate(self.hashes, axis=1)
        return list(zip(both[0].tolist(), both[1].tolist(), strict=True))

    def rows(self, index: list[int]) -> pa.Table:
        """The rows at ``index`` (in the order added)."""
        every = pa.concat_tables(self.tables) if self.tables else self.schema.empty_table()
        return every.take(pa.array(index, pa.int64()))


@dataclass
class Picker:
    """A pipeline RowObserver keeping the CSV rows in the chosen buckets."""

    chosen: Mapping[str, np.ndarray]  # table -> bucket lookup table
    picked: dict[str, PickedRows]

    def observe(self, table: str, file: str, rows: np.ndarray, typed: pa.RecordBatch) -> None:
        if table in self.chosen and typed.num_rows:
            pick(self.picked[table], self.chosen[table], file, rows, typed)


def pick(
    into: PickedRows,
    chosen: np.ndarray,
    file: str,
    positions: np.ndarray,
    rows: pa.RecordBatch | pl.DataFrame,
) -> None:
    """Keep the rows (typed CSV rows, or a frame of Parquet rows) whose bucket is chosen."""
    hashes = row_hashes(rows)
    index = np.flatnonzero(chosen[buckets_of(hashes)])
    if not len(index):
        return
    table = rows.to_arrow() if isinstance(rows, pl.DataFrame) else pa.Table.from_batches([rows])
    taken = table.take(pa.array(index)).cast(into.schema)
    into.add(file, positions[index], hashes[:, index], taken)


def chosen_buckets(
    csv: RowDigest, parquet: RowDigest, differing: np.ndarray
) -> tuple[np.ndarray, int, int]:
    """The differing buckets whose rows are named (in bucket order, while both sides' rows
    stay within :data:`NAMED_ROWS`), and how many rows and buckets are left unnamed."""
    limit = NAMED_ROWS
    sizes = np.maximum(csv.counts[differing], parquet.counts[differing])
    within = np.cumsum(sizes) <= limit
    left = differing[~within]
    return differing[within], int(sizes[~within].sum()), len(left)


def referenced_tables(tables: Iterable[str]) -> set[str]:
    """The tables and every table their foreign keys lead to."""
    found: set[str] = set()
    todo = list(tables)
    while todo:
        table = todo.pop()
        if table not in found:
            found.add(table)
            todo.extend(fk["reference"]["resource"] for fk in load_schema(table).foreign_keys)
    return found


def csv_rows(
    sources: Mapping[str, list[SourceFile]],
    chosen: Mapping[str, np.ndarray],
    progress: RowProgress | None,
) -> dict[str, PickedRows]:
    """The CSV's valid rows in the chosen buckets, read again through the same checks (with
    the tables they refer to, so that the same rows are valid)."""
    picked = {t: PickedRows(load_schema(t).arrow) for t in chosen}
    needed = referenced_tables(chosen)
    again = {t: list(sources[t]) if t in needed else [] for t in TABLES}
    if progress is not None:
        progress.note(f"reading {', '.join(t for t in TABLES if t in needed)} again")
    run_all_tables(
        again,
        CheckOptions(),
        None,
        progress or RowProgress.quiet(),
        FindingLog(examples_per_type=0),
        observer=Picker(chosen, picked),
    )
    return picked


def parquet_rows(release: Path, table: str, shards: list[Shard], chosen: np.ndarray) -> PickedRows:
    """The table's Parquet rows in the chosen buckets, with their shard and index."""
    picked = PickedRows(load_schema(table).arrow)
    for shard in shards:
        start = 0
        for frame in shard_frames(release, shard):
            positions = np.arange(start, start + frame.height)
            pick(picked, chosen, shard.path, positions, frame)
            start += frame.height
    return picked


def left_over(ours: list[tuple[int, int]], theirs: list[tuple[int, int]]) -> list[int]:
    """Indexes of our rows with no equal row among theirs (matched as multisets: of a row
    we hold more often, the last copies are left over)."""
    available: defaultdict[tuple[int, int], int] = defaultdict(int)
    for key in theirs:
        available[key] += 1
    extra = []
    for i, key in enumerate(ours):
        if available[key]:
            available[key] -= 1
        else:
            extra.append(i)
    return extra


def row_text(row: dict) -> str:
    """A row's values as one line of JSON."""
    return json.dumps(row, default=str, ensure_ascii=False)


@dataclass
class Located:
    """Rows of one copy left over: their files, positions and values."""

    files: list[str]
    positions: np.ndarray
    rows: pa.Table

    @classmethod
    def of(cls, picked: PickedRows, index: list[int]) -> Located:
        positions = np.array([picked.positions[i] for i in index], np.int64)
        return cls([picked.files[i] for i in index], positions, picked.rows(index))

    def by_file(self) -> Iterable[tuple[str, np.ndarray]]:
        """Each file with the indexes (into these rows) of its rows."""
        files = np.array(self.files, dtype=object)
        for file in dict.fromkeys(self.files):
            yield file, np.flatnonzero(files == file)


def log_rows(log: FindingLog, table: str, located: Located, note: str) -> None:
    """A copy-mismatch finding per row, naming its file and row, with its values."""
    texts = pa.array([row_text(r) for r in located.rows.to_pylist()], pa.string())
    for file, index in located.by_file():
        block = FindingBlock(COPY_MISMATCH, None, note, index, texts.take(pa.array(index)))
        log.add_block(table, file, located.positions, block)


def log_masked(
    log: FindingLog, table: str, located: Located, kind: str, name: str, note: str, mask, values
) -> None:
    """Findings of one kind on the located rows where ``mask`` holds."""
    for file, index in located.by_file():
        hit = index[mask[index]]
        if len(hit):
            text = None if values is None else values.take(pa.array(hit)).cast(pa.string())
            log.add_block(table, file, located.positions, FindingBlock(kind, name, note, hit, text))


def schema_findings(log: FindingLog, schema: TableSchema, located: Located) -> None:
    """Parquet rows checked against their fields' constraints and required values (their
    types are the shard's, checked equal to the table's)."""
    for f in schema.fields:
        values = located.rows.column(f.name).combine_chunks()
        if pa.types.is_integer(values.type):
            values = values.cast(pa.int64())  # as the checker types integers
        if f.required:
            missing = ~to_mask(pc.is_valid(values))
            note = constraint_note("required", True)
            log_masked(log, schema.name, located, F.CONSTRAINT_ERROR, f.name, note, missing, None)
        for name, broken in constraint_failures(f, values):
            note = constraint_note(name, f.constraints[name])
            log_masked(log, schema.name, located, F.CONSTRAINT_ERROR, f.name, note, broken, values)


def key_column(release: Path, shards: list[Shard], name: str) -> pa.ChunkedArray:
    """One column of every shard of a table (a key: small beside the table)."""
    frames = [frame for shard in shards for frame in shard_frames(release, shard, [name])]
    if not frames:
        return pa.chunked_array([], pa.string())
    return pl.concat(frames).to_arrow().column(name)


def primary_key_findings(
    log: FindingLog, release: Path, schema: TableSchema, shards: list[Shard], located: Located
) -> None:
    """Left-over Parquet rows whose key is null or held by another row of the shards."""
    (name,) = schema.primary_key
    keys = located.rows.column(name).combine_chunks()
    null = ~to_mask(pc.is_valid(keys))
    note = 'cells composing the primary keys are all "None"'
    log_masked(log, schema.name, located, F.PRIMARY_KEY, name, note, null, None)
    every = key_column(release, shards, name)
    counts = pc.value_counts(every.filter(pc.is_in(every, value_set=keys)))
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    twice = to_mask(pc.is_in(keys, repeated)) & ~null
    note = "the same key appears in another row of the Parquet shards"
    log_masked(log, schema.name, located, F.PRIMARY_KEY, name, note, twice, keys)


def dangling(values: pa.Array, index: KeyIndex) -> np.ndarray:
    """Non-null values that are not keys of ``index``."""
    return ~index.contains(values) & to_mask(pc.is_valid(values))


def foreign_key_findings(
    log: FindingLog,
    release: Path,
    schema: TableSchema,
    shards: Mapping[str, list[Shard]],
    located: Located | None,
    referenced_differ: set[str],
) -> None:
    """Foreign keys of the Parquet rows: every row of the table when the referenced table's
    copies differ, else only the rows left over (``located``)."""
    for fk in schema.foreign_keys:
        (name,) = fk["fields"]
        target = fk["reference"]["resource"]
        if located is None and target not in referenced_differ:
            continue
        (key,) = fk["reference"]["fields"]
        index = KeyIndex.build(key_column(release, shards[target], key))
        note = f"not found in {target}.{key} in the Parquet shards"
        if target in referenced_differ:
            every_row_dangling(log, release, schema.name, shards[schema.name], name, index, note)
        elif located is not None:
            values = located.rows.column(name).combine_chunks()
            mask = dangling(values, index)
            log_masked(log, schema.name, located, F.FOREIGN_KEY, name, note, mask, values)


def every_row_dangling(
    log: FindingLog,
    release: Path,
    table: str,
    shards: list[Shard],
    name: str,
    index: KeyIndex,
    note: str,
) -> None:
    """A foreign-key finding for each row of the shards whose value is not a key."""
    for shard in shards:
        start = 0
        for frame in shard_frames(release, shard, [name]):
            values = frame.get_column(name).to_arrow()
            mask = dangling(values, index)
            if mask.any():
                hit = np.flatnonzero(mask)
                block = FindingBlock(F.FOREIGN_KEY, name, note, hit, values.take(pa.array(hit)))
                positions = np.arange(start, start + frame.height)
                log.add_block(table, shard.path, positions, block)
            start += frame.height


def name_differences(
    release: Path,
    sources: Mapping[str, list[SourceFile]],
    shards: Mapping[str, list[Shard]],
    csv: Mapping[str, RowDigest],
    parquet: Mapping[str, RowDigest],
    differing: Mapping[str, np.ndarray],
    log: FindingLog,
    progress: RowProgress | None = None,
) -> None:
    """Findings naming the rows that differ between the copies, and the Parquet rows among
    them checked against the schema."""
    chosen = {}
    for table in TABLES:
        if not len(differing[table]):
            continue
        named, rows_left, buckets_left = chosen_buckets(
            csv[table], parquet[table], differing[table]
        )
        chosen[table] = bucket_mask(named)
        if rows_left:
            note = (
                f"about {rows_left:,} more rows in {buckets_left:,} hash buckets differ between "
                f"the CSV copy and the Parquet shards; not named (at most {NAMED_ROWS:,} are)"
            )
            log.add(Finding(table, f"data/{table}/", None, None, COPY_MISMATCH, None, note))
    from_csv = csv_rows(sources, chosen, progress)
    for table in TABLES:
        if table not in chosen:
            if any(t in chosen for t in referenced_tables([table]) - {table}):
                schema = load_schema(table)
                foreign_key_findings(log, release, schema, shards, None, set(chosen))
            continue
        from_parquet = parquet_rows(release, table, shards[table], chosen[table])
        log_differences(log, release, table, shards, from_csv[table], from_parquet, set(chosen))


def log_differences(
    log: FindingLog,
    release: Path,
    table: str,
    shards: Mapping[str, list[Shard]],
    from_csv: PickedRows,
    from_parquet: PickedRows,
    differ: set[str],
) -> None:
    """Findings for one table's rows left over on either side, and the Parquet ones checked."""
    csv_keys, parquet_keys = from_csv.keys(), from_parquet.keys()
    only_csv = Located.of(from_csv, left_over(csv_keys, parquet_keys))
    only_parquet = Located.of(from_parquet, left_over(parquet_keys, csv_keys))
    log_rows(log, table, only_csv, NOT_IN_PARQUET)
    log_rows(log, table, only_parquet, NOT_IN_CSV)
    schema = load_schema(table)
    if only_parquet.rows.num_rows:
        schema_findings(log, schema, only_parquet)
        if schema.primary_key:
            primary_key_findings(log, release, schema, shards[table], only_parquet)
    located = only_parquet if only_parquet.rows.num_rows else None
    foreign_key_findings(log, release, schema, shards, located, differ - {table})
