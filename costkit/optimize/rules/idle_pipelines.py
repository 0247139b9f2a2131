"""Idle pipelines: no successful execution for 60+ days (or in the whole window, when it is shorter), yet
still costing money: a V1 pipeline-month when something ran, its share of the artifact bucket, and the
runs (scheduled or not) that keep failing. The saving is everything the estimate attributes to the
pipeline (rows with pipeline == its name in its account and region), re-priced without it.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from costkit.optimize.base import PLACE, Batch, Confidence, Context, RowChange, Suggestion, scoped
from costkit.optimize.rows import as_rows, matched
from costkit.optimize.runs import observed_executions, pipeline_runs_key, window

RULE = "idle-pipelines"
IDLE_DAYS = 60  # no successful run for this long makes a pipeline idle
ARTIFACT_PREFIX_CHARS = 20  # CodePipeline names a pipeline's artifact folder after its first 20 characters


def _attributed(frame: pd.DataFrame, account: str, region: str, pipeline: str) -> pd.Series:
    """Rows (or priced lines) the estimate attributes to the pipeline: its own, and those with its name."""
    here = (frame["account"] == account) & (frame["region"] == region)
    own = (frame["service"] == "CodePipeline") & (frame["resource"] == pipeline)
    return here & ((frame["pipeline"] == pipeline) | own)


def _without(account: str, region: str, pipeline: str, places: list[dict[str, object]]) -> RowChange:
    """The pipeline's rows dropped: declared to touch only the resources (`places`) the baseline attributes
    to it, its own included."""

    def transform(rows: pd.DataFrame) -> pd.DataFrame:
        return rows[~_attributed(rows, account, region, pipeline)].reset_index(drop=True)

    return scoped(transform, [{"account": account, "region": region, "resource": pipeline}, *places])


def _attributions(frame: pd.DataFrame, found: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, candidate) pair where `_attributed` holds for the candidate's account, region and pipeline
    (`found`), in row order."""
    by_name = matched(frame, found, ["account", "region", "pipeline"])
    own = np.flatnonzero((frame["service"] == "CodePipeline").to_numpy())
    at, number = matched(frame.iloc[own], found.rename(columns={"pipeline": "resource"}), PLACE)
    pairs = np.unique(np.stack([np.concatenate([by_name[0], own[at]]), np.concatenate([by_name[1], number])]), axis=1)
    return pairs[0].astype(np.int64), pairs[1].astype(np.int64)


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
    pipelines = usage.inventory.pipelines.reset_index(drop=True)
    if pipelines.empty:
        return []
    start, end = window(ctx)
    days = (end - start).total_seconds() / 86400.0
    executions = observed_executions(ctx)
    rows = ctx.rows
    created_at = (
        pd.to_datetime(pipelines["created"], utc=True)
        if "created" in pipelines
        else pd.Series(pd.NaT, index=pipelines.index, dtype="datetime64[ns, UTC]")
    )
    key = ["account", "region", "pipeline"]
    names = pipelines[key].map(str)
    succeeded = executions.loc[executions["status"] == "Succeeded", key].map(str)
    ran = np.zeros(len(names), dtype=bool)
    if len(succeeded):
        ran = np.asarray(pd.MultiIndex.from_frame(names).isin(pd.MultiIndex.from_frame(succeeded)), dtype=bool)
    age = ((end - created_at).dt.total_seconds() / 86400.0).to_numpy(dtype="float64")
    idle = names[~ran].assign(age=age[~ran])
    idle["young"] = idle["age"] < IDLE_DAYS  # an unknown creation date (NaN) is not young
    found = idle[~idle["young"]].reset_index(names="entry")
    position, number = _attributions(rows, found)
    batch = Batch(len(found), position, number, as_rows(rows.iloc[0:0]), np.zeros(0, dtype=np.int64))
    savings = ctx.savings(batch)
    places = rows.iloc[position][PLACE].map(str).assign(candidate=number).drop_duplicates()
    places_of: dict[int, list[dict[str, object]]] = {
        int(cast(int, n)): [dict(zip(PLACE, place, strict=True)) for place in group[PLACE].itertuples(index=False)]
        for n, group in places.groupby("candidate")
    }
    removed_of = np.bincount(number, minlength=len(found))
    lines = ctx.baseline.lines
    at, line_of = _attributions(lines, found)
    cost = lines.iloc[at][["service", "cost_usd"]].assign(candidate=line_of)
    cost_of = {int(cast(int, n)): group.groupby("service")["cost_usd"].sum() for n, group in cost.groupby("candidate")}
    groups = executions.groupby(key).indices if len(executions) else {}
    runs_of = {tuple(str(v) for v in cast(tuple[Any, ...], k)): at for k, at in groups.items()}
    candidate_of = dict(zip(found["entry"], range(len(found)), strict=True))
    suggestions: list[Suggestion] = []
    for entry, item in idle.iterrows():
        account, region, pipeline = str(item["account"]), str(item["region"]), str(item["pipeline"])
        created = created_at.iloc[int(cast(int, entry))]
        if item["young"]:
            ctx.notes.append(
                f"{pipeline}: no successful run, but created {item['age']:.0f} days ago: may still be set up"
            )
            continue
        number = candidate_of[entry]
        finding = (
            f"no successful run in the {days:.0f}-day window"
            if days < IDLE_DAYS
            else f"no successful run in {days:.0f} days"
        )
        saving = ctx.judge(
            float(savings[number]),
            unpriced=f"{pipeline}: {finding}; its cost is not priced (a price is missing)",
            too_small=f"{pipeline}: {finding}; it costs nothing now, delete it to keep the account tidy",
        )
        if saving is None:
            continue
        info = pipelines.iloc[int(cast(int, entry))]
        runs = executions.iloc[runs_of.get((account, region, pipeline), np.zeros(0, dtype=np.int64))]
        listed = info.get("artifact_buckets")  # text, or missing (None, or NaN from a column read as all-null)
        buckets = [b for b in listed.split(",") if b] if isinstance(listed, str) else []
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
            "cost_by_service_usd": {
                str(k): float(v) for k, v in cost_of.get(number, pd.Series(dtype="float64")).items()
            },
            "rows_removed": int(removed_of[number]),
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
                transform=_without(account, region, pipeline, places_of.get(number, [])),
                priced_in=(batch, number),
            )
        )
    return suggestions
