"""The README's two commands, CI's use of them, and the docs' commands and links.

The quick start's two commands each make (or reuse) the virtual environment .venv and install
into it; CI runs the test command verbatim, and lints and type-checks in that same
environment. Every `ptoffact` command the docs show parses with the command line's own
parser, and every link between the docs leads to a file and heading that exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ptoffact_build.arguments import parser
from ptoffact_build.devtools.generate import repo_root

DOCS = ["README.md", "DEVELOPING.md", "docs/reference.md"]
VENV = "python3 -m venv .venv && . .venv/bin/activate && python -m pip install -e "
FENCE = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)


def readme_commands() -> list[str]:
    text = (repo_root() / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def ci_script() -> str:
    return (repo_root() / ".ci" / "run").read_text()


def test_two_commands() -> None:
    main_job, tests = readme_commands()
    assert "ptoffact build --source sample" in main_job and "ptoffact load" in main_job
    assert "pytest" in tests


def test_both_commands_make_the_virtual_environment_first() -> None:
    main_job, tests = readme_commands()
    assert main_job.startswith(VENV + ". && ")
    assert tests.startswith(VENV + "'.[test]' && ")


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = readme_commands()
    ci = ci_script()
    assert f'TEST_COMMAND="{tests}"' in ci
    assert 'eval "${TEST_COMMAND}"' in ci


def test_ci_checks_in_the_environment_the_test_command_makes() -> None:
    """Lint, types and generated files run after .ci/run made and activated the README's
    .venv, with the test extra installed there."""
    lines = [line.strip() for line in ci_script().splitlines()]
    first_check = next(i for i, line in enumerate(lines) if line.startswith("python -m ruff"))
    setup = lines[:first_check]
    assert "python3 -m venv .venv" in setup and ". .venv/bin/activate" in setup
    assert "python -m pip install --quiet -e '.[test]'" in setup
    for check in ("python -m mypy", "ptoffact regenerate-files --check"):
        assert any(line.startswith(check) for line in lines[first_check:]), check


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def documented_commands() -> list[tuple[str, str]]:
    """(file, command) for every `ptoffact` command in the docs' shell blocks, optional
    parts (`[--tag TAG]`) written out and comments dropped."""
    found = []
    for name in DOCS:
        for block in shell_blocks((repo_root() / name).read_text(encoding="utf-8")):
            for line in block.splitlines():
                for part in line.split("&&"):
                    words = shlex.split(part, comments=True)
                    if words[:1] == ["ptoffact"]:
                        found.append((name, " ".join(words).replace("[", "").replace("]", "")))
    return found


def test_the_docs_show_every_command() -> None:
    commands = {command.split()[1] for _, command in documented_commands()}
    assert {"build", "fetch", "synthesize", "load", "describe", "publish", "verify"} <= commands


@pytest.mark.parametrize(("doc", "command"), documented_commands())
def test_a_documented_command_parses(doc: str, command: str) -> None:
    try:
        parser().parse_args(shlex.split(command)[1:])
    except SystemExit as error:
        pytest.fail(f"{doc}: `{command}` does not parse (exit {error.code})")


def test_a_command_that_does_not_exist_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["build", "--no-such-option"])
    assert "unrecognized arguments" in capsys.readouterr().err


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    prose = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {anchor(h) for h in re.findall(r"^#+ (.+)$", prose, re.MULTILINE)}


def local_links(name: str) -> list[tuple[str, str]]:
    """(target file, anchor) of every link in a doc that is not to the web."""
    prose = FENCE.sub("", (repo_root() / name).read_text(encoding="utf-8"))
    links = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if "://" not in target:
            path, _, fragment = target.partition("#")
            resolved = (repo_root() / name).parent / path if path else repo_root() / name
            links.append((str(resolved.resolve().relative_to(repo_root())), fragment))
    return links


def test_the_anchor_of_a_heading() -> None:
    assert anchor("How verify --rows checks every Parquet row") == (
        "how-verify---rows-checks-every-parquet-row"
    )
    assert anchor("Verifying a release's rows") == "verifying-a-releases-rows"


@pytest.mark.parametrize("doc", DOCS)
def test_the_links_between_the_docs_lead_somewhere(doc: str) -> None:
    links = local_links(doc)
    assert links, f"{doc} links to no other doc"
    for target, fragment in links:
        path = repo_root() / target
        assert path.is_file(), f"{doc} links to {target}, which does not exist"
        if fragment:
            assert fragment in anchors(path), f"{doc} links to {target}#{fragment}: no heading"


def test_the_readme_links_the_developer_docs() -> None:
    targets = {target for target, _ in local_links("README.md")}
    assert {"DEVELOPING.md", "docs/reference.md"} <= targets


def test_developer_sections_are_not_in_the_readme() -> None:
    readme = (repo_root() / "README.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+ (.+)$", FENCE.sub("", readme), re.MULTILINE))
    moved = {"Differences from frictionless-py", "Limits of the reader", "How it is organised"}
    assert not moved & headings
    assert anchor("Differences from frictionless-py") in anchors(repo_root() / DOCS[2])
    assert anchor("How it is organised") in anchors(repo_root() / DOCS[1])


def test_the_quick_start_comes_before_the_command_reference() -> None:
    readme = FENCE.sub("", (repo_root() / "README.md").read_text(encoding="utf-8"))
    order = [
        "## Quick start",
        "## Getting the real data",
        "## A synthetic source at any scale",
        "## The command line",
        "## Using a release",
        "## Data dictionary",
        "## Citation",
    ]
    places = [readme.index(f"\n{heading}\n") for heading in order]
    assert places == sorted(places)
