"""The one way ptoffact writes JSON files: indented, UTF-8, one trailing newline, each file
replaced whole (:mod:`.replace`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ptoffact_build.replace import replace_text


def json_text(data: Any) -> str:
    """``data`` as the text of a ptoffact JSON file (values JSON lacks are written as text)."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` whole or not at all (making its folder if needed): into a
    new file beside it, renamed over ``path``, so that whatever now sits there (a symbolic
    link, a FIFO) is replaced, never followed or waited on."""
    replace_text(path, json_text(data))
