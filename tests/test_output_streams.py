"""A closed pipe is quiet and keeps the exit code; a full disk is exit 2 with a clear message (issue #7, class 3).

Run as real processes: the behaviour lives in file descriptors and interpreter shutdown, which an in-process
runner does not have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES

USAGE = str(EXAMPLES / "large-monorepo.yaml")  # costs far more than $1 a month
FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (Linux)")


def costkit(*args: str) -> list[str]:
    return [sys.executable, "-c", "from costkit.cli.app import main; main()", *args]


def quiet(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert "BrokenPipeError" not in stderr


def closed_reader(*args: str, merge_stderr: bool = False) -> tuple[int, str]:
    """Run costkit with its stdout reader gone before it writes a byte (as `| head -0` would)."""
    process = subprocess.Popen(
        costkit(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE
    )
    with process:
        assert process.stdout is not None
        process.stdout.close()
        err = process.stderr.read().decode() if process.stderr is not None else ""
        return process.wait(timeout=120), err


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_closed_pipe_is_quiet(fmt: str) -> None:
    code, err = closed_reader("estimate", "-u", USAGE, "-f", fmt)
    assert code == 0
    assert err == ""


def test_closed_pipe_keeps_the_budget_verdict() -> None:
    code, err = closed_reader("estimate", "-u", USAGE, "-f", "json", "--budget", "1")
    assert code == 3  # over budget: a closed pipe never turns a failed gate into a pass
    assert "over budget" in err
    quiet(err)


def test_closed_pipe_on_stdout_and_stderr_together() -> None:
    code, _ = closed_reader("suggest", "-u", USAGE, merge_stderr=True)  # `2>&1 | head -1`
    assert code == 0


@needs_dev_full
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_stdout_on_a_full_disk(fmt: str) -> None:
    with FULL.open("w") as full:
        done = subprocess.run(costkit("estimate", "-u", USAGE, "-f", fmt), stdout=full, stderr=subprocess.PIPE)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "cannot write to standard output (No space left on device)" in err
    quiet(err)


@needs_dev_full
def test_output_file_on_a_full_disk() -> None:
    done = subprocess.run(costkit("estimate", "-u", USAGE, "-o", str(FULL)), capture_output=True)
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "--output /dev/full: cannot write (No space left on device)" in err
    quiet(err)


def test_output_file_is_replaced_whole_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "estimate.md"
    target.write_text("previous\n")
    os.chmod(target, 0o640)
    done = subprocess.run(costkit("estimate", "-u", USAGE, "-f", "markdown", "-o", str(target)), capture_output=True)
    assert done.returncode == 0, done.stderr
    assert target.read_text().startswith("## costkit estimate:")
    assert target.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["estimate.md"]  # no temporary file left behind


def test_output_into_a_missing_directory(tmp_path: Path) -> None:
    done = subprocess.run(costkit("estimate", "-u", USAGE, "-o", str(tmp_path / "no" / "x.json")), capture_output=True)
    err = done.stderr.decode()
    assert done.returncode == 2
    assert "cannot write (No such file or directory)" in err
    quiet(err)
