"""The Supreme Court's decisions on patent eligibility (35 U.S.C. 101) that the data marks:
the rejections' flags and the figures' vertical lines. A plain module (no heavy imports):
the figure process imports it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Decision:
    """A decision: its short name, the case, the day it was decided, its rejections' flag."""

    name: str
    case: str
    decided: date
    flag: str


DECISIONS = (
    Decision("Bilski", "Bilski v. Kappos", date(2010, 6, 28), "bilski_in"),
    Decision("Mayo", "Mayo v. Prometheus", date(2012, 3, 20), "mayo_in"),
    Decision("Myriad", "AMP v. Myriad", date(2013, 6, 13), "myriad_in"),
    Decision("Alice", "Alice v. CLS Bank", date(2014, 6, 19), "alice_in"),
)

# The technology centers where the 101 rejections rose most after Alice: 16xx
# (biotechnology), 21xx (software), 36xx (e-commerce, business methods), 37xx (mechanical).
ELIGIBILITY_CENTERS = ("16xx", "21xx", "36xx", "37xx")
