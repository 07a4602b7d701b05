"""Reading files that ptoffact wrote itself (a release's datapackage.json and SHA256SUMS, a
scratch folder's marker, a report), safely whatever now sits at their path.

A FIFO there would block a plain ``open`` until some writer comes, a device such as
``/dev/zero`` never ends, and a symbolic link may lead out of the folder: each file is opened
without following a final symlink and without waiting (``O_NONBLOCK``), then refused unless
``fstat`` says it is a regular file, and it is read only up to a size limit.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
    stat.S_IFLNK: "a symbolic link",
}


class OwnFileError(ValueError):
    """A file ptoffact meant to read that is not what it wrote; ``str()`` is one line."""


class NotRegularFile(OwnFileError):
    """Something other than a regular file: a FIFO, device, socket, folder or symlink."""


class FileTooLarge(OwnFileError):
    """A file larger than ptoffact ever writes at that place."""


def kind_of(mode: int) -> str:
    """What a file mode says a file is, in words."""
    return KINDS.get(stat.S_IFMT(mode), "not a regular file")


def open_own_file(path: str | Path, dir_fd: int | None = None) -> io.BufferedReader:
    """``path`` (relative to ``dir_fd`` if given) opened for reading in binary mode.

    NotRegularFile unless it is a regular file (a final symlink is not followed); OSError when
    it cannot be opened (missing, no permission)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as error:
        mode = symlink_mode(path, dir_fd)
        if mode is not None:  # O_NOFOLLOW refused a symlink (ELOOP)
            raise NotRegularFile(f"{path}: {kind_of(mode)}, not a regular file") from None
        raise error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"{path}: {kind_of(mode)}, not a regular file")
        os.set_blocking(fd, True)
        return io.open(fd, "rb")  # noqa: UP020 (an fd, typed as BufferedReader)
    except BaseException:
        os.close(fd)
        raise


def symlink_mode(path: str | Path, dir_fd: int | None) -> int | None:
    """The mode of ``path`` itself when it is a symbolic link, else None."""
    try:
        mode = os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return None
    return mode if stat.S_ISLNK(mode) else None


def read_own_file(path: str | Path, limit: int, dir_fd: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; FileTooLarge past it."""
    with open_own_file(path, dir_fd) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"{path}: larger than {limit:,} bytes, more than ptoffact writes there")
    return data
