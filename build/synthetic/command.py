"""``ptoffact synthesize``: a synthetic source at any scale, to try the pipeline (its speed,
memory and output) before having an API key."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ptoffact_build.errors import EXIT_OK, UsageError

HELP = "write a synthetic source at any scale: the three zips, every row valid"
DESCRIPTION = (
    "Write office_actions.csv.zip, rejections.csv.zip and citations.csv.zip into --out: "
    "synthetic rows with the real data's value forms, key relations and quirks, every row "
    "valid. Scale 1.0 has the real row counts (73.4 million rows, about 1 GB zipped). "
    "Exit codes: 0 written; 2 a scale, seed or --out that cannot be used (nothing written); "
    "130/143 interrupted (nothing replaced); 70 a bug."
)


def add_synthesize_command(commands: Any) -> None:
    """The ``synthesize`` sub-command and its options."""
    command = commands.add_parser("synthesize", help=HELP, description=DESCRIPTION)
    command.add_argument(
        "--scale",
        type=float,
        required=True,
        metavar="S",
        help="1.0 = the real row counts, 0.01 = 1%% of them (above 0, at most 25)",
    )
    command.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder for the zips: a new or empty one, or one an earlier synthesize wrote "
        "(its zips are replaced; no other file is ever overwritten)",
    )
    command.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="random seed, 0 or more (default 0); the same scale and seed give the same bytes",
    )
    command.add_argument("--quiet", action="store_true", help="no progress on stderr")


def run_synthesize(args: argparse.Namespace) -> int:
    """Write the source; one line on stdout says where and how many rows."""
    from ptoffact_build.progress import RowProgress
    from ptoffact_build.synthetic.plan import make_plan
    from ptoffact_build.synthetic.source import write_source

    try:
        make_plan(args.scale)
    except ValueError as bad:
        raise UsageError(f"--{bad}") from None
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be 0 or more")
    out = Path(args.out).expanduser()
    progress = RowProgress.quiet() if args.quiet else RowProgress()
    stats = write_source(out, args.scale, args.seed, progress=progress)
    rows = ", ".join(f"{t} {s.rows:,}" for t, s in stats.items())
    print(f"synthetic source written to {out} ({rows}); build it: ptoffact build --source {out}")
    return EXIT_OK
