"""One error model: fetch failures are the kinds of errors.py, and our own bugs stay bugs.

A failure of the portal or of its file is a :class:`SourceError` (exit 3), a missing or
rejected key a :class:`UsageError` (exit 2), both by class, never by a number passed along.
An exception raised by our own code around a third-party call is not reported as a corrupt
source or a portal failure.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import requests
from pandas.io.stata import StataReader

from ptoffact_build.errors import (
    EXIT_SOURCE,
    EXIT_USAGE,
    FetchError,
    FetchSourceError,
    FetchUsageError,
    SourceError,
    UsageError,
)
from ptoffact_build.fetch import listing
from ptoffact_build.fetch.archive import BadFile, check_zip
from ptoffact_build.fetch.tables import fetch_tables, resolve_api_key, resolve_api_url
from ptoffact_build.hashing import file_sha256
from ptoffact_build.read.csv_reader import open_csv_bytes
from ptoffact_build.read.sources import classify
from ptoffact_build.read.stata_reader import read_stata_file

try:
    from .portal_server import FakePortal
except ImportError:
    from portal_server import FakePortal

KEY = "KEY-errors-never-shown-93c1"
NAME = "office_actions.csv.zip"


def one_member_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def portal():
    with FakePortal(KEY) as fake:
        fake.add_file(NAME, one_member_zip({"office_actions.csv": b"a,b\r\n1,2\r\n"}))
        yield fake


def fetch(portal: FakePortal, cache_dir: Path, session: requests.Session, sleeps: list) -> None:
    fetch_tables(
        api_url=portal.api_url,
        api_key=KEY,
        cache_dir=cache_dir,
        tables=("office_actions",),
        progress=io.StringIO(),
        sleep=sleeps.append,
        session=session,
    )


def test_the_exit_codes_are_the_classes_own():
    assert FetchUsageError("x").exit_code == EXIT_USAGE
    assert FetchSourceError("x").exit_code == EXIT_SOURCE
    assert issubclass(FetchUsageError, UsageError) and issubclass(FetchUsageError, FetchError)
    assert issubclass(FetchSourceError, SourceError) and issubclass(FetchSourceError, FetchError)
    assert not issubclass(FetchUsageError, SourceError)
    assert str(FetchSourceError("two\n  lines")) == "two lines"


def test_a_missing_key_or_a_bad_url_is_a_usage_error():
    with pytest.raises(UsageError) as caught:
        resolve_api_key({}, None)
    assert caught.value.exit_code == EXIT_USAGE and "USPTO_API_KEY" in str(caught.value)
    with pytest.raises(UsageError, match="plain http"):
        resolve_api_url("http://example.org", {})


def test_a_portal_failure_is_a_source_error(portal, tmp_path, session):
    portal.fault("storage", "status", 404, {}, b'{"error":"Not Found"}')
    with pytest.raises(SourceError) as caught:
        fetch(portal, tmp_path / "cache", session, [])
    assert caught.value.exit_code == EXIT_SOURCE and "HTTP 404" in str(caught.value)


def test_a_rejected_key_is_a_usage_error(portal, tmp_path, session):
    portal.fault("api", "status", 401, {}, b'{"error":"Unauthorized"}')
    with pytest.raises(UsageError, match="key rejected"):
        fetch(portal, tmp_path / "cache", session, [])


def test_a_bad_archive_is_a_source_error_and_not_a_value_error(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(b"PK\x03\x04" + b"\0" * 64)
    with pytest.raises(BadFile) as caught:
        check_zip(path)
    assert isinstance(caught.value, SourceError) and not isinstance(caught.value, ValueError)


def test_fetch_and_reader_share_one_single_member_check(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(one_member_zip({"a.csv": b"x\n", "b.csv": b"y\n"}))
    with pytest.raises(BadFile) as fetched:
        check_zip(path)
    with pytest.raises(SourceError) as read, open_csv_bytes(classify(path)):
        pass
    assert str(fetched.value) == "expected one member inside, found a.csv, b.csv"
    assert str(read.value) == f"{path}: expected one CSV inside, found a.csv, b.csv"


def test_a_zip_with_a_folder_entry_and_one_file_passes_both_checks(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(one_member_zip({"data/": b"", "data/office_actions.csv": b"a\r\n1\r\n"}))
    assert check_zip(path) == "data/office_actions.csv"


def test_a_bug_in_our_listing_code_is_not_reported_as_a_non_json_answer(
    portal, tmp_path, session, monkeypatch
):
    def broken(response, limits):
        raise ValueError("a bug of ours")

    monkeypatch.setattr(listing, "_read_page", broken)
    with pytest.raises(ValueError, match="a bug of ours"):
        fetch(portal, tmp_path / "cache", session, [])


def test_a_listing_that_is_not_json_is_still_a_source_error(portal, tmp_path, session):
    portal.fault("api", "status", 200, {"Content-Type": "text/html"}, b"<html>x</html>")
    with pytest.raises(FetchSourceError, match="did not answer JSON"):
        fetch(portal, tmp_path / "cache", session, [])


def test_the_cache_lock_held_by_another_process_refuses_a_fetch(portal, tmp_path, session):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    holder = (
        "import sys\n"
        "from ptoffact_build.fetch.cache import locked\n"
        "with locked(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(cache_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        assert other.stdout.readline().strip() == "held"
        with pytest.raises(FetchSourceError, match="another ptoffact fetch"):
            fetch(portal, cache_dir, session, [])
        other.stdin.close()
        assert other.wait(10) == 0
    fetch(portal, cache_dir, session, [])  # released with the other process's end
    assert (cache_dir / NAME).is_file()


def test_file_sha256_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "blob"
    data = bytes(range(256)) * 5000
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def stata_file(tmp_path: Path) -> Path:
    path = tmp_path / "rejections.dta"
    frame = pd.DataFrame({"text": ["a long text " * 3, "another"]})
    frame.to_stata(path, write_index=False, version=118, convert_strl=["text"])
    return path


def test_a_garbled_dta_is_a_source_error_naming_the_file(tmp_path):
    path = stata_file(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"<data>") + len(b"<data>")
    data[at : at + 8] = b"\xff" * 8  # a strL reference to no string: pandas raises KeyError
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError) as caught:
        list(read_stata_file(classify(path)))
    assert str(path) in str(caught.value) and isinstance(caught.value.__cause__, KeyError)


def test_a_type_error_under_the_stata_reader_is_a_bug_not_a_source_error(tmp_path, monkeypatch):
    path = stata_file(tmp_path)

    def broken(self, *args, **kwargs):
        raise TypeError("a bug, not a corrupt file")

    monkeypatch.setattr(StataReader, "read", broken)
    with pytest.raises(TypeError, match="a bug"):
        list(read_stata_file(classify(path)))
