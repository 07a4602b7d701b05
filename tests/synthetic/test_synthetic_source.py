"""The synthetic source (ptoffact_build.synthetic) is valid, consistent and reproducible."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from ptoffact_build.schema import TABLES
from ptoffact_build.synthetic import REAL_APPS, REAL_ROWS, write_source

ROOT = Path(__file__).resolve().parents[2]
SCALE = 0.0005


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    write_source(out, SCALE, seed=7)
    return out


def read_member(path: Path) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(zf.namelist()[0])


def read_table(source: Path, table: str) -> pa.Table:
    """One table with every column as text (empty fields as nulls)."""
    data = read_member(source / f"{table}.csv.zip")
    names = data[: data.index(b"\n")].decode().split(",")
    options = pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True
    )
    return pacsv.read_csv(io.BytesIO(data), convert_options=options)


def test_one_member_per_zip_and_schema_header(source: Path) -> None:
    for table in TABLES:
        with zipfile.ZipFile(source / f"{table}.csv.zip") as zf:
            assert zf.namelist() == [f"{table}.csv"]
        header = read_member(source / f"{table}.csv.zip").split(b"\n", 1)[0].decode()
        fields = json.loads((ROOT / "schema" / f"{table}.json").read_text())["fields"]
        assert header.split(",") == [f["name"] for f in fields]


def test_row_counts_follow_the_scale(source: Path) -> None:
    for table, real in REAL_ROWS.items():
        assert read_table(source, table).num_rows == round(real * SCALE)
    apps = set(read_table(source, "office_actions")["app_id"].to_pylist())
    assert len(apps) == round(REAL_APPS * SCALE)


def test_keys_are_consistent(source: Path) -> None:
    actions = read_table(source, "office_actions")["ifw_number"].to_pylist()
    assert len(set(actions)) == len(actions)
    rejections = read_table(source, "rejections")["ifw_number"].to_pylist()
    assert set(rejections) <= set(actions)
    citations = read_table(source, "citations")
    cited = {v for v in citations["ifw_number"].to_pylist() if v is not None}
    assert cited and cited <= set(actions)
    orphans = set(citations["app_id"].to_pylist()) - set(
        read_table(source, "office_actions")["app_id"].to_pylist()
    )
    assert orphans  # about 0.54% of citations rows name an application without actions


def test_quoting_only_where_needed(source: Path) -> None:
    text = read_member(source / "citations.csv.zip").decode("utf-8")
    assert '"' in text  # some citation text holds commas or quotes
    assert ',"",' not in text  # missing values are empty, not quoted
    first_row = text.split("\n")[1]
    assert not first_row.startswith('"')


def test_deterministic(source: Path, tmp_path: Path) -> None:
    write_source(tmp_path, SCALE, seed=7)
    for table in TABLES:
        name = f"{table}.csv.zip"
        assert (tmp_path / name).read_bytes() == (source / name).read_bytes()


def package_descriptor() -> dict:
    """A data package over the three zips, with the schemas and foreign keys."""
    resources = []
    for table in TABLES:
        schema = json.loads((ROOT / "schema" / f"{table}.json").read_text())
        schema.pop("$schema", None)
        if table == "citations":  # non-empty ifw_numbers must be office actions too
            schema = copy.deepcopy(schema)
            schema["foreignKeys"] = [
                {
                    "fields": ["ifw_number"],
                    "reference": {"resource": "office_actions", "fields": ["ifw_number"]},
                }
            ]
        resources.append(
            {
                "name": table,
                "path": f"{table}.csv.zip",
                "compression": "zip",
                "innerpath": f"{table}.csv",
                "format": "csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {"name": "synthetic-ptoffact", "resources": resources}


def frictionless_errors(source: Path) -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """Errors (first 10) and row counts of a frictionless validation of the package."""
    frictionless = pytest.importorskip("frictionless")
    package = frictionless.Package(package_descriptor(), basepath=str(source))
    report = package.validate()
    errors = [(task.name, e.type, e.note) for task in report.tasks for e in task.errors]
    assert report.valid == (not errors)
    return errors[:10], {task.name: task.stats["rows"] for task in report.tasks}


def test_frictionless_finds_no_error(source: Path) -> None:
    errors, rows = frictionless_errors(source)
    assert errors == []
    assert rows == {t: round(n * SCALE) for t, n in REAL_ROWS.items()}


@pytest.mark.parametrize(("scale", "seed", "crlf"), [(1e-6, 1, False), (3e-5, 2, True)])
def test_tiny_scales_and_crlf_stay_valid(
    tmp_path: Path, scale: float, seed: int, crlf: bool
) -> None:
    stats = write_source(tmp_path, scale, seed=seed, crlf=crlf)
    errors, rows = frictionless_errors(tmp_path)
    assert errors == []
    assert rows == {t: s.rows for t, s in stats.items()}
    assert (b"\r\n" in read_member(tmp_path / "rejections.csv.zip")) == crlf
