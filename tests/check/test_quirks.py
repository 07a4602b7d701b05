"""The quirk measures' small helpers."""

from __future__ import annotations

import pyarrow as pa

from ptoffact_build.check.quirks import length_counts, value_counts


def test_value_counts_count_nulls_as_empty() -> None:
    counts = value_counts(pa.array(["103", None, "103", "102", None]))
    assert counts == {"103": 2, "102": 1, "": 2}


def test_length_counts_in_characters_ascii_or_not() -> None:
    ascii_text = pa.array(["7659971", "20110059422", None, "1234567"])
    assert length_counts(ascii_text) == {"7": 2, "11": 1}
    accented = pa.array(["Müller", "abc", None])
    assert length_counts(accented) == {"6": 1, "3": 1}
    assert length_counts(ascii_text.slice(1, 3)) == {"11": 1, "7": 1}
