"""Measuring the known quirks of the data: facts to report, not errors.

Domains the reference only infers (vocabularies, the date range, near-keys) are measured
here instead of being declared as constraints. Each measure sees the valid rows of a table,
batch by batch, and summarises at the end.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check.cells import count_true
from ptoffact_build.check.keys import DuplicateCounter, KeyCounter, KeyCounts, KeyIndex, mix
from ptoffact_build.check.references import Lookup

CLAIM_LIST = r"^[0-9]+(,[0-9]+)*$"
DAY_OFFSET = 1 << 19  # days since 1970 fit in 20 bits from about 400 BC to AD 3400
VOCABULARY_LIMIT = 50
TRIPLE = ("ifw_number", "action_type", "action_subtype")  # what a citation's rejection is


def value_counts(column: pa.Array) -> Counter:
    """How often each value occurs (null counted as the empty string)."""
    nulls = column.null_count
    counts = pc.value_counts(column.drop_null() if nulls else column)
    found = Counter(
        dict(
            zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True)
        )
    )
    if nulls:
        found["" if pa.types.is_string(column.type) else None] += nulls
    return found


def length_counts(column: pa.Array) -> Counter:
    """How many non-null values have each length (in characters)."""
    if pa.types.is_string(column.type) and len(column) > column.null_count and is_ascii(column):
        offsets = np.frombuffer(column.buffers()[1], np.int32)
        lengths = np.diff(offsets[column.offset : column.offset + len(column) + 1])
        if column.null_count:  # read off the offsets, without copying the values
            lengths = lengths[pc.is_valid(column).to_numpy(zero_copy_only=False)]
        tally = np.bincount(lengths)
        return Counter({str(n): int(c) for n, c in enumerate(tally) if c})
    present = column.drop_null()
    return Counter({str(k): v for k, v in value_counts(pc.utf8_length(present)).items()})


def is_ascii(column: pa.Array) -> bool:
    """True when every byte of the column's text is ASCII (bytes then count characters)."""
    data = column.buffers()[2]
    return data is None or not np.any(np.frombuffer(data, np.uint8) >= 128)


def top(counter: Counter, limit: int = VOCABULARY_LIMIT) -> dict[str, int]:
    """The most frequent values, most frequent first."""
    return {str(k): v for k, v in counter.most_common(limit)}


def app_day_keys(app_ids: pa.Array, dates: pa.Array) -> np.ndarray:
    """An exact 64-bit key per (application, day), spread by a bijective mix."""
    apps = pc.cast(app_ids, pa.int64()).to_numpy().astype(np.uint64)
    days = pc.cast(dates, pa.int32()).to_numpy().astype(np.int64) + DAY_OFFSET
    return mix((apps << np.uint64(20)) | days.astype(np.uint64))


class QuirkMeasure(Protocol):
    """Measures one table's quirks from its valid rows, batch by batch."""

    lookups: ClassVar[dict[str, Lookup]]  # attribute name -> the column it is filled from

    def observe(self, batch: pa.RecordBatch) -> None: ...

    def summary(self) -> dict: ...


@dataclass
class OfficeActionQuirks:
    """Date range, pre-2008 dates, same-day duplicate actions, odd art units and classes."""

    lookups: ClassVar[dict[str, Lookup]] = {}  # needs nothing from other tables
    first: date | None = None
    last: date | None = None
    before_2008: int = 0
    art_unit_non_numeric: int = 0
    art_unit_lengths: Counter = field(default_factory=Counter)
    uspc_class_lengths: Counter = field(default_factory=Counter)
    document_codes: Counter = field(default_factory=Counter)
    same_day: DuplicateCounter = field(default_factory=DuplicateCounter)

    def observe(self, batch: pa.RecordBatch) -> None:
        dates = batch.column("mail_dt")
        low, high = pc.min_max(dates).values()
        self.first = min(filter(None, [self.first, low.as_py()]), default=None)
        self.last = max(filter(None, [self.last, high.as_py()]), default=None)
        self.before_2008 += count_true(pc.less(dates, pa.scalar(date(2008, 1, 1))))
        art_unit = batch.column("art_unit")
        self.art_unit_non_numeric += count_true(
            pc.invert(pc.match_substring_regex(art_unit, r"^[0-9]+$"))
        )
        self.art_unit_lengths += length_counts(art_unit)
        self.uspc_class_lengths += length_counts(batch.column("uspc_class"))
        self.document_codes += value_counts(batch.column("document_cd"))
        self.same_day.add_hashes(app_day_keys(batch.column("app_id"), dates))

    def summary(self) -> dict:
        repeated = self.same_day.result()
        return {
            "mail_dt_first": str(self.first) if self.first else None,
            "mail_dt_last": str(self.last) if self.last else None,
            "mail_dt_before_2008": self.before_2008,
            "same_day_duplicate_rows": repeated,
            "art_unit_non_numeric": self.art_unit_non_numeric,
            "art_unit_lengths": top(self.art_unit_lengths),
            "uspc_class_lengths": top(self.uspc_class_lengths),
            "document_cd": top(self.document_codes),
        }


