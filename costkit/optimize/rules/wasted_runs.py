"""Wasted runs: pipeline executions that delivered nothing (failed, stopped, superseded, cancelled) and the
builds they started, plus failed or stopped builds started outside a pipeline.

The saving is the month re-priced without those runs: the V2 action minutes of the executions and the
CodeBuild minutes of the builds they started (action_executions.external_execution_id -> builds.build_id),
each projected like the baseline. It is an upper bound: some failures are the pipeline doing its job
(a test catching a bug), so only part of it is avoidable, with trigger filters on V2, SUPERSEDED mode
and CodeBuild webhook filter groups.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from costkit.optimize.base import Confidence, Context, Suggestion
from costkit.optimize.rows import lowering, matched
from costkit.optimize.runs import (
    changes_of,
    factor,
    lowering_batch,
    numbered,
    observed_actions,
    observed_builds,
    observed_executions,
    pipeline_runs_key,
    project_runs_key,
    reductions,
)

RULE = "wasted-runs"
WASTED_EXECUTIONS = ("Failed", "Stopped", "Stopping", "Superseded", "Cancelled")
WASTED_BUILDS = ("FAILED", "FAULT", "STOPPED", "TIMED_OUT")
AVOIDABLE = ("Stopped", "Stopping", "Superseded", "Cancelled")  # runs nobody needed to finish


pipeline_key = pipeline_runs_key  # filtering a pipeline's runs, trimming them and deleting it are alternatives


def _pipeline_change(pipeline: str, kind: str, mode: str) -> dict[str, str]:
    if kind != "V2":
        return {
            "console": f"CodePipeline > {pipeline}: fix or stop the failing runs; trigger filters (branches, file "
            "paths) need pipeline type V2",
            "cli": f"aws codepipeline list-pipeline-executions --pipeline-name {pipeline} "
            "--query 'pipelineExecutionSummaries[?status!=`Succeeded`]'",
        }
    mode_cli = ', "executionMode": "SUPERSEDED"' if mode in ("QUEUED", "PARALLEL") else ""
    mode_cfn = "  ExecutionMode: SUPERSEDED" if mode_cli else ""
    mode_tf = '  execution_mode = "SUPERSEDED"' if mode_cli else ""
    return {
        "console": f"CodePipeline > {pipeline} > Edit > Edit: Git triggers: add branch and file-path filters so "
        "only relevant pushes start a run"
        + ("; Execution mode: SUPERSEDED so stale runs stop early" if mode_cli else "")
        + "; fix the actions that fail most",
        "cli": "aws codepipeline update-pipeline --cli-input-json file://pipeline.json  # with "
        '"triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": '
        '"Source", "push": [{"branches": {"includes": ["main"]}, "filePaths": {"includes": ["src/**"]}}]}}]' + mode_cli,
        "cloudformation": "AWS::CodePipeline::Pipeline  Triggers: [{ProviderType: CodeStarSourceConnection, "
        "GitConfiguration: {SourceActionName: Source, Push: [{Branches: {Includes: [main]}, "
        "FilePaths: {Includes: ['src/**']}}]}}]" + mode_cfn,
        "terraform": 'trigger { provider_type = "CodeStarSourceConnection"  git_configuration { '
        'source_action_name = "Source"  push { branches { includes = ["main"] }  file_paths { includes = '
        '["src/**"] } } } }' + mode_tf,
    }


def _project_change(project: str) -> dict[str, str]:
    groups = '[[{"type":"EVENT","pattern":"PUSH"},{"type":"HEAD_REF","pattern":"^refs/heads/main$"},' + (
        '{"type":"FILE_PATH","pattern":"^src/"}]]'
    )
    return {
        "console": f"CodeBuild > {project} > Edit > Primary source webhook events: add filter groups (event, "
        "branch, file path) so only relevant pushes start a build; fix the builds that fail most",
        "cli": f"aws codebuild update-webhook --project-name {project} --filter-groups '{groups}'",
        "cloudformation": "AWS::CodeBuild::Project  Triggers: {Webhook: true, FilterGroups: [[{Type: EVENT, "
        "Pattern: PUSH}, {Type: HEAD_REF, Pattern: '^refs/heads/main$'}, {Type: FILE_PATH, Pattern: '^src/'}]]}",
        "terraform": 'resource "aws_codebuild_webhook" { filter_group { filter { type = "EVENT"  pattern = "PUSH" } '
        'filter { type = "HEAD_REF"  pattern = "^refs/heads/main$" }  filter { type = "FILE_PATH"  '
        'pattern = "^src/" } } }',
    }


def _counts(frame: pd.DataFrame, column: str, size: int) -> list[dict[str, int]]:
    """Per candidate (`frame` carries `candidate`): how many of its rows have each value of `column` ("?" when
    empty), in value order."""
    out: list[dict[str, int]] = [{} for _ in range(size)]
    values = frame.assign(value=frame[column].astype(object).where(frame[column].notna(), "?").astype(str))
    for key, n in values.groupby(["candidate", "value"]).size().items():
        number, value = cast(tuple[int, str], key)
        out[int(number)][value] = int(n)
    return out


def _sums(frame: pd.DataFrame, column: str, size: int) -> np.ndarray:
    """Per candidate: the sum of `column` over its rows."""
    return frame.groupby("candidate")[column].sum().reindex(range(size), fill_value=0.0).to_numpy(dtype="float64")


def _joined(frame: pd.DataFrame, numbered: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """The rows of `frame` whose `on` values are a row of `numbered`, each with that row's `candidate`."""
    at, key = matched(frame, numbered, on)
    return frame.iloc[at].assign(candidate=numbered["candidate"].to_numpy(dtype=np.int64)[key])


