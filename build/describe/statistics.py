"""The measured statistics of a release as the report's ``statistics`` block holds them and
as the card's measured sections show them, rendered from :class:`.facts.ReleaseFacts`.

Nothing here measures: a year's actions are the sum of its months', the final actions are
``document_cd``'s count of CTFR, a column's top values are its counted values.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from ptoffact_build.describe.caselaw import DECISIONS, ELIGIBILITY_CENTERS
from ptoffact_build.describe.facts import (
    CITATION_SOURCES,
    FLAGS,
    GROUNDS,
    OTHER,
    VOCABULARY_LIMIT,
    ColumnFacts,
    FigureFacts,
    MonthCount,
    ReleaseFacts,
    RowsPerKey,
)
from ptoffact_build.schema import TABLES

CODES_SHOWN = 4  # document codes the monthly counts name; the rest are summed as "other"
TOP_VALUES = 10  # values a column profile lists


def fraction(part: int, whole: int) -> float | None:
    """``part / whole`` to four decimals (None when ``whole`` is 0)."""
    return round(part / whole, 4) if whole else None


def label(value: Any) -> str:
    """A value as text, booleans as in JSON and SQL."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def extreme(value: Any) -> str | None:
    return None if value is None else str(value)


# ---- time series, derived from the monthly counts ----------------------------------------


def dated(facts: FigureFacts) -> list[tuple[date, MonthCount]]:
    """The counts of actions with a mail date, with their month's first day."""
    return [(m.month, m) for m in facts.months if m.month is not None]


def per_period(facts: FigureFacts, period: Any, flags: tuple[str, ...]) -> dict[Any, list[int]]:
    """Actions and flagged actions per period (``period`` of a month's first day), in order."""
    found: dict[Any, list[int]] = defaultdict(lambda: [0] * (1 + len(flags)))
    for day, m in dated(facts):
        counts = found[period(day)]
        counts[0] += m.actions
        for i, name in enumerate(flags, start=1):
            counts[i] += m.flag(name)
    return dict(sorted(found.items()))


def per_mail_year(facts: FigureFacts) -> list[dict[str, Any]]:
    """Actions per mail year, with those raising each ground and carrying each flag."""
    years = per_period(facts, lambda day: day.year, FLAGS)
    return [
        {"year": year, "office_actions": counts[0], **dict(zip(FLAGS, counts[1:], strict=True))}
        for year, counts in years.items()
    ]


