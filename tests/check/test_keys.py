"""Hashes and the exact key index."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ptoffact_build.check.keys import CACHED_HASHES, KeyIndex, hash_hits, hash_strings

VALUES = ["", "a", "ab", "x" * 31, "x" * 32, "x" * 33, "y" * 100, "y" * 100 + "z", 'Müller, "Über"']


def test_hashes_tell_values_apart_and_ignore_slicing() -> None:
    column = pa.array([*VALUES, None, "a"])
    hashed = hash_strings(column)
    assert len(set(hashed[: len(VALUES)].tolist())) == len(VALUES)
    assert hashed[1] == hashed[-1]
    assert (hash_strings(column.slice(3, 5)) == hashed[3:8]).all()
    assert (hash_strings(pa.chunked_array([column[:4], column[4:]])) == hashed).all()
    assert (hash_strings(column.cast(pa.large_string())) == hashed).all()


def test_key_index_is_exact() -> None:
    index = KeyIndex.build(pa.array(["k1", "k2", None, "x" * 40]))
    assert len(index) == 3
    got = index.contains(pa.array(["k2", "k4", None, "x" * 40, "x" * 41, ""]))
    assert got.tolist() == [True, False, False, True, False, False]


def test_key_index_when_keys_share_a_hash() -> None:
    """Forced collisions: every key has hash 0; the text decides."""
    keys = pa.array(["a", "b", "c"])
    index = KeyIndex(np.zeros(3, np.uint64), keys)
    values = pa.array(["c", "d", "a"])
    hashed = np.zeros(3, np.uint64)
    found = index.contains_sorted(values, hashed, np.zeros(3, bool))
    assert found.tolist() == [True, False, True]


def test_growing_key_set_merges_and_stays_exact() -> None:
    from ptoffact_build.check.keys import GrowingKeySet

    keys = GrowingKeySet()
    for start in range(0, 10_000, 500):
        keys.add(pa.array([f"K{n}" for n in range(start, start + 500)]))
        assert len(keys.levels) <= 6
    probe = pa.array(["K0", "K9999", "K10000", "k5", None, "K4321"])
    assert keys.contains(probe).tolist() == [True, True, False, False, False, True]
    whole = keys.index(pa.string())
    assert len(whole) == 10_000 and whole.contains(probe).tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
    ]


@pytest.mark.parametrize("size", [10, CACHED_HASHES, CACHED_HASHES + 1, 4 * CACHED_HASHES])
def test_hash_hits_agree_for_small_and_large_indexes(size: int) -> None:
    """A small index is searched without sorting the queries, a large one after: the same
    answers either way."""
    rng = np.random.default_rng(size)
    keys = np.unique(rng.integers(0, 2**63, size, dtype=np.uint64))
    queries = np.concatenate([keys[:: max(1, size // 500)], rng.integers(0, 2**63, 3000)])
    queries = queries.astype(np.uint64)
    position, hit = hash_hits(keys, queries)
    assert np.array_equal(hit, np.isin(queries, keys))
    assert np.array_equal(keys[position[hit]], queries[hit])
