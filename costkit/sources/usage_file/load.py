"""Read a usage file (or a dict) into a validated UsageFile, with errors a person can act on."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from costkit.errors import FieldProblem, UsageFileError, quoted
from costkit.sources.usage_file.schema import CodeBuildProject, UsageFile
from costkit.sources.usage_file.yaml_core import LEADING_ZERO, SEXAGESIMAL, parse, read_text
from costkit.tables import PriceBook, load_pricebook


@dataclass(frozen=True)
class UsageDocument:
    """A validated usage file and where it came from (a path, or `<dict>` for notebook input). Derived into the
    usage model (costkit.model.usage.Usage) by costkit.sources.usage_file.derive."""

    spec: UsageFile
    source: str


def load_usage(
    source: str | Path | Mapping[str, Any] | UsageDocument, *, pricebook: PriceBook | None = None
) -> UsageDocument:
    """Load and validate a usage file from a path, a YAML string's parsed dict, or pass a UsageDocument through."""
    if isinstance(source, UsageDocument):
        return source
    if isinstance(source, Mapping):
        return _validate(dict(source), "<dict>", pricebook or load_pricebook())
    path = Path(source)
    return _validate(_read_yaml(path), str(path), pricebook or load_pricebook())


def _read_yaml(path: Path) -> dict[str, Any]:
    name = str(path)
    data = parse(read_text(path), name)
    if data is None:
        raise UsageFileError(name, None, "is empty", hint="a usage file starts with `version: 1`; see examples/")
    if not isinstance(data, dict):
        raise UsageFileError(
            name,
            None,
            f"must be a mapping of fields, not a {type(data).__name__}",
            hint="start with `version: 1`",
        )
    return data


def _validate(data: dict[str, Any], name: str, pricebook: PriceBook) -> UsageDocument:
    """The validated document, or one UsageFileError listing every invalid field: the schema's problems and
    every region, pipeline name and compute type the file or the pricing tables do not know."""
    problems: list[FieldProblem] = []
    spec: UsageFile | None = None
    try:
        spec = UsageFile.model_validate(data)
    except ValidationError as exc:
        problems += _schema_problems(exc)
    problems += [problem for problem in _table_problems(data, pricebook) if problem not in problems]
    if problems or spec is None:
        raise UsageFileError.collected(name, problems)
    return UsageDocument(spec=spec, source=name)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(item if not parts else f".{item}")
    return "".join(parts)


def _schema_problems(exc: ValidationError) -> list[FieldProblem]:
    """Every schema error, worded for people, in the order pydantic found them (each field once)."""
    found: list[FieldProblem] = []
    for error in exc.errors(include_url=False):
        problem = _schema_problem(error)
        if problem not in found:
            found.append(problem)
    return found


def _schema_problem(error: Any) -> FieldProblem:
    loc = _drop_union_tags(tuple(error["loc"]))
    kind = error["type"]
    hint: str | None = None
    if kind == "missing" and loc == ("version",):
        return FieldProblem("version", "is missing", "add `version: 1` at the top")
    if kind == "extra_forbidden":
        unknown = str(loc[-1])
        allowed = _allowed_fields(loc[:-1])
        close = difflib.get_close_matches(unknown, allowed, n=1)
        problem = "is not a known field"
        hint = f"did you mean `{close[0]}`?" if close else None
        if allowed:
            hint = (hint + " " if hint else "") + f"allowed: {', '.join(allowed)}"
    elif kind == "literal_error":
        problem = f"{quoted(error['input'])} is not allowed; expected {error.get('ctx', {}).get('expected', '')}"
    elif kind == "union_tag_invalid":
        context = error.get("ctx", {})
        loc = (*loc, "type")
        problem = f"{context.get('tag')!r} is not allowed; expected {context.get('expected_tags', '')}"
    elif kind == "union_tag_not_found":
        loc = (*loc, "type")
        problem = "is required (V1 or V2)"
    elif kind == "too_short":
        problem = "needs at least one entry"
    elif kind == "missing":
        problem = "is required"
    elif kind == "value_error":
        problem = str(error["msg"]).removeprefix("Value error, ")
    else:
        problem = f"{error['msg'][0].lower()}{error['msg'][1:]} (got {quoted(error['input'])})"
        hint = _number_hint(error["input"])
    return FieldProblem(_field_path(loc) or None, problem, hint)


def _number_hint(value: object) -> str | None:
    """Explain text that YAML 1.1 would have read as a number (costkit reads YAML 1.2, which does not)."""
    if not isinstance(value, str):
        return None
    if LEADING_ZERO.match(value):
        return "a number with a leading zero is ambiguous (octal in YAML 1.1, decimal in 1.2): write it without the 0"
    if SEXAGESIMAL.match(value):
        return "`1:30` is text, not 90 (YAML 1.1's base 60): write the number itself, e.g. minutes: 1.5"
    return None


