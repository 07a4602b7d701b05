"""The files a publish uploads with other bytes than the local release: the card for the repo.

The uploaded README.md names the repository in its loading examples (``load_dataset`` with
OWNER/NAME, ``hf://`` paths for DuckDB and Polars), whatever the local card says; the
uploaded SHA256SUMS lists the uploaded card, so ``sha256sum -c`` and ``ptoffact verify`` hold
on the Hub too. The local folder is never modified.
"""

from __future__ import annotations

from ptoffact_build.contents import CARD, SUMS
from ptoffact_build.describe.usage import card_for_repo
from ptoffact_build.hashing import bytes_sha256
from ptoffact_build.ownfiles import FileTooLarge
from ptoffact_build.publish.verify import SUMS_LINE, ReleaseMismatch
from ptoffact_build.release_folder import ReleaseFolder

CARD_LIMIT = 64 << 20  # far beyond any card ptoffact writes


def text_of(folder: ReleaseFolder, name: str) -> str:
    """A verified text file of the release; ReleaseMismatch when it is not UTF-8."""
    try:
        return folder.read(name, CARD_LIMIT).decode("utf-8")
    except (FileTooLarge, UnicodeDecodeError) as error:
        where = folder.path / name
        raise ReleaseMismatch(f"{where}: not a text file ptoffact wrote ({error})") from None


def hub_card(folder: ReleaseFolder, repo_id: str) -> bytes:
    """The release's card with its loading examples written for ``repo_id``."""
    card = card_for_repo(text_of(folder, CARD), repo_id)
    if card is None:
        raise ReleaseMismatch(
            f"{folder.path / CARD}: no marked Loading section to write for {repo_id}; "
            "rebuild the release with this ptoffact"
        )
    return card.encode("utf-8")


def sums_for_card(sums: str, card: bytes) -> str:
    """A ``sha256sum`` listing with README.md's line giving ``card``'s digest."""
    digest = bytes_sha256(card)
    lines = []
    for line in sums.splitlines(keepends=True):
        match = SUMS_LINE.fullmatch(line.rstrip("\n"))
        if match and match[2] == CARD:
            separator = line[64:66]
            line = f"{digest}{separator}{CARD}\n"
        lines.append(line)
    return "".join(lines)


def hub_files(folder: ReleaseFolder, repo_id: str) -> dict[str, bytes]:
    """The uploaded bytes of the files that differ from the local release, by path (the
    release was verified: SHA256SUMS lists its files, so it is small)."""
    card = hub_card(folder, repo_id)
    return {CARD: card, SUMS: sums_for_card(text_of(folder, SUMS), card).encode("utf-8")}
