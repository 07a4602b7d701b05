"""Source forms: zips, plain and gzipped CSVs, BigQuery shards, Stata; and broken sources."""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.errors import SourceError, UsageError
from ptoffact_build.pipeline import CheckOptions, run_tables
from ptoffact_build.read.csv_reader import iter_chunks, last_record_end
from ptoffact_build.read.sources import classify, resolve_sources, sample_dir
from ptoffact_build.release import build_release
from ptoffact_build.schema import TABLES


def tables_of(release: Path) -> dict:
    return {t: pq.read_table(release / "data" / t) for t in TABLES}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("reference") / "ptoffact"
    build_release(resolve_sources(["sample"]), out)
    return tables_of(out)


def test_bigquery_gzip_shards_build_the_same_tables(tmp_path: Path, reference) -> None:
    folder = tmp_path / "bq"
    folder.mkdir()
    for table in TABLES:
        header, *rows = sample_rows(table)
        third = len(rows) // 3 + 1
        for i in range(3):
            plain = write_rows(tmp_path / "part.csv", [header, *rows[i * third : (i + 1) * third]])
            shard = folder / f"{table}-{i:012d}.csv.gz"
            shard.write_bytes(gzip.compress(plain.read_bytes()))
    out = tmp_path / "from_bq"
    build_release(resolve_sources([folder]), out)
    got = tables_of(out)
    for table in TABLES:
        assert got[table].equals(reference[table]), table


def test_bom_crlf_and_reordered_columns_are_read(tmp_path: Path, sample_csvs, reference) -> None:
    rows = sample_rows("citations")
    order = list(reversed(range(len(rows[0]))))
    text = "\r\n".join(",".join(quote(r[i]) for i in order) for r in rows) + "\r\n"
    sample_csvs["citations"].write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = run_tables(resolve_sources(sample_csvs.values()), CheckOptions(keep_all=True))
    assert result.findings() == []
    assert result.tables["citations"].rows_valid == reference["citations"].num_rows


