"""The Stata (.dta) reader and writer: a .dta zip reads as the same text as its CSV zip."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ptoffact_build.devtools.stata_writer import write_stata_sample, write_stata_zip
from ptoffact_build.errors import SourceError
from ptoffact_build.read.csv_reader import EncodingProblem, read_csv_file
from ptoffact_build.read.sources import SourceFile, classify, sample_dir
from ptoffact_build.read.stata_reader import read_stata_file
from ptoffact_build.schema import TABLES

OFFICE_ACTIONS = """\
app_id,ifw_number,document_cd,mail_dt,art_unit,uspc_class,uspc_subclass,header_missing,\
fp_missing,rejection_fp_mismatch,closing_missing,rejection_101,rejection_102,rejection_103,\
rejection_112,rejection_dp,objection,allowed_claims,cite102_gt1,cite103_gt3,cite103_eq1,\
cite103_max,signature_type
12000001,100867762,CTNF,2001-01-01,1614,000,001000,0,0,0,0,1,0,1,0,0,0,0,0,0,0,17,1
12000002,HJZTZNLTPXXIFW4,CTFR,2007-12-31,36A1,424,026100,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,4
13999999,000000001,CTNF,2008-02-29,2800,705,000100,0,1,0,1,0,1,0,1,0,1,0,1,0,1,60,0
14123456,ABCDEFGHIJKLMN0,CTNF,2015-10-15,1700,1234,123456,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,2
15378270,ZZZZZZZZZZZZZZ9,CTFR,2017-07-11,3600,002,999999,1,0,1,0,1,0,1,0,1,0,1,0,1,0,0,3
"""

REJECTIONS = """\
app_id,ifw_number,action_type,action_subtype,claim_numbers,alice_in,bilski_in,mayo_in,myriad_in
12000001,100867762,103,a,"6,7,8,11,12,13",0,0,0,0
12000001,100867762,112,,"1",0,1,0,0
12000002,HJZTZNLTPXXIFW4,nonstatutory double patenting,,,1,1,1,1
13999999,000000001,objected,,"2,3",,,,
14123456,ABCDEFGHIJKLMN0,101,keyword_of_twenty_two_,"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20",1,0,1,0
"""

LONG_TEXT = "Lee (US 2009/0139986), " + "très long, " * 300  # > 2045 bytes: a strL

CITATIONS = "\n".join(
    [
        "app_id,citation_pat_pgpub_id,parsed,ifw_number,action_type,action_subtype,form892,"
        "form1449,citation_in_oa",
        "12000001,7659971,7659971,100867762,103,a,1,0,1",
        '12000001,"Lee (US 2009/0139986), et al.",20090139986,,,,0,1,0',
        "12000002,JP 2004-159476,2004159476,HJZTZNLTPXXIFW4,102,b,1,0,0",
        '13999999,"Müller, DE 10 2004 — 特開2004-159476 ""quoted""",,,,,0,0,0',
        f'14123456,"{LONG_TEXT}",20110059422,ABCDEFGHIJKLMN0,103,,1,1,1',
        "15378270,WO 2012136906,,,,,,,",
        "",
    ]
)

TEXTS = {"office_actions": OFFICE_ACTIONS, "rejections": REJECTIONS, "citations": CITATIONS}


# --- helpers -----------------------------------------------------------------------------


def write_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    """A zip holding the given members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def csv_zip(folder: Path, table: str) -> Path:
    """The test CSV zip of one table."""
    return write_zip(folder / f"{table}.csv.zip", {f"{table}.csv": TEXTS[table]})


def dta_source(path: Path) -> SourceFile:
    source = classify(path)
    assert source is not None and source.is_stata
    return source


def concat(batches: list) -> tuple[list[str], pa.Table, np.ndarray]:
    """The labels, text and row numbers of a whole file's batches."""
    table = pa.Table.from_batches([b.columns for b in batches])
    rows = np.concatenate([b.rows for b in batches])
    return batches[0].labels, table, rows