@dataclass
class RejectionQuirks:
    """Vocabularies of action_type and action_subtype, colliding triples, odd claim lists.

    The triples that repeat, with how often, stay in ``repeated`` after :meth:`summary`: the
    card's statistics join the citations on them."""

    action_types: Counter = field(default_factory=Counter)
    action_subtypes: Counter = field(default_factory=Counter)
    triples: KeyCounter = field(default_factory=lambda: KeyCounter(keep_repeated=True))
    repeated: KeyCounts | None = None
    claims_empty: int = 0
    claims_irregular: int = 0
    lookups: ClassVar[dict[str, Lookup]] = {}

    def observe(self, batch: pa.RecordBatch) -> None:
        kind, subtype = batch.column("action_type"), batch.column("action_subtype")
        self.action_types += value_counts(kind)
        self.action_subtypes += value_counts(subtype)
        self.triples.add(*(batch.column(name) for name in TRIPLE))
        claims = batch.column("claim_numbers")
        self.claims_empty += claims.null_count
        self.claims_irregular += count_true(
            pc.invert(pc.match_substring_regex(claims.drop_null(), CLAIM_LIST))
        )

    def summary(self) -> dict:
        self.repeated = self.triples.counts()
        return {
            "action_type": top(self.action_types),
            "action_subtype": top(self.action_subtypes),
            "colliding_triple_rows": int(self.repeated.repeats.sum()),
            "claim_numbers_empty": self.claims_empty,
            "claim_numbers_not_a_plain_list": self.claims_irregular,
        }


@dataclass
class CitationQuirks:
    """Citations of unknown applications or actions, repeated pairs, vocabularies."""

    lookups: ClassVar[dict[str, Lookup]] = {  # filled in from the Office actions
        "known_app_ids": Lookup("office_actions", "app_id"),
        "known_ifw_numbers": Lookup("office_actions", "ifw_number"),
    }
    known_app_ids: KeyIndex | None = None
    known_ifw_numbers: KeyIndex | None = None
    app_id_unknown: int = 0
    ifw_number_empty: int = 0
    ifw_number_unknown: int = 0
    action_types: Counter = field(default_factory=Counter)
    parsed_lengths: Counter = field(default_factory=Counter)
    pairs: DuplicateCounter = field(default_factory=DuplicateCounter)

    def observe(self, batch: pa.RecordBatch) -> None:
        app_id, ifw = batch.column("app_id"), batch.column("ifw_number").drop_null()
        if self.known_app_ids is not None:
            known = self.known_app_ids.contains(app_id, exact=False)
            self.app_id_unknown += int((~known).sum())
        self.ifw_number_empty += batch.num_rows - len(ifw)
        if self.known_ifw_numbers is not None:
            known = self.known_ifw_numbers.contains(ifw, exact=False)
            self.ifw_number_unknown += int((~known).sum())
        self.action_types += value_counts(batch.column("action_type"))
        self.parsed_lengths += length_counts(batch.column("parsed"))
        self.pairs.add(app_id, batch.column("citation_pat_pgpub_id"))

    def summary(self) -> dict:
        return {
            "app_id_not_in_office_actions": self.app_id_unknown,
            "ifw_number_empty": self.ifw_number_empty,
            "ifw_number_not_in_office_actions": self.ifw_number_unknown,
            "repeated_app_citation_rows": self.pairs.result(),
            "action_type": top(self.action_types),
            "parsed_lengths": top(self.parsed_lengths),
        }


QUIRKS: dict[str, type[QuirkMeasure]] = {
    "office_actions": OfficeActionQuirks,
    "rejections": RejectionQuirks,
    "citations": CitationQuirks,
}


def quirk_lookups(table: str) -> tuple[Lookup, ...]:
    """The columns of earlier tables that a table's quirk measures look values up in."""
    return tuple(QUIRKS[table].lookups.values())


def quirks_for(table: str, indexes: dict[Lookup, KeyIndex | None]) -> QuirkMeasure:
    """The quirk measures of a table, given the indexes of the columns they look up."""
    measure = QUIRKS[table]
    return measure(**{name: indexes.get(lookup) for name, lookup in measure.lookups.items()})


QUIRK_NOTES = {
    "mail_dt_first": "Earliest mail date of an Office action.",
    "mail_dt_last": "Latest mail date of an Office action.",
    "art_unit_lengths": "Art units by length in characters (most are 4 digits).",
    "uspc_class_lengths": "USPC classes by length in characters (zero-padded text).",
    "document_cd": "Office actions by document code: CTNF non-final, CTFR final.",
    "rejections.action_type": "Rejection rows by action_type, most frequent first "
    "(the vocabulary is not documented).",
    "rejections.action_subtype": "Rejection rows by action_subtype, most frequent first; "
    "NULL where the row has none (filter with IS NULL, not = '').",
    "claim_numbers_empty": "Rejection rows whose claim_numbers is NULL (no claims listed).",
    "ifw_number_empty": "Citations whose ifw_number is NULL: not tied to an Office action's "
    "rejection.",
    "citations.action_type": "Citation rows by action_type, most frequent first; NULL where "
    "the citation is not tied to a rejection.",
    "parsed_lengths": "Non-NULL parsed reference numbers by length: 7 a US patent, 11 a "
    "pre-grant publication.",
    "mail_dt_before_2008": "Office actions dated before 2008 "
    "(the dataset covers 2008 to mid-2017).",
    "same_day_duplicate_rows": "Rows that share app_id and mail_dt with another row "
    "(two actions on the same day, likely an export duplicate).",
    "art_unit_non_numeric": "Art units that are not all digits.",
    "colliding_triple_rows": "Rejection rows that share (ifw_number, action_type, "
    "action_subtype) with another row.",
    "claim_numbers_not_a_plain_list": "Claim lists that are not plain comma-separated numbers.",
    "app_id_not_in_office_actions": "Citations whose app_id has no Office action in the data.",
    "ifw_number_not_in_office_actions": "Citations whose ifw_number is not an Office action "
    "in the data.",
    "repeated_app_citation_rows": "Citation rows that repeat (app_id, citation_pat_pgpub_id).",
}
