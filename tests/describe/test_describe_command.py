"""``ptoffact describe``: a release's documents written again from its shards, byte for byte
what ``build`` writes for the same rows; a release whose rows changed gets a card of its new
rows (the numbers themselves are checked in test_card_duckdb.py) and still verifies; it
touches only the release's documents and refuses what it cannot describe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import change_office_actions
from ptoffact_build.cli import main
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release

REPO = "some-org/ptoffact-described"
DOCUMENTS = {
    "README.md",
    "validation_report.json",
    "datapackage.json",
    "croissant.json",
    "SHA256SUMS",
}


def files_of(release: Path) -> dict[str, bytes]:
    return {
        p.relative_to(release).as_posix(): p.read_bytes()
        for p in sorted(release.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def copy(sample_release: Path, tmp_path: Path) -> Path:
    shutil.copytree(sample_release, tmp_path / "release")
    return tmp_path / "release"


def test_describe_reproduces_every_file_of_a_build(sample_release: Path, copy: Path) -> None:
    for path in copy.rglob("*.png"):
        path.write_bytes(b"stale")  # as if drawn by another version
    (copy / "README.md").write_text("an older card\n")
    assert main(["describe", str(copy)]) == 0
    assert files_of(copy) == files_of(sample_release)


def test_describe_for_a_repository_writes_what_build_writes_for_it(
    copy: Path, tmp_path: Path
) -> None:
    built = tmp_path / "built-for-repo"
    build_release(resolve_sources(["sample"]), built, BuildOptions(repo=REPO))
    assert main(["describe", str(copy), "--repo", REPO]) == 0
    assert files_of(copy) == files_of(built)
    assert f'load_dataset("{REPO}"' in (copy / "README.md").read_text()


def test_changed_rows_get_their_own_card_and_the_release_still_verifies(
    sample_release: Path, copy: Path
) -> None:
    change_office_actions(copy, dropped=10)
    before = files_of(copy)
    assert main(["describe", str(copy)]) == 0
    assert main(["verify", str(copy)]) == 0  # every file recorded, none else, all intact
    after = files_of(copy)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed - DOCUMENTS <= {n for n in after if n.startswith("images/")}
    card = (copy / "README.md").read_text()
    rows = pq.ParquetFile(next((copy / "data" / "office_actions").glob("*.parquet")))
    assert rows.metadata.num_rows == 990
    assert "| `office_actions` | 990 | 0 |" in card
    assert "| `office_actions` | 1,000 | 0 |" in (sample_release / "README.md").read_text()


def test_a_folder_that_is_not_a_release_is_refused(tmp_path: Path, capsys) -> None:
    (tmp_path / "README.md").write_text("hello\n")
    assert main(["describe", str(tmp_path)]) == 2
    assert "not a release folder (no datapackage.json)" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_shards_out_of_key_order_are_refused_untouched(copy: Path, capsys) -> None:
    (shard,) = (copy / "data" / "citations").glob("*.parquet")
    table = pq.read_table(shard)
    pq.write_table(table.take(list(range(table.num_rows))[::-1]), shard)
    before = files_of(copy)
    assert main(["describe", str(copy)]) == 3
    assert "rows are not in ascending app_id order" in capsys.readouterr().err
    assert files_of(copy) == before
