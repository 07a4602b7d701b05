"""The one oracle of the card's numbers: what DuckDB computes from the release's Parquet
shards. The overview, the per-year table, the join coverage and the rows the citations →
rejections join adds, the column profile, the case law, the known quirks, and the numbers
behind the figures (in the report). Checked on the sample, on the sample built with
quarantined rows, on a small synthetic source (ptoffact synthesize), and on the sample's
release with rows changed after the build, then described again."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from helpers import change_office_actions, sample_rows, write_rows
from ptoffact_build.cli import main
from ptoffact_build.describe.measure import EXACT_BELOW
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release
from ptoffact_build.synthetic import write_source

duckdb = pytest.importorskip("duckdb")

TABLES = ("office_actions", "rejections", "citations")
GROUNDS = ("rejection_101", "rejection_102", "rejection_103", "rejection_112", "rejection_dp")
# the key columns: counted exactly however many values they hold
KNOWN_EXACTLY = [(t, c) for t in TABLES for c in ("app_id", "ifw_number")]
ESTIMATE_ERROR = 5 / EXACT_BELOW**0.5  # five standard errors of a distinct-count estimate
SUBTYPES_MATCH = "c.action_subtype IS NOT DISTINCT FROM r.action_subtype"
TRIPLE_JOIN = f"c.ifw_number = r.ifw_number AND c.action_type = r.action_type AND {SUBTYPES_MATCH}"


def quarantined_source(folder: Path) -> Path:
    """The sample as CSVs with broken rows: a bad date (its action's rejections follow it
    into quarantine) and a bad flag in a citation."""
    for table in TABLES:
        rows = sample_rows(table)
        if table == "office_actions":
            for row in rows[1:40:7]:
                row[3] = "2014-02-30"
        if table == "citations":
            for row in rows[1:200:9]:
                row[-1] = "2"
        write_rows(folder / f"{table}.csv", rows)
    return folder


@pytest.fixture(scope="module", params=["sample", "quarantined", "generated", "changed"])
def release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built release: of the sample, of the sample with rows quarantined, of a synthetic
    source (ptoffact synthesize); or the sample's with rows changed after the build, then
    described again by ``ptoffact describe``."""
    if request.param == "sample":
        return request.getfixturevalue("sample_release")
    if request.param == "changed":
        out = tmp_path_factory.mktemp("changed") / "ptoffact"
        shutil.copytree(request.getfixturevalue("sample_release"), out)
        change_office_actions(out)
        assert main(["describe", str(out)]) == 0
        return out
    source = tmp_path_factory.mktemp(request.param)
    out = tmp_path_factory.mktemp("release") / "ptoffact"
    if request.param == "quarantined":
        options = BuildOptions(CheckOptions(policy="quarantine"))
        result = build_release(resolve_sources([quarantined_source(source)]), out, options)
        held = {t: r.rows_quarantined for t, r in result.tables.items()}
        assert all(held.values()), held  # each table lost rows, rejections by cascade
        return out
    write_source(source, 0.002, seed=11)
    build_release(resolve_sources([source]), out)
    return out


