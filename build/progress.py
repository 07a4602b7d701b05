"""Progress on stderr: rows per table while reading, bytes per file while downloading.

On a terminal each step is a tqdm bar redrawn in place; anywhere else (a log file, a pipe)
the same facts come as plain lines every so often, with no carriage returns or colours.
"""

from __future__ import annotations

import os
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TextIO

from tqdm import tqdm

ROW_LINE_SECONDS = 10.0
"""Plain output: seconds between two lines about a table's rows."""
ROW_BAR_SECONDS = 0.5
DOWNLOAD_LINE_SECONDS = 15.0
"""Plain output: seconds between two lines about a download (also one per tenth done)."""
DOWNLOAD_BAR_SECONDS = 0.25
FALLBACK_SIZE = os.terminal_size((80, 24))
"""The size assumed for a terminal that does not tell its size (tqdm would draw nothing)."""
ROW_BAR_FORMAT = "{desc}: {n:,} rows [{elapsed}, {rate_fmt}{postfix}]"
DOWNLOAD_BAR_FORMAT = (
    "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B of {total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]"
)


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


def is_terminal(stream: TextIO | None) -> bool:
    """True when ``stream`` is an interactive terminal."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


def terminal_size(stream: TextIO | None) -> os.terminal_size:
    """The size of the terminal ``stream`` writes to, or :data:`FALLBACK_SIZE`."""
    if stream is None:
        return FALLBACK_SIZE
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return FALLBACK_SIZE
    return size if size.columns > 0 and size.lines > 0 else FALLBACK_SIZE


LIBRARY_BAR_SWITCHES = {
    "datasets": "HF_DATASETS_DISABLE_PROGRESS_BARS",
    "huggingface_hub": "HF_HUB_DISABLE_PROGRESS_BARS",
}
"""Each library whose tqdm bars :func:`library_bars_on_terminal_only` controls, and the
environment variable by which a user decides for it (which then wins)."""


@contextmanager
def library_bars_on_terminal_only(stream: TextIO | None = None) -> Iterator[None]:
    """Within this block, the progress bars of ``datasets`` and ``huggingface_hub`` are drawn
    only when ``stream`` (stderr by default) is a terminal: a log or a pipe gets none of their
    carriage-return redraws. A library whose switch (:data:`LIBRARY_BAR_SWITCHES`) is set in
    the environment is left as the user set it; the previous state is restored on leaving."""
    import datasets
    import huggingface_hub.utils as hub

    libraries = {"datasets": datasets, "huggingface_hub": hub}
    turned_off = []
    if not is_terminal(stream if stream is not None else sys.stderr):
        for name, switch in LIBRARY_BAR_SWITCHES.items():
            library = libraries[name]
            if switch not in os.environ and not library.are_progress_bars_disabled():
                library.disable_progress_bars()
                turned_off.append(library.enable_progress_bars)
    try:
        yield
    finally:
        for enable in turned_off:
            enable()


class _Bar(tqdm):
    """A tqdm bar without tqdm's monitor thread (our bars are redrawn on every update)."""

    monitor_interval = 0
    drawn: ClassVar[weakref.WeakSet[_Bar]] = weakref.WeakSet()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _Bar.drawn.add(self)

    def close(self) -> None:
        _Bar.drawn.discard(self)
        super().close()


def end_open_bars() -> None:
    """End every bar still drawn, so that what is printed next starts on a line of its own."""
    for bar in list(_Bar.drawn):
        bar.close()


@contextmanager
def bars_ended() -> Iterator[None]:
    """Leaving this block, by an error or Ctrl-C too, ends any bar left drawn."""
    try:
        yield
    finally:
        end_open_bars()


