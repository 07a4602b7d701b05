"""Checking every row of a table against its Table Schema, one record batch at a time.

Driven by the schema files: types, required, enum, pattern, length and bounds per field,
blank rows, the primary key across the whole table and foreign keys into tables already
checked. All checks are Arrow or numpy operations over whole columns.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import findings as F
from .convert import convert, to_mask
from .findings import Finding, FindingBlock
from .keys import GrowingKeySet, KeyIndex
from .patterns import pattern_check
from .pools import pool
from .read import BadRow, RawBatch
from .schema import Field, TableSchema, arrow_type, to_arrow


@dataclass
class CheckedBatch:
    """A batch typed by its schema, with what was found wrong in it."""

    table: pa.RecordBatch  # every row, typed; unreadable cells are null
    rows: np.ndarray  # row numbers
    file: str
    blocks: list[FindingBlock]
    bad: np.ndarray  # rows with at least one finding
    text: pa.RecordBatch  # the cells as read, for the quarantine


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


def constraint_failures(field: Field, values: pa.Array) -> list[tuple[str, np.ndarray]]:
    """For each declared constraint (but required), the mask of values breaking it."""
    c = field.constraints
    checks: list[tuple[str, pa.Array]] = []
    if "pattern" in c:
        checks.append(("pattern", pattern_check(c["pattern"])(values)))
    if "enum" in c:
        allowed = pa.array(c["enum"], arrow_type(field) if field.type != "integer" else pa.int64())
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


def pad_bad_rows(bad_rows: list[BadRow], width: int) -> tuple[list[list[str]], list[FindingBlock]]:
    """Cut or pad rows of the wrong width; extra and missing cells become findings."""
    cells, extra, missing = [], [], []
    for i, row in enumerate(bad_rows):
        present = row.cells[:width]
        cells.append(present + [""] * (width - len(present)))
        extra.extend((i, value) for value in row.cells[width:])
        missing.extend((i, position) for position in range(len(present), width))
    return cells, cell_blocks(extra, missing)


def cell_blocks(extra: list, missing: list) -> list[FindingBlock]:
    """Blocks of extra-cell findings and of missing-cell findings."""
    blocks = []
    if extra:
        index = np.array([i for i, _ in extra], np.int64)
        values = pa.array([v for _, v in extra], pa.string())
        blocks.append(FindingBlock(F.EXTRA_CELL, None, "extra cell", index, values))
    missing_positions = {position for _, position in missing}
    for position in sorted(missing_positions):
        index = np.array([i for i, p in missing if p == position], np.int64)
        blocks.append(FindingBlock(F.MISSING_CELL, f"#{position}", "missing cell", index))
    return blocks


@dataclass
class TableChecker:
    """Checks the batches of one table in order, remembering keys across batches."""

    schema: TableSchema
    references: dict[str, KeyIndex | None] = field(default_factory=dict)  # table -> its keys
    seen: GrowingKeySet = field(default_factory=GrowingKeySet)
    arrow_schema: pa.Schema = field(init=False)

    def __post_init__(self) -> None:
        self.arrow_schema = to_arrow(self.schema)

    def check(self, raw: RawBatch) -> list[CheckedBatch]:
        """Check a raw batch: its rows of the wrong width first, then the others."""
        out = []
        if raw.bad_rows:
            out.append(self.check_bad_rows(raw))
        text = pa.RecordBatch.from_arrays(
            [raw.columns.column(name) for name in self.schema.field_names],
            names=self.schema.field_names,
        )
        out.append(self.check_text(text, raw.rows, raw.source.path.name))
        return out

    def check_bad_rows(self, raw: RawBatch) -> CheckedBatch:
        """Check the rows of the wrong width of a batch, as a small batch of their own."""
        names = self.schema.field_names
        order = [raw.labels.index(name) for name in names]
        cells, blocks = pad_bad_rows(raw.bad_rows, len(raw.labels))
        columns = [pa.array([row[i] for row in cells], pa.string()) for i in order]
        for b in blocks:
            if b.type == F.MISSING_CELL:
                b.field = raw.labels[int(b.field[1:])]
        text = pa.RecordBatch.from_arrays(columns, names=names)
        rows = np.array([r.row for r in raw.bad_rows], np.int64)
        checked = self.check_text(text, rows, raw.source.path.name)
        checked.blocks[:0] = blocks
        checked.bad[:] = True
        return checked

    def check_text(self, text: pa.RecordBatch, rows: np.ndarray, file: str) -> CheckedBatch:
        """Type and check a batch whose columns are in schema order."""
        missing = [empty_cells(column) for column in text.columns]
        blank = np.logical_and.reduce(missing) if missing else np.zeros(0, bool)
        blocks: list[FindingBlock] = []
        if blank.any():
            blocks.append(block(F.BLANK_ROW, None, "the row is blank", blank, None))
        arrays = []
        checks = [
            (f, text.column(f.name), empty, blank)
            for f, empty in zip(self.schema.fields, missing, strict=True)
        ]
        for values, found in field_pool().map(lambda args: check_field(*args), checks):
            arrays.append(values)
            blocks.extend(found)
        typed = pa.RecordBatch.from_arrays(arrays, names=self.schema.field_names)
        blocks.extend(self.key_blocks(typed))
        bad = np.zeros(text.num_rows, bool)
        for b in blocks:
            bad[b.index] = True
        return CheckedBatch(typed, rows, file, blocks, bad, text)

    def key_blocks(self, typed: pa.RecordBatch) -> list[FindingBlock]:
        """Primary and foreign key findings of a batch."""
        blocks = []
        if self.schema.primary_key:
            blocks.extend(self.primary_key_blocks(typed))
        for fk in self.schema.foreign_keys:
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
