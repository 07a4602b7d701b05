"""The portal download against a real HTTP server on loopback (see portal_server.py).

No test sleeps: ``sleep`` is a list's ``append``, so tests read the pauses that were asked for.
"""

from __future__ import annotations

import io
import json
import logging
import random
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests

from helpers import FetchRun
from ptoffact_build.fetch import cache as cache_module
from ptoffact_build.fetch import portal as portal_module
from ptoffact_build.fetch.listing import PortalFile, parse_name, select_files
from ptoffact_build.fetch.portal import Backoff, PortalClient, Transient, retry_after_seconds
from ptoffact_build.fetch.tables import (
    FetchError,
    read_manifest,
    resolve_api_key,
    resolve_api_url,
    resolve_cache_dir,
)

try:
    from .portal_server import FakePortal
except ImportError:
    from portal_server import FakePortal

KEY = "KEY-do-not-leak-7f3a9c1e5b"
TABLES = ("office_actions", "rejections", "citations")


def make_zip(members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    """A zip holding ``members`` (stored, so that every byte is where a test expects it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2017, 11, 29, 0, 0, 0)), data)
    return buffer.getvalue()


def table_csv(table: str, rows: int = 1500) -> bytes:
    """A small CSV for ``table``; varied enough that a zip of it is some kilobytes."""
    rng = random.Random(table)
    lines = ["app_id,ifw_number,value"]
    lines += [f"{12000000 + i},{rng.getrandbits(48):015X},{rng.random():.6f}" for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


def table_zip(table: str, ext: str = "csv") -> bytes:
    return make_zip({f"{table}.{ext}": table_csv(table)})


@pytest.fixture
def portal():
    """The fake portal listing the three CSV zips, the DTA zips and files to be ignored."""
    with FakePortal(KEY) as fake:
        for table in TABLES:
            fake.add_file(f"{table}.csv.zip", table_zip(table))
            fake.add_file(f"{table}.dta.zip", table_zip(table, "dta"))
        fake.add_file("ptoffact_full_csv.zip", make_zip({"all.csv": b"x"}))
        fake.add_file("OA_Research_Data_Documentation.pdf", b"%PDF-1.4")
        yield fake


class Run(FetchRun):
    """Calls fetch_tables against the fake portal, recording sleeps and progress output."""

    def fails(self, exit_code: int = 3, **kwargs) -> FetchError:
        with pytest.raises(FetchError) as caught:
            self(**kwargs)
        error = caught.value
        assert error.exit_code == exit_code
        assert "\n" not in str(error)
        assert KEY not in str(error) and KEY not in repr(error)
        return error

    def left_nothing(self, name: str = "office_actions.csv.zip") -> None:
        """Neither the file nor its .part nor a manifest entry remains."""
        assert not (self.cache_dir / name).exists()
        assert not (self.cache_dir / f"{name}.part").exists()
        assert name not in read_manifest(self.cache_dir)


@pytest.fixture
def run(portal: FakePortal, tmp_path: Path, session: requests.Session) -> Run:
    return Run(portal, tmp_path / "cache", session, KEY)


def assert_key_never_leaked(portal: FakePortal, cache_dir: Path, *texts: str) -> None:
    """The key reached only the API, and no file, output or log holds it."""
    assert portal.requests_to("api")
    assert all(hit.headers.get("x-api-key") == KEY for hit in portal.requests_to("api"))
    for hit in portal.requests_to("storage"):
        assert "x-api-key" not in hit.headers
        assert KEY not in hit.path and KEY not in json.dumps(hit.headers)
    for path in cache_dir.rglob("*"):
        assert path.is_dir() or KEY.encode() not in path.read_bytes(), path
    for text in texts:
        assert KEY not in text


# -- the 302 to another host, the key, the manifest -------------------------------------------


def test_fetches_all_tables_and_keeps_the_key_on_the_api_host(run, portal, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    fetched = run(tables=TABLES)

    assert [f.table for f in fetched] == list(TABLES)
    for f in fetched:
        assert f.path == run.cache_dir / f"{f.table}.csv.zip"
        assert f.path.read_bytes() == portal.files[f.name]
        assert f.size == len(portal.files[f.name]) and not f.from_cache
        assert f.modified == "2025-07-14 04:12:00" and f.fetched_at.endswith("Z")
    storage = portal.requests_to("storage")
    assert len(storage) == 3 and all("Signature=" in hit.path for hit in storage)
    manifest = read_manifest(run.cache_dir)
    assert set(manifest) == {f.name for f in fetched}
    entry = manifest["citations.csv.zip"]
    assert entry["sha256"] == fetched[2].sha256 and entry["size"] == fetched[2].size
    assert entry["modified"] == "2025-07-14 04:12:00" and entry["table"] == "citations"
    assert not list(run.cache_dir.glob("*.part"))
    out = capsys.readouterr()
    assert_key_never_leaked(
        portal, run.cache_dir, run.output.getvalue(), caplog.text, out.out, out.err
    )


def test_key_is_dropped_even_when_the_session_carries_it(run, portal, session):
    session.headers["X-API-KEY"] = KEY
    run()
    assert_key_never_leaked(portal, run.cache_dir)


def test_dta_format_picks_the_stata_zips(run, portal):
    fetched = run(fmt="dta", tables=TABLES)
    assert [f.name for f in fetched] == [f"{t}.dta.zip" for t in TABLES]
    assert read_manifest(run.cache_dir)["rejections.dta.zip"]["format"] == "dta"


def test_file_names_with_spaces_are_percent_encoded(run, portal):
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", table_zip("office_actions"), folder="2017 v2")
    run()
    api_paths = [hit.path for hit in portal.requests_to("api")]
    assert any("/2017%20v2/office_actions.csv.zip" in path for path in api_paths)


# -- the cache ---------------------------------------------------------------------------------


def test_a_cached_file_costs_no_request_at_all(run, portal):
    first = run(tables=TABLES)
    hits = len(portal.hits)
    again = run(tables=TABLES, api_url="http://127.0.0.1:9")  # nothing listens there
    assert len(portal.hits) == hits
    assert all(f.from_cache for f in again)
    assert [(f.name, f.sha256) for f in again] == [(f.name, f.sha256) for f in first]
    assert "in the cache" in run.output.getvalue()


def test_refresh_downloads_again(run, portal):
    run()
    run(refresh=True)
    assert len(portal.requests_to("storage")) == 2


def test_a_damaged_cached_file_is_downloaded_again(run, portal):
    (fetched,) = run()
    data = bytearray(fetched.path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the member: its CRC no longer holds
    fetched.path.write_bytes(data)
    (again,) = run()
    assert not again.from_cache and again.path.read_bytes() == portal.files[again.name]


def test_an_unrecorded_complete_file_is_verified_without_downloading(run, portal):
    run.cache_dir.mkdir()
    (run.cache_dir / "office_actions.csv.zip").write_bytes(portal.files["office_actions.csv.zip"])
    (fetched,) = run()
    assert portal.requests_to("storage") == []
    assert read_manifest(run.cache_dir)["office_actions.csv.zip"]["sha256"] == fetched.sha256


def test_a_bad_part_from_an_earlier_run_is_replaced(run, portal):
    run.cache_dir.mkdir()
    (run.cache_dir / "office_actions.csv.zip.part").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (fetched,) = run()
    assert fetched.path.read_bytes() == portal.files["office_actions.csv.zip"]


def test_a_second_fetch_into_the_same_cache_is_refused(run, portal):
    run.cache_dir.mkdir()
    with cache_module.locked(run.cache_dir):
        assert "another ptoffact fetch" in str(run.fails(3))
    run()


def test_the_client_never_shows_the_key(session):
    client = PortalClient("https://api.uspto.gov", KEY, session)
    assert KEY not in repr(client)
    assert client.headers_for("https://api.uspto.gov/x")["X-API-KEY"] == KEY
    assert client.headers_for("https://api.uspto.gov:8443/x")["X-API-KEY"] is None
    assert client.headers_for("http://api.uspto.gov/x")["X-API-KEY"] is None
    assert client.headers_for("https://cdn.example/x?Signature=s")["X-API-KEY"] is None


# -- retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["api", "storage"])
def test_429_honours_retry_after_seconds(run, portal, server):
    portal.fault(server, "status", 429, {"Retry-After": "7"}, b'{"code":429}')
    (fetched,) = run()
    assert run.sleeps == [7.0]
    assert "HTTP 429" in run.output.getvalue() and "retrying in 7 s" in run.output.getvalue()
    assert fetched.path.read_bytes() == portal.files["office_actions.csv.zip"]


def test_429_honours_retry_after_as_http_date(run, portal):
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    portal.fault("api", "status", 429, {"Retry-After": when})
    run()
    assert len(run.sleeps) == 1 and 25 <= run.sleeps[0] <= 30


def test_503_then_success(run, portal):
    portal.fault("storage", "status", 503, {}, b"busy")
    (fetched,) = run()
    assert len(run.sleeps) == 1 and 0.5 <= run.sleeps[0] <= 1.0
    assert len(portal.requests_to("storage")) == 2
    assert fetched.path.read_bytes() == portal.files["office_actions.csv.zip"]


def test_retries_are_bounded(run, portal):
    for _ in range(20):
        portal.fault("api", "status", 503, {}, b"")
    error = run.fails(3)
    assert "gave up after" in str(error)
    assert len(run.sleeps) == Backoff().max_attempts - 1
    assert len(portal.requests_to("api")) == Backoff().max_attempts


def test_connection_refused_is_retried_then_fails(run):
    error = run.fails(3, api_url="http://127.0.0.1:9")
    assert "could not connect" in str(error) and len(run.sleeps) == 5


def test_a_timeout_is_retried(run, portal, monkeypatch):
    monkeypatch.setattr(portal_module, "TIMEOUT", (1.0, 0.2))
    portal.fault("api", "stall", 3.0)
    run()
    assert len(run.sleeps) == 1 and len(portal.requests_to("api")) == 3


def test_a_persistent_429_gives_up_and_mentions_the_yearly_limit(run, portal):
    for _ in range(10):
        portal.fault("storage", "status", 429, {}, b'{"code":429}')
    error = run.fails(3)
    assert "20 downloads of a file per key per year" in str(error)
    run.left_nothing()


def test_other_4xx_are_not_retried(run, portal):
    portal.fault("storage", "status", 404, {}, b'{"code":404,"error":"Not Found"}')
    error = run.fails(3)
    assert "HTTP 404" in str(error) and "Signature" not in str(error)
    assert run.sleeps == []


def test_backoff_grows_with_jitter_and_respects_the_total():
    pauses: list[float] = []
    backoff = Backoff(sleep=pauses.append, max_attempts=10, max_total_sleep=20)
    with pytest.raises(FetchError, match="giving up"):
        for _ in range(10):
            backoff.wait(Transient("HTTP 503"), "listing")
    assert len(pauses) in (4, 5) and sum(pauses) <= 20
    for i, pause in enumerate(pauses):
        assert 2**i / 2 <= pause <= 2**i


def test_retry_after_parsing():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 01 Jan 2025 00:01:00 GMT", lambda: now) == 60
    assert retry_after_seconds("Tue, 31 Dec 2024 00:00:00 GMT", lambda: now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


# -- resuming, expiry ----------------------------------------------------------------------


def test_a_dropped_connection_resumes_with_range(run, portal):
    data = portal.files["office_actions.csv.zip"]
    half = len(data) // 2
    portal.fault("storage", "drop", half)
    (fetched,) = run()
    storage = portal.requests_to("storage")
    assert len(storage) == 2 and "range" not in storage[0].headers
    assert storage[1].headers["range"] == f"bytes={half}-"
    assert storage[0].path == storage[1].path  # the signed URL is reused while it is valid
    assert portal.bytes_served["office_actions.csv.zip"] < 2 * len(data)
    assert fetched.path.read_bytes() == data and len(run.sleeps) == 1


def test_a_200_that_ignores_range_restarts_the_file(run, portal):
    data = portal.files["office_actions.csv.zip"]
    portal.fault("storage", "drop", 1000)
    portal.fault("storage", "ignore_range")
    (fetched,) = run()
    assert portal.requests_to("storage")[1].headers["range"] == "bytes=1000-"
    assert fetched.path.read_bytes() == data


def test_an_expired_signed_url_gets_a_fresh_redirect(run, portal):
    data = portal.files["office_actions.csv.zip"]
    portal.fault("storage", "drop_expire", 3000)
    (fetched,) = run()
    api_downloads = [h for h in portal.requests_to("api") if "/files/" in h.path]
    storage = portal.requests_to("storage")
    assert len(api_downloads) == 2 and len(storage) == 3
    assert storage[1].path == storage[0].path  # old signature: 403
    assert "Signature=sig2" in storage[2].path and storage[2].headers["range"] == "bytes=3000-"
    assert fetched.path.read_bytes() == data
    assert "expired" in run.output.getvalue()
    assert_key_never_leaked(portal, run.cache_dir, run.output.getvalue())


def test_a_connection_that_keeps_dropping_gives_up_and_a_later_run_resumes(run, portal):
    data = portal.files["office_actions.csv.zip"]
    portal.fault("storage", "drop", 2000)
    for _ in range(10):
        portal.fault("storage", "drop", 0)
    run.fails(3)
    part = run.cache_dir / "office_actions.csv.zip.part"
    assert part.stat().st_size == 2000  # kept, never trusted: only resumed and verified
    assert "office_actions.csv.zip" not in read_manifest(run.cache_dir)
    portal.faults["storage"].clear()
    (fetched,) = run()
    assert portal.requests_to("storage")[-1].headers["range"] == "bytes=2000-"
    assert fetched.path.read_bytes() == data


# -- bad files -----------------------------------------------------------------------------


def test_a_truncated_body_fails_and_leaves_nothing(run, portal):
    portal.fault("storage", "truncate", 500)
    error = run.fails(3)
    assert "ended at 500 bytes" in str(error)
    run.left_nothing()


def test_an_html_page_instead_of_a_zip(run, portal):
    portal.fault("storage", "html")
    error = run.fails(3)
    assert "HTML page" in str(error)
    run.left_nothing()


def test_html_without_a_content_type_is_caught_by_the_file_check(run, portal):
    page = b"  <!doctype html><html>" + b"x" * 50 + b"</html>"
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", page)
    assert "HTML page" in str(run.fails(3))
    run.left_nothing()


@pytest.mark.parametrize("delta", [+100, -100])
def test_a_size_that_differs_from_file_size(run, portal, delta):
    data = portal.files["office_actions.csv.zip"]
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", data, size=len(data) + delta)
    error = run.fails(3)
    assert "fileSize" in str(error)
    run.left_nothing()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"office_actions.csv": b"a,b\n", "extra.csv": b"c\n"},
            "expected one member inside, found office_actions.csv, extra.csv",
        ),
        ({"../office_actions.csv": b"a,b\n"}, "escape"),
        ({"/tmp/office_actions.csv": b"a,b\n"}, "escape"),
    ],
)
def test_zips_that_must_not_be_trusted(run, portal, members, message):
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", make_zip(members))
    assert message in str(run.fails(3))
    run.left_nothing()


def test_a_bad_crc_fails(run, portal):
    content = table_csv("office_actions")
    data = bytearray(make_zip({"office_actions.csv": content}))
    at = data.index(content) + len(content) // 2
    data[at] ^= 0xFF
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", bytes(data))
    assert "CRC" in str(run.fails(3))
    run.left_nothing()


# -- the key -------------------------------------------------------------------------------


def test_no_key_is_exit_2_with_how_to_get_one():
    with pytest.raises(FetchError) as caught:
        resolve_api_key({}, None)
    assert caught.value.exit_code == 2
    assert "USPTO_API_KEY" in str(caught.value) and "ID.me" in str(caught.value)
    with pytest.raises(FetchError):
        resolve_api_key({"USPTO_API_KEY": "  "}, None)


def test_key_from_environment_or_file(tmp_path):
    assert resolve_api_key({"USPTO_API_KEY": f" {KEY}\n"}, None) == KEY
    key_file = tmp_path / "key"
    key_file.write_text(f"{KEY}\n")
    assert resolve_api_key({"USPTO_API_KEY": "other"}, key_file) == KEY
    key_file.write_text("")
    assert "empty" in _error(resolve_api_key, {}, key_file)
    key_file.write_text(f"{KEY}\nsecond line\n")
    message = _error(resolve_api_key, {}, key_file)
    assert "only the key" in message and KEY not in message
    assert "cannot read" in _error(resolve_api_key, {}, tmp_path / "absent")


def _error(function: Callable, *args) -> str:
    with pytest.raises(FetchError) as caught:
        function(*args)
    assert caught.value.exit_code == 2
    return str(caught.value)


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_key_is_exit_2_without_retry(run, portal, status):
    portal.fault("api", "status", status, {}, b'{"code":%d,"error":"Unauthorized"}' % status)
    error = run.fails(2)
    assert "key rejected" in str(error)
    assert run.sleeps == [] and len(portal.hits) == 1


def test_a_key_rejected_on_the_download_uri(run, portal):
    portal.fault("api", "pass")  # the listing works
    portal.fault("api", "status", 403, {}, b'{"message":"Missing Authentication Token"}')
    error = run.fails(2)
    assert "key rejected" in str(error) and "Missing Authentication Token" in str(error)
    assert run.sleeps == [] and portal.requests_to("storage") == []


# -- discovery -----------------------------------------------------------------------------


def test_a_table_missing_from_the_listing_is_exit_3_naming_it(run, portal):
    portal.listing[:] = [f for f in portal.listing if not f["fileName"].startswith("rejections")]
    error = run.fails(3, tables=TABLES)
    assert "rejections" in str(error) and "office_actions.csv.zip" in str(error)
    assert portal.requests_to("storage") == []


def test_the_listing_is_paged(run, portal):
    portal.page_size = 3
    portal.dataset_field = "productDataSetArrayText"
    run(tables=TABLES)
    listing = [h.path for h in portal.requests_to("api") if "includeFiles" in h.path]
    assert len(listing) == 3  # 8 files, 3 a page
    assert "offset=3&limit=3" in listing[1] and "offset=6&limit=3" in listing[2]


def test_names_are_matched_by_table_and_suffix():
    assert parse_name("office_actions.csv.zip") == ("office_actions", "csv", 0)
    assert parse_name("Citations_R2.DTA.zip") == ("citations", "dta", 2)
    assert parse_name("office actions.csv.zip") == ("office_actions", "csv", 0)
    assert parse_name("rejections.csv_r1.zip") == ("rejections", "csv", 1)
    assert parse_name("office_actions.pdf") is None
    assert parse_name("../office_actions.csv.zip") is None


def test_the_newest_re_release_wins_and_other_files_are_ignored():
    def listed(name: str) -> PortalFile:
        return PortalFile(name, 10, f"https://api.uspto.gov/files/{name}", None)

    files = [
        listed(n)
        for n in (
            "office_actions.csv.zip",
            "office_actions_r2.csv.zip",
            "office_actions_r1.csv.zip",
            "office_actions_and_more.csv.zip",
            "office_actions.dta.zip",
            "ptoffact.csv.zip",
            "office_actions.pdf",
        )
    ]
    assert select_files(files, ["office_actions"], "csv")["office_actions"].name == (
        "office_actions_r2.csv.zip"
    )
    assert select_files(files, ["office_actions"], "dta")["office_actions"].name == (
        "office_actions.dta.zip"
    )
    with pytest.raises(FetchError, match="citations"):
        select_files(files, ["office_actions", "citations"], "csv")


# -- configuration and progress --------------------------------------------------------------


def test_api_url_and_cache_dir_precedence(tmp_path):
    env = {"PTOFFACT_API_URL": "http://127.0.0.1:8080/", "PTOFFACT_CACHE": str(tmp_path)}
    assert resolve_api_url(None, {}) == "https://api.uspto.gov"
    assert resolve_api_url(None, env) == "http://127.0.0.1:8080"
    assert resolve_api_url("https://mirror.example/odp", env) == "https://mirror.example/odp"
    assert "plain http" in _error(resolve_api_url, "http://example.org", {})
    assert resolve_cache_dir(None, env) == tmp_path
    assert resolve_cache_dir(tmp_path / "x", env) == tmp_path / "x"
    assert "ptoffact" in str(resolve_cache_dir(None, {}))


def test_bad_format_or_table_is_a_usage_error(run):
    run.fails(2, fmt="parquet")
    run.fails(2, tables=("claims",))


def test_a_listing_that_is_not_json_or_holds_no_product(run, portal):
    portal.fault("api", "status", 200, {"Content-Type": "text/html"}, b"<html>challenge</html>")
    assert "did not answer JSON" in str(run.fails(3))
    portal.fault("api", "status", 200, {"Content-Type": "application/json"}, b'{"count":0}')
    assert "holds no product" in str(run.fails(3))


def test_a_zip_python_cannot_check_is_kept_unverified_and_not_fetched_again(run, portal):
    content = table_csv("office_actions")
    data = bytearray(make_zip({"office_actions.csv": content}))
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method := 9, Deflate64
        start = data.index(signature) + at
        data[start : start + 2] = (9).to_bytes(2, "little")
    portal.listing.clear()
    portal.add_file("office_actions.csv.zip", bytes(data))
    assert "cannot be verified" in str(run.fails(3))
    assert (run.cache_dir / "office_actions.csv.zip.part").stat().st_size == len(data)
    assert not (run.cache_dir / "office_actions.csv.zip").exists()
    run.fails(3)
    assert len(portal.requests_to("storage")) == 1  # the kept bytes are checked, not fetched
