"""The card's "Loading" section: examples for a release folder, or for a Hub repository.

A build without a repository writes examples that run from inside the release folder
(relative paths, never the folder's own path). ``build --repo OWNER/NAME`` writes the Hub's
examples; ``publish --repo OWNER/NAME`` swaps the section between its markers for that
repository's in the README it uploads, leaving the local file as it is.

Both forms end with the same question, 101 rejections per mail year, answered in each tool
(:func:`recipes`); the tests run every local block against a built release.
"""

from __future__ import annotations

import re

from ptoffact_build.describe.datapackage import PROJECT_URL

BEGIN = "<!-- ptoffact:loading begin (ptoffact publish rewrites this section) -->"
END = "<!-- ptoffact:loading end -->"
SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)

# Closes either set of examples: the release's Croissant metadata.
CROISSANT_NOTE = """\
`croissant.json` describes the tables, their keys and the data's collection and limits in
Croissant, MLCommons' metadata for ML datasets: `mlcroissant validate --jsonld croissant.json`
checks it."""

FOLDER_EXAMPLES = """\
From inside the release folder (`cd path/to/release` first; that path is a placeholder for
wherever this folder is):

```python
import os

import datasets

rejections = datasets.load_dataset(os.getcwd(), "rejections", split="train")
```

```sql
-- DuckDB
SELECT action_type, count(*) FROM 'data/rejections/*.parquet' GROUP BY 1 ORDER BY 2 DESC;
```

```python
import polars as pl
actions = pl.scan_parquet("data/office_actions/*.parquet")
```

The gzip CSV copies in `csv/` and `datapackage.json` serve Frictionless users:
`frictionless validate datapackage.json` checks every row, byte count and hash."""

HUB_EXAMPLES = """\
```python
import datasets
rejections = datasets.load_dataset("{repo}", "rejections", split="train")
# or read it as it downloads:
citations = datasets.load_dataset("{repo}", "citations", split="train", streaming=True)
```

```sql
-- DuckDB
SELECT action_type, count(*)
FROM 'hf://datasets/{repo}/data/rejections/*.parquet' GROUP BY 1 ORDER BY 2 DESC;
```

```python
import polars as pl
actions = pl.scan_parquet("hf://datasets/{repo}/data/office_actions/*.parquet")
```

Each published release is tagged with its version: pass `revision="<tag>"` to
`load_dataset` to pin one. The gzip CSV copies in `csv/` and `datapackage.json` serve
Frictionless users: download the repository
(`hf download {repo} --repo-type dataset --local-dir ptoffact`), then
`frictionless validate datapackage.json` inside it checks every row, byte count and hash."""


QUESTION = "101 rejections per mail year"

RECIPES = """\
### One question in every tool: {question}

Each recipe counts the Office actions with `rejection_101` true by the year of `mail_dt`;
they all give the same numbers.

```python
# {question}, with datasets
{imports}import datasets

actions = datasets.load_dataset({source}, "office_actions", split="train")
actions = actions.select_columns(["mail_dt", "rejection_101"])
per_year = collections.Counter(row["mail_dt"].year for row in actions if row["rejection_101"])
print(sorted(per_year.items()))
```

```sql
-- DuckDB: {question}
SELECT year(mail_dt) AS year, count(*) AS actions_with_101
FROM '{prefix}data/office_actions/*.parquet'
WHERE rejection_101
GROUP BY year ORDER BY year;
```

```python
# {question}, with Polars
import polars as pl

per_year = (
    pl.scan_parquet("{prefix}data/office_actions/*.parquet")
    .filter(pl.col("rejection_101"))
    .group_by(pl.col("mail_dt").dt.year().alias("year"))
    .agg(pl.len().alias("actions_with_101"))
    .sort("year")
    .collect()
)
print(per_year)
```

```python
# {question}, with pandas: the pyarrow backend keeps dates as dates and flags as booleans
import pandas as pd

actions = pd.read_parquet(
    "{prefix}data/office_actions",
    columns=["mail_dt", "rejection_101"],
    dtype_backend="pyarrow",
)
per_year = actions[actions["rejection_101"]].groupby(actions["mail_dt"].dt.year).size()
print(per_year)
```

{spark}

The gzip CSV copies in `csv/` hold the same rows as text. Read them with the types of
`datapackage.json` (Frictionless), or keep every column as text with `dtype=str`: a plain
`read_csv` guesses numbers and turns the subclass `001000` into `1000`, and an application
number such as `09123456` into `9123456`.

```python
# {question}, from the CSV copy read as text (flags are "1"/"0", dates "YYYY-MM-DD")
import pandas as pd

actions = pd.read_csv("{prefix}csv/office_actions.csv.gz", dtype=str)
flagged = actions[actions["rejection_101"] == "1"]
per_year = flagged.groupby(flagged["mail_dt"].str[:4].astype(int)).size()
print(per_year)
```

{frictionless}"""

# The Spark query both forms share; PATH is where the office_actions shards are.
SPARK_QUERY = """\
spark = SparkSession.builder.master("local[*]").getOrCreate()
actions = spark.read.parquet(PATH)
per_year = (
    actions.where(F.col("rejection_101"))
    .groupBy(F.year("mail_dt").alias("year"))
    .count()
    .orderBy("year")
    .collect()
)
print(per_year)
```"""

