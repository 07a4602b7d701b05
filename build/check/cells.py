"""Typing text columns as their schema fields say, vectorised.

Each converter takes the text column and the mask of missing cells and returns the typed
column (null where missing or unreadable) and the mask of cells that are not of the type.
What counts as readable follows frictionless-py exactly: the common form is checked by
Arrow kernels, and only the rare irregular cells are looked at one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.schema import Field

Converted = tuple[pa.Array, np.ndarray]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
PLAIN_INTEGER = r"^[+-]?[0-9]{1,18}$"
FIRST_DAY = date(1, 1, 1)


def to_mask(array: pa.Array) -> np.ndarray:
    """A boolean Arrow array as a numpy mask, nulls as False."""
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def convert_string(field: Field, text: pa.Array, missing: np.ndarray) -> Converted:
    """Text stays text; missing cells become null."""
    return null_where(text, missing), np.zeros(len(text), bool)


def matches_any(text: pa.Array, words: list[str]) -> np.ndarray:
    """Cells equal to one of ``words``."""
    if len(words) == 1 and len(words[0].encode()) == 1 and pa.types.is_string(text.type):
        return equals_byte(text, words[0].encode()[0])
    return to_mask(pc.is_in(text, value_set=pa.array(words, pa.string())))


def equals_byte(text: pa.Array, byte: int) -> np.ndarray:
    """Cells that are exactly one given byte, read off Arrow's buffers (nulls are not)."""
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    if data is None or len(data) == 0:
        return np.zeros(len(text), bool)
    first = np.frombuffer(data, np.uint8)[np.minimum(offsets[:-1], len(data) - 1)]
    same = (np.diff(offsets) == 1) & (first == byte)
    if text.null_count:
        same &= pc.is_valid(text).to_numpy(zero_copy_only=False)
    return same


def convert_boolean(field: Field, text: pa.Array, missing: np.ndarray) -> Converted:
    """Only the field's trueValues and falseValues are booleans (no trimming)."""
    is_true = matches_any(text, field.true_values)
    is_false = matches_any(text, field.false_values)
    known = is_true | is_false
    values = pa.array(is_true, pa.bool_(), mask=~known)
    return values, ~known & ~missing


def convert_integer(field: Field, text: pa.Array, missing: np.ndarray) -> Converted:
    """Integers as frictionless reads them: surrounding white space and a sign allowed."""
    present = null_where(text, missing)
    if to_mask(pc.ascii_is_decimal(present)).sum() == len(text) - missing.sum():
        try:  # the common case: every present cell is plain digits
            return pc.cast(present, pa.int64()), np.zeros(len(text), bool)
        except pa.ArrowInvalid:  # too large for int64
            pass
    trimmed = pc.utf8_trim_whitespace(text)
    plain = to_mask(pc.match_substring_regex(trimmed, PLAIN_INTEGER)) & ~missing
    digits = pc.replace_substring_regex(null_where(trimmed, ~plain), r"^\+", "")
    values = pc.cast(digits, pa.int64())
    irregular = np.flatnonzero(~plain & ~missing)
    return patch_irregular(values, text, irregular, python_integer)


def python_integer(cell: str) -> int | None:
    """Python's reading of an unusual integer cell, as frictionless does it."""
    try:
        value = int(cell.strip())
    except ValueError:
        return None
    return value if INT64_MIN <= value <= INT64_MAX else None


def convert_date(field: Field, text: pa.Array, missing: np.ndarray) -> Converted:
    """ISO dates; other forms that ``strptime('%Y-%m-%d')`` accepts, as frictionless does."""
    iso = to_mask(pc.match_substring_regex(text, ISO_DATE)) & ~missing
    values = parse_iso_dates(null_where(text, ~iso))
    iso &= to_mask(pc.greater_equal(values, pa.scalar(FIRST_DAY)))  # no year 0 in Python
    irregular = np.flatnonzero(~iso & ~missing)
    return patch_irregular(null_where(values, ~iso), text, irregular, python_date)


def parse_iso_dates(candidates: pa.Array) -> pa.Array:
    """YYYY-MM-DD text as dates; impossible days (2017-02-30) become null."""
    try:
        return pc.cast(candidates, pa.date32())
    except pa.ArrowInvalid:
        stamps = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        same = pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), candidates)
        return null_where(pc.cast(stamps, pa.date32()), ~to_mask(same))


def python_date(cell: str):
    """Python's reading of an unusual date cell, as frictionless does it."""
    try:
        return datetime.strptime(cell, "%Y-%m-%d").date()
    except ValueError:
        return None


def patch_irregular(
    values: pa.Array, text: pa.Array, irregular: np.ndarray, read: Callable
) -> Converted:
    """Read the few irregular cells one by one; those still unreadable are type errors."""
    type_error = np.zeros(len(text), bool)
    if len(irregular) == 0:
        return values, type_error
    cells = text.take(pa.array(irregular)).to_pylist()
    readings = [read(cell) for cell in cells]
    ok = np.array([r is not None for r in readings], bool)
    type_error[irregular[~ok]] = True
    if ok.any():
        mask = np.zeros(len(text), bool)
        mask[irregular[ok]] = True
        replacements = pa.array([r for r in readings if r is not None], values.type)
        values = pc.replace_with_mask(values, pa.array(mask), replacements)
    return values, type_error


def null_where(array: pa.Array, mask: np.ndarray) -> pa.Array:
    """The array with nulls where ``mask`` is true."""
    if not mask.any():
        return array
    if array.offset == 0 and flat(array):
        return with_validity(array, mask)
    return pc.if_else(pa.array(mask), pa.scalar(None, array.type), array)


def flat(array: pa.Array) -> bool:
    """True for text and fixed-width values held in plain buffers (no children, no bits)."""
    kind = array.type
    plain = pa.types.is_string(kind) or (
        pa.types.is_primitive(kind) and not pa.types.is_boolean(kind)
    )
    return plain and all(b is not None for b in array.buffers()[1:])


def with_validity(array: pa.Array, mask: np.ndarray) -> pa.Array:
    """The same buffers under a new validity bitmap (no copy of the values)."""
    valid = ~mask
    if array.null_count:
        valid &= pc.is_valid(array).to_numpy(zero_copy_only=False)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        array.type,
        len(array),
        [bitmap, *array.buffers()[1:]],
        null_count=int(mask.size - valid.sum()),
    )


CONVERTERS: dict[str, Callable[[Field, pa.Array, np.ndarray], Converted]] = {
    "string": convert_string,
    "boolean": convert_boolean,
    "integer": convert_integer,
    "date": convert_date,
}


def convert(field: Field, text: pa.Array, missing: np.ndarray) -> Converted:
    """Type one text column as its field says."""
    return CONVERTERS[field.type](field, text, missing)
