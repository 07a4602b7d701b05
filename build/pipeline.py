"""Running the tables through read → check → write, in dependency order.

Data flows one way: source files → text batches → checked, typed batches → writers. What a
table shares with later tables (its key index, its kept keys, a column's distinct values) is
derived from the schemas' foreign keys and the quirk measures' lookups
(:mod:`ptoffact_build.check.references`); nothing here names a table.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check import findings as F
from ptoffact_build.check.cells import to_mask
from ptoffact_build.check.checker import CheckedBatch, TableChecker, label_findings
from ptoffact_build.check.findings import Finding, FindingLog, FindingsFile
from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.check.quirks import quirk_lookups, quirks_for
from ptoffact_build.check.references import Lookup, Needs, References, needs_of
from ptoffact_build.check.statistics import BuildStatistics
from ptoffact_build.errors import UsageError
from ptoffact_build.pools import pool
from ptoffact_build.progress import RowProgress
from ptoffact_build.read.csv_reader import (
    DEFAULT_CHUNK_BYTES,
    EncodingProblem,
    RawBatch,
    read_csv_file,
)
from ptoffact_build.read.readahead import prefetch
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.schema import TABLES, TableSchema, load_schema
from ptoffact_build.stopwatch import Stopwatch

POLICIES = ("fail", "quarantine")
# Runs of written rows (16 MB each) the statistics may lag behind the last table's writer, so
# a slow run of theirs does not hold it up: it writes once every table was checked, when the
# memory that checking held is free. Earlier tables are written while the next is checked, at
# the build's peak memory: their statistics keep pace (one run).
LAST_TABLE_RUNS_QUEUED = 8
OBSERVED_ROWS = 1 << 16  # rows the statistics take in at least, where the writer's are fewer
T = TypeVar("T")
CASCADE_NOTE = "the referenced row was quarantined"


class TableSink(Protocol):
    """Where the valid rows and the quarantined rows of one table go.

    The quarantined ``text`` holds the row's cells as read, then ``extra_cells`` (the cells
    beyond the header's width, a JSON list) and ``cascaded`` (true when the row's only fault
    is that the row it refers to was quarantined).
    """

    def write(self, batch: pa.RecordBatch) -> None: ...

    def quarantine(
        self, file: str, rows: pa.Array, reasons: pa.Array, text: pa.RecordBatch
    ) -> None: ...

    def table_done(self, watch: Stopwatch, feed: RowFeed | None = None) -> None: ...


class RowObserver(Protocol):
    """Something shown each table's valid rows as they are checked (``verify --rows``)."""

    def observe(self, table: str, file: str, rows: np.ndarray, typed: pa.RecordBatch) -> None:
        """The next valid rows of ``table`` read from ``file``: their row numbers there and
        the rows typed as the release's Arrow schema (called on the checking thread)."""


class RowFeed(Protocol):
    """Something shown each valid row as the sink writes it, in the order written."""

    def observe(self, batches: list[pa.RecordBatch]) -> None:
        """The next rows written (a run of batches, some MB together)."""

    def finish(self) -> None:
        """After the last batch (on the thread that wrote it)."""


@dataclass
class TableResult:
    """What happened to one table."""

    name: str
    sources: list[SourceFile]
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_cascaded: int = 0
    unreadable: bool = False  # bytes that are not UTF-8 stopped the table
    header_faulty: bool = False  # its rows were read by position; never published
    quirks: dict = field(default_factory=dict)
    distinct: dict[str, int] = field(default_factory=dict)  # distinct values of shared columns
    statistics: dict = field(default_factory=dict)  # see ptoffact_build.check.statistics


@dataclass
class RunResult:
    """What a validation or build run found."""

    policy: str
    tables: dict[str, TableResult]
    log: FindingLog
    watch: Stopwatch = field(default_factory=Stopwatch)
    statistics: bool = True  # whether the card's statistics were computed (build only)

    @property
    def ok(self) -> bool:
        """True when the release may be published under the policy."""
        if any(t.unreadable or t.header_faulty for t in self.tables.values()):
            return False
        return self.policy == "quarantine" or self.log.total == 0

    def findings(self) -> list[Finding]:
        return self.log.everything


def read_batches(source: SourceFile, chunk_bytes: int) -> Iterator[RawBatch]:
    """The text batches of one source file, whatever its format."""
    if source.is_stata:
        from ptoffact_build.read.stata_reader import read_stata_file

        return read_stata_file(source)
    return read_csv_file(source, chunk_bytes)


