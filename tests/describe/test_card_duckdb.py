"""The numbers a researcher reads in the card equal what DuckDB computes from the release's
Parquet shards: the overview, the per-year table, the join coverage and the rows the
citations → rejections join adds, and the column profile. Checked on the sample and on a
small synthetic source (ptoffact synthesize)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import build_release
from ptoffact_build.synthetic import write_source

duckdb = pytest.importorskip("duckdb")

TABLES = ("office_actions", "rejections", "citations")
GROUNDS = ("rejection_101", "rejection_102", "rejection_103", "rejection_112", "rejection_dp")
# a one-column primary key, values later tables look up, keys whose rows are counted
KNOWN_EXACTLY = [
    ("office_actions", "ifw_number"),
    ("office_actions", "app_id"),
    ("rejections", "ifw_number"),
    ("citations", "app_id"),
]
SUBTYPES_MATCH = "c.action_subtype IS NOT DISTINCT FROM r.action_subtype"
TRIPLE_JOIN = f"c.ifw_number = r.ifw_number AND c.action_type = r.action_type AND {SUBTYPES_MATCH}"


@pytest.fixture(scope="module", params=["sample", "generated"])
def release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built release: of the sample, or of a synthetic source (ptoffact synthesize)."""
    if request.param == "sample":
        return request.getfixturevalue("sample_release")
    source = tmp_path_factory.mktemp("generated")
    write_source(source, 0.002, seed=11)
    out = tmp_path_factory.mktemp("release") / "ptoffact"
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
                assert abs(estimate - expected_distinct) < 0.1 * expected_distinct
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
    assert exact_checked > 30
    # the distinct counts the build knows exactly are shown exact, however many values
    for table, column in KNOWN_EXACTLY:
        assert not profiles[table][column][1].startswith("≈"), (table, column)
