"""Scratch folders a run owns, and putting a finished release in place, recoverably.

A scratch folder is named ``.<stem>.building-<pid>-<random>`` and holds a marker file
(:data:`SCRATCH_MARK`: the owner's PID and host) written first and removed last, so a folder
is only ever removed when it is provably ours and its process is gone.

The swap renames the old release to ``.<name>.old-<pid>``, then the new one to ``<name>``.
A run killed between the two renames leaves no folder at ``<name>``: the next build puts
the old release back (:func:`recover_swap`); one killed after both removes the old copy.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import socket
from pathlib import Path

from ptoffact_build.contents import DATAPACKAGE, NotARelease
from ptoffact_build.errors import UsageError
from ptoffact_build.jsonfile import write_json
from ptoffact_build.release_folder import foreign_items

SCRATCH_MARK = ".ptoffact-scratch"
RELEASE_MARK = DATAPACKAGE  # removed last, so a half-removed release is still known
BUILDING = re.compile(r"^\..+\.building-(?P<pid>\d+)-[^/]*$")


def is_release(folder: Path) -> bool:
    """A folder a ptoffact build wrote, holding nothing its release does not
    (:mod:`ptoffact_build.contents`)."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        return foreign_items(folder) == []
    except (NotARelease, OSError):
        return False


def foreign_entries(folder: Path) -> list[str]:
    """What a folder holds that a release would not (all its entries if it is not one)."""
    found = foreign_items(folder)
    return sorted(e.name for e in folder.iterdir()) if found is None else found


def new_folder(where: Path, prefix: str) -> Path:
    """A new folder ``<prefix><random>`` in ``where``, its mode set by the umask like any
    folder the user makes (``tempfile.mkdtemp`` would make it 0700, and the scratch folder
    becomes the release, which others may need to read)."""
    for _ in range(100):
        folder = where / f"{prefix}{secrets.token_hex(4)}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(errno.EEXIST, "no unused scratch folder name", str(where))


def make_scratch(where: Path, stem: str) -> Path:
    """A new scratch folder in ``where`` (made if needed), marked as this process's."""
    try:
        where.mkdir(parents=True, exist_ok=True)
        folder = new_folder(where, f".{stem}.building-{os.getpid()}-")
        owner = {"pid": os.getpid(), "host": socket.gethostname()}
        write_json(folder / SCRATCH_MARK, owner)
    except OSError as error:
        raise UsageError(f"cannot write in {where}: {error.strerror or error}") from None
    return folder


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists (when unsure, it does)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there: never guess
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def stale_scratch(folder: Path) -> bool:
    """A scratch folder of ours whose process has ended (on this host)."""
    match = BUILDING.match(folder.name)
    if not match or folder.is_symlink() or not folder.is_dir():
        return False
    try:
        owner = json.loads((folder / SCRATCH_MARK).read_text(encoding="utf-8"))
        pid, host = int(owner["pid"]), owner["host"]
    except FileNotFoundError:  # killed before the marker was written or after its removal
        if any(folder.iterdir()) and not is_release(folder):
            return False
        pid, host = int(match["pid"]), socket.gethostname()
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return host == socket.gethostname() and not pid_alive(pid)


def clean_stale_scratch(where: Path) -> list[Path]:
    """Remove the scratch folders in ``where`` left by ended runs; the ones removed."""
    removed: list[Path] = []
    if not where.is_dir():
        return removed
    for folder in sorted(where.glob(".*.building-*")):
        if stale_scratch(folder):
            try:
                remove_tree(folder, SCRATCH_MARK)
            except OSError:  # e.g. another user's: not ours to force
                continue
            removed.append(folder)
    return removed


def remove_tree(folder: Path, mark: str) -> None:
    """Remove a folder of ours, its marker file last (a crash midway leaves it known)."""
    for entry in list(folder.iterdir()):
        if entry.name in (mark, SCRATCH_MARK):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (folder / mark).unlink(missing_ok=True)
    (folder / SCRATCH_MARK).unlink(missing_ok=True)
    folder.rmdir()


def remove_scratch(folder: Path) -> None:
    """Remove this run's scratch folder, whatever is left in it."""
    if folder.exists():
        try:
            remove_tree(folder, SCRATCH_MARK)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)


def old_copies(out: Path) -> list[tuple[Path, int]]:
    """The ``.<name>.old-<pid>`` folders beside ``out``, with their PIDs."""
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.old-(\d+)$")
    found = []
    if out.parent.is_dir():
        for entry in out.parent.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink():
                found.append((entry, int(match[1])))
    return sorted(found)


def recover_swap(out: Path) -> list[str]:
    """Finish the swap of a run killed midway; what was done, in words."""
    done = []
    for old, pid in old_copies(out):
        if pid_alive(pid) or not is_release(old):
            continue
        try:
            if not out.exists() and not out.is_symlink():
                old.rename(out)
                done.append(f"restored the release {out} left by an interrupted build")
            elif is_release(out):
                remove_tree(old, RELEASE_MARK)
                done.append(f"removed {old.name}, the previous release of an interrupted build")
        except OSError as error:
            raise UsageError(f"cannot finish the interrupted swap of {old}: {error}") from None
    return done


def swap_into_place(work: Path, out: Path) -> None:
    """Put the finished folder ``work`` at ``out`` (a release of ours, an empty folder or
    nothing), keeping the old release until the new one is in."""
    (work / SCRATCH_MARK).unlink()  # from here on, ``work`` is known as a release
    old = None
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    elif out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        work.rename(out)
    except OSError as error:
        if old is not None and not out.exists():
            old.rename(out)
        raise UsageError(f"cannot put the release in place at {out}: {error}") from None
    if old is not None:
        with contextlib.suppress(OSError):  # the new release is in; a later build retries
            remove_tree(old, RELEASE_MARK)
