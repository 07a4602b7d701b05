"""validate and build switch to allocators that hand freed memory back (see allocators.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pyarrow as pa
import pytest

SCRIPT = """
import pyarrow as pa
from unittest import mock
from ptoffact_build import cli, release
seen = []
real = release.build_release
def spy(*args, **kwargs):
    seen.append(pa.default_memory_pool().backend_name)
    return real(*args, **kwargs)
before = pa.default_memory_pool().backend_name
with mock.patch.object(release, "build_release", spy):
    code = cli.main(["build", "--quiet", "--out", {out!r}])
print(code, before, *seen)
"""


VALIDATE = """
import pyarrow as pa
from unittest import mock
from ptoffact_build import cli, pipeline
seen = []
real = pipeline.run_tables
def spy(*args, **kwargs):
    seen.append(pa.default_memory_pool().backend_name)
    return real(*args, **kwargs)
before = pa.default_memory_pool().backend_name
with mock.patch.object(pipeline, "run_tables", spy):
    code = cli.main(["validate", "--quiet", "--source", "sample"])
print(code, before, *seen)
"""


def has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True


@pytest.mark.skipif(not has_jemalloc(), reason="pyarrow built without jemalloc")
def test_a_build_allocates_arrow_buffers_with_jemalloc(tmp_path) -> None:
    """The command chooses the allocators where it starts; the library does not."""
    script = SCRIPT.format(out=str(tmp_path / "release"))
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    code, before, during = run.stdout.splitlines()[-1].split()
    assert code == "0"
    assert before != "jemalloc"  # pyarrow's default here, so the command is what changed it
    assert during == "jemalloc"


def test_building_a_release_leaves_the_callers_allocators_alone(tmp_path) -> None:
    code = (
        "import pyarrow as pa, pathlib\n"
        "from ptoffact_build.read.sources import resolve_sources\n"
        "from ptoffact_build.release import build_release\n"
        "before = pa.default_memory_pool().backend_name\n"
        f"build_release(resolve_sources(['sample']), pathlib.Path({str(tmp_path / 'r')!r}))\n"
        "print(before == pa.default_memory_pool().backend_name)"
    )
    assert in_a_subprocess(code) == "True"


def in_a_subprocess(code: str) -> str:
    """Run ``code`` in a Python of its own (allocator settings are for a whole process: the
    test process keeps its own); its last line of output."""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()[-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_malloc_arenas_can_be_limited() -> None:
    code = (
        "from ptoffact_build.allocators import limit_malloc_arenas; print(limit_malloc_arenas(2))"
    )
    assert in_a_subprocess(code) == "True"


@pytest.mark.skipif(not has_jemalloc(), reason="pyarrow built without jemalloc")
def test_validate_checks_with_jemalloc(tmp_path) -> None:
    env = {**os.environ, "PTOFFACT_CACHE": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-c", VALIDATE], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    code, before, during = run.stdout.splitlines()[-1].split()
    assert code == "0" and before != "jemalloc" and during == "jemalloc"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_large_blocks_can_be_mapped_on_their_own() -> None:
    code = (
        "from ptoffact_build.allocators import M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES, "
        "malloc_option; print(malloc_option(M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES))"
    )
    assert in_a_subprocess(code) == "True"
