"""Vectorised helpers: groups of consecutive items, Arrow string columns built from numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def group_starts(counts: np.ndarray) -> np.ndarray:
    """Index of each group's first item, for groups of ``counts`` consecutive items."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """Position of each item within its group (0 for the first)."""
    return np.arange(int(counts.sum())) - np.repeat(group_starts(counts), counts)


def cumsum_in_group(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` that restarts at each group."""
    total = np.cumsum(values)
    starts = group_starts(counts)[counts > 0]
    before = np.zeros(len(counts), dtype=total.dtype)
    before[counts > 0] = total[starts] - values[starts]
    return total - np.repeat(before, counts)


def spread(rng: np.random.Generator, total: int, groups: int, shape: float) -> np.ndarray:
    """Split ``total`` items over ``groups`` with gamma(``shape``) over-dispersion, exactly."""
    if groups == 0:
        return np.zeros(0, dtype=np.int64)
    weights = rng.gamma(shape, size=groups)
    return rng.multinomial(total, weights / weights.sum())


def lookup(values: Sequence[str | None], codes: np.ndarray) -> pa.Array:
    """Strings ``values[codes]`` as an Arrow array (None gives a null)."""
    return pa.array(values, pa.string()).take(pa.array(codes))


def to_str(values: np.ndarray) -> pa.Array:
    """Integers as decimal text."""
    return pa.array(values).cast(pa.string())


def padded(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as zero-padded text of ``width`` characters."""
    return pc.utf8_lpad(to_str(values), width=width, padding="0")


def digit(values: np.ndarray) -> pa.Array:
    """Integers 0 to 9 as one-character text (much faster than a cast)."""
    return fixed_width_strings((values.astype(np.uint8) + ord("0"))[:, None])


def flag(mask: np.ndarray) -> pa.Array:
    """A 0/1 flag column."""
    return digit(mask)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and literals."""
    return pc.binary_join_element_wise(*parts, "")


def csv_quote(values: pa.Array) -> pa.Array:
    """RFC 4180: quote only the values holding a comma, quote or line break."""
    needs = pc.fill_null(pc.match_substring_regex(values, '[,"\r\n]'), False)
    quoted = concat('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def fixed_width_strings(data: np.ndarray) -> pa.Array:
    """An (n, k) uint8 array of ASCII codes as n strings of k characters."""
    n, k = data.shape
    offsets = np.arange(0, n * k + 1, k, dtype=np.int32)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))]
    return pa.Array.from_buffers(pa.string(), n, buffers)


def scatter(parts: list[tuple[np.ndarray, pa.Array]], n: int) -> pa.Array:
    """Assemble an array of ``n`` values from (row indices, values) parts covering 0..n-1."""
    order = np.concatenate([idx for idx, _ in parts])
    values = pa.concat_arrays([vals for _, vals in parts])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return values.take(pa.array(inverse))


def pick(rng: np.random.Generator, n: int, codes: Sequence[int], p: Sequence[float]) -> np.ndarray:
    """``n`` codes drawn with probabilities ``p``."""
    return np.asarray(codes, dtype=np.int8)[rng.choice(len(codes), size=n, p=p)]
