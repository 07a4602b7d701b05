"""Fetch the PTOFFACT table zips from the USPTO Open Data Portal into a verified cache.

The public face of the portal download (``ptoffact fetch``, ``ptoffact build --source odp``):
configuration (:func:`resolve_api_key`, :func:`resolve_api_url`, :func:`resolve_cache_dir`) and
:func:`fetch_tables`. A table whose verified file is in the cache costs no request at all; the
portal allows only 20 downloads of a file per key per year.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import platformdirs
import requests

from ptoffact_build.errors import FetchError, FetchSourceError, FetchUsageError
from ptoffact_build.fetch import cache
from ptoffact_build.fetch.archive import BadFile, Unverifiable, verify_zip
from ptoffact_build.fetch.cache import FetchedFile, read_manifest
from ptoffact_build.fetch.download import download, part_size
from ptoffact_build.fetch.listing import FORMATS, PortalFile, list_files, select_files
from ptoffact_build.fetch.portal import (
    Backoff,
    Limits,
    PortalClient,
    check_api_url,
    public_url,
)
from ptoffact_build.progress import DownloadProgress, human_bytes
from ptoffact_build.schema import TABLES

DEFAULT_API_URL = "https://api.uspto.gov"
KEY_ENV = "USPTO_API_KEY"
URL_ENV = "PTOFFACT_API_URL"
CACHE_ENV = "PTOFFACT_CACHE"
KEY_FILE_LIMIT = 4096  # a key file holds one word of a few dozen characters

NO_KEY_HELP = (
    f"No USPTO API key: set the environment variable {KEY_ENV} or pass --api-key-file FILE "
    "(a file holding only the key). To get a key, create a USPTO.gov account, verify your "
    "identity through ID.me, sign in to the Open Data Portal (https://data.uspto.gov) and copy "
    "the key from its API key page (MyODP); keys unused for 90 days are deleted. The key is "
    "sent only to the API host and is never printed or stored by ptoffact."
)

__all__ = [
    "FetchError",
    "FetchedFile",
    "fetch_tables",
    "read_manifest",
    "resolve_api_key",
    "resolve_api_url",
    "resolve_cache_dir",
]


def read_key_file(key_file: Path, wait: bool = True) -> str:
    """The text of a key file (a pipe too, such as ``<(pass show uspto)``), read up to
    :data:`KEY_FILE_LIMIT` bytes; exit 2 when it cannot be read, is longer or is not UTF-8.
    Without ``wait``, a FIFO with no writer reads as empty instead of blocking."""
    flags = os.O_RDONLY | (0 if wait else os.O_NONBLOCK) | getattr(os, "O_CLOEXEC", 0)
    try:
        with os.fdopen(os.open(key_file, flags), "rb") as stream:
            data = stream.read(KEY_FILE_LIMIT + 1) or b""
        if len(data) > KEY_FILE_LIMIT:
            raise FetchUsageError(
                f"the API key file {key_file} is longer than {KEY_FILE_LIMIT:,} bytes; "
                "it must hold only the key"
            )
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise FetchUsageError(f"cannot read the API key file {key_file}: {reason}") from None


def resolve_api_key(environ: Mapping[str, str], key_file: Path | None) -> str:
    """The API key from ``key_file`` if given, else ``USPTO_API_KEY``; exit 2 when none."""
    if key_file is not None:
        text, source = read_key_file(key_file), f"the API key file {key_file}"
    else:
        text, source = environ.get(KEY_ENV, ""), KEY_ENV
    key = text.strip()
    if not key:
        prefix = f"{source} is empty. " if key_file is not None else ""
        raise FetchUsageError(prefix + NO_KEY_HELP)
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise FetchUsageError(f"{source} must hold only the key: one word, no spaces or lines")
    return key


def resolve_api_url(cli_value: str | None, environ: Mapping[str, str]) -> str:
    """``--api-url``, else ``PTOFFACT_API_URL``, else https://api.uspto.gov (checked)."""
    return check_api_url(cli_value or environ.get(URL_ENV) or DEFAULT_API_URL)


def resolve_cache_dir(cli_value: Path | None, environ: Mapping[str, str]) -> Path:
    """``--cache-dir``, else ``PTOFFACT_CACHE``, else the platform's user cache folder."""
    value = cli_value or environ.get(CACHE_ENV) or platformdirs.user_cache_dir("ptoffact")
    return Path(value).expanduser()


def _now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_request(fmt: str, tables: Iterable[str]) -> list[str]:
    """The requested tables, after checking them and the format (exit 2 on a bad value)."""
    if fmt not in FORMATS:
        raise FetchUsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    wanted = list(dict.fromkeys(tables))
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise FetchUsageError(f"unknown table(s) {', '.join(unknown)}: use {', '.join(TABLES)}")
    return wanted


