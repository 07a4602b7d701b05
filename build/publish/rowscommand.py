"""``ptoffact verify``'s options beyond the file check: ``--rows``, its report and findings,
and a release named on the Hub (``OWNER/NAME[@REVISION]``), downloaded into the cache."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptoffact_build.errors import EXIT_OK, DataInvalid, UsageError
from ptoffact_build.write.outpath import add_report_arguments

if TYPE_CHECKING:
    from ptoffact_build.publish.rows import RowsCheck


def add_rows_arguments(verify: argparse.ArgumentParser) -> None:
    """The options of ``verify`` that re-check rows and fetch a published release."""
    verify.add_argument(
        "--rows",
        action="store_true",
        help="also re-check every row: the gzip CSV copies against the Table Schemas (as "
        "`validate` does), the Parquet shards' schemas and rows against the CSV copies, the "
        "row counts against the datapackage's",
    )
    add_report_arguments(verify, when="with --rows: ")
    verify.add_argument("--quiet", action="store_true", help="no progress on stderr")
    verify.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where a release named OWNER/NAME[@REVISION] is downloaded, under hub/ (default: "
        "$PTOFFACT_CACHE or the user cache folder)",
    )


def release_to_verify(args: argparse.Namespace) -> Path:
    """The release folder ``verify`` checks: the one named, or the Hub release named,
    downloaded first. ``--report`` and ``--findings`` are checked before any download, as
    ``validate`` checks them (distinct, new or ptoffact's own, outside the release)."""
    from ptoffact_build.publish.download import hub_release
    from ptoffact_build.write.outpath import check_findings, check_output_files

    if (args.report or args.findings) and not args.rows:
        raise UsageError("--report and --findings go with --rows")
    outputs = {"--report": args.report, "--findings": args.findings}
    check_findings(args.findings)
    hub = hub_release(str(args.release))
    if hub is None:
        check_output_files(outputs, None, [Path(args.release).resolve()])
        return Path(args.release)
    from ptoffact_build.fetch.tables import resolve_cache_dir
    from ptoffact_build.publish.download import DOWNLOADS_FOLDER, download_release

    cache = resolve_cache_dir(args.cache_dir, os.environ)
    check_output_files(outputs, None, [(cache / DOWNLOADS_FOLDER).resolve()])
    return download_release(hub, cache, quiet=args.quiet)


def run_rows(args: argparse.Namespace, release: Path) -> int:
    """Re-check every row; exit 0, or DataInvalid with the same one line as ``validate``."""
    from ptoffact_build.jsonfile import write_json
    from ptoffact_build.progress import RowProgress
    from ptoffact_build.publish.rows import verify_rows
    from ptoffact_build.schema import TABLES

    progress = RowProgress.quiet() if args.quiet else RowProgress()
    checked = verify_rows(release, findings=args.findings, progress=progress)
    if args.report:
        write_json(args.report, rows_report(checked, release))
    if not checked.ok:  # the same line as validate gives
        from ptoffact_build.release import invalid_message  # imports the card's Hub client

        raise DataInvalid(invalid_message(checked.result, args.report, building=False))
    rows = ", ".join(f"{t} {checked.parquet_rows[t]:,}" for t in TABLES)
    print(f"rows ok: {rows}; every CSV row valid, the Parquet shards hold the same rows")
    return EXIT_OK


def rows_report(checked: RowsCheck, release: Path) -> dict[str, Any]:
    """The report, shaped as ``validate``'s (``validation_report.json``), plus what the
    Parquet side holds: its rows, its shards and the hash buckets that differ."""
    from ptoffact_build.describe.report import report_json

    report = report_json(checked.result, [])
    report["release"] = str(release)
    report["sources"] = [
        {"name": t.csv, "bytes": (release / t.csv).stat().st_size, "hash": t.csv_hash}
        for t in checked.tables.values()
    ]
    report["parquet"] = {
        name: {
            "shards": [shard.path for shard in table.shards],
            "rows": checked.parquet_rows[name],
            "differing_hash_buckets": checked.differing_buckets[name],
        }
        for name, table in checked.tables.items()
    }
    return report
