"""The gzip CSV copy of a table made from its source zip, without recompressing it.

A gzip file is a 10-byte header, a raw deflate stream, then the CRC-32 and the size (modulo
2**32) of the inflated bytes; a deflated zip member is the same raw deflate stream, its CRC-32
and size in the archive's directory. When a table's one source is a deflated zip member whose
every row went into the release, its gzip CSV copy is that stream, copied byte for byte
behind a fixed header (no name, zero mtime): the source file itself, rows in source order.

The copy is taken only when the member's text is what the datapackage declares for the CSV
copies: it starts with exactly the schema's labels, comma-separated, ending in LF (no BOM,
no quotes, no spaces), it holds no carriage return (lines end in LF), it ends with an LF,
and it holds one line per row written (a value spanning lines makes it fall back). The
stream is inflated once as it is copied, to check all this and its CRC-32 and size; if
anything differs, the caller writes the copy from the rows instead.
"""

from __future__ import annotations

import struct
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from ptoffact_build.errors import SourceError
from ptoffact_build.read.sources import SourceFile
from ptoffact_build.read.streams import data_offset, fast_zlib, single_member

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no flags, mtime 0, OS unknown
READ_BYTES = 1 << 20  # compressed bytes per step
PIECE_BYTES = 4 << 20  # most inflated bytes one step holds
# what a damaged or unreadable source raises (ISA-L's error is typed loosely in its stubs)
COPY_ERRORS = cast(
    tuple[type[Exception], ...],
    (OSError, zipfile.BadZipFile, zlib.error, fast_zlib.error),
)


class CopyStopped(Exception):
    """The copy was abandoned because the build is ending."""


@dataclass(frozen=True)
class ZipMember:
    """The one deflated member of a source zip."""

    archive: Path
    info: zipfile.ZipInfo


def copyable_member(sources: list[SourceFile]) -> ZipMember | None:
    """The member whose deflate stream may become the table's gzip CSV: its one source is a
    zip holding one unencrypted, deflated file. None otherwise (several files, another kind
    or method, an archive that cannot be opened: the reader reports that)."""
    if len(sources) != 1 or sources[0].kind != "csv.zip":
        return None
    path = sources[0].path
    try:
        with zipfile.ZipFile(path) as archive:
            info = single_member(archive, "CSV file")
    except (OSError, zipfile.BadZipFile, SourceError):
        return None
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1:
        return None
    return ZipMember(path, info)


@dataclass
class TextCheck:
    """What the inflated text must be for the copy to serve as the declared CSV."""

    header: bytes
    start: bytes = b""
    lines: int = 0
    crc: int = 0
    size: int = 0
    last: bytes = b""
    carriage_return: bool = False

    def add(self, piece: bytes) -> None:
        if len(self.start) < len(self.header):
            self.start += piece[: len(self.header) - len(self.start)]
        self.lines += piece.count(b"\n")
        self.carriage_return = self.carriage_return or b"\r" in piece
        self.crc = fast_zlib.crc32(piece, self.crc)
        self.size += len(piece)
        if piece:
            self.last = piece[-1:]

    def passes(self, info: zipfile.ZipInfo) -> bool:
        """True when the text is in the declared dialect and matches the archive's record."""
        return (
            self.start == self.header
            and not self.carriage_return
            and self.last == b"\n"
            and self.crc == info.CRC
            and self.size == info.file_size
        )

    def rows(self) -> int:
        """The data rows, when no value spans lines (the caller compares it with the rows
        written, so a quoted line break only makes the copy fall back)."""
        return self.lines - 1


def header_line(labels: list[str]) -> bytes:
    """The header line the copy must start with: the labels as the CSV writer prints them."""
    return (",".join(labels) + "\n").encode("utf-8")


def copy_member(
    member: ZipMember,
    target: Path,
    labels: list[str],
    stop: threading.Event | None = None,
) -> int | None:
    """Write ``target`` as a gzip of the member's text, when the text is in the declared
    dialect (see the module's docstring), and return its number of lines after the header;
    else remove ``target`` and return None. The caller takes the copy only when that is the
    number of rows it wrote."""
    check = TextCheck(header_line(labels))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(member.archive, "rb") as raw, open(target, "wb") as out:
            out.write(GZIP_HEADER)
            copy_checked(raw, out, member.info, check, stop)
            info = member.info
            out.write(struct.pack("<II", check.crc, check.size & 0xFFFFFFFF))
        if check.passes(info):
            return check.rows()
    except COPY_ERRORS:
        pass
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    target.unlink(missing_ok=True)
    return None


def copy_checked(
    raw: BinaryIO,
    out: BinaryIO,
    info: zipfile.ZipInfo,
    check: TextCheck,
    stop: threading.Event | None,
) -> None:
    """Copy the member's compressed bytes to ``out``, inflating them into ``check``."""
    raw.seek(data_offset(raw, info))
    inflater = fast_zlib.decompressobj(-15)
    remaining = info.compress_size
    while remaining:
        if stop is not None and stop.is_set():
            raise CopyStopped(str(info.filename))
        data = raw.read(min(READ_BYTES, remaining))
        if not data:
            raise zipfile.BadZipFile(f"member {info.filename} is truncated")
        remaining -= len(data)
        out.write(data)
        while data:
            check.add(inflater.decompress(data, PIECE_BYTES))
            data = inflater.unconsumed_tail
    check.add(inflater.flush())
    if not inflater.eof:
        raise zipfile.BadZipFile(f"member {info.filename}: the deflate stream does not end")
