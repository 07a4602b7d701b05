"""Expected failures, each with its exit code; the CLI prints them as one line."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_SOURCE = 3


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
