"""The BigQuery road, as README gives it: shards named as its `bq extract` commands name
them (gzip CSV, a header in each, rows in no order, a table split over several shards) build
the same rows as the sample zips."""

from __future__ import annotations

import csv
import gzip
import io
import random
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from helpers import REPO, sample_rows
from ptoffact_build.schema import TABLES

DATASET = "patents-public-data:uspto_oce_office_actions"


def readme_bigquery_commands() -> list[list[str]]:
    """The shell commands of README's BigQuery road, as words, variables expanded."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The BigQuery copy", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```bash\n(.+?)\n```", section, re.S)
    assert block, "README's BigQuery section has no bash block"
    variables: dict[str, str] = {}
    commands = []
    for line in block[1].splitlines():
        if match := re.fullmatch(r"(\w+)=(\S+)", line):
            variables[match[1]] = match[2]
            continue
        for name, value in variables.items():
            line = line.replace(f"${name}", value)
        commands.append(shlex.split(line))
    return commands


def shard_names(commands: list[list[str]]) -> dict[str, str]:
    """Per table, the file-name pattern its `bq extract` command gives (`*` for the number)."""
    patterns = {}
    for words in commands:
        if words[:2] == ["bq", "extract"]:
            assert "--destination_format=CSV" in words and "--compression=GZIP" in words
            table_ref, destination = words[-2:]
            dataset, table = table_ref.rsplit(".", 1)
            assert dataset == DATASET and destination.startswith("gs://")
            patterns[table] = destination.rsplit("/", 1)[1]
    assert sorted(patterns) == sorted(TABLES)
    return patterns


def csv_text(rows: list[list[str]]) -> bytes:
    """Rows as BigQuery writes CSV: comma, minimal quoting, LF."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def export(folder: Path, table: str, pattern: str, shards: int, rng: random.Random) -> None:
    """The sample's table as ``shards`` gzip shards named as `bq extract` names them, rows
    shuffled over shards of uneven sizes; the last shard holds only the header."""
    header, *rows = sample_rows(table)
    rng.shuffle(rows)
    cuts = sorted(rng.sample(range(1, len(rows)), shards - 2))
    parts = [rows[a:b] for a, b in zip([0, *cuts], [*cuts, len(rows)], strict=True)]
    for number, part in enumerate([*parts, []]):
        name = pattern.replace("*", f"{number:012d}")
        (folder / name).write_bytes(gzip.compress(csv_text([header, *part])))


def rows_of(release: Path, table: str) -> Counter:
    """The table's Parquet rows, as a multiset."""
    data = pq.read_table(release / "data" / table)
    return Counter(tuple(row.values()) for row in data.to_pylist())


def test_readme_shards_build_the_same_rows_as_the_zips(tmp_path: Path, sample_release) -> None:
    commands = readme_bigquery_commands()
    copy = next(w for w in commands if w[:3] == ["gcloud", "storage", "cp"])
    build = next(w for w in commands if w[:2] == ["ptoffact", "build"])
    folder = tmp_path / copy[-1]  # where `gcloud storage cp` puts the shards, flat
    folder.mkdir(parents=True)
    rng = random.Random(19)
    for table, pattern in shard_names(commands).items():
        export(folder, table, pattern, shards=4, rng=rng)
    assert Path(build[build.index("--source") + 1]) == Path(copy[-1])  # builds what it copied
    done = subprocess.run(
        [sys.executable, "-m", "ptoffact_build.cli", *build[1:], "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    release = tmp_path / build[build.index("--out") + 1]
    for table in TABLES:
        assert len(list(folder.glob(f"{table}-*.csv.gz"))) == 4
        assert rows_of(release, table) == rows_of(sample_release, table), table
