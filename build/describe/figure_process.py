"""The card's figures, drawn in a child process while the rest of the release is measured.

matplotlib holds the GIL while it draws; a child Python (``python -m
ptoffact_build.describe.figure_process``, the same interpreter and code as the parent) draws
them beside the queries. It reads ``{"folder", "data", "per_year"}`` as JSON on stdin,
calls :func:`.plots.draw_figures` and prints the Plots as a JSON list on stdout. The child
imports :mod:`.plots` and matplotlib only (not pyarrow or polars).

A child that fails (a non-zero exit, or output that is not the Plots) is a bug in ptoffact:
:class:`FigureProcessFailed` carries the end of its stderr (its traceback). A child ended by
SIGINT or SIGTERM (Ctrl-C reaches the whole process group) ends the command as an interrupt.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import ptoffact_build
from ptoffact_build.describe.plots import Plot, draw_figures

MODULE = "ptoffact_build.describe.figure_process"
TAIL_LINES = 30  # lines of the child's stderr kept in the error


class FigureProcessFailed(RuntimeError):
    """The figure process failed: a bug, its message ends with the child's stderr."""


def child_environment() -> dict[str, str]:
    """The build's environment, with the folder ptoffact_build was imported from first on
    the child's path (a worktree's or a checkout's code; an installed package finds itself)."""
    environment = dict(os.environ)
    package = Path(ptoffact_build.__file__).parent
    if package.name == "ptoffact_build":
        path = [str(package.parent), environment.get("PYTHONPATH", "")]
        environment["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    return environment


def stderr_tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def plots_from(returncode: int, output: str, errors: str) -> list[Plot]:
    """The Plots the child printed; an interrupt if a signal ended it, else an error naming
    its exit and the end of its stderr when it failed."""
    if returncode == -signal.SIGINT:
        raise KeyboardInterrupt
    if returncode == -signal.SIGTERM:
        from ptoffact_build.errors import Terminated

        raise Terminated
    tail = stderr_tail(errors)
    last = tail.splitlines()[-1] if tail else "no message"
    if returncode != 0:
        how = f"signal {-returncode}" if returncode < 0 else f"exit code {returncode}"
        raise FigureProcessFailed(f"the figure process ended with {how}: {last}\n{tail}")
    try:
        return [Plot(**item) for item in json.loads(output)]
    except (ValueError, TypeError) as error:
        raise FigureProcessFailed(
            f"the figure process printed no list of figures ({error}): {output[:200]!r}\n{tail}"
        ) from None


class FigureProcess:
    """The figures being drawn by a child process, started on creation."""

    def __init__(self, folder: Path, data: dict[str, Any], per_year: list[dict[str, Any]]):
        request = {"folder": str(folder), "data": data, "per_year": per_year}
        # files, not pipes: nothing blocks while the child runs; stop() closes them
        self.stdout, self.stderr = (tempfile.TemporaryFile() for _ in range(2))  # noqa: SIM115
        try:
            with tempfile.TemporaryFile() as stdin:
                stdin.write(json.dumps(request).encode())
                stdin.seek(0)
                self.process = subprocess.Popen(
                    [sys.executable, "-m", MODULE],
                    stdin=stdin,
                    stdout=self.stdout,
                    stderr=self.stderr,
                    env=child_environment(),
                )
        except BaseException:
            self.close()
            raise

    def result(self) -> list[Plot]:
        """Wait for the child; the Plots it drew (:class:`FigureProcessFailed` if it failed)."""
        returncode = self.process.wait()
        output, errors = (self.read(s) for s in (self.stdout, self.stderr))
        return plots_from(returncode, output, errors)

    @staticmethod
    def read(stream: IO[bytes]) -> str:
        stream.seek(0)
        return stream.read().decode(errors="replace")

    def stop(self) -> None:
        """End the child if it still runs and wait for it; close its files."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.close()

    def close(self) -> None:
        self.stdout.close()
        self.stderr.close()


def main() -> None:
    """The child: draw the figures asked on stdin, print the Plots on stdout."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it without a traceback
    request = json.load(sys.stdin)
    plots = draw_figures(Path(request["folder"]), request["data"], request["per_year"])
    json.dump([asdict(p) for p in plots], sys.stdout)


if __name__ == "__main__":
    main()
