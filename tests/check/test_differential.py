"""Differential test: seeded random corruptions of a small dataset, validated by ptoffact and
by frictionless-py, must give the same set of (table, row, field, error type).

Where the "Differences from frictionless-py" list of docs/reference.md applies, the comparison
maps that difference by name (``DIFFERENCES``); no case is skipped. Corruptions that the chunk
reader that once moved record boundaries (issue 7 item 9: a bare quote inside an unquoted
field, bare CR line ends) are among the random corruptions and are also tested alone.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from frictionless_helpers import csv_bytes, frictionless_findings, normalise, sample_records
from helpers import REPO
from ptoffact_build.pipeline import CheckOptions, run_tables
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.schema import TABLES, load_schema

CASES = 300
OFFICE_ROWS, CHILD_ROWS = 40, 25

# The documented differences (docs/reference.md), by the name the comparison uses for each.
DIFFERENCES = {
    "columns-by-name": "a header with the schema's names in another order is read by name",
    "encoding-error-row": "an encoding-error names the row of the bad byte (1 for the header)",
    "encoding-error-stops-table": "findings before the bad byte are kept",
    "keys-into-unreadable-table": "tables referring to an unreadable table are still checked",
    "pattern-newline": "a value ending in a line break does not match a pattern",
}


def base_dataset() -> dict[str, list[list[str]]]:
    """The first Office actions of the sample, with some of their rejections and citations."""
    office = sample_records("office_actions")[: OFFICE_ROWS + 1]
    keys = {row[1] for row in office[1:]}
    data = {"office_actions": office}
    for table in ("rejections", "citations"):
        rows = sample_records(table)
        at = rows[0].index("ifw_number")
        data[table] = [rows[0], *[r for r in rows[1:] if r[at] in keys][:CHILD_ROWS]]
    return data


BASE = base_dataset()


@dataclass
class Case:
    """One corrupted dataset: its records, how each table is written, what was done."""

    rows: dict[str, list[list[str]]]
    quoting: dict[str, int] = field(default_factory=dict)
    byte_edits: dict[str, list[Callable[[bytes], bytes]]] = field(default_factory=dict)
    permuted: dict[str, list[int]] = field(default_factory=dict)  # table -> column order
    header_changed: set[str] = field(default_factory=set)
    shape_changed: set[str] = field(default_factory=set)
    done: list[str] = field(default_factory=list)

    def edit_bytes(self, table: str, edit: Callable[[bytes], bytes]) -> None:
        self.byte_edits.setdefault(table, []).append(edit)

    def file_bytes(self, table: str, for_frictionless: bool) -> bytes:
        rows = self.rows[table]
        order = self.permuted.get(table)
        if order and not for_frictionless:
            rows = [[row[i] for i in order] for row in rows]
        data = csv_bytes(rows, self.quoting.get(table, csv.QUOTE_MINIMAL))
        for edit in self.byte_edits.get(table, []):
            data = edit(data)
        return data

    def write(self, folder: Path, for_frictionless: bool) -> dict[str, Path]:
        folder.mkdir()
        files = {}
        for table in TABLES:
            files[table] = folder / f"{table}.csv"
            files[table].write_bytes(self.file_bytes(table, for_frictionless))
        return files


# --- corruptions: each takes the case and a seeded random generator --------------------------


def data_row(case: Case, rng: random.Random, table: str) -> list[str]:
    rows = case.rows[table]
    candidates = [r for r in rows[1:] if len(r) == len(rows[0])]
    return rng.choice(candidates or rows[1:])


def column(table: str, name: str) -> int:
    return load_schema(table).field_names.index(name)


def set_cell(table: str, name: str, values: list[str]):
    def corrupt(case: Case, rng: random.Random) -> None:
        row = data_row(case, rng, table)
        at = column(table, name)
        if at < len(row):
            row[at] = rng.choice(values)

    return corrupt


def duplicate_key(case: Case, rng: random.Random) -> None:
    rows = case.rows["office_actions"]
    first, second = rng.sample(range(1, len(rows)), 2)
    if len(rows[first]) > 1 and len(rows[second]) > 1:
        rows[second][1] = rows[first][1]


def dangling_key(case: Case, rng: random.Random) -> None:
    row = data_row(case, rng, "rejections")
    row[1] = rng.choice(["ZZZZZZZZZZZZZZZ", "123456789", row[1].lower()])


def shape(edit: Callable[[list[list[str]], random.Random], None]):
    def corrupt(case: Case, rng: random.Random) -> None:
        table = rng.choice([t for t in TABLES if t not in case.permuted])
        edit(case.rows[table], rng)
        case.shape_changed.add(table)

    return corrupt


def extra_cells(rows: list[list[str]], rng: random.Random) -> None:
    rng.choice(rows[1:]).extend(rng.choice([["surplus"], [""], ["a", "b"]]))


def missing_cells(rows: list[list[str]], rng: random.Random) -> None:
    row = rng.choice(rows[1:])
    del row[len(row) - rng.randint(1, 3) :]


def blank_line(rows: list[list[str]], rng: random.Random) -> None:
    rows.insert(rng.randint(1, len(rows)), [])


def empty_cells(rows: list[list[str]], rng: random.Random) -> None:
    width = len(rows[0]) + rng.choice([-3, -1, 0, 0, 1, 3])
    rows.insert(rng.randint(1, len(rows)), [""] * max(1, width))


def header(edit: Callable[[list[str], random.Random], None]):
    def corrupt(case: Case, rng: random.Random) -> None:
        free = [t for t in TABLES if t not in case.header_changed and t not in case.permuted]
        if free:
            table = rng.choice(free)
            edit(case.rows[table][0], rng)
            case.header_changed.add(table)

    return corrupt


def pad_label(labels: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(labels))
    labels[i] = rng.choice([" ", "  ", "\t"]) + labels[i] + rng.choice(["", " "])


def drop_label(labels: list[str], rng: random.Random) -> None:
    labels.pop(rng.choice([len(labels) - 1, rng.randrange(len(labels))]))


def add_label(labels: list[str], rng: random.Random) -> None:
    labels.insert(rng.choice([len(labels), rng.randrange(len(labels))]), "surplus")


def rename_label(labels: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(labels))
    labels[i] = rng.choice([labels[i].upper(), labels[i] + "_x", ""])


def repeat_label(labels: list[str], rng: random.Random) -> None:
    first, second = rng.sample(range(len(labels)), 2)
    labels[second] = labels[first]


def permute_columns(case: Case, rng: random.Random) -> None:
    free = [t for t in TABLES if t not in case.header_changed | case.shape_changed]
    if free:
        table = rng.choice(free)
        order = list(range(len(case.rows[table][0])))
        while order == sorted(order):
            rng.shuffle(order)
        case.permuted[table] = order


def quote_everything(case: Case, rng: random.Random) -> None:
    case.quoting[rng.choice(TABLES)] = csv.QUOTE_ALL


def awkward_text(case: Case, rng: random.Random) -> None:
    """Text that needs quoting or is not ASCII, in columns without constraints."""
    table, name = rng.choice(
        [("rejections", "claim_numbers"), ("citations", "citation_pat_pgpub_id")]
    )
    values = ['a "quoted" word', "two\nlines", "comma, inside", "crlf\r\ninside", "ünïcødé ☃", ""]
    set_cell(table, name, values)(case, rng)


FULLWIDTH_DIGITS = "".join(chr(0xFF10 + int(d)) for d in "12345678")


def unicode_in_constraints(case: Case, rng: random.Random) -> None:
    """Non-ASCII digits and letters where a pattern or length is checked."""
    rng.choice(
        [
            set_cell("office_actions", "app_id", [FULLWIDTH_DIGITS, "1234567\u0663"]),
            set_cell("rejections", "action_type", ["é" * 29, "é" * 30, "☃" * 22]),
            set_cell("office_actions", "art_unit", ["ÅÅÅÅÅ", "ÅÅÅÅÅÅ"]),
        ]
    )(case, rng)


def pattern_newline(case: Case, rng: random.Random) -> None:
    table = rng.choice(TABLES)
    row = data_row(case, rng, table)
    if row and row[0].isdigit():
        row[0] += "\n"


def latin1_byte(case: Case, rng: random.Random) -> None:
    """A byte that is not UTF-8, in a row or in the header."""
    table = rng.choice(TABLES)
    rows = case.rows[table]
    row = rows[0] if rng.random() < 0.3 else data_row(case, rng, table)
    at = rng.randrange(len(row))
    row[at] += "ñ"
    case.edit_bytes(table, lambda data: data.replace("ñ".encode(), b"\xf1", 1))


def crlf(case: Case, rng: random.Random) -> None:
    case.edit_bytes(rng.choice(TABLES), lambda data: data.replace(b"\n", b"\r\n"))


def bom(case: Case, rng: random.Random) -> None:
    case.edit_bytes(rng.choice(TABLES), lambda data: b"\xef\xbb\xbf" + data)


def no_final_newline(case: Case, rng: random.Random) -> None:
    case.edit_bytes(rng.choice(TABLES), lambda data: data.rstrip(b"\n"))


def bare_quote_then_quoted_newline(case: Case, rng: random.Random | None = None) -> None:
    rows = case.rows["citations"]
    rows[3][1] = 'Smith 5" disk'  # the writer quotes it: the edit below unquotes it
    rows[6][1] = "two\nlines"
    case.edit_bytes("citations", lambda data: data.replace(b'"Smith 5"" disk"', b'Smith 5" disk'))


def bare_cr(case: Case, rng: random.Random | None = None) -> None:
    table = rng.choice(TABLES) if rng else "rejections"
    case.edit_bytes(table, lambda data: data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"))


CORRUPTIONS: dict[str, Callable[[Case, random.Random], None]] = {
    "bad date": set_cell("office_actions", "mail_dt", ["2017-13-45", "2017-02-30", "x", ""]),
    "bad flag": set_cell("office_actions", "fp_missing", ["2", "true", "", " 1"]),
    "bad optional flag": set_cell("rejections", "alice_in", ["2", "yes", ""]),
    "bad integer": set_cell("office_actions", "cite103_max", ["3.5", "-1", "x", "", "+2"]),
    "outside enum": set_cell("office_actions", "document_cd", ["CTXX", "ctnf", ""]),
    "integer outside enum": set_cell("office_actions", "signature_type", ["7", "-0", "01"]),
    "broken pattern": set_cell("citations", "parsed", ["12a", "", " 12"]),
    "too long": set_cell("office_actions", "uspc_subclass", ["0010001", "123456"]),
    "missing required": set_cell("rejections", "app_id", ["", "1234567"]),
    "missing key": set_cell("office_actions", "ifw_number", [""]),
    "duplicate key": duplicate_key,
    "dangling key": dangling_key,
    "extra cells": shape(extra_cells),
    "missing cells": shape(missing_cells),
    "blank line": shape(blank_line),
    "row of empty cells": shape(empty_cells),
    "label with spaces": header(pad_label),
    "missing label": header(drop_label),
    "extra label": header(add_label),
    "renamed label": header(rename_label),
    "repeated label": header(repeat_label),
    "columns in another order": permute_columns,
    "quote everything": quote_everything,
    "awkward text": awkward_text,
    "unicode in constraints": unicode_in_constraints,
    "pattern then newline": pattern_newline,
    "latin-1 byte": latin1_byte,
    "CRLF": crlf,
    "BOM": bom,
    "no final newline": no_final_newline,
    "bare quote, then a quoted newline": bare_quote_then_quoted_newline,
    "bare CR line ends": bare_cr,
}


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    case = Case({t: [list(r) for r in rows] for t, rows in BASE.items()})
    for name in rng.sample(sorted(CORRUPTIONS), rng.randint(1, 4)):
        CORRUPTIONS[name](case, rng)
        case.done.append(name)
    return case


# --- the comparison, with the documented differences mapped ----------------------------------


@dataclass
class Outcome:
    ours: set[tuple]
    theirs: set[tuple]
    applied: Counter


def is_newline_pattern_miss(finding) -> bool:
    return (
        finding.type == "constraint-error"
        and "pattern" in finding.note
        and finding.value is not None
        and finding.value.endswith("\n")
        and re.fullmatch(r"[0-9A-Z]+\n", finding.value) is not None
    )


def compare(case: Case, tmp_path: Path) -> Outcome:
    """Both tools' findings on the case, each documented difference mapped by name."""
    ours_files = case.write(tmp_path / "ptoffact", for_frictionless=False)
    theirs_files = case.write(tmp_path / "frictionless", for_frictionless=True)
    result = run_tables(resolve_sources(ours_files.values()), CheckOptions(keep_all=True))
    applied: Counter = Counter()
    findings = []
    for f in result.findings():
        if is_newline_pattern_miss(f):
            applied["pattern-newline"] += 1
        else:
            findings.append(f)
    unreadable = {f.table for f in findings if f.type == "encoding-error"}
    referring = {
        t
        for t in TABLES
        if any(fk["reference"]["resource"] in unreadable for fk in load_schema(t).foreign_keys)
    }
    if referring:
        applied["keys-into-unreadable-table"] += 1
    ours = set()
    for f in findings:
        if f.table in unreadable and f.type != "encoding-error":
            applied["encoding-error-stops-table"] += 1
            continue
        if f.type == "encoding-error":
            applied["encoding-error-row"] += 1
            ours.add(normalise(f.table, None, f.field, f.type))
        else:
            ours.add(normalise(*f.key()))
    if case.permuted:
        applied["columns-by-name"] += 1
    theirs = frictionless_findings(theirs_files, without_keys_into=frozenset(unreadable))
    assert set(applied) <= set(DIFFERENCES)
    return Outcome(ours, theirs, applied)


