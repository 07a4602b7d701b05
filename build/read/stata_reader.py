"""Reading the Stata (``.dta``) distribution of the tables.

The reader turns a ``.dta`` file (bare or the single member of a zip) into the same text
batches as :func:`read.read_csv_file`, formatted as the CSV distribution writes the values,
so one validator checks both: ``%td`` dates as ``YYYY-MM-DD``, numbers as decimal text,
strings as they are, Stata missing values as ``""``. Observations are numbered from 2, as if
there were a header row, so a row number names the same record in both distributions.

The writer of ``.dta`` files, for tests, is :mod:`ptoffact_build.devtools.stata_writer`.
"""

from __future__ import annotations

import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.io.stata import StataReader

from ptoffact_build.errors import SourceError
from ptoffact_build.read.csv_reader import (
    EncodingProblem,
    RawBatch,
    empty_text_batch,
    source_errors,
)
from ptoffact_build.read.sources import SourceFile, check_regular_file
from ptoffact_build.read.streams import check_member_readable, single_member

DEFAULT_CHUNK_ROWS = 500_000
FIRST_ROW = 2  # the row a CSV's first record has, after its header

# What pandas' StataReader raises on a truncated or garbled .dta (found by corrupting files:
# ValueError, including UnicodeDecodeError and OutOfBoundsDatetime; KeyError for a bad strL
# reference; struct.error for a short header; AttributeError from its string decoding) and
# what reading a zip member under it raises. Only third-party calls sit inside the handler.
READ_ERRORS = (
    ValueError,
    KeyError,
    AttributeError,
    struct.error,
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
)


class StataEncodingProblem(EncodingProblem):
    """Strings of a UTF-8 (format 118+) file that are not UTF-8, within a range of rows."""

    def __init__(self, source: SourceFile, first: int, last: int) -> None:
        super().__init__(source, first)
        where = f"row {first}" if first == last else f"rows {first} to {last}"
        self.args = (f"{source.path}: {where}: strings that are not UTF-8",)


def read_stata_file(source: SourceFile, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[RawBatch]:
    """Stream one ``.dta`` source as text batches of ``chunk_rows`` observations."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, not {chunk_rows}")
    with open_dta_bytes(source) as stream, open_reader(stream) as reader:
        labels = read_labels(reader, source)
        next_row, done = FIRST_ROW, 0
        for frame, position in iter_frames(reader, stream, source, chunk_rows):
            rows = np.arange(next_row, next_row + len(frame), dtype=np.int64)
            columns = frame_to_text(frame, labels, source, next_row)
            yield RawBatch(source, labels, columns, rows, [], max(position - done, 0))
            next_row, done = next_row + len(frame), position
        if next_row == FIRST_ROW:
            yield RawBatch(source, labels, empty_text_batch(labels), np.empty(0, np.int64))


@contextmanager
def open_dta_bytes(source: SourceFile) -> Iterator[BinaryIO]:
    """Open the bytes of a bare ``.dta`` file or of the one member of a ``.dta`` zip."""
    path = source.path
    with source_errors(path):
        if source.kind == "dta.zip":
            with zipfile.ZipFile(check_regular_file(path)) as archive:
                member = single_member(archive, ".dta", str(path))
                check_member_readable(str(path), member)
                with archive.open(member) as stream:  # zipfile's own: pandas needs to seek
                    yield stream  # type: ignore[misc]
        elif source.kind == "dta":
            with open(check_regular_file(path), "rb") as stream:
                yield stream
        else:
            raise SourceError(f"{path}: not a Stata file (kind {source.kind!r})")


@contextmanager
def open_reader(stream: BinaryIO) -> Iterator[StataReader]:
    """A pandas reader that leaves the values as stored (codes, not value labels)."""
    reader = StataReader(
        stream,
        convert_dates=True,
        convert_categoricals=False,
        convert_missing=False,
        preserve_dtypes=True,
        compression=None,
    )
    with reader:
        yield reader


def read_labels(reader: StataReader, source: SourceFile) -> list[str]:
    """The variable names in file order (reads the header)."""
    with stata_errors(source, FIRST_ROW - 1, FIRST_ROW - 1, "cannot read the .dta header"):
        return list(reader.variable_labels())


def iter_frames(
    reader: StataReader, stream: BinaryIO, source: SourceFile, chunk_rows: int
) -> Iterator[tuple[pd.DataFrame, int]]:
    """The observations as frames of at most ``chunk_rows`` rows, and where each one ends."""
    first = FIRST_ROW
    while True:
        last = first + chunk_rows - 1
        try:
            with stata_errors(source, first, last, "cannot read the observations"):
                frame = reader.read(nrows=chunk_rows)  # type: ignore[attr-defined]  # not in pandas-stubs
                end = stream.tell()
                if first == FIRST_ROW:
                    # pandas re-reads the strL table before every chunk (a full pass over a
                    # zip member) until it has read the value labels; read them once here.
                    reader.value_labels()
        except StopIteration:
            return
        yield frame, end
        first += len(frame)


@contextmanager
def stata_errors(source: SourceFile, first: int, last: int, what: str) -> Iterator[None]:
    """Turn pandas' failures on a bad ``.dta`` into one-line source errors."""
    where = f"row {first}" if first == last else f"rows {first} to {last}"
    try:
        with warnings.catch_warnings():
            # pandas decodes bad UTF-8 as latin-1 with a warning; fail instead, as for CSV.
            warnings.simplefilter("error", UnicodeWarning)
            yield
    except UnicodeWarning as exc:
        raise StataEncodingProblem(source, first, last) from exc
    except READ_ERRORS as exc:
        raise SourceError(f"{source.path}: {where}: {what} ({one_line(exc)})") from exc


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message on one line, shortened."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def frame_to_text(
    frame: pd.DataFrame, labels: list[str], source: SourceFile, first: int
) -> pa.RecordBatch:
    """Every column of a chunk as CSV-style text."""
    where = (first, first + len(frame) - 1)
    with stata_errors(source, *where, "cannot convert the values to text"):
        arrays = [column_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return pa.RecordBatch.from_arrays(arrays, names=labels)


def column_text(values: pd.Series) -> pa.Array:
    """One column as text: dates ISO, numbers decimal, strings as they are, missing ``""``."""
    kind = values.dtype.kind
    if kind == "M":
        text = date_text(values.to_numpy())
    elif kind in "iub":
        text = pc.cast(pa.array(values.to_numpy()), pa.string())
    elif kind == "f":
        text = number_text(values.to_numpy())
    else:
        text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    return pc.fill_null(text, "")


def date_text(values: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD`` when every value is a whole day (``%td``), else a full time stamp."""
    days = values.astype("datetime64[D]")
    known = ~np.isnat(values)
    if np.array_equal(days[known], values[known]):
        return pc.cast(pa.array(days, from_pandas=True), pa.string())
    return pc.cast(pa.array(values, from_pandas=True), pa.string())


def number_text(values: np.ndarray) -> pa.Array:
    """Floats as text: whole numbers without a decimal point (Stata has no integer NaN)."""
    known = values[~np.isnan(values)]
    whole = np.array_equal(known, np.trunc(known)) and bool(np.all(np.abs(known) < 2.0**63))
    array = pa.array(values, from_pandas=True)
    if whole:
        array = pc.cast(array, pa.int64())
    return pc.cast(array, pa.string())
