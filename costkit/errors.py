"""Errors meant for people, each carrying the exit code the CLI documents."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of an input file: where (a dotted path, None for the whole file), what, and a hint."""

    field: str | None
    problem: str
    hint: str | None = None

    def text(self) -> str:
        shown = self.field if self.field is None or self.field.isprintable() else repr(self.field)
        where = f"{shown}: " if shown else ""
        return f"{where}{self.problem}" + (f" (hint: {self.hint})" if self.hint else "")


class UsageFileError(CostkitError):
    """A usage file that cannot be read or does not follow the schema: every invalid field at once (`problems`),
    as pypa/packaging collects metadata errors; `field`/`problem` are the first one's."""

    def __init__(
        self,
        source: str,
        field: str | None,
        problem: str,
        *,
        hint: str | None = None,
        problems: list[FieldProblem] | None = None,
    ) -> None:
        found = problems or [FieldProblem(field, problem, hint)]
        if len(found) == 1:
            one = found[0]
            where = source if not one.field else f"{source}: {one.field}"
            super().__init__(f"{where}: {one.problem}", hint=one.hint)
        else:
            listed = "".join(f"\n  - {item.text()}" for item in found)
            super().__init__(f"{source}: {len(found)} problems{listed}")
        self.source = source
        self.field = found[0].field
        self.problem = found[0].problem
        self.problems = found

    @classmethod
    def collected(cls, source: str, problems: list[FieldProblem]) -> UsageFileError:
        """One error for every problem found (at least one)."""
        first = problems[0]
        return cls(source, first.field, first.problem, hint=first.hint, problems=problems)


class PricingDataError(CostkitError):
    """A price table in pricing/ that is malformed: names the file, row and column."""


def quoted(value: object, limit: int = 60) -> str:
    """A value as it appears in an error message, cut to `limit` characters: inputs can be huge."""
    plain = value.item() if hasattr(value, "item") and callable(value.item) else value  # numpy scalars
    text = repr(plain)
    return text if len(text) <= limit else text[: limit - 3] + "..."
