"""64-bit hashes of text columns, exact key lookups, and counting repeated composite keys.

Hashing is vectorised over whole columns. With 64-bit hashes the chance that two different
keys collide among 60 million rows is about one in ten thousand, so hashes serve quirk
counts directly, and exact checks verify every hash match against the text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar, cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.pools import pool
from ptoffact_build.write.scratch import make_scratch, remove_scratch

NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
HASH_SEED = 0x5EED
CACHED_HASHES = 1 << 16  # 512 KiB of sorted hashes: searched without sorting the queries
BUCKET_BITS = 4  # DuplicateCounter keeps hashes in 16 buckets by their top bits
DUPLICATE_MEMORY_ROWS = 8_000_000  # 64 MB of hashes in memory before spilling to disk
T = TypeVar("T")
_spill_folder: Path | None = None  # where counters made now spill (see spill_into)


@contextmanager
def spill_into(folder: Path | None) -> Iterator[None]:
    """Counters made inside the block spill their hashes into scratch folders in ``folder``
    (a build's own scratch folder); outside any block, into the system temp folder."""
    global _spill_folder
    before, _spill_folder = _spill_folder, folder
    try:
        yield
    finally:
        _spill_folder = before


def mix(x: np.ndarray) -> np.ndarray:
    """A bijective finaliser that spreads every input bit over the output (splitmix64)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


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


def hash_present_strings(column: pa.Array) -> np.ndarray:
    """:func:`hash_strings` of a text column's non-null values (Polars drops the nulls
    without copying the text)."""
    if len(column) == column.null_count:
        return np.empty(0, np.uint64)
    series = cast(pl.Series, pl.from_arrow(column))
    return series.drop_nulls().hash(seed=HASH_SEED).to_numpy()


def hash_rows(*columns: pa.Array) -> np.ndarray:
    """One 64-bit hash per row of several columns together (order matters)."""
    frame = pl.DataFrame(
        [cast(pl.Series, pl.from_arrow(column)).alias(f"c{i}") for i, column in enumerate(columns)]
    )
    return frame.hash_rows(seed=HASH_SEED).to_numpy()


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

    def contains(self, values: pa.Array | pa.ChunkedArray, exact: bool = True) -> np.ndarray:
        """True where a value is one of the keys (nulls are never contained).

        With ``exact=False`` a hash match is taken as a match without comparing the text
        (for counts, where a 1 in 10**9 chance of a miscount is acceptable).
        """
        return self.contains_hashed(values, hash_strings(values), exact)

    def contains_hashed(self, values, hashed: np.ndarray, exact: bool = True) -> np.ndarray:
        """As :meth:`contains`, given the values' hashes."""
        found = np.zeros(len(hashed), bool)
        if len(self.hashes) == 0:
            return found
        if exact:
            return self.contains_sorted(values, hashed, found)
        _, found = hash_hits(self.hashes, hashed)
        if values.null_count:
            found &= pc.is_valid(values).to_numpy(zero_copy_only=False)
        return found

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


