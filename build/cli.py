"""The ``ptoffact`` command line.

Exit codes: 0 success; 1 data failed validation; 2 usage or configuration error;
3 a source that cannot be read; 70 an unexpected error (a bug; traceback saved to a file);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ptoffact_build.arguments import MB, ODP, OLD_NAMES, REGENERATE, check_sizes, parser
from ptoffact_build.errors import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    DataInvalid,
    PtoffactError,
    Terminated,
    UsageError,
)
from ptoffact_build.progress import RowProgress, bars_ended
from ptoffact_build.publish.command import run_publish, run_verify
from ptoffact_build.read.csv_reader import DEFAULT_CHUNK_BYTES
from ptoffact_build.synthetic.command import run_synthesize

if TYPE_CHECKING:
    from ptoffact_build.pipeline import CheckOptions
    from ptoffact_build.read.sources import SourceFile

# Output problems found while writing (a full disk, a quota, a file system made read-only):
# usage errors, not bugs. Scratch is removed on the way out, so nothing half-written stays.
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def progress_for(args: argparse.Namespace) -> RowProgress:
    return RowProgress.quiet() if getattr(args, "quiet", False) else RowProgress()


def fetch_files(
    args: argparse.Namespace, progress: RowProgress
) -> tuple[list[Path], dict[str, dict]]:
    """Fetch the product's files (or take them from the cache); their paths, and what the
    portal said of each (by file name)."""
    from ptoffact_build.fetch.tables import (
        fetch_tables,
        resolve_api_key,
        resolve_api_url,
        resolve_cache_dir,
    )

    fetched = fetch_tables(
        api_url=resolve_api_url(args.api_url, os.environ),
        api_key=resolve_api_key(os.environ, args.api_key_file),
        cache_dir=resolve_cache_dir(args.cache_dir, os.environ),
        fmt=args.file_format,
        refresh=args.refresh,
        progress=io.StringIO() if getattr(args, "quiet", False) else sys.stderr,
    )
    told = {
        f.path.name: {"sha256": f.sha256, "modified": f.modified, "fetched_at": f.fetched_at}
        for f in fetched
    }
    return [f.path for f in fetched], told


def resolve(
    args: argparse.Namespace, progress: RowProgress
) -> tuple[dict[str, list[SourceFile]], dict[str, dict]]:
    """The table sources named by ``--source`` (fetching first for ``odp``), and what the
    portal said of the files it fetched."""
    from ptoffact_build.read.access import check_readable, source_access
    from ptoffact_build.read.sources import resolve_sources

    spec = list(args.source)
    fetched: dict[str, dict] = {}
    if ODP in spec:
        if len(spec) > 1:
            raise UsageError("--source odp cannot be combined with other sources")
        spec, fetched = fetch_files(args, progress)
    with source_access():
        sources = resolve_sources(spec)
    check_readable(sources)
    return sources, fetched


def check_options(args: argparse.Namespace) -> CheckOptions:
    """How ``build`` and ``validate`` check the sources, from their options."""
    from ptoffact_build.pipeline import CheckOptions

    chunk = args.chunk_mb * MB if args.chunk_mb else DEFAULT_CHUNK_BYTES
    return CheckOptions(policy=args.on_error, chunk_bytes=chunk, findings=args.findings)


def run_build(args: argparse.Namespace) -> int:
    from ptoffact_build.allocators import use_lean_allocators
    from ptoffact_build.publish.hub import check_repo_id
    from ptoffact_build.read.access import source_access
    from ptoffact_build.release import BuildOptions, ShardOptions, build_release, output_files
    from ptoffact_build.write.outpath import (
        check_findings,
        check_out,
        check_output_files,
        source_roots,
    )

    check_sizes(args)
    named = [s for s in args.source if s != ODP]
    repo = None if args.repo is None else check_repo_id(args.repo)
    with source_access():
        roots = source_roots(named, [Path(s) for s in named if Path(s).is_file()])
    out = check_out(args.out, roots)  # before fetching or reading anything
    check_output_files(output_files(out, args.report, args.findings), out, roots)
    check_findings(args.findings)
    progress = progress_for(args)
    sources, fetched = resolve(args, progress)
    use_lean_allocators(map_large_blocks=True)
    options = BuildOptions(
        check=check_options(args),
        shards=ShardOptions(args.shard_mb * MB, args.row_group_mb * MB),
        report=args.report,
        repo=repo,
        source_spec=tuple(named),
        fetched=fetched,
    )
    result = build_release(sources, out, options, progress)
    rows = ", ".join(f"{t} {r.rows_valid:,}" for t, r in result.tables.items())
    held = sum(r.rows_quarantined for r in result.tables.values())
    extra = f"; {held:,} rows quarantined" if held else ""
    print(f"release written to {args.out} ({rows}{extra})")
    return EXIT_OK


def run_validate(args: argparse.Namespace) -> int:
    from ptoffact_build.allocators import use_lean_allocators
    from ptoffact_build.describe.report import report_json, source_records
    from ptoffact_build.jsonfile import write_json
    from ptoffact_build.pipeline import run_tables
    from ptoffact_build.write.outpath import check_findings, check_output_files, source_roots

    check_sizes(args)
    outputs = {"--report": args.report, "--findings": args.findings}
    check_output_files(outputs)
    check_findings(args.findings)
    progress = progress_for(args)
    sources, fetched = resolve(args, progress)
    files = [s.path for found in sources.values() for s in found]
    check_output_files(outputs, None, source_roots([s for s in args.source if s != ODP], files))
    use_lean_allocators()
    result = run_tables(sources, check_options(args), progress=progress)
    if args.report:
        write_json(args.report, report_json(result, source_records(sources, fetched)))
    if result.log.total:  # the same line as build gives, less the word on the release
        from ptoffact_build.release import invalid_message  # imports the card's Hub client

        raise DataInvalid(invalid_message(result, args.report, building=False))
    rows = ", ".join(f"{t} {r.rows_valid:,}" for t, r in result.tables.items())
    print(f"valid: {rows}")
    return EXIT_OK


def run_fetch(args: argparse.Namespace) -> int:
    paths, _ = fetch_files(args, progress_for(args))
    for path in paths:
        print(path)
    return EXIT_OK


def run_regenerate_files(args: argparse.Namespace) -> int:
    from ptoffact_build.devtools.generate import stale_files, write_generated

    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run `ptoffact {REGENERATE}`)", file=sys.stderr)
        return EXIT_INVALID if stale else EXIT_OK
    for path in write_generated():
        print(f"wrote {path}")
    return EXIT_OK


def run_load(args: argparse.Namespace) -> int:
    from ptoffact import load_release
    from ptoffact_build.progress import library_bars_on_terminal_only
    from ptoffact_build.release_folder import open_release

    with open_release(args.release) as folder:
        tables = folder.contents().tables  # NotARelease (exit 2) for any other folder
    with library_bars_on_terminal_only():
        loaded = load_release(args.release, tables)
    for table, dataset in loaded.items():
        print(
            f"{table}: {dataset.num_rows:,} rows; first row: {json.dumps(dataset[0], default=str)}"
        )
    return EXIT_OK


def run_describe(args: argparse.Namespace) -> int:
    from ptoffact_build.allocators import use_lean_allocators
    from ptoffact_build.describe.existing import describe_release
    from ptoffact_build.publish.hub import check_repo_id

    repo = None if args.repo is None else check_repo_id(args.repo)
    use_lean_allocators()
    facts = describe_release(args.release, repo)
    rows = ", ".join(f"{t} {facts.rows(t):,}" for t in facts.tables)
    print(f"described {args.release} ({rows})")
    return EXIT_OK


def run_verify_command(args: argparse.Namespace) -> int:
    from ptoffact_build.allocators import use_lean_allocators

    if args.rows:  # every row re-checked, as validate checks them
        use_lean_allocators()
    return run_verify(args)


COMMANDS = {
    "build": run_build,
    "describe": run_describe,
    "validate": run_validate,
    "fetch": run_fetch,
    "synthesize": run_synthesize,
    REGENERATE: run_regenerate_files,
    "load": run_load,
    "publish": run_publish,
    "verify": run_verify_command,
}


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While running, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main
    thread, so it is cleaned up after exactly like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    before = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; expected failures print one line and return their exit code."""
    from ptoffact_build.pools import worker_pools

    args = parser().parse_args(renamed(sys.argv[1:] if argv is None else list(argv)))
    try:
        with bars_ended(), sigterm_as_interrupt(), worker_pools():
            return COMMANDS[args.command](args)
    except PtoffactError as error:
        print(f"ptoffact: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as stop:
        if isinstance(stop, Terminated):
            print("ptoffact: terminated (SIGTERM); nothing was replaced", file=sys.stderr)
            return EXIT_TERMINATED
        print("ptoffact: interrupted; nothing was replaced", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        quiet_stdout()
        return EXIT_USAGE
    except OSError as error:
        if error.errno not in OUTPUT_ERRNOS:
            return report_bug(error, args)
        where = f" ({error.filename})" if error.filename else ""
        print(f"ptoffact: error: cannot write{where}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:  # a bug: one line, the traceback in a file
        return report_bug(error, args)


def renamed(argv: list[str]) -> list[str]:
    """``argv`` with a former command name replaced by today's (and a note saying so)."""
    if argv and argv[0] in OLD_NAMES:
        new = OLD_NAMES[argv[0]]
        print(f"ptoffact: `{argv[0]}` is now called `{new}`; running that", file=sys.stderr)
        return [new, *argv[1:]]
    return argv


def quiet_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit fails no more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def report_bug(error: Exception, args: argparse.Namespace) -> int:
    """Save the traceback of an unexpected error and print one line pointing to it."""
    from ptoffact_build.crash import bug_line, crash_folders, save_traceback, secrets_of

    secrets = secrets_of(os.environ, getattr(args, "api_key_file", None))
    try:
        folders = crash_folders(getattr(args, "cache_dir", None), os.environ)
    except Exception:
        folders = []
    saved = save_traceback(error, folders, secrets)
    print(bug_line(error, saved, secrets), file=sys.stderr)
    return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
