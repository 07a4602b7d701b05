"""Small aggregates for the card's figures, kept while the validated rows pass.

Office actions per mail month by document code, per mail quarter with the actions raising
each ground, per technology center; citations by where the reference appears. Each is a
counter over a bounded key (a month or quarter from 1900 to 2099, a few codes, a hundred
centers at most), so memory does not grow with the rows.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.check.cells import count_true

FIRST_YEAR, YEARS = 1900, 200  # months and quarters from 1900 to 2099
MONTHS = 12 * YEARS
QUARTERS = 4 * YEARS
CODES_KEPT = 16  # document codes counted apart while observing; later ones count as "other"
CODES_SHOWN = 4  # codes listed in the summary; the rest are summed as "other"
OTHER = "other"
CITATION_SOURCES = ("form892", "form1449", "citation_in_oa")


def months_since_start(dates: pa.Array) -> np.ndarray:
    """Each non-null date's month, counted from January of FIRST_YEAR, clipped to range."""
    present = dates.drop_null()
    years = pc.year(present).to_numpy().astype(np.int64) - FIRST_YEAR
    months = years * 12 + pc.month(present).to_numpy().astype(np.int64) - 1
    return np.clip(months, 0, MONTHS - 1)


def counts_per_period(
    batch: pa.RecordBatch, flags: tuple[str, ...], periods: np.ndarray, size: int
) -> np.ndarray:
    """Row 0: the dated rows per period; row i: those where boolean column ``flags[i-1]`` is
    true (NULL counts as false). ``periods`` holds the period of each row with a mail date."""
    dated = pc.is_valid(batch.column("mail_dt"))
    counts = np.zeros((1 + len(flags), size), np.int64)
    counts[0] = np.bincount(periods, minlength=size)
    for row, name in enumerate(flags, start=1):
        chosen = pc.fill_null(batch.column(name).filter(dated), False)
        counts[row] = np.bincount(periods[chosen.to_numpy(zero_copy_only=False)], minlength=size)
    return counts


def month_label(index: int) -> str:
    return f"{FIRST_YEAR + index // 12}-{index % 12 + 1:02d}"


def quarter_label(index: int) -> str:
    return f"{FIRST_YEAR + index // 4}Q{index % 4 + 1}"


def technology_center(art_unit: str | None) -> str:
    """``16xx`` for an art unit whose first two characters are digits, else ``other``."""
    if art_unit is None or len(art_unit) < 2 or not art_unit[:2].isdigit():
        return OTHER
    return f"{art_unit[:2]}xx"


@dataclass
class OfficeActionTimeline:
    """Actions per mail month by document code, per quarter raising each of ``grounds`` (the
    boolean columns of the rejection grounds), per technology center."""

    grounds: tuple[str, ...]
    per_month: dict[str, np.ndarray] = field(default_factory=dict)
    per_quarter: np.ndarray = field(init=False)
    centers: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.per_quarter = np.zeros((1 + len(self.grounds), QUARTERS), np.int64)

    def observe(self, batch: pa.RecordBatch) -> None:
        dates = batch.column("mail_dt")
        dated = pc.is_valid(dates)
        months = months_since_start(dates)
        codes = pc.fill_null(batch.column("document_cd").filter(dated), OTHER)
        for code in pc.unique(codes).to_pylist():
            chosen = pc.equal(codes, code).to_numpy(zero_copy_only=False)
            self.month_counts(code)[:] += np.bincount(months[chosen], minlength=MONTHS)
        self.per_quarter += counts_per_period(batch, self.grounds, months // 3, QUARTERS)
        self.observe_centers(batch.column("art_unit"))

    def month_counts(self, code: str) -> np.ndarray:
        """The monthly counter of a document code (``other`` once CODES_KEPT are kept)."""
        if code not in self.per_month and len(self.per_month) >= CODES_KEPT:
            code = OTHER
        return self.per_month.setdefault(code, np.zeros(MONTHS, np.int64))

    def observe_centers(self, art_units: pa.Array) -> None:
        counts = pc.value_counts(pc.utf8_slice_codeunits(art_units, 0, 2))
        for prefix, n in zip(
            counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
        ):
            self.centers[technology_center(prefix)] += n

    def shown_codes(self) -> list[str]:
        """The most frequent codes (ties by name), then ``other`` for the rest if any."""
        totals = {code: int(counts.sum()) for code, counts in self.per_month.items()}
        ranked = sorted((c for c in totals if c != OTHER), key=lambda c: (-totals[c], c))
        shown = ranked[:CODES_SHOWN]
        return shown + ([OTHER] if len(shown) < len(totals) else [])

    def month_rows(self) -> list[dict[str, Any]]:
        codes = self.shown_codes()
        if not codes:
            return []
        kept = [self.per_month[c] for c in codes if c != OTHER]
        total = np.sum(list(self.per_month.values()), axis=0)
        columns = [*kept, total - np.sum(kept, axis=0)] if OTHER in codes else kept
        rows = []
        for month in np.flatnonzero(total):
            row: dict[str, Any] = {"month": month_label(int(month))}
            row.update((c, int(column[month])) for c, column in zip(codes, columns, strict=True))
            rows.append(row)
        return rows

    def quarter_rows(self) -> list[dict[str, Any]]:
        rows = []
        for quarter in np.flatnonzero(self.per_quarter[0]):
            counts = self.per_quarter[:, quarter]
            row: dict[str, Any] = {
                "quarter": quarter_label(int(quarter)),
                "office_actions": int(counts[0]),
            }
            row.update((name, int(counts[i])) for i, name in enumerate(self.grounds, start=1))
            rows.append(row)
        return rows

    def center_rows(self) -> list[dict[str, Any]]:
        named = sorted(c for c in self.centers if c != OTHER)
        order = named + ([OTHER] if OTHER in self.centers else [])
        return [{"center": c, "office_actions": self.centers[c]} for c in order]

    def summary(self) -> dict[str, Any]:
        return {
            "per_mail_month_by_document_cd": self.month_rows(),
            "per_mail_quarter": self.quarter_rows(),
            "per_technology_center": self.center_rows(),
        }


@dataclass
class CitationSources:
    """Citation rows by where the reference appears; a row may count under several."""

    rows: int = 0
    counts: Counter = field(default_factory=Counter)

    def observe(self, batch: pa.RecordBatch) -> None:
        """Count a batch with Arrow's bitmap kernels (NULL counts as false)."""
        self.rows += batch.num_rows
        flags = [pc.fill_null(batch.column(n), False) for n in CITATION_SOURCES]
        for name, flag in zip(CITATION_SOURCES, flags, strict=True):
            self.counts[name] += count_true(flag)
        self.counts["none"] += batch.num_rows - count_true(functools.reduce(pc.or_, flags))
        pairs = [pc.and_(a, b) for a, b in itertools.combinations(flags, 2)]
        self.counts["several"] += count_true(functools.reduce(pc.or_, pairs)) if pairs else 0

    def summary(self) -> dict[str, Any]:
        names = [*CITATION_SOURCES, "none"]
        return {
            "citations_by_source": [{"source": n, "citations": self.counts[n]} for n in names],
            "citations_in_several_sources": self.counts["several"],
        }
