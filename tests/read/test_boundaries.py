"""Record boundaries: chunks end where the CSV parsers end records, whatever the quotes."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from frictionless_helpers import frictionless_findings, ptoffact_findings
from ptoffact_build.read import records
from ptoffact_build.read.csv_reader import iter_chunks, read_csv_file
from ptoffact_build.read.sources import SourceFile

# cells as they appear in the file: bare quotes inside unquoted cells, quoted line breaks of
# every kind, escaped quotes, text after a closing quote, a quote after a space
CELLS = [
    "a",
    "",
    "12",
    'ab"c',
    'a"',
    'x""y',
    '"q"',
    '"q,r"',
    '"l1\nl2"',
    '"c1\r\nc2"',
    '"cr\rx"',
    '"e""s"',
    '"ab"c',
    ' "sp',
    '"a""b"x',
]


def random_csv(rng: random.Random) -> bytes:
    """A header and up to 30 records of 0 to 4 cells, all with one kind of line end."""
    end = rng.choice(["\n", "\r\n", "\r"])
    lines = ["h1,h2,h3"]
    for _ in range(rng.randint(0, 30)):
        width = rng.choice([3, 3, 3, 3, 2, 4, 0])
        lines.append(",".join(rng.choice(CELLS) for _ in range(width)))
    return (end.join(lines) + (end if rng.random() < 0.7 else "")).encode()


def read_with_ptoffact(path: Path, chunk_bytes: int) -> dict[int, list[str]]:
    """Every record the reader hands on, by row number (a blank row as three empty cells)."""
    got: dict[int, list[str]] = {}
    for batch in read_csv_file(SourceFile("citations", path, "csv"), chunk_bytes):
        for row, record in zip(batch.rows.tolist(), batch.columns.to_pylist(), strict=True):
            got[row] = list(record.values())
        for bad in batch.bad_rows:
            got[bad.row] = bad.cells
    return got


def read_with_csv_module(data: bytes) -> dict[int, list[str]]:
    return {i + 2: cells or ["", "", ""] for i, cells in enumerate(csv_records(data)[1:])}


def csv_records(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("rechecks", [records.MAX_RECHECKS, 0])
def test_chunks_split_only_between_records(monkeypatch, rechecks: int) -> None:
    """Parsing the chunks one by one gives the records of the whole file, for any chunk size."""
    monkeypatch.setattr(records, "MAX_RECHECKS", rechecks)  # 0: the one-by-one walk
    rng = random.Random(11 + rechecks)
    for _ in range(120):
        data = random_csv(rng)
        expected = csv_records(data)
        for chunk_bytes in (1, 2, 3, 5, 8, 13, 64):
            chunks = list(iter_chunks(io.BytesIO(data), chunk_bytes))
            got = [cells for chunk in chunks for cells in csv_records(chunk)]
            assert got == expected, (data, chunk_bytes)


@pytest.mark.parametrize("rechecks", [records.MAX_RECHECKS, 0])
def test_random_csvs_read_as_the_csv_module_reads_them(
    tmp_path: Path, monkeypatch, rechecks: int
) -> None:
    """Row numbers and cells agree with Python's csv module, for several chunk sizes."""
    monkeypatch.setattr(records, "MAX_RECHECKS", rechecks)
    rng = random.Random(7 + rechecks)
    path = tmp_path / "citations.csv"
    for _ in range(40):
        data = random_csv(rng)
        path.write_bytes(data)
        expected = read_with_csv_module(data)
        for chunk_bytes in (1, 7, 61, 1 << 20):
            assert read_with_ptoffact(path, chunk_bytes) == expected, (data, chunk_bytes)


def test_bare_quote_does_not_shift_later_rows(tmp_path: Path) -> None:
    lines = [b"h1,h2,h3", b'1,ab"c,2'] + [b'%d,"x\ny",z' % i for i in range(3, 60)]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / "citations.csv"
    path.write_bytes(data)
    expected = read_with_csv_module(data)
    assert len(expected) == 58
    for chunk_bytes in (5, 20, 64, 200):
        assert read_with_ptoffact(path, chunk_bytes) == expected


def test_literal_quotes_are_not_structural() -> None:
    data = b'1,ab"c,"x\ny"\n2,"p""q"r,s\n'
    quotes = records.structural_quotes(data)
    assert data[quotes[0] - 1 : quotes[0] + 1] == b',"'  # ab"c's quote is left out
    assert len(quotes) == 6
    assert records.last_record_end(data) == len(data)
    assert records.last_record_end(data[:-1]) == data.index(b"2,")
    assert records.first_record_end(b"a,b\rc,d\r") == 4
    assert records.first_record_end(b"a,b\r\nc") == 5
    assert records.last_record_end(b"1,2\r3,4\r") == 4  # a trailing CR may precede a LF


def citations_with_bare_quote_then_quoted_newline(files: dict[str, Path]) -> None:
    """A bare quote in an unquoted cell, a quoted line break later, then a bad flag."""
    lines = files["citations"].read_bytes().split(b"\n")
    app, cited, rest = lines[4].split(b",", 2)
    lines[4] = b",".join([app, cited + b'"A', rest])
    app, _cited, rest = lines[30].split(b",", 2)
    lines[30] = b",".join([app, b'"Smith, J.\nsecond line"', rest])
    cells = lines[60].split(b",")
    cells[6] = b"yes"
    lines[60] = b",".join(cells)
    files["citations"].write_bytes(b"\n".join(lines))


@pytest.mark.parametrize("chunk_bytes", [64 << 20, 1500])
def test_findings_equal_frictionless_after_a_bare_quote(sample_csvs, chunk_bytes: int) -> None:
    citations_with_bare_quote_then_quoted_newline(sample_csvs)
    expected = frictionless_findings(sample_csvs)
    assert ("citations", 61, "form892", "type-error") in expected
    assert ptoffact_findings(sample_csvs, chunk_bytes=chunk_bytes) == expected


@pytest.mark.parametrize("chunk_bytes", [64 << 20, 3000])
def test_bare_cr_files_read_as_frictionless_reads_them(sample_csvs, chunk_bytes: int) -> None:
    citations_with_bare_quote_then_quoted_newline(sample_csvs)
    for table in ("citations", "rejections"):
        data = sample_csvs[table].read_bytes()
        sample_csvs[table].write_bytes(data.replace(b"\n", b"\r"))
    expected = frictionless_findings(sample_csvs)
    assert ("citations", 61, "form892", "type-error") in expected
    assert ptoffact_findings(sample_csvs, chunk_bytes=chunk_bytes) == expected
