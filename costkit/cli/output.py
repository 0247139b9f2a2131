"""What every command shares for output: stderr console, the error boundary, writing data to stdout or --output."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console

from costkit.errors import CostkitError, ParameterError

stderr = Console(stderr=True, highlight=False, soft_wrap=True)
TABLE_WIDTH = 150  # when stdout is not a terminal (pipes, CI logs), do not squeeze to 80 columns


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn CostkitError into one clear line on stderr and its documented exit code; a library parameter is
    named as the flag that sets it (typer's spelling: `fallback_region` is `--fallback-region`)."""
    try:
        yield
    except CostkitError as exc:
        message = exc.message
        if isinstance(exc, ParameterError):
            message = f"--{exc.parameter.replace('_', '-')} {exc.value!r} {exc.problem}"
        stderr.print(f"[bold red]costkit: error:[/bold red] {message}", markup=True)
        if exc.hint:
            stderr.print(f"  hint: {exc.hint}")
        raise typer.Exit(int(exc.exit_code)) from None


def emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CostkitError(f"--output {output}: cannot write ({exc.strerror})") from None
    stderr.print(f"wrote {output}")


def stdout_console(*, record: bool = False) -> Console:
    """A console for data: to stdout, or to memory when recording for --output; wide when not a terminal."""
    console = Console(highlight=False, record=record, file=io.StringIO() if record else None)
    if not console.is_terminal and console.width < TABLE_WIDTH:
        console.width = TABLE_WIDTH
    return console
