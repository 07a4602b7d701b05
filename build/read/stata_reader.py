"""Reading and writing the Stata (``.dta``) distribution of the tables.

The reader turns a ``.dta`` file (bare or the single member of a zip) into the same text
batches as :func:`read.read_csv_file`, formatted as the CSV distribution writes the values,
so one validator checks both: ``%td`` dates as ``YYYY-MM-DD``, numbers as decimal text,
strings as they are, Stata missing values as ``""``. Observations are numbered from 2, as if
there were a header row, so a row number names the same record in both distributions.

The writer converts one table of the CSV zips to a ``.dta`` zip with Stata types (``str#``
sized to the data, ``%td`` dates, bytes for flags), for tests and for the sample.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.errors import InvalidColumnName
from pandas.io.stata import StataReader

from ptoffact_build.errors import SourceError, UsageError
from ptoffact_build.read.csv_reader import (
    EncodingProblem,
    RawBatch,
    empty_text_batch,
    read_csv_file,
    source_errors,
)
from ptoffact_build.read.sources import SourceFile, check_regular_file, classify
from ptoffact_build.read.streams import check_member_readable, single_member
from ptoffact_build.schema import TABLES, Field, TableSchema, load_schema

if TYPE_CHECKING:
    from pandas._typing import StataDateFormat

DEFAULT_CHUNK_ROWS = 500_000
DTA_VERSION: Literal[118] = 118  # Stata 14+: UTF-8 strings, str1 to str2045, strL beyond
RELEASED = datetime(2017, 11, 29)  # the dataset's release: a fixed time stamp, stable bytes
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
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


# --- reading -----------------------------------------------------------------------------


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


# --- writing -----------------------------------------------------------------------------


def write_stata_zip(csv_zip: Path, out_zip: Path) -> Path:
    """Convert one table's CSV zip into a ``.dta`` zip holding ``<table>.dta``."""
    source = classify(Path(csv_zip))
    if source is None or source.is_stata:
        raise UsageError(f"{csv_zip}: not a table's CSV file (e.g. office_actions.csv.zip)")
    schema = load_schema(source.table)
    labels, text = read_csv_text(source)
    frame = stata_frame(labels, text, schema, source)
    dates: dict[str, StataDateFormat] = {
        f.name: "td" for f in schema.fields if f.type == "date" and f.name in labels
    }
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_zip.parent) as tmp:
        dta = Path(tmp) / f"{source.table}.dta"
        to_dta(frame, dta, dates)
        part = Path(tmp) / out_zip.name
        zip_one(dta, part)
        part.replace(out_zip)
    return out_zip


def write_stata_sample(csv_folder: Path, out_folder: Path) -> dict[str, Path]:
    """Convert every table's ``<table>.csv.zip`` in ``csv_folder`` to ``<table>.dta.zip``."""
    zips = [s for p in sorted(Path(csv_folder).iterdir()) if (s := classify(p))]
    by_table = {s.table: s.path for s in zips if s.kind == "csv.zip"}
    missing = [t for t in TABLES if t not in by_table]
    if missing:
        raise SourceError(f"{csv_folder}: no CSV zip for {', '.join(missing)}")
    out = Path(out_folder)
    return {t: write_stata_zip(by_table[t], out / f"{t}.dta.zip") for t in TABLES}


def read_csv_text(source: SourceFile) -> tuple[list[str], pa.Table]:
    """A whole CSV source as one text table (to_stata needs the whole frame anyway)."""
    labels: list[str] = []
    batches: list[pa.RecordBatch] = []
    for raw in read_csv_file(source):
        if raw.bad_rows:
            bad = raw.bad_rows[0]
            raise SourceError(f"{source.path}: row {bad.row} has {len(bad.cells)} cells")
        labels = raw.labels
        batches.append(raw.columns)
    return labels, pa.Table.from_batches(batches)


def stata_frame(
    labels: list[str], text: pa.Table, schema: TableSchema, source: SourceFile
) -> pd.DataFrame:
    """The typed frame to write: columns in file order, typed by the schema."""
    known = set(schema.field_names)
    columns = {}
    for i, name in enumerate(labels):
        field = schema.field(name) if name in known else None
        try:
            columns[name] = stata_column(text.column(i), field)
        except (pa.ArrowInvalid, ValueError) as exc:
            raise SourceError(f"{source.path}: column {name}: {one_line(exc)}") from exc
    return pd.DataFrame(columns)


def stata_column(text: pa.ChunkedArray, field: Field | None) -> pd.Series:
    """One text column as the pandas type that becomes its Stata type."""
    kind = field.type if field else "string"
    if kind == "string":
        return pd.Series(text.to_numpy(), dtype=object)
    given = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if kind == "date":
        return pd.Series(pc.cast(pc.cast(given, pa.date32()), pa.timestamp("s")).to_numpy())
    assert field is not None
    if kind == "boolean":
        return nullable_ints(boolean_codes(given, field), pa.int8())
    if kind == "integer":
        numbers = pc.cast(given, pa.int64())
        return nullable_ints(numbers, stata_integer_type(numbers, field))
    raise ValueError(f"type {kind!r} has no Stata mapping")


def boolean_codes(given: pa.ChunkedArray, field: Field) -> pa.ChunkedArray:
    """1 for a true value, 0 for a false one, null for missing; other text is an error."""
    true = pc.is_in(given, pa.array(field.true_values))
    false = pc.is_in(given, pa.array(field.false_values))
    stray = pc.and_(pc.is_valid(given), pc.invert(pc.or_(true, false)))
    if pc.any(stray).as_py():
        raise ValueError(f"not a boolean: {given.filter(stray)[0].as_py()!r}")
    codes = pc.if_else(true, 1, 0).cast(pa.int8())
    return pc.if_else(pc.is_valid(given), codes, pa.scalar(None, pa.int8()))


def stata_integer_type(numbers: pa.ChunkedArray, field: Field) -> pa.DataType:
    """byte for fields the schema bounds within int8, else Stata int, else long."""
    if field.within_int8:
        return pa.int8()
    bounds = pc.min_max(numbers)
    low, high = bounds["min"].as_py() or 0, bounds["max"].as_py() or 0
    return pa.int16() if low >= -32767 and high <= 32740 else pa.int32()


def nullable_ints(numbers: pa.ChunkedArray, kind: pa.DataType) -> pd.Series:
    """A pandas nullable integer column (missing values become Stata's ``.``)."""
    dtypes = {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype()}
    return pc.cast(numbers, kind).to_pandas(types_mapper=dtypes.get)


def to_dta(frame: pd.DataFrame, path: Path, dates: dict[str, StataDateFormat]) -> None:
    """Write a frame as a ``.dta`` file; a column name Stata would change is an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", InvalidColumnName)
            frame.to_stata(
                path,
                convert_dates=dates,
                write_index=False,
                version=DTA_VERSION,
                time_stamp=RELEASED,
            )
    except InvalidColumnName as exc:
        raise UsageError(f"{path.name}: {one_line(exc)}") from exc


def zip_one(member: Path, out_zip: Path) -> None:
    """Zip one file under its own name, with a fixed time stamp (same input, same bytes)."""
    info = zipfile.ZipInfo(member.name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(out_zip, "w") as archive,
        open(member, "rb") as data,
        archive.open(info, "w") as target,
    ):
        shutil.copyfileobj(data, target, 1 << 20)
