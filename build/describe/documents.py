"""The documents the describe stage writes into a release: figures, report, card.

``build`` and ``ptoffact describe`` both write them with :func:`write_documents`, from what
was measured in the release's shards (:class:`.facts.ReleaseFacts`) and what the release
records of its build (:class:`.record.ReleaseRecord`), so the same rows give the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ptoffact_build.describe.card import render_card
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.plots import IMAGES, Plot, draw_figures
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.statistics import figure_data, per_mail_year
from ptoffact_build.jsonfile import write_json

REPORT_NAME = "validation_report.json"
CARD_NAME = "README.md"


def draw(root: Path, facts: ReleaseFacts) -> list[Plot]:
    """Draw the figures into ``root/images``; the Plots, drawn or not."""
    return draw_figures(root / IMAGES, figure_data(facts), per_mail_year(facts))


def write_documents(
    root: Path,
    facts: ReleaseFacts,
    record: ReleaseRecord,
    report: dict[str, Any],
    plots: list[Plot],
    repo: str | None = None,
) -> None:
    """Write ``report`` and the card, which shows ``plots`` (see :func:`draw`) and gives its
    loading examples for the Hub repository ``repo`` (or to run from inside the release)."""
    write_json(root / REPORT_NAME, report)
    card = render_card(facts, record, repo, plots)
    (root / CARD_NAME).write_text(card, encoding="utf-8")
