"""The documents the describe stage writes into a release: figures, report, card.

``build`` and ``ptoffact describe`` both write them with these functions, from what was
measured in the release's shards (:class:`.facts.ReleaseFacts`) and what the release records
of its build (:class:`.record.ReleaseRecord`), so the same rows give the same bytes. Each
file is replaced whole (:mod:`ptoffact_build.replace`): a reader sees the old file or the new.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ptoffact_build.describe.card import render_card
from ptoffact_build.describe.facts import FigureFacts, ReleaseFacts
from ptoffact_build.describe.figure_process import FigureProcess
from ptoffact_build.describe.measure import measure_release
from ptoffact_build.describe.plots import IMAGES, Plot
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.statistics import figure_data, per_mail_year
from ptoffact_build.jsonfile import write_json
from ptoffact_build.replace import replace_text, replace_with

REPORT_NAME = "validation_report.json"
CARD_NAME = "README.md"


def measure_and_draw(
    root: Path, shards: Mapping[str, Sequence[Path]]
) -> tuple[ReleaseFacts, list[Plot]]:
    """Measure the release in ``root`` from its ``shards``, and draw its figures into
    ``root/images`` by a child process (:mod:`.figure_process`) while the rest is measured:
    each figure's file replaced whole, that of a figure that cannot be drawn now removed.
    The facts, and the Plots drawn or not."""
    drawing = root / f".figures-{os.getpid()}"
    started: list[FigureProcess] = []

    def draw(figures: FigureFacts) -> None:
        started.append(FigureProcess(drawing, figure_data(figures), per_mail_year(figures)))

    try:
        facts = measure_release(shards, on_figures=draw)
        plots = started[0].result()
        place_figures(root, drawing, plots)
        return facts, plots
    finally:
        for process in started:
            process.stop()
        shutil.rmtree(drawing, ignore_errors=True)


def place_figures(root: Path, drawing: Path, plots: list[Plot]) -> None:
    """Move the figures drawn in ``drawing`` into ``root/images``; remove those not drawn."""
    for plot in plots:
        target = root / plot.path
        if plot.missing:
            target.unlink(missing_ok=True)
        else:
            replace_with(target, drawing / f"{plot.name}.png")
    images = root / IMAGES
    if images.is_dir() and not any(images.iterdir()):
        images.rmdir()


def write_documents(
    root: Path,
    facts: ReleaseFacts,
    record: ReleaseRecord,
    report: dict[str, Any],
    plots: list[Plot],
    repo: str | None = None,
) -> None:
    """Write ``report`` and the card, which shows ``plots`` (:func:`measure_and_draw`) and
    gives its loading examples for the Hub repository ``repo`` (or to run from inside the
    release)."""
    write_json(root / REPORT_NAME, report)
    replace_text(root / CARD_NAME, render_card(facts, record, repo, plots))
