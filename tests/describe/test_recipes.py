"""The card's code is tested: every fenced block of a built card runs from inside the release
(or is skipped, saying why), and each recipe for 101 rejections per mail year gives the
numbers pyarrow counts from the Parquet; the Hub form names the repository and is not run."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from ptoffact_build.describe.usage import QUESTION, card_for_repo
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import build_release

REPO = "OWNER/NAME"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
NOT_CODE = {
    "bibtex": "a citation, not code",
    "yaml": "a CI job: tests/publish/test_verify_hub.py runs it against the imitation Hub",
}


def code_blocks(card: str) -> list[tuple[str, str]]:
    """Every fenced block of a card, as (language, text)."""
    return [(m[1], m[2]) for m in FENCE.finditer(card)]


def sample_card() -> str:
    """The card of a release built from the sample (built here, at collection, so each of
    its blocks is a test of its own)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "ptoffact"
        build_release(resolve_sources(["sample"]), out)
        return (out / "README.md").read_text(encoding="utf-8")


CARD = sample_card()
BLOCKS = code_blocks(CARD)


def block_id(block: tuple[str, str]) -> str:
    language, text = block
    return f"{language}:{text.splitlines()[0][:50]}"


def expected_per_year(release: Path) -> dict[int, int]:
    """Office actions with a 101 rejection per mail year, counted with pyarrow alone."""
    table = pq.read_table(release / "data" / "office_actions")
    flagged = table.filter(pc.field("rejection_101"))
    return dict(Counter(pc.year(flagged["mail_dt"]).to_pylist()))


def as_year_counts(answer: object) -> dict[int, int]:
    """A recipe's answer (a Counter, a pandas Series, a Polars frame, Spark rows or SQL
    rows) as {year: count}."""
    if hasattr(answer, "columns") and hasattr(answer, "rows"):  # a Polars DataFrame
        answer = answer.rows()
    elif hasattr(answer, "items"):  # a Counter or a pandas Series
        answer = list(answer.items())
    return {int(year): int(count) for year, count in answer}  # type: ignore[attr-defined]


def missing_modules(code: str) -> list[str]:
    """The top-level modules a Python block imports that are not installed."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return sorted(n for n in names if importlib.util.find_spec(n) is None)


def skip_reason(language: str, code: str) -> str | None:
    """Why a block cannot run here, or None when it can."""
    if language in NOT_CODE:
        return NOT_CODE[language]
    if language == "sql":
        missing = [] if importlib.util.find_spec("duckdb") else ["duckdb"]
    elif language == "python":
        missing = missing_modules(code)
    else:
        return f"no runner for {language or 'unlabelled'} blocks"
    if missing:
        return f"{', '.join(missing)} not installed, so this {language} block is not run"
    if "pyspark" in code and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java (none on PATH, no JAVA_HOME), which Spark needs"
    return None


def run_block(language: str, code: str) -> object:
    """Run a block in the current folder; its answer: SQL rows, or Python's ``per_year``."""
    if language == "sql":
        import duckdb

        return duckdb.sql(code).fetchall()
    namespace: dict[str, object] = {"__name__": "__card__"}
    try:
        exec(compile(code, "<card block>", "exec"), namespace)
    finally:
        session = namespace.get("spark")
        if session is not None and hasattr(session, "stop"):
            session.stop()  # the JVM a Spark recipe started is not left running
    return namespace.get("per_year")


@pytest.fixture
def release_here(sample_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the sample release as the current folder (recipes must not write into the
    shared one)."""
    here = tmp_path / "release"
    shutil.copytree(sample_release, here)
    monkeypatch.chdir(here)
    return here


def test_the_blocks_are_those_of_the_sample_release(sample_release: Path) -> None:
    card = (sample_release / "README.md").read_text(encoding="utf-8")
    assert code_blocks(card) == BLOCKS


def test_the_question_is_answered_in_every_tool() -> None:
    recipes = [text for _, text in BLOCKS if QUESTION in text]
    tools = {
        "datasets": 'datasets.load_dataset(os.getcwd(), "office_actions"',
        "duckdb": "FROM 'data/office_actions/*.parquet'",
        "polars": 'pl.scan_parquet("data/office_actions/*.parquet")',
        "pandas": 'dtype_backend="pyarrow"',
        "spark": 'spark.read.parquet("data/office_actions")',
        "csv": 'pd.read_csv("csv/office_actions.csv.gz", dtype=str)',
        "frictionless": 'Package("datapackage.json")',
    }
    for tool, call in tools.items():
        assert sum(call in text for text in recipes) == 1, tool
    assert "`001000` into `1000`" in CARD


@pytest.mark.parametrize("block", BLOCKS, ids=block_id)
def test_every_card_block_runs_from_the_release(block: tuple[str, str], release_here: Path) -> None:
    language, code = block
    reason = skip_reason(language, code)
    if reason:
        pytest.skip(reason)
    answer = run_block(language, code)
    if QUESTION in code:
        assert as_year_counts(answer) == expected_per_year(release_here)
        assert sum(as_year_counts(answer).values()) > 0


def hub_blocks() -> list[tuple[str, str]]:
    card = card_for_repo(CARD, REPO)
    assert card is not None
    section = card.split("<!-- ptoffact:loading begin")[1].split("<!-- ptoffact:loading end")[0]
    return code_blocks(section)


def test_the_hub_form_names_the_repository_and_no_local_path() -> None:
    blocks = hub_blocks()
    recipes = [text for _, text in blocks if QUESTION in text]
    assert len(recipes) == len([t for _, t in BLOCKS if QUESTION in t])
    for language, text in blocks:
        assert f"hf://datasets/{REPO}" in text or f'"{REPO}"' in text, text
        if language == "python":
            ast.parse(text)  # not run (no network), but it is Python
        assert not re.search(r"(\(|FROM )[\"']data/", text) and "os.getcwd()" not in text
    paths = [t for _, t in blocks if "hf://" in t]
    assert all(set(re.findall(r"hf://datasets/([\w.-]+/[\w.-]+)", t)) == {REPO} for t in paths)
    hub = f"hf://datasets/{REPO}/"
    readers = [f"FROM '{hub}", f'pl.scan_parquet("{hub}', f'"{hub}data/office_actions",']
    for reader in [*readers, f'pd.read_csv("{hub}csv/', f'"{REPO}", repo_type="dataset"']:
        assert sum(reader in t for t in recipes) >= 1, reader