class _Reporter:
    """What both kinds share: a stream (or none), one open bar at most, one-off lines."""

    def __init__(self, stream: TextIO | None, clock: Callable[[], float]) -> None:
        self.stream, self.clock = stream, clock
        self.bar: tqdm | None = None

    @property
    def live(self) -> bool:
        """True when progress is drawn as bars (the stream is a terminal)."""
        return is_terminal(self.stream)

    def open_bar(self, **options: Any) -> tqdm:
        """Start a bar on the stream, ending any bar still open."""
        self.close_bar()
        size = terminal_size(self.stream)
        self.bar = _Bar(
            file=self.stream, ncols=size.columns, nrows=size.lines, leave=True, **options
        )
        return self.bar

    def close_bar(self) -> None:
        """Draw the open bar a last time and move below it."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def write_line(self, text: str) -> None:
        """One line of its own, after whatever bar is open (which ends there)."""
        if self.stream is None:
            return
        self.close_bar()
        self.stream.write(text + "\n")
        self.stream.flush()


class RowProgress(_Reporter):
    """Rows read per table: a bar per table on a terminal, a line every 10 s otherwise.

    Writes to ``stream``, stderr when none is given; :meth:`quiet` writes nowhere.
    """

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(sys.stderr if stream is None else stream, clock)
        self.table, self.rows, self.bytes = "", 0, 0
        self.started = self.last_shown = 0.0

    @classmethod
    def quiet(cls) -> RowProgress:
        """Progress that shows nothing."""
        progress = cls()
        progress.stream = None
        return progress

    def start(self, table: str) -> None:
        """Begin counting the rows of ``table``."""
        self.table, self.rows, self.bytes = table, 0, 0
        self.started = self.last_shown = self.clock()
        if self.live:
            self.open_bar(
                desc=table,
                unit=" rows",
                unit_scale=True,
                bar_format=ROW_BAR_FORMAT,
                mininterval=ROW_BAR_SECONDS,
            )

    def advance(self, rows: int, nbytes: int = 0) -> None:
        """Count ``rows`` more rows, ``nbytes`` more bytes read."""
        self.rows += rows
        self.bytes += nbytes
        if self.bar is not None:
            self.bar.set_postfix_str(human_bytes(self.bytes), refresh=False)
            self.bar.update(rows)
            return
        now = self.clock()
        if now - self.last_shown >= ROW_LINE_SECONDS:
            self.last_shown = now
            self.show_line()

    def finish(self) -> None:
        """The table is done: end its bar, or print its last line."""
        if self.bar is not None:
            self.close_bar()
        else:
            self.show_line()

    def line(self) -> str:
        """``office_actions: 1,000 rows, 1 MB in 0.5 s (2,000 rows/s)``."""
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.rows / elapsed
        return (
            f"{self.table}: {self.rows:,} rows, {self.bytes / 1e6:,.0f} MB "
            f"in {elapsed:,.1f} s ({rate:,.0f} rows/s)"
        )

    def show_line(self) -> None:
        """Print the plain status line."""
        self.write_line(self.line())

    def note(self, message: str) -> None:
        """A one-off line (a stage starting, a file written)."""
        self.write_line(message)


class DownloadProgress(_Reporter):
    """Bytes of one file: ``start_at`` per request, ``update`` per chunk, ``note`` lines.

    On a terminal a bar that ends at a note or when the file is complete; otherwise a line
    per tenth of the file, or every 15 s when it is slow.
    """

    def __init__(
        self,
        stream: TextIO,
        name: str,
        total: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stream, clock)
        self.name, self.total = name, max(total, 1)
        self.tty = self.live
        self.start_at(0)

    def start_at(self, position: int) -> None:
        """(Re)start counting from ``position`` bytes already on disk."""
        self.close_bar()
        self.done = self.base = position
        self.started = self.last = self.clock()
        self.last_decile = position * 10 // self.total

    def update(self, n: int) -> None:
        """Count ``n`` more bytes; show them when it is time to."""
        self.done += n
        if self.tty:
            self.update_bar(n)
            return
        now = self.clock()
        decile = self.done * 10 // self.total
        if decile > self.last_decile or now - self.last >= DOWNLOAD_LINE_SECONDS:
            self.last_decile, self.last = decile, now
            self.write_line(f"{self.name}: {self.status(now)}")

    def update_bar(self, n: int) -> None:
        """Move the bar on by ``n`` bytes (opening it first); close it when complete."""
        bar = self.bar or self.open_bar(
            desc=self.name,
            total=self.total,
            initial=self.done - n,
            unit="B",
            unit_scale=True,
            unit_divisor=1000,
            bar_format=DOWNLOAD_BAR_FORMAT,
            mininterval=DOWNLOAD_BAR_SECONDS,
        )
        bar.update(n)
        if self.done >= self.total:
            self.close_bar()

    def note(self, message: str) -> None:
        """A line of its own about this file (start, retry, result)."""
        self.write_line(f"{self.name}: {message}")

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