def _pipeline_suggestions(ctx: Context, actions: pd.DataFrame, builds: pd.DataFrame) -> list[Suggestion]:
    executions = observed_executions(ctx)
    pipelines = ctx.baseline.inventory.pipelines
    if executions.empty:
        return []
    scale = factor(ctx)
    info: dict[tuple[str, str, str], tuple[str, str]] = (
        {
            (str(a), str(r), str(p)): (str(t), str(m))
            for a, r, p, t, m in pipelines[["account", "region", "pipeline", "type", "execution_mode"]]
            .astype({"execution_mode": object})  # a column not collected is all-NaN float64: fill it with text
            .fillna({"execution_mode": "SUPERSEDED"})
            .itertuples(index=False)
        }
        if not pipelines.empty
        else {}
    )
    place = ["account", "region", "pipeline"]
    runs, names = numbered(executions, place, executions["status"].isin(WASTED_EXECUTIONS))
    size = len(names)
    wasted = runs[(runs["candidate"] >= 0) & runs["status"].isin(WASTED_EXECUTIONS)]
    ids = wasted[[*place, "execution_id", "candidate"]].drop_duplicates([*place, "execution_id"])
    mine = _joined(actions, ids, [*place, "execution_id"])  # the action executions of the wasted executions
    started = mine[["account", "region", "external_execution_id", "candidate"]].dropna(subset="external_execution_id")
    started = started.drop_duplicates().rename(columns={"external_execution_id": "build_id"})
    linked = _joined(builds, started, ["account", "region", "build_id"])  # the builds they started
    action_cuts = reductions(mine, mine["billed"], scale, builds=False)
    build_cuts = reductions(linked, linked["billed"], scale, builds=True)
    batch = lowering_batch(ctx.rows, size, action_cuts, build_cuts)
    savings, changes = ctx.savings(batch), changes_of(action_cuts, build_cuts)
    statuses, triggers = _counts(wasted, "status", size), _counts(wasted, "trigger_type", size)
    executions_of = np.bincount(runs.loc[runs["candidate"] >= 0, "candidate"], minlength=size)
    wasted_of = np.bincount(wasted["candidate"], minlength=size)
    avoidable_of = np.bincount(wasted["candidate"], wasted["status"].isin(AVOIDABLE).to_numpy(dtype=float), size)
    action_minutes, builds_of = _sums(mine, "billed", size), np.bincount(linked["candidate"], minlength=size)
    minute_builds = linked[linked["unit"] == "Minute"]
    build_minutes: list[dict[str, float]] = [{} for _ in range(size)]
    for key, minutes in minute_builds.groupby(["candidate", "project"])["billed"].sum().items():
        number, project = cast(tuple[int, str], key)
        build_minutes[int(number)][str(project)] = float(minutes)
    projects: list[set[str]] = [set() for _ in range(size)]
    for number, project in zip(linked["candidate"], linked["project"], strict=True):
        projects[int(number)].add(str(project))
    suggestions: list[Suggestion] = []
    for number, (account, region, pipeline) in enumerate(names):
        if number not in changes:
            continue
        saving = ctx.judge(
            float(savings[number]),
            unpriced=f"{pipeline}: wasted runs not priced (a price is missing in {region})",
            too_small=f"{pipeline}: {wasted_of[number]} executions delivered nothing ({statuses[number]}), but their "
            "minutes are worth ${saving}/month (free tier or tiny)",
        )
        if saving is None:
            continue
        kind, mode = info.get((account, region, pipeline), ("?", "?"))
        confidence: Confidence = "medium" if avoidable_of[number] * 2 >= wasted_of[number] else "low"
        evidence: dict[str, Any] = {
            "executions": int(executions_of[number]),
            "wasted_executions": statuses[number],
            "wasted_triggers": triggers[number],
            "pipeline_type": kind,
            "execution_mode": mode,
            "wasted_action_minutes": float(action_minutes[number]),
            "builds_started": int(builds_of[number]),
            "wasted_build_minutes": build_minutes[number],
            "projection_factor": scale,
        }
        suggestions.append(
            Suggestion(
                id=f"{RULE}-pipeline-{pipeline}",
                rule=RULE,
                title=f"Avoid runs of pipeline {pipeline} that deliver nothing: {wasted_of[number]} of "
                f"{executions_of[number]} executions failed, were stopped or superseded",
                resources=[pipeline, *sorted(projects[number])],
                monthly_saving_usd=saving,
                confidence=confidence,
                confidence_reason="the cost of every run that delivered nothing; an upper bound, since not all "
                "failures are avoidable (a failing test may be catching a real bug)"
                + (
                    "; most were stopped or superseded, which trigger filters and SUPERSEDED mode avoid"
                    if confidence == "medium"
                    else "; most failed, and only fixing their cause avoids them"
                ),
                evidence=evidence,
                change=_pipeline_change(pipeline, kind, mode),
                exclusive=pipeline_key(account, region, pipeline),
                usage_patch=[],
                transform=lowering(changes[number]),
                priced_in=(batch, number),
            )
        )
    return suggestions


