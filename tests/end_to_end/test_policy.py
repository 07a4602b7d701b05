"""Bad rows: the fail policy leaves no release; quarantine keeps every row somewhere."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import datasets
import pytest

from helpers import sample_rows, write_rows
from ptoffact_build.errors import DataInvalid
from ptoffact_build.pipeline import CheckOptions
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import BuildOptions, build_release


def corrupt(files: dict[str, Path]) -> None:
    """A bad date in one Office action; a bad flag in one citation."""
    actions = sample_rows("office_actions")
    actions[5][3] = "2017-13-45"
    write_rows(files["office_actions"], actions)
    citations = sample_rows("citations")
    citations[7][6] = "maybe"
    write_rows(files["citations"], citations)
    return actions[5][1]


def test_fail_leaves_the_previous_release(tmp_path: Path, sample_csvs) -> None:
    out = tmp_path / "release"
    build_release(resolve_sources(sample_csvs.values()), out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    corrupt(sample_csvs)
    with pytest.raises(DataInvalid) as caught:
        build_release(resolve_sources(sample_csvs.values()), out)
    message = str(caught.value)
    assert "office_actions.csv, row 6, column mail_dt" in message and "\n" not in message
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    report = json.loads((tmp_path / "release.validation_report.json").read_text())
    assert report["valid"] is False and report["error_count"] == 2
    assert report["tables"]["citations"]["errors"]["type-error"]["count"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".release")]


def test_fail_without_previous_release_writes_nothing(tmp_path: Path, sample_csvs) -> None:
    corrupt(sample_csvs)
    with pytest.raises(DataInvalid):
        build_release(resolve_sources(sample_csvs.values()), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_quarantine_keeps_every_row(tmp_path: Path, sample_csvs) -> None:
    bad_ifw = corrupt(sample_csvs)
    out = tmp_path / "release"
    result = build_release(
        resolve_sources(sample_csvs.values()), out, BuildOptions(CheckOptions(policy="quarantine"))
    )
    rejections_of_bad = sum(1 for r in sample_rows("rejections")[1:] if r[1] == bad_ifw)
    assert rejections_of_bad > 0
    actions = result.tables["office_actions"]
    assert (actions.rows_valid, actions.rows_quarantined) == (999, 1)
    rejections = result.tables["rejections"]
    assert rejections.rows_quarantined == rejections.rows_cascaded == rejections_of_bad
    for table in ("office_actions", "rejections", "citations"):
        t = result.tables[table]
        assert t.rows_valid + t.rows_quarantined == len(sample_rows(table)) - 1

    with open(out / "quarantine" / "office_actions.csv", encoding="utf-8") as stream:
        (held,) = list(csv.DictReader(stream))
    assert held["source_row"] == "6" and held["mail_dt"] == "2017-13-45"
    assert "type-error mail_dt" in held["reasons"]
    with open(out / "quarantine" / "rejections.csv", encoding="utf-8") as stream:
        cascaded = list(csv.DictReader(stream))
    assert {r["ifw_number"] for r in cascaded} == {bad_ifw}
    assert all("referenced row was quarantined" in r["reasons"] for r in cascaded)

    package = json.loads((out / "datapackage.json").read_text())
    counts = {r["name"]: r["quarantined"]["rows"] for r in package["resources"]}
    assert counts == {"office_actions": 1, "rejections": rejections_of_bad, "citations": 1}
    assert "quarantined" in (out / "README.md").read_text()
    loaded = datasets.load_dataset(str(out), "rejections", split="train")
    assert bad_ifw not in set(loaded["ifw_number"])
