"""``ptoffact verify OWNER/NAME[@REVISION]``: a release published to the imitation Hub is
downloaded with huggingface_hub into the cache and verified, files and rows.

The CLI runs in subprocesses pointed at the imitation (HF_ENDPOINT, HF_HUB_DISABLE_XET=1), as
in test_publish.py. What a downloaded folder holds besides the release (the Hub's
``.gitattributes``, the download's ``.cache/huggingface/``) is only checked to be there: how
the file check treats it is the business of the release's own definition (verify.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_publish import REPO, TOKEN, hub_env, publish

from hub_server import FakeHub, sha256_hex

TAG = "v1"


def verify(hub: FakeHub, home: Path, *args: str, token: str | None = TOKEN):
    command = [sys.executable, "-m", "ptoffact_build.cli", "verify", "--quiet", *args]
    env = hub_env(hub, home, token)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)


@pytest.fixture(scope="module")
def hub(sample_release: Path, tmp_path_factory: pytest.TempPathFactory):
    """The imitation Hub holding the sample release, published and tagged ``v1``."""
    home = tmp_path_factory.mktemp("hf_publisher")
    with FakeHub(token=TOKEN) as running:
        done = publish(running, home, sample_release, "--tag", TAG)
        assert done.returncode == 0, done.stderr
        yield running


def tampered(hub: FakeHub, tag: str, changes: dict[str, bytes]) -> None:
    """A commit like ``v1``'s with some files' bytes changed, tagged ``tag``."""
    repo = hub.repos[REPO]
    base = repo.resolve(TAG)
    assert base is not None
    files = {**base.files, **changes}
    for path, data in changes.items():
        if path in base.lfs:
            hub.lfs_store[sha256_hex(data)] = data
    commit = hub.new_commit(repo, base, files, set(base.lfs), f"tampered: {tag}")
    repo.tags[tag] = commit.sha


def rerecorded(files: dict[str, bytes], path: str, data: bytes) -> dict[str, bytes]:
    """``path`` given ``data``, with its size and sha256 re-recorded in the datapackage and
    SHA256SUMS (so the file check passes)."""
    package = json.loads(files["datapackage.json"])
    for resource in package["resources"]:
        if resource["path"] == path:
            resource["bytes"], resource["hash"] = len(data), f"sha256:{sha256_hex(data)}"
    described = json.dumps(package, indent=2).encode()
    sums = []
    for line in files["SHA256SUMS"].decode().splitlines():
        _, _, name = line.partition("  ")
        new = {path: data, "datapackage.json": described}.get(name)
        sums.append(f"{hashlib.sha256(new).hexdigest()}  {name}" if new is not None else line)
    return {path: data, "datapackage.json": described, "SHA256SUMS": "\n".join(sums).encode()}


def test_a_published_release_verifies_at_its_tag(hub: FakeHub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = verify(hub, tmp_path, f"{REPO}@{TAG}", "--cache-dir", str(cache))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: ")
    commit = hub.repos[REPO].tags[TAG]
    folder = cache / "hub" / REPO / commit
    assert f"into {folder}" in done.stderr
    assert (folder / "datapackage.json").is_file() and (folder / "data").is_dir()
    assert (folder / ".gitattributes").is_file() and (folder / ".cache" / "huggingface").is_dir()
    again = verify(hub, tmp_path, f"{REPO}@{TAG}", "--rows", "--cache-dir", str(cache))
    assert again.returncode == 0, again.stderr
    assert "rows ok: office_actions 1,000" in again.stdout
    for run in (done, again):
        assert TOKEN not in run.stdout + run.stderr


def test_without_a_revision_main_is_verified(hub: FakeHub, tmp_path: Path) -> None:
    done = verify(hub, tmp_path, REPO, "--cache-dir", str(tmp_path / "cache"), token=None)
    assert done.returncode == 0, done.stderr
    main = hub.repos[REPO].branches["main"]
    assert (tmp_path / "cache" / "hub" / REPO / main / "datapackage.json").is_file()


def test_a_tampered_file_on_the_hub_fails(hub: FakeHub, tmp_path: Path) -> None:
    base = hub.repos[REPO].resolve(TAG)
    assert base is not None
    shard = "data/rejections/train-00000-of-00001.parquet"
    data = bytearray(base.files[shard])
    data[len(data) // 2] ^= 1
    tampered(hub, "bad-file", {shard: bytes(data)})
    done = verify(hub, tmp_path, f"{REPO}@bad-file", "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 1
    assert shard in done.stderr and "sha256" in done.stderr


def test_tampered_rows_on_the_hub_fail_only_the_row_check(hub: FakeHub, tmp_path: Path) -> None:
    base = hub.repos[REPO].resolve(TAG)
    assert base is not None
    path = "csv/citations.csv.gz"
    text = gzip.decompress(base.files[path]).decode()
    lines = text.split("\n")
    lines[5] = lines[5].replace(",0,", ",7,", 1)  # a flag that is no flag
    assert lines[5] != text.split("\n")[5]
    changed = gzip.compress("\n".join(lines).encode())
    tampered(hub, "bad-rows", rerecorded(base.files, path, changed))
    cache = str(tmp_path / "cache")
    files_only = verify(hub, tmp_path, f"{REPO}@bad-rows", "--cache-dir", cache)
    assert files_only.returncode == 0, files_only.stderr
    rows = verify(hub, tmp_path, f"{REPO}@bad-rows", "--rows", "--cache-dir", cache)
    assert rows.returncode == 1
    assert "validation error(s); first: citations.csv.gz, row 6" in rows.stderr


def test_an_unknown_repository_or_revision_exits_2(hub: FakeHub, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    missing = verify(hub, tmp_path, "nobody/nothing", "--cache-dir", cache)
    assert missing.returncode == 2
    assert "nobody/nothing: no such folder here" in missing.stderr
    revision = verify(hub, tmp_path, f"{REPO}@no-such-tag", "--cache-dir", cache)
    assert revision.returncode == 2 and "no revision 'no-such-tag'" in revision.stderr
    assert not (tmp_path / "cache" / "hub").exists()
    for done in (missing, revision):
        assert "Traceback" not in done.stderr and TOKEN not in done.stderr


def test_an_unreachable_hub_exits_4(tmp_path: Path) -> None:
    with FakeHub(token=TOKEN) as gone:
        address = gone.api_url
    done = verify(gone, tmp_path, f"{REPO}@{TAG}", "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 4
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"ptoffact: error: could not reach the Hub at {address}")
    assert TOKEN not in done.stderr


def test_a_local_folder_is_never_taken_for_a_repository(
    sample_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ptoffact_build.publish.download import HubRelease, hub_release

    monkeypatch.chdir(sample_release.parent.parent)
    assert hub_release(f"{sample_release.parent.name}/{sample_release.name}") is None
    assert hub_release(str(sample_release)) is None
    assert hub_release("owner/name") == HubRelease("owner/name", "main")
    assert hub_release("owner/name@v1.2") == HubRelease("owner/name", "v1.2")
    assert hub_release("not a repo/x y") is None


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", markdown, re.DOTALL | re.MULTILINE)


def test_the_ci_job_of_the_readme_and_the_card_verifies_the_release(
    hub: FakeHub, sample_release: Path, tmp_path: Path
) -> None:
    from ptoffact_build.describe.usage import card_for_repo
    from ptoffact_build.devtools.generate import repo_root

    card = card_for_repo((sample_release / "README.md").read_text(encoding="utf-8"), REPO)
    assert card is not None
    (job,) = yaml_blocks(card)  # the Hub card's job names the repository
    (readme_job,) = yaml_blocks((repo_root() / "README.md").read_text(encoding="utf-8"))
    assert readme_job == job.replace(REPO, "OWNER/NAME")
    workflow = yaml.safe_load(job)["jobs"]["verify"]
    assert workflow["env"] == {"REPOSITORY": REPO, "TAG": "TAG"}
    (command,) = [s["run"] for s in workflow["steps"] if "ptoffact verify" in s.get("run", "")]
    env = {
        **hub_env(hub, tmp_path, token=None),
        **workflow["env"],
        "TAG": TAG,  # the placeholder the user fills in
        "PTOFFACT_CACHE": str(tmp_path / "cache"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "report.json").read_text())["valid"] is True
    assert (tmp_path / "findings.csv").read_text().startswith('"table","file","row"')