SPARK_FOLDER = """\
```python
# {question}, with Spark (pip install pyspark; it needs Java)
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

""" + SPARK_QUERY.replace("PATH", '"data/office_actions"')

SPARK_HUB = """\
```python
# {question}, with Spark (pip install pyspark; it needs Java): Spark reads no hf:// paths,
# so download the table first (from hf://datasets/{repo})
from huggingface_hub import snapshot_download
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

folder = snapshot_download(
    "{repo}", repo_type="dataset", allow_patterns=["data/office_actions/*"]
)
""" + SPARK_QUERY.replace("PATH", 'f"{{folder}}/data/office_actions"')

FRICTIONLESS_FOLDER = """\
```python
# {question}, from the CSV copy typed by datapackage.json (Frictionless)
import collections

from frictionless import Package

actions = Package("datapackage.json").get_resource("office_actions")
per_year = collections.Counter(
    row["mail_dt"].year for row in actions.read_rows() if row["rejection_101"]
)
print(sorted(per_year.items()))
```"""

FRICTIONLESS_HUB = """\
```python
# {question}, from the CSV copy typed by datapackage.json (Frictionless), downloaded
# from hf://datasets/{repo}
import collections

from frictionless import Package
from huggingface_hub import snapshot_download

folder = snapshot_download(
    "{repo}", repo_type="dataset", allow_patterns=["datapackage.json", "csv/*"]
)
actions = Package(f"{{folder}}/datapackage.json").get_resource("office_actions")
per_year = collections.Counter(
    row["mail_dt"].year for row in actions.read_rows() if row["rejection_101"]
)
print(sorted(per_year.items()))
```"""


def recipes(repo: str | None) -> str:
    """The question answered in each tool: reading the release folder from inside it, or
    the Hub repository ``repo``."""
    if repo:
        spark, frictionless = SPARK_HUB, FRICTIONLESS_HUB
        imports, source, prefix = "import collections\n\n", f'"{repo}"', f"hf://datasets/{repo}/"
    else:
        spark, frictionless = SPARK_FOLDER, FRICTIONLESS_FOLDER
        imports, source, prefix = "import collections\nimport os\n\n", "os.getcwd()", ""
    fill = {"question": QUESTION, "repo": repo}
    return RECIPES.format(
        question=QUESTION,
        imports=imports,
        source=source,
        prefix=prefix,
        spark=spark.format(**fill),
        frictionless=frictionless.format(**fill),
    )


PLACEHOLDER_REPO = "OWNER/NAME"
PLACEHOLDER_TAG = "TAG"

VERIFY_JOB = """\
```yaml
# .github/workflows/verify-ptoffact.yml: re-check a published release, every file and row
name: verify ptoffact release
on:
  workflow_dispatch:
  schedule:
    - cron: "0 6 * * 1"  # Mondays, 06:00 UTC
jobs:
  verify:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    env:
      REPOSITORY: "{repo}"
      TAG: "{tag}"  # the tag to check: each `ptoffact publish` tags its commit
      # HF_TOKEN: ${{{{ secrets.HF_TOKEN }}}}  # for a private repository only
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: python -m pip install "ptoffact @ git+{project}"
      - run: ptoffact verify --rows "$REPOSITORY@$TAG" --report report.json --findings findings.csv
      - if: failure()
        uses: actions/upload-artifact@v4
        with:
          name: ptoffact-verify
          path: |
            report.json
            findings.csv
```"""


def verify_job(repo: str | None) -> str:
    """A GitHub Actions job that downloads the release published to ``repo`` (a placeholder
    when there is none) at a tag and re-checks its files and rows (``verify --rows``)."""
    return VERIFY_JOB.format(
        repo=repo or PLACEHOLDER_REPO, tag=PLACEHOLDER_TAG, project=PROJECT_URL
    )


VERIFY_SECTION = """\
### Checking the release in CI

This GitHub Actions job downloads the release from {where} at the tag `TAG` (put the tag to
check there) and runs `ptoffact verify --rows` on it: every file against its recorded size and
sha256, every row of the CSV copies against the Table Schemas, and every Parquet row against
the CSV copies. It fails, keeping the report and the list of findings, when anything differs.

{job}"""


def verify_section(repo: str | None) -> str:
    """The card's words on re-checking the published release in CI, with the job."""
    where = f"`{repo}`" if repo else "`OWNER/NAME` (the repository it was published to)"
    return VERIFY_SECTION.format(where=where, job=verify_job(repo))


def loading_section(repo: str | None) -> str:
    """The whole section, between its markers: the Hub's examples for ``repo``, or the
    folder's when there is none, a word on croissant.json, then the recipes in every tool and
    the CI job."""
    examples = HUB_EXAMPLES.format(repo=repo) if repo else FOLDER_EXAMPLES
    parts = [f"{examples}\n{CROISSANT_NOTE}", recipes(repo), verify_section(repo)]
    return f"{BEGIN}\n## Loading\n\n" + "\n\n".join(parts) + f"\n{END}"


def card_for_repo(card: str, repo: str) -> str | None:
    """The card with its Loading section written for ``repo``; None when the card has no
    marked section (a release written by an older ptoffact)."""
    if len(SECTION.findall(card)) != 1:
        return None
    return SECTION.sub(lambda _: loading_section(repo), card)