def quote(cell: str) -> str:
    if any(c in cell for c in ',"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def test_stata_zips_build_the_same_tables(tmp_path: Path, reference) -> None:
    from ptoffact_build.devtools.stata_writer import write_stata_sample
    from ptoffact_build.read.sources import sample_dir

    dta = tmp_path / "dta"
    write_stata_sample(sample_dir(), dta)
    assert sorted(p.name for p in dta.iterdir()) == sorted(f"{t}.dta.zip" for t in TABLES)
    out = tmp_path / "from_dta"
    build_release(resolve_sources([dta]), out)
    got = tables_of(out)
    for table in TABLES:
        assert got[table].schema == reference[table].schema
        assert got[table].equals(reference[table]), table


def test_table_names_are_recognised() -> None:
    cases = {
        "office_actions.csv.zip": ("office_actions", "csv.zip"),
        "rejections.zip": ("rejections", "csv.zip"),
        "citations-000000000003.csv.gz": ("citations", "csv.gz"),
        "office_actions_r1.csv.zip": ("office_actions", "csv.zip"),
        "rejections.dta.zip": ("rejections", "dta.zip"),
        "citations.csv": ("citations", "csv"),
    }
    for name, (table, kind) in cases.items():
        source = classify(Path(name))
        assert (source.table, source.kind) == (table, kind)
    assert classify(Path("notes.txt")) is None
    assert classify(Path("office_actions.xlsx")) is None


def sample_zips(folder: Path) -> Path:
    """The sample's three zips, copied into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        shutil.copy(sample_dir() / f"{table}.csv.zip", folder)
    return folder


def bq_shards(folder: Path, table: str, parts: int = 3, suffix: str = ".csv.gz") -> list[Path]:
    """A table of the sample as ``parts`` shards named as ``bq extract`` names them."""
    folder.mkdir(parents=True, exist_ok=True)
    header, *rows = sample_rows(table)
    size = len(rows) // parts + 1
    shards = []
    for i in range(parts):
        shard = folder / f"{table}-{i:012d}{suffix}"
        write_rows(shard, [header, *rows[i * size : (i + 1) * size]])
        if suffix.endswith(".gz"):
            shard.write_bytes(gzip.compress(shard.read_bytes()))
        shards.append(shard)
    return shards


def refused_naming(spec: list, first: Path, second: Path) -> str:
    """The message of the usage error ``resolve_sources(spec)`` raises; it names both files."""
    with pytest.raises(UsageError) as caught:
        resolve_sources(spec)
    message = str(caught.value)
    assert caught.value.exit_code == 2
    assert str(first) in message and str(second) in message, message
    return message


def test_a_zip_and_its_csv_unzipped_beside_it_are_two_sources(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    with zipfile.ZipFile(folder / "rejections.csv.zip") as archive:
        archive.extract("rejections.csv", folder)
    message = refused_naming([folder], folder / "rejections.csv", folder / "rejections.csv.zip")
    assert message.startswith("table rejections has two sources")


@pytest.mark.parametrize(
    "second",
    [
        "office_actions_r1.csv.zip",  # a re-release beside the original
        "office_actions.dta.zip",  # the Stata file beside the CSV zip
        "office_actions-000000000000.csv.gz",  # a BigQuery shard beside the zip
    ],
)
def test_a_second_file_for_a_table_is_refused(tmp_path: Path, second: str) -> None:
    folder = sample_zips(tmp_path / "src")
    shutil.copy(folder / "office_actions.csv.zip", folder / second)
    refused_naming([folder], folder / second, folder / "office_actions.csv.zip")


def test_zips_and_bigquery_shards_together_are_refused(tmp_path: Path) -> None:
    zips = sample_zips(tmp_path / "zips")
    (shard, *_) = bq_shards(tmp_path / "bq", "citations")
    refused_naming([zips, shard], zips / "citations.csv.zip", shard)


def test_plain_and_gzipped_shards_mixed_are_refused(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    (folder / "citations.csv.zip").unlink()
    plain = bq_shards(folder, "citations", parts=2, suffix=".csv")
    gz = bq_shards(tmp_path / "gz", "citations", parts=3)[2]
    shutil.move(gz, folder / gz.name)
    refused_naming([folder], plain[0], folder / gz.name)


def test_two_exports_of_a_table_are_refused(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    (folder / "citations.csv.zip").unlink()
    first = bq_shards(tmp_path / "first", "citations")
    second = bq_shards(tmp_path / "second", "citations")
    refused_naming([folder, tmp_path / "first", tmp_path / "second"], first[0], second[0])


def test_the_shards_of_one_export_are_one_source(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    (folder / "citations.csv.zip").unlink()
    shards = bq_shards(folder, "citations", parts=4)
    sources = resolve_sources([folder])
    assert [s.path for s in sources["citations"]] == shards
    named = resolve_sources([folder / f"{t}.csv.zip" for t in TABLES[:2]] + shards[::-1])
    assert [s.path for s in named["citations"]] == shards  # named in any order, read in order


def test_the_same_file_named_twice_is_refused(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    zip_path = folder / "rejections.csv.zip"
    message = refused_naming([folder, zip_path], zip_path, zip_path)
    assert "named twice" in message
    twice = [folder / f"{t}.csv.zip" for t in TABLES] + [zip_path]
    refused_naming(twice, zip_path, zip_path)
    link = tmp_path / "rejections.csv.zip"
    link.symlink_to(zip_path)
    refused_naming([folder, link], zip_path, link)
    linked_folder = tmp_path / "same"
    linked_folder.symlink_to(folder)
    first = folder / "citations.csv.zip"
    refused_naming([folder, linked_folder], first, linked_folder / "citations.csv.zip")


def test_a_link_to_a_shard_beside_it_is_refused(tmp_path: Path) -> None:
    folder = sample_zips(tmp_path / "src")
    (folder / "citations.csv.zip").unlink()
    shards = bq_shards(folder, "citations", parts=2)
    extra = folder / "citations-000000000002.csv.gz"
    os.link(shards[0], extra)  # a hard link: another name, the same rows
    refused_naming([folder], shards[0], extra)


def test_sources_are_refused_before_any_file_is_read(tmp_path: Path) -> None:
    """Names and stat decide: files that are not even zips are refused as two sources."""
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("office_actions.csv.zip", "rejections.csv.zip", "citations.csv.zip"):
        (folder / name).write_bytes(b"<html>not a zip</html>")
    (folder / "citations.csv").write_bytes(b"\xff\xfe not a CSV either")
    refused_naming([folder], folder / "citations.csv", folder / "citations.csv.zip")


def test_unknown_file_is_a_usage_error(tmp_path: Path, sample_csvs) -> None:
    stray = tmp_path / "readme.txt"
    stray.write_text("hello")
    with pytest.raises(UsageError, match=r"readme\.txt"):
        resolve_sources([*sample_csvs.values(), stray])


def test_missing_table_and_missing_file(tmp_path: Path, sample_csvs) -> None:
    with pytest.raises(SourceError, match="no file for table citations"):
        resolve_sources([sample_csvs["office_actions"], sample_csvs["rejections"]])
    with pytest.raises(SourceError, match=r"nowhere\.csv"):
        resolve_sources([tmp_path / "nowhere.csv"])


def broken_zip(tmp_path: Path, sample_csvs, make) -> dict:
    files = dict(sample_csvs)
    files["rejections"] = make(tmp_path / "rejections.csv.zip")
    return files


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: (p.write_bytes(b"<html>not a zip</html>"), p)[1], "not a readable zip"),
        (lambda p: (p.write_bytes(b"PK\x03\x04" + b"\x00" * 40), p)[1], "not a readable zip"),
        (
            lambda p: (
                zipfile.ZipFile(p, "w").__enter__().writestr("a.csv", "x")
                or zipfile.ZipFile(p, "a").writestr("b.csv", "y"),
                p,
            )[1],
            "expected one CSV inside",
        ),
    ],
)
def test_unreadable_zip_is_a_source_error(tmp_path: Path, sample_csvs, make, message) -> None:
    files = broken_zip(tmp_path, sample_csvs, make)
    with pytest.raises(SourceError, match=message) as caught:
        run_tables(resolve_sources(files.values()))
    assert "rejections.csv.zip" in str(caught.value)
    assert caught.value.exit_code == 3


def test_corrupt_member_crc_is_a_source_error(tmp_path: Path, sample_csvs) -> None:
    path = tmp_path / "rejections.csv.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("rejections.csv", sample_csvs["rejections"].read_bytes())
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the stored member
    path.write_bytes(bytes(data))
    files = {**sample_csvs, "rejections": path}
    with pytest.raises(SourceError, match=r"rejections\.csv\.zip"):
        run_tables(resolve_sources(files.values()))


def test_bytes_that_are_not_utf8_are_an_encoding_error(sample_csvs) -> None:
    lines = sample_csvs["citations"].read_bytes().split(b"\n")
    lines[40] = lines[40].replace(b"0", b"\xff", 1)
    sample_csvs["citations"].write_bytes(b"\n".join(lines))
    result = run_tables(resolve_sources(sample_csvs.values()), CheckOptions(keep_all=True))
    (finding,) = result.findings()
    assert finding.key() == ("citations", 41, None, "encoding-error")
    assert not result.ok


def test_missing_and_extra_columns_are_named(sample_csvs) -> None:
    rows = [r[:-1] for r in sample_rows("rejections")]  # drop myriad_in everywhere
    write_rows(sample_csvs["rejections"], rows)
    rows = [[*r, "x"] for r in sample_rows("citations")]
    rows[0][-1] = "surprise"
    write_rows(sample_csvs["citations"], rows)
    result = run_tables(resolve_sources(sample_csvs.values()), CheckOptions(keep_all=True))
    lines = {f.one_line() for f in result.findings()}
    assert any("rejections.csv" in line and "myriad_in" in line for line in lines)
    assert any("citations.csv" in line and "surprise" in line for line in lines)
    assert result.tables["rejections"].header_faulty and not result.ok


class Chunked:
    """A stream that hands out its bytes in small reads."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def read(self, n: int) -> bytes:
        piece = self.data[self.at : self.at + n]
        self.at += len(piece)
        return piece


def test_chunks_end_on_record_boundaries() -> None:
    data = b'a,b\n1,"x\ny"\n2,"say ""hi""\n, ok"\n3,z\n' * 50
    for size in (1, 3, 7, 16, 1000):
        chunks = list(iter_chunks(Chunked(data), size))
        assert b"".join(chunks) == data
        for chunk in chunks:
            assert chunk.count(b'"') % 2 == 0 and chunk.endswith(b"\n")
    assert last_record_end(b'1,"open\nquote') == 0
    assert last_record_end(b'1,"a\nb"\n2,"c\nd') == len(b'1,"a\nb"\n')


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_zip_methods_read_the_same(tmp_path: Path, sample_csvs, method) -> None:
    path = tmp_path / "rejections.csv.zip"
    with zipfile.ZipFile(path, "w", method) as archive:
        archive.writestr("rejections.csv", sample_csvs["rejections"].read_bytes())
    files = {**sample_csvs, "rejections": path}
    result = run_tables(resolve_sources(files.values()), CheckOptions(keep_all=True))
    assert result.findings() == []
    assert result.tables["rejections"].rows_valid == len(sample_rows("rejections")) - 1


def test_damaged_deflate_member_is_a_source_error(tmp_path: Path, sample_csvs) -> None:
    path = tmp_path / "rejections.csv.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("rejections.csv", sample_csvs["rejections"].read_bytes())
    data = bytearray(path.read_bytes())
    for offset in range(300, 340):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    files = {**sample_csvs, "rejections": path}
    with pytest.raises(SourceError, match=r"rejections\.csv\.zip"):
        run_tables(resolve_sources(files.values()))


def test_truncated_gzip_is_a_source_error(tmp_path: Path, sample_csvs) -> None:
    path = tmp_path / "rejections.csv.gz"
    path.write_bytes(gzip.compress(sample_csvs["rejections"].read_bytes())[:-100])
    files = {**sample_csvs, "rejections": path}
    with pytest.raises(SourceError, match=r"rejections\.csv\.gz"):
        run_tables(resolve_sources(files.values()))
