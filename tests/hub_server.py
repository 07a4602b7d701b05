"""An imitation of the Hugging Face Hub on loopback, for the publish tests.

Two real HTTP servers on 127.0.0.1, driven by the real ``huggingface_hub`` and ``datasets``
clients (``HF_ENDPOINT`` pointing at the API, ``HF_HUB_DISABLE_XET=1``):

* the *API* answers repo creation and info, ``validate-yaml``, ``preupload``, the LFS batch
  API (basic transfer) and its ``verify``, the NDJSON ``commit`` (pull requests too), tags,
  refs, tree listing, ``paths-info`` and ``resolve`` downloads (ETag, X-Repo-Commit, Range;
  LFS files answer 302 to the storage host with X-Linked-Etag / X-Linked-Size);
* the *storage* host on another port takes the LFS uploads (PUT) and serves LFS downloads; it
  needs no token, like the Hub's storage, so none must arrive there.

State lives in memory: each commit is a snapshot (path to bytes). Every request is recorded
in ``hits`` (server, method, path, headers) so tests can check where the token went.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from loopback import QuietHandler, TwoServers

LFS_SUFFIXES = (".parquet", ".gz", ".zip", ".arrow")
GITATTRIBUTES = (
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.gz filter=lfs diff=lfs merge=lfs -text\n"
)


@dataclass
class Hit:
    """One request as a server saw it (header names lower-cased)."""

    server: str
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Commit:
    """A snapshot of a repository: every file's bytes, and which are stored in LFS."""

    sha: str
    parent: str | None
    files: dict[str, bytes]
    lfs: set[str]
    title: str
    uploaded: frozenset[str] = frozenset()  # the paths the commit added or changed


