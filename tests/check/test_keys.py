"""Hashes, the exact key index and the duplicate counter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check.keys import (
    DuplicateCounter,
    KeyIndex,
    hash_rows,
    hash_strings,
    spill_into,
)

VALUES = ["", "a", "ab", "x" * 31, "x" * 32, "x" * 33, "y" * 100, "y" * 100 + "z", 'Müller, "Über"']


def test_hashes_tell_values_apart_and_ignore_slicing() -> None:
    column = pa.array([*VALUES, None, "a"])
    hashed = hash_strings(column)
    assert len(set(hashed[: len(VALUES)].tolist())) == len(VALUES)
    assert hashed[1] == hashed[-1]
    assert (hash_strings(column.slice(3, 5)) == hashed[3:8]).all()
    assert (hash_strings(pa.chunked_array([column[:4], column[4:]])) == hashed).all()
    assert (hash_strings(column.cast(pa.large_string())) == hashed).all()


def test_row_hashes_depend_on_column_boundaries() -> None:
    left = hash_rows(pa.array(["ab", "a"]), pa.array(["c", "bc"]))
    assert left[0] != left[1]


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


def test_duplicate_counter_matches_exact_grouping() -> None:
    rng = np.random.default_rng(3)
    apps = pa.array([f"{n:08d}" for n in rng.integers(0, 300, 20_000)])
    cites = pa.array([f"US{n}" for n in rng.integers(0, 200, 20_000)])
    counter = DuplicateCounter()
    for start in range(0, 20_000, 3_000):
        counter.add(apps.slice(start, 3_000), cites.slice(start, 3_000))
    grouped = pa.table({"a": apps, "c": cites}).group_by(["a", "c"]).aggregate([([], "count_all")])
    counts = grouped.column("count_all")
    expected = pc.sum(pc.filter(counts, pc.greater(counts, 1))).as_py()
    assert counter.result() == expected > 0


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


def test_duplicate_counter_spills_to_disk_with_the_same_answer(tmp_path: Path) -> None:
    """Spilled hashes go to bucket files in a scratch folder inside the given folder,
    which holds nothing of the counter's once it has counted."""
    rng = np.random.default_rng(5)
    hashes = rng.integers(0, 2**63, 50_000).astype(np.uint64)
    hashes[:2_000] = hashes[10_000:12_000]
    with spill_into(tmp_path):
        spilled = DuplicateCounter(memory_rows=3_000)
    in_memory = DuplicateCounter()
    for start in range(0, 50_000, 2_500):
        in_memory.add_hashes(hashes[start : start + 2_500])
        spilled.add_hashes(hashes[start : start + 2_500])
    assert in_memory.scratch is None
    (scratch,) = tmp_path.iterdir()
    assert spilled.scratch == scratch and scratch.is_dir()
    buckets = sorted(scratch.glob("bucket-*.u64"))
    assert len(buckets) == 16
    assert sum(b.stat().st_size for b in buckets) == 8 * (50_000 - spilled.held)
    assert spilled.result() == in_memory.result() == 4_000
    assert spilled.scratch is None
    assert list(tmp_path.iterdir()) == []
