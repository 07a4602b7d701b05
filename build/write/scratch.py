"""Scratch folders a run owns, and putting a finished release in place, recoverably.

A scratch folder is named ``.<stem>.building-<pid>-<random>`` and holds a marker file
(:data:`SCRATCH_MARK`: the owner's PID and host) written first and removed last, so a folder
is only ever removed when it is provably ours and its process is gone.

Putting a release in place over an earlier one (:func:`swap_into_place`): on Linux the two
folders are exchanged in one atomic step (``renameat2`` with ``RENAME_EXCHANGE``), so
``<name>`` always holds a complete release, the old one or the new; the old one, now at the
scratch folder's name and with no marker, is then removed, and a run killed before that is
cleaned up by the next build like any stale scratch folder. Where the exchange is not
available (another system, an old libc, a file system that refuses it) the old release is
renamed to ``.<name>.old-<pid>``, then the new one to ``<name>``: a run killed between the
two renames leaves no folder at ``<name>``, and the next build puts the old release back
(:func:`recover_swap`); one killed after both removes the old copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import re
import secrets
import shutil
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ptoffact_build.contents import DATAPACKAGE, NotARelease
from ptoffact_build.errors import UsageError
from ptoffact_build.jsonfile import write_json
from ptoffact_build.ownfiles import OwnFileError, read_own_file
from ptoffact_build.release_folder import foreign_items

SCRATCH_MARK = ".ptoffact-scratch"
RELEASE_MARK = DATAPACKAGE  # removed last, so a half-removed release is still known
BUILDING = re.compile(r"^\..+\.building-(?P<pid>\d+)-[^/]*$")
MARK_LIMIT = 4096  # a scratch marker holds a PID and a host name
AT_FDCWD = -100  # <fcntl.h>: paths relative to the working folder
RENAME_EXCHANGE = 2  # <linux/fs.h>
# what renameat2 answers where the exchange is not supported: the caller renames twice instead
NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP}


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
        owner = json.loads(read_own_file(folder / SCRATCH_MARK, MARK_LIMIT))
        pid, host = int(owner["pid"]), owner["host"]
    except FileNotFoundError:  # killed before the marker was written or after its removal
        if any(folder.iterdir()) and not is_release(folder):
            return False
        pid, host = int(match["pid"]), socket.gethostname()
    except (OSError, OwnFileError, ValueError, KeyError, TypeError):
        return False
    return host == socket.gethostname() and not pid_alive(pid)


def clean_stale_scratch(where: Path) -> list[Path]:
    """Remove the scratch folders in ``where`` left by ended runs; the ones removed."""
    removed: list[Path] = []
    try:
        found = sorted(where.glob(".*.building-*")) if where.is_dir() else []
    except OSError:  # a folder this user cannot look into: nothing of ours to remove there
        return removed
    for folder in found:
        if stale_scratch(folder):
            try:  # it may hold a release (the old one, after an exchange): its marker goes last
                remove_tree(folder, RELEASE_MARK)
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


@functools.cache
def renameat2() -> Callable[..., int] | None:
    """libc's ``renameat2``, or None where there is none (not Linux, glibc before 2.28)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    call.restype = ctypes.c_int
    return call


def exchange(a: Path, b: Path) -> bool:
    """Exchange two existing paths in one atomic step; False, with nothing done, where the
    system or the file system cannot (the caller then renames twice); OSError otherwise."""
    call = renameat2()
    if call is None:
        return False
    if call(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def swap_into_place(work: Path, out: Path) -> None:
    """Put the finished folder ``work`` at ``out`` (a release of ours, an empty folder or
    nothing), keeping the old release until the new one is in."""
    (work / SCRATCH_MARK).unlink()  # from here on, ``work`` is known as a release
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    try:
        if out.exists():
            old = work if exchange(work, out) else rename_twice(work, out)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            work.rename(out)
            return
    except OSError as error:
        raise UsageError(f"cannot put the release in place at {out}: {error}") from None
    with contextlib.suppress(OSError):  # the new release is in; a later build retries
        remove_tree(old, RELEASE_MARK)


def rename_twice(work: Path, out: Path) -> Path:
    """Set the release at ``out`` aside, then rename ``work`` to ``out``; where the old one
    went. A failure of the second rename puts the old one back."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    try:
        work.rename(out)
    except OSError:
        if not out.exists():
            old.rename(out)
        raise
    return old