@dataclass
class TableRun:
    """Checks one table and hands its rows to a sink."""

    schema: TableSchema
    policy: str
    log: FindingLog
    shared: References
    sink: TableSink | None
    result: TableResult
    watch: Stopwatch
    kept_keys: list[pa.Array] = field(default_factory=list)
    quirks_line: InOrder = field(init=False)
    statistics: BuildStatistics | None = None
    statistics_line: InOrder = field(init=False)
    observer: RowObserver | None = None  # shown the valid rows (verify --rows)
    measures: bool = True  # False: no quirk measures (verify --rows re-checks rows only)

    def __post_init__(self) -> None:
        self.quirks_line = InOrder("quirks", self.watch)
        self.statistics_line = InOrder("statistics", self.watch)
        self.checker = TableChecker(self.schema, references=self.shared.keys)
        self.quirks = quirks_for(self.schema.name, self.shared.columns)
        self.arrow_schema = self.schema.arrow
        self.needs = needs_of_later_tables(self.schema.name)
        self.keep_kept_keys = self.needs.kept_keys and self.policy == "quarantine"
        values = self.needs.values if self.measures else ()
        self.values: dict[str, list[pa.Array]] = {name: [] for name in values}

    def run_file(self, source: SourceFile, chunk_bytes: int, progress: RowProgress) -> None:
        try:
            batches = self.watch.timed("read (worker thread)", read_batches(source, chunk_bytes))
            for i, raw in enumerate(prefetch(batches)):
                if i == 0:
                    self.check_labels(raw)
                with self.watch.stage("check"):
                    checked_batches = self.checker.check(raw)
                for checked in checked_batches:
                    self.take(checked)
                progress.advance(len(raw.rows) + len(raw.bad_rows), raw.nbytes)
        except EncodingProblem as problem:
            note = "bytes that are not UTF-8"
            self.log.add(
                Finding(
                    self.schema.name,
                    source.path.name,
                    problem.row,
                    None,
                    F.ENCODING_ERROR,
                    None,
                    note,
                )
            )
            self.result.unreadable = True

    def check_labels(self, raw: RawBatch) -> None:
        """Log header findings; the rows are then read by position, as frictionless does."""
        found = label_findings(self.schema.name, raw.source.path.name, raw.labels, self.schema)
        for finding in found:
            self.log.add(finding)
        if found:
            self.result.header_faulty = True

    def take(self, checked: CheckedBatch) -> None:
        """Log a checked batch's findings and send its rows where they belong."""
        for b in checked.blocks:
            self.log.add_block(self.schema.name, checked.file, checked.rows, b)
        bad = checked.bad.copy()
        cascaded = self.cascade(checked.table) & ~bad if self.policy == "quarantine" else None
        if cascaded is not None:
            bad |= cascaded
            self.result.rows_cascaded += int(cascaded.sum())
        kept = checked.table.filter(pa.array(~bad)) if bad.any() else checked.table
        typed = cast_to(kept, self.arrow_schema)
        self.result.rows_read += checked.table.num_rows
        self.result.rows_valid += typed.num_rows
        if self.observer is not None:
            self.observer.observe(self.schema.name, checked.file, checked.rows[~bad], typed)
        self.observe_quirks(typed)
        self.observe_statistics(typed)
        if self.keep_kept_keys:
            self.kept_keys.append(typed.column(self.schema.primary_key[0]))
        if self.sink is None:
            return
        with self.watch.stage("write: spill in key order"):
            self.sink.write(typed)
        if bad.any():
            self.quarantine(checked, bad, cascaded)

    def observe_quirks(self, typed: pa.RecordBatch) -> None:
        """Measure quirks on a worker thread, one batch at a time, in order."""
        if self.measures:
            self.quirks_line.submit(self.timed_observe, typed)

    def timed_observe(self, typed: pa.RecordBatch) -> None:
        with self.watch.stage("quirks (worker thread)"):
            self.quirks.observe(typed)
            for name, chunks in self.values.items():
                chunks.append(pc.unique(typed.column(name)))

    def observe_statistics(self, typed: pa.RecordBatch) -> None:
        """Feed the statistics on their own worker thread, one batch at a time, in order."""
        if self.statistics is not None:
            self.statistics_line.submit(self.timed_statistics, typed)

    def timed_statistics(self, typed: pa.RecordBatch) -> None:
        assert self.statistics is not None  # only submitted when there are statistics
        with self.watch.stage("statistics (worker thread)"):
            self.statistics.observe_checked(self.schema.name, typed)

    def written_statistics(self) -> WrittenStatistics | None:
        """What the sink shows the rows it writes: the rest of the statistics."""
        if self.statistics is None:
            return None
        last = self.schema.name == TABLES[-1]
        depth = LAST_TABLE_RUNS_QUEUED if last else 1
        return WrittenStatistics(self.statistics, self.result, self.watch, depth)

    def cascade(self, typed: pa.RecordBatch) -> np.ndarray:
        """Rows whose reference exists but whose referenced row was quarantined."""
        mask = np.zeros(typed.num_rows, bool)
        for fk in self.schema.foreign_keys:
            kept = self.shared.kept.get(fk["reference"]["resource"])
            if kept is None:
                continue
            values = typed.column(fk["fields"][0])
            mask |= to_mask(pc.is_valid(values)) & ~kept.contains(values)
        return mask

    def quarantine(
        self, checked: CheckedBatch, bad: np.ndarray, cascaded: np.ndarray | None
    ) -> None:
        assert self.sink is not None  # only rows being written are quarantined
        index = np.flatnonzero(bad)
        reasons = reasons_for(checked, index, cascaded)
        rows = pa.array(checked.rows[index])
        self.sink.quarantine(
            checked.file, rows, reasons, quarantined_text(checked, index, cascaded)
        )
        self.result.rows_quarantined += len(index)

    def finish(self) -> None:
        self.quirks_line.wait()
        self.statistics_line.wait()
        with self.watch.stage("quirks"):
            if self.measures:
                self.result.quirks = self.quirks.summary()
            if self.statistics is not None:
                self.statistics.take_from_quirks(self.quirks)
                self.result.statistics = self.statistics.checked_summary(self.schema.name)

    def share(self) -> None:
        """Index what later tables look up in this table (None for an unreadable one)."""
        if self.needs == Needs():
            return
        with self.watch.stage("index keys"):
            readable = not self.result.unreadable
            name = self.schema.name
            if self.needs.keys:
                keys = self.checker.all_keys() if readable else None
                self.shared.keys[name] = keys
                self.shared.columns[Lookup(name, self.schema.primary_key[0])] = keys
            if self.needs.kept_keys:
                self.shared.kept[name] = self.kept_key_index() if readable else None
            for column in self.values:
                index = self.distinct_values(column) if readable else None
                self.shared.columns[Lookup(name, column)] = index
                if index is not None:
                    self.result.distinct[column] = len(index)

    def kept_key_index(self) -> KeyIndex | None:
        """The keys of the rows kept, under quarantine (else None: nothing cascades)."""
        if not self.keep_kept_keys:
            return None
        key_type = self.arrow_schema.field(self.schema.primary_key[0]).type
        return KeyIndex.build(pa.chunked_array(self.kept_keys, key_type))

    def distinct_values(self, column: str) -> KeyIndex:
        """The distinct values of a column among the valid rows."""
        chunks = pa.chunked_array(self.values[column], self.arrow_schema.field(column).type)
        return KeyIndex.build(pc.unique(chunks.combine_chunks()))


