"""Streaming one portal file into ``<name>.part``, resuming after dropped connections.

The API answers the file's URI with a redirect to a signed URL on a storage host. Hops are
followed here, one by one, so that the key goes only to the API host. After a dropped
connection the download resumes with ``Range`` (a 200 that ignores it restarts the file); a
signed URL the storage host refuses (403, expired) is replaced by a fresh redirect.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn
from urllib.parse import urljoin

import requests
import urllib3

from ptoffact_build.errors import FetchSourceError
from ptoffact_build.fetch.archive import BadFile
from ptoffact_build.fetch.listing import PortalFile
from ptoffact_build.fetch.portal import (
    REDIRECTS,
    Backoff,
    Limits,
    PortalClient,
    Transient,
)
from ptoffact_build.progress import DownloadProgress, human_bytes

CHUNK = 1 << 20
MAX_HOPS = 5
MAX_EXPIRED = 3
MAX_RESTARTS = 3
MAX_ROUNDS = 200
SAMPLES = 100
"""About how many samples of the byte count a stall window keeps."""
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class Expired(Exception):
    """The storage host refused a signed URL obtained earlier: ask the API for a fresh one."""


class Restart(Exception):
    """A partial answer that does not continue the ``.part``: start the file over."""


class Stalled(Transient):
    """The body arrives too slowly to ever finish: worth a new connection, a few times."""


class StallWatch:
    """The stall rule: fewer than ``stall_bytes`` received in the last ``stall_seconds``.

    Checked as bytes arrive; a body that sends nothing at all ends with the read timeout.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.received = 0
        self.started = limits.clock()
        self.samples: deque[tuple[float, int]] = deque([(self.started, 0)])

    def add(self, n: int) -> None:
        """Count ``n`` bytes just received; raise :class:`Stalled` when the rule is broken."""
        now, limits = self.limits.clock(), self.limits
        self.received += n
        samples = self.samples
        if len(samples) > 1 and now - samples[-2][0] < limits.stall_seconds / SAMPLES:
            samples[-1] = (now, self.received)  # keep about SAMPLES samples a window
        else:
            samples.append((now, self.received))
        horizon = now - limits.stall_seconds
        while len(samples) > 1 and samples[1][0] <= horizon:
            samples.popleft()  # samples[0] stays the last one at or before the horizon
        recent = self.received - samples[0][1]
        if now - self.started >= limits.stall_seconds and recent < limits.stall_bytes:
            raise Stalled(
                f"the transfer stalled ({human_bytes(recent)} in the last "
                f"{limits.stall_seconds:g} s, under {human_bytes(limits.stall_bytes)})"
            )


@dataclass
class _State:
    """What a download remembers between attempts."""

    signed: str | None = None
    expired: int = 0
    restarts: int = 0
    stalls: int = 0


def part_size(part: Path) -> int:
    """Bytes already in ``part`` (0 when absent)."""
    return part.stat().st_size if part.exists() else 0


