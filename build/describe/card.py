"""The release's dataset card (README.md): YAML for the Hub, then a body for people."""

from __future__ import annotations

from dataclasses import dataclass

from ptoffact_build.check.quirks import QUIRK_NOTES
from ptoffact_build.describe.datapackage import (
    BIBTEX_PACKAGE,
    BIBTEX_PAPER,
    LOADING,
    PAPER_URL,
    PORTAL_PRODUCT,
    SUMMARY,
    TITLE,
    card_yaml,
    data_dictionary,
)
from ptoffact_build.pipeline import RunResult
from ptoffact_build.schema import TABLES


@dataclass(frozen=True)
class SourceRecord:
    """A source file as the card and datapackage record it (never any credential)."""

    name: str
    bytes: int
    sha256: str
    modified: str | None = None
    fetched_at: str | None = None

    def to_json(self) -> dict:
        record = {"name": self.name, "bytes": self.bytes, "hash": f"sha256:{self.sha256}"}
        if self.modified:
            record["modified"] = self.modified
        if self.fetched_at:
            record["fetched"] = self.fetched_at
        return record


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
    """The complete dataset card of a release."""
    total = sum(t.rows_valid for t in result.tables.values())
    body = [
        card_yaml(total, parquet_bytes),
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
