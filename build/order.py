"""Putting a table's rows in key order (``app_id``, then ``ifw_number``) in bounded memory.

Rows are spread over bucket files by the first characters of ``app_id`` (application
numbers are 8 digits, so these prefixes are ranges of numbers), each batch sorted before it
is cut, so every bucket file holds sorted runs. The buckets are then read back one at a
time, in prefix order, and sorted: only one bucket is ever in memory. The spill files are
the sorter's own scratch space, deleted as each bucket is read.
"""

from __future__ import annotations

import shutil
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SORT_KEYS = ("app_id", "ifw_number")
PREFIX_CHARS = 4  # about 340 buckets for the real app_id range, each well under 50 MB
MAX_OPEN_FILES = 256
IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


SORT_ORDER = [(name, "ascending") for name in SORT_KEYS]


@dataclass
class BucketSorter:
    """Accepts batches in any order; yields the rows sorted by :data:`SORT_KEYS`."""

    folder: Path
    schema: pa.Schema
    writers: OrderedDict = field(default_factory=OrderedDict)  # bucket -> open IPC writer
    parts: dict[str, list[Path]] = field(default_factory=dict)  # bucket -> its files
    files_made: int = 0

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, batch: pa.RecordBatch) -> None:
        """Sort a batch and append each of its bucket runs to that bucket's file."""
        if batch.num_rows == 0:
            return
        ordered = pa.Table.from_batches([batch]).sort_by(SORT_ORDER).combine_chunks()
        prefixes = pc.utf8_slice_codeunits(ordered.column("app_id"), 0, PREFIX_CHARS)
        prefixes = prefixes.combine_chunks().to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(np.r_[True, prefixes[1:] != prefixes[:-1]])
        ends = np.r_[starts[1:], len(prefixes)]
        for start, end in zip(starts, ends, strict=True):
            self.writer(str(prefixes[start])).write_table(ordered.slice(start, end - start))

    def writer(self, bucket: str) -> pa.ipc.RecordBatchStreamWriter:
        """The open writer of a bucket; the least recently used is closed past the limit."""
        if bucket in self.writers:
            self.writers.move_to_end(bucket)
            return self.writers[bucket]
        if len(self.writers) >= MAX_OPEN_FILES:
            _, oldest = self.writers.popitem(last=False)
            oldest.close()
        path = self.folder / f"{self.files_made:06d}.arrows"
        self.files_made += 1
        self.parts.setdefault(bucket, []).append(path)
        writer = pa.ipc.new_stream(str(path), self.schema, options=IPC_OPTIONS)
        self.writers[bucket] = writer
        return writer

    def sorted_batches(self) -> Iterator[pa.RecordBatch]:
        """Every row, in key order, one bucket at a time; the spill files are removed."""
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
        for bucket in sorted(self.parts):
            table = pa.concat_tables(read_stream(path) for path in self.parts[bucket])
            yield from table.sort_by(SORT_ORDER).combine_chunks().to_batches()
            for path in self.parts[bucket]:
                path.unlink()
        shutil.rmtree(self.folder, ignore_errors=True)


def read_stream(path: Path) -> pa.Table:
    with pa.ipc.open_stream(str(path)) as reader:
        return reader.read_all()