def _request_headers(start: int) -> dict[str, str]:
    """Headers for a (possibly resumed) download; no content coding, so offsets are bytes."""
    headers = {"Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
    return headers


def _refused(response: requests.Response, fresh: bool, name: str) -> NoReturn:
    """Handle a 403 from the storage host: an expired URL, or a fatal refusal when fresh."""
    response.close()
    if not fresh:
        raise Expired
    raise FetchSourceError(
        f"downloading {name}: the storage host refused a freshly signed URL (403)"
    )


def open_body(
    client: PortalClient, file: PortalFile, state: _State, start: int
) -> requests.Response:
    """Follow the redirects from ``file.uri`` (or the last signed URL) to a 200/206 answer."""
    url, fresh = state.signed or file.uri, state.signed is None
    for _ in range(MAX_HOPS):
        response = client.get(url, headers=_request_headers(start), stream=True)
        status = response.status_code
        if status in REDIRECTS and response.headers.get("Location"):
            url = urljoin(url, response.headers["Location"])
            response.close()
            continue
        if status == 403 and not client.is_api(url):
            _refused(response, fresh, file.name)
        if status == 416 and start:
            response.close()
            raise Restart
        try:
            client.check(response, f"downloading {file.name}")
        finally:
            if status >= 400:
                response.close()
        if status not in (200, 206):
            response.close()
            raise FetchSourceError(f"downloading {file.name}: unexpected HTTP {status}")
        state.signed = None if client.is_api(url) else url
        return response
    raise FetchSourceError(f"downloading {file.name}: more than {MAX_HOPS} redirects")


def _offset(response: requests.Response, start: int, size: int) -> int:
    """Where the body goes in the file: 0 for a 200, the Content-Range start for a 206."""
    if response.status_code == 200:
        return 0
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if not match or int(match[1]) != start:
        raise Restart
    if match[3] != "*" and int(match[3]) != size:
        raise BadFile(f"the server's file has {match[3]} bytes, the listing's fileSize {size}")
    return start


def _is_html(response: requests.Response) -> bool:
    """True when the answer declares itself a web page."""
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml")


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: ``read1`` hands over every byte received before a drop."""
    read = getattr(response.raw, "read1", None) or response.raw.read
    while chunk := read(CHUNK):
        yield chunk


def _next_chunk(chunks: Iterator[bytes], position: int) -> bytes:
    """The next chunk (empty at the end); a broken connection becomes :class:`Transient`."""
    try:
        return next(chunks, b"")
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
        raise Transient(f"connection dropped after {human_bytes(position)}") from None


def _stream(
    response: requests.Response,
    part: Path,
    offset: int,
    size: int,
    progress: DownloadProgress,
    limits: Limits,
) -> int:
    """Append the body to ``part`` at ``offset`` (never past ``size``); return the bytes written."""
    written, watch = 0, StallWatch(limits)
    with part.open("r+b" if offset else "wb") as out:
        out.seek(offset)
        out.truncate()
        chunks = _chunks(response)
        while chunk := _next_chunk(chunks, offset + written):
            if offset + written + len(chunk) > size:
                raise BadFile(f"the server sends more than the listing's fileSize {size}")
            out.write(chunk)
            written += len(chunk)
            progress.update(len(chunk))
            watch.add(len(chunk))
    return written


def save_body(
    response: requests.Response,
    part: Path,
    start: int,
    size: int,
    progress: DownloadProgress,
    limits: Limits,
) -> None:
    """Write one 200/206 answer into ``part``; a clean but short end means a bad file."""
    with response:
        if _is_html(response):
            raise BadFile("an HTML page arrived instead of a zip")
        offset = _offset(response, start, size)
        progress.start_at(offset)
        declared = response.headers.get("Content-Length")
        written = _stream(response, part, offset, size, progress, limits)
    end = offset + written
    if end < size:
        if declared is None:
            raise Transient(f"connection closed after {human_bytes(end)}")
        raise BadFile(f"the body ended at {end} bytes but the listing's fileSize is {size}")


def _one_round(
    client: PortalClient, file: PortalFile, part: Path, state: _State, progress: DownloadProgress
) -> None:
    """One request (with its redirects) and the body it brings."""
    start = part_size(part)
    response = open_body(client, file, state, start)
    save_body(response, part, start, file.size, progress, client.limits)


def download(
    client: PortalClient, file: PortalFile, part: Path, progress: DownloadProgress, backoff: Backoff
) -> None:
    """Bring ``part`` to ``file.size`` bytes; a BadFile or FetchSourceError ends the download."""
    state = _State()
    for _ in range(MAX_ROUNDS):
        before = part_size(part)
        if before > file.size:
            part.unlink()
            before = 0
        if before == file.size:
            return
        try:
            _one_round(client, file, part, state, progress)
        except Transient as failure:
            if isinstance(failure, Stalled):
                _stalled(state, part, file.name, client.limits)
            if part_size(part) > before:
                backoff.reset()
                state.expired = 0
            backoff.wait(failure, f"downloading {file.name}", progress.note)
        except Expired:
            _expired(state, progress, file.name)
        except Restart:
            _restart(state, part, progress, file.name)
    raise FetchSourceError(f"downloading {file.name}: no end after {MAX_ROUNDS} requests")


def _stalled(state: _State, part: Path, name: str, limits: Limits) -> None:
    """Count a stalled connection; after ``max_stalls`` stop, keeping ``part`` to resume."""
    state.stalls += 1
    if state.stalls >= limits.max_stalls:
        raise FetchSourceError(
            f"downloading {name}: the download stalled {state.stalls} times (under "
            f"{human_bytes(limits.stall_bytes)} in {limits.stall_seconds:g} s); kept "
            f"{human_bytes(part_size(part))} in {part}: run the same command again to resume"
        )


def _expired(state: _State, progress: DownloadProgress, name: str) -> None:
    """Forget the signed URL, so the next round asks the API for a fresh redirect."""
    state.signed = None
    state.expired += 1
    if state.expired > MAX_EXPIRED:
        raise FetchSourceError(f"downloading {name}: the signed URL kept expiring")
    progress.note("the signed URL expired; asking the API for a fresh one")


def _restart(state: _State, part: Path, progress: DownloadProgress, name: str) -> None:
    """Drop the ``.part`` after an answer that cannot continue it."""
    state.restarts += 1
    if state.restarts > MAX_RESTARTS:
        raise FetchSourceError(f"downloading {name}: the server cannot resume the file")
    part.unlink(missing_ok=True)
    progress.note("the server cannot continue the partial file; starting over")
