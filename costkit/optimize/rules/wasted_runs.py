"""Wasted runs: pipeline executions that delivered nothing (failed, stopped, superseded, cancelled) and the
builds they started, plus failed or stopped builds started outside a pipeline.

The saving is the month re-priced without those runs: the V2 action minutes of the executions and the
CodeBuild minutes of the builds they started (action_executions.external_execution_id -> builds.build_id),
each projected like the baseline. It is an upper bound: some failures are the pipeline doing its job
(a test catching a bug), so only part of it is avoidable, with trigger filters on V2, SUPERSEDED mode
and CodeBuild webhook filter groups.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from costkit.optimize.base import Confidence, Context, Suggestion
from costkit.optimize.runs import (
    action_changes,
    build_changes,
    factor,
    lowered,
    observed_actions,
    observed_builds,
    observed_executions,
    pipeline_runs_key,
    project_runs_key,
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


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.fillna("?").value_counts().sort_index().items()}


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
            .fillna({"execution_mode": "SUPERSEDED"})
            .itertuples(index=False)
        }
        if not pipelines.empty
        else {}
    )
    suggestions: list[Suggestion] = []
    for (account, region, pipeline), runs in executions.groupby(["account", "region", "pipeline"]):
        wasted = runs[runs["status"].isin(WASTED_EXECUTIONS)]
        if wasted.empty:
            continue
        ids = set(wasted["execution_id"])
        mine = actions[
            (actions["account"] == account)
            & (actions["region"] == region)
            & (actions["pipeline"] == pipeline)
            & actions["execution_id"].isin(ids)
        ]
        started = set(mine["external_execution_id"].dropna())
        linked = builds[
            (builds["account"] == account) & (builds["region"] == region) & builds["build_id"].isin(started)
        ]
        statuses = _counts(wasted["status"])
        worth = lowered(
            ctx,
            action_changes(mine, mine["billed"], scale) + build_changes(linked, linked["billed"], scale),
            unpriced=f"{pipeline}: wasted runs not priced (a price is missing in {region})",
            too_small=f"{pipeline}: {len(wasted)} executions delivered nothing ({statuses}), but their minutes "
            "are worth ${saving}/month (free tier or tiny)",
        )
        if worth is None:
            continue
        transform, saving = worth
        kind, mode = info.get((str(account), str(region), str(pipeline)), ("?", "?"))
        avoidable = int(wasted["status"].isin(AVOIDABLE).sum())
        confidence: Confidence = "medium" if avoidable * 2 >= len(wasted) else "low"
        minute_builds = linked[linked["unit"] == "Minute"]
        evidence: dict[str, Any] = {
            "executions": len(runs),
            "wasted_executions": statuses,
            "wasted_triggers": _counts(wasted["trigger_type"]),
            "pipeline_type": kind,
            "execution_mode": mode,
            "wasted_action_minutes": float(mine["billed"].sum()),
            "builds_started": len(linked),
            "wasted_build_minutes": {
                str(p): float(m) for p, m in minute_builds.groupby("project")["billed"].sum().items()
            },
            "projection_factor": scale,
        }
        suggestions.append(
            Suggestion(
                id=f"{RULE}-pipeline-{pipeline}",
                rule=RULE,
                title=f"Avoid runs of pipeline {pipeline} that deliver nothing: {len(wasted)} of {len(runs)} "
                "executions failed, were stopped or superseded",
                resources=[str(pipeline), *sorted({str(p) for p in linked["project"]})],
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
                change=_pipeline_change(str(pipeline), kind, mode),
                exclusive=pipeline_key(str(account), str(region), str(pipeline)),
                usage_patch=[],
                transform=transform,
            )
        )
    return suggestions


def _project_suggestions(ctx: Context, builds: pd.DataFrame) -> list[Suggestion]:
    scale = factor(ctx)
    outside = builds[builds["pipeline"].isna()]
    suggestions: list[Suggestion] = []
    for (account, region, project), runs in outside.groupby(["account", "region", "project"]):
        wasted = runs[runs["status"].isin(WASTED_BUILDS)]
        statuses = _counts(wasted["status"])
        worth = lowered(
            ctx,
            build_changes(wasted, wasted["billed"], scale),
            unpriced=f"{project}: wasted builds not priced (missing CodeBuild price in {region})",
            too_small=f"{project}: {len(wasted)} builds outside a pipeline delivered nothing ({statuses}), but "
            "their minutes are worth ${saving}/month (free tier or tiny)",
        )
        if worth is None:
            continue
        transform, saving = worth
        suggestions.append(
            Suggestion(
                id=f"{RULE}-project-{project}",
                rule=RULE,
                title=f"Avoid builds of CodeBuild project {project} that deliver nothing: {len(wasted)} of "
                f"{len(runs)} builds outside a pipeline failed or were stopped",
                resources=[str(project)],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason="the cost of every failed, stopped or timed-out build; an upper bound, since a "
                "failing build is often doing its job, and webhook filters only avoid builds of irrelevant pushes",
                evidence={
                    "builds": len(runs),
                    "wasted_builds": statuses,
                    "initiators": _counts(wasted["initiator"]),
                    "wasted_billed_units": float(wasted["billed"].sum()),
                    "unit": sorted({str(u) for u in wasted["unit"]}),
                    "projection_factor": scale,
                },
                change=_project_change(str(project)),
                exclusive=project_runs_key(str(account), str(region), str(project)),
                usage_patch=[],
                transform=transform,
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
