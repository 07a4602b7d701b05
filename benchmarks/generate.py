#!/usr/bin/env python
"""Write a synthetic PTOFFACT source at any scale, as the three zips the USPTO distributes.

    python benchmarks/generate.py --scale 0.1 --out /tmp/bench_data/0.1 [--seed 0]

Scale 1.0 has the real row counts (4,384,532 office actions, 10,133,179 rejections,
58,862,278 citations, 2,188,195 applications); other scales multiply them. Values follow the
forms, cardinalities, null rates and field lengths of ``shared/reference/data.md``; keys are
consistent (every rejections and non-empty citations ifw_number is an office action) and every
row is valid against ``schema/*.json``.

Applications are generated in chunks (about 1M citation rows each). Each chunk's columns are
built with numpy and formatted to CSV with Arrow compute kernels (RFC 4180, quoting only the
fields that need it), then streamed by one writer thread per table into its zip member, so
memory stays bounded and formatting and deflate overlap with generation. Applications come in
random app_id order; within one, office actions are (almost always) chronological.
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import sys
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TABLES: tuple[str, ...] = ("office_actions", "rejections", "citations")
REAL_ROWS: dict[str, int] = {
    "office_actions": 4_384_532,
    "rejections": 10_133_179,
    "citations": 58_862_278,
}
REAL_APPS = 2_188_195
APP_MIN, APP_MAX = 12_000_000, 15_378_270
ORPHAN_ROW_SHARE = 0.0054  # citations rows whose app_id has no office action
CITATIONS_PER_ORPHAN_APP = 27
APPS_PER_CHUNK = 40_000  # about 1.1M citation rows per chunk
ZIP_DATE_TIME = (2017, 11, 29, 0, 0, 0)  # the release date, so that output is reproducible
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"

ACTION_TYPES: tuple[str, ...] = (
    "101",
    "102",
    "103",
    "112",
    "nonstatutory double patenting",
    "objected",
    "allowed",
    "cancelled",
)
T101, T102, T103, T112, TDP, TOBJ, TALLOW, TCANCEL = range(len(ACTION_TYPES))
SUBTYPES: tuple[str | None, ...] = (
    None,
    "a",
    "b",
    "d",
    "e",
    "f",
    "first paragraph",
    "second paragraph",
)
S_NONE, S_A, S_B, S_D, S_E, S_F, S_FIRST, S_SECOND = range(len(SUBTYPES))

AUTHORS: tuple[str, ...] = (
    "Lee", "Smith", "Wang", "Kim", "Tanaka", "Johnson", "Garcia", "Chen", "Brown", "Yamamoto",
    "O'Brien", "van der Berg", "Miller", "Suzuki", "Park", "Li", "Jones", "Williams", "Davis",
    "Müller", "Sørensen", "Núñez", "Gómez", "Østergaard", "Łukasiewicz", "Çelik", "Šimunović",
)  # fmt: skip
ASCII_AUTHORS = 19  # the first 19 names; the others (non-ASCII) are drawn 1 time in 8
TITLE_WORDS: tuple[str, ...] = (
    "Method", "system", "apparatus", "efficient", "routing", "wireless", "protein", "binding",
    "display", "polymer", "über", "naïve", "circuit", "data", "network", "“adaptive”", "control",
)  # fmt: skip
VENUES: tuple[str, ...] = ("IEEE Trans.", "Nature", "J. Appl. Phys.", "Proc. ACM", "Wikipedia")
FOREIGN_CC: tuple[str, ...] = ("JP", "WO", "EP", "DE", "KR", "CN")
ODD_ART_UNITS: tuple[str, ...] = ("OPAP", "OPET", "OIPE", "1N00")
TECH_CENTERS = np.array([16, 17, 21, 24, 26, 28, 36, 37])
TECH_CENTER_WEIGHTS = np.array([0.09, 0.13, 0.12, 0.13, 0.10, 0.15, 0.14, 0.14])
POPULAR_CLASSES = np.array(
    [424, 435, 514, 705, 709, 370, 345, 455, 257, 438, 428, 362, 707, 713, 606, 604, 623, 600]
)


def day(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(iso, "D").astype(np.int64))


FIRST_DAY, LAST_DAY = day("2008-01-02"), day("2017-07-11")
EARLY_FIRST, EARLY_LAST = day("2001-01-01"), day("2007-12-31")
DUP_WINDOW = (day("2015-10-01"), day("2016-03-31"))
AIA_DAY = day("2013-03-16")
ALICE_DAY, BILSKI_DAY, MAYO_DAY, MYRIAD_DAY = (
    day("2014-06-19"),
    day("2010-06-28"),
    day("2012-03-20"),
    day("2013-06-13"),
)
# Filing date by application number (piecewise linear): series 12 to 15.
FILING_KNOTS = (
    np.array([12_000_000, 13_000_000, 14_000_000, 15_000_000, 15_400_000]),
    np.array(
        [day(d) for d in ("2007-12-01", "2010-12-01", "2013-03-01", "2014-12-01", "2016-08-01")]
    ),
)


# --------------------------------------------------------------------------------------------
# Plan: exact row counts and how they are split into chunks


@dataclass(frozen=True)
class Plan:
    """Row counts of one synthetic source and their split into chunks."""

    scale: float
    apps: int
    orphan_apps: int
    rows: dict[str, int]
    orphan_rows: int
    chunks: int

    def share(self, total: int, chunk: int) -> tuple[int, int]:
        """Start and stop of ``chunk``'s even share of ``total`` items."""
        return total * chunk // self.chunks, total * (chunk + 1) // self.chunks


