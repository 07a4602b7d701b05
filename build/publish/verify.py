"""Checking that a release folder holds exactly its release (see :mod:`..contents`).

Every file the datapackage lists must be there, a regular file inside the folder (no
symbolic link, no FIFO or device), with the size and sha256 that the datapackage (for the
tables' files) and SHA256SUMS (for every file but itself) record; SHA256SUMS must list exactly
those files; and anything else in the folder is a problem that names it, except what the Hub
adds to a downloaded copy (``.gitattributes``, ``.cache/huggingface/``).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ptoffact_build.contents import SUMS, NotARelease, ReleaseContents
from ptoffact_build.errors import SourceError, UsageError
from ptoffact_build.hashing import stream_sha256
from ptoffact_build.ownfiles import OwnFileError
from ptoffact_build.release_folder import Item, ReleaseFolder, open_release, strays
from ptoffact_build.write.scratch import old_copies

SUMS_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")
LINE_LIMIT = 8192  # bytes of one SHA256SUMS line: a digest and a path
ATTEMPTS = 5  # reads of a release that a build keeps replacing before giving up
SWAP_WAIT = 0.05  # seconds to wait for a swap between its two renames
SHOWN = 20  # lines of a SHA256SUMS that names no file of the release, shown one by one


class ReleaseMismatch(SourceError):
    """A release that is incomplete, holds other files, or whose files differ from their
    records: refused for publishing (exit 3)."""


class ReleaseBusy(UsageError):
    """A release that a build replaced again and again while it was read (exit 2)."""


@dataclass
class Verified:
    """What a check of a release found: one line per problem, and the sha256 and size of
    each of its files that could be read."""

    contents: ReleaseContents
    problems: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def stray_problem(folder: ReleaseFolder, item: Item, listed: bool) -> str:
    """One line for something in the folder that does not belong to the release."""
    if item.kind == "a symbolic link":
        target = link_target(folder, item.path)
        return f"{item.path}: a symbolic link (to {target}); a release holds no links"
    if item.kind.startswith("a folder that"):
        return f"{item.path}: {item.kind}"
    if item.kind not in ("file", "folder"):
        return f"{item.path}: {item.kind}, not a regular file"
    if listed:
        return f"{item.path}: a folder where the release has a file"
    what = "a folder" if item.kind == "folder" else "a file"
    return f"{item.path}: {what} not in the release (datapackage.json does not list it)"


def link_target(folder: ReleaseFolder, relative: str) -> str:
    parent, _, name = relative.rpartition("/")
    try:
        with folder.folder_fd(parent) as fd:
            return os.readlink(name, dir_fd=fd)
    except OSError:
        return "?"


def file_digest(stream: io.BufferedReader) -> tuple[int, str]:
    """The size and sha256 of an open file."""
    size = os.fstat(stream.fileno()).st_size
    return size, stream_sha256(stream)


def sums_lines(stream: io.BufferedReader) -> Iterator[tuple[int, str | None, str]]:
    """The lines of a SHA256SUMS, one at a time: (number, digest or None, path or a reason)."""
    for number, line in enumerate(iter(lambda: stream.readline(LINE_LIMIT), b""), 1):
        if not line.endswith(b"\n") and len(line) == LINE_LIMIT:
            while (rest := stream.readline(LINE_LIMIT)) and not rest.endswith(b"\n"):
                pass
            yield number, None, "longer than any line ptoffact writes"
            continue
        try:
            text = line.decode("utf-8").rstrip("\n")
        except UnicodeDecodeError:
            yield number, None, "not UTF-8 text"
            continue
        if text.strip():
            match = SUMS_LINE.fullmatch(text)
            yield (
                (number, None, "not '<sha256>  <file>'")
                if match is None
                else (
                    number,
                    match[1].lower(),
                    match[2],
                )
            )


def read_sums(folder: ReleaseFolder, verified: Verified) -> dict[str, str]:
    """The digests SHA256SUMS gives, by path, read line by line; its faults go to
    ``verified.problems`` (lines naming no file of the release: the first few, then a count)."""
    files = set(verified.contents.files)
    digests: dict[str, str] = {}
    unknown = 0
    try:
        with folder.open(SUMS) as stream:
            for number, digest, text in sums_lines(stream):
                if digest is None:
                    verified.problems.append(f"{SUMS}: line {number}: {text}")
                elif text not in files or text == SUMS:
                    unknown += 1
                    if unknown <= SHOWN:
                        verified.problems.append(
                            f"{SUMS}: line {number} names {text!r}, not a file of the release"
                        )
                elif text in digests:
                    verified.problems.append(f"{SUMS}: line {number} lists {text} a second time")
                else:
                    digests[text] = digest
    except (OSError, OwnFileError):
        return digests  # the file itself is reported as missing or not a regular file
    if unknown > SHOWN:
        verified.problems.append(f"{SUMS}: {unknown - SHOWN:,} more such lines")
    return digests


def check_file(folder: ReleaseFolder, name: str, sums: dict[str, str], verified: Verified) -> None:
    """A file of the release against its records: the datapackage's size and sha256 for a
    table's file, SHA256SUMS's sha256 for every file but SHA256SUMS (one problem at most)."""
    try:
        with folder.open(name) as stream:
            size, digest = file_digest(stream)
    except FileNotFoundError:
        verified.problems.append(f"{name}: missing")
        return
    except (OSError, OwnFileError) as error:
        verified.problems.append(f"{name}: cannot be read ({error})")
        return
    verified.digests[name], verified.sizes[name] = digest, size
    recorded = verified.contents.recorded.get(name)
    if recorded is not None and recorded.size is not None and size != recorded.size:
        verified.problems.append(f"{name}: {size:,} bytes, recorded {recorded.size:,}")
    elif recorded is not None and digest != recorded.sha256:
        verified.problems.append(f"{name}: sha256 {digest} differs from datapackage.json's")
    elif name == SUMS:
        return
    elif name not in sums:
        verified.problems.append(f"{name}: not listed in {SUMS}")
    elif sums[name] != digest:
        verified.problems.append(f"{name}: sha256 {digest} differs from {SUMS}'s")


def verify_folder(folder: ReleaseFolder) -> Verified:
    """Every problem of an opened release folder (see the module's docstring)."""
    verified = Verified(folder.contents())
    items = folder.items()
    kinds = {item.path: item.kind for item in items}
    files = set(verified.contents.files)
    for item in strays(verified.contents, items):
        verified.problems.append(stray_problem(folder, item, item.path in files))
    sums = read_sums(folder, verified)
    for name in verified.contents.files:
        if name not in kinds:
            verified.problems.append(f"{name}: missing")
        elif kinds[name] == "file":  # the others were reported as strays
            check_file(folder, name, sums, verified)
    return verified


def verify_release(path: Path) -> Verified:
    """Check a release folder. When a build replaces it meanwhile (problems or an unreadable
    datapackage while the path came to name another folder, or no folder between the two
    renames of a swap), the new one is checked."""
    for _ in range(ATTEMPTS):
        try:
            verified = verify_once(path)
        except NotARelease:
            if not being_swapped(path):
                raise
            time.sleep(SWAP_WAIT)
            continue
        if verified is not None:
            return verified
    raise ReleaseBusy(f"{path}: a build is replacing this release; verify it once it is done")


def verify_once(path: Path) -> Verified | None:
    """The check of the folder at ``path``; None when it was replaced while read and found
    wanting (the new folder is to be checked)."""
    with open_release(path) as folder:
        try:
            verified = verify_folder(folder)
        except NotARelease:
            if not folder.replaced():
                raise
            return None
        return verified if verified.ok or not folder.replaced() else None


def being_swapped(path: Path) -> bool:
    """Whether nothing is at ``path`` while a set-aside release waits beside it (a build
    between the two renames of its swap, where one atomic exchange is not available)."""
    if path.exists() or path.is_symlink() or not path.parent.is_dir():
        return False
    return bool(old_copies(path))


def check_release(folder: ReleaseFolder) -> Verified:
    """Verify for publishing: the Verified release, or ReleaseMismatch naming each problem
    (NotARelease for a folder that is not a release)."""
    verified = verify_folder(folder)
    scripts = [name for name in verified.contents.files if name.endswith(".py")]
    verified.problems += [f"{name}: a Python file is not part of a release" for name in scripts]
    if not verified.ok:
        shown = "; ".join(verified.problems[:5])
        more = f"; and {len(verified.problems) - 5} more" if len(verified.problems) > 5 else ""
        raise ReleaseMismatch(
            f"{folder.path}: the release does not hold exactly what it records ({shown}{more}); "
            "nothing was uploaded"
        )
    return verified
