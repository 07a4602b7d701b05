"""Unexpected errors (bugs): the traceback goes to a file, the user gets one line.

The file is ``crash-<UTC time>-<pid>.txt`` in ``<cache folder>/crashes`` (``--cache-dir``,
``$PTOFFACT_CACHE`` or the user cache folder), or in the system temp folder when that
cannot be written. The API key, should it appear anywhere in the text, is blanked.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import traceback
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

KEY_ENV = "USPTO_API_KEY"
BLANKED = "[API key removed]"


def secrets_of(environ: Mapping[str, str], key_file: Path | None) -> list[str]:
    """The API key(s) this run may hold, to keep out of anything written."""
    found = [environ.get(KEY_ENV, "").strip()]
    if key_file is not None:
        from ptoffact_build.fetch.tables import read_key_file

        with contextlib.suppress(Exception):  # the bug is being reported: never a second one
            found.append(read_key_file(key_file, wait=False).strip())
    return [s for s in found if len(s) >= 4]


def blank(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, BLANKED)
    return text


def crash_folders(cache_dir: Path | None, environ: Mapping[str, str]) -> list[Path]:
    """Where a traceback may go, in order of preference."""
    from ptoffact_build.fetch.tables import resolve_cache_dir

    return [resolve_cache_dir(cache_dir, environ) / "crashes", Path(tempfile.gettempdir())]


def save_traceback(
    error: BaseException, folders: Iterable[Path], secrets: Iterable[str]
) -> Path | None:
    """Write the error's traceback to a new file in the first writable folder; its path."""
    text = blank("".join(traceback.format_exception(error)), secrets)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for folder in folders:
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8") as stream:
                stream.write(text)
            return path
        except OSError:
            continue
    return None


def bug_line(error: BaseException, saved: Path | None, secrets: Iterable[str]) -> str:
    """The one line printed for an unexpected error."""
    what = blank(" ".join(f"{type(error).__name__}: {error}".split()), secrets)[:300]
    where = f"traceback saved to {saved}" if saved else "the traceback could not be saved"
    return (
        f"ptoffact: unexpected error (a bug in ptoffact, not a finding about the data): "
        f"{what}; {where}; please report it"
    )
