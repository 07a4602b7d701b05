"""The statistics in the card and the report equal what Polars computes from the Parquet
shards of the same release; the bounded-memory counters give exact answers when they spill."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

from ptoffact_build.check.keys import KeyCounter, mix
from ptoffact_build.check.statistics import SKETCH_SIZE, DistinctSketch

TRIPLE = ["ifw_number", "action_type", "action_subtype"]


def table(release: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(sorted((release / "data" / name).glob("*.parquet")))


def statistics(release: Path) -> dict:
    return json.loads((release / "validation_report.json").read_text())["statistics"]


def card(release: Path) -> str:
    return (release / "README.md").read_text()


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %"


def test_per_year_table_matches_the_shards(sample_release: Path) -> None:
    actions = table(sample_release, "office_actions")
    per_year = (
        actions.group_by(pl.col("mail_dt").dt.year().alias("year"))
        .agg(pl.len().alias("n"), pl.col("rejection_103").sum(), pl.col("fp_missing").sum())
        .sort("year")
    )
    text = card(sample_release)
    header = re.search(r"^\| year \| actions \| (.*) \|$", text, re.M)
    assert header is not None
    columns = [c.strip("` ") for c in header.group(1).split("|")]
    assert len(per_year) > 5
    for year, n, r103, fp in per_year.iter_rows():
        row = re.search(rf"^\| {year} \| {n:,} \| (.*) \|$", text, re.M)
        assert row is not None, year
        cells = dict(zip(columns, (c.strip() for c in row.group(1).split("|")), strict=True))
        assert cells["rejection_103"] == percent(r103, n)
        assert cells["fp_missing"] == percent(fp, n)
    reported = {r["year"]: r for r in statistics(sample_release)["per_mail_year"]}
    assert {y: r["office_actions"] for y, r in reported.items()} == dict(
        zip(per_year["year"], per_year["n"], strict=True)
    )


def test_overview_matches_the_shards(sample_release: Path) -> None:
    actions = table(sample_release, "office_actions")
    rejections = table(sample_release, "rejections")
    citations = table(sample_release, "citations")
    found = statistics(sample_release)["overview"]
    assert found["rows"] == {
        "office_actions": len(actions),
        "rejections": len(rejections),
        "citations": len(citations),
    }
    assert found["distinct_applications"] == actions["app_id"].n_unique()
    assert found["distinct_art_units"] == actions["art_unit"].drop_nulls().n_unique()
    assert found["final_actions"] == (actions["document_cd"] == "CTFR").sum()
    assert found["mail_dt_first"] == str(actions["mail_dt"].min())
    per_action = rejections.group_by("ifw_number").len()["len"]
    assert found["rejections_per_action"]["median"] == per_action.median()
    assert found["rejections_per_action"]["mean"] == pytest.approx(per_action.mean(), abs=1e-4)
    per_app = citations.group_by("app_id").len()["len"]
    assert found["citations_per_application"]["median"] == per_app.median()
    assert found["citations_per_application"]["keys"] == len(per_app)
    text = card(sample_release)
    art_units = actions["art_unit"].n_unique()
    assert f"| distinct art units | {art_units:,} |" in text


def test_join_coverage_and_multiplied_rows_match_a_real_join(sample_release: Path) -> None:
    actions = table(sample_release, "office_actions")
    rejections = table(sample_release, "rejections")
    citations = table(sample_release, "citations")
    joins = statistics(sample_release)["joins"]
    found = rejections.join(actions.select("ifw_number"), on="ifw_number", how="semi")
    assert joins["rejections_with_action"] == len(found)
    tied = citations.filter(pl.col("ifw_number").is_not_null())
    assert joins["citations_tied_to_an_action"] == len(tied)
    assert joins["citations_whose_action_exists"] == len(
        tied.join(actions.select("ifw_number"), on="ifw_number", how="semi")
    )
    without = citations.join(actions.select("app_id").unique(), on="app_id", how="anti")
    assert joins["citations_app_id_without_action"] == len(without)
    joined = citations.join(rejections.select(TRIPLE), on=TRIPLE, how="inner")
    matched = citations.join(rejections.select(TRIPLE), on=TRIPLE, how="semi")
    repeated = rejections.group_by(TRIPLE).len().filter(pl.col("len") > 1)
    multiplied = citations.join(repeated, on=TRIPLE, how="semi")
    assert joins["rows_added_by_rejection_join"] == len(joined) - len(matched) > 0
    assert joins["citations_multiplied_by_rejection_join"] == len(multiplied)
    added = joins["rows_added_by_rejection_join"]
    assert f"join returns {added:,} rows more than it has citations" in card(sample_release)


def test_column_profile_matches_the_shards(sample_release: Path) -> None:
    columns = statistics(sample_release)["columns"]
    for name in ("office_actions", "rejections", "citations"):
        frame = table(sample_release, name)
        for column in frame.columns:
            profile = columns[name][column]
            values = frame[column]
            assert profile["null"] == values.null_count(), (name, column)
            distinct = values.drop_nulls().n_unique()
            assert profile["distinct_exact"] == (distinct < SKETCH_SIZE), (name, column)
            if profile["distinct_exact"]:
                assert profile["distinct"] == distinct, (name, column)
            else:  # an estimate: within five standard errors
                assert abs(profile["distinct"] - distinct) < distinct * 5 / SKETCH_SIZE**0.5
            if "top" not in profile and values.drop_nulls().len():
                assert profile["min"] == str(values.min()), (name, column)
                assert profile["max"] == str(values.max()), (name, column)
    empty = columns["citations"]["ifw_number"]["null"]
    assert empty > 0
    assert f"| `ifw_number` | {empty:,} |" in card(sample_release)
    estimated = columns["citations"]["citation_pat_pgpub_id"]["distinct"]
    assert f"| ≈ {estimated:,} |" in card(sample_release)


def test_distinct_sketch_is_exact_when_small_and_close_when_large() -> None:
    small = DistinctSketch()
    small.add(mix(np.arange(1000, dtype=np.uint64)))
    small.add(mix(np.arange(500, 1500, dtype=np.uint64)))
    assert small.result() == (1500, True)
    large = DistinctSketch()
    for start in range(0, 200_000, 50_000):
        large.add(mix(np.arange(start, start + 60_000, dtype=np.uint64) % 200_000))
    estimate, exact = large.result()
    assert not exact
    assert abs(estimate - 200_000) < 200_000 * 5 / np.sqrt(SKETCH_SIZE)


def test_key_counter_counts_every_key_across_spills(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(0, 3000, 20_000).astype(str)
    counter = KeyCounter(memory_rows=1000, folder=tmp_path, keep_repeated=True)
    for start in range(0, len(keys), 1500):
        counter.add(pa.array(keys[start : start + 1500]))
    assert counter.scratch is not None  # it spilled
    counts = counter.counts()
    _, expected = np.unique(keys, return_counts=True)
    assert np.array_equal(counts.histogram[1:], np.bincount(expected)[1:])
    assert counts.median() == float(np.median(expected))
    assert counts.mean() == pytest.approx(expected.mean())
    assert len(counts.repeated) == int((expected > 1).sum())
    assert sorted(counts.repeats.tolist()) == sorted(expected[expected > 1].tolist())
