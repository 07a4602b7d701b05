"""``ptoffact.load_release``: one table or several, keyword arguments passed to
``load_dataset``; and the builder's error on invalid sources naming a report that exists."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import datasets
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import ptoffact
from helpers import sample_rows, write_rows


def shard_table(release: Path, table: str):
    return pq.read_table(sorted((release / "data" / table).glob("*.parquet")))


def test_one_table_or_several_by_name(sample_release: Path) -> None:
    loaded = ptoffact.load_release(sample_release, "rejections")
    assert list(loaded) == ["rejections"]
    assert loaded["rejections"].num_rows == len(sample_rows("rejections")) - 1
    loaded = ptoffact.load_release(sample_release, ["citations", "rejections"])
    assert list(loaded) == ["citations", "rejections"]
    assert loaded["citations"].num_rows == len(sample_rows("citations")) - 1


def test_an_unknown_table_is_named(sample_release: Path) -> None:
    with pytest.raises(ValueError, match="no such table: claims"):
        ptoffact.load_release(sample_release, ["rejections", "claims"])


def test_streaming_is_passed_on(sample_release: Path) -> None:
    loaded = ptoffact.load_release(sample_release, "office_actions", streaming=True)
    stream = loaded["office_actions"]
    assert isinstance(stream, datasets.IterableDataset)
    assert sum(1 for _ in stream) == len(sample_rows("office_actions")) - 1


def test_columns_and_filters_are_passed_on(sample_release: Path) -> None:
    loaded = ptoffact.load_release(
        sample_release,
        "rejections",
        columns=["app_id", "alice_in"],
        filters=[("alice_in", "==", True)],
    )["rejections"]
    assert loaded.column_names == ["app_id", "alice_in"]
    table = shard_table(sample_release, "rejections")
    expected = table.filter(pc.field("alice_in"))["app_id"].to_pylist()
    assert 0 < len(expected) < table.num_rows
    assert loaded["app_id"] == expected
    assert set(loaded["alice_in"]) == {True}


def test_the_builder_names_a_report_that_exists(tmp_path: Path, sample_csvs) -> None:
    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"
    write_rows(sample_csvs["office_actions"], rows)
    builder = ptoffact.Ptoffact(
        config_name="office_actions",
        data_dir=str(sample_csvs["office_actions"].parent),
        cache_dir=str(tmp_path / "cache"),
    )
    with pytest.raises(Exception) as caught:
        builder.download_and_prepare()
    error: BaseException | None = caught.value
    messages = []
    while error is not None:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    named = [m for m in messages if "report: " in m]
    assert named, messages
    report = Path(re.search(r"report: (\S+)$", named[0])[1])
    assert report.is_file()
    assert json.loads(report.read_text())["valid"] is False
    assert "31/12/2016" in report.read_text()
    shutil.rmtree(report.parent)  # the folder ptoffact made for it
