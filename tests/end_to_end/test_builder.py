"""ptoffact.py: the Hugging Face builder and the small public helpers."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

import ptoffact
from helpers import sample_rows


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
    assert loaded.features == ptoffact.features(table)


def test_builder_reads_source_files(tmp_path: Path) -> None:
    from ptoffact_build.read.sources import sample_dir

    builder = ptoffact.Ptoffact(
        config_name="rejections", data_dir=str(sample_dir()), cache_dir=str(tmp_path)
    )
    builder.download_and_prepare()
    loaded = builder.as_dataset(split="train")
    assert loaded.num_rows == len(sample_rows("rejections")) - 1
    assert loaded.features["claim_numbers"].dtype == "string"


def test_load_release(sample_release: Path) -> None:
    loaded = ptoffact.load_release(sample_release)
    assert set(loaded) == set(ptoffact.TABLES)
    assert all(isinstance(d, datasets.Dataset) for d in loaded.values())


def test_a_folder_holding_its_own_script_is_refused(tmp_path: Path) -> None:
    """Why releases never contain ptoffact.py: datasets 4+ refuses such folders."""
    folder = tmp_path / "ptoffact"
    folder.mkdir()
    (folder / "ptoffact.py").write_text("")
    with pytest.raises(RuntimeError, match="scripts are no longer supported"):
        datasets.load_dataset(str(folder))