@dataclass
class _Job:
    """One fetch: where from, where to, and how to report and wait."""

    client: PortalClient
    cache_dir: Path
    fmt: str
    refresh: bool
    stream: TextIO
    sleep: Callable[[float], None]

    def note(self, message: str) -> None:
        """A line about the fetch as a whole."""
        self.stream.write(f"{message}\n")
        self.stream.flush()


def _download_verified(job: _Job, file: PortalFile, part: Path, progress: DownloadProgress) -> str:
    """Download ``file`` into ``part`` and verify it; return its sha256.

    A ``.part`` left by an earlier run is resumed; if the result fails verification, it is
    removed and the file downloaded once more from scratch. A file that fails verification is
    never left behind; a partial one after a network failure is kept for the next run to resume.
    """
    inherited = part_size(part) > 0
    while True:
        try:
            download(job.client, file, part, progress, Backoff(sleep=job.sleep))
            return verify_zip(part, file.size)
        except Unverifiable as bad:
            raise FetchSourceError(
                f"{file.name} cannot be verified: {bad}; kept as {part} (never trusted as is)"
            ) from None
        except BadFile as bad:
            part.unlink(missing_ok=True)
            if not inherited:
                raise FetchSourceError(f"{file.name} failed verification: {bad}") from None
        inherited = False
        progress.note("the partial file from an earlier run was bad; downloading afresh")


def _fetch_one(job: _Job, table: str, file: PortalFile) -> FetchedFile:
    """Download, verify and record one table's zip."""
    if Path(file.name).name != file.name or file.name in ("", ".", ".."):
        raise FetchSourceError(f"the listing names an unsafe file {file.name!r}")
    final, part = job.cache_dir / file.name, job.cache_dir / f"{file.name}.part"
    if job.refresh:
        part.unlink(missing_ok=True)
    elif final.exists():
        os.replace(final, part)  # unrecorded: check it like a download, without a request
    progress = DownloadProgress(job.stream, file.name, file.size)
    progress.note(f"fetching {human_bytes(file.size)} for {table}")
    sha256 = _download_verified(job, file, part, progress)
    os.replace(part, final)
    fetched = FetchedFile(
        table, final, file.name, file.size, sha256, file.modified, _now(), from_cache=False
    )
    cache.record(job.cache_dir, fetched, job.fmt, public_url(file.uri))
    progress.note(f"verified, sha256 {sha256}")
    return fetched


def _from_cache(
    cache_dir: Path, fmt: str, tables: list[str], stream: TextIO
) -> dict[str, FetchedFile]:
    """The tables whose verified file the cache holds."""
    found: dict[str, FetchedFile] = {}
    for table in tables:
        hit = cache.cached_file(cache_dir, table, fmt)
        if hit is not None:
            found[table] = hit
            stream.write(f"{hit.name}: in the cache, verified (sha256 {hit.sha256})\n")
    return found


def _fetch_listed(job: _Job, tables: list[str]) -> dict[str, FetchedFile]:
    """List the product once, then fetch each of ``tables``."""
    listed = list_files(job.client, Backoff(sleep=job.sleep), job.note)
    chosen = select_files(listed, tables, job.fmt)
    return {table: _fetch_one(job, table, file) for table, file in chosen.items()}


def fetch_tables(
    *,
    api_url: str,
    api_key: str,
    cache_dir: Path,
    fmt: str = "csv",
    refresh: bool = False,
    tables: Iterable[str] = TABLES,
    progress: TextIO = sys.stderr,
    sleep: Callable[[float], None] = time.sleep,
    session: requests.Session | None = None,
    limits: Limits | None = None,
) -> list[FetchedFile]:
    """Make sure each table's verified ``fmt`` zip is in ``cache_dir``; return them in order.

    Tables already verified in the cache (unless ``refresh``) make no request at all; the rest
    are discovered in the product listing, downloaded, verified and recorded in the manifest.
    ``limits`` bounds what the portal may cost in time and bytes (default :class:`Limits`).
    Raises :class:`FetchUsageError` (exit 2: the key or a bad argument) or
    :class:`FetchSourceError` (exit 3: the portal, the file or the cache).
    """
    wanted = _check_request(fmt, tables)
    api_url, cache_dir = check_api_url(api_url), Path(cache_dir)
    with requests.Session() if session is None else nullcontext(session) as http:
        client = PortalClient(api_url, api_key, http, limits=limits or Limits())
        job = _Job(client, cache_dir, fmt, refresh, progress, sleep)
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            with cache.locked(cache_dir):
                found = {} if refresh else _from_cache(cache_dir, fmt, wanted, progress)
                missing = [t for t in wanted if t not in found]
                if missing:
                    found.update(_fetch_listed(job, missing))
        except OSError as exc:
            where = exc.filename or cache_dir
            reason = exc.strerror or type(exc).__name__
            raise FetchSourceError(f"cache folder: {where}: {reason}") from None
    return [found[t] for t in wanted]
