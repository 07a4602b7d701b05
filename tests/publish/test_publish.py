"""``ptoffact publish`` against an imitation of the Hub on loopback (see hub_server.py).

The CLI and ``datasets`` run in subprocesses so that they read HF_ENDPOINT at import, as they
would for a user; the real huggingface_hub and datasets clients talk to the imitation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from helpers import sample_rows, write_rows
from ptoffact_build.schema import TABLES

try:
    from .hub_server import FakeHub
except ImportError:
    from hub_server import FakeHub

TOKEN = "hf_TESTtoken0123456789abcdefSECRET"
REPO = "ptoffact-org/ptoffact"


def version_of(release: Path) -> str:
    """The release's version, the default tag of a publish."""
    return json.loads((release / "datapackage.json").read_text())["version"]


def hub_env(hub: FakeHub, home: Path, token: str | None = TOKEN) -> dict[str, str]:
    """The environment of a user pointing huggingface_hub and datasets at the imitation."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update(
        HF_ENDPOINT=hub.api_url,
        HF_HOME=str(home),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_OFFLINE="0",
        HF_DATASETS_OFFLINE="0",
    )
    if token is not None:
        env["HF_TOKEN"] = token
    return env


def publish(
    hub: FakeHub, home: Path, release: Path, *args: str, token: str | None = TOKEN
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ptoffact_build.cli", "publish", str(release), *args]
    if "--repo" not in args:
        command += ["--repo", REPO]
    env = hub_env(hub, home, token)
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def release_files(release: Path) -> dict[str, bytes]:
    """Every non-hidden file of a release with its bytes."""
    return {
        p.relative_to(release).as_posix(): p.read_bytes()
        for p in release.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(release).parts)
    }


LOADING_SECTION = re.compile(
    r"<!-- ptoffact:loading begin.*?<!-- ptoffact:loading end -->", re.DOTALL
)


def check_hub_card(remote: bytes, local: bytes, release: Path) -> None:
    """The uploaded card is the local one with Hub loading examples that name the repo."""
    text = remote.decode()
    assert remote != local
    assert LOADING_SECTION.sub("", text) == LOADING_SECTION.sub("", local.decode())
    assert f'load_dataset("{REPO}", "rejections"' in text
    assert f"FROM 'hf://datasets/{REPO}/data/rejections/*.parquet'" in text
    assert f'pl.scan_parquet("hf://datasets/{REPO}/data/' in text
    assert str(release.parent) not in text and "load_dataset(os.getcwd()" not in text


def check_uploaded(files: dict[str, bytes], release: Path) -> None:
    """The repository holds exactly the release as published: every file as it is locally
    but the card, written for the repository (and SHA256SUMS's line for it, if any)."""
    remote = {k: v for k, v in files.items() if k != ".gitattributes"}
    local = release_files(release)
    assert set(remote) == set(local)
    card = remote.pop("README.md")
    check_hub_card(card, local.pop("README.md"), release)
    if "SHA256SUMS" in local:
        digest = hashlib.sha256(card).hexdigest()
        expected = re.sub(
            rb"^[0-9a-f]{64}(  | \*)README\.md$",
            digest.encode() + rb"\1README.md",
            local.pop("SHA256SUMS"),
            flags=re.MULTILINE,
        )
        assert remote.pop("SHA256SUMS") == expected
    assert remote == local


def folder_state(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every entry of a folder (hidden ones too) with its bytes and modification time."""
    return {
        p.relative_to(folder).as_posix(): (
            p.read_bytes() if p.is_file() else b"",
            p.stat().st_mtime_ns,
        )
        for p in folder.rglob("*")
    }


@pytest.fixture(scope="module")
def published(sample_release: Path, tmp_path_factory: pytest.TempPathFactory):
    """One imitation Hub; the sample release published to it, then twice again unchanged."""
    home = tmp_path_factory.mktemp("hf_user")
    before = folder_state(sample_release)
    with FakeHub(token=TOKEN) as hub:
        first = publish(hub, home, sample_release)
        head = hub.repos[REPO].branches["main"] if REPO in hub.repos else None
        hits_after_first = len(hub.hits)
        again = publish(hub, home, sample_release)
        new_tag = publish(hub, home, sample_release, "--tag", "again")
        yield {
            "hub": hub,
            "home": home,
            "first": first,
            "again": again,
            "new_tag": new_tag,
            "head": head,
            "first_hits": hub.hits[:hits_after_first],
            "unchanged_release": folder_state(sample_release) == before,
        }


def test_publish_makes_one_commit_holding_every_file(published, sample_release: Path) -> None:
    first = published["first"]
    assert first.returncode == 0, first.stderr
    repo = published["hub"].repos[REPO]
    history = repo.commits_on("main")
    assert [c.title for c in history[1:]] == ["initial commit"]
    expected = release_files(sample_release)
    assert {"README.md", "datapackage.json", "validation_report.json"} <= set(expected)
    assert any(name.startswith("data/") for name in expected)
    check_uploaded(history[0].files, sample_release)
    assert not any(".spill" in name or name.endswith(".py") for name in history[0].files)
    assert repo.tags[version_of(sample_release)] == published["head"] == history[0].sha
    assert f"/commit/{history[0].sha}" in first.stdout
    assert published["unchanged_release"]


def test_large_files_go_through_lfs_to_the_storage_host(published) -> None:
    hub = published["hub"]
    uploads = [h for h in published["first_hits"] if h.server == "storage" and h.method == "PUT"]
    shards = [n for n in hub.repos[REPO].commits_on()[0].files if n.endswith(".parquet")]
    assert len(uploads) >= len(shards) > 0
    commits = [h for h in published["first_hits"] if "/commit/" in h.path]
    assert len(commits) == 1


def test_the_token_reaches_only_the_api_and_no_output(published) -> None:
    hub = published["hub"]
    api, storage = hub.requests_to("api"), hub.requests_to("storage")
    assert api and storage
    writes = [h for h in api if h.method in ("POST", "PUT")]
    assert writes and all(h.headers.get("authorization") == f"Bearer {TOKEN}" for h in writes)
    for hit in storage:
        assert TOKEN not in hit.path and TOKEN not in json.dumps(hit.headers)
        assert "authorization" not in hit.headers
    for name in ("first", "again", "new_tag"):
        done = published[name]
        assert TOKEN not in done.stdout and TOKEN not in done.stderr
    assert not any(TOKEN in h.path for h in api)


def test_a_second_publish_makes_no_commit_and_keeps_the_tag(published, sample_release) -> None:
    repo = published["hub"].repos[REPO]
    for name in ("again", "new_tag"):
        assert published[name].returncode == 0, published[name].stderr
        assert "no new commit" in published[name].stdout or "no commit" in published[name].stdout
    assert len(repo.commits_on("main")) == 2
    assert repo.branches["main"] == published["head"]
    tag = version_of(sample_release)
    assert repo.tags == {tag: published["head"], "again": published["head"]}


def test_dry_run_contacts_nothing_and_lists_files(
    published, sample_release: Path, tmp_path: Path
) -> None:
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path, sample_release, "--dry-run")
        assert done.returncode == 0, done.stderr
        assert hub.hits == []
    files = release_files(sample_release)
    listed = {}
    for line in done.stdout.splitlines()[:-1]:
        size, name = line.split()
        listed[name] = int(size.replace(",", ""))
    uploaded = published["hub"].repos[REPO].commits_on("main")[0].files
    files["README.md"] = uploaded["README.md"]  # the card as uploaded, for the repository
    assert listed == {name: len(data) for name, data in files.items()}
    assert f"{len(files)} files" in done.stdout.splitlines()[-1]
    assert TOKEN not in done.stdout + done.stderr


def test_no_token_exits_2_before_any_request(sample_release: Path, tmp_path: Path) -> None:
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path, sample_release, token=None)
        assert hub.hits == []
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ptoffact: error: no Hugging Face token: set HF_TOKEN or run `hf auth login`"
    ]


def test_a_rejected_token_exits_2_and_is_not_shown(sample_release: Path, tmp_path: Path) -> None:
    wrong = "hf_WRONGtoken9876543210zyxw"
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path, sample_release, token=wrong)
        assert hub.repos == {}
        assert hub.hits and all("authorization" in h.headers for h in hub.requests_to("api"))
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("ptoffact: error")]
    assert len(errors) == 1 and "401" in errors[0] and "Traceback" not in done.stderr
    assert wrong not in done.stdout + done.stderr


def test_a_tampered_shard_exits_3_and_uploads_nothing(sample_release: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shutil.copytree(sample_release, release)
    shard = next((release / "data" / "rejections").glob("*.parquet"))
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path / "home", release)
        assert hub.hits == []
    assert done.returncode == 3
    assert "data/rejections/train-00000-of-00001.parquet" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_hub_failure_exits_4_with_one_line_and_nothing_published(
    sample_release: Path, tmp_path: Path
) -> None:
    with FakeHub(token=TOKEN) as hub:
        hub.fail_next("/commit/", 500, "Internal Error - the commit could not be written")
        done = publish(hub, tmp_path, sample_release)
        repo = hub.repos[REPO]
        assert [c.title for c in repo.commits_on()] == ["initial commit"]
        assert repo.tags == {}
    assert done.returncode == 4
    errors = [line for line in done.stderr.splitlines() if line.startswith("ptoffact: error")]
    assert errors == [
        "ptoffact: error: the Hub answered 500: Internal Error - the commit could not be written"
    ]
    assert TOKEN not in done.stderr


def test_create_pr_opens_a_pull_request_and_leaves_main(sample_release: Path, tmp_path: Path):
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path, sample_release, "--create-pr", "--private")
        assert done.returncode == 0, done.stderr
        repo = hub.repos[REPO]
        assert repo.private
        assert [c.title for c in repo.commits_on()] == ["initial commit"]
        assert repo.tags == {}
        pull = repo.resolve("refs/pr/1")
        assert pull is not None and pull.parent == repo.branches["main"]
        check_uploaded(pull.files, sample_release)
        assert done.stdout.strip().endswith(f"/datasets/{REPO}/discussions/1")


LOAD = """
import json, sys, datasets
repo, tag, tables = sys.argv[1], sys.argv[2], sys.argv[3:]
found = {}
for table in tables:
    data = datasets.load_dataset(repo, table, revision=tag, split="train")
    stream = datasets.load_dataset(repo, table, revision=tag, split="train", streaming=True)
    found[table] = {
        "rows": data.num_rows,
        "features": data.features.to_dict(),
        "streamed": sum(1 for _ in stream),
        "num_bytes": data.info.splits["train"].num_bytes,
        "first": json.dumps(data[0], default=str),
    }
print(json.dumps(found))
"""


def test_load_dataset_from_the_hub_by_tag(published, sample_release: Path, tmp_path: Path):
    """datasets finds every table by the tag, with the release's rows and types, streaming too."""
    import datasets

    hub = published["hub"]
    start = len(hub.hits)
    env = hub_env(hub, tmp_path)
    command = [sys.executable, "-c", LOAD, REPO, version_of(sample_release), *TABLES]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    package = json.loads((sample_release / "datapackage.json").read_text())
    card = yaml.safe_load((sample_release / "README.md").read_text().split("---\n", 2)[1])
    splits = {c["config_name"]: c["splits"] for c in card["dataset_info"]}
    for resource in package["resources"]:
        table = resource["name"]
        assert splits[table] == [
            {
                "name": "train",
                "num_bytes": found[table]["num_bytes"],
                "num_examples": resource["rows"],
            }
        ]
        shard = sample_release / resource["parquet"][0]["path"]
        features = datasets.Features.from_arrow_schema(pq.read_schema(shard))
        local = pq.read_table(shard).slice(0, 1).to_pylist()[0]
        assert found[table]["rows"] == found[table]["streamed"] == resource["rows"]
        assert found[table]["features"] == features.to_dict()
        assert found[table]["first"] == json.dumps(local, default=str)
    storage = [h for h in hub.hits[start:] if h.server == "storage"]
    assert storage and all("authorization" not in h.headers for h in storage)
    assert any("range" in h.headers for h in storage)
    resolved = [h for h in hub.hits[start:] if "/resolve/" in h.path]
    assert resolved and all(h.headers.get("authorization") == f"Bearer {TOKEN}" for h in resolved)


def test_stale_release_files_are_replaced_in_one_commit_and_others_kept(
    sample_release: Path, tmp_path: Path
) -> None:
    stale = "data/citations/train-00001-of-00002.parquet"
    with FakeHub(token=TOKEN) as hub:
        repo = hub.create_repo(REPO, private=False)
        base = repo.commits_on()[0]
        files = {**base.files, stale: b"old shard", "NOTES.md": b"the owner's notes\n"}
        seeded = hub.new_commit(repo, base, files, {stale}, "an older release")
        repo.branches["main"] = seeded.sha
        done = publish(hub, tmp_path, sample_release)
        assert done.returncode == 0, done.stderr
        history = repo.commits_on()
        assert [c.title for c in history[1:]] == ["an older release", "initial commit"]
        files = dict(history[0].files)
        assert files.pop("NOTES.md") == b"the owner's notes\n"
        check_uploaded(files, sample_release)
        assert "1 deleted" in done.stdout


def test_a_tag_naming_other_files_is_refused_before_any_upload(
    sample_release: Path, tmp_path: Path
) -> None:
    with FakeHub(token=TOKEN) as hub:
        repo = hub.create_repo(REPO, private=False)
        tag = version_of(sample_release)
        repo.tags[tag] = repo.branches["main"]
        done = publish(hub, tmp_path, sample_release)
        assert len(repo.commits) == 1
        assert not [h for h in hub.hits if h.method in ("PUT",) or "/commit/" in h.path]
        assert not [h for h in hub.hits if "/preupload/" in h.path]
    assert done.returncode == 2
    assert f"tag '{tag}' already exists on {REPO} and holds other files" in done.stderr


def test_a_refused_upload_exits_4_and_commits_nothing(sample_release: Path, tmp_path: Path):
    with FakeHub(token=TOKEN) as hub:
        hub.fail_next("/upload/", 403, "Request has expired")
        done = publish(hub, tmp_path, sample_release)
        repo = hub.repos[REPO]
        assert [c.title for c in repo.commits_on()] == ["initial commit"]
        assert not [h for h in hub.hits if "/commit/" in h.path]
    assert done.returncode == 4
    errors = [line for line in done.stderr.splitlines() if line.startswith("ptoffact: error")]
    assert len(errors) == 1 and "403" in errors[0] and "Request has expired" in errors[0]
    assert TOKEN not in done.stderr


def test_an_unreachable_hub_exits_4(sample_release: Path, tmp_path: Path) -> None:
    with FakeHub(token=TOKEN) as hub:
        address = hub.api_url
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ptoffact_build.cli",
            "publish",
            str(sample_release),
            "--repo",
            REPO,
        ],
        capture_output=True,
        text=True,
        env={**hub_env(hub, tmp_path), "HF_ENDPOINT": address},
        timeout=60,
    )
    assert done.returncode == 4
    assert done.stderr.strip().splitlines() == [
        f"ptoffact: error: could not reach the Hub at {address}: "
        "ConnectError: [Errno 111] Connection refused"
    ]


