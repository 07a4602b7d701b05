"""The documents the describe stage writes into a release: figures, report, card,
datapackage.json, croissant.json and SHA256SUMS.

``build`` and ``ptoffact describe`` both write them with this module, from what was measured
in the release's shards (:class:`.facts.ReleaseFacts`) and what the release records of its
build (:class:`.record.ReleaseRecord`), so the same rows give the same bytes. Each file is
replaced whole (:mod:`ptoffact_build.replace`): a reader sees the old file or the new.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ptoffact_build.buildid import PLACEHOLDER_VERSION, content_version
from ptoffact_build.contents import CARD, DATAPACKAGE
from ptoffact_build.describe.card import render_card
from ptoffact_build.describe.croissant import CROISSANT, release_croissant
from ptoffact_build.describe.datapackage import release_datapackage
from ptoffact_build.describe.facts import FigureFacts, ReleaseFacts
from ptoffact_build.describe.figure_process import FigureProcess
from ptoffact_build.describe.measure import measure_release
from ptoffact_build.describe.plots import IMAGES, Plot
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.report import Origin
from ptoffact_build.describe.statistics import figure_data, per_mail_year
from ptoffact_build.hashing import bytes_sha256, file_sha256
from ptoffact_build.jsonfile import json_text, write_json
from ptoffact_build.replace import replace_bytes, replace_with
from ptoffact_build.write.sums import write_sums

REPORT_NAME = "validation_report.json"


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


@dataclass
class ReleaseDocuments:
    """The documents of the release in ``root``: its ``report``, then its card,
    datapackage.json and croissant.json, which name the release's version (a digest of every
    file, these three taken with a placeholder version: the same rows give the same
    release), then SHA256SUMS, which covers every other file."""

    root: Path
    facts: ReleaseFacts
    record: ReleaseRecord
    report: dict[str, Any]
    plots: list[Plot]
    repo: str | None = None

    def files(self) -> list[str]:
        """Every file of the release but SHA256SUMS, as POSIX paths inside it."""
        drawn = [plot.path for plot in self.plots if not plot.missing]
        return [*self.record.table_paths(), REPORT_NAME, *drawn, CARD, DATAPACKAGE, CROISSANT]

    def rendered(self, version: str) -> dict[str, bytes]:
        """The card, datapackage and croissant.json by path, naming ``version``."""
        card = render_card(self.facts, self.record, self.repo, self.plots, version)
        package = release_datapackage(self.record, self.facts, self.files(), version)
        origin = Origin.of_build(self.record.sources)
        croissant = release_croissant(package, origin, self.record.year)
        return {
            CARD: card.encode("utf-8"),
            DATAPACKAGE: json_text(package).encode("utf-8"),
            CROISSANT: json_text(croissant).encode("utf-8"),
        }

    def known_digests(self) -> dict[str, str]:
        """The sha256 of every file but the three documents: the tables' files as recorded,
        the report and the figures as written."""
        digests = self.record.table_digests()
        for name in self.files():
            if name not in digests and name not in (CARD, DATAPACKAGE, CROISSANT):
                digests[name] = file_sha256(self.root / name)
        return digests

    def write(self) -> dict[str, str]:
        """Write the report, the documents with the release's version and SHA256SUMS, each
        replaced whole; the sha256 of every file."""
        write_json(self.root / REPORT_NAME, self.report)
        digests = self.known_digests()
        drafts = self.rendered(PLACEHOLDER_VERSION)
        version = content_version(digests | {n: bytes_sha256(b) for n, b in drafts.items()})
        for name, data in self.rendered(version).items():
            replace_bytes(self.root / name, data)
            digests[name] = bytes_sha256(data)
        write_sums(self.root, digests)  # last: it covers every other file
        return digests
