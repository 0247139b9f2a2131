"""Per pipeline: cost, executions, success rate, cost per successful execution and the change on last month."""

from __future__ import annotations

import pandas as pd

from costkit.estimate import UNATTRIBUTED
from costkit.report.months import MonthView

KEY = ["account", "region", "pipeline"]
PIPELINE_COLUMNS = [
    "account", "region", "pipeline", "cost_usd", "executions", "succeeded", "success_rate", "cost_per_success_usd",
    "previous_cost_usd", "mom_delta_usd", "new",
]  # fmt: skip


def executions(view: MonthView) -> pd.DataFrame:
    """Executions started in the priced window per pipeline, and how many succeeded."""
    runs = view.snapshot.table("pipeline_executions")
    if runs.empty:
        return pd.DataFrame(columns=[*KEY, "executions", "succeeded"])
    observed = view.snapshot.window
    start = pd.to_datetime(runs["start"], utc=True)
    inside = runs[(start >= pd.Timestamp(observed.start)) & (start < pd.Timestamp(observed.end))]
    return (
        inside.assign(succeeded=inside["status"] == "Succeeded")
        .groupby(KEY, as_index=False)
        .agg(executions=("execution_id", "count"), succeeded=("succeeded", "sum"))
    )


def costs(view: MonthView) -> pd.DataFrame:
    table = view.estimate.by_pipeline()
    return table[[*KEY, "total_usd"]].rename(columns={"total_usd": "cost_usd"})


def pipelines(current: MonthView, previous: MonthView | None) -> pd.DataFrame:
    """One row per pipeline (and `(not attributed)`), biggest cost first. `new`: not in the previous month's
    snapshot at all (only when there is a previous month)."""
    known = current.estimate.inventory.pipelines[KEY]
    table = known.merge(costs(current), on=KEY, how="outer")
    if previous is not None:  # a pipeline gone this month still moved: it shows at $0
        before = costs(previous).rename(columns={"cost_usd": "previous_cost_usd"})
        table = table.merge(before, on=KEY, how="outer")
        seen = previous.estimate.inventory.pipelines[KEY].assign(seen=True)
        table = table.merge(seen, on=KEY, how="left")
        table["new"] = table["seen"].isna() & (table["pipeline"] != UNATTRIBUTED)
        table["mom_delta_usd"] = table["cost_usd"].fillna(0.0) - table["previous_cost_usd"].fillna(0.0)
    else:
        table = table.assign(previous_cost_usd=float("nan"), mom_delta_usd=float("nan"), new=False)
    table = table.merge(executions(current), on=KEY, how="left")
    table["cost_usd"] = table["cost_usd"].fillna(0.0)
    table[["executions", "succeeded"]] = table[["executions", "succeeded"]].fillna(0).astype("int64")
    table["success_rate"] = (table["succeeded"] / table["executions"]).where(table["executions"] > 0)
    table["cost_per_success_usd"] = (table["cost_usd"] / table["succeeded"]).where(table["succeeded"] > 0)
    table = table.sort_values(["cost_usd", *KEY], ascending=[False, True, True, True], kind="stable")
    return table[PIPELINE_COLUMNS].reset_index(drop=True)


def top_movers(table: pd.DataFrame, count: int = 5) -> pd.DataFrame:
    """The pipelines whose cost moved most on last month, either way."""
    moved = table[table["mom_delta_usd"].fillna(0.0) != 0]
    order = moved["mom_delta_usd"].abs().sort_values(ascending=False, kind="stable").index
    return moved.loc[order[:count], [*KEY, "cost_usd", "previous_cost_usd", "mom_delta_usd"]].reset_index(drop=True)
