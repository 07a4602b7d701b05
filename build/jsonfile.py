"""The one way ptoffact writes JSON files: indented, UTF-8, one trailing newline."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any


def json_text(data: Any) -> str:
    """``data`` as the text of a ptoffact JSON file (values JSON lacks are written as text)."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` (making its folder if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_text(data), encoding="utf-8")


def replace_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a new file beside it, renamed over
    ``path``, so that whatever now sits there (a symbolic link, a FIFO) is replaced, never
    followed or waited on. For files outside ptoffact's own folders (``--report``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".ptoffact-{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(temp, "x", encoding="utf-8") as stream:
            stream.write(json_text(data))
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
