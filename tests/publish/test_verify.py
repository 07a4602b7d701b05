"""``ptoffact verify``: a release folder holds exactly its files, with their recorded sha256."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.cli import main
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.release import BuildOptions

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


def listed_files(release: Path) -> list[str]:
    return json.loads((release / "datapackage.json").read_text())["ptoffact"]["files"]


def problems(err: str, release: Path) -> list[str]:
    """The problems verify printed, without the release's path; the summary line last."""
    prefix = f"ptoffact: {release}: "
    return [line.removeprefix(prefix) for line in err.strip().splitlines()]


def resum(release: Path, name: str) -> None:
    """Record the current sha256 of ``name`` in SHA256SUMS, as if the release had it."""
    digest = hashlib.sha256((release / name).read_bytes()).hexdigest()
    sums = release / "SHA256SUMS"
    lines = [
        f"{digest}  {name}" if line.endswith(f"  {name}") else line
        for line in sums.read_text().splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n")


def test_an_intact_release_passes(release: Path, capsys) -> None:
    code, out, err = verify(release, capsys)
    files = listed_files(release)
    assert code == 0, err
    assert len(files) == 16
    assert out.strip() == (
        f"ok: the release's {len(files)} file(s) match their records, and it holds nothing else"
    )


def test_every_file_that_differs_is_named(release: Path, capsys) -> None:
    flip_a_byte(release / SHARD)
    (release / "csv" / "rejections.csv.gz").unlink()
    with open(release / "csv" / "office_actions.csv.gz", "ab") as stream:
        stream.write(b"x")
    code, out, err = verify(release, capsys)
    assert code == 1 and out == ""
    found = problems(err, release)
    assert found[-1] == f"3 problem(s) in a release of {len(listed_files(release))} file(s)"
    assert found[0].startswith("csv/office_actions.csv.gz: ") and "bytes, recorded" in found[0]
    assert found[1] == "csv/rejections.csv.gz: missing"
    assert f"{SHARD}: sha256" in found[2] and "differs from datapackage.json's" in found[2]


def test_sha256sums_covers_the_documents(release: Path, capsys) -> None:
    if shutil.which("sha256sum"):
        checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release)
        assert checked.returncode == 0
    readme = release / "README.md"
    readme.write_text(readme.read_text() + "\nedited\n")
    code, _, err = verify(release, capsys)
    assert code == 1
    found = problems(err, release)
    assert len(found) == 2 and found[0].startswith("README.md: sha256 ")
    assert found[0].endswith("differs from SHA256SUMS's")


def test_quarantine_files_are_checked(sample_csvs: dict[str, Path], tmp_path: Path, capsys) -> None:
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import build_release

    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"
    write_rows(sample_csvs["office_actions"], rows)
    out = tmp_path / "held"
    build_release(
        resolve_sources([str(sample_csvs["office_actions"].parent)]),
        out,
        BuildOptions(CheckOptions(policy="quarantine")),
    )
    held = [
        r["quarantined"]
        for r in json.loads((out / "datapackage.json").read_text())["resources"]
        if r["quarantined"].get("path")
    ]
    assert held and all(isinstance(h["bytes"], int) for h in held)
    assert verify(out, capsys)[0] == 0
    with open(out / held[0]["path"], "a", encoding="utf-8") as stream:
        stream.write("extra,row\n")
    code, _, err = verify(out, capsys)
    assert code == 1 and f"{held[0]['path']}: " in err and "bytes, recorded" in err


def add_stray(release: Path, stray: str) -> None:
    """Put something in the release that is not part of it."""
    if stray == "copied shard":
        shard = release / "data/office_actions/train-00000-of-00001.parquet"
        shutil.copy(shard, shard.with_name("train-00000-of-00001 (copy).parquet"))
    elif stray == "notes":
        (release / "notes.txt").write_text("my notes\n")
    elif stray == "link to a system file":
        (release / "csv" / "hosts.csv.gz").symlink_to("/etc/hosts")
    elif stray == "data is a link to a copy":
        copy = release.parent / "data-copy"
        (release / "data").rename(copy)
        (release / "data").symlink_to(copy)
    elif stray == "fifo":
        os.mkfifo(release / "images" / "pipe.png")
    elif stray == "empty folder":
        (release / "quarantine").mkdir()


