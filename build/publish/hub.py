"""Publish a release to a Hugging Face Hub dataset repository in one commit.

The token comes from huggingface_hub's own resolution (``HF_TOKEN``, then the stored login)
and the Hub's address from ``HF_ENDPOINT`` as huggingface_hub reads it. The token is handed
to huggingface_hub only; every error message that leaves this module has it scrubbed.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from ptoffact_build.describe.croissant import CROISSANT
from ptoffact_build.describe.plots import PLOTS
from ptoffact_build.errors import EXIT_HUB, PtoffactError, UsageError
from ptoffact_build.publish.files import ReleaseFile
from ptoffact_build.release_folder import ReleaseFolder

REPO_TYPE = "dataset"
BRANCH = "main"
# Folders and files a release owns on the Hub: stale files there are deleted.
OWNED_FOLDERS = ("data/", "csv/", "quarantine/")
OWNED_FILES = (
    "README.md",
    "datapackage.json",
    CROISSANT,
    "validation_report.json",
    "SHA256SUMS",
    *(plot.path for plot in PLOTS.values()),  # the card's figures, images/<name>.png
)


class HubError(PtoffactError):
    """The Hub or the network failed; nothing was half-published (one commit is atomic)."""

    exit_code = EXIT_HUB


class TokenError(UsageError):
    """No token, or a token the Hub rejects (exit 2)."""


@dataclass
class Outcome:
    """What a publish did: the URL to show and one line saying what happened."""

    url: str
    summary: str


def resolve_token() -> str:
    """The token huggingface_hub would use; TokenError when there is none."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise TokenError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    return token


def one_line(text: str, token: str) -> str:
    """Text on one line with the token (if any trace of it) replaced by ***."""
    return " ".join(text.replace(token, "***").split()) if token else " ".join(text.split())


@contextmanager
def hub_errors(token: str, access: str = "write") -> Iterator[None]:
    """Turn huggingface_hub and network failures into TokenError or HubError, token-free
    (a refusal, 401 or 403, asks to check the token's ``access``)."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        message = error.server_message or str(error).split("\n")[0]
        line = one_line(f"the Hub answered {status}: {message}", token)
        if status in (401, 403):
            raise TokenError(f"{line} (check the token's {access} access)") from None
        raise HubError(line) from None
    except PtoffactError:
        raise
    except Exception as error:
        if not is_hub_failure(error):
            raise
        raise HubError(one_line(describe_failure(error), token)) from None


def is_hub_failure(error: Exception) -> bool:
    """Network errors (httpx, OSError) and the client's wrappers of failed uploads or batches."""
    transport = type(error).__module__.startswith("httpx")
    return transport or isinstance(error, OSError | ValueError | RuntimeError)


def describe_failure(error: Exception) -> str:
    """One sentence for a failure that is not an HTTP error answer of the Hub itself."""
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(error, OSError) or type(error).__module__.startswith("httpx"):
        return f"could not reach the Hub at {constants.ENDPOINT}: {type(error).__name__}: {error}"
    cause = error.__cause__
    if isinstance(cause, HfHubHTTPError):
        status = cause.response.status_code if cause.response is not None else None
        return f"{error} (the Hub answered {status}: {cause.server_message})"
    if cause is not None:
        return f"{error} ({type(cause).__name__}: {cause})"
    return f"{type(error).__name__}: {error}"


def git_blob_id(stream: BinaryIO, size: int) -> str:
    """The git blob id of a file's bytes, as the Hub reports it for files kept outside LFS."""
    digest = hashlib.sha1(b"blob %d\0" % size)
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def same_content(folder: ReleaseFolder, item: ReleaseFile, remote) -> bool:
    """Whether a file as uploaded equals a remote RepoFile (LFS sha256 or git blob id)."""
    if remote.size != item.size:
        return False
    if remote.lfs is not None:
        return remote.lfs.sha256 == item.sha256
    if item.content is not None:
        return remote.blob_id == git_blob_id(io.BytesIO(item.content), item.size)
    with folder.open(item.path) as stream:
        return remote.blob_id == git_blob_id(stream, item.size)


@dataclass
class Changes:
    """What a commit must do to make the remote tree hold exactly the release."""

    additions: list[str]
    deletions: list[str]

    def __bool__(self) -> bool:
        return bool(self.additions or self.deletions)

    def describe(self) -> str:
        return f"{len(self.additions)} file(s) added or changed, {len(self.deletions)} deleted"


def owned(path: str) -> bool:
    return path in OWNED_FILES or path.startswith(OWNED_FOLDERS)


def changes_against(folder: ReleaseFolder, files: list[ReleaseFile], remote: dict) -> Changes:
    """Release files that differ from the remote tree; remote release files now gone."""
    names = {f.path for f in files}
    additions = [
        f.path for f in files if f.path not in remote or not same_content(folder, f, remote[f.path])
    ]
    deletions = sorted(p for p in remote if p not in names and owned(p))
    return Changes(additions, deletions)


