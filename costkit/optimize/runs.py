"""The runs as savings rules see them: every build and action execution with what it billed, exactly the runs
the estimate summed (kept on `Estimate.runs`, never re-derived), plus the keys and row changes the run-based
rules share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from costkit.billing.codebuild import CACHEABLE_PHASES
from costkit.billing.codepipeline import ACTION_MINUTES
from costkit.model.period import Period
from costkit.optimize.base import Batch, Context
from costkit.optimize.rows import Reduction, as_rows, candidates, keep, matched

BUILD_KEY = ["account", "region", "project", "pipeline", "component", "usage_type"]
ACTION_KEY = ["account", "region", "pipeline", "component"]
# The usage-row columns a build's (an action execution's) billed units are on: a run column or a fixed value.
BUILD_MATCH = {"service": "CodeBuild", "account": "account", "region": "region", "resource": "project",
               "pipeline": "pipeline", "component": "component", "usage_type": "usage_type"}  # fmt: skip
ACTION_MATCH = {"service": "CodePipeline", "account": "account", "region": "region", "resource": "pipeline",
                "component": "component", "usage_type": ACTION_MINUTES}  # fmt: skip


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


def reductions(runs: pd.DataFrame, amount: pd.Series, scale: float, *, builds: bool) -> pd.DataFrame:
    """What the given runs billed, per candidate and usage row, for every candidate at once: `runs` (builds, or
    action executions) carry their candidate's number (`candidate`, -1: none) and `amount` is what each billed
    (units of its usage row). One row per candidate and usage row to lower, with the usage-row columns that
    match it and `amount` summed x the projection (`scale`), in candidate order."""
    key, match = (BUILD_KEY, BUILD_MATCH) if builds else (ACTION_KEY, ACTION_MATCH)
    columns = ["candidate", *match, "amount"]
    mine = runs.assign(amount=np.asarray(amount, dtype="float64"))[runs["candidate"].to_numpy() >= 0]
    if mine.empty:
        return pd.DataFrame(columns=columns)
    grouped = mine.groupby(["candidate", *key], dropna=False)["amount"].sum().reset_index()
    grouped = grouped[grouped["amount"] > 0]
    out = pd.DataFrame(
        {column: grouped[source] if source in key else source for column, source in match.items()},
        index=grouped.index,
    )
    return out.assign(candidate=grouped["candidate"], amount=grouped["amount"] * scale)[columns].reset_index(drop=True)


def changes_of(*found: pd.DataFrame) -> dict[int, list[Reduction]]:
    """The `reductions` of each candidate as the (match, amount) pairs `lowering` takes, tables in order."""
    out: dict[int, list[Reduction]] = {}
    for table in found:
        for record in table.to_dict("records"):
            number, amount = int(record.pop("candidate")), float(record.pop("amount"))
            out.setdefault(number, []).append(({str(column): value for column, value in record.items()}, amount))
    return out


def lowering_batch(rows: pd.DataFrame, size: int, *found: pd.DataFrame) -> Batch:
    """`lower` of each candidate's `reductions` (one or more tables), all candidates in one batch: each reduction
    takes its amount off the rows it matches, in row order, never below zero. A candidate's reductions match
    different rows (their keys differ)."""
    positions, numbers, quantities = [], [], []
    for table in found:
        on = [column for column in table.columns if column not in ("candidate", "amount")]
        position, key = matched(rows, table, on)
        order = np.lexsort((position, key))
        position, key = position[order], key[order]
        quantity = rows["quantity"].astype("float64").to_numpy()[position]
        before = np.cumsum(quantity) - quantity
        start = np.searchsorted(key, key)  # each reduction's first row
        remaining = table["amount"].to_numpy(dtype="float64")[key] - (
            before - before[start]
        )  # once earlier rows gave all
        first = np.arange(len(key)) == start
        take = np.where(first | (remaining > 1e-12), np.minimum(np.maximum(remaining, 0.0), quantity), 0.0)
        positions.append(position)
        numbers.append(table["candidate"].to_numpy(dtype=np.int64)[key])
        quantities.append(quantity - take)
    position = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    number = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64)
    lowered = rows.iloc[position].assign(quantity=np.concatenate(quantities) if quantities else 0.0)
    return Batch(size, position, number, as_rows(lowered), number)


def numbered(frame: pd.DataFrame, by: list[str], wanted: pd.Series) -> tuple[pd.DataFrame, list[tuple[str, ...]]]:
    """`frame` with `candidate`: its `by` groups (in sorted order, as `groupby` walks them) that have a `wanted`
    row, -1 for the others; and each candidate's `by` values as texts."""
    candidate, names = candidates(frame, np.ones(len(frame), dtype=bool), by)
    known = candidate >= 0
    has = np.bincount(candidate[known], wanted.to_numpy(dtype=float)[known], minlength=len(names)) > 0
    return frame.assign(candidate=keep(candidate, has)), [name for name, kept in zip(names, has, strict=True) if kept]
