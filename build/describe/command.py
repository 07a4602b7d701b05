"""``ptoffact describe RELEASE``: an existing release's card, figures, datapackage and report
statistics, rendered again from its own shards (no source needed).

After an upgrade of ptoffact, for a release downloaded from the Hub (``--repo`` writes its
card's loading examples for the Hub repository), or after its rows were changed and
re-recorded. It runs the code ``build`` runs (:mod:`.measure`, :mod:`.documents`), so the same
rows give byte-identical files. It touches only the release's own documents: the figures
under ``images/``, ``validation_report.json`` (its ``quirks`` and ``statistics``, the rest
kept), ``README.md``, ``datapackage.json`` and ``SHA256SUMS``, each replaced whole. The data
files are described as the datapackage records them (run ``ptoffact verify`` to check them
against their records); their lines of ``SHA256SUMS`` are the recorded digests.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ptoffact_build.describe.datapackage import release_datapackage
from ptoffact_build.describe.documents import (
    CARD_NAME,
    REPORT_NAME,
    measure_and_draw,
    write_documents,
)
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.plots import IMAGES, Plot
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.report import with_description
from ptoffact_build.describe.shards import UnreadableRelease
from ptoffact_build.errors import EXIT_OK, NotARelease
from ptoffact_build.hashing import file_sha256
from ptoffact_build.jsonfile import write_json
from ptoffact_build.ownfiles import OwnFileError, read_own_file
from ptoffact_build.replace import replace_text
from ptoffact_build.schema import TABLES
from ptoffact_build.write.sums import SUMS, read_sums, sums_text

DATAPACKAGE = "datapackage.json"
REPORT_LIMIT = 64 << 20  # a report holds at most a few thousand examples


def run_describe(args: argparse.Namespace) -> int:
    from ptoffact_build.publish.hub import check_repo_id

    repo = None if args.repo is None else check_repo_id(args.repo)
    facts = describe_release(args.release, repo)
    rows = ", ".join(f"{t} {facts.rows(t):,}" for t in TABLES)
    print(f"described {args.release} ({rows})")
    return EXIT_OK


def read_json(path: Path, limit: int) -> dict[str, Any]:
    """A JSON object ptoffact wrote into a release; NotARelease when it cannot be read."""
    try:
        found = json.loads(read_own_file(path, limit))
    except (OSError, OwnFileError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NotARelease(f"{path}: unreadable ({error})") from None
    if not isinstance(found, dict):
        raise NotARelease(f"{path}: not a JSON object")
    return found


def shard_paths(release: Path, record: ReleaseRecord) -> dict[str, list[Path]]:
    """Each table's shards as recorded; UnreadableRelease when one is not a file inside."""
    paths = {t: [release / s.path for s in record.files[t].shards] for t in TABLES}
    root = release.resolve()
    for path in (p for found in paths.values() for p in found):
        if path.is_symlink() or not path.is_file() or root not in path.resolve().parents:
            raise UnreadableRelease(f"{path}: a recorded shard that is not a file of the release")
    return paths


def describe_release(release: Path, repo: str | None = None) -> ReleaseFacts:
    """Measure ``release`` from its shards and rewrite its documents; the facts measured."""
    package = read_json(release / DATAPACKAGE, REPORT_LIMIT)
    record = ReleaseRecord.from_datapackage(package, str(release / DATAPACKAGE))
    report = read_json(release / REPORT_NAME, REPORT_LIMIT)
    if not isinstance(report.get("tables"), dict) or set(report["tables"]) != set(TABLES):
        raise NotARelease(f"{release / REPORT_NAME}: not a release's validation report")
    facts, plots = measure_and_draw(release, shard_paths(release, record))
    write_documents(release, facts, record, with_description(report, facts), plots, repo)
    entries = release_entries(package["ptoffact"].get("release_entries") or [], plots)
    write_json(release / DATAPACKAGE, release_datapackage(record, facts, entries))
    rewrite_sums(release, record, plots)
    return facts


def release_entries(recorded: list[str], plots: list[Plot]) -> list[str]:
    """The release's top-level entries, ``images`` in them when a figure was drawn."""
    drawn = any(not plot.missing for plot in plots)
    return sorted((set(recorded) - {IMAGES}) | ({IMAGES} if drawn else set()))


def rewrite_sums(release: Path, record: ReleaseRecord, plots: list[Plot]) -> None:
    """SHA256SUMS again: the data files' recorded digests, the documents' new ones, and the
    other lines it had for files still present."""
    digests = read_sums(release / SUMS)
    digests = {name: d for name, d in digests.items() if (release / name).is_file()}
    for files in record.files.values():
        recorded = [*files.shards, files.csv, *([files.quarantine] if files.quarantine else [])]
        digests.update((f.path.as_posix(), f.sha256) for f in recorded)
    drawn = [plot.path for plot in plots if not plot.missing]
    written = [CARD_NAME, REPORT_NAME, DATAPACKAGE, *drawn]
    digests.update((name, file_sha256(release / name)) for name in written)
    replace_text(release / SUMS, sums_text(digests))
