"""Allocators that hand freed memory back: a build's peak memory is mostly freed-but-kept pages.

A build allocates and frees large buffers on several threads (reading ahead, checking,
writing). Measured at scale 0.1, the process' peak RSS was 3 to 5 times
what Arrow had allocated at that moment: the rest is memory already freed but kept by the
allocators. Two settings cut the peak by about a quarter with no measurable time cost:

- Arrow's buffers come from jemalloc (which returns freed pages to the system on a short
  timer) instead of mimalloc, pyarrow's default;
- glibc's malloc (numpy, pandas, Polars' results) keeps at most two arenas instead of eight
  per core, so memory freed on one thread is reused by the next allocation on another;
- for a build, glibc maps every block of 8 MiB or more on its own (a fixed threshold, where
  glibc would otherwise raise it after each such block is freed and then keep those sizes
  in its heaps): at scale 1.0 the build's peak fell from 1,034 to 934 MiB, for about 6 %
  more CPU (system time);
- Polars' Parquet scans (the describe stage's queries) decode two row groups ahead instead
  of three: at scale 1.0 a scan of the citations' free text peaked at 267 instead of
  379 MiB, in the same time.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys

import pyarrow as pa

M_ARENA_MAX = -8  # glibc's mallopt parameters
M_MMAP_THRESHOLD = -3
ARENAS = 2
MAPPED_BLOCK_BYTES = 8 << 20
POLARS_PREFETCH = "POLARS_ROW_GROUP_PREFETCH_SIZE"  # read by Polars at each query
POLARS_ROW_GROUPS = 2


def use_lean_allocators(map_large_blocks: bool = False) -> None:
    """Set them, where available (jemalloc in pyarrow's build, glibc); else change nothing.
    Polars' queries over Parquet decode at most :data:`POLARS_ROW_GROUPS` row groups ahead
    (unless ``POLARS_ROW_GROUP_PREFETCH_SIZE`` says otherwise)."""
    with contextlib.suppress(NotImplementedError):  # pyarrow built without jemalloc
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    limit_malloc_arenas(ARENAS)
    if map_large_blocks:
        malloc_option(M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES)
    os.environ.setdefault(POLARS_PREFETCH, str(POLARS_ROW_GROUPS))


def limit_malloc_arenas(arenas: int) -> bool:
    """Ask glibc's malloc to keep at most ``arenas`` arenas; False where that cannot be done."""
    return malloc_option(M_ARENA_MAX, arenas)


def malloc_option(option: int, value: int) -> bool:
    """glibc's ``mallopt(option, value)``; False where that cannot be done."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(option, value))
    except (OSError, AttributeError):  # not glibc (e.g. musl has no mallopt)
        return False
