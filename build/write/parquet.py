"""The Parquet copy of a table: zstd shards of bounded size, row groups of fixed rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ptoffact_build.filerecord import FileRecord, record_of

SHARD_BYTES = 500 << 20
ROW_GROUP_BYTES = 128 << 20


@dataclass
class ParquetShards:
    """Writes a table as ``train-XXXXX-of-YYYYY.parquet`` shards of bounded size.

    Row groups hold a fixed number of rows, set from the first batch's bytes per row, so
    the same source always gives the same files. Each file's key-value metadata holds
    ``key_value`` (the ptoffact version and build id, set by the release).
    """

    folder: Path
    schema: pa.Schema
    shard_bytes: int = SHARD_BYTES
    row_group_bytes: int = ROW_GROUP_BYTES
    sorting_columns: tuple[str, ...] = ()
    rows_per_group: int = 0
    buffered: list[pa.RecordBatch] = field(default_factory=list)
    buffered_rows: int = 0
    writer: pq.ParquetWriter | None = None
    shard_rows: list[int] = field(default_factory=list)
    shard_bytes_in: int = 0
    key_value: dict[str, str] = field(default_factory=dict)  # e.g. the ptoffact build id

    def write(self, batch: pa.RecordBatch) -> None:
        """Add rows; full row groups are written as soon as they are complete."""
        if batch.num_rows == 0:
            return
        if not self.rows_per_group:
            per_row = max(1, batch.nbytes // batch.num_rows)
            self.rows_per_group = max(1, self.row_group_bytes // per_row)
        self.buffered.append(batch)
        self.buffered_rows += batch.num_rows
        while self.buffered_rows >= self.rows_per_group:
            self.flush(self.rows_per_group)

    def flush(self, rows: int) -> None:
        """Write the first ``rows`` buffered rows as one row group."""
        table = pa.Table.from_batches(self.buffered, self.schema)
        group, rest = table.slice(0, rows), table.slice(rows)
        writer = self.shard_writer()
        writer.write_table(group, row_group_size=rows)
        self.shard_rows[-1] += group.num_rows
        self.shard_bytes_in += group.nbytes
        self.buffered = rest.to_batches()
        self.buffered_rows = rest.num_rows
        if self.shard_bytes_in >= self.shard_bytes:
            self.close_shard()

    def shard_writer(self) -> pq.ParquetWriter:
        if self.writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"part-{len(self.shard_rows):05d}.parquet"
            self.writer = pq.ParquetWriter(
                path,
                self.schema,
                compression="zstd",
                write_page_index=True,
                write_statistics=True,
                sorting_columns=self.sorting(),
            )
            self.shard_rows.append(0)
            self.shard_bytes_in = 0
        return self.writer

    def sorting(self) -> list[pq.SortingColumn] | None:
        if not self.sorting_columns:
            return None
        names = self.schema.names
        return [pq.SortingColumn(names.index(c)) for c in self.sorting_columns]

    def close_shard(self) -> None:
        if self.writer is not None:
            if self.key_value:
                self.writer.add_key_value_metadata(self.key_value)
            self.writer.close()
            self.writer = None

    def close(self) -> list[FileRecord]:
        """Write what is buffered, close, and give the shards their final names."""
        if self.buffered_rows:
            self.flush(self.buffered_rows)
        self.close_shard()
        if not self.shard_rows:  # an empty table still gets one (empty) shard
            self.shard_writer()
            self.close_shard()
        total = len(self.shard_rows)
        written = []
        for i, rows in enumerate(self.shard_rows):
            final = self.folder / f"train-{i:05d}-of-{total:05d}.parquet"
            (self.folder / f"part-{i:05d}.parquet").rename(final)
            written.append(record_of(final, rows))
        return written
