"""The one owner of the worker pools: made on first use, all shut down together.

Pools are named (``writer``, ``check``, ``csv``, ``copy``, ...) and
created lazily by :func:`pool`. :func:`worker_pools` marks a run: when the outermost run ends,
however it ends (an error, Ctrl-C, SIGTERM), every pool is shut down with its queued work
cancelled, so no worker thread is left waiting for work, even one whose start was interrupted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ptoffact_build.stopwatch import Stopwatch

T = TypeVar("T")

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}
_runs = 0  # runs in progress (nested or concurrent); pools close when it falls to zero


def pool(name: str, workers: int = 1) -> ThreadPoolExecutor:
    """The pool called ``name`` (threads ``ptoffact-<name>_N``), made on first use."""
    with _lock:
        if name not in _pools:
            _pools[name] = ThreadPoolExecutor(workers, thread_name_prefix=f"ptoffact-{name}")
        return _pools[name]


def shutdown_all() -> None:
    """Shut every pool down without waiting; queued work is cancelled."""
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for executor in pools:
        executor.shutdown(wait=False, cancel_futures=True)


@contextmanager
def worker_pools() -> Iterator[None]:
    """A run using the pools; the last run to end shuts them all down."""
    global _runs
    with _lock:
        _runs += 1
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            last = _runs == 0
        if last:
            shutdown_all()


@dataclass
class InOrder(Generic[T]):
    """Work on one worker thread (the pool ``name``) while the next batch is checked, in
    order. At most ``depth`` batches are queued or in work: a submission first waits for the
    oldest beyond that (the stage ``waiting``, by default "wait for <name>")."""

    name: str
    watch: Stopwatch
    waiting: str = ""
    depth: int = 1
    pending: deque[Future[None]] = field(default_factory=deque)

    def submit(self, work: Callable[[T], None], batch: T) -> None:
        with self.watch.stage(self.waiting or f"wait for {self.name}"):
            while len(self.pending) >= self.depth:
                self.pending.popleft().result()
        self.pending.append(pool(self.name).submit(work, batch))

    def wait(self) -> None:
        """Until every batch submitted is done (the first error, if any, raised here)."""
        while self.pending:
            self.pending.popleft().result()
