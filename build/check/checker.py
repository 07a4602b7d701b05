"""Checking every row of a table against its Table Schema, one record batch at a time.

Driven by the schema files: types, required, enum, pattern, length and bounds per field,
blank rows, the primary key across the whole table and foreign keys into tables already
checked. All checks are Arrow or numpy operations over whole columns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Set as AbstractSet
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check import findings as F
from ptoffact_build.check.cells import convert, to_mask
from ptoffact_build.check.findings import Finding, FindingBlock
from ptoffact_build.check.keys import GrowingKeySet, KeyIndex
from ptoffact_build.check.patterns import pattern_check
from ptoffact_build.pools import pool
from ptoffact_build.read.csv_reader import BadRow, RawBatch
from ptoffact_build.schema import Field, TableSchema


@dataclass
class CheckedBatch:
    """A batch typed by its schema, with what was found wrong in it."""

    table: pa.RecordBatch  # every row, typed; unreadable cells are null
    rows: np.ndarray  # row numbers
    file: str
    blocks: list[FindingBlock]
    bad: np.ndarray  # rows with at least one finding
    text: pa.RecordBatch  # the cells as read, for the quarantine
    extra: pa.Array | None = None  # cells beyond the header's width (JSON lists), if any


def label_findings(table: str, file: str, labels: list[str], schema: TableSchema) -> list[Finding]:
    """Header problems, compared position by position as frictionless does.

    A header holding exactly the schema's names, in any order, is fine: columns are
    mapped by name.
    """
    names = schema.field_names
    if sorted(labels) == sorted(names):
        return []
    found = []
    for i, name in enumerate(names):
        if i >= len(labels):
            found.append(Finding(table, file, None, name, F.MISSING_LABEL, None, "missing column"))
            continue
        kind = label_problem(labels, i, name)
        if kind:
            note = f"column {i + 1} is labelled {labels[i]!r}, expected {name!r}"
            found.append(Finding(table, file, None, name, kind, labels[i], note))
    for label in labels[len(names) :]:
        found.append(Finding(table, file, None, None, F.EXTRA_LABEL, label, "unknown column"))
    return found


def label_problem(labels: list[str], i: int, name: str) -> str | None:
    """What is wrong with the label in position ``i`` (blank, repeated, or another name)."""
    label = labels[i]
    if not label:
        return F.BLANK_LABEL
    if label in labels[:i]:
        return F.DUPLICATE_LABEL
    return F.INCORRECT_LABEL if label != name else None


def column_positions(labels: list[str], names: list[str]) -> list[int | None]:
    """For each schema field, the position of the column it reads (None: no such column).

    By name when the header holds exactly the schema's names in any order; otherwise by
    position, as frictionless reads a table whose header is wrong.
    """
    if sorted(labels) == sorted(names):
        return [labels.index(name) for name in names]
    return [i if i < len(labels) else None for i in range(len(names))]


def position_names(labels: list[str], names: list[str], positions: list[int | None]) -> list[str]:
    """What a finding calls each column position: the field read there, else its label
    (numbered from 2 when a field already has that name, as frictionless numbers it)."""
    named: list[str | None] = [None] * len(labels)
    for name, position in zip(names, positions, strict=True):
        if position is not None:
            named[position] = name
    taken = set(names)
    for position, label in enumerate(labels):
        if named[position] is None:
            name, n = label, 2
            while name in taken:
                name, n = f"{label}{n}", n + 1
            named[position] = name
            taken.add(name)
    return cast(list[str], named)  # every position is named now


def constraint_failures(field: Field, values: pa.Array) -> list[tuple[str, np.ndarray]]:
    """For each declared constraint (but required), the mask of values breaking it."""
    c = field.constraints
    checks: list[tuple[str, pa.Array]] = []
    if "pattern" in c:
        checks.append(("pattern", pattern_check(c["pattern"])(values)))
    if "enum" in c:
        allowed = pa.array(c["enum"], field.arrow_type if field.type != "integer" else pa.int64())
        checks.append(("enum", pc.is_in(values, value_set=allowed)))
    if "minLength" in c:
        checks.append(("minLength", pc.greater_equal(pc.utf8_length(values), c["minLength"])))
    if "maxLength" in c:
        checks.append(("maxLength", pc.less_equal(pc.utf8_length(values), c["maxLength"])))
    if "minimum" in c:
        checks.append(("minimum", pc.greater_equal(values, c["minimum"])))
    if "maximum" in c:
        checks.append(("maximum", pc.less_equal(values, c["maximum"])))
    broken = [(name, passed) for name, passed in checks if not pc.all(passed).as_py()]
    if not broken:  # the common case: nothing to point at
        return []
    present = to_mask(pc.is_valid(values))
    return [(name, present & ~to_mask(passed)) for name, passed in broken]


def constraint_note(name: str, value: object) -> str:
    """The note frictionless gives a broken constraint."""
    return f'constraint "{name}" is "{value}"'


def empty_cells(text: pa.Array) -> np.ndarray:
    """Cells holding the empty string (the schemas' missing value), read off the offsets."""
    if text.null_count:
        return to_mask(pc.equal(text, ""))
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], width)[text.offset : text.offset + len(text) + 1]
    return offsets[1:] == offsets[:-1]


