"""Write the embedded sample: three small zips in the distribution's own CSV format.

The sample is synthetic but follows every value form and quirk described in the reference
notes on the data: both ifw_number forms, zero-padded codes, non-numeric art units, quoted
claim lists, messy citation text (commas, quotes, non-ASCII), same-day duplicate actions,
mail dates before 2008, colliding rejection triples, citation app_ids absent from
office_actions and repeated (app_id, citation_pat_pgpub_id) pairs. Every quirk count is fixed
by a constant below, and every value is valid against ``schema/*.json``.

Run ``python -m ptoffact_build.devtools.make_sample [--out DIR] [--seed N]``. The zips are
byte-identical on every run with the same seed (and the same zlib).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from ptoffact_build.schema import TABLES, load_schema

SEED = 2017
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample"

N_ACTIONS = 1000
"""Office actions in the sample, same-day duplicates included."""
N_SAME_DAY_DUPLICATES = 10
"""Applications given a second action row on the same mail_dt with another ifw_number."""
N_PRE_2008 = 6
"""Office actions mailed before 2008 (the earliest on 2001-01-01)."""
N_COLLIDING_TRIPLES = 8
"""Extra rejection rows repeating an existing (ifw_number, action_type, action_subtype)."""
N_ORPHAN_APPS = 12
"""Applications that appear in citations only."""
ORPHAN_ROWS_PER_APP = 5
N_REPEATED_PAIRS = 600
"""Extra citation rows repeating an earlier (app_id, citation_pat_pgpub_id) pair."""

FIRST_APP_ID, LAST_APP_ID = 12_000_000, 15_378_270
FIRST_DATE, LAST_DATE = date(2001, 1, 1), date(2017, 7, 11)
DUPLICATE_WINDOW = (date(2015, 10, 1), date(2016, 3, 31))

ZIP_DATE_TIME = (2017, 11, 29, 0, 0, 0)
"""Timestamp of every zip member: the dataset's release date."""
ZIP_EXTERNAL_ATTR = 0o100644 << 16
ZIP_COMPRESSLEVEL = 9

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
FILING_ANCHORS = (
    (12_000_000, date(2007, 12, 1)),
    (13_000_000, date(2011, 5, 1)),
    (14_000_000, date(2013, 12, 1)),
    (15_000_000, date(2014, 12, 1)),
    (15_378_270, date(2016, 3, 1)),
)
TECH_CENTERS = ("16", "17", "21", "24", "26", "28", "36", "37")
NON_NUMERIC_ART_UNITS = ("17XX", "21XX", "36XX")
USPC_CLASSES = ("424", "514", "435", "705", "370", "709", "438", "257", "073", "000")
USPC_CLASS_WEIGHTS = (14, 12, 8, 14, 12, 12, 8, 10, 8, 2)
FIXED_SUBCLASSES = ("001000", "026100")
SIGNATURE_WEIGHTS = (15, 35, 20, 28, 2)

GROUND_ODDS = {
    "103": 0.8,
    "102": 0.35,
    "112": 0.4,
    "101": 0.12,
    "nonstatutory double patenting": 0.1,
    "objected": 0.3,
    "allowed": 0.15,
    "cancelled": 0.05,
}
SUBTYPES = {
    "101": (("", "a"), (9, 1)),
    "102": (("a", "b", "e"), (4, 4, 2)),
    "103": (("a", ""), (85, 15)),
    "112": (
        ("a", "b", "d", "f", "first paragraph", "second paragraph", ""),
        (20, 40, 5, 5, 12, 12, 6),
    ),
    "nonstatutory double patenting": (("", "provisional"), (6, 4)),
    "objected": (("",), (1,)),
    "allowed": (("",), (1,)),
    "cancelled": (("",), (1,)),
}
CASE_LAW = {  # flag -> date of the decision
    "alice_in": date(2014, 6, 19),
    "bilski_in": date(2010, 6, 28),
    "mayo_in": date(2012, 3, 20),
    "myriad_in": date(2013, 6, 13),
}
QUOTED_CLAIM_LIST = "6,7,8,11,12,13"