def make_plan(scale: float) -> Plan:
    """Row counts at ``scale`` (scale 1.0 is the real dataset)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rows = {t: max(1, round(n * scale)) for t, n in REAL_ROWS.items()}
    apps = min(max(1, round(REAL_APPS * scale)), rows["office_actions"])
    orphan_rows = round(rows["citations"] * ORPHAN_ROW_SHARE)
    orphan_apps = min(orphan_rows, math.ceil(orphan_rows / CITATIONS_PER_ORPHAN_APP))
    chunks = max(1, math.ceil(apps / APPS_PER_CHUNK))
    return Plan(scale, apps, orphan_apps, rows, orphan_rows, chunks)


def draw_app_ids(plan: Plan, seed: int) -> np.ndarray:
    """Distinct app_ids in random order: the plan's applications, then its orphan ones."""
    rng = np.random.default_rng([seed, 0xA99])
    needed = plan.apps + plan.orphan_apps
    span = max(APP_MAX - APP_MIN + 1, math.ceil(needed * 1.6))
    if APP_MIN + span > 100_000_000:
        raise ValueError("scale too large for 8-digit application numbers")
    return APP_MIN + rng.choice(span, size=needed, replace=False)


# --------------------------------------------------------------------------------------------
# Vectorised helpers


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


ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def ifw_numbers(rng: np.random.Generator, first: int, n: int, key: int) -> pa.Array:
    """Unique Office action ids for global indices first..first+n-1, in both forms.

    A bijective scramble of the global index makes them unique: 9 digits
    (``100000000 + (i * 7**10 + key) mod 9e8``) or 15 upper-case letters and digits
    (8 random characters, then the index scrambled mod 36**7 in base 36).
    """
    index = np.arange(first, first + n, dtype=np.int64)
    numeric = rng.random(n) < 0.15
    nine = 100_000_000 + (index * 7**10 + key) % 900_000_000
    code = (index * 5**10 + key) % 36**7
    chars = np.empty((n, 15), dtype=np.uint8)
    chars[:, :8] = ALNUM[rng.integers(0, 36, size=(n, 8))]
    for pos in range(14, 7, -1):
        chars[:, pos] = ALNUM[code % 36]
        code //= 36
    return pc.if_else(pa.array(numeric), to_str(nine), fixed_width_strings(chars))


# --------------------------------------------------------------------------------------------
# office_actions


@dataclass
class Actions:
    """One chunk of office actions, with what the other tables need from them."""

    columns: dict[str, pa.Array]
    app: np.ndarray  # application (index within the chunk) of each action
    mail_day: np.ndarray
    raised: dict[int, np.ndarray]  # action type -> bool per action
    refs103: np.ndarray  # references of the 103 rejection (0 when none)
    refs102: np.ndarray
    ifw: pa.Array