def check_field(field: Field, text: pa.Array, missing: np.ndarray, blank: np.ndarray):
    """Type one column and find its type and constraint errors (blank rows excepted)."""
    values, type_error = convert(field, text, missing)
    blocks = []
    bad_type = type_error & ~blank
    if bad_type.any():
        note = f'type is "{field.type}/default"'
        blocks.append(block(F.TYPE_ERROR, field.name, note, bad_type, text))
    if field.required:
        absent = missing & ~blank
        if absent.any():
            note = constraint_note("required", True)
            blocks.append(block(F.CONSTRAINT_ERROR, field.name, note, absent, None))
    for name, broken in constraint_failures(field, values):
        if broken.any():
            note = constraint_note(name, field.constraints[name])
            blocks.append(block(F.CONSTRAINT_ERROR, field.name, note, broken, text))
    return values, blocks


def field_pool() -> ThreadPoolExecutor:
    """Threads that check columns side by side (Arrow kernels release the GIL)."""
    return pool("check", os.cpu_count() or 2)


def block(kind: str, field_name: str | None, note: str, mask: np.ndarray, text) -> FindingBlock:
    """A finding block for the rows where ``mask`` holds."""
    index = np.flatnonzero(mask)
    values = None if text is None else text.take(pa.array(index))
    return FindingBlock(kind, field_name, note, index, values)


def pad_bad_rows(
    bad_rows: list[BadRow], width: int, names: list[str]
) -> tuple[list[list[str]], list[FindingBlock], pa.Array]:
    """Cut or pad rows of the wrong width; extra and missing cells become findings.

    As in frictionless, a row whose cells up to the header's width are all empty is only a
    blank row. The cells cut off are returned too (a JSON list per row, "" if none), so the
    quarantine keeps them.
    """
    cells, cut = [], []
    extra: list[tuple[int, str]] = []
    missing: list[tuple[int, int]] = []
    for i, row in enumerate(bad_rows):
        present, surplus = row.cells[:width], row.cells[width:]
        cells.append(present + [""] * (width - len(present)))
        cut.append(json.dumps(surplus, ensure_ascii=False) if surplus else "")
        if not any(present):
            continue
        extra.extend((i, value) for value in surplus)
        missing.extend((i, position) for position in range(len(present), width))
    return cells, cell_blocks(extra, missing, names), pa.array(cut, pa.string())


def cell_blocks(extra: list, missing: list, names: list[str]) -> list[FindingBlock]:
    """Blocks of extra-cell findings and of missing-cell findings (named by position)."""
    blocks = []
    if extra:
        index = np.array([i for i, _ in extra], np.int64)
        values = pa.array([v for _, v in extra], pa.string())
        blocks.append(FindingBlock(F.EXTRA_CELL, None, "extra cell", index, values))
    missing_positions = {position for _, position in missing}
    for position in sorted(missing_positions):
        index = np.array([i for i, p in missing if p == position], np.int64)
        blocks.append(FindingBlock(F.MISSING_CELL, names[position], "missing cell", index))
    return blocks


