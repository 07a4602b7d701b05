"""`ptoffact build --source odp` against a fake portal on loopback gives the sample's release."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal_server import FakePortal
from ptoffact_build.read.sources import sample_dir
from ptoffact_build.schema import TABLES

KEY = "test-key-0123456789abcdef"


def shard_hashes(release: Path) -> dict[str, str]:
    package = json.loads((release / "datapackage.json").read_text())
    return {s["path"]: s["hash"] for r in package["resources"] for s in r["parquet"]}


def build(args: list[str], portal: FakePortal, cache: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PTOFFACT_API_URL": portal.api_url,
        "USPTO_API_KEY": KEY,
        "PTOFFACT_CACHE": str(cache),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    command = [sys.executable, "-m", "ptoffact_build.cli", "build", "--source", "odp", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def portal():
    with FakePortal(KEY) as fake:
        for table in TABLES:
            fake.add_file(f"{table}.csv.zip", (sample_dir() / f"{table}.csv.zip").read_bytes())
        yield fake


def test_odp_build_equals_the_sample_build(
    portal: FakePortal, sample_release: Path, tmp_path: Path
) -> None:
    portal.fault("storage", "drop", 5000)
    portal.fault("api", "status", 503, {}, b"{}")
    out, cache = tmp_path / "release", tmp_path / "cache"
    done = build(["--out", str(out)], portal, cache)
    assert done.returncode == 0, done.stderr
    assert shard_hashes(out) == shard_hashes(sample_release)
    assert all(h.headers.get("x-api-key") is None for h in portal.requests_to("storage"))
    for folder in (out, cache):
        for path in folder.rglob("*"):
            if path.is_file():
                assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in done.stdout + done.stderr
    package = json.loads((out / "datapackage.json").read_text())
    sources = {s["name"]: s for s in package["ptoffact"]["sources"]}
    assert set(sources) == {f"{t}.csv.zip" for t in TABLES}
    assert all(s.get("fetched") and s.get("modified") for s in sources.values())
    assert "fetched" in (out / "README.md").read_text()

    before = len(portal.hits)
    again = build(["--out", str(tmp_path / "again")], portal, cache)
    assert again.returncode == 0, again.stderr
    assert len(portal.hits) == before, "a verified cache makes no request"
    assert shard_hashes(tmp_path / "again") == shard_hashes(sample_release)


def test_odp_without_a_key_exits_2(portal: FakePortal, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "USPTO_API_KEY"}
    env["PTOFFACT_API_URL"] = portal.api_url
    command = [sys.executable, "-m", "ptoffact_build.cli", "fetch", "--cache-dir", str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "USPTO_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert portal.hits == []
