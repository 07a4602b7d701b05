"""The files a publish uploads with other bytes than the local release: the card for the repo.

The uploaded README.md names the repository in its loading examples (``load_dataset`` with
OWNER/NAME, ``hf://`` paths for DuckDB and Polars), whatever the local card says; when the
release's ``SHA256SUMS`` lists README.md, the uploaded copy lists the uploaded card, so
``sha256sum -c`` holds on the Hub too. The local folder is never modified.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ptoffact_build.describe.usage import card_for_repo
from ptoffact_build.publish.verify import SUMS, SUMS_LINE, ReleaseMismatch

CARD = "README.md"


def hub_card(release: Path, repo_id: str) -> bytes:
    """The release's card with its loading examples written for ``repo_id``."""
    text = (release / CARD).read_text(encoding="utf-8")
    card = card_for_repo(text, repo_id)
    if card is None:
        raise ReleaseMismatch(
            f"{release / CARD}: no marked Loading section to write for {repo_id}; "
            "rebuild the release with this ptoffact"
        )
    return card.encode("utf-8")


def sums_for_card(sums: str, card: bytes) -> str:
    """A ``sha256sum`` listing with README.md's line giving ``card``'s digest."""
    digest = hashlib.sha256(card).hexdigest()
    lines = []
    for line in sums.splitlines(keepends=True):
        match = SUMS_LINE.fullmatch(line.rstrip("\n"))
        if match and match[2] == CARD:
            separator = line[64:66]
            line = f"{digest}{separator}{CARD}\n"
        lines.append(line)
    return "".join(lines)


def hub_files(release: Path, repo_id: str) -> dict[str, bytes]:
    """The uploaded bytes of the files that differ from the local release, by path."""
    card = hub_card(release, repo_id)
    replaced = {CARD: card}
    sums = release / SUMS
    if sums.is_file():
        text = sums.read_text(encoding="utf-8")
        replaced[SUMS] = sums_for_card(text, card).encode("utf-8")
    return replaced
