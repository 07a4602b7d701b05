#!/usr/bin/env python
"""frictionless-py validating a ptoffact release's ``datapackage.json``.

    python benchmarks/frictionless_release.py RELEASE/datapackage.json

``frictionless.Package(<datapackage.json>).validate()`` reads the release's gzip CSV copies
and checks all three tables as the release describes them: types, constraints, the primary
key, the foreign key from rejections to office_actions, and each file's bytes and sha256 hash;
the same work as ``ptoffact validate``. Prints one JSON line:
``{"rows": total, "tables": {table: rows}, "valid": bool, "errors": n}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

LIMIT_ERRORS = 100_000


def validate(descriptor: Path) -> dict[str, object]:
    """Validate the data package; return rows per table, validity and the error count."""
    import frictionless

    report = frictionless.Package(str(descriptor)).validate(limit_errors=LIMIT_ERRORS)
    tables = {task.name: int(task.stats.get("rows") or 0) for task in report.tasks}
    errors = len(report.errors) + sum(len(task.errors) for task in report.tasks)
    return {"rows": sum(tables.values()), "tables": tables, "valid": report.valid, "errors": errors}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(validate(Path(args[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
