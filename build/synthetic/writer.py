"""Writing: CSV formatting with Arrow kernels, and one zip writer thread per table."""

from __future__ import annotations

import queue
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.schema import load_schema

ZIP_DATE_TIME = (2017, 11, 29, 0, 0, 0)  # the release date, so that output is reproducible


def schema_columns(table: str) -> list[str]:
    """The table's column names, in schema (and file) order."""
    return load_schema(table).field_names


def csv_lines(columns: Sequence[pa.Array], eol: str = "\n") -> pa.Buffer:
    """CSV text of string columns already quoted where needed; nulls become empty fields."""
    args: list[pa.Array | str] = []
    for column in columns:
        args += [column, ","]
    args[-1] = eol
    lines = pc.binary_join_element_wise(*args, "", null_handling="replace", null_replacement="")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][first:last]


@dataclass
class TableStats:
    """What was written for one table."""

    rows: int = 0
    csv_bytes: int = 0
    zip_bytes: int = 0


class TableWriter:
    """Streams one table's CSV chunks into the single member of its zip, on its own thread.

    Formatting (Arrow) and deflate (zlib) release the GIL, so they overlap with generation.
    """

    def __init__(
        self, path: Path, table: str, compresslevel: int, eol: str = "\n", comment: bytes = b""
    ) -> None:
        self.path, self.columns, self.eol = path, schema_columns(table), eol
        self.stats = TableStats()
        self.error: BaseException | None = None
        self.queue: queue.Queue[list[pa.Array] | None] = queue.Queue(maxsize=2)
        self.zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self.zip.comment = comment
        member = zipfile.ZipInfo(f"{table}.csv", date_time=ZIP_DATE_TIME)
        member.compress_type = zipfile.ZIP_DEFLATED
        level_slot = "compress_level" if hasattr(member, "compress_level") else "_compresslevel"
        setattr(member, level_slot, compresslevel)  # Python 3.13 renamed the attribute
        self.member = self.zip.open(member, "w", force_zip64=True)
        self._write((",".join(self.columns) + eol).encode())
        self.thread = threading.Thread(target=self._run, name=f"write-{table}", daemon=True)
        self.thread.start()

    def _write(self, data: bytes | pa.Buffer) -> None:
        self.member.write(data)
        self.stats.csv_bytes += len(data)

    def _run(self) -> None:
        while (columns := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._write(csv_lines(columns, self.eol))
                    self.stats.rows += len(columns[0])
                except BaseException as error:  # re-raised by put() or close()
                    self.error = error

    def put(self, columns: dict[str, pa.Array]) -> None:
        """Queue one chunk (columns in schema order) for writing."""
        if self.error is not None:
            raise self.error
        if list(columns) != self.columns:
            raise ValueError(f"{self.path.name}: columns {list(columns)} != {self.columns}")
        self.queue.put(list(columns.values()))

    def close(self) -> TableStats:
        """Finish the member and the zip; return what was written."""
        self.queue.put(None)
        self.thread.join()
        self.member.close()
        self.zip.close()
        if self.error is not None:
            raise self.error
        self.stats.zip_bytes = self.path.stat().st_size
        return self.stats
