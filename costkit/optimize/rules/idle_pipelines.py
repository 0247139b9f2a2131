"""Idle pipelines: no successful execution for 60+ days (or in the whole window, when it is shorter), yet
still costing money: a V1 pipeline-month when something ran, its share of the artifact bucket, and the
runs (scheduled or not) that keep failing. The saving is everything the estimate attributes to the
pipeline (rows with pipeline == its name in its account and region), re-priced without it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from costkit.optimize.base import Confidence, Context, RowChange, Suggestion
from costkit.optimize.runs import observed_executions, pipeline_runs_key, window

RULE = "idle-pipelines"
IDLE_DAYS = 60  # no successful run for this long makes a pipeline idle
ARTIFACT_PREFIX_CHARS = 20  # CodePipeline names a pipeline's artifact folder after its first 20 characters


def _attributed(frame: pd.DataFrame, account: str, region: str, pipeline: str) -> pd.Series:
    """Rows (or priced lines) the estimate attributes to the pipeline: its own, and those with its name."""
    here = (frame["account"] == account) & (frame["region"] == region)
    own = (frame["service"] == "CodePipeline") & (frame["resource"] == pipeline)
    return here & ((frame["pipeline"] == pipeline) | own)


def _without(account: str, region: str, pipeline: str) -> RowChange:
    def transform(rows: pd.DataFrame) -> pd.DataFrame:
        return rows[~_attributed(rows, account, region, pipeline)].reset_index(drop=True)

    return transform


def _change(pipeline: str, buckets: list[str]) -> dict[str, str]:
    prefix = pipeline[:ARTIFACT_PREFIX_CHARS]
    clean = "; ".join(f"aws s3 rm s3://{b}/{prefix}/ --recursive" for b in buckets)
    return {
        "console": f"CodePipeline > Pipelines > {pipeline} > Delete pipeline; then delete the EventBridge rule or "
        f"schedule that starts it and its artifacts (folder {prefix}/ in {', '.join(buckets) or 'its bucket'})",
        "cli": f"aws codepipeline delete-pipeline --name {pipeline}" + (f"; {clean}" if clean else ""),
        "cloudformation": f"remove the AWS::CodePipeline::Pipeline resource {pipeline} (and its trigger "
        "AWS::Events::Rule) from the stack",
        "terraform": f'remove the aws_codepipeline resource with name = "{pipeline}" (and its '
        "aws_cloudwatch_event_rule), then terraform apply",
    }


def rule(ctx: Context) -> list[Suggestion]:
    usage = ctx.baseline.usage
    if usage.planned:
        ctx.notes.append(f"{RULE}: needs observed executions (a snapshot); not checked for a usage file")
        return []
    pipelines = usage.inventory.pipelines
    if pipelines.empty:
        return []
    start, end = window(ctx)
    days = (end - start).total_seconds() / 86400.0
    executions = observed_executions(ctx)
    rows = ctx.rows
    suggestions: list[Suggestion] = []
    created_at = (
        pd.to_datetime(pipelines["created"], utc=True)
        if "created" in pipelines
        else pd.Series(pd.NaT, index=pipelines.index, dtype="datetime64[ns, UTC]")
    )
    key = ["account", "region", "pipeline"]
    succeeded = {
        tuple(map(str, k)) for k in executions.loc[executions["status"] == "Succeeded", key].itertuples(index=False)
    }
    runs_of = {tuple(map(str, k)): group for k, group in executions.groupby(key)}
    nothing = executions.iloc[0:0]
    for created, (_, info) in zip(created_at.tolist(), pipelines.iterrows(), strict=True):
        account, region, pipeline = str(info["account"]), str(info["region"]), str(info["pipeline"])
        if (account, region, pipeline) in succeeded:
            continue
        runs = runs_of.get((account, region, pipeline), nothing)
        age = (end - created).total_seconds() / 86400.0 if not pd.isna(created) else None
        if age is not None and age < IDLE_DAYS:
            ctx.notes.append(f"{pipeline}: no successful run, but created {age:.0f} days ago: may still be set up")
            continue
        transform = _without(account, region, pipeline)
        finding = (
            f"no successful run in the {days:.0f}-day window"
            if days < IDLE_DAYS
            else f"no successful run in {days:.0f} days"
        )
        saving = ctx.worth(
            transform,
            unpriced=f"{pipeline}: {finding}; its cost is not priced (a price is missing)",
            too_small=f"{pipeline}: {finding}; it costs nothing now, delete it to keep the account tidy",
        )
        if saving is None:
            continue
        buckets = [b for b in str(info.get("artifact_buckets") or "").split(",") if b]
        lines = ctx.baseline.lines
        cost = lines[_attributed(lines, account, region, pipeline)].groupby("service")["cost_usd"].sum()
        long_enough = days >= IDLE_DAYS
        confidence: Confidence = "medium" if long_enough else "low"
        evidence: dict[str, Any] = {
            "finding": finding,
            "window_days": round(days, 1),
            "executions_in_window": {str(k): int(v) for k, v in runs["status"].fillna("?").value_counts().items()},
            "triggers_in_window": {str(k): int(v) for k, v in runs["trigger_type"].fillna("?").value_counts().items()},
            "pipeline_type": str(info.get("type")),
            "created": created.isoformat() if not pd.isna(created) else None,
            "artifact_buckets": buckets,
            "cost_by_service_usd": {str(k): float(v) for k, v in cost.items()},
            "rows_removed": int(_attributed(rows, account, region, pipeline).sum()),
        }
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{pipeline}",
                rule=RULE,
                title=f"Delete idle pipeline {pipeline} ({finding})",
                resources=[pipeline],
                monthly_saving_usd=saving,
                confidence=confidence,
                confidence_reason=(
                    f"{finding}"
                    + ("" if long_enough else f", shorter than the {IDLE_DAYS} days that make a pipeline idle")
                    + "; it may be kept for rollbacks or rare releases; the artifact share is by executions"
                ),
                evidence=evidence,
                change=_change(pipeline, buckets),
                exclusive=pipeline_runs_key(account, region, pipeline),
                usage_patch=[],
                transform=transform,
            )
        )
    return suggestions
