"""Reading source CSVs into Arrow record batches of text, with exact row numbers.

Every cell is read as text; typing happens in :mod:`validate`. Rows are numbered as
frictionless numbers them: the header is row 1 and every CSV record counts, blank ones too.
The file is cut into chunks at record boundaries, so each chunk's first row number is known,
and pyarrow parses each chunk. Rows of the wrong width (rare) are located exactly by
re-reading that one chunk with the ``csv`` module, and handed on as :class:`BadRow`.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from ptoffact_build.errors import SourceError
from ptoffact_build.read.readahead import prefetch
from ptoffact_build.read.records import first_record_end, last_record_end, past_line_ends
from ptoffact_build.read.sources import SourceFile, check_regular_file
from ptoffact_build.read.streams import (
    fast_gzip,
    fast_zlib,
    open_gzip,
    open_member,
    single_member,
)

# CSV bytes per batch. 8 MiB parses as fast as 16 MiB and holds about 200 MiB less in flight
# at full scale (chunks read ahead, their parse, the batch being checked). Which batch a
# finding falls in decides the order of the report's examples, so they follow the chunk
# size; the same command on the same data gives the same report every time.
DEFAULT_CHUNK_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"
MAX_RECORD_BYTES = 64 << 20  # a record still unfinished past this is an error
BYTES_PER_RECORD = 32  # a chunk holds at most chunk_bytes / 32 records (blank lines!)

csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # fields as long as records may be


class RecordTooLong(Exception):
    """A record that runs past ``MAX_RECORD_BYTES``; the reader adds its file and row."""


@dataclass
class BadRow:
    """A record whose number of cells differs from the header's."""

    row: int
    cells: list[str]


@dataclass
class RawBatch:
    """A slice of one source file: text columns named by the header, and row numbers."""

    source: SourceFile
    labels: list[str]
    columns: pa.RecordBatch  # well-formed rows only, every column text
    rows: np.ndarray  # row number of each record in ``columns``
    bad_rows: list[BadRow] = field(default_factory=list)
    nbytes: int = 0  # source bytes this batch covers


class EncodingProblem(SourceError):
    """Bytes that are not UTF-8; carries the row where they are."""

    def __init__(self, source: SourceFile, row: int) -> None:
        super().__init__(f"{source.path}: row {row}: bytes that are not UTF-8")
        self.source = source
        self.row = row


@contextmanager
def source_errors(path) -> Iterator[None]:
    """Turn the ways a source file fails to open or inflate into one-line source errors."""
    try:
        yield
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such file") from exc
    except zipfile.BadZipFile as exc:
        raise SourceError(f"{path}: not a readable zip archive ({exc})") from exc
    except (gzip.BadGzipFile, fast_gzip.BadGzipFile, EOFError, zlib.error, fast_zlib.error) as exc:  # type: ignore[misc]  # isal stubs: error is not a class
        raise SourceError(f"{path}: corrupt compressed data ({exc})") from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


@contextmanager
def open_csv_bytes(source: SourceFile) -> Iterator[BinaryIO]:
    """Open the CSV bytes of a plain, gzipped or zipped CSV file (regular files only)."""
    path = source.path
    with source_errors(path):
        check_regular_file(path)
        if source.kind == "csv.zip":
            with (
                zipfile.ZipFile(path) as archive,
                open_member(archive, single_member(archive, "CSV", str(path))) as member,
            ):
                yield member
        elif source.kind == "csv.gz":
            with open_gzip(path) as stream:
                yield stream
        else:
            with open(path, "rb") as stream:
                yield stream


