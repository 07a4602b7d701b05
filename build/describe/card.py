"""The release's dataset card (README.md): YAML for the Hub, then a body for people."""

from __future__ import annotations

from typing import Any

from huggingface_hub import DatasetCard, DatasetCardData

from ptoffact_build.check.quirks import QUIRK_NOTES
from ptoffact_build.describe.datapackage import (
    BIBTEX_PACKAGE,
    BIBTEX_PAPER,
    PAPER_URL,
    PORTAL_PRODUCT,
    SUMMARY,
    TITLE,
)
from ptoffact_build.describe.dictionary import data_dictionary
from ptoffact_build.describe.report import SourceRecord
from ptoffact_build.pipeline import RunResult
from ptoffact_build.schema import DEFAULT_TABLE, TABLES, load_schemas

TAGS = ["patents", "uspto", "office-actions", "prior-art", "tabular"]
# The front matter's keys in the order the card has always written them.
YAML_ORDER = [
    "license",
    "pretty_name",
    "language",
    "tags",
    "size_categories",
    "configs",
    "dataset_info",
]

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


def table_config(table: str) -> dict[str, Any]:
    """A table's ``configs`` entry: its Parquet shards as the train split."""
    config: dict[str, Any] = {"config_name": table}
    if table == DEFAULT_TABLE:
        config["default"] = True
    config["data_files"] = [{"split": "train", "path": f"data/{table}/train-*.parquet"}]
    return config


def card_data(total_rows: int, download_sizes: dict[str, int]) -> DatasetCardData:
    """The card's metadata: licence, tags, one config per table and its features.

    ``download_size`` (the table's Parquet bytes) also keys the ``datasets`` cache, which
    otherwise reuses an older build of a release folder rebuilt at the same path.
    """
    info = [
        {
            "config_name": table,
            "features": schema.features_yaml(),
            "download_size": download_sizes[table],
        }
        for table, schema in load_schemas().items()
    ]
    return DatasetCardData(
        license="cc0-1.0",
        pretty_name=TITLE,
        language=["en"],
        tags=TAGS,
        size_categories=[size_category(total_rows)],
        configs=[table_config(t) for t in TABLES],
        dataset_info=info,
    )


def provenance_section(sources: list[SourceRecord]) -> str:
    lines = [
        "## Provenance",
        "",
        f"Built by ptoffact from the USPTO's files (portal product `PTOFFACT`, {PORTAL_PRODUCT}), "
        "released 2017-11-29 and unchanged since. Source files of this build:",
        "",
        "| file | bytes | sha256 | portal modification time | fetched |",
        "|---|---|---|---|---|",
    ]
    for s in sources:
        cells = [f"`{s.name}`", f"{s.bytes:,}", f"`{s.sha256}`", s.modified, s.fetched_at]
        lines.append("| " + " | ".join(c or "" for c in cells) + " |")
    return "\n".join(lines)


def counts_section(result: RunResult) -> str:
    lines = [
        "## Rows",
        "",
        "| table | rows | quarantined |",
        "|---|---|---|",
    ]
    for table in TABLES:
        t = result.tables[table]
        lines.append(f"| `{table}` | {t.rows_valid:,} | {t.rows_quarantined:,} |")
    quarantined = sum(t.rows_quarantined for t in result.tables.values())
    lines.append("")
    if quarantined:
        lines.append(
            f"Built with `--on-error quarantine`: {quarantined:,} rows failed validation (or "
            "refer to a row that did) and are in `quarantine/<table>.csv` with their source "
            "file, row number and reasons; `validation_report.json` counts every finding."
        )
    else:
        lines.append("Every source row passed validation; none was dropped or changed.")
    return "\n".join(lines)


def quirk_value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"`{k or '(empty)'}`: {v:,}" for k, v in list(value.items())[:12])
    return f"{value:,}" if isinstance(value, int) else str(value)


def quirks_section(result: RunResult) -> str:
    lines = [
        "## Known quirks (measured on this build)",
        "",
        "These are facts about the source data, not build errors. Domains the USPTO does not "
        "document (the action vocabularies, the date range, near-keys) are measured here "
        "rather than enforced.",
        "",
        "| table | measure | value | meaning |",
        "|---|---|---|---|",
    ]
    for table in TABLES:
        for name, value in result.tables[table].quirks.items():
            note = QUIRK_NOTES.get(name, "")
            lines.append(f"| `{table}` | `{name}` | {quirk_value(value)} | {note} |")
    return "\n".join(lines)


def render_card(
    result: RunResult, sources: list[SourceRecord], where: str, parquet_bytes: dict[str, int]
) -> str:
    """The complete dataset card of a release: YAML front matter, then the body."""
    total = sum(t.rows_valid for t in result.tables.values())
    front = card_data(total, parquet_bytes).to_yaml(original_order=YAML_ORDER)
    card = DatasetCard(f"---\n{front}\n---\n{card_body(result, sources, where)}")
    return str(card)


def card_body(result: RunResult, sources: list[SourceRecord], where: str) -> str:
    """The card's Markdown for people: summary, loading, counts, dictionary, provenance."""
    body = [
        "",
        f"# {TITLE}",
        "",
        SUMMARY,
        "",
        "The values were extracted by the USPTO's text mining of the Office action documents "
        f"(Lu, Myers and Beliveau, 2017: {PAPER_URL}); no Office action text is included. "
        "Flags such as `header_missing`, `fp_missing`, `closing_missing` and "
        "`rejection_fp_mismatch` mark actions whose parsing is less reliable.",
        "",
        "## Loading",
        "",
        LOADING.format(where=where),
        "",
        counts_section(result),
        "",
        "## Data dictionary",
        "",
        data_dictionary(),
        "",
        quirks_section(result),
        "",
        provenance_section(sources),
        "",
        "## License",
        "",
        "Works of the US federal government are not subject to copyright in the United States "
        "(17 U.S.C. 105). This release, including its typing and documentation, is dedicated "
        "to the public domain under CC0 1.0.",
        "",
        "## Citation",
        "",
        "Please cite the USPTO working paper that describes the data, and this package:",
        "",
        "```bibtex",
        BIBTEX_PAPER,
        "",
        BIBTEX_PACKAGE,
        "```",
        "",
    ]
    return "\n".join(body)


def stamp_build(card: str, build: str, data_ids: dict[str, str]) -> str:
    """The card with each config's ``description`` naming the build id and a digest of the
    table's Parquet bytes (:mod:`ptoffact_build.buildid`).

    ``datasets`` keys its cache of a local folder on the card's YAML only (the configs'
    parameters and ``dataset_info``), never on the files; ``description`` is a builder config
    parameter it reads into that key, so a release rebuilt in place with other data loads its
    new rows, while the shards keep the Hub's names and ``hf://`` paths.
    """
    parsed = DatasetCard(card)
    for config in parsed.data.get("configs") or []:  # the parsed list itself, edited in place
        table = config["config_name"]
        config["description"] = f"ptoffact build {build}, Parquet data {data_ids[table]}"
    return str(parsed)
