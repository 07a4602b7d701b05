"""Writing the Stata (``.dta``) distribution of the tables, for tests and samples.

Converts one table of the CSV zips to a ``.dta`` zip with Stata types (``str#`` sized to the
data, ``%td`` dates, bytes for flags), as :mod:`ptoffact_build.read.stata_reader` reads it.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
import zipfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.errors import InvalidColumnName

from ptoffact_build.errors import SourceError, UsageError
from ptoffact_build.read.csv_reader import read_csv_file
from ptoffact_build.read.sources import SourceFile, classify
from ptoffact_build.read.stata_reader import one_line
from ptoffact_build.schema import TABLES, Field, TableSchema, load_schema

if TYPE_CHECKING:
    from pandas._typing import StataDateFormat

DTA_VERSION: Literal[118] = 118  # Stata 14+: UTF-8 strings, str1 to str2045, strL beyond
RELEASED = datetime(2017, 11, 29)  # the dataset's release: a fixed time stamp, stable bytes
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


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
