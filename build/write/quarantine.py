"""The quarantine file of a table: rows that failed validation, with where and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv

from ptoffact_build.filerecord import FileRecord, record_of


@dataclass
class QuarantineCsv:
    """Rows that failed validation, as read, with their row numbers and reasons."""

    path: Path
    rows: int = 0
    writer: pcsv.CSVWriter | None = None

    def write(self, file: str, rows: pa.Array, reasons: pa.Array, text: pa.RecordBatch) -> None:
        batch = pa.RecordBatch.from_arrays(
            [pa.array([file] * len(rows), pa.string()), rows, reasons, *text.columns],
            names=["source_file", "source_row", "reasons", *text.schema.names],
        )
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.writer = pcsv.CSVWriter(
                str(self.path),
                batch.schema,
                write_options=pcsv.WriteOptions(quoting_style="needed"),
            )
        self.writer.write_batch(batch)
        self.rows += len(rows)

    def close(self) -> FileRecord | None:
        if self.writer is None:
            return None
        self.writer.close()
        return record_of(self.path, self.rows)
