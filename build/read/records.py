"""Where CSV records end, found as the CSV parsers find them.

A double quote opens a quoted field only at the start of a field: at the start of a record or
right after a comma. Inside an unquoted field it is a literal character (``1,ab"c,2``), as in
Python's ``csv`` module, frictionless-py and pyarrow. Inside a quoted field every quote closes
it or, doubled, escapes itself. So the quotes that matter (the *structural* ones) alternate
open, close, open, ..., and a line end (LF, CRLF or a bare CR) ends a record when an even
number of structural quotes precede it.

The quotes are found with numpy, and the usual case, where every quote in an opening position
stands at a field start or right after the quote that closed a field, is confirmed in one
vectorised pass. A quote that fails it is literal: it is dropped and the rest is checked
again; past ``MAX_RECHECKS`` literal quotes in one piece of data, the remaining quotes are
classified one by one. Every function here expects data that starts at a record start.
"""

from __future__ import annotations

import numpy as np

COMMA, LF, CR, QUOTE = ord(","), ord("\n"), ord("\r"), ord('"')
MAX_RECHECKS = 16  # vectorised re-checks before classifying the rest one quote at a time
QUICK_TRIES = 8  # line ends tried from the end before testing them all at once


def as_array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.uint8)


def structural_quotes(data: bytes) -> np.ndarray:
    """Positions of the quotes that open, close or escape inside quoted fields, in order."""
    array = as_array(data)
    quotes = np.flatnonzero(array == QUOTE)
    keep = np.ones(len(quotes), bool)
    start = 0
    for _ in range(MAX_RECHECKS):
        bad = first_literal(array, quotes[start:])
        if bad < 0:
            return quotes[keep]
        keep[start + bad] = False
        start += bad + 1  # after a literal quote the state is again outside quotes
    keep[start:] = classify_one_by_one(data, quotes[start:].tolist())
    return quotes[keep]


def first_literal(array: np.ndarray, quotes: np.ndarray) -> int:
    """Index in ``quotes`` of the first literal quote, or -1, when all are assumed structural.

    ``quotes[0]`` comes outside quotes. Taking them as alternately opening and closing, an
    opening one must be at a field start, or just after the closing one (an escaped quote).
    """
    opens = quotes[0::2]
    if not len(opens):
        return -1
    before = array[np.maximum(opens - 1, 0)]
    ok = (before == COMMA) | (before == LF) | (before == CR) | (opens == 0)
    closes = quotes[1::2]
    ok[1:] |= closes[: len(opens) - 1] == opens[1:] - 1
    bad = np.flatnonzero(~ok)
    return 2 * int(bad[0]) if len(bad) else -1


def classify_one_by_one(data: bytes, quotes: list[int]) -> list[bool]:
    """For quotes that start outside quotes: True for each structural one (a slow, exact walk)."""
    inside, last_close, keep = False, -2, []
    for at in quotes:
        if inside:
            inside, last_close = False, at
        elif at == 0 or data[at - 1] in (COMMA, LF, CR) or at - 1 == last_close:
            inside = True
        else:
            keep.append(False)
            continue
        keep.append(True)
    return keep


def outside_quotes(quotes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each position, True when an even number of structural quotes come before it."""
    return np.searchsorted(quotes, positions) % 2 == 0


def last_record_end(data: bytes, quotes: np.ndarray | None = None) -> int:
    """Index just past the last line end outside quotes, or 0 if none.

    A bare CR counts only when no LF does, and never as the last byte (a LF may follow).
    """
    quotes = structural_quotes(data) if quotes is None else quotes
    return last_lf_end(data, quotes) or last_bare_cr_end(data, quotes)


def last_lf_end(data: bytes, quotes: np.ndarray) -> int:
    end = len(data)
    for _ in range(QUICK_TRIES):  # usually the last LF is a record end
        at = data.rfind(b"\n", 0, end)
        if at < 0:
            return 0
        if outside_quotes(quotes, np.array([at]))[0]:
            return at + 1
        end = at
    return last_end_among(np.flatnonzero(as_array(data)[:end] == LF), quotes)


def last_bare_cr_end(data: bytes, quotes: np.ndarray) -> int:
    array = as_array(data)
    crs = np.flatnonzero(array[:-1] == CR)
    return last_end_among(crs[array[crs + 1] != LF], quotes)


def last_end_among(candidates: np.ndarray, quotes: np.ndarray) -> int:
    ends = candidates[outside_quotes(quotes, candidates)]
    return int(ends[-1]) + 1 if len(ends) else 0


def first_record_end(data: bytes) -> int:
    """Index just past the first record's line end (CRLF, LF or CR); ``len(data)`` if none."""
    array = as_array(data)
    ends = np.flatnonzero((array == LF) | (array == CR))
    ends = ends[outside_quotes(structural_quotes(data), ends)]
    if not len(ends):
        return len(data)
    at = int(ends[0])
    return at + 2 if data[at : at + 2] == b"\r\n" else at + 1


def past_line_ends(data: bytes, n: int) -> int:
    """Index just past the ``n``-th line end when ``data`` holds more than ``n``; else 0.

    Line ends are LFs, or CRs in data without LF; the count is cheap, the positions are
    only found when needed.
    """
    array = as_array(data)
    end, count = LF, np.count_nonzero(array == LF)
    if not count:
        end, count = CR, np.count_nonzero(array == CR)
    if count <= n:
        return 0
    return int(np.flatnonzero(array == end)[n - 1]) + 1
