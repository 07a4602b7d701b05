"""What this build holds, in words: its title and opening for the card and datapackage.

The counts are this release's, measured in its shards (rows per table, distinct
applications, first and last mail date); the full dataset's published figures appear only as
context, marked as such. Where the sources came from decides what the text may claim: only
files fetched from the USPTO's portal are called the USPTO's files.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.report import Origin, SourceRecord
from ptoffact_build.describe.statistics import extreme
from ptoffact_build.schema import TABLES

TITLE = "USPTO Office Action Research Dataset (PTOFFACT), validated and typed"
BUILT_FROM_USPTO = "built from the USPTO's files"
FULL_DATASET = (
    "For context, the full USPTO dataset (released 2017-11-29, unchanged since) describes "
    "4.4 million Non-Final and Final rejection Office actions mailed 2008 to mid-2017 for "
    "2.2 million US patent applications, with 10.1 million rejections and 58.9 million "
    "citations."
)
TITLE_SUFFIX = {
    Origin.PORTAL: "",
    Origin.SAMPLE: " (embedded synthetic sample)",
    Origin.LOCAL: " (built from local files)",
}


@dataclass(frozen=True)
class BuildSummary:
    """This build's measured counts and the origin of its sources."""

    origin: Origin
    rows: dict[str, int]
    applications: int | None
    first_mailed: str | None
    last_mailed: str | None
    source_names: list[str]

    @classmethod
    def of(cls, facts: ReleaseFacts, sources: tuple[SourceRecord, ...]) -> BuildSummary:
        dates = facts.column("office_actions", "mail_dt")
        return cls(
            origin=Origin.of_build(sources),
            rows={t: facts.rows(t) for t in TABLES},
            applications=facts.column("office_actions", "app_id").distinct,
            first_mailed=extreme(dates.low),
            last_mailed=extreme(dates.high),
            source_names=[s.name for s in sources],
        )

    @property
    def title(self) -> str:
        return TITLE + TITLE_SUFFIX[self.origin]

    def origin_sentence(self) -> str:
        """Where the rows come from, claiming USPTO origin only for the portal's files."""
        if self.origin is Origin.PORTAL:
            return (
                f"This release was {BUILT_FROM_USPTO}, fetched from the USPTO Open Data "
                "Portal (product PTOFFACT)."
            )
        if self.origin is Origin.SAMPLE:
            return (
                "This release is a build of the embedded synthetic sample that ships with "
                "ptoffact: made-up rows in the distribution's format, not USPTO data."
            )
        names = ", ".join(self.source_names)
        return (
            f"This release was built from local files ({names}); ptoffact did not fetch "
            "them and cannot tell whether they are the USPTO's."
        )

    def counts_sentence(self) -> str:
        """This build's rows, distinct applications and mail dates, in one sentence."""
        rows = self.rows
        actions = f"{rows.get('office_actions', 0):,} Office actions"
        if self.applications is not None:
            actions += f" for {self.applications:,} distinct applications"
        if self.first_mailed and self.last_mailed:
            actions += f", mailed {self.first_mailed} to {self.last_mailed}"
        others = (
            f"{rows.get('rejections', 0):,} rejections and {rows.get('citations', 0):,} citations"
        )
        return f"It holds {actions}, with {others}."

    def description(self) -> str:
        """The opening as plain text (the datapackage's description)."""
        return " ".join(
            [
                self.origin_sentence(),
                self.counts_sentence(),
                "Every row is checked against a Frictionless Table Schema; identifiers stay "
                "text, dates are dates, flags are booleans.",
                FULL_DATASET,
            ]
        )
