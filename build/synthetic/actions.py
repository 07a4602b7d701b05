"""The office_actions rows of a chunk of applications, and what the other tables need of them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.synthetic.arrays import (
    cumsum_in_group,
    digit,
    fixed_width_strings,
    flag,
    group_starts,
    lookup,
    padded,
    rank_in_group,
    spread,
    to_str,
)
from ptoffact_build.synthetic.facts import (
    ALICE_DAY,
    DUP_WINDOW,
    EARLY_FIRST,
    EARLY_LAST,
    FILING_KNOTS,
    FIRST_DAY,
    LAST_DAY,
    ODD_ART_UNITS,
    POPULAR_CLASSES,
    T101,
    T102,
    T103,
    T112,
    TALLOW,
    TDP,
    TECH_CENTER_WEIGHTS,
    TECH_CENTERS,
    TOBJ,
)

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
