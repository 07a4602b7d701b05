"""The figures are part of the release everywhere a release file must be: listed in its
datapackage (a rebuild replaces a release holding them), covered by SHA256SUMS (verify and
publish check them), identical across builds, and uploaded in the one commit of a publish."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import SAMPLE_FIGURES, rerecord
from hub_server import FakeHub
from ptoffact_build.publish.verify import ReleaseMismatch, Verified, check_release
from ptoffact_build.read.sources import resolve_sources
from ptoffact_build.release import build_release
from ptoffact_build.release_folder import open_release

TOKEN = "hf_TESTtoken0123456789abcdefIMAGES"
REPO = "ptoffact-org/figures"
IMAGES = sorted(f"images/{name}.png" for name in SAMPLE_FIGURES)


def checked(release: Path) -> Verified:
    with open_release(release) as folder:
        return check_release(folder)


def images(release: Path) -> dict[str, bytes]:
    return {
        p.relative_to(release).as_posix(): p.read_bytes()
        for p in sorted((release / "images").iterdir())
    }


def test_images_are_listed_and_checksummed(sample_release: Path) -> None:
    marker = json.loads((sample_release / "datapackage.json").read_text())
    assert set(IMAGES) <= set(marker["ptoffact"]["files"])
    sums = (sample_release / "SHA256SUMS").read_text().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in sums if "  images/" in line) == IMAGES
    assert list(images(sample_release)) == IMAGES


def test_verify_notices_a_changed_image(sample_release: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shutil.copytree(sample_release, release)
    checked(release)
    target = release / IMAGES[0]
    target.write_bytes(target.read_bytes()[:-1] + b"\0")
    with pytest.raises(ReleaseMismatch, match=IMAGES[0]):
        checked(release)
    target.unlink()
    with pytest.raises(ReleaseMismatch, match=f"{IMAGES[0]}: missing"):
        checked(release)


def test_a_release_with_images_is_replaced_by_the_next_build(
    sample_release: Path, tmp_path: Path
) -> None:
    out = tmp_path / "release"
    shutil.copytree(sample_release, out)
    build_release(resolve_sources(["sample"]), out)
    assert images(out) == images(sample_release)  # a second build draws the same bytes
    assert [p.name for p in tmp_path.iterdir()] == ["release"]  # no scratch, no old copy
    checked(out)


def publish(hub: FakeHub, release: Path, home: Path, *args: str) -> None:
    """``ptoffact publish`` in a subprocess, pointed at the imitation Hub."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": ":".join(sys.path),
        "HF_HOME": str(home),
        "HF_ENDPOINT": hub.api_url,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_TOKEN": TOKEN,
    }
    command = [sys.executable, "-m", "ptoffact_build.cli", "publish", str(release)]
    done = subprocess.run(
        [*command, "--repo", REPO, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_publish_uploads_the_images_in_its_one_commit(sample_release: Path, tmp_path: Path) -> None:
    with FakeHub(token=TOKEN) as hub:
        publish(hub, sample_release, tmp_path)
        (commit, _initial) = hub.repos[REPO].commits_on("main")
    uploaded = {k: v for k, v in commit.files.items() if k.startswith("images/")}
    assert uploaded == images(sample_release)
    assert set(IMAGES) <= commit.lfs  # binary files go through LFS, as the Hub requires
    card = commit.files["README.md"].decode()
    assert all(f"]({name})" in card for name in IMAGES)


def test_publish_deletes_a_stale_figure_and_keeps_other_images(
    sample_release: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    shutil.copytree(sample_release, release)
    (release / IMAGES[0]).unlink()  # a release whose build could not draw this figure
    rerecord(release)
    with FakeHub(token=TOKEN) as hub:
        publish(hub, sample_release, tmp_path / "hf")
        repo = hub.repos[REPO]
        head = repo.resolve("main")
        assert head is not None
        files = {**head.files, "images/logo.png": b"the owner's own file"}
        mine = hub.new_commit(repo, head, files, set(head.lfs), "the owner adds a logo")
        repo.branches["main"] = mine.sha
        publish(hub, release, tmp_path / "hf", "--tag", "fewer-figures")
        latest = repo.commits_on("main")[0]
    assert IMAGES[0] not in latest.files
    assert latest.files["images/logo.png"] == b"the owner's own file"
    assert {k for k in latest.files if k.startswith("images/")} == {
        "images/logo.png",
        *IMAGES[1:],
    }