@dataclass
class TableChecker:
    """Checks the batches of one table in order, remembering keys across batches."""

    schema: TableSchema
    references: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> its keys
    seen: GrowingKeySet = field(default_factory=GrowingKeySet)
    arrow_schema: pa.Schema = field(init=False)

    def __post_init__(self) -> None:
        self.arrow_schema = self.schema.arrow

    def check(self, raw: RawBatch) -> list[CheckedBatch]:
        """Check a raw batch: its rows of the wrong width first, then the others."""
        positions = column_positions(raw.labels, self.schema.field_names)
        out = []
        if raw.bad_rows:
            out.append(self.check_bad_rows(raw, positions))
        cells = [raw.columns.column(i) for i in range(raw.columns.num_columns)]
        out.append(self.check_cells(cells, positions, raw.rows, raw.source.path.name))
        return out

    def check_bad_rows(self, raw: RawBatch, positions: list[int | None]) -> CheckedBatch:
        """Check the rows of the wrong width of a batch, as a small batch of their own."""
        names = position_names(raw.labels, self.schema.field_names, positions)
        cells, blocks, cut = pad_bad_rows(raw.bad_rows, len(raw.labels), names)
        columns = [pa.array([row[i] for row in cells], pa.string()) for i in range(len(names))]
        rows = np.array([r.row for r in raw.bad_rows], np.int64)
        checked = self.check_cells(columns, positions, rows, raw.source.path.name)
        checked.blocks[:0] = blocks
        checked.bad[:] = True
        checked.extra = cut
        return checked

    def check_cells(
        self, cells: list[pa.Array], positions: list[int | None], rows: np.ndarray, file: str
    ) -> CheckedBatch:
        """Check text columns in header order, each field reading the column at its position.

        A row is blank when every cell under a label is empty; a field without a column
        (its label is missing) is not checked, as in frictionless.
        """
        blank = np.logical_and.reduce([empty_cells(c) for c in cells])
        nothing = pa.nulls(len(rows), pa.string())
        text = pa.RecordBatch.from_arrays(
            [nothing if p is None else cells[p] for p in positions],
            names=self.schema.field_names,
        )
        absent = {f.name for f, p in zip(self.schema.fields, positions, strict=True) if p is None}
        return self.check_text(text, rows, file, blank, absent)

    def check_text(
        self,
        text: pa.RecordBatch,
        rows: np.ndarray,
        file: str,
        blank: np.ndarray,
        absent: AbstractSet[str] = frozenset(),
    ) -> CheckedBatch:
        """Type and check a batch whose columns are in schema order."""
        blocks: list[FindingBlock] = []
        if blank.any():
            blocks.append(block(F.BLANK_ROW, None, "the row is blank", blank, None))
        checks = [
            (f, text.column(f.name), empty_cells(text.column(f.name)), blank)
            for f in self.schema.fields
            if f.name not in absent
        ]
        checked = field_pool().map(lambda args: check_field(*args), checks)
        typed_by_name = {}
        for (f, *_), (values, found) in zip(checks, checked, strict=True):
            typed_by_name[f.name] = values
            blocks.extend(found)
        arrays = [
            typed_by_name[f.name]
            if f.name in typed_by_name
            else pa.nulls(text.num_rows, self.arrow_schema.field(f.name).type)
            for f in self.schema.fields
        ]
        typed = pa.RecordBatch.from_arrays(arrays, names=self.schema.field_names)
        blocks.extend(self.key_blocks(typed, absent))
        bad = np.zeros(text.num_rows, bool)
        for b in blocks:
            bad[b.index] = True
        return CheckedBatch(typed, rows, file, blocks, bad, text)

    def key_blocks(
        self, typed: pa.RecordBatch, absent: AbstractSet[str] = frozenset()
    ) -> list[FindingBlock]:
        """Primary and foreign key findings of a batch (not on fields without a column)."""
        blocks = []
        if self.schema.primary_key and not absent & set(self.schema.primary_key):
            blocks.extend(self.primary_key_blocks(typed))
        for fk in self.schema.foreign_keys:
            if not absent & set(fk["fields"]):
                blocks.extend(self.foreign_key_blocks(typed, fk))
        return blocks

    def primary_key_blocks(self, typed: pa.RecordBatch) -> list[FindingBlock]:
        """Null keys, and keys seen before in this table."""
        (name,) = self.schema.primary_key
        keys = typed.column(name)
        blocks = []
        null = ~to_mask(pc.is_valid(keys))
        if null.any():
            note = 'cells composing the primary keys are all "None"'
            blocks.append(block(F.PRIMARY_KEY, name, note, null, None))
        seen_before = self.seen.contains(keys)
        repeated = (repeated_within(keys) | seen_before) & ~null
        if repeated.any():
            note = "the same key appears in an earlier row"
            blocks.append(block(F.PRIMARY_KEY, name, note, repeated, keys.cast(pa.string())))
        self.seen.add(pc.unique(keys.filter(pa.array(~null & ~seen_before))))
        return blocks

    def all_keys(self) -> KeyIndex:
        """Every key value of the table, indexed for lookups."""
        return self.seen.index(self.arrow_schema.field(self.schema.primary_key[0]).type)

    def foreign_key_blocks(self, typed: pa.RecordBatch, fk: dict) -> list[FindingBlock]:
        """Values that are not keys of the referenced table (nulls are not checked)."""
        (name,) = fk["fields"]
        target = self.references.get(fk["reference"]["resource"])
        if target is None:
            return []
        values = typed.column(name)
        dangling = ~target.contains(values) & to_mask(pc.is_valid(values))
        if not dangling.any():
            return []
        note = f"not found in {fk['reference']['resource']}.{fk['reference']['fields'][0]}"
        return [block(F.FOREIGN_KEY, name, note, dangling, values.cast(pa.string()))]


def repeated_within(keys: pa.Array) -> np.ndarray:
    """Rows whose key already appeared earlier in the same batch."""
    indices = pc.fill_null(pc.dictionary_encode(keys).indices, -1).to_numpy()
    _, first = np.unique(indices, return_index=True)
    repeated = np.ones(len(keys), bool)
    repeated[first] = False
    return repeated