def mail_days(rng: np.random.Generator, app_ids: np.ndarray, per_app: np.ndarray) -> np.ndarray:
    """Chronological mail dates: first action after filing, later ones months apart."""
    filing = np.interp(app_ids, *FILING_KNOTS)
    n = int(per_app.sum())
    gaps = 60 + rng.gamma(3.0, 75.0, size=n)
    first = np.flatnonzero(rank_in_group(per_app) == 0)
    gaps[first] = filing + 150 + rng.gamma(3.5, 140.0, len(first))
    days = cumsum_in_group(gaps, per_app).astype(np.int64)
    late = days > LAST_DAY
    days[late] = LAST_DAY - (days[late] - LAST_DAY) % 1400
    early = rng.random(n) < 2e-5
    days[early] = rng.integers(EARLY_FIRST, EARLY_LAST + 1, int(early.sum()))
    days[early & (rng.random(n) < 0.5)] = EARLY_FIRST
    return np.maximum(days, np.where(early, EARLY_FIRST, FIRST_DAY))


def art_units(rng: np.random.Generator, n: int) -> pa.Array:
    """Examiner art units: TC + group + unit digits, a few non-numeric."""
    tc = rng.choice(TECH_CENTERS, size=n, p=TECH_CENTER_WEIGHTS)
    unit = tc * 100 + rng.integers(1, 10, n) * 10 + rng.integers(1, 10, n)
    units = to_str(unit)
    odd = rng.random(n) < 1e-4
    if odd.any():
        odd_values = lookup(ODD_ART_UNITS, rng.integers(0, len(ODD_ART_UNITS), n))
        units = pc.if_else(pa.array(odd), odd_values, units)
    return units


def uspc(rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array]:
    """US classes (3 characters, zero-padded) and subclasses (6 characters, zero-padded)."""
    cls = np.where(
        rng.random(n) < 0.6,
        rng.choice(POPULAR_CLASSES, size=n),
        rng.integers(2, 801, n),
    )
    main = np.minimum(1 + rng.geometric(0.012, n), 999)
    decimal = np.where(rng.random(n) < 0.7, 0, rng.integers(1, 100, n) * 10)
    unclassified = rng.random(n) < 0.01
    cls[unclassified] = 0
    subclass = np.where(unclassified, 0, main * 1000 + decimal)
    return padded(cls, 3), padded(subclass, 6)


def make_actions(
    rng: np.random.Generator, app_ids: np.ndarray, n_actions: int, first_index: int, key: int
) -> Actions:
    """``n_actions`` office actions for the applications ``app_ids`` (at least one each)."""
    n_apps = len(app_ids)
    per_app = 1 + spread(rng, n_actions - n_apps, n_apps, 2.0)
    app = np.repeat(np.arange(n_apps), per_app)
    rank = rank_in_group(per_app)
    days = mail_days(rng, app_ids, per_app)
    n = n_actions

    final = (rank > 0) & (rng.random(n) < 0.648)
    p102 = np.interp(days, [FIRST_DAY, LAST_DAY], [0.50, 0.28])
    raised = {
        T101: rng.random(n) < np.where(days >= ALICE_DAY, 0.14, 0.07),
        T102: rng.random(n) < p102,
        T103: rng.random(n) < 0.80,
        T112: rng.random(n) < 0.38,
        TDP: rng.random(n) < 0.10,
        TOBJ: rng.random(n) < 0.25,
        TALLOW: rng.random(n) < 0.18,
    }
    other = {
        "header_missing": rng.random(n) < 0.02,
        "fp_missing": rng.random(n) < 0.015,
        "rejection_fp_mismatch": rng.random(n) < 0.08,
        "closing_missing": rng.random(n) < 0.03,
    }
    refs103 = np.where(raised[T103], 1 + rng.negative_binomial(1.5, 1.5 / 3.35, n), 0)
    heavy = raised[T103] & (rng.random(n) < 1e-4)  # a thin tail up to the 60 seen
    refs103[heavy] = rng.integers(15, 61, int(heavy.sum()))
    refs103 = np.minimum(refs103, 60)
    refs102 = np.where(raised[T102], 1 + rng.negative_binomial(1.0, 1.0 / 1.53, n), 0)
    signature = rng.choice(5, size=n, p=[0.04, 0.48, 0.14, 0.33, 0.01])

    # Export duplicates: the second action repeats the first (same day, another ifw_number).
    first_day = days[group_starts(per_app)]
    in_window = (first_day >= DUP_WINDOW[0]) & (first_day <= DUP_WINDOW[1])
    dup_app = (per_app >= 2) & (rng.random(n_apps) < np.where(in_window, 0.39, 0.003))
    dup = np.flatnonzero(np.repeat(dup_app, per_app) & (rank == 1))
    for values in (days, final, refs103, refs102, signature, *raised.values(), *other.values()):
        values[dup] = values[dup - 1]

    au, (cls, sub) = art_units(rng, n_apps), uspc(rng, n_apps)
    moved = (rank > 0) & (rng.random(n) < 0.03)
    au_row = pc.if_else(pa.array(moved), art_units(rng, n), au.take(pa.array(app)))
    ifw = ifw_numbers(rng, first_index, n, key)
    columns = {
        "app_id": to_str(app_ids[app]),
        "ifw_number": ifw,
        "document_cd": lookup(("CTNF", "CTFR"), final.astype(np.int8)),
        "mail_dt": pa.array(days.astype(np.int32), pa.date32()).cast(pa.string()),
        "art_unit": au_row,
        "uspc_class": cls.take(pa.array(app)),
        "uspc_subclass": sub.take(pa.array(app)),
        **{name: flag(values) for name, values in other.items()},
        "rejection_101": flag(raised[T101]),
        "rejection_102": flag(raised[T102]),
        "rejection_103": flag(raised[T103]),
        "rejection_112": flag(raised[T112]),
        "rejection_dp": flag(raised[TDP]),
        "objection": flag(raised[TOBJ]),
        "allowed_claims": flag(raised[TALLOW]),
        "cite102_gt1": flag(refs102 > 1),
        "cite103_gt3": flag(refs103 > 3),
        "cite103_eq1": flag(refs103 == 1),
        "cite103_max": to_str(refs103),
        "signature_type": digit(signature),
    }
    return Actions(columns, app, days, raised, refs103, refs102, ifw)


