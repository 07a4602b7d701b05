"""A release folder held open: its files read through one directory descriptor.

Everything is opened relative to the folder's descriptor, one path part at a time, never
through a symbolic link and never waiting on a FIFO (:mod:`.ownfiles`). A build that swaps
another release in while the folder is read therefore cannot mix two releases: the reads see
the folder that was opened, and :meth:`ReleaseFolder.replaced` tells when the path now names
another one.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ptoffact_build.contents import (
    DATAPACKAGE,
    DATAPACKAGE_LIMIT,
    HUB_CACHE,
    NotARelease,
    ReleaseContents,
    contents_of,
    is_hub_addition,
    legacy_top_level,
    parse_package,
)
from ptoffact_build.ownfiles import OwnFileError, kind_of, open_own_file, read_own_file

FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True)
class Item:
    """Something found in a release folder: its path inside it and what it is."""

    path: str
    kind: str  # "file", "folder", or a kind in words ("a symbolic link", "a FIFO", ...)
    size: int = 0


class ReleaseFolder:
    """A folder opened for reading as a release (see :func:`open_release`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.fd = os.open(path, FOLDER_FLAGS)
        except FileNotFoundError:
            raise NotARelease(f"{path}: no such folder") from None
        except NotADirectoryError:
            raise NotARelease(f"{path}: not a folder") from None
        except OSError as error:
            raise NotARelease(f"{path}: cannot be read ({error.strerror})") from None
        self.identity = identity(os.fstat(self.fd))

    def close(self) -> None:
        os.close(self.fd)

    def replaced(self) -> bool:
        """Whether the path now names another folder than the one opened (a build swapped
        a new release in), or nothing."""
        try:
            return identity(os.stat(self.path)) != self.identity
        except OSError:
            return True

    def package(self) -> dict:
        """The datapackage, parsed; NotARelease when missing or unreadable."""
        try:
            data = self.read(DATAPACKAGE, DATAPACKAGE_LIMIT)
        except FileNotFoundError:
            raise NotARelease(f"{self.path}: not a release folder (no {DATAPACKAGE})") from None
        except (OSError, OwnFileError) as error:
            raise NotARelease(f"{self.path / DATAPACKAGE}: cannot be read ({error})") from None
        return parse_package(data, str(self.path / DATAPACKAGE))

    def contents(self) -> ReleaseContents:
        """What the release holds, from its datapackage."""
        return contents_of(self.package(), str(self.path / DATAPACKAGE))

    @contextmanager
    def folder_fd(self, relative: str) -> Iterator[int]:
        """A descriptor of a folder inside the release, reached part by part without
        following a symbolic link."""
        fd = os.dup(self.fd)
        try:
            for part in [p for p in relative.split("/") if p]:
                inner = os.open(part, FOLDER_FLAGS | NO_FOLLOW, dir_fd=fd)
                os.close(fd)
                fd = inner
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def open(self, relative: str) -> Iterator[io.BufferedReader]:
        """A regular file of the release opened for reading (OSError or OwnFileError when it
        is missing or anything else)."""
        folder, _, name = relative.rpartition("/")
        with self.folder_fd(folder) as fd, open_own_file(name, dir_fd=fd) as stream:
            yield stream

    def read(self, relative: str, limit: int) -> bytes:
        """The bytes of a regular file of the release of at most ``limit`` bytes (OSError or
        OwnFileError, FileTooLarge among them, when it is missing, larger or anything else)."""
        folder, _, name = relative.rpartition("/")
        with self.folder_fd(folder) as fd:
            return read_own_file(name, limit, dir_fd=fd)

    def items(self) -> list[Item]:
        """Everything in the folder, sorted by path, without following symbolic links; the
        download metadata of huggingface_hub (``.cache/huggingface``) is not entered."""
        found: list[Item] = []
        self.scan("", found)
        return sorted(found, key=lambda item: item.path)

    def scan(self, relative: str, found: list[Item]) -> None:
        folders = []
        with self.folder_fd(relative) as fd:
            for entry in os.scandir(fd):  # its stat() needs fd open
                path = f"{relative}/{entry.name}" if relative else entry.name
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed since it was listed
                    continue
                if stat.S_ISDIR(info.st_mode):
                    found.append(Item(path, "folder"))
                    folders.append(path)
                elif stat.S_ISREG(info.st_mode):
                    found.append(Item(path, "file", info.st_size))
                else:
                    found.append(Item(path, kind_of(info.st_mode)))
        for path in folders:
            if path == HUB_CACHE:  # huggingface_hub's metadata of a download
                continue
            try:
                self.scan(path, found)
            except OSError as error:  # no permission, or removed meanwhile
                found.append(Item(path, f"a folder that cannot be read ({error.strerror})"))


def identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


@contextmanager
def open_release(path: Path) -> Iterator[ReleaseFolder]:
    """A release folder held open while it is read."""
    folder = ReleaseFolder(path)
    try:
        yield folder
    finally:
        folder.close()


def strays(contents: ReleaseContents, items: list[Item]) -> list[Item]:
    """What a folder holds that its release does not: files and folders it does not list,
    and anything that is not a regular file or folder (symbolic links above all), but what
    the Hub adds to a downloaded copy."""
    folders = contents.folders()
    files = set(contents.files)
    found = []
    for item in items:
        if is_hub_addition(item.path, item.kind):
            continue
        expected = item.path in folders if item.kind == "folder" else item.path in files
        if not expected or item.kind not in ("file", "folder"):
            found.append(item)
    return found


def foreign_items(path: Path) -> list[str] | None:
    """What ``path`` (a folder) holds that a ptoffact release written there would not, by
    name; None when the folder is not a release at all (no readable ptoffact datapackage)."""
    with open_release(path) as folder:
        try:
            package = folder.package()
        except NotARelease:
            return None
        top = legacy_top_level(package)
        if top is not None:  # an earlier release: it listed only its top-level names
            return sorted(e.name for e in os.scandir(folder.fd) if e.name not in top)
        try:
            contents = contents_of(package)
        except NotARelease:
            return None
        return [f"{item.path} ({item.kind})" for item in strays(contents, folder.items())]
