"""Validation findings as typed data, named with frictionless' error types."""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from ptoffact_build.errors import UsageError

TYPE_ERROR = "type-error"
CONSTRAINT_ERROR = "constraint-error"
PRIMARY_KEY = "primary-key"
FOREIGN_KEY = "foreign-key"
BLANK_ROW = "blank-row"
EXTRA_CELL = "extra-cell"
MISSING_CELL = "missing-cell"
EXTRA_LABEL = "extra-label"
MISSING_LABEL = "missing-label"
INCORRECT_LABEL = "incorrect-label"
BLANK_LABEL = "blank-label"
DUPLICATE_LABEL = "duplicate-label"
ENCODING_ERROR = "encoding-error"


@dataclass(frozen=True)
class Finding:
    """One problem: where it is (table, file, row, field), its type, the value and a note."""

    table: str
    file: str
    row: int | None
    field: str | None
    type: str
    value: str | None
    note: str

    def key(self) -> tuple[str, int | None, str | None, str]:
        """The (table, row, field, error type) tuple tests compare."""
        return (self.table, self.row, self.field, self.type)

    def one_line(self) -> str:
        """A one-line message naming the file, row and column."""
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"column {self.field}")
        value = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(where)}: {self.type}: {self.note}{value}"


@dataclass
class FindingBlock:
    """Findings of one kind in one batch, kept as arrays (``index`` is the batch position)."""

    type: str
    field: str | None
    note: str
    index: np.ndarray
    values: pa.Array | None = None

    def findings(self, table: str, file: str, rows: np.ndarray) -> list[Finding]:
        """The block as individual findings."""
        values = self.values.to_pylist() if self.values is not None else [None] * len(self.index)
        return [
            Finding(table, file, int(rows[i]), self.field, self.type, v, self.note)
            for i, v in zip(self.index, values, strict=True)
        ]

    def first(self, table: str, file: str, rows: np.ndarray, limit: int) -> list[Finding]:
        """At most ``limit`` findings of the block."""
        head = FindingBlock(
            self.type,
            self.field,
            self.note,
            self.index[:limit],
            None if self.values is None else self.values.slice(0, limit),
        )
        return head.findings(table, file, rows)


FINDINGS_COLUMNS = ("table", "file", "row", "field", "type", "value", "message")
FINDINGS_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("file", pa.string()),
        ("row", pa.int64()),
        ("field", pa.string()),
        ("type", pa.string()),
        ("value", pa.string()),
        ("message", pa.string()),
    ]
)
FINDINGS_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def constant(text: str | None, n: int) -> pa.Array:
    """``n`` copies of one string, built without a Python object per copy."""
    if text is None:
        return pa.nulls(n, pa.string())
    indices = pa.array(np.zeros(n, np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([text])).cast(pa.string())


class FindingsFile:
    """Every finding, streamed to a CSV or JSON Lines file batch by batch.

    The file is written beside its final name and moved there by :meth:`close`, which runs
    whether or not the run succeeded: a failed run is when the list matters most.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.format = findings_format(self.path)
        # a name of fixed length: any name --findings takes leaves room for it
        self.partial = self.path.with_name(f".ptoffact-findings-{os.getpid()}.part")
        try:
            self.stream = open(self.partial, "wb")  # noqa: SIM115 (closed in close())
        except OSError as exc:
            raise UsageError(f"--findings {self.path}: cannot write ({exc.strerror})") from exc
        self.csv: pcsv.CSVWriter | None = None
        self.rows = 0

    def write(self, batch: pa.RecordBatch) -> None:
        """Append findings (a batch with :data:`FINDINGS_SCHEMA`)."""
        if self.format == "csv":
            if self.csv is None:
                options = pcsv.WriteOptions(quoting_style="needed")
                self.csv = pcsv.CSVWriter(self.stream, FINDINGS_SCHEMA, write_options=options)
            self.csv.write_batch(batch)
        else:
            self.stream.write(json_lines(batch))
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file and put it under its name."""
        if self.format == "csv" and self.csv is None:
            self.write(empty_batch())  # the header line, even with no findings
        if self.csv is not None:
            self.csv.close()
        self.stream.close()
        os.replace(self.partial, self.path)


def empty_batch() -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([], schema=FINDINGS_SCHEMA)


def json_lines(batch: pa.RecordBatch) -> bytes:
    """A batch as JSON Lines, one object per finding (written by Polars, column-wise)."""
    import polars as pl

    out = io.BytesIO()
    cast(pl.DataFrame, pl.from_arrow(batch)).write_ndjson(out)
    return out.getvalue()


def findings_format(path: Path) -> str:
    """``csv`` or ``jsonl``, from the file name's suffix."""
    kind = FINDINGS_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"--findings {path}: name it .csv, .jsonl or .ndjson")
    if path.is_dir():
        raise UsageError(f"--findings {path}: is a folder")
    if not path.parent.is_dir():
        raise UsageError(f"--findings {path}: no folder {path.parent}")
    return kind


