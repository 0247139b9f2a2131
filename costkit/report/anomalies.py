"""Anomalies: what in the month looks unlike the months before it (docs/report.md, "Anomalies").

Each run is costed at list price (V2 action minutes and build minutes times the month's gross rate of its line,
before the free tier), then summed per pipeline and day. Against the trailing months' days with runs, robustly
(median and MAD, so one odd day in the baseline does not hide the next):

- `cost-per-execution`: a day's cost per execution above median + max(3.5 x 1.4826 x MAD, 50% of the median, $0.01);
- `daily-cost`: a day's cost above median + max(3.5 x 1.4826 x MAD, the median, $0.10) (more than doubled);
- `build-minutes-doubled`: a day's billed minutes per build of a pipeline at least twice the trailing median;
- `new-pipeline`: in the month's inventory, in none of the trailing months';
- `failed-runs`: what the month's failed, stopped, cancelled and superseded executions cost (always listed).
"""

from __future__ import annotations

import pandas as pd

from costkit.report.months import MonthView

WASTED = {"Failed", "Stopped", "Cancelled", "Superseded"}
KEY = ["account", "region", "pipeline"]
RUN_COLUMNS = [*KEY, "execution_id", "status", "day", "service", "cost_usd", "build_minutes", "builds"]


def _rates(lines: pd.DataFrame, service: str, by: list[str]) -> pd.DataFrame:
    """Gross (list, before free tier) rate per unit of each group of a service's lines."""
    lines = lines[(lines["service"] == service) & (lines["quantity"] > 0)]
    rates = lines.groupby(by, as_index=False).agg(gross=("gross_usd", "sum"), quantity=("quantity", "sum"))
    return rates.assign(rate=rates["gross"] / rates["quantity"])[[*by, "rate"]]


def run_costs(view: MonthView) -> pd.DataFrame:
    """One row per pipeline execution and service: its list-price cost, day, status and build minutes."""
    runs = view.estimate.runs
    executions = view.snapshot.table("pipeline_executions")
    if runs.actions.empty or executions.empty:
        return pd.DataFrame(columns=RUN_COLUMNS)
    started = executions[[*KEY, "execution_id", "status", "start"]].assign(
        day=pd.to_datetime(executions["start"], utc=True).dt.strftime("%Y-%m-%d")
    )
    actions = runs.actions[runs.actions["v2"].astype(bool) & runs.actions["charged"].astype(bool)]
    lines = view.estimate.lines
    rates = _rates(lines[lines["unit"] == "Minute"], "CodePipeline", ["account", "region", "resource"])
    priced = actions.merge(rates, left_on=["account", "region", "pipeline"], right_on=["account", "region", "resource"])
    pipeline_part = (
        priced.assign(cost_usd=priced["billed"] * priced["count"] * priced["rate"])
        .groupby([*KEY, "execution_id"], as_index=False)["cost_usd"]
        .sum()
        .assign(service="CodePipeline", build_minutes=0.0, builds=0.0)
    )
    links = runs.actions.dropna(subset=["external_execution_id"])[[*KEY, "execution_id", "external_execution_id"]]
    builds = runs.builds.merge(links.drop(columns="pipeline"), left_on=["account", "region", "build_id"],
                               right_on=["account", "region", "external_execution_id"])  # fmt: skip
    build_rates = _rates(lines, "CodeBuild", ["account", "region", "resource", "usage_type"])
    builds = builds.merge(build_rates, left_on=["account", "region", "project", "usage_type"],
                          right_on=["account", "region", "resource", "usage_type"])  # fmt: skip
    minutes = builds["billed"] * builds["count"] / builds["unit"].map({"Second": 60.0}).fillna(1.0)
    build_part = (
        builds.assign(
            cost_usd=builds["billed"] * builds["count"] * builds["rate"], build_minutes=minutes, builds=builds["count"]
        )
        .groupby([*KEY, "execution_id"], as_index=False)[["cost_usd", "build_minutes", "builds"]]
        .sum()
        .assign(service="CodeBuild")
    )
    costed = pd.concat([pipeline_part, build_part], ignore_index=True)
    costed = costed.merge(started.drop(columns="start"), on=[*KEY, "execution_id"], how="inner")
    return pd.DataFrame(costed.reindex(columns=RUN_COLUMNS))


def daily(view: MonthView) -> pd.DataFrame:
    """Per pipeline and day: list-price run cost, executions, cost per execution, minutes per build."""
    costs = run_costs(view)
    if costs.empty:
        return pd.DataFrame(columns=[*KEY, "day", "cost_usd", "executions", "per_execution_usd", "minutes_per_build"])
    table = costs.groupby([*KEY, "day"], as_index=False).agg(
        cost_usd=("cost_usd", "sum"), executions=("execution_id", "nunique"),
        build_minutes=("build_minutes", "sum"), builds=("builds", "sum"),
    )  # fmt: skip
    return table.assign(
        per_execution_usd=table["cost_usd"] / table["executions"],
        minutes_per_build=(table["build_minutes"] / table["builds"]).where(table["builds"] > 0),
    )


