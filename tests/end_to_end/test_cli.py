"""The command line: exit codes, one-line errors, reports, progress."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import exact, sample_rows, typed_sample_records, write_rows
from ptoffact_build.cli import main
from ptoffact_build.schema import TABLES


def counts(**changed: int) -> str:
    """``office_actions 1,000, rejections 2,449, citations 10,629`` (the sample's rows)."""
    rows = {t: changed.get(t, len(sample_rows(t)) - 1) for t in TABLES}
    return ", ".join(f"{t} {n:,}" for t, n in rows.items())


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ptoffact_build.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)


def referring(table: str, ifw_number: str) -> int:
    """How many of the sample's rows of ``table`` belong to Office action ``ifw_number``."""
    header, *rows = sample_rows(table)
    column = header.index("ifw_number")
    return sum(row[column] == ifw_number for row in rows)


def corrupt_date(files: dict[str, Path]) -> None:
    rows = sample_rows("office_actions")
    rows[9][3] = "31/12/2016"
    write_rows(files["office_actions"], rows)


def test_build_and_validate_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    done = run_cli("build", "--source", "sample", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "office_actions" in done.stderr and "rows/s" in done.stderr
    assert done.stdout == f"release written to {out} ({counts()})\n"
    assert (out / "datapackage.json").is_file()
    report = tmp_path / "report.json"
    done = run_cli("validate", "--source", "sample", "--report", str(report))
    assert done.returncode == 0
    assert done.stdout == f"valid: {counts()}\n"
    assert json.loads(report.read_text())["valid"] is True


def test_build_and_validate_report_invalid_data_the_same_way(tmp_path: Path, sample_csvs) -> None:
    """One line each, the same findings and report; build adds only that no release was written."""
    corrupt_date(sample_csvs)
    source = str(sample_csvs["office_actions"].parent)
    checked = run_cli(
        "validate", "--quiet", "--source", source, "--report", str(tmp_path / "v.json")
    )
    out, report = str(tmp_path / "rel"), str(tmp_path / "b.json")
    built = run_cli("build", "--quiet", "--source", source, "--out", out, "--report", report)
    assert checked.returncode == built.returncode == 1
    first = (
        "ptoffact: error: 1 validation error(s); first: office_actions.csv, row 10, column mail_dt"
    )
    assert checked.stderr.startswith(first) and built.stderr.startswith(first)
    assert checked.stderr.strip().endswith(f"; report: {tmp_path / 'v.json'}")
    assert built.stderr.strip().endswith(f"; no release written; report: {tmp_path / 'b.json'}")
    assert checked.stderr.count("\n") == 1 and built.stderr.count("\n") == 1
    reports = [json.loads((tmp_path / n).read_text())["tables"] for n in ("v.json", "b.json")]
    assert reports[0]["office_actions"]["errors"] == reports[1]["office_actions"]["errors"]
    assert not (tmp_path / "rel").exists()


def test_invalid_data_exits_1_with_one_line(tmp_path: Path, sample_csvs) -> None:
    corrupt_date(sample_csvs)
    report = tmp_path / "report.json"
    done = run_cli(
        "validate", "--source", str(sample_csvs["office_actions"].parent), "--report", str(report)
    )
    assert done.returncode == 1 and done.stdout == ""
    assert "1 validation error(s); first: " in done.stderr
    assert "office_actions.csv, row 10, column mail_dt: type-error" in done.stderr
    assert "Traceback" not in done.stderr
    found = json.loads(report.read_text())["tables"]["office_actions"]["errors"]
    assert found["type-error"]["examples"][0]["row"] == 10
    out = tmp_path / "rel"
    done = run_cli(
        "build", "--source", str(sample_csvs["office_actions"].parent), "--out", str(out)
    )
    assert done.returncode == 1 and not out.exists()
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("ptoffact: error")]
    assert len(error_lines) == 1 and "row 10" in error_lines[0]