# --------------------------------------------------------------------------------------------
# rejections


def pick(rng: np.random.Generator, n: int, codes: Sequence[int], p: Sequence[float]) -> np.ndarray:
    """``n`` codes drawn with probabilities ``p``."""
    return np.asarray(codes, dtype=np.int8)[rng.choice(len(codes), size=n, p=p)]


def subtypes(rng: np.random.Generator, oa: Actions) -> dict[int, np.ndarray]:
    """The subtype of each action's first row of each type (S_NONE when it has none)."""
    n = len(oa.mail_day)
    sub103 = np.where(
        rng.random(n) < np.where(oa.mail_day < AIA_DAY, 0.97, 0.55), S_A, S_NONE
    ).astype(np.int8)
    return {
        T102: pick(rng, n, (S_A, S_B, S_E), (0.62, 0.30, 0.08)),
        T103: sub103,
        T112: pick(
            rng,
            n,
            (S_B, S_A, S_SECOND, S_FIRST, S_D, S_F),
            (0.50, 0.28, 0.08, 0.07, 0.04, 0.03),
        ),
    }


SECOND_SUBTYPE = np.array([S_B, S_B, S_A, S_B, S_B, S_B, S_SECOND, S_FIRST], dtype=np.int8)
"""For a second row of the same type: a subtype different from the first one's."""


def claim_lists(rng: np.random.Generator, n: int) -> pa.Array:
    """Claim numbers such as ``6,7,8,11``: ascending, no ranges, a few empty (null)."""
    k = np.minimum(rng.geometric(0.22, n), 40)
    k[rng.random(n) < 0.03] = 0
    gaps = np.where(rng.random(int(k.sum())) < 0.3, rng.geometric(0.5, int(k.sum())), 1)
    starts = group_starts(k)[k > 0]
    gaps[starts] = rng.geometric(0.15, len(starts))
    claims = cumsum_in_group(gaps, k)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(k, out=offsets[1:])
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), to_str(claims)), ",")
    joined = pc.if_else(pa.array(k == 0), pa.nulls(n, pa.string()), joined)
    return pc.if_else(pa.array(k > 1), concat('"', joined, '"'), joined)


