"""Running the tables through read → check → write, in dependency order.

Data flows one way: source files → text batches → checked, typed batches → writers. What a
table shares with later tables (its key index, its kept keys) is derived from the schemas'
foreign keys (:mod:`ptoffact_build.check.references`); nothing here names a table.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check import findings as F
from ptoffact_build.check.cells import to_mask
from ptoffact_build.check.checker import CheckedBatch, TableChecker, label_findings
from ptoffact_build.check.findings import Finding, FindingLog, finding_log
from ptoffact_build.check.keys import KeyIndex
from ptoffact_build.check.references import Needs, References, needs_of
from ptoffact_build.errors import UsageError
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

    def table_done(self, watch: Stopwatch) -> None: ...


class RowObserver(Protocol):
    """Something shown each table's valid rows as they are checked (``verify --rows``)."""

    def observe(self, table: str, file: str, rows: np.ndarray, typed: pa.RecordBatch) -> None:
        """The next valid rows of ``table`` read from ``file``: their row numbers there and
        the rows typed as the release's Arrow schema (called on the checking thread)."""


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


@dataclass
class RunResult:
    """What a validation or build run found."""

    policy: str
    tables: dict[str, TableResult]
    log: FindingLog
    watch: Stopwatch = field(default_factory=Stopwatch)

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
    observer: RowObserver | None = None  # shown the valid rows (verify --rows)
    kept_keys: list[pa.Array] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.checker = TableChecker(self.schema, references=self.shared.keys)
        self.arrow_schema = self.schema.arrow
        self.needs = needs_of_later_tables(self.schema.name)
        self.keep_kept_keys = self.needs.kept_keys and self.policy == "quarantine"

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
        if self.keep_kept_keys:
            self.kept_keys.append(typed.column(self.schema.primary_key[0]))
        if self.observer is not None:
            self.observer.observe(self.schema.name, checked.file, checked.rows[~bad], typed)
        if self.sink is None:
            return
        with self.watch.stage("write: spill in key order"):
            self.sink.write(typed)
        if bad.any():
            self.quarantine(checked, bad, cascaded)

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

    def keep_for_later_tables(self) -> None:
        """Index what later tables look up in this table (None for an unreadable one)."""
        if self.needs == Needs():
            return
        with self.watch.stage("index keys"):
            readable = not self.result.unreadable
            name = self.schema.name
            if self.needs.keys:
                self.shared.keys[name] = self.checker.all_keys() if readable else None
            if self.needs.kept_keys:
                self.shared.kept[name] = self.kept_key_index() if readable else None

    def kept_key_index(self) -> KeyIndex | None:
        """The keys of the rows kept, under quarantine (else None: nothing cascades)."""
        if not self.keep_kept_keys:
            return None
        key_type = self.arrow_schema.field(self.schema.primary_key[0]).type
        return KeyIndex.build(pa.chunked_array(self.kept_keys, key_type))


def needs_of_later_tables(table: str) -> Needs:
    """What the tables after ``table`` need of it (their foreign keys)."""
    later = TABLES[TABLES.index(table) + 1 :]
    return needs_of(load_schema(table), [load_schema(t) for t in later])


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


@dataclass(frozen=True)
class CheckOptions:
    """How the sources are checked, by ``validate`` and ``build`` alike: the policy for rows
    that break the schema, the CSV read per batch, the ``--findings`` file, and what the
    report keeps (every finding, or the first ``examples_per_type`` of each type)."""

    policy: str = "fail"
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    findings: Path | None = None
    keep_all: bool = False
    examples_per_type: int = 20

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            choices = ", ".join(POLICIES)
            raise UsageError(f"--on-error must be one of {choices}, not {self.policy!r}")


def run_tables(
    sources: dict[str, list[SourceFile]],
    options: CheckOptions | None = None,
    sinks: Mapping[str, TableSink] | None = None,
    progress: RowProgress | None = None,
) -> RunResult:
    """Validate (and, given sinks, write) every table in dependency order, as ``options``
    say (by default: fail on any finding, 8 MiB batches).

    With ``options.findings``, every finding is also streamed to that file (CSV or JSON
    Lines), which is completed even when the run stops on an error.
    """
    options = options or CheckOptions()
    found = finding_log(options.findings, options.examples_per_type, options.keep_all)
    with found as log:
        return run_all_tables(sources, options, sinks, progress or RowProgress.quiet(), log)


def run_all_tables(
    sources: dict[str, list[SourceFile]],
    options: CheckOptions,
    sinks: Mapping[str, TableSink] | None,
    progress: RowProgress,
    log: FindingLog,
    observer: RowObserver | None = None,
) -> RunResult:
    """The tables in dependency order, each read, checked and handed to its sink;
    ``observer`` is shown every table's valid rows as they are checked."""
    shared = References()
    results: dict[str, TableResult] = {}
    watch = Stopwatch()
    for table in TABLES:
        result = TableResult(table, sources[table])
        run = TableRun(
            load_schema(table),
            options.policy,
            log,
            shared,
            None if sinks is None else sinks[table],
            result,
            watch,
            observer,
        )
        progress.start(table)
        for source in sources[table]:
            run.run_file(source, options.chunk_bytes, progress)
        progress.finish()
        worth_writing = options.policy == "quarantine" or log.total == 0
        publishable = not (result.unreadable or result.header_faulty)
        if sinks is not None and worth_writing and publishable:
            sinks[table].table_done(watch)
        run.keep_for_later_tables()
        results[table] = result
    return RunResult(options.policy, results, log, watch)
