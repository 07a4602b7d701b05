"""``verify OWNER/NAME[@REVISION]``: a published release downloaded into the cache first.

The revision (a tag, a branch, a commit; ``main`` by default) is resolved to its commit, and
the repository's files at that commit are downloaded with huggingface_hub's
``snapshot_download`` into ``<cache folder>/hub/OWNER/NAME/<commit>``: a moved tag or branch
gets a folder of its own, and verifying the same commit again downloads nothing new. The token,
if any (``HF_TOKEN`` or the stored login), goes to huggingface_hub only and is never printed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ptoffact_build.errors import UsageError
from ptoffact_build.publish.hub import REPO_ID, hub_errors, one_line

MAIN = "main"
DOWNLOADS_FOLDER = "hub"


@dataclass(frozen=True)
class HubRelease:
    """A release published on the Hub: the dataset repository and the revision to verify."""

    repo_id: str
    revision: str = MAIN

    def __str__(self) -> str:
        return f"{self.repo_id}@{self.revision}"


def hub_release(spec: str) -> HubRelease | None:
    """The repository and revision ``spec`` names (``OWNER/NAME[@REVISION]``), or None when it
    names a local folder: one that exists, or any path not of that form."""
    if Path(spec).exists():
        return None
    repo_id, at, revision = spec.partition("@")
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", ".")):
        return None
    if at and not revision.strip():
        raise UsageError(f"{spec}: no revision after '@' (a tag, a branch or a commit)")
    return HubRelease(repo_id, revision or MAIN)


def release_folder(cache_dir: Path, hub: HubRelease, commit: str) -> Path:
    """Where a published release's files at ``commit`` are downloaded."""
    owner, name = hub.repo_id.split("/")
    return cache_dir / DOWNLOADS_FOLDER / owner / name / commit


def download_release(hub: HubRelease, cache_dir: Path, quiet: bool = False) -> Path:
    """Download the release at ``hub``'s revision into the cache; the folder it is in.

    A repository or revision the Hub does not have (or does not show without a token) is a
    usage error (exit 2); any other failure of the Hub or the network exits 4.
    """
    from huggingface_hub import HfApi, get_token, snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError
    from huggingface_hub.utils import disable_progress_bars

    token = get_token() or ""
    if quiet:
        disable_progress_bars()
    with hub_errors(token, access="read"):
        try:
            commit = HfApi().dataset_info(hub.repo_id, revision=hub.revision).sha or hub.revision
        except RevisionNotFoundError:
            raise UsageError(f"{hub}: the Hub has no revision {hub.revision!r} there") from None
        except RepositoryNotFoundError as error:
            raise UsageError(not_found(hub, error, token)) from None
        folder = release_folder(cache_dir, hub, commit)
        print(f"downloading {hub} (commit {commit}) into {folder}", file=sys.stderr)
        snapshot_download(hub.repo_id, repo_type="dataset", revision=commit, local_dir=folder)
    return folder


def not_found(hub: HubRelease, error: Exception, token: str) -> str:
    """One line for a repository the Hub does not show (missing, or private to others)."""
    response = getattr(error, "response", None)
    status = response.status_code if response is not None else None
    shown = "with this token" if token else "without a token"
    return one_line(
        f"{hub.repo_id}: no such folder here, and the Hub shows no dataset repository of that "
        f"name {shown} (it answered {status})",
        token,
    )