def needs_of_later_tables(table: str) -> Needs:
    """What the tables after ``table`` need of it (foreign keys and quirk lookups)."""
    later = TABLES[TABLES.index(table) + 1 :]
    lookups = [lookup for t in later for lookup in quirk_lookups(t)]
    return needs_of(load_schema(table), [load_schema(t) for t in later], lookups)


@dataclass
class InOrder:
    """Work on one worker thread (the pool ``name``) while the next batch is checked (or
    written), in order. At most ``depth`` batches are queued or in work: a submission first
    waits for the oldest beyond that (the stage ``waiting``, by default "wait for <name>")."""

    name: str
    watch: Stopwatch
    waiting: str = ""
    depth: int = 1
    pending: deque[Future] = field(default_factory=deque)

    def submit(self, work: Callable[[T], None], batch: T) -> None:
        with self.watch.stage(self.waiting or f"wait for {self.name}"):
            while len(self.pending) >= self.depth:
                self.pending.popleft().result()
        self.pending.append(pool(self.name).submit(work, batch))

    def wait(self) -> None:
        """Until every batch submitted is done (the first error, if any, raised here)."""
        while self.pending:
            self.pending.popleft().result()


@dataclass
class WrittenStatistics:
    """The statistics measured on a table's rows as its writer writes them (in key order),
    on a thread of their own; their summary joins the table's result after the last row."""

    statistics: BuildStatistics
    result: TableResult
    watch: Stopwatch
    depth: int = 1  # runs the statistics may lag behind the writer
    line: InOrder = field(init=False)

    def __post_init__(self) -> None:
        waiting = "write: wait for statistics"
        self.line = InOrder("written-statistics", self.watch, waiting, self.depth)

    def observe(self, batches: list[pa.RecordBatch]) -> None:
        self.line.submit(self.timed_observe, batches)

    def timed_observe(self, batches: list[pa.RecordBatch]) -> None:
        with self.watch.stage("statistics of written rows (worker thread)"):
            for batch in gathered(batches):
                self.statistics.observe_written(self.result.name, batch)

    def finish(self) -> None:
        self.line.wait()
        with self.watch.stage("statistics of written rows: summary"):
            self.result.statistics.update(self.statistics.written_summary(self.result.name))


