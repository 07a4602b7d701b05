"""The release's dataset card (README.md): YAML for the Hub, then a body for people.

The YAML follows the Hub's conventions for a multi-config dataset: per table its features
and exact ``splits`` (rows, and bytes as ``datasets`` measures them), ``download_size`` and
``dataset_size``. The body opens with this build's own counts and where its sources came
from (:mod:`.summary`).
"""

from __future__ import annotations

from typing import Any

from huggingface_hub import DatasetCard, DatasetCardData

from ptoffact_build.buildid import PLACEHOLDER_VERSION
from ptoffact_build.describe.card_sections import statistics_sections
from ptoffact_build.describe.datapackage import (
    BIBTEX_PAPER,
    PAPER_URL,
    PORTAL_PRODUCT,
    PROJECT_URL,
    bibtex_release,
)
from ptoffact_build.describe.dictionary import data_dictionary
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.limitations import limitations_section
from ptoffact_build.describe.plots import Plot, figures_section
from ptoffact_build.describe.quirks import quirk_note, quirks_json
from ptoffact_build.describe.record import ReleaseRecord, SplitSize
from ptoffact_build.describe.report import Origin, SourceRecord
from ptoffact_build.describe.summary import BUILT_FROM_USPTO, FULL_DATASET, BuildSummary
from ptoffact_build.describe.usage import loading_section
from ptoffact_build.schema import DEFAULT_TABLE, TABLES, load_schemas

TAGS = ["patents", "uspto", "office-actions", "prior-art", "tabular"]
TASK_CATEGORIES = ["tabular-classification"]
# The front matter's keys in a fixed order (the keys the card always had keep theirs), so a
# rebuild diffs cleanly.
YAML_ORDER = [
    "license",
    "pretty_name",
    "language",
    "annotations_creators",
    "source_datasets",
    "task_categories",
    "tags",
    "size_categories",
    "configs",
    "dataset_info",
]


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


def table_config(table: str, description: str | None = None) -> dict[str, Any]:
    """A table's ``configs`` entry: its Parquet shards as the train split.

    ``description`` (see :func:`.record.table_description`) is a builder config parameter that
    ``datasets`` reads into its cache key of a local folder, which otherwise never looks at the
    files: a release rebuilt in place with other data then loads its new rows, while the
    shards keep the Hub's names and ``hf://`` paths.
    """
    config: dict[str, Any] = {"config_name": table}
    if table == DEFAULT_TABLE:
        config["default"] = True
    config["data_files"] = [{"split": "train", "path": f"data/{table}/train-*.parquet"}]
    if description is not None:
        config["description"] = description
    return config


def table_info(table: str, features: list[dict[str, str]], size: SplitSize) -> dict[str, Any]:
    """A table's ``dataset_info`` entry, as the Hub writes it for a Parquet dataset."""
    return {
        "config_name": table,
        "features": features,
        "splits": [{"name": "train", "num_bytes": size.arrow_bytes, "num_examples": size.rows}],
        "download_size": size.parquet_bytes,
        "dataset_size": size.arrow_bytes,
    }


def card_data(
    title: str, sizes: dict[str, SplitSize], descriptions: dict[str, str] | None = None
) -> DatasetCardData:
    """The card's metadata: licence, Hub categories, one config per table and its sizes.

    The exact sizes also key the ``datasets`` cache of a local folder, which otherwise reuses
    an older build of a release rebuilt at the same path.
    """
    info = [
        table_info(table, schema.features_yaml(), sizes[table])
        for table, schema in load_schemas().items()
    ]
    return DatasetCardData(
        license="cc0-1.0",
        pretty_name=title,
        language=["en"],
        annotations_creators=["machine-generated"],
        source_datasets=["original"],
        task_categories=TASK_CATEGORIES,
        tags=TAGS,
        size_categories=[size_category(sum(s.rows for s in sizes.values()))],
        configs=[table_config(t, (descriptions or {}).get(t)) for t in TABLES],
        dataset_info=info,
    )


PROVENANCE = {
    Origin.PORTAL: f"This release was {BUILT_FROM_USPTO} (portal product `PTOFFACT`, "
    f"{PORTAL_PRODUCT}), released 2017-11-29 and unchanged since.",
    Origin.SAMPLE: "Built by ptoffact from its embedded synthetic sample (made-up rows in the "
    "distribution's format), not from USPTO data.",
    Origin.LOCAL: "Built by ptoffact from local files it did not fetch; it cannot tell whether "
    "they are the USPTO's.",
}


def provenance_section(summary: BuildSummary, sources: tuple[SourceRecord, ...]) -> str:
    lines = [
        "## Provenance",
        "",
        f"{PROVENANCE[summary.origin]} Source files of this build:",
        "",
        "| file | bytes | sha256 | portal modification time | fetched |",
        "|---|---|---|---|---|",
    ]
    for s in sources:
        cells = [f"`{s.name}`", f"{s.bytes:,}", f"`{s.sha256}`", s.modified, s.fetched_at]
        lines.append("| " + " | ".join(c or "" for c in cells) + " |")
    return "\n".join(lines)


