"""What every command shares for output: stderr console, the error boundary, writing data to stdout or --output.

Untrusted text is escaped (costkit.present.escape) and, with --redact, masked (costkit.present.redact) here.
A reader that goes away (`| head`) is quiet: costkit stops writing to that stream and carries on, so it exits
with the code it would have had. A full disk is a user error (exit 2), whether on stdout or --output.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console

from costkit.errors import CostkitError, ParameterError
from costkit.present import redact as masking
from costkit.present.escape import terminal as term

TABLE_WIDTH = 150  # when stdout is not a terminal (pipes, CI logs), do not squeeze to 80 columns


def _silence(stream: TextIO) -> None:
    """Point a stream's descriptor at /dev/null, so what is still buffered (and all later output) goes nowhere."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):
        return  # not a real file (tests capture output in memory): nothing to silence
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


class QuietConsole(Console):
    """A rich console that takes a closed pipe quietly (rich's default exits 1) and never parses emoji codes."""

    def __init__(self, **options: object) -> None:
        super().__init__(emoji=False, **options)  # type: ignore[arg-type]

    def on_broken_pipe(self) -> None:
        _silence(sys.stderr if self.stderr else sys.stdout)


stderr = QuietConsole(stderr=True, highlight=False, soft_wrap=True)


class Messages:
    """Messages on stderr: untrusted parts escaped, and masked when --redact is on (one switch per run)."""

    redact = False

    def text(self, value: object) -> str:
        """A value quoted in a message: masked if redacting, always safe as rich markup."""
        return term(masking.text(str(value)) if self.redact else value)


messages = Messages()


@contextmanager
def user_errors(*, redact: bool = False) -> Iterator[None]:
    """Turn CostkitError into one clear line on stderr and its documented exit code; set --redact for the run."""
    messages.redact = redact
    try:
        yield
    except CostkitError as exc:
        message = exc.message
        if isinstance(exc, ParameterError):  # named as the flag that sets it: `fallback_region` is `--fallback-region`
            message = f"--{exc.parameter.replace('_', '-')} {exc.value!r} {exc.problem}"
        first, *more = message.split("\n")  # a usage file's problems are listed one per line
        stderr.print(f"[bold red]costkit: error:[/bold red] {messages.text(first)}")
        for line in more:
            stderr.print(messages.text(line))
        if exc.hint:
            stderr.print(f"  hint: {messages.text(exc.hint)}")
        raise typer.Exit(int(exc.exit_code)) from None
    finally:
        messages.redact = False


@contextmanager
def stdout_errors() -> Iterator[None]:
    """Around writing to stdout: a closed pipe is silenced, a full disk (any write error) is exit 2."""
    try:
        yield
        sys.stdout.flush()  # now, so that errors are handled here and not at interpreter exit
    except BrokenPipeError:
        _silence(sys.stdout)
    except OSError as exc:
        _silence(sys.stdout)
        raise CostkitError(
            f"cannot write to standard output ({exc.strerror})", hint="free some space, or write with --output FILE"
        ) from None


def emit(text: str, output: Path | None) -> None:
    """Data to stdout, or to --output FILE: a regular file is replaced whole or not at all."""
    if output is None:
        with stdout_errors():
            sys.stdout.write(text)
        return
    try:
        _write_file(output, text)
    except OSError as exc:
        raise CostkitError(f"--output {messages.text(output)}: cannot write ({exc.strerror})") from None
    stderr.print(f"wrote {messages.text(output)}")


def emit_table(draw: Callable[[Console], None], output: Path | None) -> None:
    """A rich table (and its notes) to stdout, or as plain text to --output FILE."""
    console = stdout_console(record=output is not None)
    if output is None:
        with stdout_errors():
            draw(console)
        return
    draw(console)
    emit(console.export_text(), output)


def _write_file(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory and rename it into place; devices are written directly."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as device:  # /dev/stdout, /dev/full, a named pipe
            device.write(text)
        return
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, _mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode(path: Path) -> int:
    """The permissions a plain write would give: the replaced file's, or 0o666 less the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def stdout_console(*, record: bool = False) -> Console:
    """A console for data: to stdout, or to memory when recording for --output; wide when not a terminal."""
    console = QuietConsole(highlight=False, record=record, file=io.StringIO() if record else None)
    if not console.is_terminal and console.width < TABLE_WIDTH:
        console.width = TABLE_WIDTH
    return console
