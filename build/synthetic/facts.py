"""Facts the synthetic source follows: the real row counts, application numbers, dates and
value vocabularies (after ``shared/reference/data.md``)."""

from __future__ import annotations

import numpy as np

REAL_ROWS: dict[str, int] = {
    "office_actions": 4_384_532,
    "rejections": 10_133_179,
    "citations": 58_862_278,
}
REAL_APPS = 2_188_195
APP_MIN, APP_MAX = 12_000_000, 15_378_270
ORPHAN_ROW_SHARE = 0.0054  # citations rows whose app_id has no office action
CITATIONS_PER_ORPHAN_APP = 27

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
