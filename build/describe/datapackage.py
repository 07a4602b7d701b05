"""Documents generated from the schemas: data packages, the dataset card, the data dictionary.

Nothing here is written by hand per field: every description, type and constraint comes
from ``schema/<table>.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptoffact_build import __version__
from ptoffact_build.schema import DEFAULT_TABLE, TABLES, TableSchema, load_schemas

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PORTAL_PRODUCT = "https://data.uspto.gov/bulkdata/datasets/ptoffact"
PAPER_URL = "https://papers.ssrn.com/sol3/papers.cfm?abstract_id=3024621"
TITLE = "USPTO Office Action Research Dataset (PTOFFACT), validated and typed"
SUMMARY = (
    "4.4 million Non-Final and Final rejection Office actions mailed 2008 to mid-2017 for "
    "2.2 million US patent applications, with 10.1 million rejections and 58.9 million "
    "citations, extracted by the USPTO from the text of the actions. Every row is checked "
    "against a Frictionless Table Schema; identifiers stay text, dates are dates, flags are "
    "booleans."
)
LICENSE = {
    "name": "CC0-1.0",
    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    "title": "Creative Commons Zero v1.0 Universal",
}
# Pinned in full (Table Dialect names), so frictionless reads the files as ptoffact does
# instead of guessing the dialect from a sample (e.g. skipping spaces after a delimiter).
CSV_DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "skipInitialSpace": False,
    "header": True,
    "headerRows": [1],
}

BIBTEX_PAPER = """@techreport{lu2017officeactions,
  author      = {Lu, Qiang and Myers, Amanda F. and Beliveau, Scott},
  title       = {{USPTO} Patent Prosecution Research Data: Unlocking Office Action Traits},
  institution = {United States Patent and Trademark Office},
  type        = {Economic Working Paper},
  number      = {2017-10},
  year        = {2017},
  url         = {https://papers.ssrn.com/sol3/papers.cfm?abstract_id=3024621}
}"""

BIBTEX_PACKAGE = f"""@software{{ptoffact,
  title   = {{ptoffact: the {{USPTO}} Office Action Research Dataset, validated and typed}},
  version = {{{__version__}}},
  year    = {{2026}},
  note    = {{Build pipeline and redistribution of the USPTO PTOFFACT product}}
}}"""


@dataclass(frozen=True)
class FileEntry:
    """A file a data package lists: its path (relative to the package), size and hash."""

    path: str
    bytes: int
    sha256: str
    rows: int | None = None


def package_header() -> dict[str, Any]:
    """The metadata every ptoffact data package shares."""
    return {
        "$schema": DATAPACKAGE_PROFILE,
        "name": "ptoffact",
        "title": TITLE,
        "description": SUMMARY,
        "version": __version__,
        "licenses": [LICENSE],
        "keywords": ["patents", "USPTO", "office actions", "prior art", "patent examination"],
        "sources": [
            {"title": "USPTO Open Data Portal, product PTOFFACT", "path": PORTAL_PRODUCT},
            {
                "title": "Lu, Myers and Beliveau (2017), USPTO Economic Working Paper 2017-10",
                "path": PAPER_URL,
            },
        ],
    }


def table_resource(schema: TableSchema, entry: FileEntry, **extra: Any) -> dict[str, Any]:
    """A tabular resource whose every row and hash frictionless checks."""
    resource = {
        "name": schema.name,
        "type": "table",
        "title": schema.title,
        "description": schema.description,
        "path": entry.path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": entry.bytes,
        "hash": f"sha256:{entry.sha256}",
        "dialect": CSV_DIALECT,
    }
    if entry.rows is not None:
        resource["rows"] = entry.rows
    resource.update(extra)
    resource["schema"] = schema.frictionless()
    return resource


def datapackage(resources: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A whole data package descriptor."""
    return {**package_header(), **extra, "resources": resources}


def write_json(path: Path, descriptor: dict[str, Any]) -> None:
    path.write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- data dictionary ---------------------------------------------------------------------


def constraint_text(schema: TableSchema, field) -> str:
    """A field's constraints and keys in a few words."""
    c = field.constraints
    parts = []
    if field.name in schema.primary_key:
        parts.append("primary key")
    for fk in schema.foreign_keys:
        if field.name in fk["fields"]:
            ref = fk["reference"]
            parts.append(f"→ {ref['resource']}.{ref['fields'][0]}")
    if c.get("required"):
        parts.append("required")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if "enum" in c:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    for key, word in (
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minimum", "≥"),
        ("maximum", "≤"),
    ):
        if key in c:
            parts.append(f"{word} {c[key]}")
    if field.type == "boolean":
        parts.append(f"`{field.true_values[0]}`/`{field.false_values[0]}` in CSV")
    return "; ".join(parts)


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def dictionary_table(schema: TableSchema) -> str:
    """One table's data dictionary as a Markdown table."""
    lines = [
        f"### `{schema.name}`",
        "",
        escape_cell(schema.description),
        "",
        "| column | type | constraints | description |",
        "|---|---|---|---|",
    ]
    for f in schema.fields:
        row = [f"`{f.name}`", f.hf_dtype, constraint_text(schema, f), f.description]
        lines.append("| " + " | ".join(escape_cell(x) for x in row) + " |")
    return "\n".join(lines)


def data_dictionary() -> str:
    """Every table's data dictionary, in table order."""
    return "\n\n".join(dictionary_table(s) for s in load_schemas().values())


# --- the dataset card ----------------------------------------------------------------------


def size_category(rows: int) -> str:
    """The Hub's size category for a row count."""
    bounds = [
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
        (100_000_000, "10M<n<100M"),
    ]
    for bound, label in bounds:
        if rows < bound:
            return label
    return "100M<n<1B"


def card_yaml(total_rows: int, download_sizes: dict[str, int] | None = None) -> str:
    """The YAML front matter: licence, tags, one config per table and its features.

    ``download_size`` (the table's Parquet bytes) also keys the ``datasets`` cache, which
    otherwise reuses an older build of a release folder rebuilt at the same path.
    """
    lines = [
        "---",
        "license: cc0-1.0",
        f"pretty_name: {json.dumps(TITLE)}",
        "language:",
        "- en",
        "tags:",
        *[f"- {tag}" for tag in ("patents", "uspto", "office-actions", "prior-art", "tabular")],
        "size_categories:",
        f"- {size_category(total_rows)}",
        "configs:",
    ]
    for table in TABLES:
        lines += [f"- config_name: {table}"]
        if table == DEFAULT_TABLE:
            lines += ["  default: true"]
        lines += ["  data_files:", "  - split: train", f"    path: data/{table}/train-*.parquet"]
    lines += ["dataset_info:"]
    for table, schema in load_schemas().items():
        lines += [f"- config_name: {table}", "  features:"]
        for feature in schema.features_yaml():
            lines += [f"  - name: {feature['name']}", f"    dtype: {feature['dtype']}"]
        if download_sizes:
            lines += [f"  download_size: {download_sizes[table]}"]
    lines += ["---"]
    return "\n".join(lines)


LOADING = """```python
import datasets
rejections = datasets.load_dataset("{where}", "rejections", split="train")
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
