"""The card's figures: PNGs under ``images/`` drawn from aggregates that equal what DuckDB
counts in the Parquet shards; the same numbers give the same bytes; the card embeds exactly
the figures that exist, and says so when one could not be drawn."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import matplotlib.image
import pyarrow as pa
import pytest

from helpers import NO_FIGURE_DATA, assert_same_figures
from ptoffact_build.check.timeline import (
    CODES_KEPT,
    CitationSources,
    OfficeActionTimeline,
    technology_center,
)
from ptoffact_build.describe.plots import (
    DPI,
    PLOTS,
    SIZE,
    core_window,
    draw_figures,
    figures_section,
)

GROUNDS = ("rejection_101", "rejection_102", "rejection_103", "rejection_112", "rejection_dp")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EMBEDDED = re.compile(r"!\[([^\]]+)\]\(([^)]+)\)")


def statistics(release: Path) -> dict:
    return json.loads((release / "validation_report.json").read_text())["statistics"]


def shards(release: Path, table: str) -> str:
    return f"'{release / 'data' / table}/*.parquet'"


def query(sql: str) -> list[tuple]:
    return duckdb.connect().execute(sql).fetchall()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which follows the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def test_the_sample_release_holds_every_figure_as_a_png(sample_release: Path) -> None:
    images = sample_release / "images"
    assert sorted(p.name for p in images.iterdir()) == sorted(f"{n}.png" for n in PLOTS)
    width, height = round(SIZE[0] * DPI), round(SIZE[1] * DPI)
    for name in PLOTS:
        path = images / f"{name}.png"
        assert png_size(path.read_bytes()) == (width, height)
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[:2] == (height, width)
        assert pixels.std() > 0.05  # something is drawn, not a blank page


def test_the_png_bytes_hold_no_software_text_or_time(sample_release: Path) -> None:
    for path in (sample_release / "images").iterdir():
        data = path.read_bytes()
        assert b"Software" not in data and b"matplotlib" not in data.lower()
        assert b"tIME" not in png_chunks(data)


def test_the_same_numbers_draw_the_same_bytes(sample_release: Path, tmp_path: Path) -> None:
    found = statistics(sample_release)
    for folder in (tmp_path / "a", tmp_path / "b"):
        plots = draw_figures(folder, found["figures"], found["per_mail_year"])
        assert [p.missing for p in plots] == [""] * len(PLOTS)
    assert_same_figures(tmp_path / "a", tmp_path / "b", sample_release / "images")


def test_the_card_embeds_exactly_the_images_with_a_caption(sample_release: Path) -> None:
    card = (sample_release / "README.md").read_text()
    embedded = EMBEDDED.findall(card)
    folder = sample_release / "images"
    files = {p.relative_to(sample_release).as_posix() for p in folder.iterdir()}
    assert {path for _, path in embedded} == files
    assert len(embedded) == len(files)
    lines = card.splitlines()
    for alt, path in embedded:
        at = lines.index(f"![{alt}]({path})")
        assert lines[at - 2] == f"### {alt}"
        caption = lines[at + 2]
        assert caption.startswith("*") and caption.endswith("*") and len(caption) > 80


def test_the_quarters_equal_duckdb_counts(sample_release: Path) -> None:
    rows = statistics(sample_release)["figures"]["per_mail_quarter"]
    found = {r["quarter"]: (r["office_actions"], *(r[g] for g in GROUNDS)) for r in rows}
    counts = ", ".join(f"count(*) FILTER (WHERE {g})" for g in GROUNDS)
    expected = query(
        f"SELECT year(mail_dt) || 'Q' || quarter(mail_dt), count(*), {counts} "
        f"FROM {shards(sample_release, 'office_actions')} GROUP BY 1"
    )
    assert found == {q: tuple(rest) for q, *rest in expected}
    assert sum(r["rejection_101"] for r in rows) > 0


def test_the_months_by_document_code_equal_duckdb_counts(sample_release: Path) -> None:
    rows = statistics(sample_release)["figures"]["per_mail_month_by_document_cd"]
    found = {(r["month"], k): v for r in rows for k, v in r.items() if k != "month" and v}
    expected = query(
        "SELECT strftime(mail_dt, '%Y-%m'), document_cd, count(*) "
        f"FROM {shards(sample_release, 'office_actions')} GROUP BY 1, 2"
    )
    assert found == {(month, code): n for month, code, n in expected}


def test_the_technology_centers_equal_duckdb_counts(sample_release: Path) -> None:
    rows = statistics(sample_release)["figures"]["per_technology_center"]
    expected = query(
        "SELECT CASE WHEN regexp_matches(art_unit, '^[0-9]{2}') "
        "THEN substr(art_unit, 1, 2) || 'xx' ELSE 'other' END, count(*) "
        f"FROM {shards(sample_release, 'office_actions')} GROUP BY 1"
    )
    assert {r["center"]: r["office_actions"] for r in rows} == dict(expected)
    assert [r["center"] for r in rows] == sorted(r["center"] for r in rows)


def test_the_citation_sources_equal_duckdb_counts(sample_release: Path) -> None:
    found = statistics(sample_release)["figures"]
    by_source = {r["source"]: r["citations"] for r in found["citations_by_source"]}
    flags = "coalesce(form892, false)::int + coalesce(form1449, false)::int + " + (
        "coalesce(citation_in_oa, false)::int"
    )
    ((f892, f1449, in_oa, none, several, rows),) = query(
        "SELECT count(*) FILTER (WHERE form892), count(*) FILTER (WHERE form1449), "
        f"count(*) FILTER (WHERE citation_in_oa), count(*) FILTER (WHERE {flags} = 0), "
        f"count(*) FILTER (WHERE {flags} > 1), count(*) "
        f"FROM {shards(sample_release, 'citations')}"
    )
    assert by_source == {"form892": f892, "form1449": f1449, "citation_in_oa": in_oa, "none": none}
    assert found["citations_in_several_sources"] == several
    assert found["citation_rows"] == rows


def test_nothing_to_draw_means_no_file_and_a_card_that_says_so(tmp_path: Path) -> None:
    plots = draw_figures(tmp_path / "images", NO_FIGURE_DATA, [])
    assert [p.name for p in plots] == list(PLOTS)
    assert all(p.missing for p in plots)
    assert not (tmp_path / "images").exists() or not any((tmp_path / "images").iterdir())
    section = figures_section(plots)
    assert "![" not in section
    assert section.count("No figure: ") == len(PLOTS)


def test_shares_need_enough_actions_in_some_period(tmp_path: Path) -> None:
    few = [{"quarter": "2012Q1", "office_actions": 3, **dict.fromkeys(GROUNDS, 1)}]
    data = {
        "per_mail_month_by_document_cd": [{"month": "2012-01", "CTNF": 3}],
        "per_mail_quarter": few,
        "per_technology_center": [{"center": "16xx", "office_actions": 3}],
        "citation_rows": 0,
        "citations_by_source": [],
        "citations_in_several_sources": 0,
    }
    plots = {p.name: p for p in draw_figures(tmp_path, data, [])}
    assert "no quarter with 20 Office actions" in plots["grounds_per_quarter"].missing
    assert plots["actions_per_month"].missing == ""
    assert plots["actions_by_technology_center"].missing == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "actions_by_technology_center.png",
        "actions_per_month.png",
    ]


def test_the_time_axis_leaves_out_only_sparse_ends() -> None:
    assert core_window([1, 0, 500, 3, 800, 700, 2]) == (2, 6)
    assert core_window([100, 1, 100]) == (0, 3)
    assert core_window([]) == (0, 0)


def test_plotting_is_imported_only_when_drawing() -> None:
    code = (
        "import sys, ptoffact_build.cli, ptoffact_build.release, ptoffact_build.describe.card;"
        "print('matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ---- the aggregates themselves -------------------------------------------------------


def action_batch(codes: list[str | None], art_units: list[str], dates: list) -> pa.RecordBatch:
    n = len(codes)
    columns = {
        "document_cd": pa.array(codes, pa.string()),
        "mail_dt": pa.array(dates, pa.date32()),
        "art_unit": pa.array(art_units, pa.string()),
        **{g: pa.array([i % 2 == 0 for i in range(n)]) for g in GROUNDS},
    }
    return pa.RecordBatch.from_pydict(columns)


def test_many_document_codes_fold_into_other() -> None:
    from datetime import date

    timeline = OfficeActionTimeline(GROUNDS)
    codes = [f"C{i:02d}" for i in range(CODES_KEPT + 5)]
    counts = list(range(1, len(codes) + 1))
    for code, n in zip(codes, counts, strict=True):
        timeline.observe(action_batch([code] * n, ["1611"] * n, [date(2012, 5, 1)] * n))
    (row,) = timeline.summary()["per_mail_month_by_document_cd"]
    assert row["month"] == "2012-05"
    # the first CODES_KEPT codes seen are counted apart, later ones as "other"
    kept = list(zip(counts, codes, strict=True))[:CODES_KEPT]
    top = sorted(kept, reverse=True)[:4]
    assert [k for k in row if k != "month"] == [c for _, c in top] + ["other"]
    assert row["other"] == sum(counts) - sum(n for n, _ in top)
    assert len(timeline.per_month) == CODES_KEPT + 1  # bounded: the extra codes share one


def test_quarters_count_each_ground_and_skip_missing_dates() -> None:
    from datetime import date

    timeline = OfficeActionTimeline(GROUNDS)
    dates = [date(2014, 6, 30), date(2014, 7, 1), None, date(2014, 4, 1)]
    timeline.observe(action_batch(["CTNF"] * 4, ["3623", "17XX", "A1", "2100"], dates))
    found = timeline.summary()
    quarters = {r["quarter"]: r for r in found["per_mail_quarter"]}
    assert quarters["2014Q2"]["office_actions"] == 2  # rows 0 and 3
    assert quarters["2014Q2"]["rejection_101"] == 1  # row 0 raises (even rows), row 3 not
    assert quarters["2014Q3"]["office_actions"] == 1
    assert [(r["center"], r["office_actions"]) for r in found["per_technology_center"]] == [
        ("17xx", 1),
        ("21xx", 1),
        ("36xx", 1),
        ("other", 1),
    ]


@pytest.mark.parametrize(
    ("art_unit", "center"),
    [("1611", "16xx"), ("17XX", "17xx"), ("A12", "other"), ("3", "other"), (None, "other")],
)
def test_technology_center_of_an_art_unit(art_unit: str | None, center: str) -> None:
    assert technology_center(art_unit) == center


def test_citation_sources_count_null_as_absent() -> None:
    sources = CitationSources()
    batch = pa.RecordBatch.from_pydict(
        {
            "form892": pa.array([True, None, False, True], pa.bool_()),
            "form1449": pa.array([True, None, None, False], pa.bool_()),
            "citation_in_oa": pa.array([False, None, False, True], pa.bool_()),
        }
    )
    sources.observe(batch)
    sources.observe(batch)
    found = sources.summary()
    assert {r["source"]: r["citations"] for r in found["citations_by_source"]} == {
        "form892": 4,
        "form1449": 2,
        "citation_in_oa": 2,
        "none": 4,
    }
    assert found["citations_in_several_sources"] == 4


def test_the_month_caption_counts_the_stray_dates_left_out(tmp_path: Path) -> None:
    months = [{"month": "1999-01", "CTNF": 2, "CTFR": 1}]
    months += [{"month": f"2012-{m:02d}", "CTNF": 400, "CTFR": 100} for m in range(1, 13)]
    data = {
        "per_mail_month_by_document_cd": months,
        "per_mail_quarter": [],
        "per_technology_center": [],
        "citation_rows": 0,
        "citations_by_source": [],
        "citations_in_several_sources": 0,
    }
    (plot, *_) = draw_figures(tmp_path, data, [])
    assert plot.name == "actions_per_month" and not plot.missing
    assert plot.caption.endswith(
        " 3 actions mailed before 2012-01 are left out of the axis (the months at its ends "
        "with fewer than 1% of the busiest month's actions)."
    )
