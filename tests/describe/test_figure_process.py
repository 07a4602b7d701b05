"""The figures drawn in a child process (while the release is measured): the same Plots and
PNG bytes as drawn in-process; a failing child is a bug (exit 70, its traceback in the saved
file); stopping or interrupting a build leaves no child process and no scratch behind (real
subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import NO_FIGURE_DATA, SAMPLE_FIGURES, assert_same_figures
from ptoffact_build.describe.figure_process import (
    FigureProcess,
    FigureProcessFailed,
    plots_from,
)
from ptoffact_build.describe.plots import draw_figures
from ptoffact_build.errors import PtoffactError, Terminated

TIMEOUT = 60


def figures_of(release: Path) -> tuple[dict, list]:
    found = json.loads((release / "validation_report.json").read_text())["statistics"]
    return found["figures"], found["per_mail_year"]


def gone(pid: int) -> bool:
    """Whether no process (not even a zombie) has this PID."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_child_draws_the_same_plots_and_bytes(sample_release: Path, tmp_path: Path) -> None:
    data, per_year = figures_of(sample_release)
    figures = FigureProcess(tmp_path / "child", data, per_year)
    try:
        drawn = figures.result()
    finally:
        figures.stop()
    assert figures.process.returncode == 0
    assert drawn == draw_figures(tmp_path / "here", data, per_year)
    assert [p.name for p in drawn if not p.missing] == SAMPLE_FIGURES
    assert_same_figures(tmp_path / "child", tmp_path / "here", sample_release / "images")


def test_the_child_says_why_a_figure_is_missing(tmp_path: Path) -> None:
    figures = FigureProcess(tmp_path / "images", NO_FIGURE_DATA, [])
    try:
        drawn = figures.result()
    finally:
        figures.stop()
    assert drawn == draw_figures(tmp_path / "here", NO_FIGURE_DATA, [])
    assert all(p.missing for p in drawn)


def test_a_failing_child_is_a_bug_with_its_traceback(tmp_path: Path) -> None:
    figures = FigureProcess(tmp_path, {}, [])  # no aggregates: the child raises KeyError
    try:
        with pytest.raises(FigureProcessFailed) as failed:
            figures.result()
    finally:
        figures.stop()
    message = str(failed.value)
    assert message.startswith("the figure process ended with exit code 1: KeyError:")
    assert "Traceback (most recent call last)" in message
    assert "draw_figures" in message and "'per_mail_month_by_document_cd'" in message
    assert not isinstance(failed.value, PtoffactError)


@pytest.mark.parametrize(
    ("output", "why"),
    [
        ("", "Expecting value"),
        ("drawn\n", "Expecting value"),
        ('{"name": "x"}', "argument after ** must be a mapping"),
        ('[{"name": "x"}]', "missing 2 required positional arguments"),
    ],
)
def test_output_that_is_not_the_plots_is_a_bug(output: str, why: str) -> None:
    with pytest.raises(FigureProcessFailed, match="printed no list of figures") as failed:
        plots_from(0, output, "a warning\n")
    assert why in str(failed.value) and str(failed.value).endswith("a warning")


def test_a_child_ended_by_a_signal() -> None:
    with pytest.raises(FigureProcessFailed, match="ended with signal 9: no message"):
        plots_from(-signal.SIGKILL, "", "")
    with pytest.raises(KeyboardInterrupt) as interrupted:
        plots_from(-signal.SIGINT, "", "")
    assert not isinstance(interrupted.value, Terminated)
    with pytest.raises(Terminated):
        plots_from(-signal.SIGTERM, "", "")


def test_stop_kills_and_reaps_a_running_child(sample_release: Path, tmp_path: Path) -> None:
    figures = FigureProcess(tmp_path, *figures_of(sample_release))
    assert figures.process.poll() is None  # still starting Python and matplotlib
    figures.stop()
    assert figures.process.returncode == -signal.SIGKILL
    with pytest.raises(ChildProcessError):  # already waited for
        os.waitpid(figures.process.pid, os.WNOHANG)
    assert gone(figures.process.pid)
    assert figures.stdout.closed and figures.stderr.closed
    figures.stop()  # a second stop does nothing


# ---- the figure process in real builds ---------------------------------------------------

# Run the command line with the figures' numbers missing: the child fails (a bug).
BROKEN = """
import sys
import ptoffact_build.describe.documents as documents
documents.figure_data = lambda figures: {}
from ptoffact_build.cli import main
sys.exit(main(sys.argv[1:]))
"""

# On the path of a build only: the figure process writes its PID (whole: written beside,
# then renamed into place), then sleeps (still "drawing") until it is ended.
SLOW_CHILD = """
import os, sys, time
if "ptoffact_build.describe.figure_process" in sys.orig_argv:
    pid_file = os.environ["FIGURE_PID_FILE"]
    with open(pid_file + ".part", "w") as stream:
        stream.write(str(os.getpid()))
    os.replace(pid_file + ".part", pid_file)
    time.sleep(120)
"""


def environment(tmp_path: Path, *first: Path) -> dict[str, str]:
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache")}
    env["PYTHONPATH"] = os.pathsep.join([*map(str, first), *(p for p in sys.path if p)])
    return env


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".building-" in p.name)


def test_a_failing_child_ends_the_build_with_exit_70(tmp_path: Path) -> None:
    driver = tmp_path / "driver.py"
    driver.write_text(BROKEN)
    command = [sys.executable, str(driver), "build", "--quiet", "--out", str(tmp_path / "rel")]
    done = subprocess.run(
        command, env=environment(tmp_path), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 70, done.stderr
    (line,) = done.stderr.splitlines()
    assert "unexpected error (a bug in ptoffact" in line and "FigureProcessFailed" in line
    assert "invalid" not in line
    (crash,) = (tmp_path / "cache" / "crashes").iterdir()
    saved = crash.read_text()
    assert "KeyError: 'per_mail_month_by_document_cd'" in saved
    assert 'figure_process.py", line' in saved and "in draw_figures" in saved  # the child's
    assert not (tmp_path / "rel").exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("signum", "code", "group"),
    [
        (signal.SIGINT, 130, True),  # Ctrl-C reaches the build and its child
        (signal.SIGTERM, 143, False),  # the build alone: it ends its child
    ],
)
def test_a_signal_while_the_figures_are_drawn(
    tmp_path: Path, signum: int, code: int, group: bool
) -> None:
    slow = tmp_path / "slow"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(SLOW_CHILD)
    env = {**environment(tmp_path, slow), "FIGURE_PID_FILE": str(tmp_path / "figures.pid")}
    out = tmp_path / "rel"
    command = [sys.executable, "-m", "ptoffact_build.cli", "build", "--quiet", "--out", str(out)]
    build = subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (tmp_path / "figures.pid").exists() or leftovers(tmp_path) == []:
            assert build.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        child = int((tmp_path / "figures.pid").read_text())  # whole once it exists
        assert not gone(child)
        started = time.monotonic()
        if group:
            os.killpg(build.pid, signum)
        else:
            build.send_signal(signum)
        _, err = build.communicate(timeout=TIMEOUT)
    finally:
        build.kill()
    assert build.returncode == code, err
    assert "Traceback" not in err
    assert time.monotonic() - started < 30  # it did not wait for the sleeping child
    assert gone(child)
    assert not out.exists() and leftovers(tmp_path) == []