SURNAMES = ("Lee", "Kim", "Smith", "Wang", "Müller", "Núñez", "Østergaard", "Suzuki")
SHOWCASE_CITATIONS = (
    ("7659971", "7659971"),
    ("20110059422", "20110059422"),
    ("JP 2004-159476", "2004159476"),
    ("WO 2012136906", "2012136906"),
    ("Lee (US 2009/0139986)", "20090139986"),
    ('Müller et al., "Über die Synthese von Peptiden…", Angew. Chem. 116 (2004)', ""),
)
PROSE = (
    'Müller et al., "Über {topic}", J. Org. Chem. {vol} ({year})',
    'Smith, J., "A survey of {topic}", IEEE Trans. {vol}, pp. {page}-{end} ({year})',
    'Peña-García, "Análisis de {topic}", Rev. Téc. {vol} ({year})',
    "Nakamura, {topic}, Proc. SPIE vol. {vol}, {year}",
)
TOPICS = ("Peptide", "Widget design", "Packet routing", "Catalysts", "Löt-Verfahren")
REFERENCE_KINDS = {  # kind -> weight
    "patent": 50,
    "pgpub": 25,
    "us_patent_text": 4,
    "us_pub_text": 4,
    "author": 4,
    "jp": 4,
    "wo": 3,
    "old_patent": 3,
    "prose": 3,
}


@dataclass
class Action:
    """One generated Office action: its row and the grounds it raises."""

    row: dict[str, str]
    mail_dt: date
    grounds: dict[str, list[str]] = field(default_factory=dict)
    n_claims: int = 20


Row = dict[str, str]
Tables = dict[str, list[Row]]


def flag(value: bool) -> str:
    """A boolean in the file's form."""
    return "1" if value else "0"


def pick(rng: random.Random, i: int, values: Sequence[str], weights=None) -> str:
    """``values[i]`` for the first ``len(values)`` calls, then a weighted choice."""
    if i < len(values):
        return values[i]
    return rng.choices(values, weights)[0]


# --- office actions ----------------------------------------------------------------------


def filing_date(app_id: int) -> date:
    """Approximate filing date of an application, interpolated from its serial number."""
    for (lo, d_lo), (hi, d_hi) in pairwise(FILING_ANCHORS):
        if app_id <= hi:
            share = (app_id - lo) / (hi - lo)
            return d_lo + timedelta(days=round(share * (d_hi - d_lo).days))
    return FILING_ANCHORS[-1][1]


def new_ifw_number(rng: random.Random, used: set[str]) -> str:
    """A fresh ifw_number: 15 upper-case letters and digits, or (one in five) 9 digits.

    The first is always of the 15-character form and the second of the 9-digit form.
    """
    while True:
        if len(used) == 1 or (len(used) > 1 and rng.random() < 0.2):
            value = str(rng.randint(100_000_000, 999_999_999))
        else:
            value = "".join(rng.choices(ALNUM, k=8)) + "PXXIFW" + str(rng.randint(0, 9))
        if value not in used:
            used.add(value)
            return value


def new_app_ids(rng: random.Random, n: int, taken: set[int]) -> list[int]:
    """``n`` distinct application numbers in range, avoiding ``taken``."""
    ids: list[int] = []
    while len(ids) < n:
        app_id = rng.randint(FIRST_APP_ID, LAST_APP_ID)
        if app_id not in taken:
            taken.add(app_id)
            ids.append(app_id)
    return ids


def mail_dates(rng: random.Random, app_id: int, n: int) -> list[date]:
    """Up to ``n`` increasing mail dates for one application, none after LAST_DATE."""
    day = min(filing_date(app_id) + timedelta(days=rng.randint(240, 900)), LAST_DATE)
    dates = [day]
    while len(dates) < n:
        day += timedelta(days=rng.randint(90, 420))
        if day > LAST_DATE:
            break
        dates.append(day)
    return dates


