"""Scenario builders: each returns one Change over the usage model (its runs and inventory), so it works on a
usage file's planned usage and a snapshot's measured history alike. The Change re-meters and re-derives the rows
of only the services an edit touched (costkit.change), with the same billing code the estimate used.

Flows (executions, builds, requests, retrievals, transitions) scale with runs; levels (V1 pipeline-months,
stored GB, reserved fleets) do not. A builder that names a resource matches it by name in every account and
region; with no name it applies to all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from costkit.change import Change
from costkit.errors import CostkitError, ParameterError
from costkit.model.runs import PHASE_COLUMNS
from costkit.model.usage import Usage

Edit = Callable[[Usage], Usage]
V2_ONLY_MODES = ("QUEUED", "PARALLEL")
KEPT_ON_V2 = "whatif-kept-on-v2"  # the count (usage.counts) and assumption id of pipelines a V1 scenario skipped
PHASES = {column.removesuffix("_s").upper(): column for column in PHASE_COLUMNS}  # INSTALL -> install_s, ...
BUCKET_FLOWS = ("put_requests", "get_requests", "retrieval_gb", "transitions", "executions")


def _match(frame: pd.DataFrame, column: str, value: str | None) -> pd.Series:
    """Rows whose `column` is `value` (every row when value is None)."""
    if value is None or frame.empty:
        return pd.Series(True, index=frame.index)
    return frame[column] == value


def _attributed(frame: pd.DataFrame, pipeline: str | None) -> pd.Series:
    """Rows billed for `pipeline` (for None: for any pipeline)."""
    if frame.empty:
        return pd.Series(True, index=frame.index)
    return frame["pipeline"].notna() if pipeline is None else frame["pipeline"] == pipeline


def _times(frame: pd.DataFrame, hit: pd.Series, columns: Sequence[str], factor: float) -> None:
    for column in columns:
        if column in frame and hit.any():
            if frame[column].dtype != "float64":  # an integer (or empty) column cannot hold the scaled values
                frame[column] = frame[column].astype("float64")
            frame.loc[hit, column] = frame.loc[hit, column] * factor


def _set(frame: pd.DataFrame, hit: pd.Series, column: str, value: bool | pd.Series) -> None:
    """`value` into the hit rows of `column`, whatever the column held before (an all-empty column is float)."""
    if hit.any():
        if frame[column].dtype != object:
            frame[column] = frame[column].astype(object)
        frame.loc[hit, column] = value


def _factor(name: str, value: float) -> float:
    number = float(value)
    if not np.isfinite(number) or number < 0:
        raise ParameterError(name, value, "is not a factor: give a finite number of 0 or more (1 = unchanged)")
    return number


def _share(name: str, value: float) -> float:
    number = float(value)
    if not np.isfinite(number) or not 0 <= number <= 1:
        raise ParameterError(name, value, "is not a share: give a number from 0 to 1 (0.6 = 60%)")
    return number


def _number(value: float) -> str:
    return f"{value:,.6g}"


def _scale_flows(usage: Usage, factor: float, pipeline: str | None, *, builds_too: bool, everything: bool) -> Usage:
    """Flows x factor: the pipeline's action runs, and the builds, requests and artifact requests billed for it
    (`everything`: every flow, attributed or not)."""
    runs, inventory = usage.runs, usage.inventory
    actions = runs.actions
    _times(actions, _match(actions, "pipeline", pipeline), ["count"], factor)
    if builds_too:
        builds, projects = runs.builds, inventory.projects
        hit = pd.Series(True, index=builds.index) if everything else _attributed(builds, pipeline)
        _times(builds, hit, ["count"], factor)
        given = pd.Series(True, index=projects.index) if everything else _attributed(projects, pipeline)
        _times(projects, given, ["build_minutes_per_month"], factor)
    functions, buckets = inventory.functions, inventory.buckets
    _times(functions, pd.Series(True, index=functions.index) if everything else _attributed(functions, pipeline),
           ["requests", "invocations"], factor)  # fmt: skip
    _times(buckets, pd.Series(True, index=buckets.index) if everything else _attributed(buckets, pipeline),
           BUCKET_FLOWS, factor)  # fmt: skip
    if factor == 0:  # no code change ran through it: a V1 pipeline is not active
        idle = _match(inventory.pipelines, "pipeline", pipeline)
        _set(inventory.pipelines, idle, "active", False)
    return usage


def scale_executions(factor: float, pipeline: str | None = None) -> Change:
    """Pipeline executions x `factor` (every pipeline, or one): its action runs, and the builds, function requests
    and artifact requests billed for it. A V1 pipeline scaled to no executions is not active ($0)."""
    value = _factor("factor", factor)
    where = f"pipeline {pipeline}" if pipeline else "every pipeline"

    def edit(usage: Usage) -> Usage:
        return _scale_flows(usage, value, pipeline, builds_too=True, everything=False)

    return Change(f"executions x{_number(value)} ({where})", edit=edit)


def scale_builds(factor: float, project: str | None = None) -> Change:
    """CodeBuild builds x `factor` (every project, or one)."""
    value = _factor("factor", factor)

    def edit(usage: Usage) -> Usage:
        builds, projects = usage.runs.builds, usage.inventory.projects
        _times(builds, _match(builds, "project", project), ["count"], value)
        _times(projects, _match(projects, "project", project), ["build_minutes_per_month"], value)
        return usage

    return Change(f"builds x{_number(value)} ({f'project {project}' if project else 'every project'})", edit=edit)


def growth(rate: float, months: int) -> Change:
    """Every flow grown by `rate` a month, compounded over `months` (0.05 for 5% a month): executions, builds,
    requests, retrievals, transitions. Levels (pipeline-months, storage, fleets) do not grow."""
    if not np.isfinite(float(rate)) or rate <= -1:
        raise ParameterError("rate", rate, "is not a monthly growth rate: give a number above -1 (0.05 is 5% a month)")
    if int(months) != months or months < 0:
        raise ParameterError("months", months, "is not a number of months: give a whole number, 0 or more")
    factor = (1.0 + float(rate)) ** int(months)

    def edit(usage: Usage) -> Usage:
        return _scale_flows(usage, factor, None, builds_too=True, everything=True)

    return Change(f"growth {100 * rate:+.4g}%/month for {int(months)} months (x{_number(factor)})", edit=edit)


def _tables(usage: Usage) -> list[pd.DataFrame]:
    inventory = usage.inventory
    return [usage.runs.actions, usage.runs.builds, inventory.pipelines, inventory.projects, inventory.functions,
            inventory.buckets]  # fmt: skip


def move_region(region: str, pipeline: str | None = None) -> Change:
    """Resources moved to `region` (all, or the pipeline and what is billed for it), priced there; a usage type
    with no price there is missing, never $0."""

    def edit(usage: Usage) -> Usage:
        for frame in _tables(usage):
            if not frame.empty and "region" in frame:
                frame.loc[_match(frame, "pipeline", pipeline), "region"] = region
        return usage

    return Change(f"move {f'pipeline {pipeline}' if pipeline else 'everything'} to {region}", edit=edit)


def remove_pipeline(pipeline: str) -> Change:
    """A pipeline removed, with everything billed for it (its builds, functions and artifact storage as attributed
    to it); resources attributed to no pipeline stay."""

    def edit(usage: Usage) -> Usage:
        runs, inventory = usage.runs, usage.inventory
        gone_projects = set(inventory.projects.loc[_attributed(inventory.projects, pipeline), "project"])
        runs.actions = runs.actions[runs.actions["pipeline"] != pipeline]
        builds = runs.builds
        runs.builds = builds[(builds["pipeline"] != pipeline) & ~builds["project"].isin(gone_projects)]
        for name in ("pipelines", "projects", "functions", "buckets"):
            frame = getattr(inventory, name)
            setattr(inventory, name, frame[frame["pipeline"] != pipeline])
        return usage

    return Change(f"remove pipeline {pipeline}", edit=edit)


def _v2_only(pipelines: pd.DataFrame) -> pd.Series:
    """Pipelines using a feature V1 does not have (QUEUED/PARALLEL execution mode, triggers, variables)."""
    mode = pipelines["execution_mode"].astype(object).fillna("SUPERSEDED").isin(V2_ONLY_MODES)
    flags = [pipelines[c].astype(object).fillna(False).astype(bool) for c in ("triggers", "variables")]
    return mode | flags[0] | flags[1]


def pipeline_type(to: str, pipeline: str | None = None) -> Change:
    """Pipelines switched to `to` ("V1" or "V2"): $1 per active pipeline-month against $0.002 per action minute,
    with the account's free allowances. A pipeline using V2-only features stays on V2: named, it is an error;
    with every pipeline, it is kept and counted in the assumptions."""
    if to not in ("V1", "V2"):
        raise ParameterError("to", to, "is not a pipeline type: give V1 or V2")

    def edit(usage: Usage) -> Usage:
        pipelines, actions = usage.inventory.pipelines, usage.runs.actions
        hit = _match(pipelines, "pipeline", pipeline) & (pipelines["type"] != to)
        if to == "V1":
            blocked = hit & _v2_only(pipelines)
            if pipeline is not None and blocked.any():
                raise CostkitError(f"pipeline {pipeline!r} uses features that exist only on V2 (QUEUED or PARALLEL "
                                   "execution mode, triggers, variables): it cannot go back to V1")  # fmt: skip
            if blocked.any():
                usage.counts[KEPT_ON_V2] = usage.counts.get(KEPT_ON_V2, 0) + int(blocked.sum())
                usage.noted.add(KEPT_ON_V2)
            hit &= ~blocked
            ran = actions[actions["count"].astype(float) > 0].groupby("pipeline").size()
            _set(pipelines, hit, "active", pipelines.loc[hit, "pipeline"].map(ran).fillna(0).astype(float) > 0)
        pipelines.loc[hit, "type"] = to
        return usage

    return Change(f"{f'pipeline {pipeline}' if pipeline else 'every pipeline'} on {to}", edit=edit)


def execution_mode(mode: str, pipeline: str | None = None) -> Change:
    """Pipelines set to execution `mode` (SUPERSEDED, QUEUED or PARALLEL). QUEUED and PARALLEL exist only on V2: a V1
    pipeline set to them becomes V2. Leaving SUPERSEDED, runs a newer execution abandoned would run to the end:
    each abandoned action execution is billed as long as the same action's succeeded ones last on average."""
    if mode not in ("SUPERSEDED", "QUEUED", "PARALLEL"):
        raise ParameterError("mode", mode, "is not an execution mode: give SUPERSEDED, QUEUED or PARALLEL")

    def edit(usage: Usage) -> Usage:
        pipelines, actions = usage.inventory.pipelines, usage.runs.actions
        hit = _match(pipelines, "pipeline", pipeline)
        leaving = hit & (pipelines["execution_mode"].astype(object).fillna("SUPERSEDED") == "SUPERSEDED")
        if mode in V2_ONLY_MODES:
            pipelines.loc[hit, "type"] = "V2"
            names = set(pipelines.loc[leaving, "pipeline"])
            if names and not actions.empty:
                key = ["account", "region", "pipeline", "action"]
                done = actions[actions["status"] == "Succeeded"].groupby(key)["seconds"].mean().rename("typical")
                with_typical = actions.join(done, on=key)
                abandoned = actions["pipeline"].isin(names) & (actions["status"] == "Abandoned")
                known = abandoned & with_typical["typical"].notna()
                actions.loc[known, "seconds"] = with_typical.loc[known, "typical"]
        pipelines.loc[hit, "execution_mode"] = mode
        return usage

    return Change(f"{f'pipeline {pipeline}' if pipeline else 'every pipeline'} in {mode} mode", edit=edit)