def assert_same_text(stata_batches: list, csv_batches: list) -> None:
    """Column by column and row by row, the .dta reads as the CSV does."""
    labels, table, rows = concat(stata_batches)
    csv_labels, csv_table, csv_rows = concat(csv_batches)
    assert labels == csv_labels
    assert rows.tolist() == csv_rows.tolist()
    for name in labels:
        assert table[name].type == pa.string()
        assert table[name].null_count == 0
        assert table[name].to_pylist() == csv_table[name].to_pylist(), name
    assert all(b.bad_rows == [] for b in stata_batches)


def stata_dta(tmp_path: Path, frame: pd.DataFrame, name: str = "rejections.dta", **kw) -> Path:
    """A bare .dta written by pandas."""
    path = tmp_path / name
    frame.to_stata(path, write_index=False, **{"version": 118, **kw})
    return path


def section(data: bytes, tag: str) -> int:
    """Where a 117+ section's content starts."""
    return data.index(f"<{tag}>".encode()) + len(tag) + 2


def variable_types(data: bytes, count: int) -> list[int]:
    """The type codes of a format 118 file (1-2045 str#, 65530 byte, 65529 int, ...)."""
    start = section(data, "variable_types")
    return list(struct.unpack(f"<{count}H", data[start : start + 2 * count]))


def variable_formats(data: bytes, count: int) -> list[str]:
    """The display formats of a format 118 file (57 bytes each)."""
    start = section(data, "formats")
    cells = [data[start + 57 * i : start + 57 * (i + 1)] for i in range(count)]
    return [c.split(b"\0")[0].decode() for c in cells]


