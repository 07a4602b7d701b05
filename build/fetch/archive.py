"""Checks on a downloaded file before it is trusted: size, not HTML, a sound one-member zip.

:func:`verify_zip` reads every byte (the CRC of the member, then the sha256 of the file) and
raises :class:`BadFile` with a one-line reason on the first problem.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath

from ptoffact_build.errors import SourceError
from ptoffact_build.hashing import file_sha256
from ptoffact_build.read.streams import single_member

CHUNK = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"


class BadFile(SourceError):
    """A downloaded file that must not be trusted; the message is one line."""


class Unverifiable(BadFile):
    """A zip that may be sound but that Python cannot check (e.g. a Deflate64 member)."""


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a body are markup (a web page, not a zip)."""
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def unsafe_member(name: str) -> bool:
    """True for a member path that would land outside the folder it is extracted into."""
    if not name or "\x00" in name or "\\" in name:
        return True
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return posix.is_absolute() or bool(windows.drive) or ".." in posix.parts


def _check_members(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The one member of ``archive``; raise unless there is exactly one and every path is safe."""
    for info in archive.infolist():
        if unsafe_member(info.filename):
            raise BadFile(f"member path {info.filename!r} would escape the folder")
    return single_member(archive, "member", error=BadFile)


def _read_through(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Decompress a member to its end, so that zipfile checks its CRC."""
    with archive.open(info) as member:
        while member.read(CHUNK):
            pass


def _open_zip(path: Path) -> zipfile.ZipFile:
    """``path`` opened as a zip (its central directory read); :class:`BadFile` when it is not."""
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise BadFile(f"not a sound zip: {exc}") from None


def _check_member_data(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate the member to its end (zipfile checks its CRC); :class:`BadFile` when it fails."""
    if info.flag_bits & 1:
        raise BadFile("the zip's member is encrypted")
    try:
        _read_through(archive, info)
    except zipfile.BadZipFile as exc:
        raise BadFile(f"not a sound zip: {exc}") from None
    except (zlib.error, EOFError) as exc:
        raise BadFile(f"zip member cannot be read: {exc}") from None
    except NotImplementedError as exc:
        raise Unverifiable(f"its zip uses a feature Python cannot read ({exc})") from None


def check_zip(path: Path) -> str:
    """Open ``path`` as a zip, check its member and CRC; return the member's name."""
    with _open_zip(path) as archive:
        info = _check_members(archive)
        _check_member_data(archive, info)
        return info.filename


def verify_zip(path: Path, expected_size: int) -> str:
    """Check a downloaded zip and return its sha256; raise :class:`BadFile` when it is bad."""
    with path.open("rb") as handle:
        head = handle.read(512)
    if looks_like_html(head):
        raise BadFile("an HTML page arrived instead of a zip")
    size = path.stat().st_size
    if size != expected_size:
        raise BadFile(f"size {size} bytes differs from the listing's fileSize {expected_size}")
    if not head.startswith(ZIP_MAGIC):
        raise BadFile("the file does not start like a zip")
    check_zip(path)
    return file_sha256(path)
