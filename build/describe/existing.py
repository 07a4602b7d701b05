"""An existing release described again from its own shards, no source needed (``ptoffact
describe RELEASE``): its card, figures, datapackage, croissant.json and report statistics.

After an upgrade of ptoffact, for a release downloaded from the Hub (``--repo`` writes its
card's loading examples for the Hub repository), or after its rows were changed and
re-recorded. It runs the code ``build`` runs (:mod:`.measure`, :mod:`.documents`), so the same
rows give byte-identical files. It touches only the release's own documents: the figures
under ``images/``, ``validation_report.json`` (its ``quirks`` and ``statistics``, the rest
kept), ``README.md``, ``datapackage.json``, ``croissant.json`` and ``SHA256SUMS``, each
replaced whole. The data files are described as the datapackage records them (run
``ptoffact verify`` to check them against their records); their lines of ``SHA256SUMS`` are
the recorded digests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ptoffact_build.contents import DATAPACKAGE, NotARelease, contents_of
from ptoffact_build.describe.documents import REPORT_NAME, ReleaseDocuments, measure_and_draw
from ptoffact_build.describe.facts import ReleaseFacts
from ptoffact_build.describe.record import ReleaseRecord
from ptoffact_build.describe.report import with_description
from ptoffact_build.describe.shards import UnreadableRelease
from ptoffact_build.ownfiles import OwnFileError
from ptoffact_build.release_folder import ReleaseFolder, open_release
from ptoffact_build.schema import TABLES

REPORT_LIMIT = 64 << 20  # a report holds at most a few thousand examples


def read_report(folder: ReleaseFolder) -> dict[str, Any]:
    """The release's own validation report (its findings are kept), read through the folder
    held open; NotARelease when it is not a release's report."""
    where = folder.path / REPORT_NAME
    try:
        report = json.loads(folder.read(REPORT_NAME, REPORT_LIMIT).decode("utf-8"))
    except (OSError, OwnFileError, UnicodeDecodeError, ValueError) as error:
        raise NotARelease(f"{where}: unreadable ({error})") from None
    if not isinstance(report, dict) or not isinstance(report.get("tables"), dict):
        raise NotARelease(f"{where}: not a release's validation report")
    if set(report["tables"]) != set(TABLES):
        raise NotARelease(f"{where}: not a release's validation report")
    return report


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
    with open_release(release) as folder:
        package = folder.package()
        contents_of(package, str(release / DATAPACKAGE))  # NotARelease unless a release
        report = read_report(folder)
    record = ReleaseRecord.from_datapackage(package, str(release / DATAPACKAGE))
    facts, plots = measure_and_draw(release, shard_paths(release, record))
    own_report = with_description(report, facts)
    ReleaseDocuments(release, facts, record, own_report, plots, repo).write()
    return facts
