"""Hostile sources: zip bombs, endless records, huge fields, files that are not files."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from ptoffact_build.errors import SourceError
from ptoffact_build.pipeline import run_tables
from ptoffact_build.read import streams as inflate
from ptoffact_build.read.csv_reader import read_csv_file
from ptoffact_build.read.sources import SourceFile, resolve_sources
from ptoffact_build.read.streams import open_member

BLANK_LINES = 8 << 20  # 8 MiB of line ends deflate about 1000 fold


def header_of(path: Path) -> bytes:
    return path.read_bytes().split(b"\n", 1)[0] + b"\n"


def blank_line_zip(path: Path, header: bytes, blank_bytes: int = BLANK_LINES) -> Path:
    info = zipfile.ZipInfo(path.name.removesuffix(".zip"), (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compresslevel=9) as archive:
        archive.writestr(info, header + b"\n" * blank_bytes)
    return path


def test_zip_of_blank_lines_is_refused(tmp_path: Path, sample_csvs) -> None:
    path = blank_line_zip(tmp_path / "rejections.csv.zip", header_of(sample_csvs["rejections"]))
    assert path.stat().st_size * 100 < BLANK_LINES
    files = {**sample_csvs, "rejections": path}
    with pytest.raises(SourceError, match="inflates to more than 100 times") as caught:
        run_tables(resolve_sources(files.values()))
    assert str(caught.value).startswith(f"{path}: member rejections.csv")
    assert caught.value.exit_code == 3


def test_zip_that_understates_its_size_is_stopped_while_inflating(tmp_path: Path) -> None:
    """The declared size passes the first check; the bytes coming out stop it."""
    path = blank_line_zip(tmp_path / "citations.csv.zip", b"a,b\n")
    data = bytearray(path.read_bytes())
    central = data.rindex(b"PK\x01\x02")
    compressed = struct.unpack_from("<I", data, 18)[0]
    for at in (22, central + 24):  # the uncompressed size, in both headers
        struct.pack_into("<I", data, at, compressed)
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="inflates to more than 100 times"):
        list(read_csv_file(SourceFile("citations", path, "csv.zip")))


def test_gzip_of_blank_lines_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "citations.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n" + b"\n" * BLANK_LINES, 9))
    with pytest.raises(SourceError, match=r"citations\.csv\.gz inflates to more than 100 times"):
        list(read_csv_file(SourceFile("citations", path, "csv.gz")))


def test_inflating_holds_little_memory(tmp_path: Path, monkeypatch) -> None:
    """Reading a little of a zip bomb inflates a little of it, not the whole member."""
    monkeypatch.setattr(inflate, "MAX_INFLATION", 10**6, raising=False)
    path = blank_line_zip(tmp_path / "citations.csv.zip", b"a,b\n", 64 << 20)
    with zipfile.ZipFile(path) as archive, open_member(archive, archive.infolist()[0]) as member:
        tracemalloc.start()
        try:
            for _ in range(4):
                assert len(member.read(1 << 20)) == 1 << 20
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 << 20


def test_record_that_never_ends_names_its_row(tmp_path: Path) -> None:
    path = tmp_path / "citations.csv"
    with path.open("wb") as out:
        out.write(b'a,b\n1,2\n3,"never closed')
        for _ in range(66):
            out.write(b"x" * (1 << 20) + b"\n")
    with pytest.raises(SourceError) as caught:
        list(read_csv_file(SourceFile("citations", path, "csv")))
    assert str(caught.value).startswith(f"{path}: row 3: a record runs past 64 MiB")


def test_header_without_line_end_is_row_1(tmp_path: Path) -> None:
    path = tmp_path / "citations.csv"
    path.write_bytes(b"x" * (65 << 20))
    with pytest.raises(SourceError, match=r"citations\.csv: row 1: a record runs past 64 MiB"):
        list(read_csv_file(SourceFile("citations", path, "csv")))


def test_fields_of_16_mb_are_read(tmp_path: Path) -> None:
    big = "é\n" * (6 << 20)  # 18 MiB of UTF-8 with line breaks, in a quoted field
    path = tmp_path / "citations.csv"
    text = f'a,b,c\n1,2,3\n4,"{big}",6\n7,8,9\n10,"{big}",11,12\n13,14,15\n'
    path.write_text(text, encoding="utf-8")
    rows, bad = {}, {}
    for batch in read_csv_file(SourceFile("citations", path, "csv"), 4 << 20):
        for row, record in zip(batch.rows.tolist(), batch.columns.to_pylist(), strict=True):
            rows[row] = list(record.values())
        bad.update({b.row: b.cells for b in batch.bad_rows})
    assert sorted(rows) == [2, 3, 4, 6]
    assert rows[3] == ["4", big, "6"] and rows[6] == ["13", "14", "15"]
    assert bad == {5: ["10", big, "11", "12"]}


def test_fifo_is_refused_without_blocking(tmp_path: Path, sample_csvs) -> None:
    fifo = sample_csvs["rejections"].parent / "rejections.csv"
    fifo.unlink()
    os.mkfifo(fifo)
    run = ptoffact_validate(fifo.parent, *sample_csvs.values())
    assert run.returncode == 3, run.stderr
    assert f"{fifo}: not a regular file" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_is_refused(tmp_path: Path, sample_csvs) -> None:
    zero = tmp_path / "office_actions.csv"
    zero.symlink_to("/dev/zero")
    files = {**sample_csvs, "office_actions": zero}
    run = ptoffact_validate(tmp_path, *files.values())
    assert run.returncode == 3, run.stderr
    assert f"{zero}: not a regular file" in run.stderr


def ptoffact_validate(cwd: Path, *sources: Path) -> subprocess.CompletedProcess:
    """``ptoffact validate`` on the given files, in a process that must end within 60 s."""
    return subprocess.run(
        [sys.executable, "-m", "ptoffact_build.cli", "validate", "--quiet", "--source", *sources],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
