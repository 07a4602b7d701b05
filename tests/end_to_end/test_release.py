"""The release folder built from the sample: loading, typing, documents, determinism."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from helpers import sample_rows, write_rows
from ptoffact_build.devtools import make_sample
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.schema import TABLES, load_schema


def sample_count(table: str) -> int:
    return len(sample_rows(table)) - 1


KIND_DTYPES = {"string": "string", "date": "date32", "boolean": "bool"}
INTEGER_DTYPES = {"cite103_max": "int64", "signature_type": "int8"}  # 0 to 4: int8


def expected_dtype(name: str, kind: str) -> str:
    """The datasets dtype a schema field must load as (integers by field: their width)."""
    return INTEGER_DTYPES[name] if kind == "integer" else KIND_DTYPES[kind]


@pytest.mark.parametrize("table", TABLES)
def test_every_config_loads_with_load_dataset(sample_release: Path, table: str) -> None:
    loaded = datasets.load_dataset(str(sample_release), table, split="train")
    assert loaded.num_rows == sample_count(table)
    expected = {f.name: expected_dtype(f.name, f.type) for f in load_schema(table).fields}
    assert {name: feature.dtype for name, feature in loaded.features.items()} == expected
    assert list(loaded.features) == list(expected)


def test_default_config_is_office_actions(sample_release: Path) -> None:
    loaded = datasets.load_dataset(str(sample_release), split="train")
    assert "document_cd" in loaded.features


def test_text_stays_text_and_dates_are_dates(sample_release: Path) -> None:
    actions = pq.read_table(sample_release / "data" / "office_actions").to_pylist()
    ifw_numbers = {row["ifw_number"] for row in actions}
    nine_digit = [n for n in ifw_numbers if n.isdigit()]
    assert nine_digit and all(len(n) == 9 for n in nine_digit)
    assert any(row["uspc_subclass"].startswith("00") for row in actions)
    assert all(isinstance(row["mail_dt"], date) for row in actions)
    assert min(row["mail_dt"] for row in actions) < date(2008, 1, 1)
    assert {type(row["rejection_103"]) for row in actions} == {bool}
    source = {r[1]: r for r in sample_rows("office_actions")[1:]}
    for row in actions[:50]:
        assert row["uspc_subclass"] == source[row["ifw_number"]][6]
        assert row["mail_dt"].isoformat() == source[row["ifw_number"]][3]


def test_a_nine_digit_ifw_number_survives_load_dataset(tmp_path: Path, sample_csvs) -> None:
    """The data dictionary's own examples: 100867762 and 001000 come back as written."""
    old = next(r[1] for r in sample_rows("office_actions")[1:] if r[1].isdigit())
    for table, path in sample_csvs.items():
        rows = sample_rows(table)
        column = rows[0].index("ifw_number")
        for row in rows[1:]:
            if row[column] == old:
                row[column] = "100867762"
                if table == "office_actions":
                    row[6] = "001000"
        write_rows(path, rows)
    out = tmp_path / "release"
    build_release(resolve_sources(sample_csvs.values()), out)
    loaded = datasets.load_dataset(str(out), "office_actions", split="train")
    (row,) = [r for r in loaded if r["ifw_number"] == "100867762"]
    assert row["uspc_subclass"] == "001000"
    rejections = datasets.load_dataset(str(out), "rejections", split="train")
    assert "100867762" in set(rejections["ifw_number"])


def test_parquet_metadata(sample_release: Path) -> None:
    for table in TABLES:
        (shard,) = sorted((sample_release / "data" / table).glob("*.parquet"))
        assert shard.name == "train-00000-of-00001.parquet"
        meta = pq.ParquetFile(shard)
        schema = meta.schema_arrow
        assert schema.equals(load_schema(table).arrow, check_metadata=False)
        for field in load_schema(table).fields:
            got = schema.field(field.name).metadata[b"description"].decode()
            assert got == field.description
        assert meta.metadata.row_group(0).column(0).compression == "ZSTD"


def shard_hashes(release: Path) -> dict[str, str]:
    package = json.loads((release / "datapackage.json").read_text())
    return {s["path"]: s["hash"] for r in package["resources"] for s in r["parquet"]}


def test_two_builds_give_identical_shards(sample_release: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_release(resolve_sources(["sample"]), again)
    assert shard_hashes(again) == shard_hashes(sample_release)
    for path in shard_hashes(again):
        assert (again / path).read_bytes() == (sample_release / path).read_bytes()
    for table in TABLES:
        name = f"csv/{table}.csv.gz"
        assert (again / name).read_bytes() == (sample_release / name).read_bytes()


def test_small_shards_and_row_groups(tmp_path: Path) -> None:
    from ptoffact_build.release import ShardOptions

    out = tmp_path / "small"
    options = ShardOptions(shard_bytes=200_000, row_group_bytes=50_000)
    build_release(
        resolve_sources(["sample"]),
        out,
        BuildOptions(CheckOptions(chunk_bytes=20_000), shards=options),
    )
    shards = sorted((out / "data" / "citations").glob("*.parquet"))
    assert len(shards) > 1
    assert all(s.name.endswith(f"-of-{len(shards):05d}.parquet") for s in shards)
    assert pq.ParquetFile(shards[0]).num_row_groups > 1
    total = sum(pq.ParquetFile(s).metadata.num_rows for s in shards)
    assert total == sample_count("citations")
    loaded = datasets.load_dataset(str(out), "citations", split="train")
    assert loaded.num_rows == total


def test_frictionless_validates_the_release(sample_release: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "datapackage.json", "--json"],
        cwd=sample_release,
        capture_output=True,
        text=True,
    )
    report = json.loads(run.stdout)
    assert run.returncode == 0, report
    assert report["valid"] is True
    assert {t["name"] for t in report["tasks"]} == set(TABLES)
    for task in report["tasks"]:
        assert task["stats"]["rows"] == sample_count(task["name"])