def compute(
    compute_type: str | None = None,
    environment_type: str | None = None,
    duration_factor: float = 1.0,
    project: str | None = None,
    from_compute_type: str | None = None,
) -> Change:
    """Builds moved to another compute type and/or environment (e.g. ARM_CONTAINER for Arm), each lasting
    `duration_factor` times as long (0.7: 30% faster), rounded up per build again. `from_compute_type` limits it
    to builds on that type. A compute type with no price in the region is missing, never $0."""
    factor = _factor("duration_factor", duration_factor)
    what = " / ".join(v for v in (compute_type, environment_type) if v) or "the same compute"
    scope = f"project {project}" if project else (f"builds on {from_compute_type}" if from_compute_type else "builds")

    def edit(usage: Usage) -> Usage:
        for frame, seconds in ((usage.runs.builds, ["seconds", *PHASE_COLUMNS]),
                               (usage.inventory.projects, ["build_minutes_per_month"])):  # fmt: skip
            hit = _match(frame, "project", project) & _match(frame, "compute_type", from_compute_type)
            if compute_type is not None:
                frame.loc[hit, "compute_type"] = compute_type
            if environment_type is not None:
                frame.loc[hit, "environment_type"] = environment_type
            _times(frame, hit, seconds, factor)
        return usage

    return Change(f"{scope} on {what}" + (f", duration x{_number(factor)}" if factor != 1 else ""), edit=edit)