def rejection_rows(
    rng: np.random.Generator, oa: Actions, sub: dict[int, np.ndarray], target: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exactly ``target`` (action, type, subtype) rows, one per raised type plus extras."""
    n = len(oa.mail_day)
    parts: list[tuple[np.ndarray, int, np.ndarray]] = []
    for kind, mask in oa.raised.items():
        idx = np.flatnonzero(mask)
        codes = sub[kind][idx] if kind in sub else np.zeros(len(idx), dtype=np.int8)
        parts.append((idx, kind, codes))
    for kind, rate in ((T112, 0.20), (T102, 0.08)):
        idx = np.flatnonzero(oa.raised[kind] & (rng.random(n) < rate))
        parts.append((idx, kind, SECOND_SUBTYPE[sub[kind][idx]]))
    action = np.concatenate([idx for idx, _, _ in parts])
    kind = np.concatenate([np.full(len(idx), k, dtype=np.int8) for idx, k, _ in parts])
    subtype = np.concatenate([codes for _, _, codes in parts])
    dup = np.flatnonzero(rng.random(len(action)) < 0.001)  # (ifw, type, subtype) collisions
    action, kind, subtype = (np.concatenate([a, a[dup]]) for a in (action, kind, subtype))

    missing = target - len(action)
    if missing > 0:  # cancelled claims fill the exact count
        extra = rng.choice(n, size=missing, replace=missing > n)
        action = np.concatenate([action, extra])
        kind = np.concatenate([kind, np.full(missing, TCANCEL, dtype=np.int8)])
        subtype = np.concatenate([subtype, np.zeros(missing, dtype=np.int8)])
    elif missing < 0:
        droppable = np.flatnonzero((kind != T102) & (kind != T103))
        if len(droppable) < -missing:
            droppable = np.arange(len(action))
        keep = np.ones(len(action), dtype=bool)
        keep[rng.choice(droppable, size=-missing, replace=False)] = False
        action, kind, subtype = action[keep], kind[keep], subtype[keep]
    order = np.lexsort((subtype, kind, action))
    return action[order], kind[order], subtype[order]


def make_rejections(
    rng: np.random.Generator,
    oa: Actions,
    sub: dict[int, np.ndarray],
    target: int,
    app_ids: np.ndarray,
) -> dict[str, pa.Array]:
    """The rejections rows of one chunk of actions."""
    action, kind, subtype = rejection_rows(rng, oa, sub, target)
    n_oa = len(oa.mail_day)
    has101, days = oa.raised[T101], oa.mail_day
    cases = {
        "alice_in": has101 & (days >= ALICE_DAY) & (rng.random(n_oa) < 0.55),
        "bilski_in": has101 & (days >= BILSKI_DAY) & (rng.random(n_oa) < 0.30),
        "mayo_in": has101 & (days >= MAYO_DAY) & (rng.random(n_oa) < 0.12),
        "myriad_in": has101 & (days >= MYRIAD_DAY) & (rng.random(n_oa) < 0.04),
    }
    return {
        "app_id": to_str(app_ids[oa.app[action]]),
        "ifw_number": oa.ifw.take(pa.array(action)),
        "action_type": lookup(ACTION_TYPES, kind),
        "action_subtype": lookup(SUBTYPES, subtype),
        "claim_numbers": claim_lists(rng, len(action)),
        **{name: flag(mask[action]) for name, mask in cases.items()},
    }


# --------------------------------------------------------------------------------------------
# citations


def resolve_repeats(rng: np.random.Generator, group: np.ndarray, rate: float) -> np.ndarray:
    """For rows sorted by group: the row whose reference each row repeats (itself if fresh).

    A row repeats, with probability ``rate``, an earlier row of its group, so that
    (app_id, citation_pat_pgpub_id) is not unique.
    """
    n = len(group)
    index = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = group[1:] != group[:-1]
    start = np.maximum.accumulate(np.where(new_group, index, 0))
    repeat = ~new_group & (rng.random(n) < rate)
    source = start + (rng.random(n) * (index - start)).astype(np.int64)
    root = np.where(repeat, source, index)
    while True:
        deeper = root[root]
        if np.array_equal(deeper, root):
            return root
        root = deeper


def us_style(number: np.ndarray, is_pub: np.ndarray) -> pa.Array:
    """``US 7,659,971`` for patents, ``US 2009/0139986`` for publications."""
    patent = concat(
        "US ",
        to_str(number // 1_000_000),
        ",",
        padded(number // 1000 % 1000, 3),
        ",",
        padded(number % 1000, 3),
    )
    pub = concat("US ", to_str(number // 10**7), "/", padded(number % 10**7, 7))
    return pc.if_else(pa.array(is_pub), pub, patent)


def authors(rng: np.random.Generator, n: int) -> pa.Array:
    """Author names, mostly ASCII."""
    other = rng.random(n) < 0.125
    codes = np.where(
        other,
        rng.integers(ASCII_AUTHORS, len(AUTHORS), n),
        rng.integers(0, ASCII_AUTHORS, n),
    )
    return lookup(AUTHORS, codes)


def reference_text(
    rng: np.random.Generator, number: np.ndarray, is_pub: np.ndarray
) -> tuple[pa.Array, pa.Array]:
    """Messy citation text (CSV-quoted where needed) and its parsed number.

    The parsed number is null when the text is not a US document (foreign or prose).
    """
    n = len(number)
    form = pick(rng, n, range(6), (0.89, 0.04, 0.03, 0.02, 0.015, 0.005))
    digits = to_str(number)
    parts: list[tuple[np.ndarray, pa.Array]] = []
    for code in range(6):
        idx = np.flatnonzero(form == code)
        num, pub, m = number[idx], is_pub[idx], len(idx)
        if code == 0:
            text = digits.take(pa.array(idx))
        elif code == 1:
            text = us_style(num, pub)
        elif code == 2:
            kind = lookup(("B2", "A1", "B1"), np.where(pub, 1, np.where(num < 6_500_000, 2, 0)))
            text = concat("US", to_str(num), kind)
        elif code == 3:
            etal = lookup(("", " et al."), (rng.random(m) < 0.4).astype(np.int8))
            text = concat(authors(rng, m), etal, " (", us_style(num, pub), ")")
        elif code == 4:
            cc = lookup(FOREIGN_CC, rng.integers(0, len(FOREIGN_CC), m))
            year = to_str(rng.integers(1985, 2017, m))
            serial = padded(rng.integers(1, 999_999, m), 6)
            dash = lookup(("-", ""), (rng.random(m) < 0.5).astype(np.int8))
            text = concat(cc, " ", year, dash, serial)
        else:
            text = concat(
                authors(rng, m),
                ' et al., "',
                lookup(TITLE_WORDS, rng.integers(0, len(TITLE_WORDS), m)),
                " ",
                lookup(TITLE_WORDS, rng.integers(0, len(TITLE_WORDS), m)),
                '", ',
                lookup(VENUES, rng.integers(0, len(VENUES), m)),
                ", ",
                to_str(rng.integers(1970, 2017, m)),
            )
        parts.append((idx, text if code == 0 else csv_quote(text)))
    parsed = pc.if_else(pa.array(form >= 4), pa.nulls(n, pa.string()), digits)
    return scatter(parts, n), parsed


def reference_numbers(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """7-digit US patents (skewed to recent) and 11-digit publications (yyyy + 7 digits)."""
    is_pub = rng.random(n) < 0.4
    patent = np.clip(9_700_000 - rng.gamma(1.3, 1.1e6, n).astype(np.int64), 1_000_000, 9_700_000)
    year = 2001 + np.minimum(rng.binomial(16, 0.65, n), 16)
    pub = year * 10**7 + rng.integers(1, 420_000, n)
    return np.where(is_pub, pub, patent), is_pub


def citation_rows(
    rng: np.random.Generator,
    oa: Actions,
    n_apps: int,
    n_orphans: int,
    target: int,
    orphan_rows: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row layout: group (application, orphans after ``n_apps``), action (-1 if none), type."""
    tied103 = np.repeat(np.arange(len(oa.app)), oa.refs103)
    tied102 = np.repeat(np.arange(len(oa.app)), oa.refs102)
    action = np.concatenate([tied103, tied102])
    kind = np.concatenate([np.full(len(tied103), T103), np.full(len(tied102), T102)])
    orphan_rows = orphan_rows if n_orphans else 0
    room = target - orphan_rows
    if len(action) > room:  # only at tiny scales
        keep = np.sort(rng.choice(len(action), size=room, replace=False))
        action, kind = action[keep], kind[keep]
    untied = spread(rng, room - len(action), n_apps, 0.8)
    orphans = 1 + spread(rng, orphan_rows - n_orphans, n_orphans, 0.8) if n_orphans else untied[:0]
    group = np.concatenate(
        [
            oa.app[action],
            np.repeat(np.arange(n_apps), untied),
            n_apps + np.repeat(np.arange(n_orphans), orphans),
        ]
    )
    action = np.concatenate([action, np.full(len(group) - len(action), -1)])
    kind = np.concatenate([kind, np.full(len(group) - len(kind), -1)])
    # Orphan applications sit at random places among the chunk's applications.
    position = np.concatenate([np.arange(n_apps) + 0.5, rng.random(n_orphans) * n_apps])
    rank = np.argsort(position, kind="stable")
    group_rank = np.empty_like(rank)
    group_rank[rank] = np.arange(len(rank))
    order = np.lexsort((action, group_rank[group]))  # stable: untied rows first, then by action
    return group[order], action[order], kind[order]


def make_citations(
    rng: np.random.Generator,
    oa: Actions,
    sub: dict[int, np.ndarray],
    app_ids: np.ndarray,
    orphan_ids: np.ndarray,
    target: int,
    orphan_rows: int,
) -> dict[str, pa.Array]:
    """The citations rows of one chunk of applications."""
    group, action, kind = citation_rows(rng, oa, len(app_ids), len(orphan_ids), target, orphan_rows)
    n = len(group)
    tied = action >= 0
    safe_action = np.where(tied, action, 0)
    subtype = np.where(kind == T103, sub[T103][safe_action], sub[T102][safe_action])
    root = resolve_repeats(rng, group, 0.111)
    text, parsed = reference_text(rng, *reference_numbers(rng, n))
    text, parsed = text.take(pa.array(root)), parsed.take(pa.array(root))
    source = rng.random(n)
    form892 = np.where(tied, rng.random(n) < 0.78, (source < 0.36) | (source > 0.94))
    form1449 = np.where(tied, rng.random(n) < 0.22, (source >= 0.36) & (source < 0.97))
    in_oa = np.where(tied, rng.random(n) < 0.97, rng.random(n) < 0.04)
    all_ids = np.concatenate([app_ids, orphan_ids])
    null_if_untied = pa.array(safe_action, mask=~tied)
    return {
        "app_id": to_str(all_ids[group]),
        "citation_pat_pgpub_id": text,
        "parsed": parsed,
        "ifw_number": oa.ifw.take(null_if_untied),
        "action_type": lookup((*ACTION_TYPES, None), np.where(tied, kind, len(ACTION_TYPES))),
        "action_subtype": lookup(SUBTYPES, np.where(tied, subtype, S_NONE)),
        "form892": flag(form892),
        "form1449": flag(form1449),
        "citation_in_oa": flag(in_oa),
    }


# --------------------------------------------------------------------------------------------
# Writing: CSV formatting and one zip writer thread per table


def schema_columns(table: str) -> list[str]:
    """The table's column names, in schema (and file) order."""
    descriptor = json.loads((SCHEMA_DIR / f"{table}.json").read_text(encoding="utf-8"))
    return [field["name"] for field in descriptor["fields"]]


def csv_lines(columns: Sequence[pa.Array], eol: str = "\n") -> pa.Buffer:
    """CSV text of string columns already quoted where needed; nulls become empty fields."""
    args: list[pa.Array | str] = []
    for column in columns:
        args += [column, ","]
    args[-1] = eol
    lines = pc.binary_join_element_wise(*args, "", null_handling="replace", null_replacement="")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    first, last = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
    return lines.buffers()[2][first:last]


@dataclass
class TableStats:
    """What was written for one table."""

    rows: int = 0
    csv_bytes: int = 0
    zip_bytes: int = 0


class TableWriter:
    """Streams one table's CSV chunks into the single member of its zip, on its own thread.

    Formatting (Arrow) and deflate (zlib) release the GIL, so they overlap with generation.
    """

    def __init__(self, path: Path, table: str, compresslevel: int, eol: str = "\n") -> None:
        self.path, self.columns, self.eol = path, schema_columns(table), eol
        self.stats = TableStats()
        self.error: BaseException | None = None
        self.queue: queue.Queue[list[pa.Array] | None] = queue.Queue(maxsize=2)
        self.zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        member = zipfile.ZipInfo(f"{table}.csv", date_time=ZIP_DATE_TIME)
        member.compress_type = zipfile.ZIP_DEFLATED
        level_slot = "compress_level" if hasattr(member, "compress_level") else "_compresslevel"
        setattr(member, level_slot, compresslevel)  # Python 3.13 renamed the attribute
        self.member = self.zip.open(member, "w", force_zip64=True)
        self._write((",".join(self.columns) + eol).encode())
        self.thread = threading.Thread(target=self._run, name=f"write-{table}", daemon=True)
        self.thread.start()

    def _write(self, data: bytes | pa.Buffer) -> None:
        self.member.write(data)
        self.stats.csv_bytes += len(data)

    def _run(self) -> None:
        while (columns := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._write(csv_lines(columns, self.eol))
                    self.stats.rows += len(columns[0])
                except BaseException as error:  # re-raised by put() or close()
                    self.error = error

    def put(self, columns: dict[str, pa.Array]) -> None:
        """Queue one chunk (columns in schema order) for writing."""
        if self.error is not None:
            raise self.error
        if list(columns) != self.columns:
            raise ValueError(f"{self.path.name}: columns {list(columns)} != {self.columns}")
        self.queue.put(list(columns.values()))

    def close(self) -> TableStats:
        """Finish the member and the zip; return what was written."""
        self.queue.put(None)
        self.thread.join()
        self.member.close()
        self.zip.close()
        if self.error is not None:
            raise self.error
        self.stats.zip_bytes = self.path.stat().st_size
        return self.stats


# --------------------------------------------------------------------------------------------
# Driver


def log(message: str) -> None:
    """Progress goes to stderr."""
    print(message, file=sys.stderr, flush=True)


def generate_chunk(
    plan: Plan, chunk: int, seed: int, app_ids: np.ndarray, orphan_ids: np.ndarray, key: int
) -> dict[str, dict[str, pa.Array]]:
    """All three tables' rows for one chunk of applications."""
    rng = np.random.default_rng([seed, chunk])
    a0, a1 = plan.share(plan.apps, chunk)
    o0, o1 = plan.share(plan.rows["office_actions"], chunk)
    r0, r1 = plan.share(plan.rows["rejections"], chunk)
    c0, c1 = plan.share(plan.rows["citations"], chunk)
    g0, g1 = plan.share(plan.orphan_apps, chunk)
    h0, h1 = plan.share(plan.orphan_rows, chunk)
    apps = app_ids[a0:a1]
    oa = make_actions(rng, apps, o1 - o0, o0, key)
    sub = subtypes(rng, oa)
    return {
        "office_actions": oa.columns,
        "rejections": make_rejections(rng, oa, sub, r1 - r0, apps),
        "citations": make_citations(rng, oa, sub, apps, orphan_ids[g0:g1], c1 - c0, h1 - h0),
    }


def generate(
    out: Path,
    scale: float,
    seed: int = 0,
    compresslevel: int = 1,
    quiet: bool = False,
    crlf: bool = False,
) -> dict[str, TableStats]:
    """Write ``<table>.csv.zip`` for the three tables into ``out``; return rows and sizes.

    Line endings are LF unless ``crlf``; ``compresslevel`` is zlib's (1 is fastest).
    """
    plan = make_plan(scale)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = draw_app_ids(plan, seed)
    app_ids, orphan_ids = ids[: plan.apps], ids[plan.apps :]
    key = int(np.random.default_rng([seed, 0x1F]).integers(0, 2**30))
    started = time.perf_counter()
    eol = "\r\n" if crlf else "\n"
    writers = {t: TableWriter(out / f"{t}.csv.zip", t, compresslevel, eol) for t in TABLES}
    queued = dict.fromkeys(TABLES, 0)
    try:
        for chunk in range(plan.chunks):
            for table, columns in generate_chunk(
                plan, chunk, seed, app_ids, orphan_ids, key
            ).items():
                writers[table].put(columns)
                queued[table] += len(columns["app_id"])
            if not quiet:
                elapsed = time.perf_counter() - started
                counts = "  ".join(f"{t} {n:,}" for t, n in queued.items())
                rate = sum(queued.values()) / elapsed
                log(f"chunk {chunk + 1}/{plan.chunks}: {counts} rows ({rate:,.0f} rows/s)")
    finally:
        stats = {t: w.close() for t, w in writers.items()}
    elapsed = time.perf_counter() - started
    for table, s in stats.items():
        if s.rows != plan.rows[table]:
            raise AssertionError(f"{table}: wrote {s.rows:,} rows, planned {plan.rows[table]:,}")
        if not quiet:
            log(
                f"{table}: {s.rows:,} rows, {s.csv_bytes / 1e6:,.1f} MB CSV, "
                f"{s.zip_bytes / 1e6:,.1f} MB zip, {s.rows / elapsed:,.0f} rows/s"
            )
    if not quiet:
        total = sum(s.rows for s in stats.values())
        log(f"total: {total:,} rows in {elapsed:,.1f} s ({total / elapsed:,.0f} rows/s)")
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, required=True, help="1.0 = the real row counts")
    parser.add_argument("--out", type=Path, required=True, help="folder for the three zips")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--compresslevel", type=int, default=1, help="zlib level for the zips (default 1)"
    )
    parser.add_argument("--crlf", action="store_true", help="CRLF line endings (default LF)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    generate(args.out, args.scale, args.seed, args.compresslevel, args.quiet, args.crlf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
