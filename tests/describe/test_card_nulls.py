"""The card's Known quirks say NULL where the Parquet holds NULL (so readers filter with
IS NULL, not = ''), and every quirk row says what it measures."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

VOCABULARIES = {("rejections", "action_subtype"), ("citations", "action_type")}


def quirk_rows(release: Path) -> list[list[str]]:
    """The Known quirks table's rows, as cells (table, measure, value, meaning)."""
    card = (release / "README.md").read_text(encoding="utf-8")
    section = card.split("## Known quirks")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def column(release: Path, table: str, name: str) -> pa.ChunkedArray:
    return pq.read_table(release / "data" / table, columns=[name])[name]


def test_vocabulary_rows_count_nulls_as_null(sample_release: Path) -> None:
    rows = {(r[0].strip("`"), r[1].strip("`")): r[2] for r in quirk_rows(sample_release)}
    for table, name in VOCABULARIES:
        values = column(sample_release, table, name)
        assert values.null_count > 0  # the sample holds NULLs here
        assert f"NULL: {values.null_count:,}" in rows[(table, name)]
        empty = pc.sum(pc.equal(values, "")).as_py() or 0
        assert ("(empty)" in rows[(table, name)]) == (empty > 0)


def test_no_empty_string_is_claimed_anywhere_in_the_card(sample_release: Path) -> None:
    """The schemas read an empty CSV cell as missing: no text column holds ''."""
    card = (sample_release / "README.md").read_text(encoding="utf-8")
    for table in ["office_actions", "rejections", "citations"]:
        parquet = pq.read_table(sample_release / "data" / table)
        for name in parquet.column_names:
            if pa.types.is_string(parquet[name].type):
                assert not pc.any(pc.equal(parquet[name], "")).as_py(), (table, name)
    assert "(empty)" not in card


def test_every_quirk_row_has_a_meaning(sample_release: Path) -> None:
    rows = quirk_rows(sample_release)
    assert len(rows) >= 15
    for table, measure, _, meaning in rows:
        assert len(meaning) > 10, (table, measure)
    meanings = {(r[0], r[1]): r[3] for r in rows}
    assert "NULL" in meanings[("`citations`", "`ifw_number_empty`")]
    assert "NULL" in meanings[("`rejections`", "`claim_numbers_empty`")]
    rejections = meanings[("`rejections`", "`action_type`")]
    assert rejections != meanings[("`citations`", "`action_type`")]
