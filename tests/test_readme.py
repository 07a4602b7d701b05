"""The README's two commands exist, and CI runs the test command verbatim."""

from __future__ import annotations

import re

from ptoffact_build.devtools.generate import repo_root


def readme_commands() -> list[str]:
    text = (repo_root() / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_two_commands() -> None:
    main_job, tests = readme_commands()
    assert "ptoffact build --source sample" in main_job and "ptoffact load" in main_job
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    _, tests = readme_commands()
    ci = (repo_root() / ".ci" / "run").read_text()
    assert f'TEST_COMMAND="{tests}"' in ci
    assert 'eval "${TEST_COMMAND}"' in ci
