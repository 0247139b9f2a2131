"""The scenario file (docs/whatif.md): named scenarios, each an ordered list of changes, read and checked.

```yaml
version: 1
scenarios:
  double the runs:
    - scale_executions: {factor: 2}
  Tokyo:
    - move_region: {region: ap-northeast-1}
```

Every problem names the file, the scenario and the field (`S.yaml: scenario 'Tokyo': changes[0].move_region.
region: is required`), and says what is allowed. Files are read like usage files: YAML 1.2 core schema,
duplicate keys refused, size and alias limits.
"""

from __future__ import annotations

import difflib
import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from costkit.change import Change
from costkit.errors import CostkitError, ParameterError, quoted
from costkit.model.usage import Usage
from costkit.sources.usage_file.yaml_core import parse, read_text
from costkit.whatif import builders
from costkit.whatif.scenario import Scenario

BUILDERS: dict[str, Callable[..., Change]] = {
    "scale_executions": builders.scale_executions,
    "scale_builds": builders.scale_builds,
    "growth": builders.growth,
    "move_region": builders.move_region,
    "remove_pipeline": builders.remove_pipeline,
    "pipeline_type": builders.pipeline_type,
    "execution_mode": builders.execution_mode,
    "compute": builders.compute,
    "arm_builds": builders.arm_builds,
    "caching": builders.caching,
    "artifact_retention": builders.artifact_retention,
    "lambda_functions": builders.lambda_functions,
}
WHAT = "scenario file"
HINT = "docs/whatif.md describes the scenario file; examples/scenarios/ has one"


class ScenarioFileError(CostkitError):
    """A scenario file that cannot be read or does not follow docs/whatif.md."""

    def __init__(self, source: str, scenario: str | None, field: str | None, problem: str, *, hint: str | None = None):
        where = source + (f": scenario {quoted(scenario)}" if scenario is not None else "")
        where += f": {field}" if field else ""
        super().__init__(f"{where}: {problem}", hint=hint)
        self.source = source
        self.scenario = scenario
        self.field = field


def _parameters(builder: Callable[..., Change]) -> type[BaseModel]:
    """A strict model of a builder's keyword parameters, from its signature."""
    hints = typing.get_type_hints(builder)
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(builder).parameters.items():
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (hints[name], default)
    config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    return create_model(f"{builder.__name__}_parameters", __config__=config, **fields)


PARAMETERS = {name: _parameters(builder) for name, builder in BUILDERS.items()}


def builder_fields(name: str) -> list[str]:
    return list(PARAMETERS[name].model_fields)


def load_scenarios(source: str | Path | Mapping[str, Any]) -> list[Scenario]:
    """The scenarios of a scenario file (a path, or its parsed mapping), in file order."""
    if isinstance(source, Mapping):
        return scenarios_of(dict(source), "<dict>")
    path = Path(source)
    name = str(path)
    try:
        data = parse(read_text(path, what=WHAT), name)
    except CostkitError as exc:  # the usage-file reader's words, with this file's kind
        raise ScenarioFileError(name, None, None, exc.message.removeprefix(f"{name}: "), hint=HINT) from None
    return scenarios_of(data, name)


def scenarios_of(data: object, name: str) -> list[Scenario]:
    if not isinstance(data, dict):
        raise ScenarioFileError(name, None, None, "must be a mapping with `version: 1` and `scenarios:`",
                                hint="see docs/whatif.md")  # fmt: skip
    unknown = sorted(set(data) - {"version", "scenarios"}, key=str)
    if unknown:
        raise ScenarioFileError(name, None, str(unknown[0]), "is not a known field", hint="allowed: version, scenarios")
    if data.get("version") != 1:
        problem = "is missing" if "version" not in data else f"{quoted(data['version'])} is not allowed; expected 1"
        raise ScenarioFileError(name, None, "version", problem, hint="start the file with `version: 1`")
    listed = data.get("scenarios")
    if not isinstance(listed, dict) or not listed:
        raise ScenarioFileError(name, None, "scenarios", "needs at least one named scenario (a mapping of name to "
                                "a list of changes)", hint="see docs/whatif.md")  # fmt: skip
    return [_scenario(name, str(title), changes) for title, changes in listed.items()]


def _scenario(source: str, title: str, changes: object) -> Scenario:
    if not title.strip():
        raise ScenarioFileError(source, title, None, "a scenario needs a name that is not blank")
    if not isinstance(changes, list):
        raise ScenarioFileError(source, title, "changes", "must be a list of changes, e.g. `- scale_executions: "
                                "{factor: 2}`")  # fmt: skip
    return Scenario(title, tuple(_change(source, title, index, item) for index, item in enumerate(changes)))


def _change(source: str, title: str, index: int, item: object) -> Change:
    where = f"changes[{index}]"
    if not isinstance(item, dict) or len(item) != 1:
        raise ScenarioFileError(source, title, where, "must be one builder and its parameters, e.g. "
                                "`scale_executions: {factor: 2}`", hint=f"builders: {', '.join(BUILDERS)}")  # fmt: skip
    ((kind, given),) = item.items()
    kind = str(kind)
    if kind not in BUILDERS:
        close = difflib.get_close_matches(kind, list(BUILDERS), n=1)
        hint = (f"did you mean `{close[0]}`? " if close else "") + f"builders: {', '.join(BUILDERS)}"
        raise ScenarioFileError(source, title, where, f"{quoted(kind)} is not a known builder", hint=hint)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ScenarioFileError(source, title, f"{where}.{kind}", "must be a mapping of parameters",
                                hint=f"parameters: {', '.join(builder_fields(kind))}")  # fmt: skip
    try:
        checked = PARAMETERS[kind].model_validate(given)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)  # an unknown name first: a misspelt one is also "missing"
        error = sorted(errors, key=lambda e: e["type"] != "extra_forbidden")[0]
        field = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            problem = "is not a parameter of " + kind
        elif error["type"] == "missing":
            problem = "is required"
        else:
            problem = f"{error['msg'][0].lower()}{error['msg'][1:]} (got {quoted(error.get('input'))})"
        raise ScenarioFileError(source, title, f"{where}.{kind}.{field}", problem,
                                hint=f"parameters of {kind}: {', '.join(builder_fields(kind))}") from None  # fmt: skip
    try:
        change = BUILDERS[kind](**checked.model_dump())
    except ParameterError as exc:
        field = f"{where}.{kind}.{exc.parameter}"
        raise ScenarioFileError(source, title, field, f"{quoted(exc.value)} {exc.problem}") from None
    return _located(change, source, title, f"{where}.{kind}") if change.edit is not None else change


def _located(change: Change, source: str, title: str, where: str) -> Change:
    """`change` whose edit, when the model it meets cannot take it (caching needs `phase_share` for a usage file's
    builds), names this file, scenario and parameter rather than a flag the command does not have."""
    edit = change.edit
    assert edit is not None

    def located(usage: Usage) -> Usage:
        try:
            return edit(usage)
        except ParameterError as exc:
            given = "" if exc.value is None else f"{quoted(exc.value)} "
            raise ScenarioFileError(source, title, f"{where}.{exc.parameter}", f"{given}{exc.problem}",
                                    hint=exc.hint) from None  # fmt: skip

    return replace(change, edit=located)
