"""Progress of long steps on stderr: rows and rows per second, per table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

PLAIN_EVERY_SECONDS = 10.0


@dataclass
class Progress:
    """Reports rows done per table; a live line on a terminal, periodic lines otherwise."""

    stream: TextIO | None = field(default_factory=lambda: sys.stderr)
    clock: Callable[[], float] = time.monotonic
    table: str = ""
    rows: int = 0
    bytes: int = 0
    started: float = 0.0
    last_shown: float = 0.0

    @classmethod
    def quiet(cls) -> Progress:
        return cls(stream=None)

    @property
    def live(self) -> bool:
        return bool(self.stream is not None and getattr(self.stream, "isatty", lambda: False)())

    def start(self, table: str) -> None:
        self.table, self.rows, self.bytes = table, 0, 0
        self.started = self.last_shown = self.clock()

    def advance(self, rows: int, nbytes: int = 0) -> None:
        self.rows += rows
        self.bytes += nbytes
        now = self.clock()
        every = 0.5 if self.live else PLAIN_EVERY_SECONDS
        if now - self.last_shown >= every:
            self.last_shown = now
            self.show(final=False)

    def finish(self) -> None:
        self.show(final=True)

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.rows / elapsed
        return (
            f"{self.table}: {self.rows:,} rows, {self.bytes / 1e6:,.0f} MB "
            f"in {elapsed:,.1f} s ({rate:,.0f} rows/s)"
        )

    def show(self, final: bool) -> None:
        if self.stream is None:
            return
        if self.live:
            end = "\n" if final else ""
            self.stream.write("\r\033[K" + self.line() + end)
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def note(self, message: str) -> None:
        """A one-off line (a stage starting, a file written)."""
        if self.stream is not None:
            self.stream.write(message + "\n")
            self.stream.flush()
