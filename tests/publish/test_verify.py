"""``ptoffact verify``: a release's files against the sizes and sha256 it records."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.cli import main

SHARD = "data/citations/train-00000-of-00001.parquet"


@pytest.fixture
def release(sample_release: Path, tmp_path: Path) -> Path:
    """A copy of the sample release, free to tamper with."""
    copy = tmp_path / "release"
    shutil.copytree(sample_release, copy)
    return copy


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def verify(release: Path, capsys) -> tuple[int, str, str]:
    code = main(["verify", str(release)])
    out = capsys.readouterr()
    return code, out.out, out.err


def recorded_count(release: Path) -> int:
    """How many distinct files the release records, counted from its own records."""
    names = set()
    for resource in json.loads((release / "datapackage.json").read_text())["resources"]:
        names.add(resource["path"])
        names.update(shard["path"] for shard in resource["parquet"])
        if resource["quarantined"].get("path"):
            names.add(resource["quarantined"]["path"])
    sums = release / "SHA256SUMS"
    if sums.is_file():
        names.update(line.split(maxsplit=1)[1] for line in sums.read_text().splitlines())
    return len(names)


def test_an_intact_release_passes(release: Path, capsys) -> None:
    code, out, _ = verify(release, capsys)
    assert code == 0
    assert recorded_count(release) >= 6
    assert out.strip() == f"ok: {recorded_count(release)} file(s) match their recorded sha256"


def test_every_file_that_differs_is_named(release: Path, capsys) -> None:
    flip_a_byte(release / SHARD)
    (release / "csv" / "rejections.csv.gz").unlink()
    with open(release / "csv" / "office_actions.csv.gz", "ab") as stream:
        stream.write(b"x")
    code, out, err = verify(release, capsys)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1] == f"3 of {recorded_count(release)} file(s) differ"
    assert any(SHARD in line and "sha256" in line for line in lines)
    assert any("csv/rejections.csv.gz: missing" in line for line in lines)
    assert any("csv/office_actions.csv.gz" in line and "bytes" in line for line in lines)
    assert not any("data/rejections" in line or "data/office_actions" in line for line in lines)


def write_sums(release: Path) -> Path:
    """SHA256SUMS for every non-hidden file, written by the system's sha256sum."""
    names = sorted(
        p.relative_to(release).as_posix()
        for p in release.rglob("*")
        if p.is_file()
        and p.name != "SHA256SUMS"
        and not any(part.startswith(".") for part in p.relative_to(release).parts)
    )
    sums = subprocess.run(
        ["sha256sum", *names], cwd=release, capture_output=True, text=True, check=True
    ).stdout
    (release / "SHA256SUMS").write_text(sums)
    return release / "SHA256SUMS"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs coreutils sha256sum")
def test_sha256sums_covers_the_files_the_datapackage_does_not(release: Path, capsys) -> None:
    write_sums(release)
    code, out, _ = verify(release, capsys)
    total = recorded_count(release)
    assert total == len((release / "SHA256SUMS").read_text().splitlines()) > 6
    assert code == 0 and f"ok: {total} file(s)" in out
    readme = release / "README.md"
    readme.write_text(readme.read_text() + "\nedited\n")
    code, _, err = verify(release, capsys)
    assert code == 1
    assert "README.md: sha256" in err and f"1 of {total} file(s) differ" in err
    checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release)
    assert checked.returncode == 1


def test_quarantine_files_are_checked(sample_csvs: dict[str, Path], tmp_path: Path, capsys) -> None:
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import build_release

    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"
    write_rows(sample_csvs["office_actions"], rows)
    out = tmp_path / "held"
    build_release(
        resolve_sources([str(sample_csvs["office_actions"].parent)]), out, policy="quarantine"
    )
    held = [
        r["quarantined"]["path"]
        for r in json.loads((out / "datapackage.json").read_text())["resources"]
        if r["quarantined"].get("path")
    ]
    assert held
    assert verify(out, capsys)[0] == 0
    with open(out / held[0], "a", encoding="utf-8") as stream:
        stream.write("extra,row\n")
    code, _, err = verify(out, capsys)
    assert code == 1 and held[0] in err


def test_a_folder_that_is_not_a_release_exits_2(tmp_path: Path, capsys) -> None:
    code, _, err = verify(tmp_path, capsys)
    assert code == 2 and "not a release folder (no datapackage.json)" in err
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [{"path": "a.csv"}]}))
    code, _, err = verify(tmp_path, capsys)
    assert code == 2 and "'a.csv' has no sha256 hash" in err


def test_a_malformed_sums_file_exits_2_naming_the_line(release: Path, capsys) -> None:
    (release / "SHA256SUMS").write_text("not a checksum line\n")
    code, _, err = verify(release, capsys)
    assert code == 2 and "SHA256SUMS, line 1" in err


def test_a_recorded_path_outside_the_release_is_refused(release: Path, capsys) -> None:
    (release / "SHA256SUMS").write_text(f"{'0' * 64}  ../outside.txt\n")
    code, _, err = verify(release, capsys)
    assert code == 2 and "leaves the release" in err