def app_codes(rng: random.Random, i: int) -> dict[str, str]:
    """art_unit and USPC codes of the i-th application (fixed across its actions)."""
    if i < len(NON_NUMERIC_ART_UNITS) or rng.random() < 0.005:
        art_unit = pick(rng, i, NON_NUMERIC_ART_UNITS)
    else:
        art_unit = rng.choice(TECH_CENTERS) + f"{rng.randint(0, 99):02d}"
    uspc_class = pick(rng, i, USPC_CLASSES, USPC_CLASS_WEIGHTS)
    if uspc_class == "000":
        subclass = "000000"
    elif i < len(FIXED_SUBCLASSES):
        subclass = FIXED_SUBCLASSES[i]
    else:
        main = min(int(rng.expovariate(1 / 60)) + 1, 999)
        subclass = f"{main:03d}{rng.choice((0, 0, 0, 100, 10, 120, 400)):03d}"
    return {"art_unit": art_unit, "uspc_class": uspc_class, "uspc_subclass": subclass}


def draw_grounds(rng: random.Random) -> dict[str, list[str]]:
    """The action types an action raises, each with one or two distinct subtypes."""
    grounds: dict[str, list[str]] = {}
    if rng.random() < 0.03:
        return grounds
    for action_type, odds in GROUND_ODDS.items():
        if rng.random() < odds:
            values, weights = SUBTYPES[action_type]
            subtypes = [rng.choices(values, weights)[0]]
            if len(values) > 1 and rng.random() < 0.15:
                subtypes.append(rng.choice([v for v in values if v != subtypes[0]]))
            grounds[action_type] = subtypes
    return grounds


def cite103_max(rng: random.Random) -> int:
    """Most references in one 103 rejection (at least 1), with a long thin tail."""
    return rng.choices((1, 2, 3, 4, 5, 6, 8, 12), (35, 33, 18, 6, 4, 2, 1, 1))[0]


def action_flags(rng: random.Random, grounds: dict[str, list[str]]) -> Row:
    """The 0/1 and count columns of an action, consistent with its grounds."""
    m103 = cite103_max(rng) if "103" in grounds else 0
    return {
        "header_missing": flag(rng.random() < 0.02),
        "fp_missing": flag(rng.random() < 0.03),
        "rejection_fp_mismatch": flag(rng.random() < 0.06),
        "closing_missing": flag(rng.random() < 0.04),
        "rejection_101": flag("101" in grounds),
        "rejection_102": flag("102" in grounds),
        "rejection_103": flag("103" in grounds),
        "rejection_112": flag("112" in grounds),
        "rejection_dp": flag("nonstatutory double patenting" in grounds),
        "objection": flag("objected" in grounds),
        "allowed_claims": flag("allowed" in grounds),
        "cite102_gt1": flag("102" in grounds and rng.random() < 0.25),
        "cite103_gt3": flag(m103 > 3),
        "cite103_eq1": flag(m103 == 1 or (m103 > 1 and rng.random() < 0.1)),
        "cite103_max": str(m103),
    }


def set_cite103_max(action: Action, value: int) -> None:
    """Give an action with a 103 rejection a new cite103_max, keeping the flags consistent."""
    action.row.update(
        cite103_max=str(value), cite103_gt3=flag(value > 3), cite103_eq1=flag(value == 1)
    )


def new_action(
    rng: random.Random, app_id: int, day: date, codes: Row, ifw: str, doc: str, sig: str
) -> Action:
    """One Office action of an application."""
    grounds = draw_grounds(rng)
    row = {"app_id": str(app_id), "ifw_number": ifw, "document_cd": doc}
    row |= {"mail_dt": day.isoformat(), **codes, **action_flags(rng, grounds)}
    row["signature_type"] = sig
    return Action(row, day, grounds, n_claims=rng.randint(3, 40))


