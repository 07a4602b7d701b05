"""The ``publish`` and ``verify`` commands: argparse wiring and what they run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ptoffact_build.errors import EXIT_INVALID, EXIT_OK, UsageError
from ptoffact_build.publish.files import release_files
from ptoffact_build.publish.rowscommand import add_rows_arguments, release_to_verify, run_rows
from ptoffact_build.publish.verify import check_release, verify_release
from ptoffact_build.release_folder import open_release

PUBLISH_EPILOG = """\
The token comes from HF_TOKEN or the login stored by `hf auth login`; it is never printed.
The Hub's address comes from HF_ENDPOINT (default https://huggingface.co).

Exit codes: 0 published (or already up to date); 2 bad arguments, a folder that is not a
release, no token, a token the Hub rejects, or a tag that already names other files; 3 the
release is incomplete, holds other files or symbolic links, or its files do not match their
recorded sha256 (nothing is uploaded); 4 the Hub or the network failed (the one commit either
landed whole or not at all)."""


def release_command(
    commands: argparse._SubParsersAction, name: str, purpose: str, **details: Any
) -> argparse.ArgumentParser:
    """A sub-command that takes a release folder as its one positional argument."""
    command = commands.add_parser(name, help=purpose, **details)
    command.add_argument("release", type=Path, metavar="RELEASE", help="the release folder")
    return command


def add_publish_command(commands: argparse._SubParsersAction) -> None:
    publish = release_command(
        commands,
        "publish",
        "upload a release to a Hugging Face Hub dataset repository in one commit",
        description="Verify a release folder (as `ptoffact verify` does), then upload exactly the\n"
        "files it records to a Hugging Face Hub dataset repository in one commit, and tag\n"
        "that commit. A release holding anything else, or any symbolic link, is refused.\n"
        "Unchanged files are not uploaded again; an unchanged release makes no commit.",
        epilog=PUBLISH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    publish.add_argument(
        "--repo",
        required=True,
        metavar="OWNER/NAME",
        help="the dataset repository (created if missing)",
    )
    publish.add_argument(
        "--tag",
        help="tag for the commit (default: the release's version in datapackage.json, which "
        "follows its content); a tag that already names other files is refused",
    )
    publish.add_argument(
        "--private", action="store_true", help="create the repository private (if it is missing)"
    )
    publish.add_argument(
        "--create-pr",
        action="store_true",
        help="open a pull request against main instead of committing to it (not tagged: tag "
        "after merging by publishing again)",
    )
    publish.add_argument(
        "--dry-run",
        action="store_true",
        help="verify the release and list every file with its size; contact nothing",
    )


def add_verify_command(commands: argparse._SubParsersAction) -> None:
    verify = commands.add_parser(
        "verify",
        help="check that a release folder holds exactly its files, with their recorded sha256 "
        "(and, with --rows, every row)",
        description="Check that a release folder holds exactly the files its datapackage.json "
        "lists: each present, a regular file (no symbolic link), with the size and sha256 that "
        "datapackage.json and SHA256SUMS record, and nothing else (but what the Hub adds to a "
        "downloaded copy: .gitattributes, .cache/huggingface/); with --rows, also re-check every "
        "row. RELEASE is a folder, or OWNER/NAME[@REVISION] for a release published on the "
        "Hugging Face Hub, downloaded first into the cache. Exit 0 when all is well, 1 naming "
        "each problem (or with --rows, the findings), 2 when the folder is not a release, 3 when "
        "a file cannot be read, 4 when the Hub or the network fails.",
    )
    verify.add_argument(
        "release", metavar="RELEASE", help="the release folder, or OWNER/NAME[@REVISION] on the Hub"
    )
    add_rows_arguments(verify)


def default_tag(version: str, release: Path) -> str:
    """The release's version, from its datapackage.json."""
    if not version:
        raise UsageError(f"{release / 'datapackage.json'} has no version: pass --tag")
    return version


def run_verify(args: argparse.Namespace) -> int:
    release = release_to_verify(args)
    verified = verify_release(release)
    for line in verified.problems:
        print(f"ptoffact: {release}: {line}", file=sys.stderr)
    files = len(verified.contents.files)
    if verified.problems:
        found = len(verified.problems)
        print(f"{found} problem(s) in a release of {files} file(s)", file=sys.stderr)
        return EXIT_INVALID
    print(f"ok: the release's {files} file(s) match their records, and it holds nothing else")
    return run_rows(args, release) if args.rows else EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    from ptoffact_build.publish.hub import Publisher, check_repo_id, check_tag, resolve_token
    from ptoffact_build.publish.hubcard import hub_files

    repo_id = check_repo_id(args.repo)
    with open_release(args.release) as folder:
        verified = check_release(folder)
        files = release_files(verified, hub_files(folder, repo_id))
        tag = check_tag(args.tag or default_tag(verified.contents.version, args.release))
        if args.dry_run:
            return dry_run(files, repo_id, tag)
        token = resolve_token()
        outcome = Publisher(folder, files, repo_id, token).run(tag, args.private, args.create_pr)
    print(f"{repo_id}: {outcome.summary}")
    print(outcome.url)
    return EXIT_OK


def dry_run(files, repo_id: str, tag: str) -> int:
    for item in files:
        print(f"{item.size:>14,}  {item.path}")
    total = sum(item.size for item in files)
    print(f"dry run: would publish {len(files)} files ({total:,} bytes) to {repo_id}, tag {tag}")
    return EXIT_OK
