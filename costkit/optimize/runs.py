"""The runs as savings rules see them: every build and action execution with what it billed, exactly the runs
the estimate summed (kept on `Estimate.runs`, never re-derived), plus the keys and row changes the run-based
rules share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd

from costkit.billing.codebuild import CACHEABLE_PHASES
from costkit.billing.codepipeline import ACTION_MINUTES
from costkit.model.period import Period
from costkit.optimize.base import Context, RowChange
from costkit.optimize.rows import Reduction, lowering

BUILD_KEY = ["account", "region", "project", "pipeline", "component", "usage_type"]
ACTION_KEY = ["account", "region", "pipeline", "component"]


def pipeline_runs_key(account: str, region: str, pipeline: str) -> str:
    """One exclusive key for every suggestion that lowers a pipeline's own runs (trimming rounding waste,
    avoiding wasted runs, deleting an idle pipeline): their reductions overlap, so only the best counts."""
    return f"pipeline-runs:{account}:{region}:{pipeline}"


def project_runs_key(account: str, region: str, project: str) -> str:
    """The same for a CodeBuild project's builds started outside a pipeline."""
    return f"project-runs:{account}:{region}:{project}"


def window(ctx: Context) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The collection window the baseline observed, [start, end) in UTC (a usage file: its period)."""
    bounds = ctx.baseline.usage.observed.get("window")
    span = Period.parse(bounds) if bounds else ctx.baseline.period
    return pd.Timestamp(span.start), pd.Timestamp(span.end)


def observed_executions(ctx: Context) -> pd.DataFrame:
    """Pipeline executions in the window (status, trigger), as the snapshot recorded them (none for a usage file)."""
    return ctx.baseline.runs.executions


def factor(ctx: Context) -> float:
    """Observed window -> month projection the baseline applied to every flow."""
    return float(ctx.baseline.options.get("projection_factor", 1.0))


def observed_builds(ctx: Context) -> pd.DataFrame:
    """Finished builds in the window exactly as the estimate billed them (none for a usage file)."""
    runs = ctx.baseline.runs
    return runs.builds.iloc[0:0] if runs.planned else runs.builds


def observed_actions(ctx: Context) -> pd.DataFrame:
    """Action executions in the window exactly as the estimate billed them (none for a usage file)."""
    runs = ctx.baseline.runs
    return runs.actions.iloc[0:0] if runs.planned else runs.actions


def on_demand_builds(ctx: Context) -> pd.DataFrame:
    """The priced on-demand build runs (planned or observed: weigh them by `count`) with `billing_unit`, the
    cacheable phase seconds filled (0 when unknown) and `day` (start date). Fleet builds are left out: a
    reserved-capacity fleet does not bill per build minute."""
    runs = ctx.baseline.runs.builds
    if runs.empty:
        return pd.DataFrame()
    runs = runs[~runs["fleet"].fillna(False).astype(bool) & runs["usage_type"].notna()].copy()
    runs["billing_unit"] = runs["unit"]
    runs["day"] = pd.to_datetime(runs["start"], utc=True).dt.date
    for column in CACHEABLE_PHASES:
        runs[column] = runs[column].astype(float).fillna(0.0)
    return runs.reset_index(drop=True)


def build_row_key(group: Mapping[Any, Any]) -> dict[str, object]:
    """The usage-row key of a group of `on_demand_builds` (by account, region, project, pipeline, component and
    billing_unit): matches its on-demand rows,
    whatever their usage type (so a right-size applied first still matches), never a fleet's per-build row."""
    return {
        "service": "CodeBuild",
        "account": group["account"],
        "region": group["region"],
        "resource": group["project"],
        "pipeline": group["pipeline"],
        "component": group["component"],
        "unit": group["billing_unit"],
    }


def _changes(
    frame: pd.DataFrame, amount: pd.Series, scale: float, key: list[str], match: dict[str, Any]
) -> list[Reduction]:
    """Per usage row: the summed `amount` of the given runs x the projection, matched by value.

    `match` maps usage-row columns to run columns (a column name of `key`) or to a fixed value."""
    if frame.empty:
        return []
    grouped = frame.assign(amount=amount).groupby(key, dropna=False)["amount"].sum()
    changes: list[Reduction] = []
    for group, total in grouped.items():
        values = dict(zip(key, cast(tuple[Any, ...], group), strict=True))
        if total > 0:
            row = {
                column: values.get(source, source) if isinstance(source, str) else source
                for column, source in match.items()
            }
            changes.append((row, float(total) * scale))
    return changes


def build_changes(builds: pd.DataFrame, amount: pd.Series, scale: float) -> list[Reduction]:
    """Per CodeBuild usage row: `amount` (billed units of the given builds) x the projection."""
    match = {"service": "CodeBuild", "account": "account", "region": "region", "resource": "project",
             "pipeline": "pipeline", "component": "component", "usage_type": "usage_type"}  # fmt: skip
    return _changes(builds, amount, scale, BUILD_KEY, match)


def action_changes(actions: pd.DataFrame, amount: pd.Series, scale: float) -> list[Reduction]:
    """Per ActionExecutionMinutes row: `amount` (billed minutes of the given action executions) x the projection."""
    match = {"service": "CodePipeline", "account": "account", "region": "region", "resource": "pipeline",
             "component": "component", "usage_type": ACTION_MINUTES}  # fmt: skip
    return _changes(actions, amount, scale, ACTION_KEY, match)


def lowered(ctx: Context, changes: list[Reduction], *, unpriced: str, too_small: str) -> tuple[RowChange, float] | None:
    """The row change taking `changes` off the baseline and its saving, when there is something to take off and
    it is worth a suggestion (else None, with the note `Context.worth` writes)."""
    if not changes:
        return None
    transform = lowering(changes)
    saving = ctx.worth(transform, unpriced=unpriced, too_small=too_small)
    return None if saving is None else (transform, saving)
