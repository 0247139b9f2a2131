"""Lambda's metering: requests, and GB-seconds of memory and of ephemeral storage above the free 512 MB, each
request's duration rounded up to a whole millisecond; x86 and Arm have their own usage types.
https://aws.amazon.com/lambda/pricing/
"""

from __future__ import annotations

import pandas as pd

from costkit.billing.meters import mapping, names
from costkit.billing.units import billed_units
from costkit.model.rows import concat_rows, empty_rows, fmt, rows_for
from costkit.model.usage import Usage

FREE_EPHEMERAL_MB = 512.0
METERS = ("requests", "duration", "ephemeral-storage")


def usage_types(meter: str, architecture: pd.Series) -> pd.Series:
    """Each function's usage type for `meter`, by its architecture."""
    return names("Lambda", meter, architecture, "architecture")


def to_arm() -> dict[str, str]:
    """Every x86 usage type -> its arm64 twin (same meter)."""
    pairs: dict[str, str] = {}
    for meter in METERS:
        by_architecture = mapping("Lambda", meter, "architecture")
        pairs[by_architecture["x86_64"]] = by_architecture["arm64"]
    return pairs


def rows(usage: Usage) -> tuple[pd.DataFrame, set[str]]:
    """Request, GB-second and ephemeral-storage rows of every function (inventory `functions`): each request
    lasts the average `duration_ms`, billed rounded up to a whole millisecond; requests x the function's `share`
    for its pipeline x the projection."""
    functions = usage.inventory.functions
    frame = functions[functions["requests"].notna()] if not functions.empty else functions
    if frame.empty:
        return empty_rows(), set()
    noted = {"lambda-average-duration"} if usage.planned else {"lambda-average-duration", "observed-lambda-average"}
    share = frame["share"].astype(float).fillna(1.0)
    requests = frame["requests"].astype(float) * usage.projection * share
    billed_seconds = pd.Series(billed_units(frame["duration_ms"].astype(float).fillna(0.0)) / 1000.0, index=frame.index)
    memory_gb = frame["memory_mb"].astype(float) / 1024.0
    extra_gb = (frame["ephemeral_storage_mb"].astype(float).fillna(FREE_EPHEMERAL_MB) - FREE_EPHEMERAL_MB) / 1024.0
    request_detail = (
        fmt(requests) + " requests"
        if usage.planned
        else frame["invocations"].astype(str) + " invocations observed (average duration)"
    )
    common = {"service": "Lambda", "resource": frame["function"], "pipeline": frame["pipeline"]}
    architecture = frame["architecture"]
    parts = [
        rows_for(frame, **common, component="requests", usage_type=usage_types("requests", architecture),
                 quantity=requests, unit="Request", meter="requests", detail=request_detail),
        rows_for(frame, **common, component="duration (" + architecture + ")",
                 usage_type=usage_types("duration", architecture),
                 quantity=requests * billed_seconds * memory_gb, unit="GB-Second", meter="duration",
                 detail=fmt(requests) + " requests x " + fmt(billed_seconds) + " s x " + fmt(memory_gb) + " GB"),
    ]  # fmt: skip
    storage = extra_gb > 0
    if storage.any():
        noted.add("lambda-ephemeral")
        sub = frame[storage]
        parts.append(
            rows_for(sub, service="Lambda", resource=sub["function"], pipeline=sub["pipeline"],
                     component="ephemeral storage", usage_type=usage_types("ephemeral-storage", sub["architecture"]),
                     quantity=(requests * billed_seconds * extra_gb)[storage], unit="GB-Second",
                     meter="ephemeral-storage",
                     detail=fmt(requests[storage]) + " requests x " + fmt(billed_seconds[storage]) + " s x "
                     + fmt(extra_gb[storage]) + " GB above 512 MB")
        )  # fmt: skip
    return concat_rows(parts), noted
