"""Zip members we cannot read (encrypted, Deflate64, other methods) are one-line source errors."""

from __future__ import annotations

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import sample_rows
from ptoffact_build.errors import SourceError
from ptoffact_build.pipeline import CheckOptions, run_tables
from ptoffact_build.read.sources import SourceFile, resolve_sources
from ptoffact_build.read.stata_reader import read_stata_file

CENTRAL_SIGNATURE = b"PK\x01\x02"


def patch_member(path: Path, method: int | None = None, flag_bits: int = 0) -> None:
    """Rewrite the method and/or set flag bits of a one-member zip, in both its headers.

    Python cannot write Deflate64 or encrypted members, so a normal zip is patched: the local
    header keeps flags at offset 6 and the method at 8; the central one at 8 and 10.
    """
    data = bytearray(path.read_bytes())
    central = data.rindex(CENTRAL_SIGNATURE)
    for flags_at, method_at in ((6, 8), (central + 8, central + 10)):
        (flags,) = struct.unpack_from("<H", data, flags_at)
        struct.pack_into("<H", data, flags_at, flags | flag_bits)
        if method is not None:
            struct.pack_into("<H", data, method_at, method)
    path.write_bytes(bytes(data))


def zipped(path: Path, member: str, payload: bytes, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr(member, payload)
    return path


def csv_zip_sources(tmp_path: Path, sample_csvs: dict[str, Path]) -> tuple[Path, dict]:
    path = zipped(
        tmp_path / "rejections.csv.zip", "rejections.csv", sample_csvs["rejections"].read_bytes()
    )
    return path, {**sample_csvs, "rejections": path}


@pytest.mark.parametrize(
    "method, name",
    [(9, "Deflate64"), (6, "Implode"), (93, "Zstandard"), (98, "PPMd"), (77, "method 77")],
)
def test_unsupported_method_is_a_one_line_source_error(
    tmp_path: Path, sample_csvs, method: int, name: str
) -> None:
    path, files = csv_zip_sources(tmp_path, sample_csvs)
    patch_member(path, method=method)
    with pytest.raises(SourceError) as caught:
        run_tables(resolve_sources(files.values()))
    message = str(caught.value)
    assert message.startswith(f"{path}: member rejections.csv uses {name} compression")
    assert "re-zip it with Deflate" in message and "\n" not in message
    assert caught.value.exit_code == 3


def test_encrypted_member_is_a_one_line_source_error(tmp_path: Path, sample_csvs) -> None:
    path, files = csv_zip_sources(tmp_path, sample_csvs)
    patch_member(path, flag_bits=1)
    with pytest.raises(SourceError, match=r"member rejections\.csv is encrypted") as caught:
        run_tables(resolve_sources(files.values()))
    assert "password" in str(caught.value) and caught.value.exit_code == 3


def test_cli_exits_3_without_a_traceback(tmp_path: Path, sample_csvs) -> None:
    path, files = csv_zip_sources(tmp_path, sample_csvs)
    patch_member(path, method=9)
    folder = path.parent
    for table in ("office_actions", "citations"):
        files[table].rename(folder / files[table].name)
    run = subprocess.run(
        [sys.executable, "-m", "ptoffact_build.cli", "validate", "--quiet", "--source", folder],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    assert "uses Deflate64 compression" in run.stderr


@pytest.mark.parametrize("change", [{"method": 9}, {"flag_bits": 1}])
def test_stata_zip_member_we_cannot_read(tmp_path: Path, change: dict) -> None:
    path = zipped(tmp_path / "rejections.dta.zip", "rejections.dta", b"\x00" * 5000)
    patch_member(path, **change)
    with pytest.raises(SourceError, match=r"rejections\.dta\.zip: member rejections\.dta") as got:
        list(read_stata_file(SourceFile("rejections", path, "dta.zip")))
    assert "Deflate64" in str(got.value) or "encrypted" in str(got.value)


@pytest.mark.parametrize("method", [zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_bzip2_and_lzma_members_are_read(tmp_path: Path, sample_csvs, method: int) -> None:
    """Decided: bzip2 and LZMA members are read (through zipfile), with the same results."""
    path = zipped(
        tmp_path / "rejections.csv.zip",
        "rejections.csv",
        sample_csvs["rejections"].read_bytes(),
        method,
    )
    files = {**sample_csvs, "rejections": path}
    result = run_tables(resolve_sources(files.values()), CheckOptions(keep_all=True))
    assert result.findings() == []
    assert result.tables["rejections"].rows_valid == len(sample_rows("rejections")) - 1
