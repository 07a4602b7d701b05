"""A release rebuilt in place loads its new rows, never the cached rows of the old build.

``datasets`` keys its cache of a local folder on the card's YAML only; each edit below
changes one source value and nothing else, then rebuilds at the same path and loads with
``datasets.load_dataset`` and ``ptoffact.load_release`` (in the session's own HF cache).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import datasets
import pyarrow.parquet as pq

import ptoffact
from helpers import sample_rows, write_rows
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import build_release
from ptoffact_build.schema import TABLES

# (table, source row, column, new text, the value loaded back)
EDITS = [
    ("office_actions", 1, "mail_dt", "2009-07-15", date(2009, 7, 15)),  # a date
    ("rejections", 1, "alice_in", "1", True),  # a flag
    ("citations", 1, "parsed", "7659972", "7659972"),  # a text value
    ("office_actions", 1, "art_unit", "17XY", "17XY"),  # a text value, same length
    ("rejections", 1, "action_subtype", "b", "b"),  # a text value
    ("citations", 1, "form892", "1", True),  # a flag
]


def build(sources: Path, out: Path) -> None:
    build_release(resolve_sources([str(sources)]), out)


def parquet_bytes(out: Path, table: str) -> int:
    return sum(p.stat().st_size for p in (out / "data" / table).glob("*.parquet"))


def on_disk(out: Path, table: str) -> list[dict]:
    return pq.read_table(sorted((out / "data" / table).glob("*.parquet"))).to_pylist()


def loaded_value(rows: list[dict], key: dict, column: str) -> list:
    return [r[column] for r in rows if all(r[k] == v for k, v in key.items())]


def row_key(table: str, header: list[str], row: list[str]) -> dict:
    """The edited row's identifying text values, as loaded (strings stay strings)."""
    names = ["app_id", "ifw_number"] + (["citation_pat_pgpub_id"] if table == "citations" else [])
    if table == "rejections":
        names += ["action_type", "claim_numbers"]
    return {n: row[header.index(n)] for n in names if row[header.index(n)]}


def test_every_single_value_edit_loads_the_new_rows(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    rows = {t: sample_rows(t) for t in TABLES}
    for table in TABLES:
        write_rows(sources / f"{table}.csv", rows[table])
    out = tmp_path / "release"
    build(sources, out)
    for table in TABLES:  # fill the cache with the first build
        datasets.load_dataset(str(out), table, split="train")
    same_size = 0
    for table, number, column, text, value in EDITS:
        header, row = rows[table][0], rows[table][number]
        key = row_key(table, header, row)
        row[header.index(column)] = text
        write_rows(sources / f"{table}.csv", rows[table])
        before = parquet_bytes(out, table)
        build(sources, out)
        same_size += parquet_bytes(out, table) == before
        loaded = datasets.load_dataset(str(out), table, split="train").to_list()
        assert value in loaded_value(loaded, key, column), (table, column, text)
        assert loaded == on_disk(out, table), (table, column, text)
        every = ptoffact.load_release(out)
        for name in TABLES:
            assert every[name].to_list() == on_disk(out, name), (name, table, column)
    assert same_size, "no edit kept the Parquet size: the cache key must not rest on sizes"
