"""The files of a release: SHA256SUMS, the Parquet metadata, the version, modes, no scratch."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import sample_rows, write_rows
from ptoffact_build import __version__
from ptoffact_build.cli import main
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.write.scratch import is_release
from ptoffact_build.write.sink import ShardOptions


def every_file(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def build_id_of(release: Path) -> str:
    return json.loads((release / "datapackage.json").read_text())["ptoffact"]["build_id"]


def version_of(release: Path) -> str:
    return json.loads((release / "datapackage.json").read_text())["version"]


def test_sha256sums_lists_every_other_file_sorted(sample_release: Path, capsys) -> None:
    lines = (sample_release / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(names)
    assert names == [n for n in every_file(sample_release) if n != "SHA256SUMS"]
    assert "datapackage.json" in names and "README.md" in names
    assert all(not Path(n).is_absolute() and ".." not in Path(n).parts for n in names)
    if shutil.which("sha256sum"):
        checked = subprocess.run(
            ["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=sample_release, capture_output=True
        )
        assert checked.returncode == 0, checked.stdout
    assert main(["verify", str(sample_release)]) == 0
    assert f"ok: the release's {len(names) + 1} file(s) match" in capsys.readouterr().out


def test_the_datapackage_lists_every_file_of_the_release(sample_release: Path) -> None:
    """SHA256SUMS is written after the datapackage, yet listed, so a rebuild may replace it."""
    files = json.loads((sample_release / "datapackage.json").read_text())["ptoffact"]["files"]
    assert files == every_file(sample_release)
    assert "SHA256SUMS" in files and "datapackage.json" in files
    assert is_release(sample_release)


def test_parquet_files_name_only_the_writer_and_configs_their_data(sample_release: Path) -> None:
    build = build_id_of(sample_release)
    assert len(build) == 16 and int(build, 16) >= 0
    shards = sorted((sample_release / "data").rglob("*.parquet"))
    assert len(shards) == 3
    for shard in shards:
        meta = pq.ParquetFile(shard).metadata.metadata
        assert meta[b"ptoffact_version"] == __version__.encode()
        assert not any(b"build" in key for key in meta)
    card = (sample_release / "README.md").read_text(encoding="utf-8")
    assert card.count("description: ptoffact Parquet data ") == 3
    assert build not in card


def test_the_build_id_follows_the_content_not_the_time(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    for table in ("office_actions", "rejections", "citations"):
        write_rows(sources / f"{table}.csv", sample_rows(table))
    options = ShardOptions(row_group_bytes=64 << 10)
    for name in ("a", "b"):
        build_release(
            resolve_sources([str(sources)]), tmp_path / name, BuildOptions(shards=options)
        )
    a, b = tmp_path / "a", tmp_path / "b"
    assert build_id_of(a) == build_id_of(b) and version_of(a) == version_of(b)
    assert every_file(a) == every_file(b)
    for name in every_file(a):  # the same rows give the same release, reports included
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    rows = sample_rows("rejections")
    rows[5][rows[0].index("mayo_in")] = "1"
    write_rows(sources / "rejections.csv", rows)
    c = tmp_path / "c"
    build_release(resolve_sources([str(sources)]), c, BuildOptions(shards=options))
    assert build_id_of(c) != build_id_of(a)
    assert version_of(c) != version_of(a) and version_of(c).startswith(f"{__version__}+")
    unchanged = [n for n in every_file(a) if (a / n).read_bytes() == (c / n).read_bytes()]
    tables = {n.split("/")[1] for n in unchanged if n.startswith(("data/", "csv/"))}
    assert tables == {"office_actions.csv.gz", "office_actions", "citations.csv.gz", "citations"}
    build_release(
        resolve_sources([str(sources)]), tmp_path / "d", BuildOptions(shards=ShardOptions())
    )
    assert build_id_of(tmp_path / "d") != build_id_of(tmp_path / "c")  # the options count


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize(
    ("umask", "folder", "file"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)]
)
def test_the_release_follows_the_umask_and_holds_no_scratch(
    tmp_path: Path, sample_csvs: dict[str, Path], umask: int, folder: int, file: int
) -> None:
    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"  # quarantined: the quarantine folder is checked too
    write_rows(sample_csvs["office_actions"], rows)
    out = tmp_path / "out" / "release"
    previous = os.umask(umask)
    try:
        build_release(
            resolve_sources([str(sample_csvs["office_actions"].parent)]),
            out,
            BuildOptions(
                CheckOptions(policy="quarantine"),
                shards=ShardOptions(shard_bytes=64 << 10, row_group_bytes=16 << 10),
            ),
        )
    finally:
        os.umask(previous)
    entries = [out, *out.rglob("*")]
    assert any(p.parent.name == "quarantine" for p in entries)
    assert len(list((out / "data" / "citations").glob("*.parquet"))) > 1
    for path in entries:
        assert not path.name.startswith("."), path
        expected = folder if path.is_dir() else file
        assert stat.S_IMODE(path.stat().st_mode) == expected, (path, oct(path.stat().st_mode))
    assert [p.name for p in out.parent.iterdir()] == ["release"]  # no scratch beside it