class Shards:
    """SQL over the release's Parquet shards, each table a view of its own name."""

    def __init__(self, release: Path) -> None:
        self.db = duckdb.connect()
        for table in TABLES:
            shards = (release / "data" / table / "*.parquet").as_posix()
            self.db.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{shards}')")

    def one(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def rows(self, sql: str) -> list[tuple]:
        return self.db.sql(sql).fetchall()


@pytest.fixture(scope="module")
def shards(release: Path) -> Shards:
    return Shards(release)


@pytest.fixture(scope="module")
def card(release: Path) -> str:
    return (release / "README.md").read_text(encoding="utf-8")


def section(card: str, title: str) -> str:
    """The text of a ``## title`` section, up to the next heading of that level."""
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", card, re.S | re.M)
    assert found is not None, title
    return found.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row in ``text`` (separator rows left out)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def integer(text: str) -> int:
    return int(text.replace(",", ""))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %"


def test_overview_numbers_equal_duckdb(card: str, shards: Shards) -> None:
    measures = {
        row[0]: row[1] for row in table_rows(section(card, "Overview (measured on this build)"))
    }
    for table in TABLES:
        assert integer(measures[f"rows in `{table}`"]) == shards.one(
            f"SELECT count(*) FROM {table}"
        )
    apps = shards.one("SELECT count(DISTINCT app_id) FROM office_actions")
    assert integer(measures["distinct applications (`office_actions.app_id`)"]) == apps
    units = shards.one("SELECT count(DISTINCT art_unit) FROM office_actions")
    assert integer(measures["distinct art units"]) == units
    first, last = shards.rows("SELECT min(mail_dt), max(mail_dt) FROM office_actions")[0]
    assert measures["first mail date"] == first.isoformat()
    assert measures["last mail date"] == last.isoformat()
    final, actions = shards.rows(
        "SELECT count(*) FILTER (document_cd = 'CTFR'), count(*) FROM office_actions"
    )[0]
    assert (
        measures["final actions (`document_cd` CTFR)"] == f"{final:,} ({percent(final, actions)})"
    )
    for label, table, key in [
        ("rejection rows per action with any", "rejections", "ifw_number"),
        ("citation rows per application with any", "citations", "app_id"),
    ]:
        mean, median = (float(v) for v in measures[f"{label}: mean / median"].split(" / "))
        per_key = f"SELECT count(*) AS n FROM {table} GROUP BY {key}"
        expected_mean, expected_median = shards.rows(f"SELECT avg(n), median(n) FROM ({per_key})")[
            0
        ]
        assert mean == pytest.approx(expected_mean, abs=0.005), label
        assert median == expected_median, label


def test_per_year_table_equals_duckdb(card: str, shards: Shards) -> None:
    rows = table_rows(section(card, "Office actions per mail year"))
    header, body = rows[0], rows[1:]
    found = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    sums = ", ".join(f"count(*) FILTER ({g})" for g in GROUNDS)
    expected = shards.rows(
        f"SELECT year(mail_dt), count(*), {sums} FROM office_actions GROUP BY 1 ORDER BY 1"
    )
    assert sorted(found) == [r[0] for r in expected]
    for year, actions, *flagged in expected:
        assert integer(found[year]["actions"]) == actions
        for ground, count in zip(GROUNDS, flagged, strict=True):
            assert found[year][f"`{ground}`"] == percent(count, actions), (year, ground)
    assert sum(r[2] for r in expected) > 0  # some 101 rejections, so the shares are tested


def test_join_coverage_and_added_rows_equal_duckdb(card: str, shards: Shards) -> None:
    text = " ".join(section(card, "Joining the tables").split())
    found = re.search(r"`ifw_number`: ([\d,]+) of ([\d,]+) rejection rows find their action", text)
    assert found is not None
    with_action = shards.one(
        "SELECT count(*) FROM rejections SEMI JOIN office_actions USING (ifw_number)"
    )
    assert [integer(n) for n in found.groups()] == [
        with_action,
        shards.one("SELECT count(*) FROM rejections"),
    ]
    found = re.search(
        r"([\d,]+) of ([\d,]+) citation rows name an action .*?, and ([\d,]+) of those find it\. "
        r"([\d,]+) citation rows have an `app_id` with no Office action",
        text,
    )
    assert found is not None
    tied, citations, existing, orphans = (integer(n) for n in found.groups())
    assert tied == shards.one("SELECT count(ifw_number) FROM citations")
    assert citations == shards.one("SELECT count(*) FROM citations")
    assert existing == shards.one(
        "SELECT count(*) FROM citations SEMI JOIN office_actions USING (ifw_number)"
    )
    assert orphans == shards.one(
        "SELECT count(*) FROM citations ANTI JOIN office_actions USING (app_id)"
    )
    found = re.search(
        r"On this build ([\d,]+) citation rows match a repeated triple and the join returns "
        r"([\d,]+) rows more than it has citations",
        text,
    )
    assert found is not None
    multiplied, added = (integer(n) for n in found.groups())
    joined = shards.one(f"SELECT count(*) FROM citations c JOIN rejections r ON {TRIPLE_JOIN}")
    distinct = "(SELECT DISTINCT ifw_number, action_type, action_subtype FROM rejections)"
    once = shards.one(f"SELECT count(*) FROM citations c JOIN {distinct} r ON {TRIPLE_JOIN}")
    assert added == joined - once > 0
    repeated = (
        "(SELECT ifw_number, action_type, action_subtype FROM rejections "
        "GROUP BY ALL HAVING count(*) > 1)"
    )
    assert multiplied == shards.one(
        f"SELECT count(*) FROM citations c JOIN {repeated} r ON {TRIPLE_JOIN}"
    )
    found = re.search(r"drops the ([\d,]+) citation rows that have an `action_type` but no", text)
    assert found is not None
    assert integer(found.group(1)) == shards.one(
        "SELECT count(*) FROM citations WHERE action_type IS NOT NULL AND action_subtype IS NULL"
    )


def join_recipes(card: str) -> list[str]:
    """The SQL blocks of the card's join section."""
    text = section(card, "Joining the tables")
    return re.findall(r"^```sql\n(.*?)^```$", text, re.S | re.M)


def test_join_recipes_give_what_duckdb_computes(
    card: str, release: Path, shards: Shards, monkeypatch: pytest.MonkeyPatch
) -> None:
    to_actions, to_rejections = join_recipes(card)
    monkeypatch.chdir(release)  # the recipes read the release from inside it
    per_year = duckdb.sql(to_actions).fetchall()
    assert per_year == shards.rows(
        "SELECT year(a.mail_dt), r.action_type, count(*) FROM rejections r "
        "JOIN office_actions a ON r.ifw_number = a.ifw_number GROUP BY 1, 2 ORDER BY 1, 2"
    )
    per_ground = dict(duckdb.sql(to_rejections).fetchall())
    matched = (
        "SELECT c.action_type, count(*) FROM citations c WHERE EXISTS "
        f"(SELECT 1 FROM rejections r WHERE {TRIPLE_JOIN}) GROUP BY 1"
    )
    assert per_ground == dict(shards.rows(matched))
    assert sum(per_ground.values()) > 0


def as_text(value: Any) -> str:
    """A value as the card writes it (booleans as in SQL, dates as ISO dates)."""
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, date) else str(value)


