"""Rows in key order (app_id, then ifw_number), declared, so one application is cheap to find."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, ShardOptions, build_release
from ptoffact_build.schema import TABLES
from ptoffact_build.write import sort as order
from ptoffact_build.write.sort import BucketSorter

# row groups small enough to be many, big enough to hold the busiest application's rows
ROW_GROUP_BYTES = {"office_actions": 8_000, "rejections": 8_000, "citations": 40_000}


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[int, Path]:
    built = {}
    for size in sorted(set(ROW_GROUP_BYTES.values())):
        out = tmp_path_factory.mktemp(f"groups_{size}") / "release"
        options = ShardOptions(shard_bytes=300_000, row_group_bytes=size)
        build_release(
            resolve_sources(["sample"]),
            out,
            BuildOptions(CheckOptions(chunk_bytes=30_000), shards=options),
        )
        built[size] = out
    return built


@pytest.fixture
def small_groups(releases, request) -> Path:
    return releases[ROW_GROUP_BYTES[request.node.callspec.params["table"]]]


def row_group_ranges(folder: Path) -> list[tuple[str, str, int]]:
    """(min app_id, max app_id, rows) of every row group of every shard, from statistics."""
    ranges = []
    for shard in sorted(folder.glob("*.parquet")):
        meta = pq.ParquetFile(shard).metadata
        column = meta.schema.to_arrow_schema().get_field_index("app_id")
        for i in range(meta.num_row_groups):
            stats = meta.row_group(i).column(column).statistics
            assert stats is not None and stats.has_min_max
            ranges.append((stats.min, stats.max, meta.row_group(i).num_rows))
    return ranges


@pytest.mark.parametrize("table", TABLES)
def test_rows_are_in_key_order(small_groups: Path, table: str) -> None:
    data = pq.read_table(small_groups / "data" / table)
    expected = data.sort_by([("app_id", "ascending"), ("ifw_number", "ascending")])
    assert data.equals(expected)
    shard = sorted((small_groups / "data" / table).glob("*.parquet"))[0]
    sorting = pq.ParquetFile(shard).metadata.row_group(0).sorting_columns
    names = data.schema.names
    assert [names[c.column_index] for c in sorting] == ["app_id", "ifw_number"]


@pytest.mark.parametrize("table", TABLES)
def test_one_application_reads_at_most_two_row_groups(small_groups: Path, table: str) -> None:
    ranges = row_group_ranges(small_groups / "data" / table)
    assert len(ranges) >= 8, "the test needs many small row groups"
    app_ids = pq.read_table(small_groups / "data" / table, columns=["app_id"]).column("app_id")
    most_rows_per_app = max(Counter(app_ids.to_pylist()).values())
    assert min(rows for _, _, rows in ranges[:-1]) > most_rows_per_app
    for app in pc.unique(app_ids).to_pylist():
        touched = sum(1 for low, high, _ in ranges if low <= app <= high)
        assert 1 <= touched <= 2, (table, app, touched)


def test_sorter_with_few_open_files(tmp_path: Path, monkeypatch) -> None:
    """Past the open-file limit a bucket continues in a new file; order is unchanged."""
    monkeypatch.setattr(order, "MAX_OPEN_FILES", 2)
    rng = np.random.default_rng(7)
    apps = [f"{n:08d}" for n in rng.integers(12_000_000, 15_400_000, 5000)]
    ifws = [f"{n:09d}" for n in rng.integers(0, 10**9, 5000)]
    schema = pa.schema([("app_id", pa.string()), ("ifw_number", pa.string()), ("n", pa.int64())])
    batch = pa.record_batch([pa.array(apps), pa.array(ifws), pa.array(range(5000))], schema=schema)
    sorter = BucketSorter(tmp_path / "spill", schema, buffer_bytes=1)  # a write per batch
    for start in range(0, 5000, 250):
        sorter.write(batch.slice(start, 250))
    assert sorter.files_made > len(sorter.parts)  # buckets were reopened
    result = pa.Table.from_batches(list(sorter.sorted_batches()), schema)
    assert result.num_rows == 5000
    assert result.equals(pa.Table.from_batches([batch]).sort_by(order.SORT_ORDER))
    assert not (tmp_path / "spill").exists()
