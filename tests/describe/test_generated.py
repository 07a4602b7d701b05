"""Generated files are fresh, and the root datapackage validates with frictionless."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from ptoffact_build.devtools.generate import BEGIN, END, repo_root, stale_files, write_generated


def test_generated_files_are_fresh() -> None:
    assert stale_files() == []


def test_a_stale_file_is_detected(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    (copy / "build").mkdir(parents=True)
    shutil.copy(repo_root() / "README.md", copy / "README.md")
    shutil.copytree(repo_root() / "build" / "sample", copy / "build" / "sample")
    readme = (copy / "README.md").read_text()
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    (copy / "README.md").write_text(f"{head}{BEGIN}\nold dictionary\n{END}{tail}")
    assert set(stale_files(copy)) == {copy / "README.md", copy / "datapackage.json"}
    write_generated(copy)
    assert stale_files(copy) == []


def test_frictionless_validates_the_root_datapackage() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "datapackage.json", "--json"],
        cwd=repo_root(),
        capture_output=True,
        text=True,
    )
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["valid"], report
    rows = {t["name"]: t["stats"]["rows"] for t in report["tasks"]}
    assert rows["office_actions"] == 1000


def test_root_datapackage_exercises_every_constraint() -> None:
    """Each declared constraint is present on real values of the sample (no empty column)."""
    package = json.loads((repo_root() / "datapackage.json").read_text())
    import csv
    import io
    import zipfile

    for resource in package["resources"]:
        with zipfile.ZipFile(repo_root() / resource["path"]) as archive:
            text = archive.read(resource["innerpath"]).decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        for field in resource["schema"]["fields"]:
            if field.get("constraints"):
                assert any(r[field["name"]] for r in rows), (resource["name"], field["name"])


def test_the_readme_synopsis_names_every_option_of_every_command() -> None:
    """The synopsis is rendered from the parser: every command and option string is in it."""
    import argparse

    from ptoffact_build.arguments import parser
    from ptoffact_build.devtools.generate import SYNOPSIS_BEGIN, SYNOPSIS_END

    readme = (repo_root() / "README.md").read_text(encoding="utf-8")
    synopsis = readme.split(SYNOPSIS_BEGIN, 1)[1].split(SYNOPSIS_END, 1)[0]
    commands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        assert f"ptoffact {name} " in synopsis or f"ptoffact {name}\n" in synopsis
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert option in synopsis, (name, option)
