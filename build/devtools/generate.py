"""The repository's generated files, and the check that they are fresh
(``ptoffact regenerate-files [--check]``).

- ``datapackage.json`` at the root describes the embedded sample with the release's schemas;
- ``README.md`` holds the data dictionary, the command synopsis and the CI job of ``verify``
  (the card's, for no repository in particular), each between two marker lines; the synopsis
  is rendered from the command line's own parser.
"""

from __future__ import annotations

import argparse
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pcsv

from ptoffact_build.describe.datapackage import datapackage, table_resource
from ptoffact_build.describe.dictionary import data_dictionary
from ptoffact_build.filerecord import record_of
from ptoffact_build.jsonfile import json_text
from ptoffact_build.schema import TABLES, load_schema

BEGIN = "<!-- BEGIN GENERATED: data dictionary (ptoffact regenerate-files) -->"
END = "<!-- END GENERATED: data dictionary -->"
SYNOPSIS_BEGIN = "<!-- BEGIN GENERATED: command synopsis (ptoffact regenerate-files) -->"
SYNOPSIS_END = "<!-- END GENERATED: command synopsis -->"
SYNOPSIS_WIDTH = 100
JOB_BEGIN = "<!-- BEGIN GENERATED: verify job (ptoffact regenerate-files) -->"
JOB_END = "<!-- END GENERATED: verify job -->"


@dataclass(frozen=True)
class Generated:
    """A generated file: where it goes and what it must hold."""

    path: Path
    content: str


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def sample_rows(path: Path) -> int:
    """Data rows in a sample zip."""
    with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as member:
        return pcsv.read_csv(member).num_rows


def root_datapackage(root: Path) -> str:
    """The root ``datapackage.json``, describing the embedded sample zips."""
    resources = []
    for table in TABLES:
        path = root / "build" / "sample" / f"{table}.csv.zip"
        entry = record_of(path, sample_rows(path)).relative_to(root)
        extra = {"compression": "zip", "innerpath": f"{table}.csv"}
        resources.append(table_resource(load_schema(table), entry, **extra))
    descriptor = datapackage(
        resources,
        description="The embedded sample of ptoffact (about 1,000 Office actions, synthetic, "
        "in the USPTO distribution's format), described with the same schemas as a release.",
    )
    return json_text(descriptor)


def between_markers(text: str, begin: str, end: str, content: str) -> str:
    """``text`` with what lies between the lines ``begin`` and ``end`` replaced by ``content``."""
    if begin not in text or end not in text:
        raise ValueError(f"README.md lacks the markers {begin!r} and {end!r}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{content}\n{end}{tail}"


def readme_with_dictionary(readme: str) -> str:
    """The README with its data dictionary section rendered afresh."""
    return between_markers(readme, BEGIN, END, data_dictionary())


def command_synopsis() -> str:
    """Every command's usage and purpose, rendered from ``ptoffact``'s argparse parser."""
    from ptoffact_build.arguments import parser

    main = parser()
    commands = next(a for a in main._actions if isinstance(a, argparse._SubParsersAction))
    purposes = {c.dest: c.help for c in commands._choices_actions}
    lines = []
    for name, sub in commands.choices.items():
        actions = [a for a in sub._actions if not isinstance(a, argparse._HelpAction)]
        usage = argparse.HelpFormatter(prog=sub.prog, width=SYNOPSIS_WIDTH)
        usage.add_usage(None, actions, sub._mutually_exclusive_groups, prefix="")
        lines += [f"# {purposes[name]}", usage.format_help().rstrip(), ""]
    return "```text\n" + "\n".join(lines[:-1]) + "\n```"


def readme_rendered(readme: str) -> str:
    """The README with its generated sections rendered afresh."""
    from ptoffact_build.describe.usage import verify_job

    readme = readme_with_dictionary(readme)
    readme = between_markers(readme, JOB_BEGIN, JOB_END, verify_job(None))
    return between_markers(readme, SYNOPSIS_BEGIN, SYNOPSIS_END, command_synopsis())


def generated_files(root: Path | None = None) -> list[Generated]:
    """Every generated file of the repository, rendered from the schemas."""
    root = root or repo_root()
    readme = (root / "README.md").read_text(encoding="utf-8")
    return [
        Generated(root / "datapackage.json", root_datapackage(root)),
        Generated(root / "README.md", readme_rendered(readme)),
    ]


def stale_files(root: Path | None = None) -> list[Path]:
    """Generated files whose content differs from what the schemas give."""
    stale = []
    for g in generated_files(root):
        current = g.path.read_text(encoding="utf-8") if g.path.exists() else None
        if current != g.content:
            stale.append(g.path)
    return stale


def write_generated(root: Path | None = None) -> list[Path]:
    """Rewrite the generated files that changed; return them."""
    changed = []
    for g in generated_files(root):
        if not g.path.exists() or g.path.read_text(encoding="utf-8") != g.content:
            g.path.write_text(g.content, encoding="utf-8")
            changed.append(g.path)
    return changed