def test_datapackage_lists_hashes_and_counts(sample_release: Path) -> None:
    package = json.loads((sample_release / "datapackage.json").read_text())
    assert package["$schema"].endswith("/2.0/datapackage.json")
    for resource in package["resources"]:
        table = resource["name"]
        assert resource["rows"] == sample_count(table)
        assert resource["hash"].startswith("sha256:")
        assert resource["bytes"] == (sample_release / resource["path"]).stat().st_size
        assert resource["quarantined"]["rows"] == 0
        assert sum(s["rows"] for s in resource["parquet"]) == sample_count(table)
    sources = package["ptoffact"]["sources"]
    assert {s["name"] for s in sources} == {f"{t}.csv.zip" for t in TABLES}


def test_gzip_csv_keeps_source_forms(sample_release: Path) -> None:
    text = gzip.decompress((sample_release / "csv" / "office_actions.csv.gz").read_bytes())
    rows = list(csv.reader(io.StringIO(text.decode())))
    assert rows[0] == load_schema("office_actions").field_names
    source = sample_rows("office_actions")
    assert sorted(rows[1:]) == sorted(source[1:])


def test_card(sample_release: Path) -> None:
    card = (sample_release / "README.md").read_text()
    _, front, body = card.split("---\n", 2)
    meta = yaml.safe_load(front)
    assert meta["license"] == "cc0-1.0"
    configs = {c["config_name"]: c for c in meta["configs"]}
    assert list(configs) == list(TABLES)
    assert configs["office_actions"]["default"] is True
    assert configs["rejections"]["data_files"] == [
        {"split": "train", "path": "data/rejections/train-*.parquet"}
    ]
    info = {c["config_name"]: c["features"] for c in meta["dataset_info"]}
    assert [f["name"] for f in info["citations"]] == load_schema("citations").field_names
    for heading in ("## Provenance", "## Data dictionary", "## Known quirks", "## Citation"):
        assert heading in body
    assert "@techreport{lu2017officeactions" in body
    assert "office_actions.csv.zip" in body
    assert "`same_day_duplicate_rows`" in body


def test_release_holds_no_script(sample_release: Path) -> None:
    files = {p.relative_to(sample_release).as_posix() for p in sample_release.rglob("*")}
    assert not [f for f in files if f.endswith(".py")]
    assert {"README.md", "datapackage.json", "validation_report.json"} <= files


def test_report_measures_the_seeded_quirks_exactly(sample_release: Path) -> None:
    """The sample seeds each quirk a fixed number of times (make_sample), each repeat a
    pair of rows: the report counts exactly those."""
    report = json.loads((sample_release / "validation_report.json").read_text())
    assert report["valid"] is True and report["error_count"] == 0
    actions = report["tables"]["office_actions"]["quirks"]
    assert actions["mail_dt_first"] == "2001-01-01"
    assert actions["mail_dt_before_2008"] == make_sample.N_PRE_2008
    assert actions["same_day_duplicate_rows"] == 2 * make_sample.N_SAME_DAY_DUPLICATES
    rejections = report["tables"]["rejections"]["quirks"]
    assert rejections["colliding_triple_rows"] == 2 * make_sample.N_COLLIDING_TRIPLES
    assert "nonstatutory double patenting" in rejections["action_type"]
    citations = report["tables"]["citations"]["quirks"]
    orphans = make_sample.N_ORPHAN_APPS * make_sample.ORPHAN_ROWS_PER_APP
    assert citations["app_id_not_in_office_actions"] == orphans
    assert citations["repeated_app_citation_rows"] == 2 * make_sample.N_REPEATED_PAIRS


def test_rebuilt_release_at_the_same_path_loads_fresh(tmp_path: Path, sample_csvs) -> None:
    """datasets keys its cache on the card's YAML; download_size makes a rebuild visible."""
    out = tmp_path / "same"
    build_release(resolve_sources(sample_csvs.values()), out)
    assert datasets.load_dataset(str(out), "rejections", split="train").num_rows == sample_count(
        "rejections"
    )
    rows = sample_rows("rejections")
    write_rows(sample_csvs["rejections"], rows[:101])
    build_release(resolve_sources(sample_csvs.values()), out)
    assert datasets.load_dataset(str(out), "rejections", split="train").num_rows == 100


def test_streaming_load(sample_release: Path) -> None:
    stream = datasets.load_dataset(str(sample_release), "citations", split="train", streaming=True)
    first = next(iter(stream))
    assert set(first) == set(load_schema("citations").field_names)
    assert sum(1 for _ in stream) == sample_count("citations")