def _drop_union_tags(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Pydantic puts the discriminator value (V1/V2) into error paths; users never wrote it."""
    return tuple(item for index, item in enumerate(loc) if not (index == 2 and loc[0] == "pipelines"))


def _allowed_fields(loc: tuple[int | str, ...]) -> list[str]:
    """Field names allowed at a path, found by walking the schema's type annotations."""
    annotation: Any = UsageFile
    for item in loc:
        annotation = _step(annotation, item)
        if annotation is None:
            return []
    models = [m for m in _unwrap(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    names: list[str] = []
    for model in models:
        for field_name, info in model.model_fields.items():
            shown = info.alias or field_name
            if shown not in names:
                names.append(shown)
    return names


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _unwrap(arg)]
    return [annotation]


def _step(annotation: Any, item: int | str) -> Any:
    for candidate in _unwrap(annotation):
        origin = typing.get_origin(candidate)
        if origin is dict:
            return typing.get_args(candidate)[1]
        if origin is list and isinstance(item, int):
            return typing.get_args(candidate)[0]
        if isinstance(candidate, type) and issubclass(candidate, BaseModel) and isinstance(item, str):
            for field_name, info in candidate.model_fields.items():
                if item in (field_name, info.alias):
                    return info.annotation
    return None


SECTIONS = ("pipelines", "codebuild", "lambda", "s3")


def _entries(data: dict[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
    """(name, fields) of a section's entries that are mappings (the schema reports the others)."""
    found = data.get(section)
    if not isinstance(found, dict):
        return []
    return [(str(key), entry) for key, entry in found.items() if isinstance(entry, dict)]


def _table_problems(data: dict[str, Any], pricebook: PriceBook) -> list[FieldProblem]:
    """Regions, pipelines named by other resources, and CodeBuild compute types, checked against the file and the
    pricing/ tables (not hard-coded lists): every unknown value, whatever else is wrong with the file."""
    return [*_region_problems(data, pricebook), *_pipeline_problems(data), *_compute_problems(data, pricebook)]


def _region_problems(data: dict[str, Any], pricebook: PriceBook) -> list[FieldProblem]:
    known_regions = pricebook.region_codes
    placed: list[tuple[str, object]] = [("region", data.get("region"))]
    for section in SECTIONS:
        placed += [(f"{section}.{key}.region", entry.get("region")) for key, entry in _entries(data, section)]
    found: list[FieldProblem] = []
    for field, region in placed:
        if isinstance(region, str) and region not in known_regions:
            close = difflib.get_close_matches(region, sorted(known_regions), n=1)
            hint = (f"did you mean `{close[0]}`? " if close else "") + "regions are listed in pricing/regions.csv"
            found.append(FieldProblem(field, f"{region!r} is not an AWS region costkit knows", hint))
    return found


def _pipeline_problems(data: dict[str, Any]) -> list[FieldProblem]:
    declared = data.get("pipelines")
    pipelines = sorted(str(name) for name in declared) if isinstance(declared, dict) else []
    found: list[FieldProblem] = []
    for section in SECTIONS[1:]:
        for key, entry in _entries(data, section):
            named = entry.get("pipeline")
            if isinstance(named, str) and named not in pipelines:
                close = difflib.get_close_matches(named, pipelines, n=1)
                hint = (f"did you mean `{close[0]}`? " if close else "") + (
                    f"pipelines: {', '.join(pipelines)}" if pipelines else "the file has no pipelines"
                )
                found.append(
                    FieldProblem(f"{section}.{key}.pipeline", f"{named!r} is not a pipeline in this file", hint)
                )
    return found


def _compute_problems(data: dict[str, Any], pricebook: PriceBook) -> list[FieldProblem]:
    environments = pricebook.environments_by_compute_type
    compute_types = sorted(environments)
    default_environment = CodeBuildProject.model_fields["environment_type"].default
    found: list[FieldProblem] = []
    for key, project in _entries(data, "codebuild"):
        compute, environment = project.get("compute_type"), project.get("environment_type", default_environment)
        if not isinstance(compute, str):
            continue
        if compute not in compute_types:
            close = difflib.get_close_matches(compute, compute_types, n=1)
            hint = (f"did you mean `{close[0]}`? " if close else "") + f"allowed: {', '.join(compute_types)}"
            found.append(
                FieldProblem(f"codebuild.{key}.compute_type", f"{compute!r} is not a CodeBuild compute type", hint)
            )
        elif isinstance(environment, str) and environment not in environments[compute]:
            hint = f"allowed with {compute}: {', '.join(sorted(environments[compute]))}"
            problem = f"{environment!r} cannot run compute type {compute}"
            found.append(FieldProblem(f"codebuild.{key}.environment_type", problem, hint))
    return found