def _project_suggestions(ctx: Context, builds: pd.DataFrame) -> list[Suggestion]:
    scale = factor(ctx)
    outside = builds[builds["pipeline"].isna()]
    runs, names = numbered(outside, ["account", "region", "project"], pd.Series(True, index=outside.index))
    size = len(names)
    wasted = runs[(runs["candidate"] >= 0) & runs["status"].isin(WASTED_BUILDS)]
    cuts = reductions(wasted, wasted["billed"], scale, builds=True)
    batch = lowering_batch(ctx.rows, size, cuts)
    savings, changes = ctx.savings(batch), changes_of(cuts)
    statuses, initiators = _counts(wasted, "status", size), _counts(wasted, "initiator", size)
    builds_of, wasted_of = (
        np.bincount(runs.loc[runs["candidate"] >= 0, "candidate"], minlength=size),
        np.bincount(wasted["candidate"], minlength=size),
    )
    billed = _sums(wasted, "billed", size)
    units: list[set[str]] = [set() for _ in range(size)]
    for number, unit in zip(wasted["candidate"], wasted["unit"], strict=True):
        units[int(number)].add(str(unit))
    suggestions: list[Suggestion] = []
    for number, (account, region, project) in enumerate(names):
        if number not in changes:
            continue
        saving = ctx.judge(
            float(savings[number]),
            unpriced=f"{project}: wasted builds not priced (missing CodeBuild price in {region})",
            too_small=f"{project}: {wasted_of[number]} builds outside a pipeline delivered nothing "
            f"({statuses[number]}), but their minutes are worth ${{saving}}/month (free tier or tiny)",
        )
        if saving is None:
            continue
        suggestions.append(
            Suggestion(
                id=f"{RULE}-project-{project}",
                rule=RULE,
                title=f"Avoid builds of CodeBuild project {project} that deliver nothing: {wasted_of[number]} of "
                f"{builds_of[number]} builds outside a pipeline failed or were stopped",
                resources=[project],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason="the cost of every failed, stopped or timed-out build; an upper bound, since a "
                "failing build is often doing its job, and webhook filters only avoid builds of irrelevant pushes",
                evidence={
                    "builds": int(builds_of[number]),
                    "wasted_builds": statuses[number],
                    "initiators": initiators[number],
                    "wasted_billed_units": float(billed[number]),
                    "unit": sorted(units[number]),
                    "projection_factor": scale,
                },
                change=_project_change(project),
                exclusive=project_runs_key(account, region, project),
                usage_patch=[],
                transform=lowering(changes[number]),
                priced_in=(batch, number),
            )
        )
    return suggestions


def rule(ctx: Context) -> list[Suggestion]:
    if ctx.baseline.runs.planned:
        ctx.notes.append(f"{RULE}: needs observed execution statuses (a snapshot); not checked for a usage file")
        return []
    actions = observed_actions(ctx)
    builds = observed_builds(ctx)
    builds = builds[~builds["fleet"].astype(bool)]  # a reserved fleet costs the same whether a build ran or not
    return _pipeline_suggestions(ctx, actions, builds) + _project_suggestions(ctx, builds)
