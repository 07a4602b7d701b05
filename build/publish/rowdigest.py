"""Multiset digests of typed rows: which rows two copies of a table hold, compared in buckets.

Each row is hashed once (Polars ``hash_rows``: a 64-bit hash of its typed values, computed
in compiled code) and that hash is mixed into a second one (splitmix64's finaliser, a
bijection that spreads every bit). The top :data:`BUCKET_BITS` bits of the first pick one of
65,536 buckets; per bucket the digest keeps the number of rows and the wrapping sums of both.
Order does not count, repeats do. Two copies whose multisets of rows differ still agree in a
bucket only if a changed row's hash equals the one it replaced (a chance of 2^-64 per row) or
both sums collide at once (about 2^-128). Buckets that disagree say where to look for the
rows that differ. (A second ``hash_rows`` with another seed would make the first chance
2^-128 too, at 8 % more CPU for the whole ``verify --rows``: see BENCHMARKS.md.)

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
SEED = 0x7074_6F66  # any seed; fixed, so that both copies are hashed alike


def mix(x: np.ndarray) -> np.ndarray:
    """A bijective finaliser that spreads every input bit over the output (splitmix64)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def frame_of(batch: pa.RecordBatch | pa.Table | pl.DataFrame) -> pl.DataFrame:
    """A Polars frame of the rows (an Arrow batch converted, a frame as it is)."""
    if isinstance(batch, pl.DataFrame):
        return batch
    return cast(pl.DataFrame, pl.from_arrow(batch))


def row_hashes(rows: pa.RecordBatch | pa.Table | pl.DataFrame) -> np.ndarray:
    """A row's 64-bit hash and its mix, shape (2, rows), as uint64."""
    frame = frame_of(rows)
    if frame.height == 0:
        return np.zeros((2, 0), np.uint64)
    first = frame.hash_rows(SEED).to_numpy()
    return np.stack([first, mix(first)])


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