@dataclass
class Repo:
    """A dataset repository: commits, branches, tags and pull request refs."""

    repo_id: str
    private: bool
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    prs: list[str] = field(default_factory=list)

    def resolve(self, revision: str) -> Commit | None:
        """The commit a branch, tag, ``refs/pr/N`` or commit id names."""
        if revision in self.branches:
            return self.commits[self.branches[revision]]
        if revision in self.tags:
            return self.commits[self.tags[revision]]
        match = re.fullmatch(r"refs/pr/(\d+)", revision)
        if match and 0 < int(match[1]) <= len(self.prs):
            return self.commits[self.prs[int(match[1]) - 1]]
        return self.commits.get(revision)

    def commits_on(self, branch: str = "main") -> list[Commit]:
        """The branch's history, newest first."""
        chain, sha = [], self.branches.get(branch)
        while sha:
            chain.append(self.commits[sha])
            sha = self.commits[sha].parent
        return chain


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FakeHub(TwoServers):
    """The two servers, the repositories and what the servers saw."""

    token: str
    user: str = "tester"
    repos: dict[str, Repo] = field(default_factory=dict)
    lfs_store: dict[str, bytes] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    failures: list[tuple[str, int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.make_servers(_Handler, hub=self)

    def requests_to(self, server: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.server == server]

    def fail_next(self, path_part: str, status: int, message: str) -> None:
        """Answer the next request (either server) whose path holds ``path_part`` with an error."""
        self.failures.append((path_part, status, message))

    def new_commit(
        self,
        repo: Repo,
        parent: Commit | None,
        files: dict[str, bytes],
        lfs: set[str],
        title: str,
        uploaded: frozenset[str] = frozenset(),
    ) -> Commit:
        seed = f"{repo.repo_id}{next(self.counter)}{title}".encode()
        sha = hashlib.sha1(seed).hexdigest()
        commit = Commit(sha, parent and parent.sha, files, lfs, title, uploaded)
        repo.commits[commit.sha] = commit
        return commit

    def create_repo(self, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_id, private)
        first = self.new_commit(
            repo, None, {".gitattributes": GITATTRIBUTES}, set(), "initial commit"
        )
        repo.branches["main"] = first.sha
        self.repos[repo_id] = repo
        return repo


API_REPO = re.compile(r"/api/datasets/([^/]+/[^/]+)(?:/(.*))?")
RESOLVE = re.compile(r"/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)")
LFS_BATCH = re.compile(r"/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/(batch|verify)")


class _Handler(QuietHandler):
    hub: FakeHub

    # -- plumbing ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_HEAD(self) -> None:
        self.dispatch("HEAD")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def dispatch(self, method: str) -> None:
        self.method = method
        self.head_only = method == "HEAD"
        self.headers_lc = {k.lower(): v for k, v in self.headers.items()}
        length = int(self.headers_lc.get("content-length") or 0)
        self.body = self.rfile.read(length) if length else b""
        with self.hub.lock:
            self.hub.hits.append(Hit(self.role, method, self.path, self.headers_lc))
            answer = self.storage if self.role == "storage" else self.api
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer()

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})

    def error(self, status: int, message: str, code: str | None = None) -> None:
        extra = {"X-Error-Message": message}
        if code:
            extra["X-Error-Code"] = code
        self.send_json(status, {"error": message}, extra)

    # -- authentication ---------------------------------------------------------------------

    def auth(self) -> str:
        """'ok', 'none' (no token) or 'bad' (a token the Hub does not know)."""
        value = self.headers_lc.get("authorization")
        if value is None:
            return "none"
        return "ok" if value == f"Bearer {self.hub.token}" else "bad"

    def may_write(self) -> bool:
        state = self.auth()
        if state != "ok":
            self.error(401, "Invalid credentials in Authorization header")
            return False
        return True

    def readable_repo(self, repo_id: str) -> Repo | None:
        """The repository when it exists and the caller may read it; otherwise answer."""
        if self.auth() == "bad":
            self.error(401, "Invalid credentials in Authorization header")
            return None
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo.private and self.auth() != "ok"):
            self.error(404, "Repository not found", "RepoNotFound")
            return None
        return repo

    # -- the API ----------------------------------------------------------------------------

    def api(self) -> None:
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        if self.injected_failure():
            return
        if url.path == "/api/whoami-v2":
            self.whoami()
        elif url.path == "/api/repos/create" and self.method == "POST":
            self.create()
        elif url.path == "/api/validate-yaml":
            self.send_json(200, {"errors": [], "warnings": []})
        elif match := LFS_BATCH.fullmatch(url.path):
            self.lfs(match[1], match[2])
        elif match := RESOLVE.fullmatch(url.path):
            self.resolve(match[1], unquote(match[2]), unquote(match[3]))
        elif match := API_REPO.fullmatch(url.path):
            self.repo_api(match[1], match[2] or "")
        else:
            self.error(404, f"no route for {self.method} {url.path}")

    def whoami(self) -> None:
        if self.may_write():
            self.send_json(200, {"type": "user", "name": self.hub.user, "orgs": []})

    def create(self) -> None:
        if not self.may_write():
            return
        payload = json.loads(self.body)
        repo_id = f"{payload.get('organization') or self.hub.user}/{payload['name']}"
        if payload.get("type") != "dataset":
            self.error(400, "only dataset repositories here")
        elif repo_id in self.hub.repos:
            url = f"{self.hub.api_url}/datasets/{repo_id}"
            body = {"error": "You already created this dataset repo", "url": url}
            self.send_json(409, body, {"X-Error-Message": body["error"]})
        else:
            self.hub.create_repo(repo_id, payload.get("visibility") == "private")
            self.send_json(200, {"url": f"{self.hub.api_url}/datasets/{repo_id}", "name": repo_id})

    def repo_api(self, repo_id: str, rest: str) -> None:
        repo = self.readable_repo(repo_id)
        if repo is None:
            return
        action, _, tail = rest.partition("/")
        revision, _, path = tail.partition("/")
        revision = unquote(revision)
        path = unquote(path)
        if action == "" or (action == "revision" and self.method == "GET"):
            self.info(repo, revision or "main")
        elif action == "refs":
            self.refs(repo)
        elif action == "tree":
            self.tree(repo, revision, path)
        elif action == "paths-info":
            self.paths_info(repo, revision)
        elif action in ("preupload", "commit", "tag") and self.may_write():
            getattr(self, action)(repo, revision)
        elif action not in ("preupload", "commit", "tag"):
            self.error(404, f"no route for {self.method} {self.path}")

    def info(self, repo: Repo, revision: str) -> None:
        commit = repo.resolve(revision)
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        self.send_json(
            200,
            {
                "_id": repo.repo_id,
                "id": repo.repo_id,
                "author": repo.repo_id.split("/")[0],
                "sha": commit.sha,
                "private": repo.private,
                "disabled": False,
                "gated": False,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "lastModified": "2026-01-01T00:00:00.000Z",
                "createdAt": "2026-01-01T00:00:00.000Z",
                "siblings": [{"rfilename": name} for name in sorted(commit.files)],
                "cardData": {},
            },
        )

    def refs(self, repo: Repo) -> None:
        def ref(name: str, kind: str, sha: str) -> dict[str, str]:
            return {"name": name, "ref": f"refs/{kind}/{name}", "targetCommit": sha}

        body = {
            "branches": [ref(n, "heads", s) for n, s in repo.branches.items()],
            "tags": [ref(n, "tags", s) for n, s in repo.tags.items()],
            "converts": [],
        }
        if self.query.get("include_prs"):
            body["pullRequests"] = [
                {"name": f"{i}", "ref": f"refs/pr/{i}", "targetCommit": s}
                for i, s in enumerate(repo.prs, 1)
            ]
        self.send_json(200, body)

    def entry(self, commit: Commit, path: str) -> dict[str, Any]:
        data = commit.files[path]
        item: dict[str, Any] = {
            "type": "file",
            "oid": git_blob_id(data),
            "size": len(data),
            "path": path,
        }
        if path in commit.lfs:
            item["lfs"] = {"oid": sha256_hex(data), "size": len(data), "pointerSize": 134}
        return item

    def listing(self, commit: Commit, folder: str, recursive: bool) -> list[dict[str, Any]]:
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        files, folders = [], set()
        for path in sorted(commit.files):
            if not path.startswith(prefix):
                continue
            rest = path[len(prefix) :]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                if recursive or depth == 1:
                    folders.add(prefix + "/".join(parts[:depth]))
            if recursive or len(parts) == 1:
                files.append(self.entry(commit, path))
        dirs = [
            {"type": "directory", "oid": "0" * 40, "size": 0, "path": p} for p in sorted(folders)
        ]
        return dirs + files

    def tree(self, repo: Repo, revision: str, folder: str) -> None:
        commit = repo.resolve(revision)
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        recursive = self.query.get("recursive", ["false"])[0].lower() in ("1", "true")
        items = self.listing(commit, folder, recursive)
        if folder.strip("/") and not items:
            self.error(404, f"Entry not found: {folder}", "EntryNotFound")
            return
        self.send_json(200, items)

    def paths_info(self, repo: Repo, revision: str) -> None:
        commit = repo.resolve(revision)
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        if "json" in self.headers_lc.get("content-type", ""):
            paths = json.loads(self.body).get("paths", [])
        else:
            paths = parse_qs(self.body.decode()).get("paths", [])
        found = []
        for path in paths:
            if path in commit.files:
                found.append(self.entry(commit, path))
            elif any(name.startswith(path.rstrip("/") + "/") for name in commit.files):
                found.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": path})
        self.send_json(200, found)

    def preupload(self, repo: Repo, revision: str) -> None:
        commit = repo.resolve(revision)
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        answers = []
        for item in json.loads(self.body)["files"]:
            path = item["path"]
            sample = base64.b64decode(item["sample"])
            lfs = path.endswith(LFS_SUFFIXES) or b"\0" in sample or item["size"] > 10 << 20
            oid = None
            if path in commit.files:
                data = commit.files[path]
                oid = sha256_hex(data) if path in commit.lfs else git_blob_id(data)
            answers.append(
                {
                    "path": path,
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": oid,
                }
            )
        self.send_json(200, {"files": answers, "commitOid": commit.sha})

    def commit(self, repo: Repo, revision: str) -> None:
        create_pr = self.query.get("create_pr", ["0"])[0] == "1"
        base = repo.resolve(revision)
        if base is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        header = lines[0]["value"]
        parent = header.get("parentCommit")
        if parent and parent != base.sha:
            self.error(412, "A commit has happened since. Please refresh and try again.")
            return
        files, lfs = dict(base.files), set(base.lfs)
        uploaded = frozenset(
            line["value"]["path"] for line in lines[1:] if line["key"] in ("file", "lfsFile")
        )
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            path = value["path"]
            if key == "file":
                files[path] = base64.b64decode(value["content"])
                lfs.discard(path)
            elif key == "lfsFile":
                if value["oid"] not in self.hub.lfs_store:
                    self.error(422, f"LFS object {value['oid']} was never uploaded")
                    return
                files[path] = self.hub.lfs_store[value["oid"]]
                lfs.add(path)
            elif key == "deletedFile":
                files.pop(path, None)
                lfs.discard(path)
            else:
                self.error(400, f"unsupported commit operation {key}")
                return
        new = self.hub.new_commit(repo, base, files, lfs, header["summary"], uploaded)
        web = f"{self.hub.api_url}/datasets/{repo.repo_id}"
        body = {"commitUrl": f"{web}/commit/{new.sha}", "commitOid": new.sha, "success": True}
        if create_pr:
            repo.prs.append(new.sha)
            body["pullRequestUrl"] = f"{web}/discussions/{len(repo.prs)}"
        else:
            repo.branches[revision] = new.sha
        self.send_json(200, body)

    def tag(self, repo: Repo, revision: str) -> None:
        commit = repo.resolve(revision)
        name = json.loads(self.body)["tag"]
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        elif name in repo.tags:
            self.error(409, f"Tag {name} already exists")
        else:
            repo.tags[name] = commit.sha
            self.send_json(200, {})

    # -- LFS --------------------------------------------------------------------------------

    def lfs(self, repo_id: str, action: str) -> None:
        if not self.may_write() or self.readable_repo(repo_id) is None:
            return
        payload = json.loads(self.body)
        if action == "verify":
            known = payload["oid"] in self.hub.lfs_store
            self.send_json(200 if known else 404, {"message": "ok" if known else "missing"})
            return
        objects = []
        for item in payload["objects"]:
            answer: dict[str, Any] = {"oid": item["oid"], "size": item["size"]}
            if item["oid"] not in self.hub.lfs_store:
                answer["actions"] = {
                    "upload": {"href": f"{self.hub.storage_url}/upload/{item['oid']}?sig=s3"},
                    "verify": {
                        "href": f"{self.hub.api_url}/datasets/{repo_id}.git/info/lfs/objects/verify"
                    },
                }
            objects.append(answer)
        self.send_json(200, {"transfer": "basic", "objects": objects})

    # -- downloads --------------------------------------------------------------------------

    def resolve(self, repo_id: str, revision: str, path: str) -> None:
        repo = self.readable_repo(repo_id)
        if repo is None:
            return
        commit = repo.resolve(revision)
        if commit is None:
            self.error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
            return
        if path not in commit.files:
            self.error(404, "Entry not found", "EntryNotFound")
            return
        data = commit.files[path]
        common = {"X-Repo-Commit": commit.sha, "Accept-Ranges": "bytes"}
        if path in commit.lfs:
            oid = sha256_hex(data)
            location = f"{self.hub.storage_url}/lfs/{oid}?sig=s3"
            headers = {
                **common,
                "Location": location,
                "ETag": f'"{oid}"',
                "X-Linked-Etag": f'"{oid}"',
                "X-Linked-Size": str(len(data)),
            }
            self.send(302, b"", headers)
            return
        self.ranged(data, {**common, "ETag": f'"{git_blob_id(data)}"'})

    def ranged(self, data: bytes, headers: dict[str, str]) -> None:
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers_lc.get("range", ""))
        if not match:
            self.send(200, data, headers)
            return
        start = int(match[1])
        end = min(int(match[2]) if match[2] else len(data) - 1, len(data) - 1)
        if start >= len(data):
            self.send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            return
        headers = {**headers, "Content-Range": f"bytes {start}-{end}/{len(data)}"}
        self.send(206, data[start : end + 1], headers)

    # -- the storage host -------------------------------------------------------------------

    def injected_failure(self) -> bool:
        """Answer with the first queued failure whose path part this request matches."""
        for failure in self.hub.failures:
            if failure[0] in urlsplit(self.path).path:
                self.hub.failures.remove(failure)
                self.error(failure[1], failure[2])
                return True
        return False

    def storage(self) -> None:
        if self.injected_failure():
            return
        url = urlsplit(self.path)
        kind, _, oid = url.path.strip("/").partition("/")
        if self.method == "PUT" and kind == "upload":
            if sha256_hex(self.body) != oid:
                self.send(400, b"<Error>BadDigest</Error>")
                return
            self.hub.lfs_store[oid] = self.body
            self.send(200, b"", {"ETag": f'"{oid}"'})
        elif self.method in ("GET", "HEAD") and kind == "lfs" and oid in self.hub.lfs_store:
            self.ranged(self.hub.lfs_store[oid], {"ETag": f'"{oid}"', "Accept-Ranges": "bytes"})
        else:
            self.send(404, b"<Error>NoSuchKey</Error>")
