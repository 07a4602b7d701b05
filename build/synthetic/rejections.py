"""The rejections rows of a chunk of Office actions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.synthetic.actions import Actions
from ptoffact_build.synthetic.arrays import (
    concat,
    cumsum_in_group,
    flag,
    group_starts,
    lookup,
    pick,
    to_str,
)
from ptoffact_build.synthetic.facts import (
    ACTION_TYPES,
    AIA_DAY,
    ALICE_DAY,
    BILSKI_DAY,
    MAYO_DAY,
    MYRIAD_DAY,
    S_A,
    S_B,
    S_D,
    S_E,
    S_F,
    S_FIRST,
    S_NONE,
    S_SECOND,
    SUBTYPES,
    T101,
    T102,
    T103,
    T112,
    TCANCEL,
)


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
    for raised, mask in oa.raised.items():
        idx = np.flatnonzero(mask)
        codes = sub[raised][idx] if raised in sub else np.zeros(len(idx), dtype=np.int8)
        parts.append((idx, raised, codes))
    for again, rate in ((T112, 0.20), (T102, 0.08)):
        idx = np.flatnonzero(oa.raised[again] & (rng.random(n) < rate))
        parts.append((idx, again, SECOND_SUBTYPE[sub[again][idx]]))
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
