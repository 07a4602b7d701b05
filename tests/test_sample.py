"""The embedded sample: fresh, in the distribution's format, valid, and covering every quirk."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

import frictionless
import pytest

from ptoffact_build.devtools import make_sample
from ptoffact_build.devtools.make_sample import SAMPLE_DIR, write_sample, write_tables

TABLES = ("office_actions", "rejections", "citations")
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"
IFW_15 = re.compile(r"[A-Z0-9]{15}")
IFW_9 = re.compile(r"[0-9]{9}")
FLAGS_OA = (
    "header_missing",
    "fp_missing",
    "rejection_fp_mismatch",
    "closing_missing",
    "rejection_101",
    "rejection_102",
    "rejection_103",
    "rejection_112",
    "rejection_dp",
    "objection",
    "allowed_claims",
    "cite102_gt1",
    "cite103_gt3",
    "cite103_eq1",
)
CASE_LAW = ("alice_in", "bilski_in", "mayo_in", "myriad_in")

Rows = list[dict[str, str]]


def zip_path(folder: Path, table: str) -> Path:
    return folder / f"{table}.csv.zip"


def raw_csv(folder: Path, table: str) -> bytes:
    """The bytes of the single CSV member of a table's zip."""
    with zipfile.ZipFile(zip_path(folder, table)) as zf:
        return zf.read(f"{table}.csv")


