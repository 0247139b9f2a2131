"""Why the bill moved: the month-over-month change split into executions, duration, compute mix, storage, price
and free tier, by chained substitution over the two months' cost lines. The parts telescope, so they sum to
the change exactly (up to floating-point rounding).

Per resource (a pipeline, a CodeBuild project, a Lambda function, a bucket), with n its runs (pipeline
executions, builds, Lambda requests), and for its time-metered usage types u (action minutes, build minutes
or seconds, GB-seconds) q_u = n x m x s_u, where m is time per run and s_u the share of type u:

    executions   n1 m0 S(s0 p0)  - n0 m0 S(s0 p0)      (plus the change in count-metered quantities at old prices)
    duration     n1 m1 S(s0 p0)  - n1 m0 S(s0 p0)
    compute_mix  n1 m1 S(s1 p0)  - n1 m1 S(s0 p0)
    storage      (q1 - q0) p0 for storage levels (GB-months)
    price        S q1 (p1 - p0)                         (list-price and tier-blend changes)
    free_tier    -(f1 - f0)                              (the change in always-free allowances applied)

p is each line's gross rate (gross / quantity). A usage type or resource new this month is priced at its own
rate (no price effect) and counts as executions; one that disappeared counts as executions too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from costkit.estimate import Estimate

DRIVERS = ("executions", "duration", "compute_mix", "storage", "price", "free_tier")
KEY = ["account", "region", "service", "resource", "usage_type"]
RESOURCE = ["account", "region", "service", "resource"]
SECONDS_PER_UNIT = {"Minute": 60.0, "Second": 1.0, "GB-Second": 1.0}  # time-metered units, in one scale
STORAGE_UNITS = {"GB-Month"}
DETAILS = {
    "executions": "more or fewer runs (pipeline executions, builds, Lambda requests) at last month's time per run",
    "duration": "longer or shorter runs at last month's compute mix",
    "compute_mix": "runs moved between compute types or architectures",
    "storage": "artifact and cache storage held",
    "price": "list prices and volume-tier blend",
    "free_tier": "always-free allowances applied",
}


def _lines(result: Estimate) -> pd.DataFrame:
    """Cost lines summed per resource and usage type; unpriced lines count as $0 (the estimate says so)."""
    lines = result.lines.assign(
        gross=result.lines["gross_usd"].fillna(0.0),
        free=result.lines["free_tier_usd"].fillna(0.0),
        quantity=result.lines["quantity"].fillna(0.0),
    )
    lines = lines.assign(resource=lines["resource"].fillna(""), usage_type=lines["usage_type"].fillna(""))
    return lines.groupby(KEY, as_index=False).agg(
        q=("quantity", "sum"), g=("gross", "sum"), f=("free", "sum"), unit=("unit", "first")
    )


def run_counts(result: Estimate) -> pd.DataFrame:
    """Runs per resource, projected like the estimate's quantities: pipeline executions and builds observed
    (times the projection factor), Lambda requests as priced."""
    factor = float(result.options.get("projection_factor") or 1.0)
    actions = result.runs.actions
    builds = result.runs.builds
    parts = []
    if not actions.empty:
        executions = actions.groupby(["account", "region", "pipeline"])["execution_id"].nunique() * factor
        parts.append(executions.rename("n").rename_axis(["account", "region", "resource"]).reset_index()
                     .assign(service="CodePipeline"))  # fmt: skip
    if not builds.empty:
        counted = builds.groupby(["account", "region", "project"])["count"].sum() * factor
        parts.append(counted.rename("n").rename_axis(["account", "region", "resource"]).reset_index()
                     .assign(service="CodeBuild"))  # fmt: skip
    lines = result.lines
    requests = lines[(lines["service"] == "Lambda") & (lines["unit"] == "Request")]
    if not requests.empty:
        parts.append(requests.groupby(["account", "region", "service", "resource"], as_index=False)
                     .agg(n=("quantity", "sum")))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=[*RESOURCE, "n"])
    return pd.concat(parts, ignore_index=True)[[*RESOURCE, "n"]]


def drivers(current: Estimate, previous: Estimate) -> list[dict[str, Any]]:
    """The change from `previous` to `current` by driver (see the module's docstring); sums to the change."""
    both = _lines(previous).merge(_lines(current), on=KEY, how="outer", suffixes=("0", "1"))
    for column in ("q0", "g0", "f0", "q1", "g1", "f1"):
        both[column] = both[column].fillna(0.0)
    both["unit"] = both["unit1"].fillna(both["unit0"])
    rate1 = (both["g1"] / both["q1"]).where(both["q1"] > 0)
    rate0 = (both["g0"] / both["q0"]).where(both["q0"] > 0)
    both["p1"] = rate1.fillna(rate0).fillna(0.0)
    both["p0"] = rate0.fillna(rate1).fillna(0.0)
    price = float((both["q1"] * (both["p1"] - both["p0"])).sum())
    free_tier = -float(both["f1"].sum() - both["f0"].sum())
    storage_rows = both["unit"].isin(STORAGE_UNITS)
    storage = float(((both["q1"] - both["q0"]) * both["p0"])[storage_rows].sum())
    scale = both["unit"].map(SECONDS_PER_UNIT)
    timed = both[scale.notna() & ~storage_rows].assign(scale=scale)
    counted = both[scale.isna() & ~storage_rows]
    executions = float(((counted["q1"] - counted["q0"]) * counted["p0"]).sum())
    run_effects = _time_effects(timed, previous, current)
    parts = {
        "executions": executions + run_effects["executions"],
        "duration": run_effects["duration"],
        "compute_mix": run_effects["compute_mix"],
        "storage": storage,
        "price": price,
        "free_tier": free_tier,
    }
    return [{"driver": name, "delta_usd": parts[name], "detail": DETAILS[name]} for name in DRIVERS]


def _time_effects(timed: pd.DataFrame, previous: Estimate, current: Estimate) -> dict[str, float]:
    """Executions, duration and compute-mix effects of the time-metered lines, per resource, vectorised."""
    if timed.empty:
        return {"executions": 0.0, "duration": 0.0, "compute_mix": 0.0}
    # Time in one scale (seconds, or GB-seconds for Lambda) and the rate per unit of it.
    rows = timed.assign(t0=timed["q0"] * timed["scale"], t1=timed["q1"] * timed["scale"])
    rows = rows.assign(r0=rows["p0"] / rows["scale"])
    totals = rows.groupby(RESOURCE)[["t0", "t1"]].transform("sum")
    share1 = (rows["t1"] / totals["t1"]).where(totals["t1"] > 0, 0.0)
    share0 = (rows["t0"] / totals["t0"]).where(totals["t0"] > 0, share1)  # nothing timed before: keep this mix
    rows = rows.assign(T0=totals["t0"], T1=totals["t1"], s0=share0, s1=share1)
    counts = run_counts(previous).merge(run_counts(current), on=RESOURCE, how="outer", suffixes=("0", "1"))
    rows = rows.merge(counts, on=RESOURCE, how="left")
    n0, n1 = rows["n0"].fillna(0.0), rows["n1"].fillna(0.0)
    # Without run counts on both sides (a new or vanished resource, or runs unknown), the whole change in time
    # at old rates is executions.
    known = (n0 > 0) & (n1 > 0) & (rows["T0"] > 0) & (rows["T1"] > 0)
    m0 = (rows["T0"] / n0).where(known, 0.0)
    m1 = (rows["T1"] / n1).where(known, 0.0)
    a0 = rows["t0"] * rows["r0"]
    a1 = n1 * m0 * rows["s0"] * rows["r0"]
    a2 = n1 * m1 * rows["s0"] * rows["r0"]
    a3 = rows["t1"] * rows["r0"]
    executions = np.where(known, a1 - a0, a3 - a0)
    duration = np.where(known, a2 - a1, 0.0)
    mix = np.where(known, a3 - a2, 0.0)
    return {"executions": float(executions.sum()), "duration": float(duration.sum()), "compute_mix": float(mix.sum())}
