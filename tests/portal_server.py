"""A fake USPTO Open Data Portal on loopback, for the fetch tests.

Two real HTTP servers on 127.0.0.1: the *API* (product listing; file URIs answer 302 to a
signed URL) and the *storage* host on another port (serves the bytes, honours ``Range``,
refuses unknown or expired signatures with 403). Every request is recorded in ``hits``;
faults are queued per server and each is used by one request.

Faults (tuples, first item the kind):
``("status", code, headers, body)`` answer with that status;
``("drop", n)`` send the headers for the full body, ``n`` bytes, then close the connection;
``("drop_expire", n)`` the same, then expire every signature issued so far;
``("truncate", n)`` a complete answer whose body (and Content-Length) is only ``n`` bytes;
``("html",)`` a 200 web page; ``("ignore_range",)`` a 200 with the whole file despite Range;
``("stall", seconds)`` wait before answering normally (for timeouts); ``("pass",)`` none;
``("trickle", n, interval)`` (storage) send ``n`` bytes, then one byte per ``interval`` s;
``("slow_headers", interval)`` a status line, then one header byte per ``interval`` s;
``("endless", content_type, prefix, cap)`` a 200 without length: ``prefix``, then blanks up to
``cap`` bytes (counted in ``bytes_served["endless"]``), then silence;
``("endless", content_type, prefix, 0, interval[, status])`` the same, then one blank per
``interval`` s (with that HTTP status).
With ``endless_listing`` every listing page is full of invented names and announces a billion.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from loopback import QuietHandler, TwoServers

PRODUCT_PATH = "/api/v1/datasets/products/PTOFFACT"
FILES_PREFIX = "/api/v1/datasets/products/files/PTOFFACT/"
HTML_PAGE = b"<!DOCTYPE html><html><body><script>challenge()</script></body></html>"


@dataclass
class Hit:
    """One request as a server saw it (header names lower-cased)."""

    server: str
    path: str
    headers: dict[str, str]


@dataclass
class FakePortal(TwoServers):
    """The two servers, what they serve and what they saw."""

    key: str
    files: dict[str, bytes] = field(default_factory=dict)
    listing: list[dict[str, Any]] = field(default_factory=list)
    page_size: int | None = None
    dataset_field: str = "productDatasetArrayText"
    endless_listing: bool = False
    faults: dict[str, list[tuple]] = field(default_factory=lambda: {"api": [], "storage": []})
    hits: list[Hit] = field(default_factory=list)
    bytes_served: Counter = field(default_factory=Counter)
    signatures: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.stall = threading.Event()
        self.make_servers(_Handler, portal=self)

    # -- set-up -----------------------------------------------------------------------------

    def add_file(
        self,
        name: str,
        data: bytes | None,
        *,
        size: int | None = None,
        folder: str = "2017",
        modified: str = "2025-07-14 04:12:00",
    ) -> None:
        """List ``name`` (with ``size``, default the real size) and serve ``data`` unless None."""
        if data is not None:
            self.files[name] = data
        self.listing.append(
            {
                "fileName": name,
                "fileSize": size if size is not None else len(data or b""),
                "fileDataFromDate": "2017-11-29",
                "fileDataToDate": "2017-11-29",
                "fileTypeText": "Data",
                "fileDownloadURI": f"{self.api_url}{FILES_PREFIX}{folder}/{name}",
                "fileReleaseDate": "2017-11-29 00:00:00",
                "fileLastModifiedDateTime": modified,
            }
        )

    def fault(self, server: str, *fault: Any) -> None:
        """Queue a fault for the next request to ``server`` that has none before it."""
        self.faults[server].append(fault)

    def expire_signatures(self) -> None:
        """Make every signed URL issued so far answer 403."""
        with self.lock:
            self.signatures.clear()

    def requests_to(self, server: str) -> list[Hit]:
        """The recorded requests to one server."""
        return [hit for hit in self.hits if hit.server == server]

    # -- life -------------------------------------------------------------------------------

    def before_stop(self) -> None:
        self.stall.set()  # a handler told to stall returns at once

    # -- used by the handler ----------------------------------------------------------------

    def next_fault(self, server: str) -> tuple | None:
        with self.lock:
            return self.faults[server].pop(0) if self.faults[server] else None

    def sign(self) -> str:
        with self.lock:
            signature = f"sig{next(self.counter)}"
            self.signatures.add(signature)
            return signature


class _Handler(QuietHandler):
    portal: FakePortal

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.portal.lock:
            self.portal.hits.append(Hit(self.role, self.path, headers))
        fault = self.portal.next_fault(self.role)
        if fault and fault[0] == "stall":
            self.portal.stall.wait(fault[1])
        if fault and fault[0] in ("stall", "pass"):
            fault = None
        if fault and fault[0] == "status":
            self.send(fault[1], fault[3] if len(fault) > 3 else b"", fault[2] or {})
        elif fault and fault[0] == "slow_headers":
            self.slow_headers(fault[1])
        elif fault and fault[0] == "endless":
            self.endless(*fault[1:])
        elif self.role == "api":
            self.api(headers)
        else:
            self.storage(headers, fault)

    # -- answers ----------------------------------------------------------------------------

    def send_json(self, status: int, body: Any) -> None:
        self.send(status, json.dumps(body), {"Content-Type": "application/json"})

    def slow_headers(self, interval: float) -> None:
        """A status line, then a header that never ends, one byte per ``interval``."""
        self.close_connection = True
        self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not self.portal.stall.wait(interval):
            self.wfile.write(b"a")

    def endless(
        self, content_type: str, prefix: bytes, cap: int, interval: float = 60, status: int = 200
    ) -> None:
        """An answer without length: ``prefix``, blanks up to ``cap``, then one per ``interval``."""
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()
        self.wfile.write(prefix)
        filler, sent = b" " * 65536, 0
        while sent < cap:
            self.wfile.write(filler)
            sent += len(filler)
            with self.portal.lock:
                self.portal.bytes_served["endless"] += len(filler)
        while not self.portal.stall.wait(interval):
            self.wfile.write(b" ")

    # -- the API ----------------------------------------------------------------------------

    def api(self, headers: dict[str, str]) -> None:
        if headers.get("x-api-key") != self.portal.key:
            self.send_json(403, {"code": 403, "error": "Forbidden"})
            return
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == PRODUCT_PATH:
            self.send_json(200, self.product(parse_qs(url.query)))
        elif path.startswith(FILES_PREFIX) and path.rsplit("/", 1)[-1] in self.portal.files:
            rest = quote(path[len(FILES_PREFIX) :])
            query = f"Expires=2000000000&Signature={self.portal.sign()}&Key-Pair-Id=K1"
            self.send(302, b"", {"Location": f"{self.portal.storage_url}/{rest}?{query}"})
        else:
            self.send_json(404, {"code": 404, "error": "Not Found"})

    def product(self, query: dict[str, list[str]]) -> dict[str, Any]:
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["1000"])[0])
        if self.portal.page_size:
            limit = min(limit, self.portal.page_size)
        files, count = self.portal.listing, len(self.portal.listing)
        if self.portal.endless_listing:
            files = files + [_invented(self.portal, n) for n in range(count, offset + limit)]
            count = 10**9
        product = {
            "productIdentifier": "PTOFFACT",
            "productTitleText": "Patent Application Office Actions Research Dataset",
            self.portal.dataset_field: ["Research"],
            "productFileTotalQuantity": count,
            "productFileBag": {"count": count, "fileDataBag": files[offset : offset + limit]},
        }
        return {"count": 1, "bulkDataProductBag": [product]}

    # -- the storage host -------------------------------------------------------------------

    def storage(self, headers: dict[str, str], fault: tuple | None) -> None:
        url = urlsplit(self.path)
        signature = parse_qs(url.query).get("Signature", [""])[0]
        if signature not in self.portal.signatures:
            self.send(
                403, b"<Error><Code>AccessDenied</Code></Error>", {"Content-Type": "text/xml"}
            )
            return
        name = unquote(url.path).rsplit("/", 1)[-1]
        data = self.portal.files[name]
        kind = fault[0] if fault else None
        match = re.fullmatch(r"bytes=(\d+)-", headers.get("range", ""))
        if kind == "html":
            self.send(200, HTML_PAGE, {"Content-Type": "text/html; charset=utf-8"})
            return
        if kind == "trickle":
            self.trickle(name, data, int(match[1]) if match else 0, *fault[1:])
            return
        if kind == "truncate":
            self.serve(name, data[: fault[1]], 0, len(data[: fault[1]]))
            return
        start = int(match[1]) if match and kind != "ignore_range" else 0
        limit = fault[1] if kind in ("drop", "drop_expire") else None
        self.serve(name, data, start, limit)
        if kind == "drop_expire":
            self.portal.expire_signatures()

    def zip_headers(self, data: bytes, start: int) -> None:
        """The status and headers of ``data`` sent from ``start`` (206 with a range if > 0)."""
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(data) - start))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()

    def serve(self, name: str, data: bytes, start: int, limit: int | None) -> None:
        """Send ``data`` from ``start``; stop after ``limit`` bytes and drop the connection."""
        self.zip_headers(data, start)
        body = data[start:] if limit is None else data[start : start + limit]
        self.wfile.write(body)
        with self.portal.lock:
            self.portal.bytes_served[name] += len(body)
        if limit is not None:
            self.wfile.flush()
            self.close_connection = True

    def trickle(self, name: str, data: bytes, start: int, head: int, interval: float) -> None:
        """Send ``data`` from ``start``: ``head`` bytes at once, then one per ``interval``."""
        self.close_connection = True
        self.zip_headers(data, start)
        self.wfile.write(data[start : start + head])
        at = start + head
        while at < len(data) and not self.portal.stall.wait(interval):
            self.wfile.write(data[at : at + 1])
            at += 1


def _invented(portal: FakePortal, n: int) -> dict[str, Any]:
    """A listing entry for a file that does not exist (for a listing without end)."""
    name = f"invented_{n}.pdf"
    return {"fileName": name, "fileSize": 1, "fileDownloadURI": f"{portal.api_url}/x/{name}"}
