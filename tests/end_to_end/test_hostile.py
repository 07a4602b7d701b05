"""A careless or hostile user: out-of-range sizes, output files that are folders, FIFOs,
devices, symbolic links, a user's files or one another, FIFOs where ptoffact reads its own
files, unreadable sources, paths that are not UTF-8, loop or are too long. Each is its
documented exit code with one line, before any work and with nothing touched.

Runs that could hang on a FIFO are real subprocesses with a timeout, so a regression fails
instead of hanging the suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ptoffact_build.arguments import SIZE_RANGES
from ptoffact_build.cli import main

TIMEOUT = 120


def one_line(err: str) -> str:
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "unexpected error" not in err, err
    return err


def refused(capsys, *argv: str, code: int = 2) -> str:
    """Run the command in-process; assert it exits ``code`` with one line; that line."""
    assert main(list(argv)) == code, capsys.readouterr().err
    return one_line(capsys.readouterr().err)


def run(*argv: str | bytes, cwd: Path, prefix: list[str] | None = None):
    """The command line in a subprocess, bounded in time."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env["PTOFFACT_CACHE"] = str(cwd.parent / "cache")
    command = [*(prefix or []), sys.executable, "-m", "ptoffact_build.cli", *argv]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=TIMEOUT)


def dead_pid() -> int:
    """The PID of a process that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


# --- the size options --------------------------------------------------------------------

BAD_SIZES = [
    ("--chunk-mb", "-1"),
    ("--chunk-mb", "0"),
    ("--chunk-mb", "100000"),
    ("--shard-mb", "0", "--row-group-mb", "0"),
    ("--shard-mb", "16385"),
    ("--row-group-mb", "0"),
    ("--row-group-mb", "300"),
]


@pytest.mark.parametrize("sizes", BAD_SIZES, ids=" ".join)
def test_a_size_out_of_range_is_refused_naming_the_range(here: Path, capsys, sizes) -> None:
    err = refused(capsys, "build", "--out", "rel", *sizes)
    option = sizes[0]
    least, most = SIZE_RANGES[option[2:].replace("-", "_")]
    assert f"{option} {sizes[1]}" in err and f"{least} to {most}" in err
    assert sorted(os.listdir(here)) == ["keep.txt"]
    if option == "--chunk-mb":
        assert f"{least} to {most}" in refused(capsys, "validate", *sizes)


def test_a_row_group_larger_than_the_shard_is_refused(here: Path, capsys) -> None:
    err = refused(capsys, "build", "--out", "rel", "--shard-mb", "10", "--row-group-mb", "20")
    assert "--row-group-mb 20" in err and "--shard-mb 10" in err
    assert sorted(os.listdir(here)) == ["keep.txt"]


def test_the_smallest_sizes_build(here: Path) -> None:
    argv = ["build", "--quiet", "--out", "rel", "--chunk-mb", "1"]
    assert main([*argv, "--shard-mb", "1", "--row-group-mb", "1"]) == 0
    assert sorted(os.listdir(here / "rel" / "data")) == [
        "citations",
        "office_actions",
        "rejections",
    ]


def test_the_ranges_are_in_the_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for name, (least, most) in SIZE_RANGES.items():
        assert f"--{name.replace('_', '-')} MB" in help_text and f"{least} to {most}" in help_text


# --- --report, --findings and the default report of a failed build ------------------------


def user_file(path: Path) -> Path:
    path.write_text("years of work\n")
    return path


PLACES = {  # the option, and the argv that names the place (None: the default report)
    "--report": lambda name: ["--report", name + ".json"],
    "--findings": lambda name: ["--findings", name + ".csv"],
    "default": None,
}


def place_of(here: Path, which: str) -> tuple[Path, list[str]]:
    """The path of an output place and the arguments that make the build write there."""
    if which == "default":
        return here / "rel.validation_report.json", []
    argv = PLACES[which]("thing")  # type: ignore[misc]
    return here / argv[1], argv


@pytest.mark.parametrize("which", list(PLACES))
@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("folder", "is a folder"),
        ("dangling symlink", "is a symbolic link"),
        ("symlink to a user's file", "is a symbolic link"),
        ("user's file", "holds a file ptoffact did not write"),
    ],
)
def test_an_output_place_that_is_not_a_file_of_ours_is_refused(
    here: Path, capsys, which: str, kind: str, said: str
) -> None:
    path, argv = place_of(here, which)
    if kind == "folder":
        path.mkdir()
    elif kind == "dangling symlink":
        path.symlink_to(here / "target")
    elif kind == "symlink to a user's file":
        path.symlink_to(user_file(here / "target"))
    else:
        user_file(path)
    before = sorted(os.listdir(here))
    err = refused(capsys, "build", "--out", "rel", *argv)
    assert said in err and path.name in err
    if which == "default":
        assert "--report" in err  # says how to put it elsewhere
    assert sorted(os.listdir(here)) == before  # no release, no target made
    if kind != "folder" and kind != "dangling symlink":
        assert (here / ("target" if "symlink" in kind else path.name)).read_text() == (
            "years of work\n"
        )


@pytest.mark.parametrize("which", list(PLACES))
def test_a_fifo_as_an_output_place_is_refused_without_waiting(here: Path, which: str) -> None:
    path, argv = place_of(here, which)
    os.mkfifo(path)
    done = run("build", "--quiet", "--out", "rel", *argv, cwd=here)
    err = one_line(done.stderr.decode())
    assert done.returncode == 2 and "is a FIFO" in err
    assert sorted(os.listdir(here)) == sorted(["keep.txt", path.name])


def test_a_device_as_report_is_refused(here: Path, capsys) -> None:
    assert "is a character device" in refused(
        capsys, "build", "--out", "rel", "--report", os.devnull
    )


@pytest.mark.parametrize("command", ["build", "validate"])
def test_report_and_findings_must_be_different_files(here: Path, capsys, command: str) -> None:
    out = ["--out", "rel"] if command == "build" else []
    err = refused(capsys, command, *out, "--report", "f.csv", "--findings", "./f.csv")
    assert "--findings and --report" in err and "same file" in err
    (here / "f.csv").touch()
    os.link(here / "f.csv", here / "hard.csv")  # one file under two names
    err = refused(capsys, command, *out, "--report", "f.csv", "--findings", "hard.csv")
    assert "same file" in err
    assert sorted(os.listdir(here)) == ["f.csv", "hard.csv", "keep.txt"]


def test_files_ptoffact_wrote_and_empty_files_are_reused(here: Path, sample_csvs) -> None:
    """A report and a findings list of an earlier run (in any of their formats), and an empty
    file, may be written over; the default report of a failed build too."""
    rows = sample_csvs["office_actions"].read_text().splitlines()
    rows[3] = rows[3].replace(",", ",x", 1)  # a bad ifw_number
    sample_csvs["office_actions"].write_text("\n".join(rows) + "\n")
    bad = ["--quiet", "--source", str(sample_csvs["office_actions"].parent)]
    (here / "empty.json").touch()
    for name in ("f.csv", "f.jsonl", "r.json", "empty.json"):
        findings = ["--findings", name] if name.endswith(("csv", "jsonl")) else []
        report = ["--report", name] if not findings else []
        for _ in range(2):
            assert main(["validate", *bad, *report, *findings]) == 1
        assert (here / name).stat().st_size > 0
    for reuse in ("f.csv", "f.jsonl", "r.json"):  # each written as another kind of output
        assert main(["validate", *bad, "--report", reuse]) == 1
    for _ in range(2):
        assert main(["build", *bad, "--out", "rel"]) == 1
    assert (here / "rel.validation_report.json").read_text().startswith('{\n  "valid": false')


def test_an_output_path_that_loops_or_names_no_user_is_refused(here: Path, capsys) -> None:
    (here / "loop").symlink_to("loop")
    for argv in (
        ["--out", "loop/rel"],
        ["--out", "rel", "--report", "loop/r.json"],
        ["--out", "rel", "--findings", "loop/f.csv"],
        ["--out", "~no-such-user-here/rel"],
        ["--out", "rel", "--report", "~no-such-user-here/r.json"],
    ):
        assert "cannot be used" in refused(capsys, "build", *argv)
    assert sorted(os.listdir(here)) == ["keep.txt", "loop"]


def test_names_too_long_are_refused(here: Path, capsys) -> None:
    long = "a" * 240
    assert "too long" in refused(capsys, "build", "--out", long)
    for argv in (["--report", long * 2 + ".json"], ["--findings", long * 2 + ".csv"]):
        assert "too long" in refused(capsys, "build", "--out", "rel", *argv)
    assert sorted(os.listdir(here)) == ["keep.txt"]


def test_a_long_findings_name_that_fits_is_written(here: Path) -> None:
    name = "f" * 250 + ".csv"
    assert main(["validate", "--quiet", "--findings", name]) == 0
    assert sorted(os.listdir(here)) == sorted(["keep.txt", name])


# --- FIFOs where ptoffact reads its own files ----------------------------------------------


@pytest.fixture
def old_release(here: Path, sample_release: Path) -> Path:
    return Path(shutil.copytree(sample_release, here / "rel"))


def test_a_fifo_as_the_datapackage_of_out_is_refused_without_waiting(here: Path) -> None:
    (here / "rel").mkdir()
    os.mkfifo(here / "rel" / "datapackage.json")
    done = run("build", "--quiet", "--out", "rel", cwd=here)
    assert done.returncode == 2 and "datapackage.json" in one_line(done.stderr.decode())
    assert os.listdir(here / "rel") == ["datapackage.json"]


def test_a_fifo_as_a_stale_scratch_marker_is_left_and_not_waited_on(
    here: Path, old_release: Path
) -> None:
    stale = here / f".rel.building-{dead_pid()}-ab12cd34"
    stale.mkdir()
    os.mkfifo(stale / ".ptoffact-scratch")
    done = run("build", "--quiet", "--out", "rel", cwd=here)
    assert done.returncode == 0, done.stderr.decode()
    assert sorted(os.listdir(here)) == sorted(["keep.txt", "rel", stale.name])  # not provably ours


def test_a_fifo_inside_a_set_aside_release_is_not_waited_on(
    here: Path, old_release: Path, sample_release: Path
) -> None:
    aside = Path(shutil.copytree(sample_release, here / f".rel.old-{dead_pid()}"))
    (aside / "datapackage.json").unlink()
    os.mkfifo(aside / "datapackage.json")
    done = run("build", "--quiet", "--out", "rel", cwd=here)
    assert done.returncode == 0, done.stderr.decode()
    assert aside.is_dir()  # not recognisably a release: left alone


def test_a_fifo_as_the_download_manifest_is_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "manifest.json")
    code = "import sys; from ptoffact_build.fetch.cache import read_manifest; "
    code += "print(read_manifest(sys.argv[1]))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "{}\n", done.stderr


# --- sources that cannot be read ------------------------------------------------------------


def without_root_powers() -> list[str]:
    """A command prefix under which permissions apply (root bypasses them unless its
    capabilities to do so are dropped)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: every file is readable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.parametrize("what", ["file in a folder", "named file", "folder", "folder member"])
