"""Scenario builders: each returns one Change, usable on a usage file's estimate and a snapshot's alike.

Builders here edit usage rows by value, where that is exact: a run's usage is `count x billed`, so scaling how
many runs there are scales the flow rows (action minutes, build minutes, requests, GB-seconds) and leaves the
levels alone (V1 pipeline-months, storage, reserved fleets). Moving resources to another region keeps every
quantity and looks the prices up again there; removing a pipeline drops the rows it is billed for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from costkit.change import Change
from costkit.errors import ParameterError

RowEdit = Callable[[pd.DataFrame], pd.DataFrame]

# What scales with the number of runs: every metered flow. Levels (pipeline-months, stored GB, provisioned
# fleets, objects monitored) stay as they are.
FLOW_METERS = {
    "CodePipeline": {"action-minutes"},
    "Lambda": {"requests", "duration", "ephemeral-storage"},
    "S3": {"put-requests", "get-requests", "retrieval", "transition"},
}
LEVEL_METERS = {"CodeBuild": {"fleet-minutes"}}


def _flows(rows: pd.DataFrame) -> pd.Series:
    """Rows whose quantity is a flow (scales with executions, builds or requests)."""
    flow = pd.Series(False, index=rows.index)
    for service, meters in FLOW_METERS.items():
        flow |= (rows["service"] == service) & rows["meter"].isin(meters)
    builds = rows["service"] == "CodeBuild"
    return flow | (builds & ~rows["meter"].isin(LEVEL_METERS["CodeBuild"]))


def _scaled(rows: pd.DataFrame, hit: pd.Series, factor: float, detail: str) -> pd.DataFrame:
    out = rows.copy()
    out["quantity"] = out["quantity"].astype("float64")
    out.loc[hit, "quantity"] = out.loc[hit, "quantity"] * factor
    out.loc[hit, "detail"] = out.loc[hit, "detail"].fillna("").astype(str) + detail
    return out


def _check_factor(name: str, factor: float) -> float:
    value = float(factor)
    if not np.isfinite(value) or value < 0:
        raise ParameterError(name, factor, "is not a factor: give a finite number of 0 or more (1 = unchanged)")
    return value


def _number(value: float) -> str:
    return f"{value:,.6g}"


def scale_executions(factor: float, pipeline: str | None = None) -> Change:
    """Pipeline executions times `factor` (all pipelines, or one): its action minutes and the builds, function
    requests and artifact requests attributed to it. A V1 pipeline scaled to no executions is not active."""
    value = _check_factor("factor", factor)
    where = f"pipeline {pipeline}" if pipeline else "every pipeline"
    title = f"executions x{_number(value)} ({where})"

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        mine = rows["pipeline"] == pipeline if pipeline is not None else rows["pipeline"].notna()
        out = _scaled(rows, mine & _flows(rows), value, f"; x{_number(value)} executions")
        if value == 0:
            idle = mine & (out["service"] == "CodePipeline") & (out["meter"] == "pipeline-month")
            out.loc[idle, "quantity"] = 0.0
            out.loc[idle, "detail"] = "no executions: not active, no charge"
        return out

    return Change(title, edit)


def scale_builds(factor: float, project: str | None = None) -> Change:
    """CodeBuild builds times `factor` (every project, or one): their build minutes or seconds."""
    value = _check_factor("factor", factor)
    title = f"builds x{_number(value)} ({f'project {project}' if project else 'every project'})"

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        mine = rows["service"] == "CodeBuild"
        if project is not None:
            mine &= rows["resource"] == project
        return _scaled(rows, mine & _flows(rows), value, f"; x{_number(value)} builds")

    return Change(title, edit)


def growth(rate: float, months: int) -> Change:
    """Every flow grown by `rate` a month, compounded over `months` (0.05 for 5% a month): executions, builds,
    requests. Levels (pipeline-months, storage, fleets) do not grow."""
    if not np.isfinite(float(rate)) or rate <= -1:
        raise ParameterError("rate", rate, "is not a monthly growth rate: give a number above -1 (0.05 is 5% a month)")
    if int(months) != months or months < 0:
        raise ParameterError("months", months, "is not a number of months: give a whole number, 0 or more")
    factor = (1.0 + float(rate)) ** int(months)
    title = f"growth {100 * rate:+.4g}%/month for {int(months)} months (x{_number(factor)})"

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        return _scaled(rows, _flows(rows), factor, f"; x{_number(factor)} growth")

    return Change(title, edit)


def move_region(region: str, pipeline: str | None = None) -> Change:
    """Resources moved to `region` (all, or those billed for one pipeline), priced there; a usage type with no
    price there is missing, never $0."""
    title = f"move {f'pipeline {pipeline}' if pipeline else 'everything'} to {region}"

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        out = rows.copy()
        hit = out["pipeline"] == pipeline if pipeline is not None else pd.Series(True, index=out.index)
        out.loc[hit, "region"] = region
        return out

    return Change(title, edit)


def remove_pipeline(pipeline: str) -> Change:
    """A pipeline removed, with everything billed for it (its builds, functions and artifact storage as
    attributed to it); shared resources attributed to no pipeline stay."""

    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        gone = (rows["pipeline"] == pipeline) | ((rows["service"] == "CodePipeline") & (rows["resource"] == pipeline))
        return rows[~gone].reset_index(drop=True)

    return Change(f"remove pipeline {pipeline}", edit)
