"""The card's figures: PNGs under ``images/``, drawn from the numbers the report holds (the
numbers themselves are checked against DuckDB in test_card_duckdb.py); the same numbers give
the same bytes; the card embeds exactly the figures that exist, and says so when one could
not be drawn; the figures' series derived from the monthly counts."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import matplotlib.image
import polars as pl
import pytest

from helpers import NO_FIGURE_DATA, assert_same_figures
from ptoffact_build.describe.caselaw import ELIGIBILITY_CENTERS as CENTERS
from ptoffact_build.describe.facts import FLAGS, GROUNDS, MonthCount
from ptoffact_build.describe.measure import (
    citation_extras,
    lengths_of,
    non_numeric,
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
from ptoffact_build.describe.statistics import (
    CODES_SHOWN,
    per_mail_month_by_document_cd,
    per_mail_quarter,
    per_technology_center,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EMBEDDED = re.compile(r"!\[([^\]]+)\]\(([^)]+)\)")


def statistics(release: Path) -> dict:
    return json.loads((release / "validation_report.json").read_text())["statistics"]


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


def test_the_sample_release_holds_every_figure_it_can_draw_as_a_png(
    sample_release: Path,
) -> None:
    """Every figure but the 101 share per center (too few actions per center and quarter
    in the sample), twice the pixels of a screen figure: sharp in print."""
    images = sample_release / "images"
    drawn = [name for name in PLOTS if name != "grounds_101_by_center"]
    assert sorted(p.name for p in images.iterdir()) == sorted(f"{n}.png" for n in drawn)
    width, height = round(SIZE[0] * DPI), round(SIZE[1] * DPI)
    assert DPI >= 240 and width >= 1920
    for name in drawn:
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
        assert [p.name for p in plots if p.missing] == ["grounds_101_by_center"]
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
        "per_mail_quarter_by_center": [],
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


# ---- the series the figures draw, derived from the monthly counts ----------------------


class Months:
    """A release's facts holding only monthly counts (all the series need)."""

    def __init__(self, months: list[MonthCount]) -> None:
        self.months = tuple(months)


def month(day: date | None, code: str | None, center: str, actions: int, raising: int = 0):
    """``actions`` actions of which ``raising`` carry every flag."""
    return MonthCount(day, code, center, actions, (raising,) * len(FLAGS))


def test_codes_past_the_most_frequent_are_summed_as_other() -> None:
    codes = [f"C{i:02d}" for i in range(CODES_SHOWN + 3)]
    months = [month(date(2012, 5, 1), c, "16xx", n) for n, c in enumerate(codes, start=1)]
    months.append(month(date(2012, 6, 1), None, "16xx", 7))  # no code: other
    (may, june) = per_mail_month_by_document_cd(Months(months))  # type: ignore[arg-type]
    top = codes[::-1][:CODES_SHOWN]
    assert list(may) == ["month", *top, "other"]
    assert may["month"] == "2012-05" and may["other"] == 1 + 2 + 3
    assert june == {"month": "2012-06", **dict.fromkeys(top, 0), "other": 7}


def test_quarters_sum_their_months_and_skip_missing_dates() -> None:
    months = [
        month(date(2014, 4, 1), "CTNF", "36xx", 2, 1),
        month(date(2014, 6, 1), "CTFR", "21xx", 3, 2),
        month(date(2014, 7, 1), "CTNF", "other", 5),
        month(None, "CTNF", "17xx", 11, 11),  # no mail date: in no quarter
    ]
    facts = Months(months)
    quarters = per_mail_quarter(facts)  # type: ignore[arg-type]
    assert [(q["quarter"], q["office_actions"]) for q in quarters] == [("2014Q2", 5), ("2014Q3", 5)]
    assert all(quarters[0][g] == 3 for g in GROUNDS) and quarters[1]["rejection_101"] == 0
    centers = per_technology_center(facts)  # type: ignore[arg-type]
    assert [(c["center"], c["office_actions"]) for c in centers] == [
        ("17xx", 11),
        ("21xx", 3),
        ("36xx", 2),
        ("other", 5),
    ]


def test_citation_sources_count_null_as_absent() -> None:
    frame = pl.DataFrame(
        {
            "form892": [True, None, False, True],
            "form1449": [True, None, None, False],
            "citation_in_oa": [False, None, False, True],
            "action_type": ["103", None, "102", None],
            "action_subtype": [None, None, "a", None],
        },
        schema_overrides={"form1449": pl.Boolean},
    )
    found = frame.select(**citation_extras()).row(0, named=True)
    assert (found["in_no_source"], found["in_several_sources"]) == (2, 2)
    assert found["typed_without_subtype"] == 1


def test_lengths_and_non_numeric_values_from_a_columns_counts() -> None:
    counted = pl.DataFrame({"v": ["1234567", None, "Über", "17XX", "1611"], "len": [2, 5, 1, 3, 4]})
    assert [(c.value, c.rows) for c in lengths_of(counted)] == [(4, 8), (7, 2)]
    assert non_numeric(counted) == 1 + 3


@pytest.mark.parametrize(
    ("art_unit", "center"),
    [("16", "16xx"), ("17", "17xx"), ("A1", "other"), ("3", "other"), (None, "other")],
)
def test_technology_center_of_an_art_units_first_two_characters(
    art_unit: str | None, center: str
) -> None:
    assert technology_center(art_unit) == center


def test_the_month_caption_counts_the_stray_dates_left_out(tmp_path: Path) -> None:
    months = [{"month": "1999-01", "CTNF": 2, "CTFR": 1}]
    months += [{"month": f"2012-{m:02d}", "CTNF": 400, "CTFR": 100} for m in range(1, 13)]
    data = {
        "per_mail_month_by_document_cd": months,
        "per_mail_quarter": [],
        "per_mail_quarter_by_center": [],
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


def test_each_figure_is_titled_as_its_heading_in_the_card(
    sample_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptoffact_build.describe import plots

    titles: dict[str, str] = {}
    save = plots.save

    def recording(figure, path: Path) -> None:
        titles[path.stem] = figure.axes[0].get_title()
        save(figure, path)

    monkeypatch.setattr(plots, "save", recording)
    found = statistics(sample_release)
    data = {**found["figures"], "per_mail_quarter_by_center": centers_101()}
    drawn = draw_figures(tmp_path, data, found["per_mail_year"])
    assert not [p.name for p in drawn if p.missing]
    assert titles == {name: plot.title for name, plot in PLOTS.items()}
    card = (sample_release / "README.md").read_text()
    assert all(f"### {plot.title}" in card for plot in PLOTS.values())


def centers_101() -> list[dict]:
    """Quarters of the eligibility centers with enough actions to draw their shares."""
    return [
        {"quarter": f"{year}Q{q}", "center": c, "office_actions": 40, "rejection_101": i % 9}
        for i, (year, q, c) in enumerate(
            (year, q, c) for year in (2013, 2014, 2015) for q in (1, 2, 3, 4) for c in CENTERS
        )
    ]


def test_the_center_chart_ends_at_its_longest_bar(tmp_path: Path, monkeypatch) -> None:
    from ptoffact_build.describe import plots

    limits: list[tuple[float, float]] = []
    save = plots.save

    def recording(figure, path: Path) -> None:
        limits.append(figure.axes[0].get_xlim())
        save(figure, path)

    monkeypatch.setattr(plots, "save", recording)
    rows = [{"center": "16xx", "office_actions": 900}, {"center": "other", "office_actions": 3}]
    plots.draw_centers(rows, tmp_path / "centers.png", "title")
    assert limits == [(0.0, 900.0)]
