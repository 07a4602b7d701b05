"""The card's measured sections: overview, office actions per mail year, joining the
tables, column profile. They show what :mod:`.statistics` renders for the report, so the
card and ``validation_report.json`` always say the same."""

from __future__ import annotations

from typing import Any

from ptoffact_build.describe.facts import GROUNDS, PARSING_FLAGS, ReleaseFacts
from ptoffact_build.describe.statistics import (
    case_law,
    column_profiles,
    joins,
    overview,
    per_mail_year,
)
from ptoffact_build.schema import TABLES


def number(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(part: int | None, whole: int | None) -> str:
    return f"{100 * part / whole:.1f} %" if part is not None and whole else "NULL"


def overview_section(facts: ReleaseFacts) -> list[str]:
    found = overview(facts)
    per_action = found["rejections_per_action"] or {}
    per_app = found["citations_per_application"] or {}
    rows = found["rows"]
    return [
        "## Overview (measured on this build)",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| rows in `{t}` | {number(n)} |" for t, n in rows.items()),
        f"| distinct applications (`office_actions.app_id`) | "
        f"{number(found['distinct_applications'])} |",
        f"| distinct art units | {number(found['distinct_art_units'])} |",
        f"| first mail date | {number(found['mail_dt_first'])} |",
        f"| last mail date | {number(found['mail_dt_last'])} |",
        f"| final actions (`document_cd` CTFR) | {number(found['final_actions'])} "
        f"({percent(found['final_actions'], rows['office_actions'])}) |",
        f"| rejection rows per action with any: mean / median | "
        f"{number(per_action.get('mean'))} / {number(per_action.get('median'))} |",
        f"| citation rows per application with any: mean / median | "
        f"{number(per_app.get('mean'))} / {number(per_app.get('median'))} |",
        "",
        "Means and medians are over the keys present in the table (`rejections.ifw_number`, "
        "`citations.app_id`), counted exactly in the release's Parquet shards.",
        *coverage_note(facts),
    ]


def coverage_note(facts: ReleaseFacts) -> list[str]:
    """What the applications' series mean for counts over time."""
    applications = facts.column("office_actions", "app_id")
    if applications.low is None or applications.high is None:
        return []
    low, high = applications.low, applications.high
    return [
        "",
        f"Coverage: the applications here are of series {low[:2]} to {high[:2]} (`app_id` "
        f"{low} to {high}); the USPTO's data holds series 12 to 15 only. Its early years "
        "therefore hold only young applications (the older series are absent), so counts "
        "over time, such as the actions per month, grow with the data's coverage, not with "
        "the Office's workload.",
    ]


def case_law_section(facts: ReleaseFacts) -> list[str]:
    """The actions citing each eligibility decision, and how to count them."""
    found = case_law(facts)
    lines = [
        "## Case law cited in rejections (measured on this build)",
        "",
        "`rejections` flags each rejection row whose action text cites one of the Supreme "
        "Court's eligibility decisions. An action often has several rejection rows citing the "
        "same decision, so count actions, not rows: distinct `ifw_number`.",
        "",
        "| decision | decided | flag | rejection rows | Office actions citing it | share of "
        "all actions |",
        "|---|---|---|---|---|---|",
    ]
    for row in found["decisions"]:
        lines.append(
            f"| {row['decision']} | {row['decided']} | `{row['flag']}` | "
            f"{row['rejection_rows']:,} | {row['office_actions']:,} | "
            f"{percent(row['office_actions'], facts.rows('office_actions'))} |"
        )
    total = found["any_decision"]["office_actions"]
    lines.append(
        f"| any of the four | | | | {total:,} | {percent(total, facts.rows('office_actions'))} |"
    )
    return [*lines, "", CASE_LAW_RECIPE]


CASE_LAW_RECIPE = """```sql
-- DuckDB: Office actions citing each decision (run from inside the release folder)
SELECT count(DISTINCT ifw_number) FILTER (WHERE bilski_in) AS bilski,
       count(DISTINCT ifw_number) FILTER (WHERE mayo_in)   AS mayo,
       count(DISTINCT ifw_number) FILTER (WHERE myriad_in) AS myriad,
       count(DISTINCT ifw_number) FILTER (WHERE alice_in)  AS alice
FROM 'data/rejections/*.parquet';
```"""


def per_year_section(facts: ReleaseFacts) -> list[str]:
    names = GROUNDS + PARSING_FLAGS
    lines = [
        "## Office actions per mail year",
        "",
        "Share of the year's actions raising each ground, and carrying each parsing-quality "
        "flag (true; NULL counts as not raised).",
        "",
        "| year | actions | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    rows = per_mail_year(facts.figures)
    for row in rows:
        total = row["office_actions"]
        cells = [percent(row[n], total) for n in names]
        lines.append(f"| {row['year']} | {total:,} | " + " | ".join(cells) + " |")
    return lines + year_notes(rows, overview(facts)["mail_dt_last"])


def year_notes(rows: list[dict[str, Any]], last: str | None) -> list[str]:
    """Which years of the table rest on few or partial data."""
    notes = []
    early = sum(r["office_actions"] for r in rows if r["year"] < 2008)
    if early:
        notes.append(
            f"The {early:,} actions mailed before 2008 lie outside the span the data covers "
            "(2008 to mid-2017; `mail_dt_before_2008` under Known quirks): the shares of "
            "those years rest on very few actions."
        )
    if last and not last.endswith("-12-31"):
        notes.append(f"The last mail date is {last}, so {last[:4]} is a partial year.")
    return ["", " ".join(notes)] if notes else []


def cell_text(value: Any, limit: int = 60) -> str:
    """A value fit for a Markdown table cell: shortened, its pipes escaped."""
    text = number(value)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def profile_cell(profile: dict[str, Any]) -> str:
    if "top" in profile:
        return ", ".join(f"`{cell_text(k)}` ({v:,})" for k, v in profile["top"].items()) or "NULL"
    return f"{cell_text(profile['min'])} … {cell_text(profile['max'])}"


def profile_section(facts: ReleaseFacts) -> list[str]:
    lines = [
        "## Column profile",
        "",
        "NULL cells, distinct non-NULL values, and the top values of a small vocabulary "
        "(50 values at most) or else the minimum … maximum. Distinct counts marked ≈ are "
        "estimated from a sample of the values (those whose 64-bit hash falls in a fixed "
        "part of the hash range), with a standard error under 1.6 %; the others are exact.",
    ]
    for table in TABLES:
        lines += [
            "",
            f"`{table}`:",
            "",
            "| column | NULL | distinct | values |",
            "|---|---|---|---|",
        ]
        for name, p in column_profiles(facts, table).items():
            distinct = number(p["distinct"]) if p["distinct_exact"] else f"≈ {p['distinct']:,}"
            lines.append(f"| `{name}` | {p['null']:,} | {distinct} | {profile_cell(p)} |")
    return lines


JOIN_RECIPES = """\
These recipes read the release from inside its folder; to read the dataset on the Hub,
change each path as the examples under Loading do.

```sql
-- DuckDB: rejections → office_actions on ifw_number (one action per rejection row at most):
-- rejection rows by action_type and mail year
SELECT year(a.mail_dt) AS year, r.action_type, count(*) AS rejections
FROM 'data/rejections/*.parquet' AS r
JOIN 'data/office_actions/*.parquet' AS a USING (ifw_number)
GROUP BY ALL
ORDER BY ALL;
```

```sql
-- DuckDB: citations → rejections on (ifw_number, action_type, action_subtype), one row per
-- citation: the rejection side is made distinct first, since the triple repeats, and
-- action_subtype is compared NULL-safe, since = never matches NULL
SELECT r.action_type, count(*) AS citations
FROM 'data/citations/*.parquet' AS c
JOIN (
    SELECT DISTINCT ifw_number, action_type, action_subtype
    FROM 'data/rejections/*.parquet'
) AS r
  ON c.ifw_number = r.ifw_number
 AND c.action_type = r.action_type
 AND c.action_subtype IS NOT DISTINCT FROM r.action_subtype
GROUP BY r.action_type
ORDER BY r.action_type;
```"""


def joins_section(facts: ReleaseFacts) -> list[str]:
    j = joins(facts)
    return [
        "## Joining the tables",
        "",
        f"- `rejections` → `office_actions` on `ifw_number`: {number(j['rejections_with_action'])} "
        f"of {number(j['rejections'])} rejection rows find their action "
        f"({percent(j['rejections_with_action'], j['rejections'])}).",
        "- `citations` → `office_actions` on `ifw_number`: "
        f"{number(j['citations_tied_to_an_action'])} of {number(j['citations'])} citation rows "
        "name an action (the others hold NULL), and "
        f"{number(j['citations_whose_action_exists'])} of those find it. "
        f"{number(j['citations_app_id_without_action'])} citation rows have an `app_id` with no "
        "Office action in the data.",
        "- `citations` → `rejections` on (`ifw_number`, `action_type`, `action_subtype`): "
        "**this join multiplies rows**, because the triple repeats in `rejections`. On this "
        f"build {number(j['citations_multiplied_by_rejection_join'])} citation rows match a "
        f"repeated triple and the join returns {number(j['rows_added_by_rejection_join'])} "
        "rows more than it has citations. Deduplicate the rejection side first (e.g. `SELECT "
        "DISTINCT ifw_number, action_type, action_subtype`) when counting citations. "
        "`action_subtype` is NULL in both tables where the action has no subtype (e.g. a 103 "
        "rejection without a paragraph letter): match it with `IS NOT DISTINCT FROM` (SQL) or "
        "`nulls_equal=True` (Polars), as the counts here do; a plain `=` never matches NULL and "
        "drops the "
        f"{number(j['citations_with_action_type_but_no_subtype'])} citation rows that have an "
        "`action_type` but no `action_subtype`.",
        "- Other USPTO data (the Patent Examination Research Dataset's application data, "
        "PatentsView): join on the application number. `app_id` here is text of 8 digits with "
        "its leading zeros (`09876543`); pad numbers read elsewhere to 8 digits, e.g. "
        "`lpad(CAST(application_number AS VARCHAR), 8, '0')` in DuckDB or "
        "`str(n).zfill(8)` in Python.",
        "",
        JOIN_RECIPES,
    ]


def statistics_sections(facts: ReleaseFacts) -> str:
    """The card's sections of measured statistics, in order."""
    parts = [overview_section(facts), per_year_section(facts), case_law_section(facts)]
    parts.append(joins_section(facts))
    parts.append(profile_section(facts))
    return "\n\n".join("\n".join(p) for p in parts)
