"""The ``ptoffact`` command line's arguments: every command and option, their ranges and help.

:mod:`.cli` parses with :func:`parser` and runs the commands; the repository's generated
README synopsis is rendered from the same parser (:mod:`.devtools.generate`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ptoffact_build.errors import UsageError
from ptoffact_build.publish.command import add_publish_command, add_verify_command
from ptoffact_build.synthetic.command import add_synthesize_command
from ptoffact_build.write.outpath import add_report_arguments

DESCRIPTION = (
    "Validate the USPTO Office Action Research Dataset (PTOFFACT) against its Table Schemas "
    "and write it as a release of Parquet shards, gzip CSV copies, a dataset card and its "
    "metadata; check, describe and publish releases."
)

DEFAULT_OUT = Path("dist/ptoffact")
ODP = "odp"
REGENERATE = "regenerate-files"
OLD_NAMES = {"generate": REGENERATE}
"""Former command names, still accepted (not shown in --help) with a note on stderr."""
MB = 1 << 20
# The size options' ranges in MB (README, "The command line": sizes). A batch of CSV costs about 11
# times its size in memory and reads no faster past a few MB; a shard is written one row group
# at a time, and the Hub recommends files under 20 GB; the Hub's viewer refuses row groups over
# about 286 MiB, and a group's rows are counted from the first rows' sizes: 256 leaves room.
SIZE_RANGES = {"chunk_mb": (1, 64), "shard_mb": (1, 16384), "row_group_mb": (1, 256)}


def size_range(name: str) -> str:
    """The allowed range of a size option, in words for --help."""
    least, most = SIZE_RANGES[name]
    return f"{least} to {most}"


def check_sizes(args: argparse.Namespace) -> None:
    """A usage error naming the allowed range for a size option outside it."""
    for name, (least, most) in SIZE_RANGES.items():
        value = getattr(args, name, None)
        if value is not None and not least <= value <= most:
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} {value}: out of range; give {least} to {most} (MB)")
    shard, group = getattr(args, "shard_mb", None), getattr(args, "row_group_mb", None)
    if shard is not None and group is not None and group > shard:
        raise UsageError(
            f"--row-group-mb {group} is more than --shard-mb {shard}: a shard holds whole "
            "row groups; give a smaller row group or a larger shard"
        )


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        nargs="+",
        default=["sample"],
        metavar="SRC",
        help="'sample' (the embedded sample, default), 'odp' (fetch from the USPTO Open Data "
        "Portal), a folder, or files: .csv.zip/.zip as distributed, .csv or .csv.gz (BigQuery "
        "shards too), .dta or .dta.zip",
    )
    parser.add_argument(
        "--on-error",
        choices=["fail", "quarantine"],
        default="fail",
        help="rows that break the schema: fail the run (default), or set them "
        "aside in quarantine/<table>.csv with their reasons",
    )
    add_report_arguments(parser)
    parser.add_argument(
        "--chunk-mb",
        type=int,
        metavar="MB",
        help=f"CSV megabytes read per batch, {size_range('chunk_mb')} (default: 8)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_portal_arguments(parser)


def add_portal_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("USPTO Open Data Portal (with --source odp)")
    group.add_argument(
        "--api-url",
        metavar="URL",
        help="API base URL (default: $PTOFFACT_API_URL or https://api.uspto.gov)",
    )
    group.add_argument(
        "--api-key-file",
        type=Path,
        metavar="FILE",
        help="read the API key from this file (default: $USPTO_API_KEY)",
    )
    group.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="download cache (default: $PTOFFACT_CACHE or the user cache folder)",
    )
    group.add_argument(
        "--format",
        choices=["csv", "dta"],
        default="csv",
        dest="file_format",
        help="which of the portal's files to fetch (default csv)",
    )
    group.add_argument("--refresh", action="store_true", help="download again even if cached")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="ptoffact", description=DESCRIPTION)
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="validate the sources and write a release folder")
    add_source_arguments(build)
    build.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        metavar="DIR",
        help="release folder (default %(default)s): a new or empty folder, or a release "
        "ptoffact wrote, which is replaced; anything else is refused",
    )
    build.add_argument(
        "--repo",
        metavar="OWNER/NAME",
        help="write the card's loading examples for this Hugging Face Hub dataset repository "
        "(default: examples that run from inside the release folder; `publish` writes them "
        "for its --repo in the README it uploads)",
    )
    build.add_argument(
        "--shard-mb",
        type=int,
        default=500,
        metavar="MB",
        help=f"uncompressed MB per Parquet shard, {size_range('shard_mb')} (default %(default)s)",
    )
    build.add_argument(
        "--row-group-mb",
        type=int,
        default=128,
        metavar="MB",
        help=f"uncompressed MB per row group, {size_range('row_group_mb')}, at most --shard-mb "
        "(default %(default)s)",
    )

    validate = commands.add_parser("validate", help="validate the sources; write only the report")
    add_source_arguments(validate)

    fetch = commands.add_parser("fetch", help="download the product's files into the cache")
    add_portal_arguments(fetch)
    add_synthesize_command(commands)

    regenerate = commands.add_parser(
        REGENERATE,
        help="rewrite the repository's generated files (README blocks, datapackage.json)",
    )
    regenerate.add_argument(
        "--check", action="store_true", help="only check they are fresh (exit 1 if not)"
    )

    load = commands.add_parser(
        "load", help="load a release with datasets.load_dataset and summarise it"
    )
    load.add_argument(
        "release",
        nargs="?",
        type=Path,
        default=DEFAULT_OUT,
        metavar="RELEASE",
        help="release folder (default %(default)s)",
    )
    describe = commands.add_parser(
        "describe",
        help="measure a release's shards again and rewrite its card, figures, metadata "
        "and report statistics",
        description="Measure an existing release from its own Parquet shards and write its "
        "card, figures, datapackage.json, croissant.json and report statistics again, as "
        "`build` writes them for "
        "the same rows (the sources are not needed). SHA256SUMS is rewritten so the release "
        "still verifies; no other file is touched.",
    )
    describe.add_argument("release", type=Path, metavar="RELEASE", help="the release folder")
    describe.add_argument(
        "--repo",
        metavar="OWNER/NAME",
        help="write the card's loading examples for this Hugging Face Hub dataset repository "
        "(default: examples that run from inside the release folder)",
    )
    add_publish_command(commands)
    add_verify_command(commands)
    return main
