"""Putting a table's rows in key order (``app_id``, then ``ifw_number``) in bounded memory.

Rows are spread over bucket files by the first characters of ``app_id`` (application
numbers are 8 digits, so these prefixes are ranges of numbers), each batch sorted before it
is cut, so every bucket file holds sorted runs. The buckets are then read back one at a
time, in prefix order, and sorted: only one bucket is ever in memory. The spill files are
the sorter's own scratch space, deleted as each bucket is read.
"""

from __future__ import annotations

import resource
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
SPILL_BUFFER_BYTES = 64 << 20  # rows gathered per bucket before a write
MAX_OPEN_FILES = 1000  # at most; less when the process may not open that many
IPC_OPTIONS = pa.ipc.IpcWriteOptions()  # uncompressed: cheaper than lz4 on local disk


SORT_ORDER = [(name, "ascending") for name in SORT_KEYS]


@dataclass
class BucketSorter:
    """Accepts batches in any order; yields the rows sorted by :data:`SORT_KEYS`."""

    folder: Path
    schema: pa.Schema
    writers: OrderedDict = field(default_factory=OrderedDict)  # bucket -> open IPC writer
    parts: dict[str, list[Path]] = field(default_factory=dict)  # bucket -> its files
    files_made: int = 0
    pending: dict[str, list[pa.RecordBatch]] = field(default_factory=dict)  # not yet on disk
    pending_bytes: int = 0
    buffer_bytes: int = SPILL_BUFFER_BYTES

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, batch: pa.RecordBatch) -> None:
        """Group a batch's rows by bucket and append each group to its bucket's file."""
        if batch.num_rows == 0:
            return
        codes = pc.dictionary_encode(
            pc.utf8_slice_codeunits(batch.column("app_id"), 0, PREFIX_CHARS)
        )
        names = codes.dictionary.to_pylist()
        index = codes.indices.to_numpy()
        order = np.argsort(index, kind="stable")
        grouped = batch.take(pa.array(order))
        bounds = np.searchsorted(index[order], np.arange(len(names) + 1))
        for code, name in enumerate(names):
            start, end = bounds[code], bounds[code + 1]
            self.pending.setdefault(name, []).append(grouped.slice(start, end - start))
        self.pending_bytes += grouped.nbytes
        if self.pending_bytes >= self.buffer_bytes:
            self.flush()

    def flush(self) -> None:
        """Write every bucket's pending rows to its file, one write per bucket."""
        for name, batches in self.pending.items():
            self.writer(name).write_table(pa.Table.from_batches(batches).combine_chunks())
        self.pending.clear()
        self.pending_bytes = 0

    def writer(self, bucket: str) -> pa.ipc.RecordBatchStreamWriter:
        """The open writer of a bucket; the least recently used is closed past the limit."""
        if bucket in self.writers:
            self.writers.move_to_end(bucket)
            return self.writers[bucket]
        if len(self.writers) >= open_file_budget():
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
        self.flush()
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()
        for bucket in sorted(self.parts):
            table = pa.concat_tables(read_stream(path) for path in self.parts[bucket])
            yield from sort_table(table).to_batches()
            for path in self.parts[bucket]:
                path.unlink()
        shutil.rmtree(self.folder, ignore_errors=True)


def sort_table(table: pa.Table) -> pa.Table:
    """The rows in key order. Application numbers are 8 digits, so within a bucket they
    sort as integers, which is several times faster than comparing text."""
    try:
        numbers = pc.cast(table.column(SORT_KEYS[0]), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return table.sort_by(SORT_ORDER).combine_chunks()
    keyed = pa.table({"number": numbers, "rest": table.column(SORT_KEYS[1])})
    lengths = pc.utf8_length(table.column(SORT_KEYS[0]))
    if pc.min(lengths).as_py() != pc.max(lengths).as_py():  # same length: same order
        return table.sort_by(SORT_ORDER).combine_chunks()
    order = pc.sort_indices(keyed, sort_keys=[("number", "ascending"), ("rest", "ascending")])
    return table.take(order).combine_chunks()


def open_file_budget() -> int:
    """How many bucket files may be open at once, leaving room for everything else."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(MAX_OPEN_FILES, soft - 128))


def read_stream(path: Path) -> pa.Table:
    with pa.ipc.open_stream(str(path)) as reader:
        return reader.read_all()
