"""A release's Parquet shards as the describe stage reads them: footers, queries, key order.

The footers answer what they hold exactly: rows per row group, and per column the NULL
cells, minimum and maximum (a column chunk whose statistics are missing, e.g. a value too
long for them, is measured by a query instead). Everything else is a Polars lazy query over
the shards (:meth:`Shards.scan`), or, for the one count that needs each application's rows
together, a pass over the rows in key order (:func:`key_groups`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from ptoffact_build.errors import SourceError

GROUP_BATCH_ROWS = 1 << 20  # rows read at a time in key order


class UnreadableRelease(SourceError):
    """A release's shards cannot be described as they are (exit 3)."""


@dataclass(frozen=True)
class ColumnFooter:
    """One column as the footers give it: NULL cells per row group, minimum and maximum of
    the non-NULL values (None where a column chunk records none: see ``complete``)."""

    nulls_per_group: tuple[int, ...]
    low: Any
    high: Any
    complete: bool  # every column chunk with a value records its minimum and maximum

    @property
    def nulls(self) -> int:
        return sum(self.nulls_per_group)


@dataclass(frozen=True)
class TableFooter:
    """A table's shards' footers: rows per row group, and each column."""

    group_rows: tuple[int, ...]
    columns: dict[str, ColumnFooter]

    @property
    def rows(self) -> int:
        return sum(self.group_rows)


def footer_of(paths: Sequence[Path], names: Sequence[str]) -> TableFooter:
    """The footers of a table's shards, in order."""
    groups = []
    for path in paths:
        metadata = pq.ParquetFile(path).metadata
        index = {metadata.schema.column(i).name: i for i in range(metadata.num_columns)}
        missing = [name for name in names if name not in index]
        if missing:
            raise UnreadableRelease(f"{path}: no column {missing[0]!r}")
        for g in range(metadata.num_row_groups):
            group = metadata.row_group(g)
            groups.append((group.num_rows, [group.column(index[n]) for n in names]))
    columns = {
        name: column_footer([(rows, chunks[i]) for rows, chunks in groups], path_of(paths))
        for i, name in enumerate(names)
    }
    return TableFooter(tuple(rows for rows, _ in groups), columns)


def path_of(paths: Sequence[Path]) -> str:
    return str(paths[0].parent) if paths else "(no shard)"


def column_footer(chunks: list[tuple[int, Any]], where: str) -> ColumnFooter:
    """Combine a column's chunk statistics: NULLs summed, extremes over the chunks."""
    nulls, lows, highs, complete = [], [], [], True
    for rows, chunk in chunks:
        stats = chunk.statistics
        if stats is None or not stats.has_null_count:
            raise UnreadableRelease(f"{where}: a shard records no NULL count for a column")
        nulls.append(stats.null_count)
        if rows > stats.null_count and not stats.has_min_max:
            complete = False
        elif rows > stats.null_count:
            lows.append(stats.min)
            highs.append(stats.max)
    low = min(lows) if lows and complete else None
    high = max(highs) if highs and complete else None
    return ColumnFooter(tuple(nulls), low, high, complete)


@dataclass(frozen=True)
class Shards:
    """The Parquet shards of each table of a release, in order."""

    paths: dict[str, tuple[Path, ...]]

    def scan(self, table: str) -> pl.LazyFrame:
        """A lazy query over a table's shards."""
        return pl.scan_parquet(list(self.paths[table]), glob=False)

    def footer(self, table: str, names: Sequence[str]) -> TableFooter:
        return footer_of(self.paths[table], names)


def collect(query: pl.LazyFrame) -> pl.DataFrame:
    """Run a query with Polars' streaming engine (bounded memory on large tables)."""
    return query.collect(engine="streaming")


def key_groups(paths: Sequence[Path], key: str, columns: Sequence[str]) -> Iterator[pl.DataFrame]:
    """The rows of ``columns`` of a table's shards, in order, cut only between different
    values of ``key``, so each frame holds every row of its keys. Read by pyarrow a batch at
    a time (Polars' streaming engine, asked to keep the order, runs ahead with more memory).

    The rows must be in ascending ``key`` order without NULLs, as a release's shards are
    (they declare it in their footers); a row out of that order is :class:`UnreadableRelease`.
    """
    carried: pl.DataFrame | None = None
    last: Any = None
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(GROUP_BATCH_ROWS, columns=list(columns)):
            keys = pl.Series(batch.column(key))
            if keys.null_count() or not keys.is_sorted() or (last is not None and keys[0] < last):
                raise UnreadableRelease(f"{path}: rows are not in ascending {key} order")
            frame = pl.DataFrame(pl.from_arrow(batch))
            frame = frame if carried is None else pl.concat([carried, frame])
            last = keys[-1]
            open_rows = int((frame[key] == last).sum())  # the last key may go on
            if open_rows < len(frame):
                yield frame.head(len(frame) - open_rows)
            carried = frame.tail(open_rows)
    if carried is not None and len(carried):
        yield carried
