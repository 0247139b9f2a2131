"""V1 <-> V2 per pipeline: $1 per active pipeline-month against $0.002 per action minute, re-priced with
the account's shared free allowances. A pipeline using V2-only features (triggers with filters,
variables, QUEUED or PARALLEL mode) is never told to go back to V1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.optimize.base import Context, Suggestion
from costkit.optimize.rows import replace
from costkit.usage.derive import billed_units

RULE = "pipeline-type"
FEATURE_COLUMNS = ["account", "region", "pipeline", "type", "blockers"]
PipelineKey = tuple[str, str, str]
CHANGE_TO = {
    "V1": {
        "console": "CodePipeline > pipeline > Edit > Pipeline type: V1",
        "cli": 'aws codepipeline update-pipeline --cli-input-json file://pipeline.json  # with "pipelineType": "V1"',
        "cloudformation": "AWS::CodePipeline::Pipeline  PipelineType: V1",
        "terraform": 'resource "aws_codepipeline" { pipeline_type = "V1" }',
    },
    "V2": {
        "console": "CodePipeline > pipeline > Edit > Pipeline type: V2",
        "cli": 'aws codepipeline update-pipeline --cli-input-json file://pipeline.json  # with "pipelineType": "V2"',
        "cloudformation": "AWS::CodePipeline::Pipeline  PipelineType: V2",
        "terraform": 'resource "aws_codepipeline" { pipeline_type = "V2" }',
    },
}


def _features(ctx: Context) -> pd.DataFrame:
    """Per pipeline: type and the V2-only features in use (from the usage file or the snapshot)."""
    if ctx.spec is not None:
        records = []
        for name, pipeline in ctx.spec.pipelines.items():
            mode = getattr(pipeline, "execution_mode", "SUPERSEDED")
            records.append(
                {
                    "account": pipeline.account or ctx.spec.account,
                    "region": ctx.baseline.options.get("region") or pipeline.region or ctx.spec.region,
                    "pipeline": name,
                    "type": pipeline.type,
                    "blockers": ", ".join(
                        label
                        for label, used in (
                            (f"{mode} execution mode", mode in ("QUEUED", "PARALLEL")),
                            ("triggers", bool(getattr(pipeline, "triggers", False))),
                            ("variables", bool(getattr(pipeline, "variables", False))),
                        )
                        if used
                    ),
                }
            )
        return pd.DataFrame(records, columns=FEATURE_COLUMNS)
    pipelines = ctx.snapshot.table("pipelines") if ctx.snapshot is not None else pd.DataFrame()
    if pipelines.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    mode = pipelines["execution_mode"].fillna("SUPERSEDED")
    parts = pd.DataFrame(
        {
            "mode": np.where(mode.isin(["QUEUED", "PARALLEL"]), mode + " execution mode", ""),
            "triggers": np.where(pipelines["has_triggers"].astype(bool), "triggers", ""),
            "variables": np.where(pipelines["has_variables"].astype(bool), "variables", ""),
        }
    )
    blockers = (
        (parts["mode"] + ", " + parts["triggers"] + ", " + parts["variables"])
        .str.replace(r"(^(, )+)|((, )+$)", "", regex=True)
        .str.replace(r"(, ){2,}", ", ", regex=True)
    )
    return pd.DataFrame(
        {
            "account": pipelines["account"],
            "region": pipelines["region"],
            "pipeline": pipelines["pipeline"],
            "type": pipelines["pipeline_type"],
            "blockers": blockers,
        }
    )


def _v2_minutes_of_v1(ctx: Context) -> dict[PipelineKey, float]:
    """What each V1 pipeline would bill as V2: its action minutes, rounded per action execution."""
    minutes: dict[PipelineKey, float] = {}
    if ctx.spec is not None:
        places = _features(ctx).set_index("pipeline")
        for name, pipeline in ctx.spec.pipelines.items():
            if pipeline.type != "V1" or not pipeline.executions_per_month or not pipeline.actions:
                continue
            charged = [a for a in pipeline.actions if a.category != "Approval" and a.owner != "Custom"]
            minutes[(str(places.at[name, "account"]), str(places.at[name, "region"]), name)] = float(
                sum(
                    pipeline.executions_per_month * a.runs_per_execution * billed_units(np.array([a.minutes]))[0]
                    for a in charged
                )
            )
        return minutes
    if ctx.snapshot is None:
        return minutes
    actions = ctx.snapshot.table("action_executions")
    pipelines = ctx.snapshot.table("pipelines")
    if actions.empty or pipelines.empty:
        return minutes
    key = ["account", "region", "pipeline"]
    v1 = pipelines.loc[pipelines["pipeline_type"] == "V1", key]
    mine = actions.merge(v1, on=key)
    mine = mine[(mine["category"] != "Approval") & (mine["owner"] != "Custom")]
    window = ctx.snapshot.manifest.get("window") or {}
    start, end = pd.Timestamp(window["start"]), pd.Timestamp(window["end"])
    began = pd.to_datetime(mine["start"], utc=True)
    ended = pd.to_datetime(mine["last_update"], utc=True)
    seconds = (ended.where(ended < end, end) - began.where(began > start, start)).dt.total_seconds()
    billed = mine.assign(billed=np.where(seconds > 0, billed_units(seconds / 60.0), 0.0))
    factor = float(ctx.baseline.options.get("projection_factor", 1.0))
    totals = billed.groupby(key)["billed"].sum().reset_index()
    return {
        (str(a), str(r), str(p)): float(v) * factor for a, r, p, v in totals[[*key, "billed"]].itertuples(index=False)
    }


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    suggestions: list[Suggestion] = []
    features = _features(ctx)
    blockers_of = {
        (str(a), str(r), str(p)): str(b)
        for a, r, p, b in features[["account", "region", "pipeline", "blockers"]].itertuples(index=False)
    }
    pipeline_rows = rows[rows["service"] == "CodePipeline"]
    would_be_minutes = _v2_minutes_of_v1(ctx)
    for (account, region, name), group in pipeline_rows.groupby(["account", "region", "resource"]):
        first = group.iloc[0]
        place = (str(account), str(region), str(name))
        key = f"{RULE}:{account}:{region}:{name}"
        is_v2 = bool((group["usage_type"] == "ActionExecutionMinutes").any())
        if is_v2:
            blockers = blockers_of.get(place, "")
            minutes = float(group["quantity"].sum())
            match = {
                "service": "CodePipeline",
                "account": str(first["account"]),
                "region": str(first["region"]),
                "resource": str(name),
            }

            def to_v1(
                r: pd.DataFrame, match: dict[str, str] = match, first: pd.Series = first, name: str = str(name)
            ) -> pd.DataFrame:
                return replace(r, match, [{
                    "account": first["account"], "region": first["region"], "service": "CodePipeline",
                    "resource": name, "component": "pipeline (V1)", "pipeline": name, "usage_type": "ActivePipeline",
                    "quantity": 1.0, "unit": "Pipeline-Month", "detail": "as V1: 1 pipeline-month"}])  # fmt: skip

            saving = ctx.saving(to_v1)
            if saving is None or saving <= 0.005:
                continue
            if blockers:
                ctx.notes.append(
                    f"{name}: V1 would save ${saving:,.2f}/month, but the pipeline uses {blockers}, "
                    "which exist only on V2: keep V2."
                )
                continue
            suggestions.append(
                Suggestion(
                    id=f"{RULE}-v1-{name}",
                    rule=RULE,
                    title=f"Switch pipeline {name} to V1",
                    resources=[str(name)],
                    monthly_saving_usd=saving,
                    confidence="high",
                    confidence_reason="its action minutes against a flat $1; no V2-only feature in use",
                    evidence={"v2_action_minutes": minutes, "v1_price_usd": 1.0},
                    change=CHANGE_TO["V1"],
                    exclusive=key,
                    usage_patch=[{"op": "set", "path": f"pipelines.{name}.type", "value": "V1"}]
                    + [
                        {"op": "remove", "path": f"pipelines.{name}.{field}"}
                        for field in ("execution_mode", "triggers", "variables")
                    ],
                    transform=to_v1,
                )
            )
        elif place in would_be_minutes:
            minutes = would_be_minutes[place]
            match = {
                "service": "CodePipeline",
                "account": str(first["account"]),
                "region": str(first["region"]),
                "resource": str(name),
            }

            def to_v2(
                r: pd.DataFrame,
                match: dict[str, str] = match,
                first: pd.Series = first,
                name: str = str(name),
                minutes: float = minutes,
            ) -> pd.DataFrame:
                return replace(r, match, [{
                    "account": first["account"], "region": first["region"], "service": "CodePipeline",
                    "resource": name, "component": "all actions (V2)", "pipeline": name,
                    "usage_type": "ActionExecutionMinutes", "quantity": minutes, "unit": "Minute",
                    "detail": "as V2: measured action minutes"}])  # fmt: skip

            saving = ctx.saving(to_v2)
            if saving is None or saving <= 0.005:
                continue
            suggestions.append(
                Suggestion(
                    id=f"{RULE}-v2-{name}",
                    rule=RULE,
                    title=f"Switch pipeline {name} to V2",
                    resources=[str(name)],
                    monthly_saving_usd=saving,
                    confidence="high",
                    confidence_reason="action minutes re-priced at the V2 rate with the shared 100 free minutes",
                    evidence={"v2_action_minutes": minutes, "v1_price_usd": 1.0},
                    change=CHANGE_TO["V2"],
                    exclusive=key,
                    usage_patch=[
                        {"op": "set", "path": f"pipelines.{name}.type", "value": "V2"},
                        {"op": "remove", "path": f"pipelines.{name}.active"},
                    ],
                    transform=to_v2,
                )
            )
    return suggestions
