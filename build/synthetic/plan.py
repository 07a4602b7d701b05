"""How many rows of each table a scale gives, and their split into chunks of applications."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ptoffact_build.synthetic.facts import (
    APP_MAX,
    APP_MIN,
    CITATIONS_PER_ORPHAN_APP,
    ORPHAN_ROW_SHARE,
    REAL_APPS,
    REAL_ROWS,
)

APPS_PER_CHUNK = 40_000  # about 1.1M citation rows per chunk

APP_ID_LIMIT = 100_000_000  # application numbers have 8 digits
MAX_SCALE = 25.0
"""The largest scale whose applications all get distinct 8-digit numbers."""


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
    """Row counts at ``scale`` (scale 1.0 is the real dataset); ValueError out of range."""
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ValueError(f"scale {scale:g}: must be above 0 and at most {MAX_SCALE:g}")
    rows = {t: max(1, round(n * scale)) for t, n in REAL_ROWS.items()}
    apps = min(max(1, round(REAL_APPS * scale)), rows["office_actions"])
    orphan_rows = round(rows["citations"] * ORPHAN_ROW_SHARE)
    orphan_apps = min(orphan_rows, math.ceil(orphan_rows / CITATIONS_PER_ORPHAN_APP))
    chunks = max(1, math.ceil(apps / APPS_PER_CHUNK))
    return Plan(scale, apps, orphan_apps, rows, orphan_rows, chunks)


def app_id_span(plan: Plan) -> int:
    """How many application numbers, from APP_MIN on, the plan's applications are drawn from."""
    return max(APP_MAX - APP_MIN + 1, math.ceil((plan.apps + plan.orphan_apps) * 1.6))


def draw_app_ids(plan: Plan, seed: int) -> np.ndarray:
    """Distinct app_ids in random order: the plan's applications, then its orphan ones."""
    rng = np.random.default_rng([seed, 0xA99])
    span = app_id_span(plan)
    if APP_MIN + span > APP_ID_LIMIT:
        raise ValueError("scale too large for 8-digit application numbers")
    return APP_MIN + rng.choice(span, size=plan.apps + plan.orphan_apps, replace=False)
