"""The release card's front matter is huggingface_hub's own (DatasetCardData) YAML."""

from __future__ import annotations

from pathlib import Path

import yaml
from huggingface_hub import DatasetCard

from ptoffact_build.schema import TABLES, load_schema


def front_matter(card: Path) -> dict:
    return yaml.safe_load(card.read_text(encoding="utf-8").split("---\n", 2)[1])


def test_the_card_round_trips_through_huggingface_hub_unchanged(sample_release: Path) -> None:
    path = sample_release / "README.md"
    card = DatasetCard.load(path)
    assert str(card) == path.read_text(encoding="utf-8")
    assert card.data.pretty_name.startswith("USPTO Office Action Research Dataset")
    assert card.data.license == "cc0-1.0" and card.data.size_categories == ["10K<n<100K"]


def test_the_front_matter_keeps_its_key_order(sample_release: Path) -> None:
    """The order the card had before huggingface_hub wrote it, so a rebuild diffs cleanly."""
    keys = list(front_matter(sample_release / "README.md"))
    assert keys[:3] == ["license", "pretty_name", "language"]
    hub_categories = ["annotations_creators", "source_datasets", "task_categories"]
    assert keys[3:] == [*hub_categories, "tags", "size_categories", "configs", "dataset_info"]


def test_dataset_info_holds_each_tables_features_and_parquet_bytes(sample_release: Path) -> None:
    info = {c["config_name"]: c for c in front_matter(sample_release / "README.md")["dataset_info"]}
    assert list(info) == list(TABLES)
    for table in TABLES:
        shards = (sample_release / "data" / table).glob("*.parquet")
        assert info[table]["download_size"] == sum(p.stat().st_size for p in shards)
        fields = load_schema(table).fields
        assert info[table]["features"] == [{"name": f.name, "dtype": f.hf_dtype} for f in fields]
