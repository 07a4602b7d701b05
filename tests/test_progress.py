"""Progress on stderr: tqdm bars on a terminal (a real pty), plain lines anywhere else."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from ptoffact_build.progress import DownloadProgress, RowProgress

TABLE_ROWS = {"office_actions": "1,000", "rejections": "2,449", "citations": "10,629"}
BUILD = [sys.executable, "-m", "ptoffact_build.cli", "build", "--source", "sample", "--out"]


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_terminal(
    command: list[str], timeout: float = 60.0, env: dict | None = None, size: bool = False
) -> str:
    """Run ``command`` with stderr on a fresh pty (80 x 24 with ``size``, else no size set);
    what the terminal received."""
    master, slave = pty.openpty()
    if size:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env
    )
    os.close(slave)
    received = bytearray()
    try:
        while select.select([master], [], [], timeout)[0]:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the process closed its side
                break
            if not data:
                break
            received += data
    finally:
        os.close(master)
        process.wait(timeout=timeout)
    assert process.returncode == 0, received.decode(errors="replace")
    return received.decode("utf-8")


def visible_lines(text: str) -> list[str]:
    """The lines a terminal shows at the end: in each line, what follows its last ``\\r``."""
    lines = text.replace("\r\n", "\n").split("\n")
    return [line.rsplit("\r", 1)[-1] for line in lines if line]


def test_download_plain_lines_every_ten_percent():
    out, clock = io.StringIO(), _Clock()
    progress = DownloadProgress(out, "f.zip", 1000, clock=clock)
    for _ in range(100):
        clock.now += 0.01
        progress.update(10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("f.zip: 1.0 kB of 1.0 kB (100%)")
    assert "/s" in lines[0] and "left" in lines[0]


def test_download_on_a_terminal_stream_is_one_bar_ended_by_the_file():
    out = _Terminal()
    progress = DownloadProgress(out, "f.zip", 10_000_000)
    for _ in range(10):
        progress.update(1_000_000)
    progress.note("done")
    text = out.getvalue()
    assert text.count("\n") == 2 and text.endswith("\nf.zip: done\n")
    final = visible_lines(text)[0]
    assert re.fullmatch(r"f\.zip: 100%\|.*\| 10\.0MB of 10\.0MB \[.*B/s\]", final), final


def test_row_lines_off_a_terminal_are_plain_and_periodic():
    out, clock = io.StringIO(), _Clock()
    progress = RowProgress(out, clock=clock)
    progress.start("rejections")
    for _ in range(25):
        clock.now += 1
        progress.advance(1000, 2_000_000)
    progress.finish()
    progress.note("writing")
    text = out.getvalue()
    assert "\r" not in text and "\x1b" not in text
    lines = text.splitlines()
    assert lines == [
        "rejections: 10,000 rows, 20 MB in 10.0 s (1,000 rows/s)",
        "rejections: 20,000 rows, 40 MB in 20.0 s (1,000 rows/s)",
        "rejections: 25,000 rows, 50 MB in 25.0 s (1,000 rows/s)",
        "writing",
    ]


def test_quiet_progress_writes_nothing(capsys):
    progress = RowProgress.quiet()
    progress.start("citations")
    progress.advance(5, 10)
    progress.finish()
    progress.note("not shown")
    assert capsys.readouterr() == ("", "")


def test_a_build_on_a_pipe_prints_plain_lines(tmp_path: Path):
    done = subprocess.run([*BUILD, str(tmp_path / "rel")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    for table, rows in TABLE_ROWS.items():
        pattern = rf"{table}: {rows} rows, \d+ MB in [\d.]+ s \([\d,]+ rows/s\)"
        assert len(re.findall(f"^{pattern}$", done.stderr, re.M)) == 1, done.stderr


def test_a_build_on_a_terminal_draws_one_finished_bar_per_table(tmp_path: Path):
    text = on_terminal([*BUILD, str(tmp_path / "rel")])
    assert "\r" in text.replace("\r\n", "")  # redrawn in place
    shown = visible_lines(text)
    for line, (table, rows) in zip(shown[:3], TABLE_ROWS.items(), strict=True):
        bar = rf"{table}: {rows} rows \[\d\d:\d\d, [\d.]+k? rows/s, [\d.]+ kB\]"
        assert re.fullmatch(bar, line), shown
    assert shown[3:] == [
        "office_actions: writing 1,000 rows (Parquet in key order, gzip CSV)",
        "rejections: writing 2,449 rows (Parquet in key order, gzip CSV)",
        "citations: writing 10,629 rows (Parquet in key order, gzip CSV)",
        "describing the release: statistics, figures, card and metadata",
    ]


def test_a_download_on_a_terminal_draws_a_bar_then_its_notes():
    script = (
        "import sys\n"
        "from ptoffact_build.progress import DownloadProgress\n"
        "p = DownloadProgress(sys.stderr, 'f.zip', 3_000_000)\n"
        "p.note('fetching')\n"
        "for _ in range(3): p.update(1_000_000)\n"
        "p.note('verified')\n"
    )
    shown = visible_lines(on_terminal([sys.executable, "-c", script]))
    assert shown[0] == "f.zip: fetching" and shown[2] == "f.zip: verified", shown
    assert re.fullmatch(r"f\.zip: 100%\|.+\| 3\.00MB of 3\.00MB \[.+\]", shown[1]), shown


def test_an_error_line_after_an_unfinished_bar_starts_on_a_line_of_its_own():
    script = (
        "import sys\n"
        "from ptoffact_build.progress import RowProgress, bars_ended\n"
        "try:\n"
        "    with bars_ended():\n"
        "        p = RowProgress()\n"
        "        p.start('citations')\n"
        "        p.advance(1234, 5000)\n"
        "        raise KeyboardInterrupt\n"
        "except KeyboardInterrupt:\n"
        "    print('ptoffact: interrupted', file=sys.stderr)\n"
    )
    shown = visible_lines(on_terminal([sys.executable, "-c", script]))
    assert len(shown) == 2 and shown[1] == "ptoffact: interrupted", shown
    assert re.fullmatch(r"citations: 1,234 rows \[.+ rows/s, 5\.0 kB\]", shown[0]), shown


LOAD = [sys.executable, "-m", "ptoffact_build.cli", "load"]
DATASETS_BAR = "Generating train split"


def own_datasets_cache(tmp_path: Path) -> dict[str, str]:
    """The environment with a fresh datasets cache, so that every split is generated anew."""
    return {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "datasets")}


def test_load_on_a_pipe_draws_no_library_bars(sample_release: Path, tmp_path: Path):
    done = subprocess.run(
        [*LOAD, str(sample_release)],
        capture_output=True,
        text=True,
        env=own_datasets_cache(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert DATASETS_BAR not in done.stderr and "\r" not in done.stderr, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == list(TABLE_ROWS)


def test_load_on_a_terminal_shows_the_library_bars(sample_release: Path, tmp_path: Path):
    text = on_terminal([*LOAD, str(sample_release)], env=own_datasets_cache(tmp_path), size=True)
    assert text.count(DATASETS_BAR) >= len(TABLE_ROWS) and "\r" in text, text
