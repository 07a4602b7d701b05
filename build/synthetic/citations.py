"""The citations rows of a chunk of applications: tied to 102/103 rejections, untied, and
orphans (applications without Office actions)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ptoffact_build.synthetic.actions import Actions
from ptoffact_build.synthetic.arrays import (
    concat,
    csv_quote,
    flag,
    lookup,
    padded,
    pick,
    scatter,
    spread,
    to_str,
)
from ptoffact_build.synthetic.facts import (
    ACTION_TYPES,
    ASCII_AUTHORS,
    AUTHORS,
    FOREIGN_CC,
    S_NONE,
    SUBTYPES,
    T102,
    T103,
    TITLE_WORDS,
    VENUES,
)


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