@dataclass
class DuplicateCounter:
    """Counts the rows whose composite key occurs more than once in the whole table.

    Hashes go to 16 buckets by their top bits. A bucket stays in memory until the counter
    holds ``memory_rows`` hashes in all; then buckets are appended to scratch files, so
    memory stays bounded at any table size. Counting sorts one bucket at a time.
    """

    memory_rows: int = DUPLICATE_MEMORY_ROWS
    buckets: list[list[np.ndarray]] = field(
        default_factory=lambda: [[] for _ in range(1 << BUCKET_BITS)]
    )
    held: int = 0
    folder: Path | None = field(default_factory=lambda: _spill_folder)
    scratch: Path | None = None

    def add(self, *columns: pa.Array) -> None:
        self.add_hashes(hash_rows(*columns))

    def add_hashes(self, hashes: np.ndarray) -> None:
        top = (hashes >> np.uint64(64 - BUCKET_BITS)).astype(np.uint8)  # radix-sorted
        order = np.argsort(top, kind="stable")
        bounds = np.searchsorted(top[order], np.arange((1 << BUCKET_BITS) + 1))
        for b in range(1 << BUCKET_BITS):
            self.buckets[b].append(hashes[order[bounds[b] : bounds[b + 1]]])
        self.held += len(hashes)
        if self.held > self.memory_rows:
            self.spill()

    def spill(self) -> None:
        """Append every bucket's hashes to its scratch file."""
        if self.scratch is None:
            self.scratch = (
                make_scratch(self.folder, "hashes")
                if self.folder is not None
                else Path(tempfile.mkdtemp(prefix="ptoffact-hashes-"))
            )
        for b, chunks in enumerate(self.buckets):
            if chunks:
                with open(self.bucket_path(b), "ab") as stream:
                    for chunk in chunks:
                        chunk.tofile(stream)
        self.buckets = [[] for _ in range(1 << BUCKET_BITS)]
        self.held = 0

    def bucket_path(self, b: int) -> Path:
        assert self.scratch is not None  # spill() made it
        return self.scratch / f"bucket-{b:02d}.u64"

    def bucket(self, b: int) -> np.ndarray:
        """All hashes of one bucket (from its scratch file and from memory)."""
        parts = list(self.buckets[b])
        if self.scratch is not None and self.bucket_path(b).exists():
            parts.insert(0, np.fromfile(self.bucket_path(b), np.uint64))
        return np.concatenate(parts) if parts else np.empty(0, np.uint64)

    def result(self) -> int:
        """Rows in groups of two or more."""
        return sum(self.per_bucket(rows_in_groups))

    def per_bucket(self, work: Callable[[np.ndarray], T]) -> list[T]:
        """``work`` on each bucket's hashes (on two threads: numpy sorts without the GIL);
        the counter is spent: its memory and scratch files are freed."""
        done = list(pool("hashes", 2).map(lambda b: work(self.bucket(b)), range(1 << BUCKET_BITS)))
        self.buckets = [[] for _ in range(1 << BUCKET_BITS)]
        self.held = 0
        if self.scratch is not None:
            remove_scratch(self.scratch)
            self.scratch = None
        return done


def rows_in_groups(hashes: np.ndarray) -> int:
    """How many of the values occur more than once."""
    hashes.sort()
    same = hashes[1:] == hashes[:-1]
    in_group = np.zeros(len(hashes), bool)
    in_group[1:] |= same
    in_group[:-1] |= same
    return int(in_group.sum())


@dataclass
class KeyCounts:
    """How many keys occur once, twice, ... (a histogram), and the keys that repeat."""

    histogram: np.ndarray  # histogram[k] = keys occurring k times
    repeated: np.ndarray  # sorted hashes of the keys occurring more than once
    repeats: np.ndarray  # how often each of those occurs

    def median(self) -> float | None:
        keys = int(self.histogram.sum())
        if keys == 0:
            return None
        cumulative = np.cumsum(self.histogram)
        lower = int(np.searchsorted(cumulative, (keys - 1) // 2 + 1))
        upper = int(np.searchsorted(cumulative, keys // 2 + 1))
        return (lower + upper) / 2

    def mean(self) -> float | None:
        keys = int(self.histogram.sum())
        rows = int((self.histogram * np.arange(len(self.histogram))).sum())
        return rows / keys if keys else None


@dataclass
class KeyCounter(DuplicateCounter):
    """A duplicate counter that also tells how often each key occurs (and, with
    ``keep_repeated``, which keys repeat)."""

    keep_repeated: bool = False

    def counts(self) -> KeyCounts:
        parts = self.per_bucket(lambda hashes: bucket_counts(hashes, self.keep_repeated))
        histograms, repeated, repeats = zip(*parts, strict=True)
        width = max(len(h) for h in histograms)
        histogram = sum(np.pad(h, (0, width - len(h))) for h in histograms)
        keys = np.concatenate(repeated)
        order = np.argsort(keys)
        return KeyCounts(np.asarray(histogram), keys[order], np.concatenate(repeats)[order])


def bucket_counts(hashes: np.ndarray, keep_repeated: bool) -> tuple[np.ndarray, ...]:
    """The histogram of one bucket's key counts, and its repeated keys with their counts."""
    if len(hashes) == 0:
        return np.zeros(1, np.int64), hashes, np.empty(0, np.int64)
    hashes.sort()
    starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    sizes = np.diff(np.append(starts, len(hashes)))
    many = sizes > 1 if keep_repeated else np.zeros(len(sizes), bool)
    return np.bincount(sizes), hashes[starts[many]], sizes[many]
