"""The in-memory Arrow size of a table as ``datasets`` measures it when it loads the shards.

``datasets`` reads a Parquet shard one row group per batch and adds up ``pa.Table.nbytes``
of each batch (its ``ArrowWriter``); the card's ``splits.num_bytes`` must be that sum. The
batches it reads are freshly decoded, so their size follows from the rows alone: from each
row group's rows and NULL cells (the footers hold both) and the bytes of the text values.

What pyarrow's ``nbytes`` counts for a freshly decoded column of ``n`` rows:

- a validity bitmap of ``ceil(n / 8)`` bytes when the field is nullable and the batch holds a
  null; the Parquet reader also keeps one, nulls or not, for nullable fields read without
  conversion (32- and 64-bit integers and floats);
- booleans: a bitmap of ``ceil(n / 8)`` bytes; other fixed-width types: ``n`` times the width;
- text and binary: ``n`` offsets (4 bytes, 8 for the large types) plus the values' bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

# Types whose Parquet physical type is read as is: the reader keeps their validity bitmap.
ZERO_COPY = (pa.int32(), pa.int64(), pa.float32(), pa.float64())


def bitmap_bytes(rows: int) -> int:
    return (rows + 7) // 8


TEXT_TYPES = (pa.types.is_string, pa.types.is_binary, pa.types.is_large_string)


def is_text(kind: pa.DataType) -> bool:
    return any(test(kind) for test in TEXT_TYPES) or pa.types.is_large_binary(kind)


def has_validity(field: pa.Field, nulls: int) -> bool:
    """Whether a freshly read row group of the column carries a validity bitmap."""
    return field.nullable and (nulls > 0 or field.type in ZERO_COPY)


def group_bytes(field: pa.Field, rows: int, nulls: int) -> int:
    """A row group's bytes for one column, but for the values of a text column."""
    kind = field.type
    total = bitmap_bytes(rows) if has_validity(field, nulls) else 0
    if pa.types.is_boolean(kind):
        return total + bitmap_bytes(rows)
    if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        return total + 8 * rows
    if is_text(kind):
        return total + 4 * rows
    try:
        return total + rows * kind.byte_width
    except ValueError:  # nested or other variable-width types: none in the schemas
        raise TypeError(f"{field.name}: no Arrow size rule for type {kind}") from None


def loaded_bytes(
    schema: pa.Schema,
    group_rows: Sequence[int],
    nulls_per_group: Mapping[str, Sequence[int]],
    text_bytes: Mapping[str, int],
) -> int:
    """What ``datasets`` measures for a table of row groups with these rows and NULL cells
    per column, whose text columns hold ``text_bytes`` of values in all."""
    total = sum(text_bytes.get(f.name, 0) for f in schema if is_text(f.type))
    for field in schema:
        nulls = nulls_per_group[field.name]
        total += sum(group_bytes(field, n, z) for n, z in zip(group_rows, nulls, strict=True))
    return total
