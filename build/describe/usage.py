"""The card's "Loading" section: examples for a release folder, or for a Hub repository.

A build without a repository writes examples that run from inside the release folder
(relative paths, never the folder's own path). ``build --repo OWNER/NAME`` writes the Hub's
examples; ``publish --repo OWNER/NAME`` swaps the section between its markers for that
repository's in the README it uploads, leaving the local file as it is.
"""

from __future__ import annotations

import re

BEGIN = "<!-- ptoffact:loading begin (ptoffact publish rewrites this section) -->"
END = "<!-- ptoffact:loading end -->"
SECTION = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)

FOLDER_EXAMPLES = """\
From inside the release folder (`cd path/to/release` first; that path is a placeholder for
wherever this folder is):

```python
import datasets
rejections = datasets.load_dataset(".", "rejections", split="train")
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


def loading_section(repo: str | None) -> str:
    """The whole section, between its markers: the Hub's examples for ``repo``, or the
    folder's when there is none."""
    examples = HUB_EXAMPLES.format(repo=repo) if repo else FOLDER_EXAMPLES
    return f"{BEGIN}\n## Loading\n\n{examples}\n{END}"


def card_for_repo(card: str, repo: str) -> str | None:
    """The card with its Loading section written for ``repo``; None when the card has no
    marked section (a release written by an older ptoffact)."""
    if len(SECTION.findall(card)) != 1:
        return None
    return SECTION.sub(lambda _: loading_section(repo), card)
