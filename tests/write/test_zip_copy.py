"""The gzip CSV copy made from a source zip's deflate stream, and when it falls back."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import SourceFile, resolve_sources
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.schema import TABLES
from ptoffact_build.write.zip_copy import GZIP_HEADER, ZipMember, copy_member, copyable_member

LABELS = ["app_id", "ifw_number", "flag"]
TEXT = b'app_id,ifw_number,flag\n12345678,ABC,1\n12345679,"D,E",0\n'


def zipped(path: Path, text: bytes, method: int = zipfile.ZIP_DEFLATED, names=("t.csv",)) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name in names:
            archive.writestr(name, text)
    return path


def member_of(path: Path) -> ZipMember:
    member = copyable_member([SourceFile("t", path, "csv.zip")])
    assert member is not None
    return member


def test_the_copy_is_the_member_behind_a_fixed_gzip_header(tmp_path: Path) -> None:
    member = member_of(zipped(tmp_path / "t.csv.zip", TEXT))
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    assert copy_member(member, first, LABELS) == 2
    assert copy_member(member, second, LABELS) == 2
    data = first.read_bytes()
    assert data == second.read_bytes()
    assert data.startswith(GZIP_HEADER)
    assert gzip.decompress(data) == TEXT
    with gzip.open(first) as stream:  # a reader checks the trailer's CRC-32 and size
        assert stream.read() == TEXT
    assert len(data) == len(GZIP_HEADER) + member.info.compress_size + 8


@pytest.mark.parametrize(
    "text",
    [
        TEXT.replace(b"\n", b"\r\n"),  # CRLF: the datapackage declares LF
        b"\xef\xbb\xbf" + TEXT,  # a BOM
        TEXT.replace(b"app_id,ifw_number", b"ifw_number,app_id", 1),  # labels moved
        TEXT.replace(b"app_id", b'"app_id"', 1),  # a quoted label
        TEXT.replace(b"flag", b"flag ", 1),  # a label with a space
        TEXT[:-1],  # no line end after the last row
    ],
)
def test_text_not_in_the_declared_dialect_falls_back(tmp_path: Path, text: bytes) -> None:
    member = member_of(zipped(tmp_path / "t.csv.zip", text))
    target = tmp_path / "t.csv.gz"
    assert copy_member(member, target, LABELS) is None
    assert not target.exists()


def test_a_damaged_member_falls_back(tmp_path: Path) -> None:
    member = member_of(zipped(tmp_path / "t.csv.zip", TEXT))
    member.info.CRC ^= 1  # the archive's record no longer matches its bytes
    target = tmp_path / "t.csv.gz"
    assert copy_member(member, target, LABELS) is None
    assert not target.exists()


def test_only_one_deflated_member_of_one_zip_is_copyable(tmp_path: Path) -> None:
    stored = zipped(tmp_path / "s.csv.zip", TEXT, zipfile.ZIP_STORED)
    two = zipped(tmp_path / "two.csv.zip", TEXT, names=("a.csv", "b.csv"))
    deflated = zipped(tmp_path / "d.csv.zip", TEXT)
    plain = tmp_path / "t.csv"
    plain.write_bytes(TEXT)
    assert copyable_member([SourceFile("t", stored, "csv.zip")]) is None
    assert copyable_member([SourceFile("t", two, "csv.zip")]) is None
    assert copyable_member([SourceFile("t", plain, "csv")]) is None
    both = [SourceFile("t", deflated, "csv.zip"), SourceFile("t", deflated, "csv.zip")]
    assert copyable_member(both) is None
    assert copyable_member([SourceFile("t", deflated, "csv.zip")]) is not None


def zip_tables(folder: Path, rows: dict[str, list[list[str]]]) -> Path:
    """The tables as distribution zips (one deflated CSV each) in ``folder``."""
    folder.mkdir()
    for table, records in rows.items():
        text = write_rows(folder / f"{table}.csv", records)
        with zipfile.ZipFile(folder / f"{table}.csv.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(text, f"{table}.csv")
        text.unlink()
    return folder


def test_a_build_copies_each_source_member_as_its_gzip_csv(tmp_path: Path) -> None:
    source = zip_tables(tmp_path / "src", {t: sample_rows(t) for t in TABLES})
    out = tmp_path / "release"
    build_release(resolve_sources([source]), out)
    for table in TABLES:
        with zipfile.ZipFile(source / f"{table}.csv.zip") as archive:
            text = archive.read(f"{table}.csv")
        assert gzip.decompress((out / "csv" / f"{table}.csv.gz").read_bytes()) == text


def test_a_quarantined_row_makes_the_copy_fall_back_to_the_valid_rows(tmp_path: Path) -> None:
    rows = {t: sample_rows(t) for t in TABLES}
    bad = list(rows["office_actions"][5])
    bad[3] = "not a date"  # mail_dt
    rows["office_actions"][5] = bad
    source = zip_tables(tmp_path / "src", rows)
    out = tmp_path / "release"
    build_release(resolve_sources([source]), out, BuildOptions(CheckOptions(policy="quarantine")))
    text = gzip.decompress((out / "csv" / "office_actions.csv.gz").read_bytes()).decode()
    lines = text.splitlines()
    assert len(lines) == len(rows["office_actions"]) - 1  # the header, less the bad row
    assert not any("not a date" in line for line in lines)
    assert lines[1:] == sorted(lines[1:])  # the rows written, in key order