def _baseline(trailing: pd.DataFrame, column: str) -> pd.DataFrame:
    grouped = trailing.dropna(subset=[column]).groupby(KEY)[column]
    median = grouped.median().rename("median")
    mad = (
        trailing.dropna(subset=[column])
        .merge(median.reset_index(), on=KEY)
        .assign(deviation=lambda t: (t[column] - t["median"]).abs())
        .groupby(KEY)["deviation"]
        .median()
        .rename("mad")
    )
    return pd.concat([median, mad], axis=1).reset_index()


def _flag(days: pd.DataFrame, trailing: pd.DataFrame, column: str, relative: float, floor: float) -> pd.DataFrame:
    base = _baseline(trailing, column)
    joined = days.dropna(subset=[column]).merge(base, on=KEY, how="inner")
    spread = (3.5 * 1.4826 * joined["mad"]).clip(lower=relative * joined["median"]).clip(lower=floor)
    joined = joined.assign(threshold=joined["median"] + spread)
    return joined[joined[column] > joined["threshold"]]


ANOMALY_COLUMNS = [*KEY, "kind", "days", "value", "baseline", "threshold", "cost_usd", "detail"]


def _grouped(flagged: pd.DataFrame, kind: str, column: str, detail: str) -> pd.DataFrame:
    """One row per pipeline: the flagged days, their median figure, the baseline and the cost of those days."""
    if flagged.empty:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    table = flagged.groupby(KEY, as_index=False).agg(
        days=("day", lambda d: sorted(d)), value=(column, "median"), baseline=("median", "first"),
        threshold=("threshold", "first"), cost_usd=("cost_usd", "sum"),
    )  # fmt: skip
    return table.assign(kind=kind, detail=detail)[ANOMALY_COLUMNS]


def _no_days(frame: pd.DataFrame) -> pd.Series:
    return pd.Series([[]] * len(frame), index=frame.index, dtype=object)


def anomalies(current: MonthView, trailing: list[MonthView]) -> pd.DataFrame:
    """The month's anomalies against up to twelve trailing months (see the module docstring)."""
    found: list[pd.DataFrame] = []
    now = daily(current)
    before = pd.concat([daily(view) for view in trailing], ignore_index=True) if trailing else now.iloc[0:0]
    if not before.empty:
        per_run = _flag(now, before, "per_execution_usd", 0.5, 0.01)
        found.append(_grouped(per_run, "cost-per-execution", "per_execution_usd",
                              "cost per execution (USD) above the trailing months' days"))  # fmt: skip
        found.append(_grouped(_flag(now, before, "cost_usd", 1.0, 0.10), "daily-cost", "cost_usd",
                              "daily run cost (USD) more than doubled on the trailing months' days"))  # fmt: skip
        doubled = now.dropna(subset=["minutes_per_build"]).merge(_baseline(before, "minutes_per_build"), on=KEY)
        doubled = doubled[doubled["minutes_per_build"] >= 2 * doubled["median"]]
        twice = "billed build minutes per build at least twice the trailing median"
        found.append(_grouped(doubled.assign(threshold=2 * doubled["median"]), "build-minutes-doubled",
                              "minutes_per_build", twice))  # fmt: skip
        seen = pd.concat([view.estimate.inventory.pipelines[KEY] for view in trailing]).drop_duplicates()
        mine = current.estimate.inventory.pipelines[KEY].merge(seen.assign(seen=True), on=KEY, how="left")
        costs = current.estimate.by_pipeline()[[*KEY, "total_usd"]].rename(columns={"total_usd": "cost_usd"})
        new = mine[mine["seen"].isna()].drop(columns="seen").merge(costs, on=KEY, how="left")
        found.append(new.assign(kind="new-pipeline", days=_no_days(new), value=None, baseline=None,
                                threshold=None, cost_usd=new["cost_usd"].fillna(0.0),
                                detail="in none of the trailing months' snapshots")[ANOMALY_COLUMNS])  # fmt: skip
    runs = run_costs(current)
    wasted = runs[runs["status"].isin(WASTED)]
    summed = wasted.groupby(KEY, as_index=False).agg(cost_usd=("cost_usd", "sum"), value=("execution_id", "nunique"))
    found.append(summed.assign(kind="failed-runs", days=_no_days(summed), baseline=None,
                               threshold=None, detail="failed, stopped, cancelled or superseded executions (value: "
                               "how many) at list price")[ANOMALY_COLUMNS])  # fmt: skip
    kept = [frame for frame in found if not frame.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=ANOMALY_COLUMNS)
