"""The release card: Hub conventions with exact split sizes, the truth about this build (its
counts and where its sources came from), loading examples that hold no local path, and the
card `publish` uploads for a repository."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from helpers import sample_release_in_shards
from portal_server import FakePortal
from ptoffact_build.cli import main
from ptoffact_build.describe.arrowsize import loaded_bytes
from ptoffact_build.describe.datapackage import PROJECT_URL
from ptoffact_build.describe.limitations import RELIABILITY_FLAGS
from ptoffact_build.describe.shards import footer_of
from ptoffact_build.describe.usage import card_for_repo
from ptoffact_build.publish.hubcard import hub_files, sums_for_card
from ptoffact_build.publish.verify import ReleaseMismatch
from ptoffact_build.read.sources import resolve_sources, sample_dir
from ptoffact_build.release import build_release
from ptoffact_build.release_folder import open_release
from ptoffact_build.schema import TABLES
from ptoffact_build.write.parquet import ParquetShards

REPO = "some-org/ptoffact-test"
USPTO_CLAIM = "built from the uspto's files"
HUB_KEYS = (
    "license",
    "pretty_name",
    "language",
    "annotations_creators",
    "source_datasets",
    "task_categories",
    "size_categories",
    "configs",
    "dataset_info",
)


def card_parts(release: Path) -> tuple[dict, str]:
    """The card's YAML (parsed) and its Markdown body."""
    _, front, body = (release / "README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def opening_of(body: str) -> str:
    """The card's title and opening paragraphs: everything before its first section."""
    return body.split("\n## ", 1)[0]


def package_of(release: Path) -> dict:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


def shards(release: Path, table: str) -> list[Path]:
    return sorted((release / "data" / table).glob("*.parquet"))


def measured_bytes(release: Path, table: str, cache: Path) -> tuple[int, int]:
    """num_bytes and num_examples as datasets records them when it loads the table."""
    builder = datasets.load_dataset_builder(str(release), table, cache_dir=str(cache))
    builder.download_and_prepare()
    split = builder.info.splits["train"]
    return split.num_bytes, split.num_examples


def split_sizes(release: Path) -> dict[str, dict]:
    meta, _ = card_parts(release)
    return {c["config_name"]: c for c in meta["dataset_info"]}


@pytest.fixture(scope="module")
def tiny_groups_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with row groups of a few KB: many shards and row groups, nulls in some."""
    return sample_release_in_shards(tmp_path_factory.mktemp("tiny") / "release", 60_000, 7_000)


@pytest.fixture(scope="module")
def local_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of files that are not the embedded sample's and were not fetched."""
    folder = tmp_path_factory.mktemp("local_sources")
    for table in TABLES:
        data = (sample_dir() / f"{table}.csv.zip").read_bytes()
        (folder / f"{table}_export.csv.zip").write_bytes(data)
    out = folder.parent / "local_release"
    build_release(resolve_sources([folder]), out)
    return out


def test_the_yaml_holds_every_hub_key_and_exact_splits(sample_release: Path) -> None:
    meta, _ = card_parts(sample_release)
    assert set(HUB_KEYS) <= set(meta)
    assert meta["annotations_creators"] == ["machine-generated"]
    assert meta["source_datasets"] == ["original"] and meta["language"] == ["en"]
    assert meta["task_categories"] and "sample" in meta["pretty_name"]
    for table, info in split_sizes(sample_release).items():
        files = shards(sample_release, table)
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        [split] = info["splits"]
        assert split["name"] == "train" and split["num_examples"] == rows > 0
        assert info["dataset_size"] == split["num_bytes"] > 0
        assert info["download_size"] == sum(f.stat().st_size for f in files)


@pytest.mark.parametrize("release_name", ["sample_release", "tiny_groups_release"])
def test_num_bytes_is_what_datasets_measures_on_loading(
    release_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    release = request.getfixturevalue(release_name)
    if release_name == "tiny_groups_release":
        assert len(shards(release, "citations")) > 1
        assert pq.ParquetFile(shards(release, "citations")[0]).num_row_groups > 1
    for table, info in split_sizes(release).items():
        [split] = info["splits"]
        assert measured_bytes(release, table, tmp_path) == (
            split["num_bytes"],
            split["num_examples"],
        )


def test_num_bytes_follows_the_readers_validity_bitmaps(tmp_path: Path) -> None:
    """Types and nulls the schemas do not have yet: nullable integers and floats (which the
    reader gives a validity bitmap even without nulls), nulls in some row groups only."""
    schema = pa.schema(
        [
            pa.field("text", pa.string()),
            pa.field("flag", pa.bool_()),
            pa.field("day", pa.date32()),
            pa.field("small", pa.int8()),
            pa.field("big", pa.int64()),
            pa.field("mid", pa.int32()),
            pa.field("real", pa.float64()),
            pa.field("kept", pa.string(), nullable=False),
        ]
    )
    writer = ParquetShards(tmp_path / "data" / "t", schema, shard_bytes=9_000, row_group_bytes=900)
    start = 0
    for rows in (37, 200, 1, 555, 13):
        ids = list(range(start, start + rows))
        null = [i < 150 and i % 4 == 0 for i in ids]
        columns = {
            "text": ["" if i % 3 else "é€" * (i % 5) for i in ids],
            "flag": [i % 2 == 0 for i in ids],
            "day": [dt.date(2001, 1, 1) + dt.timedelta(days=i) for i in ids],
            "small": [i % 100 for i in ids],
            "big": ids,
            "mid": ids,
            "real": [i / 3 for i in ids],
        }
        arrays = [
            pa.array([None if n else v for v, n in zip(columns[f.name], null, strict=True)], f.type)
            for f in schema
            if f.name != "kept"
        ]
        arrays.append(pa.array([f"k{i}" for i in ids]))
        writer.write(pa.RecordBatch.from_arrays(arrays, schema=schema))
        start += rows
    paths = [s.path for s in writer.close()]
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n- config_name: t\n  data_files:\n  - split: train\n"
        "    path: data/t/*.parquet\n---\n"
    )
    footer = footer_of(paths, schema.names)
    assert len(footer.group_rows) > 5
    nulls = {name: c.nulls_per_group for name, c in footer.columns.items()}
    read = pq.read_table(paths)
    text = {n: pc.sum(pc.binary_length(read[n])).as_py() or 0 for n in ("text", "kept")}
    expected = loaded_bytes(schema, footer.group_rows, nulls, text)
    assert measured_bytes(tmp_path, "t", tmp_path / "cache") == (expected, start)


def test_the_opening_states_this_builds_measured_counts(sample_release: Path) -> None:
    actions = pq.read_table(sample_release / "data" / "office_actions")
    rows = {t: pq.read_table(sample_release / "data" / t).num_rows for t in TABLES}
    applications = len(pc.unique(actions.column("app_id")))
    first, last = pc.min_max(actions.column("mail_dt")).values()
    expected = (
        f"It holds {rows['office_actions']:,} Office actions for {applications:,} distinct "
        f"applications, mailed {first.as_py()} to {last.as_py()}, with "
        f"{rows['rejections']:,} rejections and {rows['citations']:,} citations."
    )
    _, body = card_parts(sample_release)
    assert expected in opening_of(body)
    assert expected in package_of(sample_release)["description"]
    assert "4.4 million" in opening_of(body).split(expected)[1]  # only after, as context


def test_a_sample_build_says_so_and_claims_no_uspto_origin(sample_release: Path) -> None:
    meta, body = card_parts(sample_release)
    package = package_of(sample_release)
    title = opening_of(body).splitlines()[1]
    assert title.startswith("# ") and "synthetic sample" in title
    assert "sample" in meta["pretty_name"] and "sample" in package["title"]
    assert "synthetic sample" in opening_of(body).split("\n", 3)[3]
    assert "synthetic sample" in package["description"]
    assert package["ptoffact"]["origin"] == "sample"
    for text in (body, json.dumps(package)):
        assert USPTO_CLAIM not in text.lower()


def test_a_build_of_other_local_files_names_them_without_claiming_them(
    local_release: Path,
) -> None:
    meta, body = card_parts(local_release)
    package = package_of(local_release)
    assert "local files" in meta["pretty_name"] and "local files" in package["title"]
    assert "rejections_export.csv.zip" in opening_of(body)
    assert "sample" not in meta["pretty_name"] and "sample" not in opening_of(body)
    assert package["ptoffact"]["origin"] == "local"
    for text in (body, json.dumps(package)):
        assert USPTO_CLAIM not in text.lower()


def test_a_build_of_the_portals_files_says_it_is_built_from_them(tmp_path: Path) -> None:
    key = "test-key-0123456789abcdef"
    with FakePortal(key) as portal:
        for table in TABLES:
            portal.add_file(f"{table}.csv.zip", (sample_dir() / f"{table}.csv.zip").read_bytes())
        env = {
            **os.environ,
            "PTOFFACT_API_URL": portal.api_url,
            "USPTO_API_KEY": key,
            "PTOFFACT_CACHE": str(tmp_path / "cache"),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        out = tmp_path / "release"
        command = [sys.executable, "-m", "ptoffact_build.cli", "build", "--source", "odp"]
        done = subprocess.run(
            [*command, "--out", str(out), "--quiet"], env=env, capture_output=True, timeout=300
        )
    assert done.returncode == 0, done.stderr
    meta, body = card_parts(out)
    package = package_of(out)
    assert USPTO_CLAIM in opening_of(body).lower()
    assert USPTO_CLAIM in package["description"].lower()
    assert "sample" not in meta["pretty_name"] and "local" not in meta["pretty_name"]
    assert package["ptoffact"]["origin"] == "portal"


def test_no_absolute_path_in_a_card_built_without_a_repo(sample_release: Path) -> None:
    text = (sample_release / "README.md").read_text(encoding="utf-8")
    assert str(sample_release.parent) not in text
    assert not re.search(r"['\"(]/(tmp|home|root|work)\b", text)
    assert 'load_dataset(os.getcwd(), "rejections"' in text
    assert "FROM 'data/rejections/*.parquet'" in text
    assert "hf://" not in text


def test_build_with_a_repo_writes_the_hubs_examples(tmp_path: Path) -> None:
    out = tmp_path / "release"
    code = main(["build", "--source", "sample", "--out", str(out), "--repo", REPO, "--quiet"])
    assert code == 0
    text = (out / "README.md").read_text(encoding="utf-8")
    assert f'load_dataset("{REPO}", "rejections", split="train")' in text
    assert f"FROM 'hf://datasets/{REPO}/data/rejections/*.parquet'" in text
    assert f'pl.scan_parquet("hf://datasets/{REPO}/data/office_actions/*.parquet")' in text
    assert str(tmp_path) not in text and "load_dataset(os.getcwd()" not in text
    with open_release(out) as folder:
        assert hub_files(folder, REPO)["README.md"] == text.encode()  # uploaded as it is


def test_build_refuses_a_malformed_repo_before_reading(tmp_path: Path, capsys) -> None:
    out = tmp_path / "release"
    assert main(["build", "--out", str(out), "--repo", "not a repo", "--quiet"]) == 2
    assert "--repo 'not a repo'" in capsys.readouterr().err
    assert not out.exists()


def test_the_hub_card_names_the_repo_and_keeps_the_rest(sample_release: Path) -> None:
    local = (sample_release / "README.md").read_text(encoding="utf-8")
    with open_release(sample_release) as folder:
        hub = hub_files(folder, REPO)["README.md"].decode()
    assert f'load_dataset("{REPO}", "rejections"' in hub
    assert f"hf://datasets/{REPO}/data/" in hub and "load_dataset(os.getcwd()" not in hub
    assert str(sample_release.parent) not in hub
    assert hub.split("<!-- ptoffact:loading begin")[0] == local.split("<!-- ptoffact:loading")[0]
    assert hub.split("<!-- ptoffact:loading end -->")[1] == local.split("loading end -->")[1]
    assert (sample_release / "README.md").read_text(encoding="utf-8") == local


def test_a_card_without_the_marked_section_is_not_published(sample_release, tmp_path) -> None:
    release = tmp_path / "release"
    release.mkdir()
    (release / "README.md").write_text("---\nlicense: cc0-1.0\n---\n# an older card\n")
    assert card_for_repo((release / "README.md").read_text(), REPO) is None
    with open_release(release) as folder, pytest.raises(ReleaseMismatch, match="no marked"):
        hub_files(folder, REPO)


def test_sha256sums_lists_the_uploaded_card(sample_release: Path, tmp_path: Path) -> None:
    """`sha256sum -c` accepts the uploaded card with the uploaded SHA256SUMS."""
    with open_release(sample_release) as folder:
        card = hub_files(folder, REPO)["README.md"]
    local = hashlib.sha256((sample_release / "README.md").read_bytes()).hexdigest()
    other = hashlib.sha256(b"x").hexdigest()
    sums = f"{other}  datapackage.json\n{local}  README.md\n"
    rewritten = sums_for_card(sums, card)
    assert rewritten.splitlines()[0] == f"{other}  datapackage.json"
    (tmp_path / "README.md").write_bytes(card)
    (tmp_path / "SHA256SUMS").write_text(rewritten.splitlines()[1] + "\n")
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path, capture_output=True)
    assert check.returncode == 0, check.stdout


def test_the_card_has_links_limitations_and_a_dated_citation(sample_release: Path) -> None:
    _, body = card_parts(sample_release)
    for label in ("**Homepage:**", "**Repository:**", "**Point of contact:**"):
        assert label in opening_of(body)
    assert "https://data.uspto.gov/" in opening_of(body) and PROJECT_URL in opening_of(body)
    limitations = body.split("## Limitations", 1)[1].split("\n## ", 1)[0]
    for flag in RELIABILITY_FLAGS:
        assert f"`{flag}`" in limitations
    cited = body.split("@misc{ptoffact_release,", 1)[1].split("\n}", 1)[0]
    assert f"url     = {{{PROJECT_URL}}}" in cited
    built = dt.datetime.fromtimestamp((sample_release / "README.md").stat().st_mtime, dt.UTC)
    assert f"year    = {{{built.year}}}" in cited
    version = json.loads((sample_release / "datapackage.json").read_text())["version"]
    assert f"version = {{{version}}}" in cited and f"(version `{version}`)" in body
