"""Talking to the USPTO Open Data Portal: errors, the key's one host, timeouts and retries.

The API key travels in the ``X-API-KEY`` header and only to the API's own origin (scheme, host,
port). Redirects are never followed by ``requests`` (which keeps custom headers across hosts):
callers follow them hop by hop through :meth:`PortalClient.get`, which decides per URL whether
the key goes along.
"""

from __future__ import annotations

import email.utils
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import urllib3

from ptoffact_build.errors import FetchSourceError, FetchUsageError

KEY_HEADER = "X-API-KEY"
TIMEOUT: tuple[float, float] = (15.0, 60.0)
"""(connect, read) seconds for every request."""

Clock = Callable[[], float]


@dataclass(frozen=True)
class Limits:
    """What the portal may cost us in time and bytes; a hostile or broken portal ends here.

    ``answer_seconds`` bounds each request up to its status and headers (redirect hops
    included); a download has stalled when fewer than ``stall_bytes`` arrive in a sliding
    window of ``stall_seconds`` (after ``max_stalls`` stalled connections the fetch stops,
    keeping the ``.part`` to resume); one page of the product listing may hold at most
    ``listing_bytes`` and take ``listing_seconds``, the whole listing ``listing_pages`` pages
    and ``listing_files`` files. ``clock`` is the time source (seconds, monotonic).
    """

    answer_seconds: float = 120.0
    stall_bytes: int = 64 * 1024
    stall_seconds: float = 60.0
    max_stalls: int = 3
    listing_bytes: int = 4 * 1024 * 1024
    listing_seconds: float = 120.0
    listing_pages: int = 100
    listing_files: int = 10_000
    clock: Clock = time.monotonic


REDIRECTS = frozenset({301, 302, 303, 307, 308})
QUOTA_NOTE = " (rate limited; the portal allows 20 downloads of a file per key per year)"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Transient(Exception):
    """A failure worth retrying after a pause (connection, timeout, 429, 5xx).

    A signal between the fetch's own functions, not an error for the user: the retry loops
    catch it, and :class:`Backoff` turns the last one into a :class:`FetchSourceError`.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


Origin = tuple[str, str, int]


def origin(url: str) -> Origin:
    """The (scheme, host, port) a URL points at, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def is_loopback(host: str) -> bool:
    """True for names and addresses that never leave this machine."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def encode_url(url: str) -> str:
    """``url`` with unsafe characters of its path (spaces) percent-encoded, escapes kept."""
    parts = urlsplit(url)
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def public_url(url: str) -> str:
    """``url`` without query or fragment, fit for messages (signed queries are credentials)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def retry_after_seconds(
    value: str | None, now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


@dataclass
class Backoff:
    """Exponential backoff with jitter, bounded in attempts and in total time slept.

    ``wait`` is called after each failure: it sleeps, or raises :class:`FetchSourceError` (exit 3)
    when the budget is spent. ``reset`` after real progress (bytes received) restores the
    attempt count; the total sleep budget is never restored.
    """

    sleep: Callable[[float], None] = time.sleep
    max_attempts: int = 6
    max_total_sleep: float = 600.0
    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    slept: float = 0.0

    def delay(self) -> float:
        """The next pause: half of the exponential step, plus up to as much again at random."""
        step = min(self.cap, self.base * 2 ** (self.failures - 1))
        return step / 2 + self.rng.uniform(0, step / 2)

    def wait(
        self, failure: Transient, what: str, notify: Callable[[str], None] | None = None
    ) -> None:
        """Pause before retrying ``what`` after ``failure`` (telling ``notify``), or give up."""
        self.failures += 1
        if self.failures >= self.max_attempts:
            raise FetchSourceError(
                f"{what}: {failure.reason}; gave up after {self.failures} attempts"
            )
        pause = failure.retry_after if failure.retry_after is not None else self.delay()
        if self.slept + pause > self.max_total_sleep:
            raise FetchSourceError(
                f"{what}: {failure.reason}; giving up rather than waiting {pause:.0f} s more"
            )
        self.slept += pause
        if notify is not None:
            notify(f"{failure.reason}; retrying in {pause:.0f} s")
        self.sleep(pause)

    def reset(self) -> None:
        """Forget earlier failures after progress."""
        self.failures = 0


def body_head(response: requests.Response, size: int, seconds: float, clock: Clock) -> bytes:
    """Up to ``size`` bytes of a body, read as they arrive for at most about ``seconds``."""
    started, head = clock(), b""
    while len(head) < size and clock() - started < seconds:
        chunk = response.raw.read1(size - len(head), decode_content=True)
        if not chunk:
            break
        head += chunk
    return head


def error_detail(response: requests.Response, key: str, limits: Limits | None = None) -> str:
    """A short, key-free summary of an error body (the portal answers JSON errors)."""
    limits = limits or Limits()
    try:
        head = body_head(response, 4096, limits.answer_seconds, limits.clock)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError):
        return ""
    try:
        body = json.loads(head or b"null")
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("error", "message", "errorDetails") if body.get(k)]
    text = "; ".join(parts)[:160]
    return text.replace(key, "***") if key else text