def parse(data: bytes) -> Rows:
    """CSV bytes to rows of text, as any RFC 4180 reader sees them."""
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def schema(table: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{table}.json").read_text(encoding="utf-8"))


def package(folder: Path) -> frictionless.Package:
    """The three zips as a Frictionless data package (foreign keys between resources)."""
    resources = [
        {
            "name": table,
            "path": f"{table}.csv.zip",
            "compression": "zip",
            "innerpath": f"{table}.csv",
            "encoding": "utf-8",
            "format": "csv",
            "schema": schema(table),
        }
        for table in TABLES
    ]
    return frictionless.Package({"name": "sample", "resources": resources}, basepath=str(folder))


@pytest.fixture(scope="module")
def tables() -> dict[str, Rows]:
    return {t: parse(raw_csv(SAMPLE_DIR, t)) for t in TABLES}


@pytest.fixture(scope="module")
def oa(tables) -> Rows:
    return tables["office_actions"]


@pytest.fixture(scope="module")
def rej(tables) -> Rows:
    return tables["rejections"]


@pytest.fixture(scope="module")
def cit(tables) -> Rows:
    return tables["citations"]


def values(rows: Rows, column: str) -> set[str]:
    return {r[column] for r in rows}


# --- files -------------------------------------------------------------------------------


def test_committed_sample_is_fresh(tmp_path):
    paths = write_sample(tmp_path)
    assert sorted(paths) == sorted(TABLES)
    for table, path in paths.items():
        assert path == zip_path(tmp_path, table)
        assert path.read_bytes() == zip_path(SAMPLE_DIR, table).read_bytes(), (
            f"{table}: committed sample is stale; run python -m ptoffact_build.devtools.make_sample"
        )


def test_generation_is_deterministic_and_seeded(tmp_path):
    first = write_sample(tmp_path / "a", seed=7)
    again = write_sample(tmp_path / "b", seed=7)
    other = write_sample(tmp_path / "c", seed=8)
    for table in TABLES:
        assert first[table].read_bytes() == again[table].read_bytes()
        assert first[table].read_bytes() != other[table].read_bytes()


@pytest.mark.parametrize("table", TABLES)
def test_zip_holds_one_member(table):
    with zipfile.ZipFile(zip_path(SAMPLE_DIR, table)) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [f"{table}.csv"]
        assert infos[0].compress_type == zipfile.ZIP_DEFLATED
        assert zf.testzip() is None


def test_total_size_under_1_mb():
    assert sum(zip_path(SAMPLE_DIR, t).stat().st_size for t in TABLES) < 1_000_000


@pytest.mark.parametrize("table", TABLES)
def test_csv_format(table):
    data = raw_csv(SAMPLE_DIR, table)
    assert not data.startswith(b"\xef\xbb\xbf"), "no BOM"
    assert b"\r" not in data, "LF line endings"
    assert data.endswith(b"\n")
    header = data.split(b"\n", 1)[0].decode("utf-8")
    assert header == ",".join(f["name"] for f in schema(table)["fields"])


@pytest.mark.parametrize("table", TABLES)
def test_quoting_is_minimal(table):
    """Re-writing the parsed rows with minimal quoting gives back the file's exact text."""
    data = raw_csv(SAMPLE_DIR, table).decode("utf-8")
    rows = list(csv.reader(io.StringIO(data, newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    assert out.getvalue() == data


def test_about_1000_office_actions(oa):
    assert len(oa) == make_sample.N_ACTIONS == 1000


# --- validity ----------------------------------------------------------------------------


def test_frictionless_validates_the_package(tables):
    report = package(SAMPLE_DIR).validate()
    errors = [e.message for task in report.tasks for e in task.errors]
    assert report.valid, errors[:10]
    assert [task.stats["rows"] for task in report.tasks] == [len(tables[t]) for t in TABLES]


def test_frictionless_validation_can_fail(tmp_path, tables):
    """The same package check reports a foreign-key and a constraint error when planted."""
    broken = {t: [dict(r) for r in rows] for t, rows in tables.items()}
    broken["rejections"][0]["ifw_number"] = "000000000"
    broken["office_actions"][0]["document_cd"] = "CTXX"
    write_tables(tmp_path, broken)
    report = package(tmp_path).validate()
    types = Counter(e.type for task in report.tasks for e in task.errors)
    assert types == {"foreign-key": 1, "constraint-error": 1}


def test_every_citation_ifw_number_is_an_office_action(oa, cit):
    ifws = values(oa, "ifw_number")
    assert {r["ifw_number"] for r in cit if r["ifw_number"]} <= ifws


def test_rejections_belong_to_their_action_application(oa, rej):
    app_of = {r["ifw_number"]: r["app_id"] for r in oa}
    assert all(app_of[r["ifw_number"]] == r["app_id"] for r in rej)


# --- value forms -------------------------------------------------------------------------


def test_office_action_identifiers(oa):
    ifws = [r["ifw_number"] for r in oa]
    assert len(set(ifws)) == len(ifws)
    assert any(IFW_15.fullmatch(i) and not i.isdigit() for i in ifws)
    assert any(IFW_9.fullmatch(i) for i in ifws)
    assert all(IFW_15.fullmatch(i) or IFW_9.fullmatch(i) for i in ifws)
    app_ids = values(oa, "app_id")
    assert all(len(a) == 8 and a.isdigit() for a in app_ids)
    assert min(app_ids) == "12000000" and max(app_ids) == "15378270"


def test_office_action_codes(oa):
    docs = Counter(r["document_cd"] for r in oa)
    assert set(docs) == {"CTNF", "CTFR"}
    assert 0.6 < docs["CTNF"] / len(oa) < 0.75
    assert any(not a.isdigit() for a in values(oa, "art_unit"))
    assert all(len(a) == 4 for a in values(oa, "art_unit"))
    assert {"000", "424", "705"} <= values(oa, "uspc_class")
    assert {"001000", "026100"} <= values(oa, "uspc_subclass")
    assert all(len(s) == 6 and s.isdigit() for s in values(oa, "uspc_subclass"))


def test_office_action_numbers(oa):
    for column in FLAGS_OA:
        assert values(oa, column) == {"0", "1"}, column
    maxima = {int(v) for v in values(oa, "cite103_max")}
    assert min(maxima) == 0 and max(maxima) == 60
    assert values(oa, "signature_type") == {"0", "1", "2", "3", "4"}


def test_office_action_flags_match_rejections(oa, rej):
    types_of: dict[str, set[str]] = {}
    for r in rej:
        types_of.setdefault(r["ifw_number"], set()).add(r["action_type"])
    for row in oa:
        types = types_of.get(row["ifw_number"], set())
        assert (row["rejection_103"] == "1") == ("103" in types)
        assert (row["rejection_dp"] == "1") == ("nonstatutory double patenting" in types)


def test_mail_dates(oa):
    dates = sorted(values(oa, "mail_dt"))
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert dates[0] == "2001-01-01" and dates[-1] == "2017-07-11"


def test_rejection_forms(rej):
    assert {
        "101",
        "102",
        "103",
        "112",
        "nonstatutory double patenting",
        "objected",
        "cancelled",
        "allowed",
    } <= values(rej, "action_type")
    subtypes = values(rej, "action_subtype")
    assert {"a", "b", "d", "f", ""} <= subtypes
    assert any(len(s) > 1 for s in subtypes), "a keyword subtype"
    assert not any("(" in s for s in subtypes), "bare letters, not 103(a)"
    claims = values(rej, "claim_numbers")
    assert "6,7,8,11,12,13" in claims and "" in claims
    assert all(re.fullmatch(r"(\d+(,\d+)*)?", c) for c in claims)
    for column in CASE_LAW:
        assert values(rej, column) == {"0", "1"}, column


def test_claim_list_is_quoted_in_the_file():
    data = raw_csv(SAMPLE_DIR, "rejections").decode("utf-8")
    assert ',"6,7,8,11,12,13",' in data


def test_citation_forms(cit):
    ids = values(cit, "citation_pat_pgpub_id")
    assert {"JP 2004-159476", "WO 2012136906", "Lee (US 2009/0139986)"} <= ids
    assert any(i.isdigit() for i in ids)
    tricky = [i for i in ids if "," in i and '"' in i and not i.isascii()]
    assert any(i.startswith('Müller et al., "Über') for i in tricky)
    lengths = Counter(len(p) for p in (r["parsed"] for r in cit) if p)
    assert lengths[7] and lengths[11]
    assert set(lengths) - {7, 11}, "a few other lengths"
    assert all(p.isdigit() for p in values(cit, "parsed") - {""})
    assert values(cit, "action_type") == {"", "102", "103"}


def test_citation_with_comma_quote_and_non_ascii_is_quoted_in_the_file():
    data = raw_csv(SAMPLE_DIR, "citations").decode("utf-8")
    assert ',"Müller et al., ""Über' in data


def test_citation_shares(cit):
    empty_type = sum(r["action_type"] == "" for r in cit) / len(cit)
    assert 0.75 < empty_type < 0.83
    assert all((r["ifw_number"] == "") == (r["action_type"] == "") for r in cit)
    for column in ("form892", "form1449", "citation_in_oa"):
        assert values(cit, column) == {"0", "1"}, column


# --- quirks ------------------------------------------------------------------------------


def test_same_day_duplicates(oa):
    per_day = Counter((r["app_id"], r["mail_dt"]) for r in oa)
    apps = {app for (app, _), n in per_day.items() if n > 1}
    assert len(apps) == make_sample.N_SAME_DAY_DUPLICATES


def test_pre_2008_dates(oa):
    early = [r["mail_dt"] for r in oa if r["mail_dt"] < "2008-01-01"]
    assert len(early) == make_sample.N_PRE_2008
    assert min(early) == "2001-01-01"


def test_colliding_rejection_triples(rej):
    triples = Counter((r["ifw_number"], r["action_type"], r["action_subtype"]) for r in rej)
    extra = sum(n - 1 for n in triples.values())
    assert extra == make_sample.N_COLLIDING_TRIPLES


def test_citation_app_ids_absent_from_office_actions(oa, cit):
    orphans = values(cit, "app_id") - values(oa, "app_id")
    assert len(orphans) == make_sample.N_ORPHAN_APPS
    rows = sum(r["app_id"] in orphans for r in cit)
    assert rows == make_sample.N_ORPHAN_APPS * make_sample.ORPHAN_ROWS_PER_APP
    assert 0.003 < rows / len(cit) < 0.01


def test_repeated_citation_pairs(cit):
    pairs = Counter((r["app_id"], r["citation_pat_pgpub_id"]) for r in cit)
    assert sum(n - 1 for n in pairs.values()) == make_sample.N_REPEATED_PAIRS


def test_summary_on_stderr(tmp_path, capsys, oa):
    assert make_sample.main(["--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert re.search(r"same_day_duplicate_apps: 10\b", err)
    assert re.search(rf"office_actions: {len(oa)}\b", err)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv.zip" for t in TABLES)
