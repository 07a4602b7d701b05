"""Statistics of the validated rows, kept as small aggregates while the rows pass.

Each valid row is seen twice on its one way through the build, on worker threads of the
statistics' own (pools ``statistics`` and ``written-statistics``), never by reading anything
back:

- as it is checked (:meth:`BuildStatistics.observe_checked`), the counts the figures draw
  (per mail year, month and quarter, technology centers, citation sources), so the figures
  can be drawn while the last table is still being written;
- as its table's writer writes it, in key order (:meth:`BuildStatistics.observe_written`),
  the column profiles, per-key counts and join measures. For the last table that is after
  every table was checked, when the writer alone keeps one core busy.

Memory stays bounded at full scale: counters keyed by year or by a small vocabulary, a
k-minimum-values sketch per column for distinct counts, and per-key counts (rejections per
action, citations per application, repeated rejection triples) kept as 64-bit hashes that
spill to disk like the quirks' duplicate counter.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check.cells import count_true, to_mask
from ptoffact_build.check.keys import (
    KeyCounter,
    KeyCounts,
    hash_hits,
    hash_present_strings,
    hash_rows,
    hash_strings,
    mix,
)
from ptoffact_build.check.quirks import TRIPLE, QuirkMeasure, RejectionQuirks
from ptoffact_build.check.references import References
from ptoffact_build.check.timeline import (
    FIRST_YEAR,
    YEARS,
    CitationSources,
    OfficeActionTimeline,
    counts_per_period,
)
from ptoffact_build.schema import load_schema
from ptoffact_build.write.sort import SORT_KEYS

GROUNDS = ("rejection_101", "rejection_102", "rejection_103", "rejection_112", "rejection_dp")
PARSING_FLAGS = ("header_missing", "fp_missing", "rejection_fp_mismatch", "closing_missing")
SKETCH_SIZE = 4096  # distinct counts beyond this are estimates (about 1.6 % standard error)
TOP_VALUES = 10  # values listed for a small vocabulary
VOCABULARY_LIMIT = 50  # a column with more distinct values gets no top values
PROBE_ROWS = 1000  # a batch whose first rows hold more distinct values is not counted
KEY_MEMORY_ROWS = 1_000_000  # 8 MB of hashes per counter in memory before spilling
PER_KEY = {"rejections": "ifw_number", "citations": "app_id"}  # rows counted per key
ORDERED = SORT_KEYS[0]  # the column the writer writes in ascending order
# where each table's per-key counts go in its summary
PER_KEY_SUMMARY = {"rejections": "rejections_per_action", "citations": "citations_per_application"}


@dataclass
class DistinctSketch:
    """Distinct values from the k smallest 64-bit hashes: exact below k, else an estimate."""

    smallest: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))

    @property
    def full(self) -> bool:
        """Whether it holds k hashes (from now on, only smaller ones enter)."""
        return len(self.smallest) == SKETCH_SIZE

    def add(self, hashes: np.ndarray) -> None:
        if self.full:
            hashes = hashes[hashes < self.smallest[-1]]
        merged = np.sort(np.concatenate([self.smallest, hashes]))  # the old part is sorted
        fresh = np.ones(len(merged), bool)
        fresh[1:] = merged[1:] != merged[:-1]
        self.smallest = merged[fresh][:SKETCH_SIZE]

    def result(self) -> tuple[int, bool]:
        """The count and whether it is exact."""
        if len(self.smallest) < SKETCH_SIZE:
            return len(self.smallest), True
        fraction = float(self.smallest[-1]) / 2.0**64
        return round((SKETCH_SIZE - 1) / fraction), False


def value_hashes(column: pa.Array) -> np.ndarray:
    """A well-spread 64-bit hash of each non-null value. Text is hashed by Polars (already
    well spread)."""
    if pa.types.is_string(column.type):
        return hash_present_strings(column)
    present = column.drop_null()
    if pa.types.is_date(present.type):
        present = pc.cast(present, pa.int32())
    return mix(pc.cast(present, pa.int64()).to_numpy().astype(np.uint64))


def flag_counts(column: pa.Array) -> dict[bool, int]:
    """The trues and falses of a boolean column, in the order they first appear (as
    ``pc.value_counts`` gives them), counted without a hash table."""
    present = len(column) - column.null_count
    trues = count_true(column)
    counts = {True: trues, False: present - trues}
    first = column.drop_null()[0].as_py()
    return {k: counts[k] for k in (first, not first) if counts[k]}


@dataclass
class ColumnProfile:
    """Empty cells, distinct values, minimum and maximum, and top values of a small vocabulary.

    While the vocabulary is small its counts give the minimum and maximum too; past it, each
    batch's are taken and its values' hashes feed the sketch. A ``unique`` column (a one-column
    primary key) has as many distinct values as values, so it needs neither; nor does a
    ``counted`` one, whose keys are counted exactly elsewhere (:data:`PER_KEY`). An
    ``ordered`` column arrives in ascending order (the writer's first sort key): its
    ``runs`` of equal values count its keys (NULL one of them) and how often each occurs,
    its ends are its minimum and maximum.
    """

    nulls: int = 0
    low: Any = None
    high: Any = None
    sketch: DistinctSketch = field(default_factory=DistinctSketch)
    values: Counter | None = field(default_factory=Counter)  # None once past the limit
    unique: bool = False
    present: int = 0  # non-null values
    counted: bool = False
    ordered: bool = False
    runs: RunCounter | None = None  # of an ordered column

    def __post_init__(self) -> None:
        if self.unique or self.counted or self.ordered:
            self.values = None
        if self.ordered:
            self.runs = RunCounter()

    def observe(self, column: pa.Array) -> None:
        """Count a batch's column."""
        self.nulls += column.null_count
        self.present += len(column) - column.null_count
        if self.runs is not None:
            self.observe_ordered(column, self.runs)
            return
        if len(column) == column.null_count:
            return
        if self.values is not None:
            unsketched = self.count_values(column)
            if self.values is not None:
                return
        else:
            unsketched = not (self.unique or self.counted)
        if unsketched and self.sketch.full:
            self.sketch.add(value_hashes(column))
        elif unsketched:  # few values so far: hash each distinct one once
            self.sketch.add(value_hashes(pc.unique(column)))
        self.widen(*(s.as_py() for s in pc.min_max(column).values()))

    def observe_ordered(self, column: pa.Array, runs: RunCounter) -> None:
        """Runs and ends of an ordered column."""
        runs.add(column)
        present = column.drop_null() if column.null_count else column
        if len(present) == 0:
            return
        first, last = present[0].as_py(), present[len(present) - 1].as_py()
        if last < first or (self.high is not None and first < self.high):
            raise ValueError("an ordered column's values arrived out of order")
        self.widen(first, last)

    def widen(self, low: Any, high: Any) -> None:
        self.low = low if self.low is None else min(self.low, low)
        self.high = high if self.high is None else max(self.high, high)

    def count_values(self, column: pa.Array) -> bool:
        """Count a small vocabulary's values, passing to the sketch once it is not small;
        True when the batch's values are still to be sketched."""
        assert self.values is not None  # still counting
        if pc.count_distinct(column.slice(0, PROBE_ROWS)).as_py() > VOCABULARY_LIMIT:
            self.to_sketch(column.type)  # plainly not small: no need to count the batch
            return True
        if pa.types.is_boolean(column.type):
            self.values.update(flag_counts(column))
            return False
        counts = pc.value_counts(column.drop_null())
        if len(counts) > VOCABULARY_LIMIT:  # no need to list a large vocabulary in Python
            self.to_sketch(column.type, counts.field("values"))
            return False
        names = counts.field("values").to_pylist()
        self.values.update(dict(zip(names, counts.field("counts").to_pylist(), strict=True)))
        if len(self.values) > VOCABULARY_LIMIT:
            self.to_sketch(column.type)
        return False

    def to_sketch(self, kind: pa.DataType, more: pa.Array | None = None) -> None:
        """From now on only the sketch counts: it gets the values counted so far (and
        ``more``), and the top values are dropped."""
        assert self.values is not None  # called once, while the values were counted
        if self.values:
            self.widen(min(self.values), max(self.values))
            self.sketch.add(value_hashes(pa.array(list(self.values), kind)))
        if more is not None:
            self.sketch.add(value_hashes(more))
        self.values = None

    def summary(self) -> dict[str, Any]:
        distinct: int | None
        distinct, exact = self.sketch.result()
        if self.unique:
            distinct, exact = self.present, True
        elif self.runs is not None:  # its keys, but NULL
            keys = int(self.runs.counts().histogram.sum())
            distinct, exact = keys - (1 if self.nulls else 0), True
        elif self.counted:  # the table's summary has the count
            distinct, exact = None, False
        elif self.values is not None:  # the sketch was never fed
            distinct, exact = len(self.values), True
            if self.values:
                self.widen(min(self.values), max(self.values))
        found: dict[str, Any] = {
            "null": self.nulls,
            "distinct": distinct,
            "distinct_exact": exact,
            "min": None if self.low is None else str(self.low),
            "max": None if self.high is None else str(self.high),
        }
        if self.values is not None:
            top = self.values.most_common(TOP_VALUES)
            found["top"] = {label(k): v for k, v in top}
        return found


def label(value: Any) -> str:
    """A value as text, booleans as in JSON and SQL."""
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class RunCounter:
    """How many rows each key has, for rows that come grouped by key (as the writer writes
    them: in key order, so every row of a key follows the one before): the lengths of the
    runs of equal values. NULL is one key, as for :class:`KeyCounter`. Exact, with no
    hashing and memory for one histogram."""

    histogram: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    last: Any = None  # the value of the run still open
    open_rows: int = 0  # its rows so far (0: no run open)

    def add(self, column: pa.Array) -> None:
        if len(column) == 0:
            return
        starts = np.flatnonzero(~same_as_previous(column)) + 1
        lengths = np.diff(np.concatenate([[0], starts, [len(column)]]))
        if self.open_rows and column[0].as_py() == self.last:
            lengths[0] += self.open_rows
        elif self.open_rows:
            self.count([self.open_rows])
        self.count(lengths[:-1])
        self.open_rows, self.last = int(lengths[-1]), column[len(column) - 1].as_py()

    def count(self, lengths: Any) -> None:
        found = np.bincount(np.asarray(lengths, np.int64))
        if len(found) > len(self.histogram):
            self.histogram = np.pad(self.histogram, (0, len(found) - len(self.histogram)))
        self.histogram[: len(found)] += found

    def counts(self) -> KeyCounts:
        if self.open_rows:
            self.count([self.open_rows])
            self.open_rows = 0
        nothing = np.empty(0, np.uint64)
        return KeyCounts(self.histogram, nothing, np.empty(0, np.int64))


def same_as_previous(column: pa.Array) -> np.ndarray:
    """For each value but the first, whether it equals the one before (two NULLs do)."""
    later, earlier = column.slice(1), column.slice(0, len(column) - 1)
    same = pc.equal(later, earlier)
    if column.null_count:
        same = pc.or_(pc.fill_null(same, False), pc.and_(pc.is_null(later), pc.is_null(earlier)))
    return to_mask(same)


@dataclass
class OfficeActionStatistics:
    """Actions and the share raising each ground or flag per mail year; art units; finals."""

    per_year: np.ndarray = field(
        default_factory=lambda: np.zeros((1 + len(GROUNDS) + len(PARSING_FLAGS), YEARS), np.int64)
    )
    art_units: set = field(default_factory=set)
    final: int = 0

    def observe(self, batch: pa.RecordBatch) -> None:
        years = pc.year(batch.column("mail_dt").drop_null()).to_numpy() - FIRST_YEAR
        years = np.clip(years, 0, YEARS - 1)
        self.per_year += counts_per_period(batch, GROUNDS + PARSING_FLAGS, years, YEARS)
        self.art_units.update(pc.unique(batch.column("art_unit").drop_null()).to_pylist())
        self.final += count_true(pc.equal(batch.column("document_cd"), "CTFR"))

    def summary(self) -> dict[str, Any]:
        rows = []
        for year in np.flatnonzero(self.per_year[0]):
            counts = self.per_year[:, year]
            row: dict[str, Any] = {"year": int(year) + FIRST_YEAR, "office_actions": int(counts[0])}
            for i, name in enumerate(GROUNDS + PARSING_FLAGS, start=1):
                row[name] = int(counts[i])
            rows.append(row)
        return {
            "per_mail_year": rows,
            "distinct_art_units": len(self.art_units),
            "final_actions": self.final,
        }


@dataclass
class BuildStatistics:
    """The statistics of every table, fed each table's valid batches as they are checked
    (in source order) and as they are written (in key order)."""

    shared: References
    profiles: dict[str, dict[str, ColumnProfile]] = field(default_factory=dict)
    office_actions: OfficeActionStatistics = field(default_factory=OfficeActionStatistics)
    timeline: OfficeActionTimeline = field(default_factory=lambda: OfficeActionTimeline(GROUNDS))
    citation_sources: CitationSources = field(default_factory=CitationSources)
    rejections_per_action: KeyCounter = field(
        default_factory=lambda: KeyCounter(memory_rows=KEY_MEMORY_ROWS)
    )
    repeated_triples: KeyCounts | None = None  # counted by the rejections' quirk measures
    rejections_with_action: int | None = 0  # None when office_actions was unreadable
    citations_multiplied: int = 0
    citation_rows_added: int = 0
    citations_without_subtype: int = 0  # an action_type but a NULL action_subtype

    def observe_checked(self, table: str, batch: pa.RecordBatch) -> None:
        """Count what the figures draw, as a batch is checked."""
        if table == "office_actions":
            self.office_actions.observe(batch)
            self.timeline.observe(batch)
        elif table == "citations":
            self.citation_sources.observe(batch)

    def observe_written(self, table: str, batch: pa.RecordBatch) -> None:
        """Profile the columns and count keys and joins, as a batch is written."""
        profiles = self.profiles.setdefault(table, {})
        if not profiles:
            profiles.update(new_profiles(table, batch.schema.names))
        for name in batch.schema.names:
            profiles[name].observe(batch.column(name))
        if table == "rejections":
            self.observe_rejections(batch)
        elif table == "citations":
            self.observe_citations(batch)

    def observe_rejections(self, batch: pa.RecordBatch) -> None:
        self.rejections_per_action.add_hashes(hash_strings(batch.column("ifw_number")))
        if self.shared.keys.get("office_actions") is None or self.rejections_with_action is None:
            self.rejections_with_action = None  # office_actions was unreadable
        else:  # each valid row's ifw_number passed the foreign-key check against it
            self.rejections_with_action += batch.num_rows - batch.column("ifw_number").null_count

    def observe_citations(self, batch: pa.RecordBatch) -> None:
        typed = pc.is_valid(batch.column("action_type"))
        no_subtype = pc.and_(typed, pc.is_null(batch.column("action_subtype")))
        self.citations_without_subtype += count_true(no_subtype)
        triples = self.repeated_triples
        if triples is None or len(triples.repeated) == 0:
            return
        columns = [batch.column(name) for name in TRIPLE]
        if columns[0].null_count:  # only citations tied to an action can match a triple
            tied = pc.is_valid(columns[0])
            columns = [pc.filter(column, tied) for column in columns]
        hashed = hash_rows(*columns)
        position, hit = hash_hits(triples.repeated, hashed)
        self.citations_multiplied += int(hit.sum())
        self.citation_rows_added += int((triples.repeats[position[hit]] - 1).sum())

    def take_from_quirks(self, quirks: QuirkMeasure) -> None:
        """What a table's quirk measures counted that the statistics need too: the repeated
        rejection triples (``colliding_triple_rows``), which the citations are joined on."""
        if isinstance(quirks, RejectionQuirks):
            self.repeated_triples = quirks.repeated

    def checked_summary(self, table: str) -> dict[str, Any]:
        """What :meth:`observe_checked` found in a table, once its last batch was checked."""
        if table == "office_actions":
            return {**self.office_actions.summary(), **self.timeline.summary()}
        if table == "citations":
            return self.citation_sources.summary()
        return {}

    def written_summary(self, table: str) -> dict[str, Any]:
        """What :meth:`observe_written` found in a table, once its last batch was written."""
        found: dict[str, Any] = {
            "columns": {n: p.summary() for n, p in self.profiles.get(table, {}).items()}
        }
        if table == "rejections":
            found[PER_KEY_SUMMARY[table]] = key_summary(self.rejections_per_action.counts())
            found["rows_with_action"] = self.rejections_with_action
        elif table == "citations":
            found[PER_KEY_SUMMARY[table]] = key_summary(self.runs_of(table, PER_KEY[table]))
            found["rows_multiplied_by_rejection_join"] = self.citations_multiplied
            found["rows_added_by_rejection_join"] = self.citation_rows_added
            found["rows_with_action_type_but_no_subtype"] = self.citations_without_subtype
        return found

    def runs_of(self, table: str, column: str) -> KeyCounts:
        """How often each key of an ordered column occurs (from its profile's runs)."""
        profile = self.profiles.get(table, {}).get(column)
        runs = profile.runs if profile is not None else None
        return (runs or RunCounter()).counts()


def new_profiles(table: str, names: list[str]) -> dict[str, ColumnProfile]:
    """A profile per column, each knowing what makes its counting cheap: a one-column
    primary key, a key counted per row, the column the writer orders rows by."""
    unique, counted = unique_column(table), PER_KEY.get(table)
    return {
        name: ColumnProfile(
            unique=name == unique,
            counted=name == counted and name != ORDERED,
            ordered=name == ORDERED and name != unique,
        )
        for name in names
    }


def unique_column(table: str) -> str | None:
    """The column of a one-column primary key (each value differs), if the table has one."""
    key = load_schema(table).primary_key
    return key[0] if len(key) == 1 else None


def key_summary(counts: KeyCounts) -> dict[str, Any]:
    mean = counts.mean()
    return {
        "keys": int(counts.histogram.sum()),
        "mean": None if mean is None else round(mean, 4),
        "median": counts.median(),
    }
