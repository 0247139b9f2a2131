"""Showback: the month's cost by owner or team, from resource tags (Resource Groups Tagging API).

Each cost line goes to the owner of the pipeline it serves (the estimate's by-pipeline attribution), else to
the owner of its own resource (the CodeBuild project, Lambda function or bucket), else to `(not attributed)`.
An owner is the value of the first of `keys` the resource is tagged with.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from costkit.estimate import UNATTRIBUTED
from costkit.report.months import MonthView

DEFAULT_KEYS = ("team", "owner")
KIND_OF_SERVICE = {"CodePipeline": "pipeline", "CodeBuild": "project", "Lambda": "function", "S3": "bucket"}
WHERE = ["account", "region", "resource_type", "resource"]


def owners(tags: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """One owner per tagged resource: the value of its first tag among `keys` (keys compared case-insensitively)."""
    if tags.empty:
        return pd.DataFrame(columns=[*WHERE, "owner"])
    rank = {key.lower(): position for position, key in enumerate(keys)}
    ranked = tags.assign(rank=tags["key"].astype(str).str.lower().map(rank)).dropna(subset=["rank"])
    ranked = ranked[ranked["value"].astype(str).str.strip() != ""]
    best = ranked.sort_values("rank", kind="stable").drop_duplicates(WHERE)
    return best[WHERE].assign(owner=best["value"].astype(str)).reset_index(drop=True)


def attribute(view: MonthView, keys: tuple[str, ...] = DEFAULT_KEYS) -> pd.Series:
    """The owner of each of the month's cost lines (same index as the lines)."""
    lines = view.estimate.lines
    found = owners(view.snapshot.table("tags"), keys)
    by_pipeline = lines[["account", "region"]].assign(resource_type="pipeline", resource=lines["pipeline"])
    by_resource = lines[["account", "region"]].assign(
        resource_type=lines["service"].map(KIND_OF_SERVICE), resource=lines["resource"]
    )
    via_pipeline = by_pipeline.merge(found, on=WHERE, how="left")["owner"].set_axis(lines.index)
    via_resource = by_resource.merge(found, on=WHERE, how="left")["owner"].set_axis(lines.index)
    return via_pipeline.fillna(via_resource).fillna(UNATTRIBUTED).rename("owner")


def showback(view: MonthView, keys: tuple[str, ...] = DEFAULT_KEYS) -> dict[str, Any]:
    """Cost and share per owner, biggest first, `(not attributed)` among them."""
    lines = view.estimate.lines
    cost = lines["cost_usd"].fillna(0.0)
    table = (
        pd.DataFrame({"owner": attribute(view, keys), "cost_usd": cost})
        .groupby("owner", as_index=False)
        .agg(cost_usd=("cost_usd", "sum"))
    )
    total = float(cost.sum())
    table["share"] = table["cost_usd"] / total if total else 0.0
    table = table.sort_values(["cost_usd", "owner"], ascending=[False, True], kind="stable")
    unattributed = table.loc[table["owner"] == UNATTRIBUTED, "cost_usd"]
    not_attributed = float(unattributed.sum())
    return {
        "tag_keys": list(keys),
        "source": "resource tags" if not view.snapshot.table("tags").empty else "none collected",
        "owners": [
            {"owner": str(owner), "cost_usd": float(usd), "share": float(share)}
            for owner, usd, share in zip(table["owner"], table["cost_usd"], table["share"], strict=True)
        ],
        "not_attributed_usd": not_attributed,
        "not_attributed_share": not_attributed / total if total else 0.0,
    }