def gathered(batches: list[pa.RecordBatch], rows: int = OBSERVED_ROWS) -> Iterator[pa.RecordBatch]:
    """The batches in order, small neighbours joined until ``rows`` (a few calls per column
    for many rows; a batch that big already is not copied)."""
    group: list[pa.RecordBatch] = []
    for i, batch in enumerate(batches):
        group.append(batch)
        if sum(b.num_rows for b in group) >= rows or i == len(batches) - 1:
            yield group[0] if len(group) == 1 else pa.concat_batches(group)
            group = []


def quarantined_text(
    checked: CheckedBatch, index: np.ndarray, cascaded: np.ndarray | None
) -> pa.RecordBatch:
    """The quarantined rows as read, with their cut-off cells and whether they cascaded."""
    take = pa.array(index)
    text = checked.text.take(take)
    extra = pa.repeat("", len(index)) if checked.extra is None else checked.extra.take(take)
    flags = cascaded[index] if cascaded is not None else np.zeros(len(index), bool)
    return pa.RecordBatch.from_arrays(
        [*text.columns, extra, pa.array(flags)],
        names=[*text.schema.names, "extra_cells", "cascaded"],
    )


def reasons_for(checked: CheckedBatch, index: np.ndarray, cascaded: np.ndarray | None) -> pa.Array:
    """One text per quarantined row listing every finding on it."""
    parts = []
    for b in checked.blocks:
        hit = np.zeros(len(index), bool)
        hit[np.searchsorted(index, b.index)] = True
        text = f"{b.type} {b.field}: {b.note}" if b.field else f"{b.type}: {b.note}"
        parts.append(pc.if_else(pa.array(hit), pa.scalar(text), pa.scalar(None, pa.string())))
    if cascaded is not None:
        hit = cascaded[index]
        note = f"{F.FOREIGN_KEY}: {CASCADE_NOTE}"
        parts.append(pc.if_else(pa.array(hit), pa.scalar(note), pa.scalar(None, pa.string())))
    return pc.binary_join_element_wise(*parts, "; ", null_handling="skip")


def cast_to(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The checked columns in their release types (e.g. int64 → int8 where bounded)."""
    arrays = [
        column if column.type == f.type else pc.cast(column, f.type)
        for column, f in zip(batch.columns, schema, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def run_tables(
    sources: dict[str, list[SourceFile]],
    *,
    policy: str = "fail",
    sinks: Mapping[str, TableSink] | None = None,
    progress: RowProgress | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    keep_all: bool = False,
    examples_per_type: int = 20,
    findings: Path | None = None,
    statistics: bool = True,
) -> RunResult:
    """Validate (and, given sinks, write) every table in dependency order.

    With ``findings``, every finding is also streamed to that file (CSV or JSON Lines),
    which is completed even when the run stops on an error. ``statistics`` computes the
    dataset card's statistics (a build needs them; ``validate`` has no card and skips them):
    the figures' counts as rows are checked, the rest as the sinks write them (none without
    sinks).
    """
    if policy not in POLICIES:
        raise UsageError(f"--on-error must be one of {', '.join(POLICIES)}, not {policy!r}")
    out = FindingsFile(findings) if findings is not None else None
    log = FindingLog(examples_per_type=examples_per_type, keep_all=keep_all, out=out)
    try:
        return run_all_tables(sources, policy, sinks, progress, chunk_bytes, log, statistics)
    finally:
        if out is not None:
            out.close()


def run_all_tables(
    sources: dict[str, list[SourceFile]],
    policy: str,
    sinks: Mapping[str, TableSink] | None,
    progress: RowProgress | None,
    chunk_bytes: int,
    log: FindingLog,
    with_statistics: bool = True,
    *,
    observer: RowObserver | None = None,
    measures: bool = True,
) -> RunResult:
    """The tables in dependency order, each read, checked and handed to its sink.

    ``observer`` is shown every table's valid rows as they are checked; ``measures=False``
    skips the quirk measures (``verify --rows`` re-checks rows and reports no quirks)."""
    progress = progress or RowProgress.quiet()
    shared = References()
    results: dict[str, TableResult] = {}
    watch = Stopwatch()
    statistics = BuildStatistics(shared) if with_statistics else None
    for table in TABLES:
        result = TableResult(table, sources[table])
        run = TableRun(
            load_schema(table),
            policy,
            log,
            shared,
            None if sinks is None else sinks[table],
            result,
            watch,
            statistics=statistics,
            observer=observer,
            measures=measures,
        )
        progress.start(table)
        for source in sources[table]:
            run.run_file(source, chunk_bytes, progress)
        progress.finish()
        run.finish()
        worth_writing = policy == "quarantine" or log.total == 0
        publishable = not (result.unreadable or result.header_faulty)
        if sinks is not None and worth_writing and publishable:
            sinks[table].table_done(watch, run.written_statistics())
        run.share()
        results[table] = result
    return RunResult(policy, results, log, watch, statistics=with_statistics)
