"""Reading zip members and gzip files with the fastest inflater at hand.

ISA-L (the ``isal`` package) inflates about 2.5 times faster than zlib; it is used when
installed, with the standard library as the fallback. A zip member is read straight from
its offset in the archive, and its size and CRC-32 are checked at the end, as ``zipfile``
does: a damaged member is an error, never silently short data.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import BinaryIO, Protocol, Self

from ptoffact_build.errors import SourceError

try:  # optional acceleration
    from isal import igzip as fast_gzip
    from isal import isal_zlib as fast_zlib
except ImportError:  # pragma: no cover - exercised where isal is not installed
    fast_gzip, fast_zlib = gzip, zlib  # type: ignore[misc]

READ_BYTES = 4 << 20
GZIP_READ_BYTES = 1024 << 10  # compressed bytes a gzip stream takes per read
PIECE_BYTES = 4 << 20  # most inflated bytes one call returns: a zip bomb cannot flood memory
LOCAL_HEADER = struct.Struct("<4s5H3I2H")
LOCAL_SIGNATURE = b"PK\x03\x04"

# A source may inflate to at most MAX_INFLATION times its compressed size. CSV text deflates
# 3-10 fold (the dataset's zips: about 4), a file of blank lines about 1000 fold.
MAX_INFLATION = 100
RATIO_EXEMPT_BYTES = 1 << 20  # below this many inflated bytes the ratio is not checked

READABLE_METHODS = {
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
}
METHOD_NAMES = {
    1: "Shrink",
    6: "Implode",
    9: "Deflate64",
    93: "Zstandard",
    95: "XZ",
    96: "JPEG",
    97: "WavPack",
    98: "PPMd",
    99: "AES-encrypted",
}
REZIP = "re-zip it with Deflate (e.g. `zip -9`)"


class Readable(Protocol):
    """What the wrappers below need of the stream they wrap."""

    def read(self, n: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ClosesOnExit:
    """A stream usable in ``with``: leaving the block closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemberReader(ClosesOnExit):
    """A read-only stream of one stored or deflated zip member, checked as it ends.

    Each inflation step returns at most ``PIECE_BYTES``; unread input waits in the
    inflater's ``unconsumed_tail``. ``read`` copies each inflated byte once.
    """

    def __init__(self, raw: BinaryIO, info: zipfile.ZipInfo) -> None:
        self.raw, self.info = raw, info
        self.remaining = info.compress_size
        self.inflater = fast_zlib.decompressobj(-15) if info.compress_type else None
        self.crc, self.size, self.done = 0, 0, False
        self.pending, self.at = memoryview(b""), 0  # inflated bytes not yet handed out
        raw.seek(data_offset(raw, info))

    def read(self, n: int = -1) -> bytes:
        parts, have = [], 0
        while (n < 0 or have < n) and not (self.done and self.at >= len(self.pending)):
            if self.at >= len(self.pending):
                self.pending, self.at = memoryview(self.next_piece()), 0
                continue
            part = self.pending[self.at : self.at + (len(self.pending) if n < 0 else n - have)]
            parts.append(part)
            self.at += len(part)
            have += len(part)
        return b"".join(parts)

    def next_piece(self) -> bytes:
        """The next inflated bytes, ``PIECE_BYTES`` at most; at the end, check size and CRC."""
        if self.inflater is None:
            piece = self.raw.read(min(PIECE_BYTES, self.remaining))
            self.remaining -= len(piece)
            self.done = self.remaining == 0 or not piece
        else:
            piece = self.inflate_step()
        self.crc = fast_zlib.crc32(piece, self.crc)
        self.size += len(piece)
        if self.done:
            self.check()
        return piece

    def inflate_step(self) -> bytes:
        """Inflate from the inflater's leftover input, or from the next compressed read."""
        inflater = self.inflater
        assert inflater is not None  # only called for deflated members
        data = inflater.unconsumed_tail
        if not data and self.remaining and not inflater.eof:
            data = self.raw.read(min(READ_BYTES, self.remaining))
            self.remaining -= len(data)
            if not data:  # the archive ends early
                self.remaining = 0
        piece = inflater.decompress(data, PIECE_BYTES) if data else b""
        if not inflater.unconsumed_tail and (self.remaining == 0 or inflater.eof):
            piece += inflater.flush()
            self.done = True
        return piece

    def consumed(self) -> int:
        """Compressed bytes inflated so far."""
        tail = len(self.inflater.unconsumed_tail) if self.inflater is not None else 0
        return self.info.compress_size - self.remaining - tail

    def check(self) -> None:
        if self.size != self.info.file_size:
            raise zipfile.BadZipFile(f"member {self.info.filename} is truncated or too long")
        if self.crc != self.info.CRC:
            raise zipfile.BadZipFile(f"bad CRC-32 for member {self.info.filename}")

    def close(self) -> None:
        self.raw.close()