def member_bytes(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        return archive.read(name)


# --- round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_dta_zip_reads_as_the_csv_zip(tmp_path: Path, table: str) -> None:
    source_csv = csv_zip(tmp_path, table)
    out = write_stata_zip(source_csv, tmp_path / "dta" / f"{table}.dta.zip")
    assert out == tmp_path / "dta" / f"{table}.dta.zip"
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == [f"{table}.dta"]
    csv_batches = list(read_csv_file(classify(source_csv)))
    assert_same_text(list(read_stata_file(dta_source(out))), csv_batches)


def test_tricky_values_survive(tmp_path: Path) -> None:
    out = write_stata_zip(csv_zip(tmp_path, "office_actions"), tmp_path / "office_actions.dta.zip")
    _, text, rows = concat(list(read_stata_file(dta_source(out))))
    assert rows.tolist() == [2, 3, 4, 5, 6]
    assert text["uspc_subclass"][0].as_py() == "001000"
    assert text["uspc_class"][0].as_py() == "000"
    assert text["ifw_number"][2].as_py() == "000000001"
    assert text["mail_dt"].to_pylist()[:2] == ["2001-01-01", "2007-12-31"]
    assert text["cite103_max"].to_pylist() == ["17", "0", "60", "3", "0"]

    out = write_stata_zip(csv_zip(tmp_path, "citations"), tmp_path / "citations.dta.zip")
    _, text, _ = concat(list(read_stata_file(dta_source(out))))
    assert text["citation_pat_pgpub_id"][3].as_py().startswith("Müller, DE 10 2004 — 特開")
    assert text["citation_pat_pgpub_id"][4].as_py() == LONG_TEXT
    assert text["form892"][5].as_py() == ""  # a missing flag: Stata '.', CSV empty


def test_sample_reads_the_same_as_dta(tmp_path: Path) -> None:
    if not all((sample_dir() / f"{t}.csv.zip").is_file() for t in TABLES):
        pytest.skip("the sample CSV zips are not there")
    written = write_stata_sample(sample_dir(), tmp_path)
    assert set(written) == set(TABLES)
    for table, path in written.items():
        assert path == tmp_path / f"{table}.dta.zip"
        csv_batches = list(read_csv_file(classify(sample_dir() / f"{table}.csv.zip")))
        assert_same_text(list(read_stata_file(dta_source(path), chunk_rows=700)), csv_batches)


def test_written_stata_types(tmp_path: Path) -> None:
    out = write_stata_zip(csv_zip(tmp_path, "office_actions"), tmp_path / "office_actions.dta.zip")
    data = member_bytes(out)
    assert data.startswith(b"<stata_dta><header><release>118</release>")
    types = variable_types(data, 23)
    formats = variable_formats(data, 23)
    assert types[:3] == [8, 15, 4]  # str8 app_id, str15 ifw_number, str4 document_cd
    assert formats[3] == "%td"  # mail_dt
    assert types[4:7] == [4, 4, 6]  # art_unit, uspc_class, uspc_subclass: sized to the data
    assert types[7:21] == [65530] * 14  # flags: byte
    assert types[21] == 65529  # cite103_max: int
    assert types[22] == 65530  # signature_type: byte


def test_writing_is_reproducible(tmp_path: Path) -> None:
    source_csv = csv_zip(tmp_path, "rejections")
    first = write_stata_zip(source_csv, tmp_path / "a" / "rejections.dta.zip").read_bytes()
    second = write_stata_zip(source_csv, tmp_path / "b" / "rejections.dta.zip").read_bytes()
    assert first == second


def test_sample_needs_every_table(tmp_path: Path) -> None:
    csv_zip(tmp_path, "office_actions")
    with pytest.raises(SourceError, match="rejections, citations"):
        write_stata_sample(tmp_path, tmp_path / "out")


# --- chunks ------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 5, 100])
def test_chunks_number_rows_as_the_csv(tmp_path: Path, chunk_rows: int) -> None:
    source_csv = csv_zip(tmp_path, "office_actions")
    out = write_stata_zip(source_csv, tmp_path / "office_actions.dta.zip")
    batches = list(read_stata_file(dta_source(out), chunk_rows=chunk_rows))
    assert [len(b.rows) for b in batches] == [
        min(chunk_rows, 5 - i) for i in range(0, 5, chunk_rows)
    ]
    assert all(b.rows.tolist() == list(range(b.rows[0], b.rows[0] + len(b.rows))) for b in batches)
    assert all(b.nbytes > 0 for b in batches)
    assert_same_text(batches, list(read_csv_file(classify(source_csv))))


def test_zip_member_is_read_in_one_pass(tmp_path: Path, monkeypatch) -> None:
    """Seeking back in a zip member decompresses it again from the start: keep that rare."""
    rows = 2000
    frame = pd.DataFrame(
        {
            "app_id": [f"{12000000 + i}" for i in range(rows)],
            "note": ["x" * 3000 if i % 7 == 0 else "y" for i in range(rows)],  # strL
            "flag": np.arange(rows, dtype=np.int8) % 2,
        }
    )
    dta = stata_dta(tmp_path, frame, convert_strl=["note"])
    out = write_zip(tmp_path / "rejections.dta.zip", {"rejections.dta": dta.read_bytes()})
    backward = []
    seek = zipfile.ZipExtFile.seek

    def counting_seek(self, offset, whence=0):
        before = self.tell()
        result = seek(self, offset, whence)
        if self.tell() < before:
            backward.append((before, self.tell()))
        return result

    monkeypatch.setattr(zipfile.ZipExtFile, "seek", counting_seek)
    batches = list(read_stata_file(dta_source(out), chunk_rows=50))
    assert len(batches) == rows // 50
    _, text, _ = concat(batches)
    assert text["note"].to_pylist() == frame["note"].tolist()
    assert len(backward) <= 3


def test_empty_file_gives_labels(tmp_path: Path) -> None:
    frame = pd.DataFrame({"app_id": pd.Series([], dtype=object), "alice_in": np.array([], np.int8)})
    batches = list(read_stata_file(dta_source(stata_dta(tmp_path, frame))))
    assert len(batches) == 1
    assert batches[0].labels == ["app_id", "alice_in"]
    assert batches[0].columns.num_rows == 0 and len(batches[0].rows) == 0


# --- values as Stata stores them ---------------------------------------------------------


def test_missing_values_and_numbers_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "flag": pd.array([1, None, 0], dtype="Int8"),
            "count": pd.array([17, 0, None], dtype="Int16"),
            "big": pd.array([2_000_000_000, -5, 0], dtype="Int32"),
            "ratio": [2.5, np.nan, 1e20],
            "whole": [3.0, np.nan, -1.0],
            "when": pd.to_datetime(["1959-12-31", None, "2017-07-11"]).astype("M8[s]"),
            "code": [0, 1, 1],
        }
    )
    labelled = {"code": {0: "no", 1: "yes"}}
    path = stata_dta(tmp_path, frame, convert_dates={"when": "td"}, value_labels=labelled)
    _, text, _ = concat(list(read_stata_file(dta_source(path), chunk_rows=2)))
    assert text["flag"].to_pylist() == ["1", "", "0"]
    assert text["count"].to_pylist() == ["17", "0", ""]
    assert text["big"].to_pylist() == ["2000000000", "-5", "0"]
    assert text["ratio"].to_pylist() == ["2.5", "", "1e+20"]
    assert text["whole"].to_pylist() == ["3", "", "-1"]
    assert text["when"].to_pylist() == ["1959-12-31", "", "2017-07-11"]
    assert text["code"].to_pylist() == ["0", "1", "1"]  # the codes, not the value labels