@pytest.mark.parametrize("seed", range(CASES))
def test_findings_equal_frictionless(seed: int, tmp_path: Path) -> None:
    case = make_case(seed)
    outcome = compare(case, tmp_path)
    assert outcome.ours == outcome.theirs, (
        f"seed {seed}, corruptions {case.done}, differences mapped {dict(outcome.applied)}:\n"
        f"only ptoffact: {sorted(outcome.ours - outcome.theirs, key=str)}\n"
        f"only frictionless: {sorted(outcome.theirs - outcome.ours, key=str)}"
    )


def test_the_cases_cover_every_corruption() -> None:
    """Each corruption is drawn by several seeds, and most cases find something."""
    drawn = Counter(name for seed in range(CASES) for name in make_case(seed).done)
    assert set(drawn) == set(CORRUPTIONS)
    assert min(drawn.values()) >= 10


def test_the_base_dataset_is_valid_for_both(tmp_path: Path) -> None:
    outcome = compare(Case({t: [list(r) for r in rows] for t, rows in BASE.items()}), tmp_path)
    assert outcome.ours == outcome.theirs == set()


@pytest.mark.parametrize("corrupt", [bare_quote_then_quoted_newline, bare_cr])
def test_record_boundary_cases(corrupt, tmp_path: Path) -> None:
    case = Case({t: [list(r) for r in rows] for t, rows in BASE.items()})
    corrupt(case)
    outcome = compare(case, tmp_path)
    assert outcome.ours == outcome.theirs


