"""64-bit hashes of text columns, vectorised, and counting repeated composite keys.

Used for quirk counts (repeated pairs and triples) over tables too large to group in
memory as text: each row costs 8 bytes. With 64-bit hashes the chance that two different
keys collide among 60 million rows is about one in ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PRIME = np.uint64(0x100000001B3)
NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
SLICE_ROWS = 1 << 18
_powers = np.ones(1, np.uint64)


def powers(n: int) -> np.ndarray:
    """PRIME ** i modulo 2**64 for i < n (cached and grown as needed)."""
    global _powers
    if len(_powers) < n:
        size = max(n, 2 * len(_powers))
        grown = np.full(size, PRIME, np.uint64)
        grown[0] = 1
        with np.errstate(over="ignore"):
            _powers = np.multiply.accumulate(grown)
    return _powers[:n]


def mix(x: np.ndarray) -> np.ndarray:
    """A finaliser that spreads every input bit over the output (splitmix64)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def hash_strings(column: pa.Array) -> np.ndarray:
    """A 64-bit hash of each value of a text column (nulls share one hash)."""
    column = column.cast(pa.large_string())
    parts = [
        hash_slice(column.slice(start, SLICE_ROWS)) for start in range(0, len(column), SLICE_ROWS)
    ]
    return np.concatenate(parts) if parts else np.empty(0, np.uint64)


def hash_slice(column: pa.Array) -> np.ndarray:
    n = len(column)
    offsets = np.frombuffer(column.buffers()[1], np.int64)[column.offset : column.offset + n + 1]
    data = (
        np.frombuffer(column.buffers()[2], np.uint8)
        if column.buffers()[2]
        else np.empty(0, np.uint8)
    )
    base = offsets[0]
    lengths = np.diff(offsets)
    values = data[base : offsets[-1]].astype(np.uint64)
    position = np.arange(len(values), dtype=np.int64) - np.repeat(offsets[:-1] - base, lengths)
    with np.errstate(over="ignore"):
        weighted = (values + np.uint64(1)) * powers(int(lengths.max(initial=0)) + 1)[position]
        sums = np.concatenate([[np.uint64(0)], np.cumsum(weighted, dtype=np.uint64)])
        hashed = sums[offsets[1:] - base] - sums[offsets[:-1] - base]
        hashed = mix(hashed ^ (lengths.astype(np.uint64) * PRIME))
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
    return np.where(valid, hashed, NULL_HASH)


def hash_rows(*columns: pa.Array) -> np.ndarray:
    """One 64-bit hash per row of several text columns together."""
    combined = np.zeros(len(columns[0]), np.uint64)
    with np.errstate(over="ignore"):
        for column in columns:
            combined = mix(combined * PRIME + hash_strings(column))
    return combined


@dataclass
class DuplicateCounter:
    """Counts the rows whose composite key occurs more than once in the whole table."""

    chunks: list[np.ndarray] = field(default_factory=list)

    def add(self, *columns: pa.Array) -> None:
        self.chunks.append(hash_rows(*columns))

    def result(self) -> int:
        """Rows in groups of two or more."""
        if not self.chunks:
            return 0
        hashes = np.concatenate(self.chunks)
        self.chunks = [hashes]
        ordered = np.sort(hashes)
        same = ordered[1:] == ordered[:-1]
        in_group = np.zeros(len(ordered), bool)
        in_group[1:] |= same
        in_group[:-1] |= same
        return int(in_group.sum())