def per_mail_quarter(facts: FigureFacts) -> list[dict[str, Any]]:
    """Actions per mail quarter, with those raising each ground."""
    quarters = per_period(facts, lambda day: (day.year, (day.month - 1) // 3), GROUNDS)
    return [
        {
            "quarter": f"{year}Q{quarter + 1}",
            "office_actions": counts[0],
            **dict(zip(GROUNDS, counts[1:], strict=True)),
        }
        for (year, quarter), counts in quarters.items()
    ]


def per_mail_quarter_by_center(facts: FigureFacts) -> list[dict[str, Any]]:
    """Actions per mail quarter in each of the eligibility centers, with those raising a
    101 rejection."""
    found: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for day, m in dated(facts):
        if m.center in ELIGIBILITY_CENTERS:
            counts = found[day.year, (day.month - 1) // 3, m.center]
            counts[0] += m.actions
            counts[1] += m.flag("rejection_101")
    return [
        {
            "quarter": f"{year}Q{quarter + 1}",
            "center": center,
            "office_actions": actions,
            "rejection_101": raised,
        }
        for (year, quarter, center), (actions, raised) in sorted(found.items())
    ]


def shown_codes(facts: FigureFacts) -> list[str]:
    """The most frequent document codes (ties by name), then ``other`` for the rest."""
    totals: dict[str, int] = defaultdict(int)
    for _, m in dated(facts):
        totals[m.document_cd or OTHER] += m.actions
    ranked = sorted((c for c in totals if c != OTHER), key=lambda c: (-totals[c], c))
    shown = ranked[:CODES_SHOWN]
    return shown + ([OTHER] if len(shown) < len(totals) else [])


def per_mail_month_by_document_cd(facts: FigureFacts) -> list[dict[str, Any]]:
    """Actions per mail month by document code (the less frequent codes as ``other``)."""
    codes = shown_codes(facts)
    found: dict[date, dict[str, int]] = {}
    for day, m in dated(facts):
        code = m.document_cd if m.document_cd in codes else OTHER
        row = found.setdefault(day, dict.fromkeys(codes, 0))
        row[code] += m.actions
    return [{"month": f"{day:%Y-%m}", **row} for day, row in sorted(found.items())]


def per_technology_center(facts: FigureFacts) -> list[dict[str, Any]]:
    """Actions per technology center (``other`` last)."""
    found: dict[str, int] = defaultdict(int)
    for m in facts.months:
        found[m.center] += m.actions
    order = sorted(c for c in found if c != OTHER) + ([OTHER] if OTHER in found else [])
    return [{"center": c, "office_actions": found[c]} for c in order]


def mailed_before(facts: FigureFacts, year: int) -> int:
    """Actions mailed before January of ``year``."""
    return sum(m.actions for day, m in dated(facts) if day.year < year)


def citations_by_source(facts: FigureFacts) -> list[dict[str, Any]]:
    """Citation rows whose flag for each place is true, and those with none true."""
    pairs = zip(CITATION_SOURCES, facts.citations_by_source, strict=True)
    rows = [{"source": name, "citations": n} for name, n in pairs]
    return [*rows, {"source": "none", "citations": facts.citations_in_no_source}]


def figure_data(facts: FigureFacts) -> dict[str, Any]:
    """The numbers the figures draw, as the report's ``statistics.figures`` holds them."""
    return {
        "per_mail_month_by_document_cd": per_mail_month_by_document_cd(facts),
        "per_mail_quarter": per_mail_quarter(facts),
        "per_mail_quarter_by_center": per_mail_quarter_by_center(facts),
        "per_technology_center": per_technology_center(facts),
        "citation_rows": facts.citation_rows,
        "citations_by_source": citations_by_source(facts),
        "citations_in_several_sources": facts.citations_in_several_sources,
    }


# ---- the report's statistics block -------------------------------------------------------


def key_summary(counts: RowsPerKey) -> dict[str, Any]:
    return {
        "keys": counts.keys,
        "mean": None if counts.mean is None else round(counts.mean, 4),
        "median": counts.median,
    }


def overview(facts: ReleaseFacts) -> dict[str, Any]:
    """Rows, distinct applications and art units, mail dates, finals, rows per key."""
    dates = facts.column("office_actions", "mail_dt")
    final = facts.column("office_actions", "document_cd").rows_with("CTFR")
    return {
        "rows": {t: facts.rows(t) for t in TABLES},
        "distinct_applications": facts.column("office_actions", "app_id").distinct,
        "distinct_art_units": facts.column("office_actions", "art_unit").distinct,
        "mail_dt_first": extreme(dates.low),
        "mail_dt_last": extreme(dates.high),
        "final_actions": final,
        "final_actions_share": fraction(final, facts.rows("office_actions")),
        "rejections_per_action": key_summary(facts.rejections_per_action),
        "citations_per_application": key_summary(facts.citations_per_application),
    }


def joins(facts: ReleaseFacts) -> dict[str, Any]:
    """How well the tables join in this release."""
    citations = facts.rows("citations")
    tied = citations - facts.column("citations", "ifw_number").nulls
    unknown = facts.citation_quirks.ifw_number_not_in_office_actions
    return {
        "rejections": facts.rows("rejections"),
        "rejections_with_action": facts.joins.rejections_with_action,
        "citations": citations,
        "citations_tied_to_an_action": tied,
        "citations_whose_action_exists": tied - unknown,
        "citations_app_id_without_action": facts.citation_quirks.app_id_not_in_office_actions,
        "citations_multiplied_by_rejection_join": facts.joins.citations_multiplied,
        "rows_added_by_rejection_join": facts.joins.rows_added_by_rejection_join,
        "citations_with_action_type_but_no_subtype": facts.joins.citations_typed_without_subtype,
    }


def column_profile(column: ColumnFacts) -> dict[str, Any]:
    """A column's profile: NULL cells, distinct values, extremes, and the top values of a
    counted column with a small vocabulary."""
    found: dict[str, Any] = {
        "null": column.nulls,
        "distinct": column.distinct,
        "distinct_exact": column.exact,
        "min": extreme(column.low),
        "max": extreme(column.high),
    }
    if column.counts is not None and column.distinct <= VOCABULARY_LIMIT:
        present = [c for c in column.counts if c.value is not None][:TOP_VALUES]
        found["top"] = {label(c.value): c.rows for c in present}
    return found


def column_profiles(facts: ReleaseFacts, table: str) -> dict[str, dict[str, Any]]:
    return {c.name: column_profile(c) for c in facts.tables[table].columns}


def case_law(facts: ReleaseFacts) -> dict[str, Any]:
    """Per eligibility decision: its rejection rows flagged, and the Office actions citing
    it (an action once, however many of its rows carry the flag), with their share of all
    actions; then the actions citing any of them."""
    actions = facts.rows("office_actions")
    cited = zip(DECISIONS, facts.decisions.actions, strict=True)
    rows = [
        {
            "decision": d.case,
            "decided": d.decided.isoformat(),
            "flag": d.flag,
            "rejection_rows": facts.column("rejections", d.flag).rows_with(True),
            "office_actions": n,
            "share_of_actions": fraction(n, actions),
        }
        for d, n in cited
    ]
    any_decision = facts.decisions.any_decision
    total = {"office_actions": any_decision, "share_of_actions": fraction(any_decision, actions)}
    return {"decisions": rows, "any_decision": total}


def statistics_json(facts: ReleaseFacts) -> dict[str, Any]:
    """The ``statistics`` block of ``validation_report.json``."""
    return {
        "overview": overview(facts),
        "per_mail_year": per_mail_year(facts.figures),
        "case_law": case_law(facts),
        "joins": joins(facts),
        "figures": figure_data(facts.figures),
        "columns": {t: column_profiles(facts, t) for t in TABLES},
    }