class RatioLimited(ClosesOnExit):
    """A stream that stops with a :class:`SourceError` once it inflates past ``MAX_INFLATION``.

    The bytes inflated so far are compared with the compressed bytes read so far, as told by
    ``consumed`` (or, without it, the whole compressed size), so a bomb stops early.
    """

    def __init__(
        self,
        stream: Readable,
        compressed: int,
        where: str,
        consumed: Callable[[], int] | None = None,
    ) -> None:
        self.stream, self.compressed, self.where = stream, compressed, where
        self.consumed = consumed or (lambda: compressed)
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all with -1); checked ``PIECE_BYTES`` at a time near the limit."""
        if n >= 0 and self.size + n <= self.allowed():
            return self.counted(self.stream.read(n))
        pieces, have = [], 0
        while n < 0 or have < n:
            piece = self.counted(
                self.stream.read(PIECE_BYTES if n < 0 else min(PIECE_BYTES, n - have))
            )
            if not piece:
                break
            pieces.append(piece)
            have += len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def allowed(self) -> int:
        """How many inflated bytes the compressed bytes read so far allow."""
        return max(MAX_INFLATION * self.consumed(), RATIO_EXEMPT_BYTES)

    def counted(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.allowed():
            raise inflation_error(self.where, self.compressed)
        return data

    def close(self) -> None:
        self.stream.close()


class ShortReads:
    """A file handing out at most ``GZIP_READ_BYTES`` per read, so ``tell`` tracks inflation."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self.raw = raw

    def read(self, n: int = -1) -> bytes:
        return self.raw.read(GZIP_READ_BYTES if n < 0 else min(n, GZIP_READ_BYTES))

    def readinto(self, buffer) -> int:
        return self.raw.readinto(memoryview(buffer)[:GZIP_READ_BYTES])

    def close(self) -> None:
        self.raw.close()


class ClosingBoth:
    """A stream that closes the file under it too."""

    def __init__(self, stream: Readable, raw: BinaryIO) -> None:
        self.stream, self.raw = stream, raw

    def read(self, n: int = -1) -> bytes:
        return self.stream.read(n)

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            self.raw.close()


def inflation_error(where: str, compressed: int) -> SourceError:
    """The error for a source that inflates past ``MAX_INFLATION`` times its compressed size."""
    return SourceError(
        f"{where} inflates to more than {MAX_INFLATION} times its compressed size "
        f"({compressed:,} bytes), which ptoffact refuses as a likely zip bomb; if the file "
        "is genuine, unpack it and pass the CSV itself"
    )


def single_member(
    archive: zipfile.ZipFile,
    what: str,
    where: str = "",
    error: type[SourceError] = SourceError,
) -> zipfile.ZipInfo:
    """The one file of a distribution zip (folder entries aside); ``error`` for any other count.

    The message reads ``"<where>: expected one <what> inside, found <names>"``.
    """
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        names = ", ".join(m.filename for m in members) or "nothing"
        prefix = f"{where}: " if where else ""
        raise error(f"{prefix}expected one {what} inside, found {names}")
    return members[0]


def check_member_readable(archive_path: str, info: zipfile.ZipInfo) -> None:
    """Raise a one-line :class:`SourceError` for an encrypted member or a method we cannot read."""
    where = f"{archive_path}: member {info.filename}"
    if info.flag_bits & 1:
        raise SourceError(
            f"{where} is encrypted, which ptoffact cannot read; "
            "unzip it with its password and pass the CSV, or re-zip it without one"
        )
    method = info.compress_type
    if method not in READABLE_METHODS:
        name = METHOD_NAMES.get(method, f"method {method}")
        raise SourceError(f"{where} uses {name} compression, which ptoffact cannot read; {REZIP}")


def data_offset(raw: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where a member's compressed bytes start (after its local header)."""
    raw.seek(info.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    fields = LOCAL_HEADER.unpack(header)
    if fields[0] != LOCAL_SIGNATURE:
        raise zipfile.BadZipFile(f"bad local header for member {info.filename}")
    name_length, extra_length = fields[-2], fields[-1]
    return info.header_offset + LOCAL_HEADER.size + name_length + extra_length


def open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> BinaryIO:
    """A member's bytes, ratio-limited: fast for stored and deflated members, else zipfile's.

    An encrypted member or one compressed with a method we cannot read is a source error.
    """
    where = f"{archive.filename}: member {info.filename}"
    check_member_readable(str(archive.filename), info)
    if info.file_size > max(MAX_INFLATION * info.compress_size, RATIO_EXEMPT_BYTES):
        raise inflation_error(where, info.compress_size)
    if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        assert archive.filename is not None  # ptoffact opens archives by path
        raw = open(archive.filename, "rb")  # noqa: SIM115 - the reader closes it
        reader = MemberReader(raw, info)
        return RatioLimited(reader, info.compress_size, where, reader.consumed)  # type: ignore[return-value]
    stream = archive.open(info)
    return RatioLimited(stream, info.compress_size, where)  # type: ignore[return-value]


def open_gzip(path) -> BinaryIO:
    """A gzip file's bytes, inflated, ratio-limited by the compressed bytes read so far."""
    raw = open(path, "rb")  # noqa: SIM115 - closed with the gzip stream
    stream = fast_gzip.GzipFile(fileobj=ShortReads(raw), mode="rb")
    return RatioLimited(
        ClosingBoth(stream, raw), os.fstat(raw.fileno()).st_size, str(path), raw.tell
    )  # type: ignore[return-value]
