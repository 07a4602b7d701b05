"""Multiset digests of typed rows: which rows two copies of a table hold, compared in buckets.

Each row is hashed twice (Polars ``hash_rows`` with two seeds: two independent 64-bit
hashes of its typed values). The top :data:`BUCKET_BITS` bits of the first hash pick one of
65,536 buckets; per bucket the digest keeps the number of rows and the wrapping sums of both
hashes. Order does not count, repeats do: two copies hold the same multiset of rows exactly
when every bucket agrees, but for a chance of about 2^-128 per bucket that differs. Buckets
that disagree say where to look for the rows that differ.

Both sides must be hashed from the same Polars types: typed Arrow batches (string, date32,
bool, int8/int64) and the same columns read from Parquet by Polars give equal hashes for
equal values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import polars as pl
import pyarrow as pa

BUCKET_BITS = 16
BUCKETS = 1 << BUCKET_BITS
SEEDS = (0x7074_6F66, 0x6661_6374)  # any two different seeds; fixed so runs agree


def frame_of(batch: pa.RecordBatch | pa.Table | pl.DataFrame) -> pl.DataFrame:
    """A Polars frame of the rows (an Arrow batch converted, a frame as it is)."""
    if isinstance(batch, pl.DataFrame):
        return batch
    return cast(pl.DataFrame, pl.from_arrow(batch))


def row_hashes(rows: pa.RecordBatch | pa.Table | pl.DataFrame) -> np.ndarray:
    """Two 64-bit hashes per row, shape (2, rows), as uint64."""
    frame = frame_of(rows)
    if frame.height == 0:
        return np.zeros((2, 0), np.uint64)
    return np.stack([frame.hash_rows(seed).to_numpy() for seed in SEEDS])


def buckets_of(hashes: np.ndarray) -> np.ndarray:
    """The bucket of each row: the top bits of its first hash."""
    return (hashes[0] >> np.uint64(64 - BUCKET_BITS)).astype(np.intp)


@dataclass
class RowDigest:
    """Rows counted and their two hashes summed (wrapping), per bucket."""

    counts: np.ndarray = field(default_factory=lambda: np.zeros(BUCKETS, np.int64))
    sums: np.ndarray = field(default_factory=lambda: np.zeros((2, BUCKETS), np.uint64))

    def add(self, hashes: np.ndarray) -> None:
        """Count rows given their :func:`row_hashes`."""
        if hashes.shape[1] == 0:
            return
        buckets = buckets_of(hashes)
        self.counts += np.bincount(buckets, minlength=BUCKETS)
        for side in (0, 1):
            np.add.at(self.sums[side], buckets, hashes[side])  # uint64: wraps, as intended

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    def differing(self, other: RowDigest) -> np.ndarray:
        """The buckets in which the two digests disagree (sorted)."""
        differ = (self.counts != other.counts) | (self.sums != other.sums).any(axis=0)
        return np.flatnonzero(differ)


def bucket_mask(buckets: np.ndarray) -> np.ndarray:
    """A lookup table: True for the given buckets."""
    mask = np.zeros(BUCKETS, bool)
    mask[buckets] = True
    return mask
