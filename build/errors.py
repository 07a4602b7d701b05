"""Expected failures, each with its exit code; the CLI prints them as one line.

Exit codes: 0 success; 1 data failed validation; 2 usage or configuration (output places
included); 3 a source that cannot be read; 70 an unexpected error (a bug: the traceback is
saved to a file); 130 interrupted (SIGINT, Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_SOURCE = 3
EXIT_HUB = 4  # the Hugging Face Hub or the network failed while publishing
EXIT_BUG = 70  # EX_SOFTWARE in BSD's sysexits.h
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a process ended by Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class PtoffactError(Exception):
    """An expected failure: one line for the user and an exit code."""

    exit_code = EXIT_USAGE


class UsageError(PtoffactError):
    """Bad arguments or configuration."""

    exit_code = EXIT_USAGE


class SourceError(PtoffactError):
    """A source that cannot be read: missing, corrupt, not an archive."""

    exit_code = EXIT_SOURCE


class DataInvalid(PtoffactError):
    """The data failed validation under the ``fail`` policy."""

    exit_code = EXIT_INVALID


class FetchError(PtoffactError):
    """A portal fetch that cannot go on; ``str()`` is one line and never holds the key.

    Raised as one of its two kinds, which carry the exit code: :class:`FetchUsageError` (2)
    and :class:`FetchSourceError` (3).
    """

    exit_code = EXIT_SOURCE

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class FetchUsageError(FetchError, UsageError):
    """A fetch that cannot start: no key or a rejected one, a bad URL, format or table."""

    exit_code = EXIT_USAGE


class FetchSourceError(FetchError, SourceError):
    """The portal or the file it sends fails: listing, download, verification, cache."""

    exit_code = EXIT_SOURCE


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it is cleaned up after like Ctrl-C."""
