"""Estimate against the bill (Cost Explorer actuals) per service and usage type, with the gap explained where
costkit knows why: rounding, usage it did not observe, credits or free tier, a partial snapshot, a missing price."""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.estimate import Estimate
from costkit.pricing.usage_types import mapping, strip_prefix
from costkit.sources.snapshot.folder import Snapshot

RECONCILIATION_COLUMNS = [
    "service", "usage_type", "estimate_usd", "actual_usd", "delta_usd", "delta_pct", "explanation",
]  # fmt: skip
CENT = 0.01


def canonical(actuals: pd.DataFrame) -> pd.Series:
    """Cost Explorer's usage types (`USE1-Build-Min:Linux:g1.medium`) as costkit names them; unknown ones as the
    bill writes them without their region prefix."""
    table = mapping().drop_duplicates(["service", "aws_usage_type"])[["service", "aws_usage_type", "usage_type"]]
    whole = actuals["usage_type"].astype(str)
    keys = pd.DataFrame({"service": actuals["service"].to_numpy(), "whole": whole.to_numpy(),
                         "bare": strip_prefix(whole).to_numpy()})  # fmt: skip
    named = table.rename(columns={"aws_usage_type": "whole", "usage_type": "by_whole"})
    keys = keys.merge(named, on=["service", "whole"], how="left")
    named = table.rename(columns={"aws_usage_type": "bare", "usage_type": "by_bare"})
    keys = keys.merge(named, on=["service", "bare"], how="left")
    return pd.Series(keys["by_whole"].fillna(keys["by_bare"]).fillna(keys["bare"]).to_numpy(), index=actuals.index)


def reconcile(result: Estimate, snapshot: Snapshot) -> pd.DataFrame:
    """One row per (service, usage type) either side has; empty when the month's actuals are not comparable."""
    actuals = result.actuals
    if actuals.empty:
        return pd.DataFrame(columns=RECONCILIATION_COLUMNS)
    billed = (
        actuals.assign(usage_type=canonical(actuals))
        .groupby(["service", "usage_type"], as_index=False)
        .agg(actual_usd=("cost_usd", "sum"))
    )
    estimated = result.lines.groupby(["service", "usage_type"], as_index=False).agg(
        estimate_usd=("cost_usd", lambda c: c.sum(min_count=0))
    )
    table = estimated.merge(billed, on=["service", "usage_type"], how="outer")
    table[["estimate_usd", "actual_usd"]] = table[["estimate_usd", "actual_usd"]].fillna(0.0)
    table = table[(table["estimate_usd"] != 0) | (table["actual_usd"] != 0)]
    table["delta_usd"] = table["estimate_usd"] - table["actual_usd"]
    table["delta_pct"] = 100.0 * table["delta_usd"] / table["actual_usd"].where(table["actual_usd"] != 0)
    failed = {str(f.get("service", "")).split(":")[0].lower() for f in snapshot.manifest.get("failures") or []}
    partial = table["service"].str.lower().isin(failed)
    unpriced = table["service"].isin(result.incomplete_services())
    gap = table["delta_usd"]
    table["explanation"] = np.select(
        [
            partial,
            unpriced,
            gap.abs() < CENT,
            table["estimate_usd"] == 0,
            table["actual_usd"] == 0,
            gap < 0,
        ],
        [
            "partial snapshot: this service failed to collect in some account or region",
            "a line of this service has no price: the estimate is a lower bound",
            "rounding: within a cent",
            "billed but not observed: resources or usage outside the collected pipelines, projects, functions "
            "and buckets",
            "estimated but not billed: credits, or a free tier applied differently",
            "bill higher: usage outside CI in the same usage type, e.g. resources costkit did not collect",
        ],
        default="bill lower: credits or refunds, or free tier applied across an organization",
    )
    order = table["delta_usd"].abs().sort_values(ascending=False, kind="stable").index
    return table.loc[order, RECONCILIATION_COLUMNS].reset_index(drop=True)
