"""The release's croissant.json: mlcroissant validates it offline and reads every table's rows
exactly as the Parquet shards hold them; every column is a field derived from its schema; the
files, keys, references and Responsible-AI facts are the release's."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from helpers import sample_release_in_shards
from ptoffact_build.describe.croissant import (
    CONFORMS_TO,
    CROISSANT,
    DATA_TYPES,
    PTOFFACT,
    USPTO,
    plain,
    release_croissant,
)
from ptoffact_build.describe.datapackage import BIBTEX_PAPER, LICENSE
from ptoffact_build.describe.limitations import LIMITATIONS, RELIABILITY_FLAGS
from ptoffact_build.describe.report import Origin
from ptoffact_build.describe.usage import card_for_repo
from ptoffact_build.publish.hub import OWNED_FILES
from ptoffact_build.schema import TABLES, load_schema

# mlcroissant's own deprecation warnings (rdflib's ConjunctiveGraph, pandas' inplace).
pytestmark = [
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated"),
    pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index"),
]


def croissant_of(release: Path) -> dict[str, Any]:
    return json.loads((release / CROISSANT).read_text(encoding="utf-8"))


def package_of(release: Path) -> dict[str, Any]:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


def by_id(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {node["@id"]: node for node in nodes}


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Any connection beyond loopback fails, and is recorded for the test to assert on."""
    attempts: list[object] = []
    connect = socket.socket.connect

    def loopback_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in (
            "127.0.0.1",
            "::1",
            "localhost",
        ):
            attempts.append(address)
            raise OSError(f"test: no internet ({address!r})")
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    yield attempts


