"""Reading ahead on a second thread, so parsing overlaps checking.

Decompression (zlib) and CSV parsing (pyarrow) release the GIL, so on two cores the next
batch is read while the current one is checked. The queue holds at most ``depth``
batches, which bounds the memory read ahead.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, produced one step ahead on a worker thread."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_DONE)
        except BaseException as error:  # handed to the consumer, re-raised there
            offer(_Failure(error))

    worker = threading.Thread(target=work, name="ptoffact-read-ahead", daemon=True)
    try:
        worker.start()  # inside: an interrupt landing in start still stops the worker
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        if worker.ident is not None:
            worker.join()