def test_an_unreadable_source_is_exit_3_naming_it(here: Path, sample_csvs, what: str) -> None:
    folder = sample_csvs["rejections"].parent
    target = folder if what == "folder" else sample_csvs["rejections"]
    if what == "named file":
        source = [str(p) for p in sample_csvs.values()]
    elif what == "folder member":  # a file named inside a folder that cannot be entered
        source, target = [str(sample_csvs["rejections"])], folder
    else:
        source = [str(folder)]
    mode = target.stat().st_mode
    target.chmod(0)
    try:
        for command in (["build", "--out", "rel"], ["validate"]):
            done = run(
                *command, "--quiet", "--source", *source, cwd=here, prefix=without_root_powers()
            )
            err = one_line(done.stderr.decode())
            assert done.returncode == 3 and "cannot be read" in err, err
            assert str(target) in err or str(sample_csvs["rejections"]) in err
    finally:
        target.chmod(mode)
    assert sorted(os.listdir(here)) == ["keep.txt"]


@pytest.mark.parametrize("where", ["out", "its folder"])
def test_an_out_that_cannot_be_listed_is_refused(here: Path, sample_release: Path, where: str):
    """A build lists --out and the folder beside it (stale scratch, set-aside releases)."""
    if where == "out":
        target, out = Path(shutil.copytree(sample_release, here / "rel")), "rel"
    else:
        target, out = here / "box", "box/rel"
        target.mkdir()
    mode = target.stat().st_mode
    target.chmod(0o333)  # write and search, no read
    try:
        done = run("build", "--quiet", "--out", out, cwd=here, prefix=without_root_powers())
    finally:
        target.chmod(mode)
    err = one_line(done.stderr.decode())
    assert done.returncode == 2 and "cannot list" in err, err
    assert sorted(os.listdir(here)) == sorted(["keep.txt", target.name])