def test_integer_td_dates_as_the_distribution_stores_them(tmp_path: Path) -> None:
    """The distribution stores mail_dt as a Stata int with format %td (days since 1960)."""
    days = pd.array([0, -1, 15341, 20646, None], dtype="Int16")
    path = stata_dta(tmp_path, pd.DataFrame({"mail_dt": days}), name="office_actions.dta")
    data = bytearray(path.read_bytes())
    start = section(bytes(data), "formats")
    data[start : start + 57] = b"%td".ljust(57, b"\0")
    path.write_bytes(bytes(data))
    _, text, _ = concat(list(read_stata_file(dta_source(path))))
    assert text["mail_dt"].to_pylist() == [
        "1960-01-01",
        "1959-12-31",
        "2002-01-01",
        "2016-07-11",
        "",
    ]


def test_format_117_strings_are_latin1(tmp_path: Path) -> None:
    frame = pd.DataFrame({"citation_pat_pgpub_id": ["café", "Müller"]})
    path = stata_dta(tmp_path, frame, name="citations.dta", version=117)
    _, text, _ = concat(list(read_stata_file(dta_source(path))))
    assert text["citation_pat_pgpub_id"].to_pylist() == ["café", "Müller"]


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    frame = pd.DataFrame({"citation_pat_pgpub_id": ["ok", "ok", "xé"]})
    path = stata_dta(tmp_path, frame, name="citations.dta")
    data = path.read_bytes()
    assert data.count("xé".encode()) == 1
    path.write_bytes(data.replace("xé".encode(), b"x\xe9\0"))  # latin-1 é, NUL-terminated
    with pytest.raises(EncodingProblem, match=r"citations\.dta: rows? .*not UTF-8") as info:
        list(read_stata_file(dta_source(path), chunk_rows=2))
    assert info.value.row == 4  # the first row of the chunk holding the bad bytes


# --- sources that are not a readable .dta ------------------------------------------------


def assert_one_line_error(source: SourceFile, pattern: str) -> None:
    with pytest.raises(SourceError, match=pattern) as info:
        list(read_stata_file(source))
    message = str(info.value)
    assert str(source.path) in message
    assert "\n" not in message


def test_zip_with_two_members(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "office_actions.dta.zip", {"a.dta": b"1", "b.dta": b"2"})
    assert_one_line_error(dta_source(path), "expected one .dta inside, found a.dta, b.dta")


def test_empty_zip(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "office_actions.dta.zip", {})
    assert_one_line_error(dta_source(path), "found nothing")


def test_file_that_is_not_dta(tmp_path: Path) -> None:
    path = tmp_path / "office_actions.dta"
    path.write_text(OFFICE_ACTIONS)
    assert_one_line_error(dta_source(path), "cannot read the .dta header")


def test_zip_holding_a_csv(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "office_actions.dta.zip", {"office_actions.dta": OFFICE_ACTIONS})
    assert_one_line_error(dta_source(path), "cannot read the .dta header")


def test_truncated_dta(tmp_path: Path) -> None:
    out = write_stata_zip(csv_zip(tmp_path, "office_actions"), tmp_path / "x.dta.zip")
    path = tmp_path / "office_actions.dta"
    data = member_bytes(out)
    path.write_bytes(data[: section(data, "data") + 100])
    assert_one_line_error(dta_source(path), "office_actions.dta: ")


def test_zip_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "office_actions.dta.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    assert_one_line_error(dta_source(path), "not a readable zip archive")


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(dta_source(tmp_path / "office_actions.dta.zip"), "no such file")