def profile_tables(card: str) -> dict[str, dict[str, list[str]]]:
    """The column profile's rows, per table and column: [NULL, distinct, values]."""
    text = section(card, "Column profile")
    parts = re.split(r"^`(\w+)`:$", text, flags=re.M)
    return {
        table: {row[0].strip("`"): row[1:] for row in table_rows(body)[1:]}
        for table, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_column_profile_equals_duckdb(card: str, shards: Shards) -> None:
    profiles = profile_tables(card)
    assert sorted(profiles) == sorted(TABLES)
    exact_checked = 0
    for table, columns in profiles.items():
        assert list(columns) == [r[0] for r in shards.rows(f"DESCRIBE {table}")]
        for column, (nulls, distinct, values) in columns.items():
            expected = f"SELECT count(*) - count({column}), count(DISTINCT {column}) FROM {table}"
            expected_nulls, expected_distinct = shards.rows(expected)[0]
            assert integer(nulls) == expected_nulls, (table, column)
            if distinct.startswith("≈"):
                estimate = integer(distinct.removeprefix("≈ "))
                assert abs(estimate - expected_distinct) < ESTIMATE_ERROR * expected_distinct
            else:
                assert integer(distinct) == expected_distinct, (table, column)
                exact_checked += 1
            if " … " in values:  # minimum … maximum
                low, high = shards.rows(f"SELECT min({column}), max({column}) FROM {table}")[0]
                card_low, card_high = values.split(" … ")
                for shown, value in ((card_low, as_text(low)), (card_high, as_text(high))):
                    short = value if len(value) <= 60 else value[:59] + "…"
                    assert shown == short.replace("|", "\\|"), (table, column)
            elif values != "NULL":  # the top values with their counts
                top = dict(re.findall(r"`([^`]*)` \(([\d,]+)\)", values))
                counts = shards.rows(
                    f"SELECT {column}, count(*) FROM {table} WHERE {column} IS NOT NULL GROUP BY 1"
                )
                everything = {as_text(v): n for v, n in counts}
                assert {k: integer(n) for k, n in top.items()} == {k: everything[k] for k in top}
                assert len(top) == min(10, len(everything)), (table, column)
                assert list(top) == [as_text(v) for v in ranked(counts)][: len(top)]
    assert exact_checked > 30
    # the distinct counts the build knows exactly are shown exact, however many values
    for table, column in KNOWN_EXACTLY:
        assert not profiles[table][column][1].startswith("≈"), (table, column)


def ranked(counts: list[tuple]) -> list[Any]:
    """The values of ``value, count`` rows, most frequent first, ties by value (NULL
    first)."""
    ordered = sorted(counts, key=lambda row: (-row[1], row[0] is not None, row[0]))
    return [value for value, _ in ordered]


# ---- the known quirks ---------------------------------------------------------------------


def quirk_rows(card: str) -> dict[tuple[str, str], str]:
    """The Known quirks table: (table, measure) → the value cell."""
    rows = table_rows(section(card, "Known quirks (measured on this build)"))
    return {(r[0].strip("`"), r[1].strip("`")): r[2] for r in rows[1:]}


def counted(cell: str) -> dict[str, int]:
    """A quirk's counted values as the card lists them (NULL as ``""``), in order."""
    found = re.findall(r"(?:`([^`]*)`|NULL): ([\d,]+)", cell)
    return {value: integer(n) for value, n in found}


def quirk_text(value: Any) -> str:
    """A counted value as the quirks write it: NULL as ``""``."""
    return "" if value is None else str(value)


QUIRK_COUNTS = {
    ("office_actions", "mail_dt_before_2008"): (
        "SELECT count(*) FROM office_actions WHERE mail_dt < DATE '2008-01-01'"
    ),
    ("office_actions", "same_day_duplicate_rows"): (
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM office_actions "
        "GROUP BY app_id, mail_dt HAVING n > 1)"
    ),
    ("office_actions", "art_unit_non_numeric"): (
        "SELECT count(*) FROM office_actions WHERE NOT regexp_full_match(art_unit, '[0-9]+')"
    ),
    ("rejections", "colliding_triple_rows"): (
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM rejections "
        "GROUP BY ifw_number, action_type, action_subtype HAVING n > 1)"
    ),
    ("rejections", "claim_numbers_empty"): (
        "SELECT count(*) FROM rejections WHERE claim_numbers IS NULL"
    ),
    ("rejections", "claim_numbers_not_a_plain_list"): (
        "SELECT count(*) FROM rejections "
        "WHERE NOT regexp_full_match(claim_numbers, '[0-9]+(,[0-9]+)*')"
    ),
    ("citations", "app_id_not_in_office_actions"): (
        "SELECT count(*) FROM citations ANTI JOIN office_actions USING (app_id)"
    ),
    ("citations", "ifw_number_empty"): "SELECT count(*) FROM citations WHERE ifw_number IS NULL",
    ("citations", "ifw_number_not_in_office_actions"): (
        "SELECT count(*) FROM citations c WHERE c.ifw_number IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM office_actions a WHERE a.ifw_number = c.ifw_number)"
    ),
    ("citations", "repeated_app_citation_rows"): (
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM citations "
        "GROUP BY app_id, citation_pat_pgpub_id HAVING n > 1)"
    ),
}
QUIRK_VOCABULARIES = {
    ("office_actions", "art_unit_lengths"): ("office_actions", "length(art_unit)"),
    ("office_actions", "uspc_class_lengths"): ("office_actions", "length(uspc_class)"),
    ("office_actions", "document_cd"): ("office_actions", "document_cd"),
    ("rejections", "action_type"): ("rejections", "action_type"),
    ("rejections", "action_subtype"): ("rejections", "action_subtype"),
    ("citations", "action_type"): ("citations", "action_type"),
    ("citations", "parsed_lengths"): ("citations", "length(parsed)"),
}


def test_known_quirks_equal_duckdb(card: str, shards: Shards) -> None:
    quirks = quirk_rows(card)
    first, last = shards.rows("SELECT min(mail_dt), max(mail_dt) FROM office_actions")[0]
    assert quirks["office_actions", "mail_dt_first"] == first.isoformat()
    assert quirks["office_actions", "mail_dt_last"] == last.isoformat()
    for key, sql in QUIRK_COUNTS.items():
        assert integer(quirks[key]) == shards.one(sql), key
    for key, (table, value) in QUIRK_VOCABULARIES.items():
        lengths = value.startswith("length(")
        where = f" WHERE {value.removeprefix('length(').rstrip(')')} IS NOT NULL" if lengths else ""
        rows = shards.rows(f"SELECT {value}, count(*) FROM {table}{where} GROUP BY 1")
        expected = {quirk_text(v): n for v, n in rows}
        shown = counted(quirks[key])
        assert shown == {v: expected[v] for v in shown}, key
        assert list(shown) == [quirk_text(v) for v in ranked(rows)][: len(shown)], key
        assert len(shown) == min(12, len(expected)), key
    shown_keys = set(quirks) - set(QUIRK_COUNTS) - set(QUIRK_VOCABULARIES)
    assert shown_keys == {("office_actions", "mail_dt_first"), ("office_actions", "mail_dt_last")}


# ---- the numbers behind the figures (in the report) ---------------------------------------


def figures(release: Path) -> dict:
    report = json.loads((release / "validation_report.json").read_text(encoding="utf-8"))
    return report["statistics"]["figures"]


def test_the_quarters_equal_duckdb(release: Path, shards: Shards) -> None:
    rows = figures(release)["per_mail_quarter"]
    found = {r["quarter"]: (r["office_actions"], *(r[g] for g in GROUNDS)) for r in rows}
    counts = ", ".join(f"count(*) FILTER (WHERE {g})" for g in GROUNDS)
    expected = shards.rows(
        f"SELECT year(mail_dt) || 'Q' || quarter(mail_dt), count(*), {counts} "
        "FROM office_actions WHERE mail_dt IS NOT NULL GROUP BY 1"
    )
    assert found == {q: tuple(rest) for q, *rest in expected}
    assert sum(r["rejection_101"] for r in rows) > 0


def test_the_months_by_document_code_equal_duckdb(release: Path, shards: Shards) -> None:
    rows = figures(release)["per_mail_month_by_document_cd"]
    found = {(r["month"], k): v for r in rows for k, v in r.items() if k != "month" and v}
    expected = shards.rows(
        "SELECT strftime(mail_dt, '%Y-%m'), coalesce(document_cd, 'other'), count(*) "
        "FROM office_actions WHERE mail_dt IS NOT NULL GROUP BY 1, 2"
    )
    assert found == {(month, code): n for month, code, n in expected}


def test_the_technology_centers_equal_duckdb(release: Path, shards: Shards) -> None:
    rows = figures(release)["per_technology_center"]
    expected = shards.rows(
        "SELECT CASE WHEN regexp_matches(art_unit, '^[0-9]{2}') "
        "THEN substr(art_unit, 1, 2) || 'xx' ELSE 'other' END, count(*) "
        "FROM office_actions GROUP BY 1"
    )
    assert {r["center"]: r["office_actions"] for r in rows} == dict(expected)
    named = [r["center"] for r in rows if r["center"] != "other"]
    assert named == sorted(named) and rows[-1]["center"] in ("other", named[-1])


def test_the_citation_sources_equal_duckdb(release: Path, shards: Shards) -> None:
    found = figures(release)
    by_source = {r["source"]: r["citations"] for r in found["citations_by_source"]}
    flags = "coalesce(form892, false)::int + coalesce(form1449, false)::int + " + (
        "coalesce(citation_in_oa, false)::int"
    )
    ((f892, f1449, in_oa, none, several, rows),) = shards.rows(
        "SELECT count(*) FILTER (WHERE form892), count(*) FILTER (WHERE form1449), "
        f"count(*) FILTER (WHERE citation_in_oa), count(*) FILTER (WHERE {flags} = 0), "
        f"count(*) FILTER (WHERE {flags} > 1), count(*) FROM citations"
    )
    assert by_source == {"form892": f892, "form1449": f1449, "citation_in_oa": in_oa, "none": none}
    assert found["citations_in_several_sources"] == several
    assert found["citation_rows"] == rows


# ---- case law and coverage ----------------------------------------------------------------

CASE_LAW = ("bilski_in", "mayo_in", "myriad_in", "alice_in")


CASE_LAW_SECTION = "Case law cited in rejections (measured on this build)"


def test_case_law_equals_duckdb(card: str, release: Path, shards: Shards, monkeypatch) -> None:
    rows = table_rows(section(card, CASE_LAW_SECTION))
    found = {r[2].strip("`"): r for r in rows[1:] if r[2]}
    actions = shards.one("SELECT count(*) FROM office_actions")
    assert list(found) == list(CASE_LAW)
    for flag, row in found.items():
        flagged, citing = shards.rows(
            f"SELECT count(*) FILTER ({flag}), count(DISTINCT ifw_number) FILTER ({flag}) "
            "FROM rejections"
        )[0]
        assert [integer(row[3]), integer(row[4])] == [flagged, citing], flag
        assert row[5] == percent(citing, actions), flag
    any_row = rows[-1]
    either = " OR ".join(CASE_LAW)
    expected = shards.one(f"SELECT count(DISTINCT ifw_number) FILTER ({either}) FROM rejections")
    assert any_row[0] == "any of the four" and integer(any_row[4]) == expected
    (recipe,) = re.findall(
        r"^```sql\n(.*?)^```$",
        section(card, "Case law cited in rejections (measured on this build)"),
        re.S | re.M,
    )
    monkeypatch.chdir(release)  # the recipe reads the release from inside it
    assert list(duckdb.sql(recipe).fetchall()[0]) == [integer(found[f][4]) for f in CASE_LAW]


def test_the_quarters_of_the_eligibility_centers_equal_duckdb(
    release: Path, shards: Shards
) -> None:
    rows = figures(release)["per_mail_quarter_by_center"]
    found = {(r["quarter"], r["center"]): (r["office_actions"], r["rejection_101"]) for r in rows}
    expected = shards.rows(
        "SELECT year(mail_dt) || 'Q' || quarter(mail_dt), substr(art_unit, 1, 2) || 'xx', "
        "count(*), count(*) FILTER (rejection_101) FROM office_actions "
        "WHERE mail_dt IS NOT NULL AND substr(art_unit, 1, 2) IN ('16', '21', '36', '37') "
        "GROUP BY 1, 2"
    )
    assert found == {(q, c): (n, k) for q, c, n, k in expected}


def test_the_coverage_note_names_the_applications_series(card: str, shards: Shards) -> None:
    low, high = shards.rows("SELECT min(app_id), max(app_id) FROM office_actions")[0]
    overview = " ".join(section(card, "Overview (measured on this build)").split())
    assert (
        f"the applications here are of series {low[:2]} to {high[:2]} (`app_id` {low} to "
        f"{high})" in overview
    )