def test_quarantine_exits_0(tmp_path: Path, sample_csvs) -> None:
    corrupt_date(sample_csvs)
    out = tmp_path / "rel"
    done = run_cli(
        "build",
        "--source",
        *map(str, sample_csvs.values()),
        "--out",
        str(out),
        "--on-error",
        "quarantine",
    )
    assert done.returncode == 0, done.stderr
    bad_action = sample_rows("office_actions")[9][1]
    orphans = referring("rejections", bad_action)  # rejections must refer to an action we keep
    assert orphans > 0
    kept = len(sample_rows("rejections")) - 1 - orphans
    summary = f"({counts(office_actions=999, rejections=kept)}; {1 + orphans} rows quarantined)"
    assert done.stdout == f"release written to {out} {summary}\n"
    lines = (out / "quarantine" / "office_actions.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "31/12/2016" in lines[1]


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["build", "--source", "/nonexistent/office_actions.csv.zip"], 3, "no such file"),
        (["build", "--on-error", "skip"], 2, "invalid choice"),
        (["validate", "--source", "sample", "odp"], 2, "cannot be combined"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_exit_codes(args: list[str], code: int, words: str, tmp_path: Path) -> None:
    done = run_cli(*args, "--out", str(tmp_path / "o")) if args[0] == "build" else run_cli(*args)
    assert done.returncode == code
    assert words in done.stderr
    assert "Traceback" not in done.stderr


def test_not_a_zip_exits_3(tmp_path: Path, sample_csvs) -> None:
    fake = tmp_path / "rejections.csv.zip"
    fake.write_text("<html>challenge</html>")
    files = [sample_csvs["office_actions"], fake, sample_csvs["citations"]]
    assert main(["validate", "--quiet", "--source", *map(str, files)]) == 3


def test_a_table_given_twice_exits_2_before_any_work(tmp_path: Path) -> None:
    """The three zips with rejections.csv unzipped beside them: refused, naming both files,
    with nothing written (no release, no report, no scratch folder)."""
    import shutil
    import zipfile

    from ptoffact_build.read.sources import sample_dir

    source = tmp_path / "downloads"
    source.mkdir()
    for table in TABLES:
        shutil.copy(sample_dir() / f"{table}.csv.zip", source)
    with zipfile.ZipFile(source / "rejections.csv.zip") as archive:
        archive.extract("rejections.csv", source)
    out = tmp_path / "out" / "rel"
    built = run_cli("build", "--source", str(source), "--out", str(out))
    checked = run_cli("validate", "--source", str(source), "--report", str(tmp_path / "v.json"))
    for done in (built, checked):
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert str(source / "rejections.csv.zip") in done.stderr
        assert str(source / "rejections.csv") in done.stderr
        assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["downloads"]


def test_generated_files_are_fresh() -> None:
    assert main(["regenerate-files", "--check"]) == 0


def test_the_former_name_generate_still_runs_with_a_note(capsys) -> None:
    assert main(["generate", "--check"]) == 0
    assert "`generate` is now called `regenerate-files`" in capsys.readouterr().err
    done = run_cli("--help")
    assert "regenerate-files" in done.stdout and "generate," not in done.stdout


def test_load_prints_each_table(sample_release: Path, capsys) -> None:
    assert main(["load", str(sample_release)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == list(TABLES)
    for table, line in zip(TABLES, lines, strict=True):
        rows, first = line.removeprefix(f"{table}: ").split("; first row: ")
        assert rows == f"{len(sample_rows(table)) - 1:,} rows"
        records = typed_sample_records(table)
        smallest = min((r["app_id"], r["ifw_number"] or "") for r in records)
        candidates = [r for r in records if (r["app_id"], r["ifw_number"] or "") == smallest]
        as_printed = [json.loads(json.dumps(r, default=str)) for r in candidates]
        assert exact(json.loads(first)) in map(exact, as_printed), first


def test_load_of_a_missing_release_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["load", str(tmp_path / "nothing")]) == 2
