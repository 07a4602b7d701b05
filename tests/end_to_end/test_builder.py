"""ptoffact.py: the Hugging Face builder and the small public helpers."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import datasets
import pytest

import ptoffact
from helpers import exact, sample_rows, typed_sample_records
from ptoffact_build.schema import load_schema

PYTHON_TYPES = {"string": str, "date": date, "boolean": bool, "integer": int}


def assert_holds_the_sample(loaded: datasets.Dataset, table: str) -> None:
    """Every row of the sample's CSV, typed, and nothing else; each column of its type."""
    assert loaded.features == ptoffact.features(table)
    rows = loaded.to_list()
    assert Counter(map(exact, rows)) == Counter(map(exact, typed_sample_records(table)))
    kinds = {f.name: f.type for f in load_schema(table).fields}
    for name, kind in kinds.items():
        found = {type(row[name]) for row in rows if row[name] is not None}
        assert found == {PYTHON_TYPES[kind]}, (name, found)


def test_public_helpers() -> None:
    assert ptoffact.TABLES == ("office_actions", "rejections", "citations")
    assert ptoffact.features("office_actions")["mail_dt"].dtype == "date32"
    assert str(ptoffact.arrow_schema("rejections").field("alice_in").type) == "bool"


@pytest.mark.parametrize("table", ptoffact.TABLES)
def test_builder_reads_a_release(sample_release: Path, tmp_path: Path, table: str) -> None:
    builder = ptoffact.Ptoffact(
        config_name=table, data_dir=str(sample_release), cache_dir=str(tmp_path)
    )
    builder.download_and_prepare()
    loaded = builder.as_dataset(split="train")
    assert loaded.num_rows == len(sample_rows(table)) - 1
    assert_holds_the_sample(loaded, table)


def test_builder_reads_source_files(tmp_path: Path) -> None:
    from ptoffact_build.read.sources import sample_dir

    builder = ptoffact.Ptoffact(
        config_name="rejections", data_dir=str(sample_dir()), cache_dir=str(tmp_path)
    )
    builder.download_and_prepare()
    loaded = builder.as_dataset(split="train")
    assert loaded.num_rows == len(sample_rows("rejections")) - 1
    assert loaded.features["claim_numbers"].dtype == "string"
    assert_holds_the_sample(loaded, "rejections")


def test_load_release(sample_release: Path) -> None:
    loaded = ptoffact.load_release(sample_release)
    assert list(loaded) == list(ptoffact.TABLES)
    for table, dataset in loaded.items():
        assert isinstance(dataset, datasets.Dataset)
        assert_holds_the_sample(dataset, table)


def test_a_folder_holding_its_own_script_is_refused(tmp_path: Path) -> None:
    """Why releases never contain ptoffact.py: datasets 4+ refuses such folders."""
    folder = tmp_path / "ptoffact"
    folder.mkdir()
    (folder / "ptoffact.py").write_text("")
    with pytest.raises(RuntimeError, match="scripts are no longer supported"):
        datasets.load_dataset(str(folder))