def answer_within(
    send: Callable[[], requests.Response], seconds: float
) -> requests.Response | None:
    """``send()``'s response, or None when it takes longer than ``seconds``; errors re-raised.

    The request runs on a daemon thread, because a socket timeout bounds each read, not a
    server that trickles its headers (or a name lookup). A request that misses the deadline is
    abandoned; its late response is closed by its thread.
    """
    lock, done = threading.Lock(), threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            result: object = send()
        except BaseException as exc:  # handed to the caller, who decides
            result = exc
        with lock:
            if outcome.get("abandoned") and isinstance(result, requests.Response):
                result.close()
            outcome["result"] = result
        done.set()

    threading.Thread(target=work, name="ptoffact-request", daemon=True).start()
    done.wait(seconds)
    with lock:
        if "result" not in outcome:
            outcome["abandoned"] = True
            return None
    result = outcome["result"]
    if isinstance(result, BaseException):
        raise result
    return result  # type: ignore[return-value]


@dataclass
class PortalClient:
    """One HTTP session against the portal; the key goes only to ``api_url``'s origin."""

    api_url: str
    api_key: str = field(repr=False)
    session: requests.Session = field(default_factory=requests.Session, repr=False)
    timeout: tuple[float, float] | None = None
    limits: Limits = field(default_factory=Limits)

    def is_api(self, url: str) -> bool:
        """True when ``url`` is on the API host (the only host that may see the key)."""
        return origin(url) == origin(self.api_url)

    def headers_for(self, url: str, extra: Mapping[str, str] | None = None) -> dict:
        """Request headers for ``url``: the key for the API host, explicitly none elsewhere."""
        headers: dict[str, str | None] = dict(extra or {})
        # None removes a header the session might carry by default (requests merges them).
        headers[KEY_HEADER] = self.api_key if self.is_api(url) else None
        return headers

    def get(
        self, url: str, *, headers: Mapping[str, str] | None = None, stream: bool = False
    ) -> requests.Response:
        """One GET without following redirects; network failures become :class:`Transient`.

        The status and headers must arrive within ``limits.answer_seconds``.
        """
        target = encode_url(url)
        send = partial(
            self.session.get,
            target,
            headers=self.headers_for(target, headers),
            timeout=self.timeout or TIMEOUT,
            stream=stream,
            allow_redirects=False,
        )
        seconds = self.limits.answer_seconds
        try:
            response = answer_within(send, seconds)
        except requests.exceptions.SSLError:
            raise FetchSourceError(f"TLS failure talking to {urlsplit(target).netloc}") from None
        except requests.Timeout:
            raise Transient(f"timed out talking to {urlsplit(target).netloc}") from None
        except requests.ConnectionError:
            raise Transient(f"could not connect to {urlsplit(target).netloc}") from None
        except requests.RequestException as exc:
            name = type(exc).__name__
            raise FetchSourceError(f"cannot request {public_url(target)}: {name}") from None
        if response is None:
            raise Transient(f"no answer from {urlsplit(target).netloc} within {seconds:g} s")
        return response

    def check(self, response: requests.Response, what: str) -> None:
        """Raise for an error status: key rejected (2), transient (retry) or fatal (3)."""
        status = response.status_code
        if status < 400:
            return
        url = response.url or ""
        detail = error_detail(response, self.api_key, self.limits)
        suffix = f" ({detail})" if detail else ""
        if status in (401, 403) and self.is_api(url):
            raise FetchUsageError(
                f"API key rejected by {urlsplit(url).netloc} (HTTP {status}{suffix}): check "
                "USPTO_API_KEY or the key file; keys unused for 90 days are deleted"
            )
        if status == 429 or status >= 500:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            note = QUOTA_NOTE if status == 429 else ""
            raise Transient(f"HTTP {status} from {urlsplit(url).netloc}{note}", wait)
        raise FetchSourceError(f"{what}: HTTP {status} from {public_url(url)}{suffix}")


def check_api_url(url: str) -> str:
    """Validate a base URL: http(s), a host, no query; plain http only on loopback."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchUsageError(f"API URL must be http(s)://host[/path], got {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise FetchUsageError("API URL must not hold credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(parts.hostname.lower()):
        raise FetchUsageError(
            f"refusing to send the API key over plain http to {parts.hostname}: use https"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