def test_help_explains_every_option(capsys) -> None:
    from ptoffact_build.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["publish", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for option in ("--repo", "--tag", "--private", "--create-pr", "--dry-run"):
        assert option in text
    assert "HF_TOKEN" in text and "HF_ENDPOINT" in text and "Exit codes" in text


STRAYS = {
    "script": ("ptoffact.py", "ptoffact.py: a file not in the release"),
    "scratch": (".spill/part-0.arrow", ".spill: a folder not in the release"),
    "editor": ("data/.notes.swp", "data/.notes.swp: a file not in the release"),
    "copy": (
        "data/rejections/train-00000-of-00001 (copy).parquet",
        "train-00000-of-00001 (copy).parquet: a file not in the release",
    ),
    "link": ("csv/passwd", "csv/passwd: a symbolic link (to /etc/passwd)"),
    "data_link": ("data", "data: a symbolic link (to "),
}


@pytest.mark.parametrize("stray", sorted(STRAYS))
def test_a_release_holding_anything_else_exits_3_and_uploads_nothing(
    stray: str, sample_release: Path, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    shutil.copytree(sample_release, release)
    name, expected = STRAYS[stray]
    (release / name).parent.mkdir(exist_ok=True)
    if stray == "link":
        (release / name).symlink_to("/etc/passwd")
    elif stray == "data_link":
        (release / name).rename(tmp_path / "data-copy")
        (release / name).symlink_to(tmp_path / "data-copy")
    elif stray == "copy":
        shutil.copy(release / "data/rejections/train-00000-of-00001.parquet", release / name)
    else:
        (release / name).write_text("print('a stray')\n")
    for args in (["--dry-run"], []):
        with FakeHub(token=TOKEN) as hub:
            done = publish(hub, tmp_path / "home", release, *args)
            assert hub.hits == []
        assert done.returncode == 3, done.stderr
        assert expected in done.stderr and "nothing was uploaded" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_folder_that_is_not_a_release_exits_2(sample_release: Path, tmp_path: Path) -> None:
    release = tmp_path / "release"
    shutil.copytree(sample_release, release)
    (release / "datapackage.json").unlink()
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, tmp_path / "home", release)
        assert hub.hits == []
    assert done.returncode == 2
    assert "not a release folder (no datapackage.json)" in done.stderr


def test_the_stored_login_is_used_without_hf_token(sample_release: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "token").write_text(TOKEN)
    with FakeHub(token=TOKEN) as hub:
        done = publish(hub, home, sample_release, token=None)
        assert done.returncode == 0, done.stderr
        assert len(hub.repos[REPO].commits_on()) == 2
    assert TOKEN not in done.stdout + done.stderr


def build_from(sources: Path, out: Path) -> None:
    from ptoffact_build.read.sources import resolve_sources
    from ptoffact_build.release import build_release

    build_release(resolve_sources([str(sources)]), out)


def test_a_rebuild_republishes_without_tag_and_uploads_only_what_changed(
    sample_csvs: dict[str, Path], tmp_path: Path
) -> None:
    """The same rows give the same version (a republish is a no-op); one changed Office action
    gives a new version, published without --tag, uploading no file of the other tables."""
    sources = sample_csvs["office_actions"].parent
    first, same = tmp_path / "first", tmp_path / "same"
    build_from(sources, first)
    build_from(sources, same)
    assert version_of(first) == version_of(same)
    rows = sample_rows("office_actions")
    column = rows[0].index("rejection_101")
    rows[7][column] = "1" if rows[7][column] == "0" else "0"
    write_rows(sample_csvs["office_actions"], rows)
    changed = tmp_path / "changed"
    build_from(sources, changed)
    assert version_of(changed) != version_of(first)
    with FakeHub(token=TOKEN) as hub:
        assert publish(hub, tmp_path / "home", first).returncode == 0
        again = publish(hub, tmp_path / "home", same)
        assert again.returncode == 0, again.stderr
        assert "unchanged" in again.stdout
        republished = publish(hub, tmp_path / "home", changed)
        assert republished.returncode == 0, republished.stderr
        repo = hub.repos[REPO]
        latest, previous = repo.commits_on("main")[:2]
    assert repo.tags == {version_of(first): previous.sha, version_of(changed): latest.sha}
    assert latest.uploaded and not any(
        name.startswith(("data/rejections", "data/citations", "csv/rejections", "csv/citations"))
        for name in latest.uploaded
    )
    assert {"data/office_actions/train-00000-of-00001.parquet", "datapackage.json"} <= set(
        latest.uploaded
    )
    check_uploaded(latest.files, changed)