def base_actions(rng: random.Random, n: int, used_ifw: set[str]) -> list[list[Action]]:
    """Exactly ``n`` actions grouped by application (the first two at the range ends)."""
    apps: list[list[Action]] = []
    taken: set[int] = set()
    total = 0
    while total < n:
        i = len(apps)
        app_id = (FIRST_APP_ID, LAST_APP_ID)[i] if i < 2 else new_app_ids(rng, 1, taken)[0]
        taken.add(app_id)
        wanted = rng.choices((1, 2, 3, 4), (45, 35, 15, 5))[0]
        dates = [LAST_DATE] if app_id == LAST_APP_ID else mail_dates(rng, app_id, wanted)
        dates = dates[: n - total]
        codes = app_codes(rng, i)
        actions = []
        for k, day in enumerate(dates):
            doc = "CTNF" if k == 0 or rng.random() < 0.2 else "CTFR"
            sig = pick(rng, total + k, "01234", SIGNATURE_WEIGHTS)
            ifw = new_ifw_number(rng, used_ifw)
            actions.append(new_action(rng, app_id, day, codes, ifw, doc, sig))
        apps.append(actions)
        total += len(actions)
    return apps


def add_pre_2008(rng: random.Random, apps: list[list[Action]], n: int) -> set[int]:
    """Move the only action of ``n`` single-action applications before 2008."""
    singles = [i for i, acts in enumerate(apps) if len(acts) == 1 and i >= 2]
    chosen = sorted(rng.sample(singles, n))
    for k, i in enumerate(chosen):
        days = rng.randint(1, (date(2007, 12, 31) - FIRST_DATE).days)
        day = FIRST_DATE if k == 0 else FIRST_DATE + timedelta(days=days)
        apps[i][0].mail_dt = day
        apps[i][0].row["mail_dt"] = day.isoformat()
    return set(chosen)


def add_same_day_duplicates(
    rng: random.Random, apps: list[list[Action]], n: int, used_ifw: set[str], skip: set[int]
) -> None:
    """Copy the first action of ``n`` applications under a new ifw_number, same mail_dt."""
    lo, hi = DUPLICATE_WINDOW
    in_window = [i for i, a in enumerate(apps) if i not in skip and lo <= a[0].mail_dt <= hi]
    others = [i for i in range(len(apps)) if i not in skip and i not in in_window]
    chosen = rng.sample(in_window, min(n, len(in_window)))
    chosen += rng.sample(others, n - len(chosen))
    for i in chosen:
        first = apps[i][0]
        row = dict(first.row, ifw_number=new_ifw_number(rng, used_ifw))
        grounds = {k: list(v) for k, v in first.grounds.items()}
        apps[i].insert(1, Action(row, first.mail_dt, grounds, first.n_claims))


def drop_last_actions(apps: list[list[Action]], n: int, skip: set[int]) -> None:
    """Remove ``n`` later actions of multi-action applications, to keep the total fixed."""
    for i in reversed(range(len(apps))):
        while n and i not in skip and len(apps[i]) > 1:
            apps[i].pop()
            n -= 1


def force_cite103_extremes(rng: random.Random, actions: list[Action]) -> None:
    """Make sure cite103_max reaches 60 once (its largest value seen)."""
    with_103 = [a for a in actions if "103" in a.grounds]
    set_cite103_max(rng.choice(with_103), 60)


def generate_actions(rng: random.Random) -> list[Action]:
    """All Office actions of the sample, quirks included, in (app_id, mail_dt) order."""
    used_ifw: set[str] = set()
    apps = base_actions(rng, N_ACTIONS, used_ifw)
    pre_2008 = add_pre_2008(rng, apps, N_PRE_2008)
    add_same_day_duplicates(rng, apps, N_SAME_DAY_DUPLICATES, used_ifw, pre_2008)
    touched = pre_2008 | {i for i, a in enumerate(apps) if len({x.mail_dt for x in a}) < len(a)}
    drop_last_actions(apps, N_SAME_DAY_DUPLICATES, touched)
    actions = [a for acts in apps for a in acts]
    force_cite103_extremes(rng, actions)
    return sorted(actions, key=lambda a: (a.row["app_id"], a.mail_dt))


