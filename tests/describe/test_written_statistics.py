"""The statistics measured as the writer writes: every row reaches them once, in key order;
counts from runs of a grouped key equal counts from hashes; a search in a small index gives
the same answer as the sorted search of a large one."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ptoffact_build.check.keys import CACHED_HASHES, KeyCounter, hash_hits, mix
from ptoffact_build.check.statistics import (
    ColumnProfile,
    RunCounter,
    new_profiles,
    same_as_previous,
)
from ptoffact_build.pipeline import InOrder, gathered
from ptoffact_build.pools import worker_pools
from ptoffact_build.schema import load_schema
from ptoffact_build.stopwatch import Stopwatch
from ptoffact_build.write.sink import ReleaseSink, ShardOptions


def test_run_counter_equals_the_hash_counter_across_batches(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    keys = np.sort(rng.integers(0, 2000, 30_000)).astype(str).astype(object)
    keys[-700:] = None  # NULLs come last in key order, one key as for the hashes
    runs, hashes = RunCounter(), KeyCounter(folder=tmp_path)
    cuts = [0, 1, 2, 777, 5000, 5001, 12_345, 29_299, 30_000]  # batches cut inside runs
    for start, stop in itertools.pairwise(cuts):
        batch = pa.array(keys[start:stop], pa.string())
        runs.add(batch)
        hashes.add(batch)
    by_runs, by_hashes = runs.counts(), hashes.counts()
    width = max(len(by_runs.histogram), len(by_hashes.histogram))
    assert np.array_equal(
        np.pad(by_runs.histogram, (0, width - len(by_runs.histogram))),
        np.pad(by_hashes.histogram, (0, width - len(by_hashes.histogram))),
    )
    assert by_runs.median() == by_hashes.median()
    assert by_runs.mean() == pytest.approx(by_hashes.mean())


def test_same_as_previous_treats_two_nulls_as_equal() -> None:
    column = pa.array(["a", "a", None, None, "b", None])
    assert same_as_previous(column).tolist() == [True, False, True, False, False]


@pytest.mark.parametrize("size", [10, CACHED_HASHES, CACHED_HASHES + 1, 4 * CACHED_HASHES])
def test_hash_hits_agree_for_small_and_large_indexes(size: int) -> None:
    rng = np.random.default_rng(size)
    keys = np.unique(mix(rng.integers(0, 1 << 40, size).astype(np.uint64)))
    queries = np.concatenate([keys[:: max(1, size // 500)], mix(np.arange(3000, dtype=np.uint64))])
    position, hit = hash_hits(keys, queries)
    expected = np.isin(queries, keys)
    assert np.array_equal(hit, expected)
    assert np.array_equal(keys[position[hit]], queries[hit])


class Recorder:
    """A row feed that keeps what it was shown, in order, and how often it was finished."""

    def __init__(self) -> None:
        self.runs: list[list[pa.RecordBatch]] = []
        self.finished = 0

    def observe(self, batches: list[pa.RecordBatch]) -> None:
        assert self.finished == 0  # nothing after the end
        self.runs.append(batches)

    def finish(self) -> None:
        self.finished += 1


def citations(rows: int) -> pa.RecordBatch:
    schema = load_schema("citations").arrow
    rng = np.random.default_rng(rows)
    app = rng.integers(12_000_000, 12_000_000 + rows // 3 + 1, rows).astype(str)
    columns = {name: pa.nulls(rows, schema.field(name).type) for name in schema.names}
    columns["app_id"] = pa.array(app)
    columns["citation_pat_pgpub_id"] = pa.array(np.arange(rows).astype(str))
    return pa.RecordBatch.from_pydict(columns, schema=schema)


def test_the_sink_shows_every_written_row_once_in_key_order(tmp_path: Path) -> None:
    sink = ReleaseSink(tmp_path, "citations", ShardOptions())
    batches = [citations(n) for n in (5000, 1, 20_000)]
    for batch in batches:
        sink.write(batch)
    feed = Recorder()
    sink.table_done(Stopwatch(), feed)
    sink.close()
    assert feed.finished == 1
    shown = pa.Table.from_batches([b for run in feed.runs for b in run])
    assert shown.num_rows == sum(b.num_rows for b in batches)
    apps = shown.column("app_id").to_pylist()
    assert apps == sorted(apps)
    ids = sorted(int(i) for i in shown.column("citation_pat_pgpub_id").to_pylist())
    written = sorted(int(i) for b in batches for i in b.column("citation_pat_pgpub_id").to_pylist())
    assert ids == written


def test_an_ordered_column_is_profiled_exactly_from_its_runs_and_ends() -> None:
    rng = np.random.default_rng(5)
    values = np.sort(rng.integers(10_000_000, 10_050_000, 40_000)).astype(str)
    profile = ColumnProfile(ordered=True)
    for start in range(0, len(values), 7_777):  # batches cut inside runs
        profile.observe(pa.array(values[start : start + 7_777]))
    found = profile.summary()
    assert (found["distinct"], found["distinct_exact"]) == (len(np.unique(values)), True)
    assert (found["min"], found["max"]) == (values[0], values[-1])
    with pytest.raises(ValueError, match="out of order"):
        profile.observe(pa.array([values[0]]))  # a value below the last one seen


def test_the_writers_key_column_is_profiled_as_ordered() -> None:
    profiles = new_profiles("rejections", load_schema("rejections").arrow.names)
    assert profiles["app_id"].ordered and not profiles["claim_numbers"].ordered
    assert not new_profiles("office_actions", ["ifw_number"])["ifw_number"].ordered  # unique


def test_a_line_keeps_order_lets_work_queue_to_its_depth_and_raises_at_the_end() -> None:
    release = threading.Event()
    done: list[int] = []

    def work(item: int) -> None:
        release.wait(10)
        if item == 3:
            raise RuntimeError("work 3 failed")
        done.append(item)

    with worker_pools():
        line = InOrder("test-line", Stopwatch(), depth=3)
        for item in range(3):  # three fit without waiting, although none has run
            line.submit(work, item)
        assert len(line.pending) == 3 and done == []
        release.set()
        line.submit(work, 3)  # waits for the oldest only
        assert done[:1] == [0]
        with pytest.raises(RuntimeError, match="work 3 failed"):
            line.wait()
        assert done == [0, 1, 2]


def test_small_written_batches_are_gathered_and_big_ones_pass_as_they_are() -> None:
    sizes = [10, 20, 100, 5, 5, 200, 7]
    batches = [pa.record_batch({"n": pa.array(range(n))}) for n in sizes]
    groups = list(gathered(batches, rows=100))
    assert [g.num_rows for g in groups] == [130, 210, 7]
    assert groups[1] is not batches[5]  # 5 + 5 + 200 joined
    assert list(gathered(batches[2:3], rows=100)) == [batches[2]]
    assert next(gathered(batches[2:3], rows=100)) is batches[2]  # big enough: no copy
    joined = [v for g in groups for v in g.column("n").to_pylist()]
    assert joined == [v for b in batches for v in b.column("n").to_pylist()]
