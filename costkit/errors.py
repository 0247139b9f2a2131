"""Errors meant for people, each carrying the exit code the CLI documents."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of the `costkit` command (documented in the README)."""

    OK = 0
    INTERNAL = 1
    INPUT = 2
    OVER_BUDGET = 3
    INCOMPLETE = 4
    PARTIAL = 5


class CostkitError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class ParameterError(CostkitError):
    """A library call given a value it cannot use: names the parameter and the value, as a caller wrote them.

    The CLI shows the same error in its own words (the parameter's flag: `fallback_region` -> `--fallback-region`)."""

    def __init__(self, parameter: str, value: object, problem: str, *, hint: str | None = None) -> None:
        super().__init__(f"{parameter}={value!r} {problem}", hint=hint)
        self.parameter = parameter
        self.value = value
        self.problem = problem


class UsageFileError(CostkitError):
    """A usage file that cannot be read or does not follow the schema."""

    def __init__(self, source: str, field: str | None, problem: str, *, hint: str | None = None) -> None:
        where = source if not field else f"{source}: {field}"
        super().__init__(f"{where}: {problem}", hint=hint)
        self.source = source
        self.field = field
        self.problem = problem


class PricingDataError(CostkitError):
    """A price table in pricing/ that is malformed: names the file, row and column."""


def quoted(value: object, limit: int = 60) -> str:
    """A value as it appears in an error message, cut to `limit` characters: inputs can be huge."""
    plain = value.item() if hasattr(value, "item") and callable(value.item) else value  # numpy scalars
    text = repr(plain)
    return text if len(text) <= limit else text[: limit - 3] + "..."