def test_the_guard_refuses_the_internet(no_internet: list) -> None:
    with pytest.raises(OSError, match="no internet"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert no_internet == [("192.0.2.1", 80)]


@pytest.fixture(scope="module")
def mlc(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """mlcroissant, its download cache (never used for a release's local files) kept out of
    the user's home when this is its first import."""
    cache = tmp_path_factory.mktemp("croissant_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CROISSANT_CACHE", str(cache))
        import mlcroissant

        yield mlcroissant


@pytest.fixture(scope="module")
def sharded_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with small shards: a table in several Parquet files."""
    out = tmp_path_factory.mktemp("sharded") / "release"
    return sample_release_in_shards(out, 60_000, 20_000)


def normalised(value: Any) -> Any:
    """A value as Python compares it: text as str, a timestamp as its date, NaN as None,
    NumPy scalars as Python's."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # a NumPy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def croissant_rows(mlc: Any, release: Path, table: str) -> list[dict[str, Any]]:
    """A table's records as mlcroissant reads them, keyed by column name."""
    dataset = mlc.Dataset(jsonld=str(release / CROISSANT))
    prefix = f"{table}/"
    return [
        {key.removeprefix(prefix): normalised(value) for key, value in record.items()}
        for record in dataset.records(table)
    ]


def parquet_rows(release: Path, table: str) -> list[dict[str, Any]]:
    shards = sorted((release / "data" / table).glob("*.parquet"))
    return [row for shard in shards for row in pq.read_table(shard).to_pylist()]


def test_mlcroissant_validates_it_offline(
    sample_release: Path, mlc: Any, no_internet: list, caplog: pytest.LogCaptureFixture
) -> None:
    """What `mlcroissant validate --jsonld croissant.json` checks: no error, and no warning
    either (mlcroissant logs one for a non-standard @context)."""
    with caplog.at_level(logging.WARNING):
        dataset = mlc.Dataset(jsonld=str(sample_release / CROISSANT))
    issues = dataset.metadata.ctx.issues
    assert not issues.errors and not issues.warnings, issues.report()
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert no_internet == []
    assert dataset.metadata.ctx.conforms_to.value == CONFORMS_TO[0]


def test_a_broken_croissant_fails_validation(sample_release: Path, mlc: Any, tmp_path) -> None:
    """The validation above can fail: a field reading a file set that does not exist."""
    broken = croissant_of(sample_release)
    broken["recordSet"][0]["field"][0]["source"]["fileSet"]["@id"] = "nowhere"
    (tmp_path / CROISSANT).write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(mlc.ValidationError, match="nowhere"):
        mlc.Dataset(jsonld=str(tmp_path / CROISSANT))


@pytest.mark.parametrize("table", TABLES)
def test_its_records_are_the_parquet_rows(
    sample_release: Path, mlc: Any, no_internet: list, table: str
) -> None:
    expected = parquet_rows(sample_release, table)
    assert len(expected) > 0
    assert croissant_rows(mlc, sample_release, table) == expected
    assert no_internet == []


def test_a_table_in_several_shards_is_read_whole(sharded_release: Path, mlc: Any) -> None:
    for table in TABLES:
        assert len(list((sharded_release / "data" / table).glob("*.parquet"))) > 1, table
        expected = parquet_rows(sharded_release, table)
        assert croissant_rows(mlc, sharded_release, table) == expected, table


def test_every_column_is_a_field_with_its_description_and_type(sample_release: Path) -> None:
    record_sets = by_id(croissant_of(sample_release)["recordSet"])
    assert list(record_sets) == list(TABLES)
    for table in TABLES:
        schema = load_schema(table)
        fields = record_sets[table]["field"]
        assert [f["name"] for f in fields] == schema.field_names
        for field, column in zip(fields, schema.fields, strict=True):
            assert field["@id"] == f"{table}/{column.name}"
            assert field["description"] and field["description"] == column.description
            assert field["dataType"] == DATA_TYPES[column.type]
            assert field["source"] == {
                "fileSet": {"@id": f"{table}-parquet"},
                "extract": {"column": column.name},
            }


def test_keys_and_references_are_the_schemas(sample_release: Path) -> None:
    record_sets = by_id(croissant_of(sample_release)["recordSet"])
    field_ids = {f["@id"] for rs in record_sets.values() for f in rs["field"]}
    for table in TABLES:
        schema = load_schema(table)
        keys = [k["@id"] for k in record_sets[table].get("key", [])]
        assert keys == [f"{table}/{name}" for name in schema.primary_key]
        assert set(keys) <= field_ids
        referring = {
            f["name"]: f["references"]["field"]["@id"]
            for f in record_sets[table]["field"]
            if "references" in f
        }
        declared = {
            column: f"{fk['reference']['resource']}/{target}"
            for fk in schema.foreign_keys
            for column, target in zip(fk["fields"], fk["reference"]["fields"], strict=True)
        }
        assert referring == declared
        assert set(referring.values()) <= field_ids
    assert record_sets["office_actions"]["key"] == [{"@id": "office_actions/ifw_number"}]
    assert "references" in by_id(record_sets["rejections"]["field"])["rejections/ifw_number"]


def test_each_table_has_its_parquet_file_set_and_csv_file_object(sample_release: Path) -> None:
    files = by_id(croissant_of(sample_release)["distribution"])
    assert len(files) == 2 * len(TABLES)
    for table in TABLES:
        shards = files[f"{table}-parquet"]
        assert shards["@type"] == "cr:FileSet"
        assert shards["encodingFormat"] == "application/x-parquet"
        assert shards["includes"] == f"data/{table}/*.parquet"
        assert list(sample_release.glob(shards["includes"]))
        csv = files[f"{table}-csv"]
        path = sample_release / csv["contentUrl"]
        assert csv["@type"] == "cr:FileObject" and csv["contentUrl"] == f"csv/{table}.csv.gz"
        assert csv["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert csv["contentSize"] == f"{path.stat().st_size} B"
        assert csv["encodingFormat"] == "text/csv"


def test_dataset_facts_come_from_the_datapackage_and_card(sample_release: Path) -> None:
    croissant, package = croissant_of(sample_release), package_of(sample_release)
    assert croissant["conformsTo"] == CONFORMS_TO
    assert croissant["name"] == package["title"] and "sample" in croissant["name"]
    assert croissant["description"] == package["description"]
    assert croissant["version"] == package["version"]
    assert croissant["license"] == LICENSE["path"]
    assert croissant["citeAs"] == BIBTEX_PAPER
    assert croissant["url"].startswith("https://")
    card = (sample_release / "README.md").read_text(encoding="utf-8")
    assert f"year    = {{{croissant['datePublished']}}}" in card  # the year the card cites


def test_rai_properties_restate_the_limitations(sample_release: Path) -> None:
    croissant = croissant_of(sample_release)
    limits = croissant["rai:dataLimitations"]
    for text in LIMITATIONS:
        assert plain(text) in limits and "`" not in plain(text)
    assert all(flag in limits[0] for flag in RELIABILITY_FLAGS)
    biases = " ".join(croissant["rai:dataBiases"])
    assert "series 12 to 15" in biases and "Mining errors" in biases
    missing = croissant["rai:dataCollectionMissingData"]
    for table in TABLES:
        for field in load_schema(table).fields:
            assert (f" {field.name}" in missing.split(f"{table}:")[1].split(";")[0]) == (
                not field.required
            ), (table, field.name)
    for name in (
        "rai:dataCollection",
        "rai:dataCollectionType",
        "rai:dataPreprocessingProtocol",
        "rai:dataUseCases",
        "rai:personalSensitiveInformation",
        "rai:dataReleaseMaintenancePlan",
        "rai:machineAnnotationTools",
    ):
        assert croissant[name], name


@pytest.mark.parametrize(
    ("origin", "creators", "claim"),
    [
        (Origin.PORTAL, [USPTO, PTOFFACT], "fetched the USPTO's files"),
        (Origin.LOCAL, [PTOFFACT], "cannot tell whether they are the USPTO's"),
        (Origin.SAMPLE, [PTOFFACT], "Synthetic"),
    ],
)
def test_the_origin_decides_the_creators_and_collection(
    sample_release: Path, origin: Origin, creators: list, claim: str
) -> None:
    """Only files fetched from the portal make the USPTO a creator of the release."""
    croissant = release_croissant(package_of(sample_release), origin, 2026)
    assert croissant["creator"] == creators
    assert claim in croissant["rai:dataCollection"]
    assert "text mining" in croissant["rai:dataCollection"]
    assert croissant["datePublished"] == "2026"


def test_it_is_a_listed_release_entry_published_with_the_release(sample_release: Path) -> None:
    sums = (sample_release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    digest = hashlib.sha256((sample_release / CROISSANT).read_bytes()).hexdigest()
    assert f"{digest}  {CROISSANT}" in sums
    assert CROISSANT in package_of(sample_release)["ptoffact"]["files"]
    assert CROISSANT in OWNED_FILES


def test_the_card_says_how_to_check_it(sample_release: Path) -> None:
    card = (sample_release / "README.md").read_text(encoding="utf-8")
    for text in (card, card_for_repo(card, "some-org/ptoffact") or ""):
        assert f"mlcroissant validate --jsonld {CROISSANT}" in text
