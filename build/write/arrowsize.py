"""The in-memory Arrow size of a row group as ``datasets`` measures it when it loads the shard.

``datasets`` reads a Parquet shard one row group per batch and adds up ``pa.Table.nbytes``
of each batch (its ``ArrowWriter``); the card's ``splits.num_bytes`` must be that sum. The
batches it reads are freshly decoded, so their size follows from the rows alone, whatever
chunks and slices the writer held: this module computes it from the rows being written, with
no second read of the shard.

What pyarrow's ``nbytes`` counts for a freshly decoded column of ``n`` rows:

- a validity bitmap of ``ceil(n / 8)`` bytes when the field is nullable and the batch holds a
  null; the Parquet reader also keeps one, nulls or not, for nullable fields read without
  conversion (32- and 64-bit integers and floats);
- booleans: a bitmap of ``ceil(n / 8)`` bytes; other fixed-width types: ``n`` times the width;
- text and binary: ``n`` offsets (4 bytes, 8 for the large types) plus the values' bytes.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# Types whose Parquet physical type is read as is: the reader keeps their validity bitmap.
ZERO_COPY = (pa.int32(), pa.int64(), pa.float32(), pa.float64())


def bitmap_bytes(rows: int) -> int:
    return (rows + 7) // 8


def has_validity(field: pa.Field, column: pa.ChunkedArray) -> bool:
    """Whether a freshly read column carries a validity bitmap."""
    return field.nullable and (column.null_count > 0 or field.type in ZERO_COPY)


def values_bytes(field: pa.Field, column: pa.ChunkedArray) -> int:
    """The bytes of a column's values and offsets (without the validity bitmap)."""
    rows = len(column)
    kind = field.type
    if pa.types.is_boolean(kind):
        return bitmap_bytes(rows)
    if pa.types.is_string(kind) or pa.types.is_binary(kind):
        return 4 * rows + text_bytes(column)
    if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        return 8 * rows + text_bytes(column)
    try:
        return rows * kind.byte_width
    except ValueError:  # nested or other variable-width types: none in the schemas
        raise TypeError(f"{field.name}: no Arrow size rule for type {kind}") from None


def text_bytes(column: pa.ChunkedArray) -> int:
    """The bytes of the non-null values of a text or binary column."""
    total = pc.sum(pc.binary_length(column)).as_py()
    return int(total or 0)


def arrow_nbytes(group: pa.Table) -> int:
    """The size ``datasets`` records for this row group once it is written and read back."""
    total = 0
    for field, column in zip(group.schema, group.columns, strict=True):
        if has_validity(field, column):
            total += bitmap_bytes(len(column))
        total += values_bytes(field, column)
    return total
