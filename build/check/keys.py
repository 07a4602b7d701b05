"""64-bit hashes of text columns and exact key lookups (primary and foreign keys).

Hashing is vectorised over whole columns; every hash match is verified against the text, so
the lookups are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
HASH_SEED = 0x5EED
CACHED_HASHES = 1 << 16  # 512 KiB of sorted hashes: searched without sorting the queries


def hash_strings(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each value of a text column (nulls share one hash).

    Polars hashes Arrow's buffers in place, in compiled code; the hashes are stable within
    a process, which is all the lookups and counts here need.
    """
    if len(column) == 0:
        return np.empty(0, np.uint64)
    hashed = cast(pl.Series, pl.from_arrow(column)).hash(seed=HASH_SEED).to_numpy()
    if column.null_count:
        hashed = np.where(pc.is_valid(column).to_numpy(zero_copy_only=False), hashed, NULL_HASH)
    return hashed


@dataclass
class KeyIndex:
    """Exact membership of text values in a fixed set of keys, by 64-bit hashes.

    The keys' hashes are sorted once; a lookup sorts the queried hashes and binary-searches
    them in ascending order, so each search starts near where the last ended. That needs no
    hash table beside the hashes (a pandas UInt64 table took 16 bytes per slot, 134 MB for
    4.4 million keys) and no new hash table per call as ``pc.is_in`` would build. Every hash
    match is confirmed by comparing the text, each key of a run of equal hashes in turn, so
    the answer is exact.
    """

    hashes: np.ndarray  # sorted
    keys: pa.Array  # the keys in the order of ``hashes``

    def __post_init__(self) -> None:
        if np.any(self.hashes[1:] < self.hashes[:-1]):
            order = np.argsort(self.hashes, kind="stable")
            self.hashes, self.keys = self.hashes[order], self.keys.take(pa.array(order))

    @classmethod
    def build(cls, keys: pa.Array | pa.ChunkedArray) -> KeyIndex:
        if isinstance(keys, pa.ChunkedArray):
            keys = keys.combine_chunks()
        keys = keys.drop_null()
        return cls(hash_strings(keys), keys)

    def __len__(self) -> int:
        return len(self.hashes)

    def contains(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """True where a value is one of the keys (nulls are never contained)."""
        return self.contains_hashed(values, hash_strings(values))

    def contains_hashed(self, values, hashed: np.ndarray) -> np.ndarray:
        """As :meth:`contains`, given the values' hashes."""
        found = np.zeros(len(hashed), bool)
        if len(self.hashes) == 0:
            return found
        return self.contains_sorted(values, hashed, found)

    def same_text(self, values, index: np.ndarray, position: np.ndarray) -> np.ndarray:
        """Whether each chosen value equals the key at its matched position."""
        values_taken = pc.take(values, pa.array(index, pa.int64()))
        keys_taken = self.keys.take(pa.array(position, pa.int64())).cast(values_taken.type)
        return pc.fill_null(pc.equal(values_taken, keys_taken), False).to_numpy(
            zero_copy_only=False
        )

    def contains_sorted(self, values, hashed: np.ndarray, found: np.ndarray) -> np.ndarray:
        """Membership by binary search: check each key of an equal-hash run."""
        position, candidate = hash_hits(self.hashes, hashed)
        while candidate.any():
            index = np.flatnonzero(candidate)
            found[index[self.same_text(values, index, position[index])]] = True
            position[index] += 1
            more = index[position[index] < len(self.hashes)]
            candidate[:] = False
            candidate[more] = ~found[more] & (self.hashes[position[more]] == hashed[more])
        return found


def hash_hits(sorted_hashes: np.ndarray, hashed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each hash would sit in ``sorted_hashes`` (0 past the end), and whether the hash
    found there is equal."""
    position = sorted_search(sorted_hashes, hashed)
    if len(sorted_hashes) == 0:
        return position, np.zeros(len(hashed), bool)
    position[position == len(sorted_hashes)] = 0
    return position, sorted_hashes[position] == hashed


def joined(indexes: list[KeyIndex]) -> KeyIndex:
    """One index of the keys of all; the list is emptied once its arrays are concatenated,
    so the caller's levels can be freed before the new index is sorted."""
    key_type = indexes[0].keys.type
    hashes = np.concatenate([index.hashes for index in indexes])
    keys = pa.concat_arrays([index.keys.cast(key_type) for index in indexes])
    indexes.clear()
    return KeyIndex(hashes, keys)


def sorted_search(sorted_hashes: np.ndarray, hashed: np.ndarray) -> np.ndarray:
    """``np.searchsorted`` of ``hashed``, done in ascending order (several times faster on
    large arrays: each search starts where the last ended, in cache). A small array stays
    in cache anyway, so its searches need no sorting."""
    if len(sorted_hashes) <= CACHED_HASHES:
        return np.searchsorted(sorted_hashes, hashed)
    order = np.argsort(hashed)
    position = np.empty(len(hashed), np.int64)
    position[order] = np.searchsorted(sorted_hashes, hashed[order])
    return position


@dataclass
class GrowingKeySet:
    """Keys added batch by batch, with exact membership of everything added so far.

    Batches become indexes of sorted hashes that are merged whenever one is no bigger than
    twice the next (as in a log-structured merge), so a lookup binary-searches a handful of
    them, never one per batch. The one index of every key is made once at the end
    (:meth:`index`), from the levels' concatenation.
    """

    levels: list[KeyIndex] = field(default_factory=list)

    def add(self, keys: pa.Array) -> None:
        """Add keys (distinct, not null, not already present)."""
        self.levels.append(KeyIndex.build(keys))
        while len(self.levels) > 1 and len(self.levels[-2]) <= 2 * len(self.levels[-1]):
            newer, older = self.levels.pop(), self.levels.pop()
            self.levels.append(joined([older, newer]))

    def contains(self, values: pa.Array) -> np.ndarray:
        hashed = hash_strings(values)
        found = np.zeros(len(hashed), bool)
        for level in self.levels:
            found |= level.contains_hashed(values, hashed)
        return found

    def index(self, key_type: pa.DataType) -> KeyIndex:
        """Every key added, as one index (the levels are let go as it is made)."""
        if not self.levels:
            return KeyIndex.build(pa.array([], key_type))
        if len(self.levels) > 1:
            levels, self.levels = self.levels, []
            self.levels = [joined(levels)]
        return self.levels[0]
