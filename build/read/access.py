"""Sources that cannot be read are refused before any work, naming them (exit 3).

A folder or file given to ``--source`` that this user may not read (EACCES), or that the
system cannot look up (a loop of symbolic links, a name too long), is a source that cannot be
read, not a bug: finding the sources and opening each of them once happens first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from ptoffact_build.errors import SourceError
from ptoffact_build.read.sources import SourceFile


@contextmanager
def source_access() -> Iterator[None]:
    """Turn an OSError met while looking at the sources into a source error naming the path."""
    try:
        yield
    except OSError as error:
        where = error.filename if error.filename is not None else "a source"
        raise SourceError(f"{where}: cannot be read ({error.strerror or error})") from None


def check_readable(sources: Mapping[str, Sequence[SourceFile]]) -> None:
    """A source error naming the first source file that cannot be opened for reading."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    with source_access():
        for files in sources.values():
            for source in files:
                os.close(os.open(source.path, flags))