def arm_builds(duration_factor: float = 1.0, project: str | None = None) -> Change:
    """Linux builds moved to Arm (ARM_CONTAINER, same compute size), each lasting `duration_factor` as long."""
    factor = _factor("duration_factor", duration_factor)

    def edit(usage: Usage) -> Usage:
        for frame, seconds in ((usage.runs.builds, ["seconds", *PHASE_COLUMNS]),
                               (usage.inventory.projects, ["build_minutes_per_month"])):  # fmt: skip
            hit = _match(frame, "project", project) & (frame["environment_type"] == "LINUX_CONTAINER")
            frame.loc[hit, "environment_type"] = "ARM_CONTAINER"
            _times(frame, hit, seconds, factor)
        return usage

    scope = f"project {project}" if project else "Linux builds"
    return Change(f"{scope} on Arm" + (f", duration x{_number(factor)}" if factor != 1 else ""), edit=edit)


_SHARE_HINT = (
    "e.g. phase_share: 0.3 if {} takes 30% of a build; measured history (a snapshot) has each build's phase timings"
)


def caching(
    cut: float, phases: Sequence[str] = ("INSTALL",), project: str | None = None, phase_share: float | None = None
) -> Change:
    """Build caching that cuts the named phases (e.g. INSTALL, PRE_BUILD) by `cut` (0.6 = 60%). Measured builds
    use their own phase timings; builds without them (a usage file's) need `phase_share`, the share of a build
    those phases take."""
    share = _share("cut", cut)
    columns = []
    for name in phases:
        if str(name).upper() not in PHASES:
            raise ParameterError("phases", name, f"is not a build phase; give some of {', '.join(PHASES)}")
        columns.append(PHASES[str(name).upper()])
    part = None if phase_share is None else _share("phase_share", phase_share)
    label = "+".join(str(p).upper() for p in phases)

    def edit(usage: Usage) -> Usage:
        builds = usage.runs.builds
        hit = _match(builds, "project", project)
        timed = builds[columns].notna().any(axis=1) if columns else pd.Series(False, index=builds.index)
        measured = hit & timed
        if measured.any():
            saved = builds.loc[measured, columns].astype(float).fillna(0.0).sum(axis=1) * share
            builds.loc[measured, "seconds"] = builds.loc[measured, "seconds"].astype(float) - saved
            _times(builds, measured, columns, 1.0 - share)
        untimed = hit & ~timed
        if untimed.any():
            if part is None:
                names = ", ".join(sorted(set(builds.loc[untimed, "project"].astype(str))))
                problem = f"is needed: builds of {names} have no phase timings (a usage file states none)"
                raise ParameterError("phase_share", None, f"{problem}; give the share of a build {label} takes",
                                     hint=_SHARE_HINT.format(label))  # fmt: skip
            _times(builds, untimed, ["seconds"], 1.0 - share * part)
        given = usage.inventory.projects
        given_hit = _match(given, "project", project) & given["build_minutes_per_month"].notna()
        if given_hit.any():
            if part is None:
                names = ", ".join(sorted(set(given.loc[given_hit, "project"].astype(str))))
                problem = f"is needed: {names} state monthly build minutes, no phase timings"
                raise ParameterError("phase_share", None, f"{problem}; give the share of a build {label} takes",
                                     hint=_SHARE_HINT.format(label))  # fmt: skip
            _times(given, given_hit, ["build_minutes_per_month"], 1.0 - share * part)
        return usage

    return Change(f"caching cuts {label} by {100 * share:.4g}%" + (f" ({project})" if project else ""), edit=edit)