def counts_section(facts: ReleaseFacts, quarantined: dict[str, int]) -> str:
    lines = [
        "## Rows",
        "",
        "| table | rows | quarantined |",
        "|---|---|---|",
    ]
    for table in TABLES:
        lines.append(f"| `{table}` | {facts.rows(table):,} | {quarantined[table]:,} |")
    held = sum(quarantined.values())
    lines.append("")
    if held:
        lines.append(
            f"Built with `--on-error quarantine`: {held:,} rows failed validation (or "
            "refer to a row that did) and are in `quarantine/<table>.csv` with their source "
            "file, row number and reasons; `validation_report.json` counts every finding."
        )
    else:
        lines.append("Every source row passed validation; none was dropped or changed.")
    return "\n".join(lines)


def vocabulary_key(key: str) -> str:
    """A counted value as the card shows it: NULL, counted under ``""``
    (:func:`.quirks.top`), as NULL."""
    return "NULL" if key == "" else f"`{key}`"


def quirk_value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{vocabulary_key(k)}: {v:,}" for k, v in list(value.items())[:12])
    return f"{value:,}" if isinstance(value, int) else str(value)


def quirks_section(facts: ReleaseFacts) -> str:
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
    for table, quirks in quirks_json(facts).items():
        for name, value in quirks.items():
            note = quirk_note(table, name)
            lines.append(f"| `{table}` | `{name}` | {quirk_value(value)} | {note} |")
    return "\n".join(lines)


def render_card(
    facts: ReleaseFacts,
    record: ReleaseRecord,
    repo: str | None = None,
    plots: list[Plot] | None = None,
    version: str = PLACEHOLDER_VERSION,
) -> str:
    """The complete dataset card of a release: YAML front matter, then the body.

    With ``repo`` (OWNER/NAME) its loading examples name that Hub repository; without, they
    run from inside the release folder. The record's year dates the release's citation,
    which names its ``version``. ``plots`` are the figures drawn under ``images/`` (none:
    no Figures section).
    """
    summary = BuildSummary.of(facts, record.sources)
    sizes = record.split_sizes(facts)
    front = card_data(summary.title, sizes, record.descriptions())
    yaml = front.to_yaml(original_order=YAML_ORDER)
    body = card_body(facts, record, summary, repo, plots or [], version)
    return str(DatasetCard(f"---\n{yaml}\n---\n{body}"))


def opening(summary: BuildSummary) -> list[str]:
    """The title, this build's origin and counts, the full dataset as context, the links."""
    return [
        f"# {summary.title}",
        "",
        f"{summary.origin_sentence()} {summary.counts_sentence()} Every row is checked "
        "against a Frictionless Table Schema; identifiers stay text, dates are dates, flags "
        "are booleans.",
        "",
        FULL_DATASET,
        "",
        f"- **Homepage:** {PORTAL_PRODUCT} (the USPTO's product page)",
        f"- **Repository:** {PROJECT_URL} (ptoffact, which builds and checks this release)",
        f"- **Paper:** {PAPER_URL}",
        f"- **Point of contact:** {PROJECT_URL}/issues for this release; the USPTO, through "
        "its product page, for the source data",
        "",
        "In the USPTO's data the values were extracted by text mining of the Office action "
        f"documents (Lu, Myers and Beliveau, 2017: {PAPER_URL}); no Office action text is "
        "included. See Limitations below for what the mining gets wrong.",
    ]


def card_body(
    facts: ReleaseFacts,
    record: ReleaseRecord,
    summary: BuildSummary,
    repo: str | None,
    plots: list[Plot],
    version: str = PLACEHOLDER_VERSION,
) -> str:
    """The card's Markdown for people: opening, loading, counts, figures, measured sections,
    dictionary, quirks, limitations, provenance, licence and citation (naming the release's
    ``version``)."""
    body = [
        "",
        *opening(summary),
        "",
        loading_section(repo),
        "",
        counts_section(facts, record.quarantined),
        "",
        *([figures_section(plots), ""] if plots else []),
        statistics_sections(facts),
        "",
        "## Data dictionary",
        "",
        data_dictionary(),
        "",
        quirks_section(facts),
        "",
        limitations_section(),
        "",
        provenance_section(summary, record.sources),
        "",
        "## License",
        "",
        "Works of the US federal government are not subject to copyright in the United States "
        "(17 U.S.C. 105). This release, including its typing and documentation, is dedicated "
        "to the public domain under CC0 1.0.",
        "",
        "## Citation",
        "",
        f"Please cite the USPTO working paper that describes the data, and this release "
        f"(version `{version}`):",
        "",
        "```bibtex",
        BIBTEX_PAPER,
        "",
        bibtex_release(record.year, version),
        "```",
        "",
    ]
    return "\n".join(body)
