"""V1 <-> V2 per pipeline: $1 per active pipeline-month against $0.002 per action minute, re-priced with
the account's shared free allowances. A pipeline using V2-only features (triggers with filters,
variables, QUEUED or PARALLEL mode) is never told to go back to V1."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from costkit.billing.codepipeline import ACTION_MINUTES, ACTIVE_PIPELINE
from costkit.model.rows import ROW_COLUMNS
from costkit.optimize.base import MIN_SAVING_USD, Batch, Context, RowChange, Suggestion, scoped
from costkit.optimize.rows import candidates, keep, replace

RULE = "pipeline-type"
FEATURE_COLUMNS = ["account", "region", "pipeline", "type", "blockers"]
PipelineKey = tuple[str, str, str]
PLACE = ["account", "region", "resource"]
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
    """Per pipeline: type and the V2-only features in use (from the inventory, for either source)."""
    pipelines = ctx.baseline.inventory.pipelines
    if pipelines.empty:
        return pd.DataFrame(columns=FEATURE_COLUMNS)
    mode = pipelines["execution_mode"].fillna("SUPERSEDED")
    modes: pd.Series = pd.Series(np.where(mode.isin(["QUEUED", "PARALLEL"]), mode + " execution mode", ""), dtype=str)
    triggers = np.where(pipelines["triggers"].astype(object).fillna(False).astype(bool), "triggers", "")
    variables = np.where(pipelines["variables"].astype(object).fillna(False).astype(bool), "variables", "")
    listed: pd.Series = modes + ", " + pd.Series(triggers, dtype=str) + ", " + pd.Series(variables, dtype=str)
    blockers = listed.str.replace(r"(^(, )+)|((, )+$)", "", regex=True).str.replace(r"(, ){2,}", ", ", regex=True)
    return pd.DataFrame(
        {
            "account": pipelines["account"],
            "region": pipelines["region"],
            "pipeline": pipelines["pipeline"],
            "type": pipelines["type"],
            "blockers": blockers,
        }
    )


def _v2_minutes_of_v1(ctx: Context) -> dict[PipelineKey, float]:
    """What each V1 pipeline would bill as V2: the V2 minutes of its runs (planned or observed, metered once by
    the estimate), projected like the baseline."""
    runs = ctx.baseline.runs.actions
    v1 = runs[~runs["v2"].astype(bool) & (runs["count"].astype(float) > 0)]
    if v1.empty:
        return {}
    key = ["account", "region", "pipeline"]
    totals = v1.assign(total=v1["count"].astype(float) * v1["minutes"].astype(float)).groupby(key)["total"].sum()
    scale = float(ctx.baseline.options.get("projection_factor", 1.0))
    return {
        (str(a), str(r), str(p)): float(v) * scale
        for a, r, p, v in totals.reset_index()[[*key, "total"]].itertuples(index=False)
    }


# What a pipeline's usage rows become after the switch, and how the usage file says it.
AFTER = {
    "V1": {"component": "pipeline (V1)", "usage_type": ACTIVE_PIPELINE, "unit": "Pipeline-Month",
           "meter": "pipeline-month", "detail": "as V1: 1 pipeline-month"},
    "V2": {"component": "all actions (V2)", "usage_type": ACTION_MINUTES, "unit": "Minute",
           "meter": "action-minutes", "detail": "as V2: measured action minutes"},
}  # fmt: skip
REASON = {
    "V1": "its action minutes against a flat $1; no V2-only feature in use",
    "V2": "action minutes re-priced at the V2 rate with the shared 100 free minutes",
}


def _switch(place: PipelineKey, to: str, quantity: float) -> RowChange:
    """The pipeline's CodePipeline rows replaced by what it would bill as `to`."""
    account, region, name = place
    match = {"service": "CodePipeline", "account": account, "region": region, "resource": name}
    row = {**match, "pipeline": name, "quantity": quantity, **AFTER[to]}

    def transform(rows: pd.DataFrame) -> pd.DataFrame:
        return replace(rows, match, [row])

    return scoped(transform, [match])


def _patch(name: str, to: str) -> list[dict[str, object]]:
    """The same switch on a usage file: fields the other type does not have are removed."""
    dropped = ("execution_mode", "triggers", "variables") if to == "V1" else ("active",)
    steps: list[dict[str, object]] = [{"op": "set", "path": f"pipelines.{name}.type", "value": to}]
    return steps + [{"op": "remove", "path": f"pipelines.{name}.{field}"} for field in dropped]


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
    would_be_minutes = _v2_minutes_of_v1(ctx)
    candidate, places = candidates(rows, (rows["service"] == "CodePipeline").to_numpy(), PLACE)
    quantity = rows["quantity"].astype("float64").to_numpy()
    on_minutes = np.bincount(candidate + 1, rows["usage_type"].to_numpy() == ACTION_MINUTES, len(places) + 1)[1:]
    minutes_now = np.bincount(candidate + 1, quantity, len(places) + 1)[1:]
    switches: list[tuple[PipelineKey, str, float, float]] = []  # place, to, quantity after, minutes
    kept = np.zeros(len(places), dtype=bool)
    for number, key in enumerate(places):
        place = cast(PipelineKey, key)
        if on_minutes[number] > 0:
            switches.append((place, "V1", 1.0, float(minutes_now[number])))
        elif place in would_be_minutes:
            switches.append((place, "V2", would_be_minutes[place], would_be_minutes[place]))
        else:
            continue
        kept[number] = True
    added = pd.DataFrame(
        [
            {"service": "CodePipeline", "account": a, "region": r, "resource": n, "pipeline": n, "quantity": q,
             **AFTER[to]}
            for (a, r, n), to, q, _minutes in switches
        ],
        columns=list(ROW_COLUMNS),
    )  # fmt: skip
    batch = Batch.replaced(rows, keep(candidate, kept), added, np.arange(len(switches)))
    savings = ctx.savings(batch)
    for number, (place, to, quantity_after, minutes) in enumerate(switches):
        account, region, name = place
        saving = float(savings[number])
        if np.isnan(saving) or saving <= MIN_SAVING_USD:
            continue
        transform = _switch(place, to, quantity_after)
        blockers = blockers_of.get(place, "")
        if to == "V1" and blockers:
            ctx.notes.append(
                f"{name}: V1 would save ${saving:,.2f}/month, but the pipeline uses {blockers}, "
                "which exist only on V2: keep V2."
            )
            continue
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{to.lower()}-{name}",
                rule=RULE,
                title=f"Switch pipeline {name} to {to}",
                resources=[str(name)],
                monthly_saving_usd=saving,
                confidence="high",
                confidence_reason=REASON[to],
                evidence={"v2_action_minutes": minutes, "v1_price_usd": 1.0},
                change=CHANGE_TO[to],
                exclusive=f"{RULE}:{account}:{region}:{name}",
                usage_patch=_patch(str(name), to),
                transform=transform,
                priced_in=(batch, number),
            )
        )
    return suggestions