def block_batch(table: str, file: str, rows: np.ndarray, block: FindingBlock) -> pa.RecordBatch:
    """A block as rows of the findings file, column by column."""
    n = len(block.index)
    values = block.values if block.values is not None else pa.nulls(n, pa.string())
    columns = [
        constant(table, n),
        constant(file, n),
        pa.array(rows[block.index], pa.int64()),
        constant(block.field, n),
        constant(block.type, n),
        values.cast(pa.string()),
        constant(block.note, n),
    ]
    return pa.RecordBatch.from_arrays(columns, schema=FINDINGS_SCHEMA)


def finding_batch(finding: Finding) -> pa.RecordBatch:
    row = {name: getattr(finding, name) for name in FINDINGS_COLUMNS[:-1]}
    return pa.RecordBatch.from_pylist([{**row, "message": finding.note}], schema=FINDINGS_SCHEMA)


@dataclass
class FindingLog:
    """Counts of every finding, capped examples per type, and all findings if asked."""

    examples_per_type: int = 20
    keep_all: bool = False
    counts: Counter = field(default_factory=Counter)  # (table, type) -> n
    field_counts: Counter = field(default_factory=Counter)  # (table, type, field) -> n
    examples: dict[tuple[str, str], list[Finding]] = field(default_factory=dict)
    everything: list[Finding] = field(default_factory=list)
    out: FindingsFile | None = None  # every finding, streamed to a file

    def add(self, finding: Finding) -> None:
        """Record one finding."""
        self.add_block_counts(finding.table, finding.type, finding.field, 1)
        self.keep(finding.table, finding.type, [finding])
        if self.out is not None:
            self.out.write(finding_batch(finding))

    def add_block(self, table: str, file: str, rows: np.ndarray, block: FindingBlock) -> None:
        """Record a block of findings without expanding more than needed."""
        n = len(block.index)
        if n == 0:
            return
        self.add_block_counts(table, block.type, block.field, n)
        if self.out is not None:
            self.out.write(block_batch(table, file, rows, block))
        if self.keep_all:
            self.keep(table, block.type, block.findings(table, file, rows))
        else:
            room = self.examples_per_type - len(self.examples.get((table, block.type), []))
            if room > 0:
                self.keep(table, block.type, block.first(table, file, rows, room))

    def add_block_counts(self, table: str, kind: str, field_name: str | None, n: int) -> None:
        self.counts[(table, kind)] += n
        self.field_counts[(table, kind, field_name)] += n

    def keep(self, table: str, kind: str, findings: list[Finding]) -> None:
        examples = self.examples.setdefault((table, kind), [])
        examples.extend(findings[: max(0, self.examples_per_type - len(examples))])
        if self.keep_all:
            self.everything.extend(findings)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def first(self) -> Finding | None:
        """The first finding recorded, for a one-line summary."""
        for examples in self.examples.values():
            if examples:
                return examples[0]
        return None

    def to_json(self, table: str) -> dict:
        """Counts per type and field, with capped examples, for one table."""
        by_type: dict[str, dict] = {}
        for (t, kind), n in sorted(self.counts.items()):
            if t != table:
                continue
            fields = {
                str(f): c for (tt, k, f), c in self.field_counts.items() if tt == t and k == kind
            }
            examples = [asdict(e) for e in self.examples.get((t, kind), [])]
            by_type[kind] = {"count": n, "by_field": fields, "examples": examples}
        return by_type


@contextmanager
def finding_log(
    findings: Path | None, examples_per_type: int = 20, keep_all: bool = False
) -> Iterator[FindingLog]:
    """A FindingLog that also streams every finding to ``findings`` (CSV or JSON Lines)
    when given, the file completed on leaving, whether or not the run succeeded."""
    out = FindingsFile(findings) if findings is not None else None
    try:
        yield FindingLog(examples_per_type=examples_per_type, keep_all=keep_all, out=out)
    finally:
        if out is not None:
            out.close()