# --- rejections --------------------------------------------------------------------------


def claim_list(rng: random.Random, n_claims: int) -> str:
    """Sorted claim numbers in one to three runs, e.g. ``6,7,8,11,12,13``; rarely empty."""
    if rng.random() < 0.04:
        return ""
    claims: set[int] = set()
    for _ in range(rng.randint(1, 3)):
        start = rng.randint(1, n_claims)
        claims.update(range(start, min(n_claims, start + rng.randint(0, 5)) + 1))
    return ",".join(map(str, sorted(claims)))


def case_law_flags(rng: random.Random, action_type: str, day: date) -> Row:
    """alice_in etc.: set only on 101 rows mailed after the decision."""
    odds = {"alice_in": 0.5, "bilski_in": 0.25, "mayo_in": 0.15, "myriad_in": 0.08}
    return {
        name: flag(action_type == "101" and day >= decided and rng.random() < odds[name])
        for name, decided in CASE_LAW.items()
    }


def rejection_rows(rng: random.Random, action: Action) -> list[Row]:
    """One row per (action_type, action_subtype) the action raises."""
    rows = []
    for action_type, subtypes in action.grounds.items():
        for subtype in subtypes:
            row = {
                "app_id": action.row["app_id"],
                "ifw_number": action.row["ifw_number"],
                "action_type": action_type,
                "action_subtype": subtype,
                "claim_numbers": claim_list(rng, action.n_claims),
            }
            rows.append(row | case_law_flags(rng, action_type, action.mail_dt))
    return rows


def force_rejection_forms(rng: random.Random, rows: list[Row]) -> None:
    """Make sure the literal claim list and every case-law flag occur."""
    rows_103 = [r for r in rows if r["action_type"] == "103"]
    rng.choice(rows_103)["claim_numbers"] = QUOTED_CLAIM_LIST
    rows_101 = [r for r in rows if r["action_type"] == "101"]
    for name in CASE_LAW:
        if not any(r[name] == "1" for r in rows):
            rng.choice(rows_101)[name] = "1"


def add_colliding_triples(rng: random.Random, rows: list[Row], n: int) -> list[Row]:
    """Repeat ``n`` rows' (ifw_number, action_type, action_subtype) with other claims."""
    chosen = set(rng.sample(range(len(rows)), n))
    out = []
    for i, row in enumerate(rows):
        out.append(row)
        if i in chosen:
            out.append(dict(row, claim_numbers=claim_list(rng, 30)))
    return out


def generate_rejections(rng: random.Random, actions: list[Action]) -> list[Row]:
    """Rejection rows for the given actions, colliding triples included."""
    rows = [r for a in actions for r in rejection_rows(rng, a)]
    force_rejection_forms(rng, rows)
    return add_colliding_triples(rng, rows, N_COLLIDING_TRIPLES)


# --- citations ---------------------------------------------------------------------------


def reference(rng: random.Random) -> tuple[str, str]:
    """A cited reference as written, and its parsed number (empty for prose)."""
    kind = rng.choices(list(REFERENCE_KINDS), list(REFERENCE_KINDS.values()))[0]
    patent = rng.randint(4_000_000, 9_700_000)
    year, serial = rng.randint(2001, 2017), rng.randint(1, 399_999)
    pub = f"{year}{serial:07d}"
    foreign = f"{rng.randint(1990, 2015)}{rng.randint(1, 299_999):06d}"
    if kind == "patent":
        return str(patent), str(patent)
    if kind == "pgpub":
        return pub, pub
    if kind == "us_patent_text":
        return f"US {patent:,} {rng.choice(('B1', 'B2'))}", str(patent)
    if kind == "us_pub_text":
        return f"US {year}/{serial:07d} A1", pub
    if kind == "author":
        return f"{rng.choice(SURNAMES)} (US {year}/{serial:07d})", pub
    if kind == "jp":
        return f"JP {foreign[:4]}-{foreign[4:]}", foreign
    if kind == "wo":
        return f"WO {foreign}", foreign
    if kind == "old_patent":
        old = rng.randint(300_000, 3_999_999)
        return f"{old:,}", str(old)
    page = rng.randint(1, 900)
    text = rng.choice(PROSE).format(
        topic=rng.choice(TOPICS), vol=rng.randint(1, 120), year=year, page=page, end=page + 9
    )
    return text, ""