def artifact_retention(days: float, from_days: float, bucket: str | None = None) -> Change:
    """Artifacts kept `days` instead of `from_days` (a lifecycle expiration rule): stored GB and objects scale by
    days / from_days, as a bucket that receives artifacts evenly holds about `retention` days of them."""
    if not (np.isfinite(float(days)) and days >= 0):
        raise ParameterError("days", days, "is not a number of days: give 0 or more")
    if not (np.isfinite(float(from_days)) and from_days > 0):
        raise ParameterError("from_days", from_days, "is not a number of days: give more than 0")
    factor = float(days) / float(from_days)

    def edit(usage: Usage) -> Usage:
        buckets = usage.inventory.buckets
        hit = _match(buckets, "bucket", bucket)
        _times(buckets, hit, ["storage_gb", "objects"], factor)
        _set(buckets, hit, "has_expiration", True)
        return usage

    where = f"bucket {bucket}" if bucket else "artifact buckets"
    return Change(f"{where}: artifacts kept {_number(days)} days instead of {_number(from_days)}", edit=edit)


def lambda_functions(
    memory_mb: int | None = None,
    architecture: str | None = None,
    duration_factor: float = 1.0,
    function: str | None = None,
) -> Change:
    """Lambda functions given another memory size and/or architecture (x86_64, arm64), each request lasting
    `duration_factor` times as long (more memory often runs faster)."""
    factor = _factor("duration_factor", duration_factor)
    if memory_mb is not None and not 128 <= int(memory_mb) <= 10240:
        raise ParameterError("memory_mb", memory_mb, "is not a Lambda memory size: give 128 to 10,240 MB")
    if architecture is not None and architecture not in ("x86_64", "arm64"):
        raise ParameterError("architecture", architecture, "is not a Lambda architecture: give x86_64 or arm64")

    def edit(usage: Usage) -> Usage:
        functions = usage.inventory.functions
        hit = _match(functions, "function", function)
        if memory_mb is not None:
            functions.loc[hit, "memory_mb"] = int(memory_mb)
        if architecture is not None:
            functions.loc[hit, "architecture"] = architecture
        _times(functions, hit, ["duration_ms"], factor)
        return usage

    parts = [f"{memory_mb} MB" if memory_mb else "", architecture or "",
             f"duration x{_number(factor)}" if factor != 1 else ""]  # fmt: skip
    scope = f"function {function}" if function else "functions"
    return Change(f"{scope}: {', '.join(p for p in parts if p) or 'unchanged'}", edit=edit)
