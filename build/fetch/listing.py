"""Discovery: the PTOFFACT product listing and the choice of one file per table.

Files are chosen by table name and format suffix, never from a hard-coded list; a re-release
(``_r1``, ``_r2``...) wins over the original. Neither spelling of the dataset-array field
(``productDatasetArrayText`` / ``productDataSetArrayText``) is read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from ptoffact_build.errors import FetchSourceError
from ptoffact_build.fetch.portal import Backoff, Limits, PortalClient, Transient
from ptoffact_build.progress import human_bytes

PRODUCT = "PTOFFACT"
READ_SIZE = 64 * 1024
FORMATS = ("csv", "dta")

_NAME = re.compile(
    r"^(?P<table>[a-z0-9_]+?)(?:_r(?P<r1>\d+))?[._](?P<fmt>csv|dta)(?:_r(?P<r2>\d+))?\.zip$"
)


@dataclass(frozen=True)
class PortalFile:
    """One file of the product listing, as the portal describes it."""

    name: str
    size: int
    uri: str
    modified: str | None


def parse_name(file_name: str) -> tuple[str, str, int] | None:
    """(table, format, release number) for a table zip's name, or None for any other file.

    Matching ignores case and treats spaces and hyphens as underscores: ``office_actions.csv.zip``
    gives ``("office_actions", "csv", 0)`` and ``citations_r2.dta.zip`` ``("citations", "dta", 2)``.
    """
    normal = re.sub(r"[\s-]+", "_", file_name.strip().lower())
    match = _NAME.match(normal)
    if not match:
        return None
    release = int(match["r1"] or match["r2"] or 0)
    return match["table"], match["fmt"], release


def _to_file(raw: dict[str, Any]) -> PortalFile | None:
    """A listing entry as a :class:`PortalFile`, or None when it lacks a name or URI."""
    name, uri = raw.get("fileName"), raw.get("fileDownloadURI")
    if not isinstance(name, str) or not isinstance(uri, str):
        return None
    try:
        size = int(raw.get("fileSize", ""))
    except (TypeError, ValueError):
        size = -1
    modified = raw.get("fileLastModifiedDateTime")
    return PortalFile(name, size, uri, modified if isinstance(modified, str) else None)


def _product(body: Any) -> dict[str, Any]:
    """The PTOFFACT product out of a product response."""
    bag = body.get("bulkDataProductBag") if isinstance(body, dict) else None
    products = [p for p in bag if isinstance(p, dict)] if isinstance(bag, list) else []
    if not products:
        raise FetchSourceError(f"the portal's answer for {PRODUCT} holds no product")
    for product in products:
        if str(product.get("productIdentifier", "")).upper() == PRODUCT:
            return product
    return products[0]


def _page(product: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The file entries of one page and the total file count the portal announces."""
    files = product.get("productFileBag")
    files = files if isinstance(files, dict) else {}
    entries = [e for e in files.get("fileDataBag") or [] if isinstance(e, dict)]
    count = files.get("count")
    total = count if isinstance(count, int) else len(entries)
    return entries, total


def _read_page(response: requests.Response, limits: Limits) -> bytes:
    """A listing page's body, read as it arrives, within ``listing_bytes`` and ``_seconds``."""
    started, body = limits.clock(), bytearray()
    while True:
        try:
            chunk = response.raw.read1(READ_SIZE, decode_content=True)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
            raise Transient(f"connection dropped after {len(body)} bytes of the listing") from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limits.listing_bytes:
            raise FetchSourceError(
                f"listing {PRODUCT}: the portal's answer exceeds "
                f"{human_bytes(limits.listing_bytes)}, far more than a listing needs; "
                "stopped reading it (try again later)"
            )
        if limits.clock() - started > limits.listing_seconds:
            raise Transient(f"the listing took over {limits.listing_seconds:g} s")


def get_json(
    client: PortalClient, url: str, backoff: Backoff, notify: Callable[[str], None] | None
) -> Any:
    """GET a JSON document from the API, retrying transient failures; its size is bounded."""
    body = _get_page(client, url, backoff, notify)
    try:
        return json.loads(body)
    except ValueError:
        raise FetchSourceError(f"listing {PRODUCT}: the portal did not answer JSON") from None


def _get_page(
    client: PortalClient, url: str, backoff: Backoff, notify: Callable[[str], None] | None
) -> bytes:
    """The body of a 200 answer to ``url``, retrying transient failures."""
    while True:
        try:
            with client.get(url, stream=True) as response:
                client.check(response, f"listing {PRODUCT}")
                if response.status_code != 200:
                    raise FetchSourceError(
                        f"listing {PRODUCT}: unexpected HTTP {response.status_code}"
                    )
                return _read_page(response, client.limits)
        except Transient as failure:
            backoff.wait(failure, f"listing {PRODUCT}", notify)


def _check_extent(entries: list[dict[str, Any]], pages: int, total: int, limits: Limits) -> None:
    """Stop a listing that goes on past ``listing_pages`` pages or ``listing_files`` files."""
    if len(entries) > limits.listing_files or (
        pages >= limits.listing_pages and len(entries) < total
    ):
        raise FetchSourceError(
            f"listing {PRODUCT}: no end after {pages} pages and {len(entries)} files (the "
            f"portal announces {total}; at most {limits.listing_pages} pages and "
            f"{limits.listing_files} files are read): try again later"
        )


def list_files(
    client: PortalClient, backoff: Backoff, notify: Callable[[str], None] | None = None
) -> list[PortalFile]:
    """Every file of the product, paging with ``offset``/``limit`` while the count says more."""
    base = f"{client.api_url}/api/v1/datasets/products/{PRODUCT}?includeFiles=true"
    entries, total = _page(_product(get_json(client, base, backoff, notify)))
    limit, pages = max(len(entries), 1), 1
    while len(entries) < total:
        _check_extent(entries, pages, total, client.limits)
        url = f"{base}&offset={len(entries)}&limit={limit}"
        more, _total = _page(_product(get_json(client, url, backoff, notify)))
        if not more:
            break
        entries.extend(more)
        pages += 1
    _check_extent(entries, pages, total, client.limits)
    files = [f for f in map(_to_file, entries) if f is not None]
    return list({f.name: f for f in files}.values())


def select_files(
    files: Iterable[PortalFile], tables: Iterable[str], fmt: str
) -> dict[str, PortalFile]:
    """Per table, its ``fmt`` zip; the highest re-release wins. Missing tables: exit 3."""
    files = list(files)
    best: dict[str, tuple[int, str, PortalFile]] = {}
    for file in files:
        parsed = parse_name(file.name)
        if parsed is None or parsed[1] != fmt:
            continue
        rank = (parsed[2], file.name)
        if parsed[0] not in best or rank > best[parsed[0]][:2]:
            best[parsed[0]] = (*rank, file)
    wanted = list(tables)
    missing = [t for t in wanted if t not in best]
    if missing:
        names = ", ".join(sorted(f.name for f in files)[:12]) or "no files"
        raise FetchSourceError(
            f"the {PRODUCT} listing has no {fmt.upper()} zip for table(s) "
            f"{', '.join(missing)} (it lists: {names})"
        )
    chosen = {t: best[t][2] for t in wanted}
    for table, file in chosen.items():
        if file.size <= 0:
            raise FetchSourceError(
                f"the listing gives no usable fileSize for {file.name} ({table})"
            )
    return chosen
