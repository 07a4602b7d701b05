"""Where the time goes: seconds per stage, summed over a run (shown in the report)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class Stopwatch:
    """Adds up wall-clock seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started

    def timed(self, name: str, items: Iterator[T]) -> Iterator[T]:
        """The items, with the time spent producing each added to ``name``."""
        iterator = iter(items)
        while True:
            with self.stage(name):
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            yield item

    def to_json(self) -> dict[str, float]:
        return {name: round(seconds, 3) for name, seconds in sorted(self.seconds.items())}