STRAYS = {
    "copied shard": [
        "data/office_actions/train-00000-of-00001 (copy).parquet: a file not in the release"
    ],
    "notes": ["notes.txt: a file not in the release"],
    "link to a system file": ["csv/hosts.csv.gz: a symbolic link (to /etc/hosts)"],
    "data is a link to a copy": [
        "data: a symbolic link (to ",
        "data/citations/train-00000-of-00001.parquet: missing",
        "data/office_actions/train-00000-of-00001.parquet: missing",
        "data/rejections/train-00000-of-00001.parquet: missing",
    ],
    "fifo": ["images/pipe.png: a FIFO, not a regular file"],
    "empty folder": ["quarantine: a folder not in the release"],
}


@pytest.mark.parametrize("stray", sorted(STRAYS))
def test_anything_else_in_the_folder_is_named(release: Path, capsys, stray: str) -> None:
    add_stray(release, stray)
    code, out, err = verify(release, capsys)
    assert code == 1 and out == ""
    found = problems(err, release)
    expected = STRAYS[stray]
    assert len(found) == len(expected) + 1, found
    for line, start in zip(found, expected, strict=False):
        assert line.startswith(start), (line, start)


def test_what_the_hub_adds_to_a_download_is_recognised(release: Path, capsys) -> None:
    (release / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    metadata = release / ".cache" / "huggingface" / "download" / "data"
    metadata.mkdir(parents=True)
    (metadata / "x.parquet.metadata").write_text("abc\n")
    assert verify(release, capsys)[0] == 0
    (release / ".cache" / "other").write_text("not the Hub's\n")
    code, _, err = verify(release, capsys)
    assert code == 1 and problems(err, release)[0] == (
        ".cache/other: a file not in the release (datapackage.json does not list it)"
    )


def broken_packages() -> dict[str, object]:
    block = {"files": ["datapackage.json", "SHA256SUMS", "a.csv"]}
    resource = {"name": "rejections", "path": "a.csv", "bytes": 1, "hash": "sha256:" + "0" * 64}
    return {
        "no ptoffact block": {"resources": []},
        "no table": {"resources": [], "ptoffact": block},
        "an entry without a path": {
            "resources": [{k: v for k, v in resource.items() if k != "path"}],
            "ptoffact": block,
        },
        "bytes that are not a count": {
            "resources": [{**resource, "bytes": "abc"}],
            "ptoffact": block,
        },
        "a path outside": {
            "resources": [{**resource, "path": "../outside.csv"}],
            "ptoffact": block,
        },
        "no list of files": {"resources": [resource], "ptoffact": {"release_entries": []}},
    }


BROKEN = {
    "no ptoffact block": "not a ptoffact release (no ptoffact block)",
    "no table": "records no table",
    "an entry without a path": "a recorded path is not a file name: None",
    "bytes that are not a count": "'a.csv' records a size that is not a byte count: 'abc'",
    "a path outside": "recorded path '../outside.csv' leaves the release",
    "no list of files": "written by an earlier ptoffact",
    "deep nesting": "not a datapackage (nested too deeply)",
    "not UTF-8": "not a datapackage ('utf-8' codec can't decode",
    "a FIFO": "cannot be read (datapackage.json: a FIFO, not a regular file)",
    "too large": "cannot be read (datapackage.json: larger than 16,777,216 bytes",
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_folder_that_is_not_a_release_exits_2_in_one_line(tmp_path: Path, broken: str) -> None:
    package = tmp_path / "datapackage.json"
    if broken == "deep nesting":
        package.write_text("[" * 100_000 + "]" * 100_000)
    elif broken == "not UTF-8":
        package.write_bytes(b'{"name": "\xff"}')
    elif broken == "a FIFO":
        os.mkfifo(package)
    elif broken == "too large":
        package.write_text(" " * (17 << 20) + "{}")
    else:
        package.write_text(json.dumps(broken_packages()[broken]))
    (tmp_path / "README.md").write_text("# a folder with a card\n")
    for command in (["verify"], ["load"], ["publish", "--repo", "a/b", "--dry-run"]):
        done = subprocess.run(
            [sys.executable, "-m", "ptoffact_build.cli", *command, str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, (command, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and BROKEN[broken] in lines[0], (command, lines)


def test_a_folder_without_a_datapackage_exits_2(tmp_path: Path, capsys) -> None:
    code, _, err = verify(tmp_path, capsys)
    assert code == 2 and "not a release folder (no datapackage.json)" in err
    code, _, err = verify(tmp_path / "missing", capsys)
    assert code == 2 and "no such folder" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"not a checksum line\n", "SHA256SUMS: line 1: not '<sha256>  <file>'"),
        (b"\xff\xfe\n", "SHA256SUMS: line 1: not UTF-8 text"),
        (b"0" * 64 + b"  ../outside.txt\n", "line 1 names '../outside.txt', not a file of"),
        (b"x" * 20_000 + b"\n", "SHA256SUMS: line 1: longer than any line ptoffact writes"),
    ],
)
def test_a_malformed_sums_file_is_a_problem_naming_the_line(
    release: Path, capsys, content: bytes, expected: str
) -> None:
    sums = release / "SHA256SUMS"
    sums.write_bytes(content + sums.read_bytes())
    code, _, err = verify(release, capsys)
    found = problems(err, release)
    assert code == 1 and expected in found[0] and len(found) == 2


def test_a_huge_sums_file_is_read_line_by_line(release: Path, capsys) -> None:
    sums = release / "SHA256SUMS"
    line = b"0" * 64 + b"  notes/a-file-the-release-does-not-hold.txt\n"
    with open(sums, "ab") as stream:
        for _ in range(10):
            stream.write(line * 20_000)
    code, _, err = verify(release, capsys)
    found = problems(err, release)
    assert code == 1
    assert found[20] == "SHA256SUMS: 199,980 more such lines"
    assert len(found) == 22  # 20 shown, the count of the rest, the summary


def test_a_fifo_in_place_of_sha256sums_does_not_hang(release: Path, capsys) -> None:
    (release / "SHA256SUMS").unlink()
    os.mkfifo(release / "SHA256SUMS")
    code, _, err = verify(release, capsys)
    found = problems(err, release)
    assert code == 1 and found[0] == "SHA256SUMS: a FIFO, not a regular file"


def test_a_verify_during_swaps_sees_one_release_or_the_other(
    sample_release: Path, tmp_path: Path
) -> None:
    """While releases are swapped in at its path again and again, every verify passes (on the
    old or the new release) or says a build is replacing it: never a false mismatch."""
    from ptoffact_build.publish.verify import ReleaseBusy, verify_release
    from ptoffact_build.write.scratch import swap_into_place

    out = tmp_path / "out"
    shutil.copytree(sample_release, out)
    other = tmp_path / "other"
    shutil.copytree(sample_release, other)
    (other / "README.md").write_text("# another card\n")
    resum(other, "README.md")
    stop = threading.Event()

    def swap_forever() -> None:
        for turn in range(10_000):
            if stop.is_set():
                return
            work = tmp_path / f".out.building-{os.getpid()}-{turn}"
            shutil.copytree(other if turn % 2 else sample_release, work)
            (work / ".ptoffact-scratch").write_text("{}")
            swap_into_place(work, out)

    swapper = threading.Thread(target=swap_forever)
    swapper.start()
    outcomes = []
    try:
        for _ in range(40):
            try:
                outcomes.append(verify_release(out).problems)
            except ReleaseBusy:
                outcomes.append(["busy"])
    finally:
        stop.set()
        swapper.join()
    assert all(found in ([], ["busy"]) for found in outcomes), outcomes
    assert outcomes.count([]) >= 10
