"""CodePipeline's metering: V1 bills a flat pipeline-month, V2 bills action minutes.

V2 rounds every action execution up to a whole minute; manual approvals and custom actions are not charged.
https://aws.amazon.com/codepipeline/pricing/
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing.meters import name
from costkit.billing.units import billed_units, ran_for
from costkit.model.rows import concat_rows, fmt, rows_for
from costkit.model.usage import Usage

ACTIVE_PIPELINE = name("CodePipeline", "pipeline-month", "active")
TRIAL_PIPELINE = name("CodePipeline", "pipeline-month", "trial")
ACTION_MINUTES = name("CodePipeline", "action-minutes")
NOT_CHARGED_CATEGORY = "Approval"
NOT_CHARGED_OWNER = "Custom"


def pipeline_month(trial: pd.Series | np.ndarray) -> np.ndarray:
    """The V1 usage type of each pipeline: its free trial month, or an active pipeline-month."""
    return np.where(np.asarray(trial, dtype=bool), TRIAL_PIPELINE, ACTIVE_PIPELINE)


def charged(category: pd.Series, owner: pd.Series) -> pd.Series:
    """Actions V2 charges for: every action but manual approvals and custom actions."""
    return (category != NOT_CHARGED_CATEGORY) & (owner != NOT_CHARGED_OWNER)


def action_minutes(seconds: pd.Series | np.ndarray, ran: pd.Series | np.ndarray | bool | None = None) -> np.ndarray:
    """The V2 minutes one action execution bills: its seconds rounded up to a whole minute, at least one;
    nothing for one that did not run (by default: no known time). The only per-execution rounding in costkit."""
    values = np.asarray(seconds, dtype=float)
    return np.where(ran_for(values, ran), billed_units(np.nan_to_num(values, nan=0.0) / 60.0), 0.0)


def meter(actions: pd.DataFrame, pipelines: pd.DataFrame, *, planned: bool) -> pd.DataFrame:
    """Action runs with what each bills, from their `seconds` and their pipeline's type (in `pipelines`):
    `v2`, `charged`, `minutes` (what it bills, or would bill, on V2) and `billed` (what it bills as it is).
    A planned run always ran; an observed one ran when it has time."""
    if actions.empty:
        return actions
    key = ["account", "region", "pipeline"]
    types = pipelines[[*key, "type"]].drop_duplicates(key)
    out = actions.drop(columns=["type"], errors="ignore").merge(types, on=key, how="left")
    out.index = actions.index
    chargeable = charged(out["category"], out["owner"])
    out["v2"] = out["type"] == "V2"
    out["charged"] = out["v2"] & chargeable
    out["minutes"] = np.where(chargeable, action_minutes(out["seconds"], ran=True if planned else None), 0.0)
    out["billed"] = np.where(out["v2"], out["minutes"], 0.0)
    return out.reindex(columns=actions.columns)


def rows(usage: Usage) -> tuple[pd.DataFrame, set[str]]:
    """CodePipeline's usage rows: a pipeline-month per V1 pipeline (inventory), and per V2 action the minutes its
    runs billed (`count x billed`, x the projection); plus the ids of the conventions they rely on."""
    parts, noted = _v1(usage.inventory.pipelines, usage.planned)
    runs = usage.runs.actions
    v2 = runs[runs["v2"].astype(bool)] if not runs.empty else runs
    if not v2.empty:
        noted |= {"v2-exclusions", "v2-free-minutes-pricing-page"}
        noted.add("v2-average-rounding" if usage.planned else "observed-v2-rounding")
        parts.append(_v2(v2, usage.projection))
    return concat_rows(parts), noted


def _v1(pipelines: pd.DataFrame, planned: bool) -> tuple[list[pd.DataFrame], set[str]]:
    v1 = pipelines[pipelines["type"] == "V1"]
    if v1.empty:
        return [], set()
    noted = {"v1-active"} if planned else {"v1-active", "observed-v1-active"}
    age = v1["age_days"].astype(float)
    if age.isna().any():
        noted.add("v1-created-unknown")
    trial = age.notna() & (age <= 30)
    active = v1["active"].astype(object).fillna(False).astype(bool)
    detail = np.select(
        [trial & (age <= 0), ~active, trial],
        [
            "created after the period: no charge",
            "no code change in the month: not active, no charge",
            "in its first 30 days at the end of the month: free trial",
        ],
        default="active in the month: 1 pipeline-month",
    )
    quantity = np.where(active & (age.isna() | (age > 0)), 1.0, 0.0)
    row = rows_for(v1, service="CodePipeline", resource=v1["pipeline"], component="pipeline (V1)",
                   pipeline=v1["pipeline"], usage_type=pipeline_month(trial), quantity=quantity,
                   unit="Pipeline-Month", meter="pipeline-month", detail=detail)  # fmt: skip
    return [row], noted


def _v2(v2: pd.DataFrame, projection: float) -> pd.DataFrame:
    key = ["account", "region", "pipeline", "stage", "action", "category", "owner", "component"]
    counted = v2.assign(
        runs=v2["count"].astype(float),
        run_minutes=v2["count"].astype(float) * v2["seconds"].astype(float).fillna(0.0) / 60.0,
        billed=v2["count"].astype(float) * v2["billed"].astype(float),
    )
    grouped = (
        counted.groupby(key, dropna=False, sort=False)
        .agg(billed=("billed", "sum"), runs=("runs", "sum"), run_minutes=("run_minutes", "sum"))
        .reset_index()
    )
    reason = np.where(grouped["category"] == NOT_CHARGED_CATEGORY, "manual approval", "custom action")
    detail = np.where(
        charged(grouped["category"], grouped["owner"]),
        fmt(grouped["runs"]) + " action executions, " + fmt(grouped["run_minutes"]) + " min run, "
        + fmt(grouped["billed"]) + " min billed (each execution rounded up to a minute)",
        fmt(grouped["runs"]) + " action executions: " + reason + ", not charged",
    )  # fmt: skip
    return rows_for(grouped, service="CodePipeline", resource=grouped["pipeline"], component=grouped["component"],
                    pipeline=grouped["pipeline"], usage_type=ACTION_MINUTES, meter="action-minutes",
                    quantity=grouped["billed"] * projection, unit="Minute", detail=detail)  # fmt: skip
