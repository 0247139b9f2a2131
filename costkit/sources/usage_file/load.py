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

from costkit.errors import UsageFileError, quoted
from costkit.sources.usage_file.schema import UsageFile
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
    if "version" not in data:
        raise UsageFileError(name, "version", "is missing", hint="add `version: 1` at the top")
    try:
        spec = UsageFile.model_validate(data)
    except ValidationError as exc:
        raise _first_error(exc, name) from None
    _check_against_tables(spec, name, pricebook)
    return UsageDocument(spec=spec, source=name)


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(item if not parts else f".{item}")
    return "".join(parts)


def _first_error(exc: ValidationError, name: str) -> UsageFileError:
    errors = exc.errors(include_url=False)
    error = errors[0]
    loc = _drop_union_tags(tuple(error["loc"]))
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    kind = error["type"]
    hint: str | None = None
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
    return UsageFileError(name, _field_path(loc), problem + more, hint=hint)


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


def _check_against_tables(spec: UsageFile, name: str, pricebook: PriceBook) -> None:
    """Regions and CodeBuild compute types are checked against pricing/ tables, not hard-coded lists."""
    known_regions = pricebook.region_codes
    placed: list[tuple[str, str | None]] = [("region", spec.region)]
    for section, resources in (
        ("pipelines", spec.pipelines),
        ("codebuild", spec.codebuild),
        ("lambda", spec.lambda_),
        ("s3", spec.s3),
    ):
        placed += [(f"{section}.{key}.region", res.region) for key, res in resources.items()]
    for field, region in placed:
        if region is not None and region not in known_regions:
            close = difflib.get_close_matches(region, sorted(known_regions), n=1)
            raise UsageFileError(
                name,
                field,
                f"{region!r} is not an AWS region costkit knows",
                hint=(f"did you mean `{close[0]}`? " if close else "") + "regions are listed in pricing/regions.csv",
            )
    pipelines = sorted(spec.pipelines)
    for section, resources in (("codebuild", spec.codebuild), ("lambda", spec.lambda_), ("s3", spec.s3)):
        for key, resource in resources.items():
            if resource.pipeline is not None and resource.pipeline not in spec.pipelines:
                close = difflib.get_close_matches(resource.pipeline, pipelines, n=1)
                raise UsageFileError(
                    name,
                    f"{section}.{key}.pipeline",
                    f"{resource.pipeline!r} is not a pipeline in this file",
                    hint=(f"did you mean `{close[0]}`? " if close else "")
                    + (f"pipelines: {', '.join(pipelines)}" if pipelines else "the file has no pipelines"),
                )
    environments = pricebook.environments_by_compute_type
    compute_types = sorted(environments)
    for key, project in spec.codebuild.items():
        if project.compute_type not in compute_types:
            close = difflib.get_close_matches(project.compute_type, compute_types, n=1)
            raise UsageFileError(
                name,
                f"codebuild.{key}.compute_type",
                f"{project.compute_type!r} is not a CodeBuild compute type",
                hint=(f"did you mean `{close[0]}`? " if close else "") + f"allowed: {', '.join(compute_types)}",
            )
        envs = environments[project.compute_type]
        if project.environment_type not in envs:
            raise UsageFileError(
                name,
                f"codebuild.{key}.environment_type",
                f"{project.environment_type!r} cannot run compute type {project.compute_type}",
                hint=f"allowed with {project.compute_type}: {', '.join(sorted(envs))}",
            )