def unique_reference(rng: random.Random, seen: set[str]) -> tuple[str, str]:
    """A reference not yet cited by this application."""
    while True:
        ref = reference(rng)
        if ref[0] not in seen:
            seen.add(ref[0])
            return ref


def citation_row(app_id: str, ref: tuple[str, str], context: Row, forms: tuple[bool, ...]) -> Row:
    """One citations row."""
    row = {"app_id": app_id, "citation_pat_pgpub_id": ref[0], "parsed": ref[1]}
    row |= {"ifw_number": "", "action_type": "", "action_subtype": ""} | context
    row |= dict(zip(("form892", "form1449", "citation_in_oa"), map(flag, forms), strict=True))
    return row


def tied_citations(rng: random.Random, action: Action, seen: set[str]) -> list[Row]:
    """Citations behind the action's 102 and 103 rejections."""
    counts = {
        "102": 2 if action.row["cite102_gt1"] == "1" else 1,
        "103": int(action.row["cite103_max"]),
    }
    rows = []
    for action_type, count in counts.items():
        if action_type not in action.grounds:
            continue
        context = {
            "ifw_number": action.row["ifw_number"],
            "action_type": action_type,
            "action_subtype": action.grounds[action_type][0],
        }
        for _ in range(count):
            on_892 = rng.random() < 0.75
            ref = unique_reference(rng, seen)
            rows.append(
                citation_row(action.row["app_id"], ref, context, (on_892, not on_892, True))
            )
    return rows


def untied_citations(
    rng: random.Random, app_id: str, n: int, seen: set[str], showcase: list[tuple[str, str]]
) -> list[Row]:
    """Citations listed on form 892 or 1449 but not tied to a rejection."""
    rows = []
    for _ in range(n):
        fresh = showcase and showcase[0][0] not in seen
        ref = showcase.pop(0) if fresh else unique_reference(rng, seen)
        seen.add(ref[0])
        on_892 = rng.random() < 0.35
        forms = (on_892, not on_892, rng.random() < 0.03)
        rows.append(citation_row(app_id, ref, {}, forms))
    return rows


def add_repeated_pairs(rng: random.Random, by_app: dict[str, list[Row]], n: int) -> None:
    """List ``n`` tied citations a second time, untied, under the same application."""
    tied = [(app, i) for app, rows in by_app.items() for i, r in enumerate(rows) if r["ifw_number"]]
    for app, i in sorted(rng.sample(tied, n)):
        context = {"ifw_number": "", "action_type": "", "action_subtype": ""}
        by_app[app].append(dict(by_app[app][i], **context, citation_in_oa="0"))


def generate_citations(rng: random.Random, actions: list[Action]) -> list[Row]:
    """Citations of the sample's applications, plus a few of applications absent elsewhere."""
    by_app: dict[str, list[Row]] = {}
    seen: dict[str, set[str]] = {}
    for action in actions:
        app = action.row["app_id"]
        by_app.setdefault(app, []).extend(tied_citations(rng, action, seen.setdefault(app, set())))
    showcase = list(SHOWCASE_CITATIONS)
    for app, rows in by_app.items():
        n = rng.randint(0, 2) + round(3.2 * len(rows))
        rows.extend(untied_citations(rng, app, n, seen[app], showcase))
    add_repeated_pairs(rng, by_app, N_REPEATED_PAIRS)
    taken = {int(a) for a in by_app}
    for app_id in new_app_ids(rng, N_ORPHAN_APPS, taken):
        app = str(app_id)
        by_app[app] = untied_citations(rng, app, ORPHAN_ROWS_PER_APP, set(), [])
    return [r for app in sorted(by_app) for r in by_app[app]]


