"""Which files a publish uploads: exactly the release's, as verified.

A few are uploaded with other bytes than the local copy (the card written for the
repository, see :mod:`.hubcard`): those carry their uploaded content.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptoffact_build.hashing import bytes_sha256
from ptoffact_build.publish.verify import Verified


@dataclass(frozen=True)
class ReleaseFile:
    """A file to upload: its path inside the release (POSIX), its size and sha256 as
    uploaded, and its uploaded bytes when they are not the local file's."""

    path: str
    size: int
    sha256: str
    content: bytes | None = None


def release_files(
    verified: Verified, replaced: dict[str, bytes] | None = None
) -> list[ReleaseFile]:
    """Every file of a verified release, sorted; ``replaced`` gives the uploaded bytes of files
    that differ from the local copy."""
    found = []
    for name in verified.contents.files:
        content = (replaced or {}).get(name)
        if content is None:
            found.append(ReleaseFile(name, verified.sizes[name], verified.digests[name]))
        else:
            found.append(ReleaseFile(name, len(content), bytes_sha256(content), content))
    return found