def iter_chunks(stream: BinaryIO, chunk_bytes: int) -> Iterator[bytes]:
    """Cut a CSV byte stream into pieces that end on record boundaries.

    Boundaries are found as the CSV parsers find them (see :mod:`records`). A piece holds at
    most ``chunk_bytes / BYTES_PER_RECORD`` line ends when it can, which bounds the memory of
    a chunk of empty lines; a record still unfinished after ``MAX_RECORD_BYTES`` raises
    :class:`RecordTooLong`.
    """
    carry, most = b"", max(chunk_bytes // BYTES_PER_RECORD, 1)
    while block := stream.read(chunk_bytes):
        data = carry + block
        while cut := record_cut(data, most):
            yield data[:cut]
            data = data[cut:]
        carry = data
        if len(carry) > MAX_RECORD_BYTES:
            raise RecordTooLong(f"a record runs past {MAX_RECORD_BYTES >> 20} MiB without ending")
    if carry:
        yield carry if carry.endswith((b"\n", b"\r")) else carry + b"\n"


def record_cut(data: bytes, most: int) -> int:
    """Where to end the next piece of ``data``: after its last record, or after ``most`` lines."""
    few = past_line_ends(data, most)
    return (few and last_record_end(data[:few])) or last_record_end(data)


def split_header(first: bytes, source: SourceFile) -> tuple[list[str], bytes]:
    """The header labels of a file (stripped of surrounding spaces, as frictionless strips
    them) and the rest of its first chunk."""
    if first.startswith(BOM):
        first = first[len(BOM) :]
    line = first[: first_record_end(first)]  # ends in CRLF, LF or a bare CR
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EncodingProblem(source, 1) from exc
    labels = next(csv.reader([text.rstrip("\r\n")]), [])
    if not labels:
        raise SourceError(f"{source.path}: row 1: the header is blank")
    return [label.strip() for label in labels], first[len(line) :]


def column_names(labels: list[str]) -> list[str]:
    """Names for the parsed columns: the labels, or their positions when labels repeat or
    are blank (columns are then matched to fields by position)."""
    if all(labels) and len(set(labels)) == len(labels):
        return labels
    return [f"#{i + 1}" for i in range(len(labels))]


def parse_chunk(
    data: bytes, labels: list[str], source: SourceFile, first_row: int
) -> tuple[pa.RecordBatch, np.ndarray, list[BadRow], int]:
    """Parse one chunk; return the well-formed rows, their numbers, the bad rows, the count."""
    invalid: list[str] = []

    def collect(row: pcsv.InvalidRow) -> str:
        invalid.append(row.text)
        return "skip"

    if not is_utf8(data):  # before parsing: pyarrow cannot hand such a row to ``collect``
        raise EncodingProblem(source, first_row + records_before_bad_byte(data))
    try:
        table = arrow_read(data, labels, collect)
    except pa.ArrowInvalid as exc:
        raise SourceError(f"{source.path}: from row {first_row}: cannot parse CSV ({exc})") from exc
    batch = table.combine_chunks().to_batches()
    columns = batch[0] if batch else empty_text_batch(labels)
    if not invalid:
        rows = np.arange(first_row, first_row + columns.num_rows, dtype=np.int64)
        return columns, rows, [], columns.num_rows
    return locate_bad_rows(data, labels, source, first_row, columns)


def arrow_read(data: bytes, labels: list[str], collect) -> pa.Table:
    """pyarrow's parse of a chunk: every cell text, blank lines kept, bad rows to ``collect``.

    The chunk is parsed as one block on this thread: each column comes out as one array (no
    copy to combine blocks), and the serial parser costs about a third less CPU than the
    threaded one on 1 MiB blocks; the other core checks the batch before. UTF-8 was checked
    by :func:`is_utf8` already.
    """
    return pcsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pcsv.ReadOptions(
            column_names=labels, use_threads=False, block_size=len(data) + 1
        ),
        parse_options=pcsv.ParseOptions(
            newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=collect
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in labels},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            check_utf8=False,
        ),
    )


def empty_text_batch(labels: list[str]) -> pa.RecordBatch:
    """A batch with no rows and a text column per label."""
    return pa.RecordBatch.from_pydict({name: pa.array([], pa.string()) for name in labels})


def locate_bad_rows(
    data: bytes, labels: list[str], source: SourceFile, first_row: int, columns: pa.RecordBatch
) -> tuple[pa.RecordBatch, np.ndarray, list[BadRow], int]:
    """Number a chunk's records with the csv module, to find where the bad ones were."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    width = len(labels)
    good = [i for i, cells in enumerate(records) if len(cells) == width or not cells]
    bad = [
        BadRow(first_row + i, cells) for i, cells in enumerate(records) if 0 < len(cells) != width
    ]
    if len(good) != columns.num_rows:
        raise SourceError(
            f"{source.path}: from row {first_row}: CSV records could not be aligned; "
            "is the file RFC 4180 CSV?"
        )
    rows = first_row + np.asarray(good, dtype=np.int64)
    return columns, rows, bad, len(records)


def is_utf8(data: bytes) -> bool:
    """True if ``data`` is valid UTF-8 (checked by Arrow, about 3 GB/s, without copying)."""
    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def records_before_bad_byte(data: bytes) -> int:
    """How many records of ``data`` come before its first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
        return 0
    except UnicodeDecodeError as exc:
        prefix = data[: data.rfind(b"\n", 0, exc.start) + 1]
    return sum(1 for _ in csv.reader(io.StringIO(prefix.decode("utf-8"), newline="")))


def read_csv_file(source: SourceFile, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[RawBatch]:
    """Stream one CSV source as text batches (header checked by the caller via ``labels``)."""
    next_row = 1
    with open_csv_bytes(source) as stream:
        chunks = prefetch(iter_chunks(stream, chunk_bytes))  # inflate while parsing
        try:
            first = next(chunks, b"")
            if not first:
                raise SourceError(f"{source.path}: the file is empty (no header row)")
            labels, rest = split_header(first, source)
            names = column_names(labels)
            next_row = 2
            pending = [rest] if rest else []
            for data in with_first(pending, chunks):
                columns, rows, bad, count = parse_chunk(data, names, source, next_row)
                next_row += count
                yield RawBatch(source, labels, columns, rows, bad, len(data))
        except RecordTooLong as exc:
            raise SourceError(f"{source.path}: row {next_row}: {exc}; is it a CSV file?") from None
        if next_row == 2:
            yield RawBatch(source, labels, empty_text_batch(names), np.empty(0, np.int64))


def with_first(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    """The optional leftover of the header chunk, then the other chunks."""
    yield from first
    yield from rest