class Publisher:
    """One publish: a release folder, its files, and the repository it goes to."""

    def __init__(self, folder: ReleaseFolder, files: list[ReleaseFile], repo_id: str, token: str):
        from huggingface_hub import HfApi

        self.folder, self.files, self.repo_id, self.token = folder, files, repo_id, token
        self.by_path = {f.path: f for f in files}
        self.api = HfApi(token=token)

    def remote_files(self, revision: str) -> dict:
        from huggingface_hub.hf_api import RepoFile

        tree = self.api.list_repo_tree(
            self.repo_id, revision=revision, recursive=True, repo_type=REPO_TYPE
        )
        return {item.path: item for item in tree if isinstance(item, RepoFile)}

    def refs(self) -> tuple[str, dict[str, str]]:
        """The main branch's head commit and the repository's tags."""
        refs = self.api.list_repo_refs(self.repo_id, repo_type=REPO_TYPE)
        heads = {b.name: b.target_commit for b in refs.branches}
        if BRANCH not in heads:
            raise HubError(f"{self.repo_id} has no {BRANCH} branch")
        return heads[BRANCH], {t.name: t.target_commit for t in refs.tags}

    def commit(self, changes: Changes, parent: str, message: str, create_pr: bool):
        """One commit of the changes; each local file is read through the release folder
        held open (never through a path that a symbolic link could redirect)."""
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        with ExitStack() as opened:
            operations = [
                CommitOperationAdd(path_in_repo=p, path_or_fileobj=self.upload_source(p, opened))
                for p in changes.additions
            ] + [CommitOperationDelete(path_in_repo=p) for p in changes.deletions]
            return self.api.create_commit(
                self.repo_id,
                operations,
                commit_message=message,
                repo_type=REPO_TYPE,
                create_pr=create_pr,
                parent_commit=parent,
            )

    def upload_source(self, path: str, opened: ExitStack) -> BinaryIO | bytes:
        """The local file, open, or the uploaded bytes of a file that differs from it."""
        content = self.by_path[path].content
        return opened.enter_context(self.folder.open(path)) if content is None else content

    def tag(self, tag: str, commit: str) -> None:
        self.api.create_tag(
            self.repo_id,
            tag=tag,
            revision=commit,
            repo_type=REPO_TYPE,
            tag_message=f"ptoffact {tag}",
        )

    def web_url(self, kind: str, ref: str) -> str:
        from huggingface_hub import constants

        return f"{constants.ENDPOINT}/datasets/{self.repo_id}/{kind}/{ref}"

    def run(self, tag: str, private: bool, create_pr: bool) -> Outcome:
        """Create the repo if missing, commit what changed (or open a PR), tag the commit."""
        with hub_errors(self.token):
            self.api.create_repo(self.repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
            head, tags = self.refs()
            if tag in tags:
                return self.already_tagged(tag, tags[tag])
            changes = changes_against(self.folder, self.files, self.remote_files(head))
            if not changes:
                return self.unchanged(tag, head, create_pr)
            message = f"Publish ptoffact release {tag}"
            info = self.commit(changes, head, message, create_pr)
            summary = changes.describe()
            if create_pr:
                return Outcome(
                    info.pr_url, f"opened a pull request ({summary}); tag it after merging"
                )
        try:
            with hub_errors(self.token):
                self.tag(tag, info.oid)
        except PtoffactError as error:
            raise HubError(
                f"committed {info.oid} but could not tag it {tag}: {error}; publish again to tag"
            ) from None
        return Outcome(info.commit_url, f"one commit ({summary}), tagged {tag}")

    def already_tagged(self, tag: str, commit: str) -> Outcome:
        """A tag that exists: fine when it holds exactly this release, refused otherwise."""
        if changes_against(self.folder, self.files, self.remote_files(commit)):
            raise UsageError(
                f"tag {tag!r} already exists on {self.repo_id} and holds other files; "
                "choose another --tag (nothing was uploaded)"
            )
        return Outcome(
            self.web_url("tree", tag), f"unchanged: tag {tag} already holds this release; no commit"
        )

    def unchanged(self, tag: str, head: str, create_pr: bool) -> Outcome:
        """The branch already holds the release: no commit; tag its head."""
        if create_pr:
            return Outcome(
                self.web_url("tree", BRANCH),
                "unchanged: main already holds this release; no pull request",
            )
        self.tag(tag, head)
        return Outcome(self.web_url("commit", head), f"unchanged: no new commit; tagged {tag}")


REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")


def check_repo_id(repo_id: str) -> str:
    if not REPO_ID.fullmatch(repo_id) or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise UsageError(f"--repo {repo_id!r}: expected OWNER/NAME, e.g. my-org/ptoffact")
    return repo_id


def check_tag(tag: str) -> str:
    if not re.fullmatch(r"[\w][\w.+-]*", tag):
        raise UsageError(f"--tag {tag!r}: use letters, digits, '.', '_', '+' or '-'")
    return tag
