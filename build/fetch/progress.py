"""Download progress: one updating line on a terminal, plain periodic lines elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

TTY_INTERVAL = 0.25
LINE_INTERVAL = 15.0


def human_bytes(n: float) -> str:
    """``n`` bytes as a short decimal size (``79.5 MB``)."""
    for unit in ("B", "kB", "MB"):
        if abs(n) < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"


def human_time(seconds: float) -> str:
    """``seconds`` as ``H:MM:SS``."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def is_terminal(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Progress of one file: ``start_at`` per request, ``update`` per chunk, ``note`` lines."""

    def __init__(
        self,
        stream: TextIO,
        name: str,
        total: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.name, self.total, self.clock = stream, name, max(total, 1), clock
        self.tty = is_terminal(stream)
        self.drawn = False
        self.start_at(0)

    def start_at(self, position: int) -> None:
        """(Re)start counting from ``position`` bytes already on disk."""
        self.done = self.base = position
        self.started = self.last = self.clock()
        self.last_decile = position * 10 // self.total

    def update(self, n: int) -> None:
        """Count ``n`` more bytes; print when it is time to."""
        self.done += n
        now = self.clock()
        if self.tty:
            if now - self.last >= TTY_INTERVAL or self.done >= self.total:
                self._write_status(now)
            return
        decile = self.done * 10 // self.total
        if decile > self.last_decile or now - self.last >= LINE_INTERVAL:
            self.last_decile = decile
            self._write_status(now)

    def note(self, message: str) -> None:
        """A line of its own about this file (start, retry, result)."""
        self._clear()
        self.stream.write(f"{self.name}: {message}\n")
        self.stream.flush()

    def status(self, now: float) -> str:
        """``12.3 MB of 79.5 MB (15%), 4.1 MB/s, 0:00:16 left``."""
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.base) / elapsed
        left = human_time((self.total - self.done) / rate) if rate > 0 else "?"
        percent = 100 * self.done // self.total
        return (
            f"{human_bytes(self.done)} of {human_bytes(self.total)} ({percent}%), "
            f"{human_bytes(rate)}/s, {left} left"
        )

    def _write_status(self, now: float) -> None:
        """Write the status: redrawn in place on a terminal, a new line elsewhere."""
        if self.tty:
            self.stream.write(f"\r{self.name}: {self.status(now)}\x1b[K")
            self.drawn = True
        else:
            self.stream.write(f"{self.name}: {self.status(now)}\n")
        self.stream.flush()
        self.last = now

    def _clear(self) -> None:
        """End the updating line on a terminal before a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False
