"""Typing cells exactly as frictionless-py does, on odd and ordinary values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from frictionless import fields

from ptoffact_build.check.cells import convert
from ptoffact_build.check.patterns import pattern_check, regex_check
from ptoffact_build.schema import load_schema, parse_table_schema

DATES = [
    "2017-01-02",
    "2017-02-30",
    "2017-1-2",
    "2017-01- 2",
    "",
    "x",
    "0000-01-01",
    "20170102",
    "2017-01-02T00:00:00",
    " 2017-01-02",
    "2001-01-01",
    "9999-12-31",
]
INTEGERS = [
    "1",
    " 2",
    "+3",
    "",
    "x",
    "1_0",
    "-4",
    "0x10",
    "١٢",
    "00012",
    "3.0",
    "1e3",
    "-0",
]
BOOLEANS = ["1", "0", "", " 1", "true", "True", "01", "1.0"]


def field_of(kind: str, extra: dict | None = None):
    descriptor = {"fields": [{"name": "v", "type": kind, **(extra or {})}]}
    return parse_table_schema("t", descriptor).fields[0]


def frictionless_reading(kind: str, cells: list[str], extra: dict | None = None) -> list:
    field = fields.__dict__[f"{kind.capitalize()}Field"](name="v", **(extra or {}))
    return [None if c == "" else field.read_cell(c)[0] for c in cells]


FLAG = {"trueValues": ["1"], "falseValues": ["0"]}


@pytest.mark.parametrize(
    "kind, cells, flag",
    [
        ("date", DATES, False),
        ("integer", INTEGERS, False),
        ("boolean", BOOLEANS, True),
        ("integer", ["1", "2", "", "7"], False),  # the all-plain fast path
        ("date", ["2017-01-02", "", "2001-01-01"], False),
    ],
)
def test_typing_matches_frictionless(kind: str, cells: list[str], flag: bool) -> None:
    missing = np.array([c == "" for c in cells])
    field = field_of(kind, FLAG if flag else None)
    values, type_error = convert(field, pa.array(cells), missing)
    options = {"true_values": ["1"], "false_values": ["0"]} if flag else None
    expected = frictionless_reading(kind, cells, options)
    assert values.to_pylist() == expected
    unreadable = [e is None and c != "" for c, e in zip(cells, expected, strict=True)]
    assert type_error.tolist() == unreadable


def test_integers_beyond_int64_are_type_errors() -> None:
    """A deliberate difference: frictionless accepts them, Arrow cannot store them."""
    values, type_error = convert(field_of("integer"), pa.array(["9" * 20]), np.array([False]))
    assert values.to_pylist() == [None] and type_error.tolist() == [True]


ODD_TEXT = [
    "12345678",
    "1234567",
    "123456789",
    "1234567X",
    "",
    "١٢٣٤٥٦٧٨",
    "12345678\n",
    "HJZTZNLTPXXIFW4",
    "hjztznltpxxifw4",
    "HJZTZNLTPXXIFW",
    "100867762",
    "10086776X",
    "HJZTZNLTPXXIFW4A",
    "ÄJZTZNLTPXXIFW4",
    "7659971",
    "20110059422",
    "0",
    "+1",
]


@pytest.mark.parametrize(
    "pattern",
    sorted(
        {
            f.constraints["pattern"]
            for t in ("office_actions", "rejections", "citations")
            for f in load_schema(t).fields
            if "pattern" in f.constraints
        }
    ),
)
def test_fast_patterns_equal_the_regex(pattern: str) -> None:
    values = pa.array(ODD_TEXT)
    assert pattern_check(pattern)(values).to_pylist() == regex_check(pattern)(values).to_pylist()