def test_validate_with_a_cache_folder_it_cannot_read_still_validates(here: Path) -> None:
    """validate needs its cache folder only to fetch from the portal (and for a crash's
    traceback): one it cannot read does not stop it."""
    cache = here.parent / "locked-cache"
    cache.mkdir()
    cache.chmod(0)
    try:
        argv = ["validate", "--quiet", "--cache-dir", str(cache)]
        done = run(*argv, cwd=here, prefix=without_root_powers())
    finally:
        cache.chmod(0o755)
    assert done.returncode == 0, done.stderr.decode()


# --- paths that are not UTF-8 ----------------------------------------------------------------


def test_an_out_path_that_is_not_utf8_is_refused(here: Path, capsys) -> None:
    name = os.fsdecode(b"rel\xff")
    err = refused(capsys, "build", "--out", name)
    assert "not valid UTF-8" in err and "rel\\xff" in err
    assert "not valid UTF-8" in refused(capsys, "build", "--out", os.fsdecode(b"d\xfe/rel"))
    assert sorted(os.listdir(here)) == ["keep.txt"]


def test_report_findings_and_cache_paths_that_are_not_utf8_just_work(here: Path) -> None:
    report, findings = os.fsdecode(b"r\xff.json"), os.fsdecode(b"f\xff.csv")
    cache = os.fsdecode(b"c\xff")
    argv = ["--quiet", "--report", report, "--findings", findings, "--cache-dir", cache]
    assert main(["build", "--out", "rel", *argv]) == 0
    assert main(["validate", *argv]) == 0
    assert {report, findings} <= set(os.listdir(here))


# --- the API key file -----------------------------------------------------------------------


def test_an_endless_key_file_is_refused_not_read_into_memory(tmp_path: Path) -> None:
    import resource

    def two_gb() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    command = [sys.executable, "-m", "ptoffact_build.cli", "fetch", "--api-key-file", "/dev/zero"]
    command += ["--cache-dir", str(tmp_path / "cache"), "--api-url", "http://127.0.0.1:9"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT,
                          preexec_fn=two_gb)  # fmt: skip
    assert done.returncode == 2 and "longer than" in one_line(done.stderr)
