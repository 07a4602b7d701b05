"""The ``ptoffact`` command line.

Exit codes: 0 success; 1 data failed validation; 2 usage or configuration error;
3 a source that cannot be read.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, PtoffactError, UsageError
from .publish.command import add_publish_command, add_verify_command, run_publish, run_verify
from .read import BUILD_CHUNK_BYTES, DEFAULT_CHUNK_BYTES
from .rowprogress import Progress

DEFAULT_OUT = Path("dist/ptoffact")
ODP = "odp"
MB = 1 << 20


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
    parser.add_argument("--report", type=Path, help="write the validation report (JSON) here")
    parser.add_argument(
        "--chunk-mb",
        type=int,
        help="CSV megabytes read per batch (default: 16 for validate, 8 for build, which also "
        "holds its writers in memory)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_portal_arguments(parser)


def add_portal_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("USPTO Open Data Portal (with --source odp)")
    group.add_argument(
        "--api-url", help="API base URL (default: $PTOFFACT_API_URL or https://api.uspto.gov)"
    )
    group.add_argument(
        "--api-key-file",
        type=Path,
        help="read the API key from this file (default: $USPTO_API_KEY)",
    )
    group.add_argument(
        "--cache-dir",
        type=Path,
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
    main = argparse.ArgumentParser(prog="ptoffact", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="validate the sources and write a release folder")
    add_source_arguments(build)
    build.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="release folder (default %(default)s)"
    )
    build.add_argument(
        "--shard-mb", type=int, default=500, help="uncompressed MB per Parquet shard"
    )
    build.add_argument(
        "--row-group-mb", type=int, default=128, help="uncompressed MB per row group"
    )

    validate = commands.add_parser("validate", help="validate the sources; write only the report")
    add_source_arguments(validate)

    fetch = commands.add_parser("fetch", help="download the product's files into the cache")
    add_portal_arguments(fetch)

    generate = commands.add_parser("generate", help="regenerate the repository's generated files")
    generate.add_argument(
        "--check", action="store_true", help="only check they are fresh (exit 1 if not)"
    )

    load = commands.add_parser(
        "load", help="load a release with datasets.load_dataset and summarise it"
    )
    load.add_argument("release", nargs="?", type=Path, default=DEFAULT_OUT)
    add_publish_command(commands)
    add_verify_command(commands)
    return main


def progress_for(args: argparse.Namespace) -> Progress:
    return Progress.quiet() if getattr(args, "quiet", False) else Progress()


def fetch_files(args: argparse.Namespace, progress: Progress) -> tuple[list[Path], dict[str, dict]]:
    """Fetch the product's files (or take them from the cache); their paths and facts."""
    from .fetch import fetch_tables, resolve_api_key, resolve_api_url, resolve_cache_dir

    fetched = fetch_tables(
        api_url=resolve_api_url(args.api_url, os.environ),
        api_key=resolve_api_key(os.environ, args.api_key_file),
        cache_dir=resolve_cache_dir(args.cache_dir, os.environ),
        fmt=args.file_format,
        refresh=args.refresh,
        progress=io.StringIO() if getattr(args, "quiet", False) else sys.stderr,
    )
    facts = {
        f.path.name: {"sha256": f.sha256, "modified": f.modified, "fetched_at": f.fetched_at}
        for f in fetched
    }
    return [f.path for f in fetched], facts


def resolve(args: argparse.Namespace, progress: Progress):
    """The table sources named by ``--source`` (fetching first for ``odp``)."""
    from .sources import resolve_sources

    spec, facts = list(args.source), {}
    if ODP in spec:
        if len(spec) > 1:
            raise UsageError("--source odp cannot be combined with other sources")
        spec, facts = fetch_files(args, progress)
    return resolve_sources(spec), facts


def run_build(args: argparse.Namespace) -> int:
    from .release import ShardOptions, build_release

    progress = progress_for(args)
    sources, facts = resolve(args, progress)
    options = ShardOptions(shard_bytes=args.shard_mb * MB, row_group_bytes=args.row_group_mb * MB)
    result = build_release(
        sources,
        args.out,
        policy=args.on_error,
        report_path=args.report,
        progress=progress,
        chunk_bytes=args.chunk_mb * MB if args.chunk_mb else BUILD_CHUNK_BYTES,
        shard_options=options,
        fetched=facts,
    )
    rows = ", ".join(f"{t} {r.rows_valid:,}" for t, r in result.tables.items())
    held = sum(r.rows_quarantined for r in result.tables.values())
    extra = f"; {held:,} rows quarantined" if held else ""
    print(f"release written to {args.out} ({rows}{extra})")
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    from .pipeline import run_tables
    from .release import report_json, source_records, write_report

    progress = progress_for(args)
    sources, facts = resolve(args, progress)
    result = run_tables(
        sources,
        policy=args.on_error,
        progress=progress,
        chunk_bytes=args.chunk_mb * MB if args.chunk_mb else DEFAULT_CHUNK_BYTES,
    )
    if args.report:
        write_report(args.report, report_json(result, source_records(sources, facts)))
    if result.log.total:
        first = result.log.first()
        print(
            f"{result.log.total:,} validation error(s); first: {first.one_line()}", file=sys.stderr
        )
        return EXIT_INVALID
    rows = ", ".join(f"{t} {r.rows_valid:,}" for t, r in result.tables.items())
    print(f"valid: {rows}")
    return EXIT_OK


def run_fetch(args: argparse.Namespace) -> int:
    paths, _ = fetch_files(args, progress_for(args))
    for path in paths:
        print(path)
    return EXIT_OK


def run_generate(args: argparse.Namespace) -> int:
    from .generate import stale_files, write_generated

    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run `ptoffact generate`)", file=sys.stderr)
        return EXIT_INVALID if stale else EXIT_OK
    for path in write_generated():
        print(f"wrote {path}")
    return EXIT_OK


def run_load(args: argparse.Namespace) -> int:
    from ptoffact import load_release

    if not (args.release / "README.md").is_file():
        raise UsageError(f"{args.release}: not a release folder (run `ptoffact build` first)")
    summary = {}
    for table, dataset in load_release(args.release).items():
        summary[table] = {
            "rows": dataset.num_rows,
            "features": {k: str(v.dtype) for k, v in dataset.features.items()},
        }
        print(
            f"{table}: {dataset.num_rows:,} rows; first row: {json.dumps(dataset[0], default=str)}"
        )
    return EXIT_OK


COMMANDS = {
    "build": run_build,
    "validate": run_validate,
    "fetch": run_fetch,
    "generate": run_generate,
    "load": run_load,
    "publish": run_publish,
    "verify": run_verify,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; expected failures print one line and return their exit code."""
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except PtoffactError as error:
        print(f"ptoffact: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("ptoffact: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
