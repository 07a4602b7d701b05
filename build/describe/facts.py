"""What the describe stage measures in a release: one typed result, one owner per number.

:func:`.measure.measure_release` fills these from the release's Parquet shards (queries and
footer statistics); the card, the report's ``statistics`` block, the datapackage's opening
and the figures only render them (:mod:`.statistics`, :mod:`.card`, :mod:`.summary`,
:mod:`.plots`). A number that can be derived from another (the actions of a year from those
of its months, the final actions from the vocabulary of ``document_cd``) is derived where it
is shown, never measured twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ptoffact_build.describe.caselaw import DECISIONS

GROUNDS = ("rejection_101", "rejection_102", "rejection_103", "rejection_112", "rejection_dp")
PARSING_FLAGS = ("header_missing", "fp_missing", "rejection_fp_mismatch", "closing_missing")
FLAGS = GROUNDS + PARSING_FLAGS  # the office actions' flags counted per month
CITATION_SOURCES = ("form892", "form1449", "citation_in_oa")
CASE_LAW_FLAGS = tuple(d.flag for d in DECISIONS)  # the rejections' flags, in date order
OTHER = "other"  # the technology center of an art unit that does not start with two digits
VOCABULARY_LIMIT = 50  # the most frequent values a counted column keeps: all of a vocabulary


@dataclass(frozen=True)
class ValueCount:
    """A value of a column (None: NULL) and the rows holding it."""

    value: Any
    rows: int


@dataclass(frozen=True)
class ColumnFacts:
    """One column: NULL cells, distinct non-NULL values, extremes, most frequent values.

    ``exact`` is False when ``distinct`` is an estimate (see :mod:`.measure`). ``counts``
    holds the :data:`VOCABULARY_LIMIT` most frequent values, NULL among them, most frequent
    first (ties by value, NULL first), when the column's values were counted; None when
    they were not (a key column, or one with too many values to count cheaply).
    """

    name: str
    nulls: int
    distinct: int
    exact: bool
    low: Any
    high: Any
    counts: tuple[ValueCount, ...] | None = None

    def rows_with(self, value: Any) -> int:
        """The rows holding ``value`` (0 if it is not among the counted values)."""
        return next((c.rows for c in self.counts or () if c.value == value), 0)


@dataclass(frozen=True)
class TableFacts:
    """One table: its rows, its size as ``datasets`` loads it, and its columns in order."""

    name: str
    rows: int
    arrow_bytes: int  # the split's ``num_bytes``: what ``datasets`` measures on loading
    columns: tuple[ColumnFacts, ...]

    def column(self, name: str) -> ColumnFacts:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class MonthCount:
    """Office actions of one mail month, document code and technology center, and how many
    of them carry each of :data:`FLAGS` (true; NULL counts as false)."""

    month: date | None  # the first day of the month; None for actions without a mail date
    document_cd: str | None
    center: str  # ``16xx`` for art units 1600 to 1699, or :data:`OTHER`
    actions: int
    flagged: tuple[int, ...]  # in the order of FLAGS

    def flag(self, name: str) -> int:
        return self.flagged[FLAGS.index(name)]


@dataclass(frozen=True)
class FigureFacts:
    """What the figures draw, measured first so that they are drawn while the rest of the
    release is measured: office actions per month, and citations by where the reference
    appears (the rows whose flag is true, per :data:`CITATION_SOURCES`; the same counts the
    column profile shows)."""

    months: tuple[MonthCount, ...]
    citation_rows: int
    citations_by_source: tuple[int, ...]
    citations_in_no_source: int  # citation rows with none of CITATION_SOURCES true
    citations_in_several_sources: int


@dataclass(frozen=True)
class RowsPerKey:
    """How many rows each non-NULL key of a column has: mean and median over the keys
    present."""

    keys: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class DecisionCounts:
    """Office actions citing each Supreme Court decision: the flags are per rejection row,
    so an action counts once (distinct ``ifw_number``) however many of its rows carry the
    flag. In the order of :data:`CASE_LAW_FLAGS`."""

    actions: tuple[int, ...]
    any_decision: int  # actions with a rejection row citing any of them


@dataclass(frozen=True)
class OfficeActionQuirks:
    same_day_duplicate_rows: int  # rows sharing (app_id, mail_dt) with another row
    art_unit_non_numeric: int
    art_unit_lengths: tuple[ValueCount, ...]  # values: lengths in characters
    uspc_class_lengths: tuple[ValueCount, ...]


@dataclass(frozen=True)
class RejectionQuirks:
    colliding_triple_rows: int  # rows sharing (ifw_number, action_type, action_subtype)
    claim_numbers_not_a_plain_list: int


@dataclass(frozen=True)
class CitationQuirks:
    app_id_not_in_office_actions: int
    ifw_number_not_in_office_actions: int  # among the rows that name one
    repeated_app_citation_rows: int  # rows sharing (app_id, citation_pat_pgpub_id)
    parsed_lengths: tuple[ValueCount, ...]


@dataclass(frozen=True)
class JoinFacts:
    """How the tables join in this release."""

    rejections_with_action: int  # rejection rows whose ifw_number is an office action
    citations_multiplied: int  # citation rows matching a repeated rejection triple
    rows_added_by_rejection_join: int  # rows the citations → rejections join adds
    citations_typed_without_subtype: int  # an action_type but a NULL action_subtype


@dataclass(frozen=True)
class ReleaseFacts:
    """Everything the describe stage measured in a release."""

    tables: dict[str, TableFacts]
    figures: FigureFacts
    rejections_per_action: RowsPerKey
    citations_per_application: RowsPerKey
    decisions: DecisionCounts
    joins: JoinFacts
    office_action_quirks: OfficeActionQuirks
    rejection_quirks: RejectionQuirks
    citation_quirks: CitationQuirks

    def rows(self, table: str) -> int:
        return self.tables[table].rows

    def column(self, table: str, name: str) -> ColumnFacts:
        return self.tables[table].column(name)
