"""Checking ``pattern`` constraints: Arrow's regex engine, or an exact cheaper equivalent.

A few simple pattern shapes (fixed-length digits, digits, upper-case letters and digits,
and alternatives of those) are checked with length and character-class kernels, several
times faster than a regular expression. Any other pattern uses RE2, anchored at both ends
as the Table Schema standard (and frictionless-py) reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

Check = Callable[[pa.Array], pa.Array]

CLASS_RUN = re.compile(r"^\[(0-9|A-Z0-9)\](\{(\d+)\}|\+)$")


def class_run(character_class: str, count: int | None) -> Check:
    """``[0-9]{n}``, ``[0-9]+``, ``[A-Z0-9]{n}``, ``[A-Z0-9]+`` as kernels."""

    def check(values: pa.Array) -> pa.Array:
        if character_class == "0-9":
            ok = pc.ascii_is_decimal(values)
        else:
            ok = pc.and_(pc.ascii_is_alnum(values), pc.equal(pc.ascii_upper(values), values))
        if count is not None:
            ok = pc.and_(ok, pc.equal(pc.binary_length(values), count))
        return ok

    return check


def simple_check(pattern: str) -> Check | None:
    """An exact kernel equivalent of ``pattern``, or None if it is not a simple shape."""
    if pattern.startswith("(") and pattern.endswith(")") and "(" not in pattern[1:]:
        parts = [simple_check(part) for part in pattern[1:-1].split("|")]
        checks = [part for part in parts if part is not None]
        if len(checks) == len(parts):
            return lambda values: any_of([check(values) for check in checks])
        return None
    match = CLASS_RUN.match(pattern)
    if not match:
        return None
    return class_run(match[1], int(match[3]) if match[3] else None)


def any_of(results: list[pa.Array]) -> pa.Array:
    combined = results[0]
    for result in results[1:]:
        combined = pc.or_(combined, result)
    return combined


def regex_check(pattern: str) -> Check:
    anchored = f"^(?:{pattern})$"
    return lambda values: pc.match_substring_regex(values, anchored)


def pattern_check(pattern: str) -> Check:
    """The check for a pattern constraint: true where the value matches the whole pattern."""
    return simple_check(pattern) or regex_check(pattern)
