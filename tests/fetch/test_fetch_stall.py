"""A portal that trickles, never ends or never stops paging cannot hang or exhaust a fetch.

Real HTTP servers on loopback (portal_server.py); small limits keep each case to about a
second. Every fetch runs on a thread with a deadline, so a fetch that hangs fails the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from helpers import FetchRun
from ptoffact_build.fetch.download import SAMPLES, Stalled, StallWatch
from ptoffact_build.fetch.portal import Limits
from ptoffact_build.fetch.tables import FetchError, read_manifest

try:
    from .portal_server import FakePortal
except ImportError:
    from portal_server import FakePortal

KEY = "KEY-stall-never-shown-4b7d2e"
NAME = "office_actions.csv.zip"
DEADLINE = 5.0
FAST = Limits(answer_seconds=1.0, stall_seconds=0.5, listing_seconds=1.0)


def within(seconds: float, action: Callable[[], Any]) -> Any:
    """``action()``'s result (or exception), failing the test if it takes over ``seconds``."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = action()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"the fetch did not end within {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def payload(size: int = 200_000) -> bytes:
    """Bytes standing in for a zip (verification is not what these tests are about)."""
    return bytes(range(256)) * (size // 256)


@pytest.fixture
def portal():
    with FakePortal(KEY) as fake:
        fake.add_file(NAME, payload())
        yield fake


class Fetch(FetchRun):
    """``fetch_tables`` against the fake portal with ``FAST`` limits and a recorded sleep."""

    def __call__(self, limits: Limits = FAST) -> Any:
        return within(DEADLINE, lambda: super(Fetch, self).__call__(limits=limits))

    def fails(self, limits: Limits = FAST) -> str:
        """The one-line, key-free message of a fetch that fails with exit 3."""
        with pytest.raises(FetchError) as caught:
            self(limits)
        message = str(caught.value)
        assert caught.value.exit_code == 3
        assert "\n" not in message and KEY not in message and KEY not in repr(caught.value)
        return message


@pytest.fixture
def fetch(portal, tmp_path, session, monkeypatch) -> Fetch:
    # verification is zipcheck's business; here any bytes of the right size will do
    monkeypatch.setattr("ptoffact_build.fetch.tables.verify_zip", lambda path, size: "0" * 64)
    return Fetch(portal, tmp_path / "cache", session, KEY)


# -- a body that trickles ------------------------------------------------------------------


def test_a_trickling_download_stalls_keeps_the_part_and_the_next_run_resumes(fetch, portal):
    for _ in range(3):
        portal.fault("storage", "trickle", 1000, 0.02)
    message = fetch.fails()
    part = fetch.cache_dir / f"{NAME}.part"
    kept = part.stat().st_size
    assert "stalled 3 times" in message and "run the same command again to resume" in message
    assert str(part) in message and kept >= 1000
    assert len(portal.requests_to("storage")) == 3 and len(fetch.sleeps) == 2
    assert portal.requests_to("storage")[1].headers["range"].startswith("bytes=")
    assert NAME not in read_manifest(fetch.cache_dir)

    (fetched,) = fetch()
    assert portal.requests_to("storage")[-1].headers["range"] == f"bytes={kept}-"
    assert fetched.path.read_bytes() == portal.files[NAME]


def test_one_stall_is_retried_on_a_new_connection(fetch, portal):
    portal.fault("storage", "trickle", 5000, 0.02)
    (fetched,) = fetch()
    assert "stalled" in fetch.output.getvalue() and len(fetch.sleeps) == 1
    assert fetched.path.read_bytes() == portal.files[NAME]


def test_the_stall_rule_is_a_sliding_window():
    clock = [0.0]
    limits = Limits(stall_bytes=100, stall_seconds=10.0, clock=lambda: clock[0])

    steady = StallWatch(limits)
    for _ in range(200):  # 11 bytes a second: 110 in any 10 s
        clock[0] += 1
        steady.add(11)

    clock[0] = 0.0
    burst = StallWatch(limits)
    burst.add(1_000_000)
    with pytest.raises(Stalled, match="stalled"):
        for _ in range(20):  # then 5 bytes a second: the burst slides out of the window
            clock[0] += 1
            burst.add(5)
    assert clock[0] == 10.0

    clock[0] = 0.0
    fast = StallWatch(limits)
    for _ in range(100_000):  # many small chunks: the samples kept stay few
        clock[0] += 0.001
        fast.add(1000)
    assert len(fast.samples) <= 2 * SAMPLES  # not one per chunk (10,000 a window)


# -- requests whose answer never comes -----------------------------------------------------


@pytest.mark.parametrize(
    ("server", "earlier"),
    [("api", 0), ("api", 1), ("storage", 0)],
    ids=["listing", "redirect-hop", "storage"],
)
def test_headers_that_never_end_are_cut_off_and_retried(fetch, portal, server, earlier):
    for _ in range(earlier):
        portal.fault(server, "pass")
    portal.fault(server, "slow_headers", 0.02)
    (fetched,) = fetch()
    assert f"within {FAST.answer_seconds:g} s" in fetch.output.getvalue()
    assert len(fetch.sleeps) == 1
    assert fetched.path.read_bytes() == portal.files[NAME]


@pytest.mark.parametrize("server", ["api", "storage"])
def test_an_error_body_that_trickles_is_not_waited_for(fetch, portal, server):
    portal.fault(server, "endless", "application/json", b'{"error": "busy', 0, 0.02, 503)
    (fetched,) = fetch()
    assert "HTTP 503" in fetch.output.getvalue() and len(fetch.sleeps) == 1
    assert fetched.path.read_bytes() == portal.files[NAME]


# -- a listing that never ends -------------------------------------------------------------


def test_a_listing_body_without_end_stops_at_the_size_cap(fetch, portal):
    prefix = b'{"count": 1, "bulkDataProductBag": ['
    portal.fault("api", "endless", "application/json", prefix, 64 << 20)
    message = fetch.fails(Limits(listing_bytes=1 << 20))
    assert "exceeds 1.0 MB" in message and "listing PTOFFACT" in message
    assert portal.bytes_served["endless"] < 16 << 20
    assert portal.requests_to("storage") == []


def test_a_listing_that_trickles_is_cut_off_in_time(fetch, portal):
    for _ in range(10):
        portal.fault("api", "endless", "application/json", b"{", 0, 0.02)
    message = fetch.fails(Limits(answer_seconds=1.0, listing_seconds=0.3))
    assert "gave up after" in message
    assert len(fetch.sleeps) == 5


@pytest.mark.parametrize(("page_size", "cap"), [(5, "at most 20 pages"), (None, "10000 files")])
def test_a_listing_with_always_another_full_page_stops(fetch, portal, page_size, cap):
    portal.endless_listing, portal.page_size = True, page_size
    message = fetch.fails(Limits(listing_pages=20))
    assert "no end after" in message and cap in message
    pages = [h for h in portal.requests_to("api") if "includeFiles" in h.path]
    assert len(pages) == (20 if page_size else 11)  # 11 pages of 1000: past 10000 files
    assert portal.requests_to("storage") == []


# -- a body larger than the listing says ---------------------------------------------------


def test_a_body_without_end_is_cut_at_the_listed_file_size(fetch, portal):
    portal.fault("storage", "endless", "application/zip", b"PK\x03\x04", 64 << 20)
    message = fetch.fails()
    assert "more than the listing's fileSize" in message
    assert portal.bytes_served["endless"] < 16 << 20
    assert not (fetch.cache_dir / f"{NAME}.part").exists()