# --- tables, files, summary --------------------------------------------------------------


def generate(seed: int = SEED) -> Tables:
    """The three tables of the sample, as rows of text in the file's form."""
    rng = random.Random(seed)
    actions = generate_actions(rng)
    return {
        "office_actions": [a.row for a in actions],
        "rejections": generate_rejections(rng, actions),
        "citations": generate_citations(rng, actions),
    }


def to_csv_bytes(columns: Sequence[str], rows: list[Row]) -> bytes:
    """RFC 4180 CSV (minimal quoting, LF line ends), UTF-8 without BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        if set(row) != set(columns):
            raise ValueError(f"row columns {sorted(row)} differ from {list(columns)}")
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue().encode("utf-8")


def write_zip(path: Path, member: str, data: bytes) -> None:
    """Write a zip holding one deflated member, with fixed metadata (reproducible bytes)."""
    info = zipfile.ZipInfo(member, date_time=ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = ZIP_EXTERNAL_ATTR
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, data, compresslevel=ZIP_COMPRESSLEVEL)


def write_tables(out_dir: Path, tables: Tables) -> dict[str, Path]:
    """Write each table as ``<table>.csv.zip`` holding ``<table>.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table in TABLES:
        path = out_dir / f"{table}.csv.zip"
        columns = load_schema(table).field_names
        write_zip(path, f"{table}.csv", to_csv_bytes(columns, tables[table]))
        paths[table] = path
    return paths


def write_sample(out_dir: Path, seed: int = SEED) -> dict[str, Path]:
    """Generate the sample and write its three zips; return table name -> zip path."""
    return write_tables(Path(out_dir), generate(seed))


def repeated(keys: list[tuple[str, ...]]) -> int:
    """Rows whose key already occurred in an earlier row."""
    return len(keys) - len(set(keys))


def quirk_counts(tables: Tables) -> dict[str, int]:
    """Counts of each value form and quirk in the tables."""
    oa, rej, cit = tables["office_actions"], tables["rejections"], tables["citations"]
    apps = {r["app_id"] for r in oa}
    per_app_day = Counter((r["app_id"], r["mail_dt"]) for r in oa)
    return {
        "office_actions": len(oa),
        "applications": len(apps),
        "ifw_15_char": sum(len(r["ifw_number"]) == 15 for r in oa),
        "ifw_9_digit": sum(len(r["ifw_number"]) == 9 for r in oa),
        "ctnf": sum(r["document_cd"] == "CTNF" for r in oa),
        "non_numeric_art_unit": sum(not r["art_unit"].isdigit() for r in oa),
        "mail_dt_before_2008": sum(r["mail_dt"] < "2008-01-01" for r in oa),
        "same_day_duplicate_apps": len({app for (app, _), n in per_app_day.items() if n > 1}),
        "rejections": len(rej),
        "colliding_triples_extra_rows": repeated(
            [(r["ifw_number"], r["action_type"], r["action_subtype"]) for r in rej]
        ),
        "citations": len(cit),
        "citations_empty_action_type": sum(r["action_type"] == "" for r in cit),
        "citations_orphan_rows": sum(r["app_id"] not in apps for r in cit),
        "citations_orphan_apps": len({r["app_id"] for r in cit} - apps),
        "citations_repeated_pair_rows": repeated(
            [(r["app_id"], r["citation_pat_pgpub_id"]) for r in cit]
        ),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the sample and print its quirk counts to stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args(argv)
    tables = generate(args.seed)
    paths = write_tables(args.out, tables)
    for name, count in quirk_counts(tables).items():
        print(f"{name:>30}: {count}", file=sys.stderr)
    size = sum(p.stat().st_size for p in paths.values())
    print(f"{'zip bytes':>30}: {size} in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