@pytest.mark.parametrize("cells", [2, 8, 9, 12])
def test_blank_rows_of_any_width_are_only_blank_rows(cells: int, tmp_path: Path) -> None:
    """`,` repeated too few or too many times is a blank row, not missing or extra cells."""
    case = Case({t: [list(r) for r in rows] for t, rows in BASE.items()})
    case.rows["rejections"].insert(5, [""] * cells)
    outcome = compare(case, tmp_path)
    assert outcome.ours == outcome.theirs == {("rejections", 6, None, "blank-row")}


def raw_findings(case: Case, tmp_path: Path, chunk_bytes: int = 1 << 20) -> tuple[set, set]:
    """Both tools' findings on the very same files, no difference mapped."""
    files = case.write(tmp_path / "same", for_frictionless=False)
    sources = resolve_sources(files.values())
    result = run_tables(sources, CheckOptions(keep_all=True, chunk_bytes=chunk_bytes))
    return {normalise(*f.key()) for f in result.findings()}, frictionless_findings(files)


def test_the_documented_differences_hold(tmp_path: Path) -> None:
    """Each mapped difference is real: unmapped, the two tools disagree exactly so."""
    case = Case({t: [list(r) for r in rows] for t, rows in BASE.items()})
    case.permuted["citations"] = [1, 0, *range(2, len(BASE["citations"][0]))]
    case.rows["office_actions"][3][0] += "\n"
    case.rows["office_actions"][-1][2] += "ñ"  # ñ becomes a latin-1 byte, in the last row
    case.edit_bytes("office_actions", lambda data: data.replace("ñ".encode(), b"\xf1"))
    case.rows["office_actions"][0][5] = "class"
    last = len(case.rows["office_actions"])
    ours, theirs = raw_findings(case, tmp_path, chunk_bytes=2000)  # the header's chunk is read
    label = ("office_actions", None, "uspc_class", "incorrect-label")
    pattern = ("office_actions", 4, "app_id", "constraint-error")
    assert ours == {("office_actions", last, None, "encoding-error"), label, pattern}
    assert label not in theirs  # encoding-error-stops-table
    assert ("citations", None, "app_id", "incorrect-label") in theirs  # columns-by-name
    assert ("office_actions", None, None, "encoding-error") in theirs  # encoding-error-row
    assert ("rejections", None, None, "encoding-error") in theirs  # keys-into-unreadable
    case.byte_edits.clear()
    (tmp_path / "again").mkdir()
    ours, theirs = raw_findings(case, tmp_path / "again")
    assert pattern in ours - theirs  # pattern-newline


def test_the_reference_names_exactly_the_mapped_differences() -> None:
    """docs/reference.md names each difference the comparison maps, and no other."""
    text = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")
    section = text.split("## Differences from frictionless-py", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\d+\. \*\*[^*]+\*\*\s+\(`([a-z-]+)`\)", section, re.MULTILINE))
    assert named == set(DIFFERENCES)
