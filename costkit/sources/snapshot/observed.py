"""Turn a snapshot (what actually ran) into usage rows, applying AWS's metering rules to each
observation: per action execution and per build rounding, clipping to the window, and projection of
a partial window to a whole month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing import s3
from costkit.billing.codebuild import FLEET_BUILD, billed_for
from costkit.billing.codepipeline import ACTION_MINUTES, action_minutes, charged, pipeline_month
from costkit.billing.s3 import GIB
from costkit.model.inventory import PIPELINE_COLUMNS, PROJECT_COLUMNS, Inventory, table
from costkit.model.period import Period
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, Runs
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.stale import billed_end
from costkit.sources.usage_file.derive import ROW_COLUMNS, UsageRows, lambda_usage, rows_for
from costkit.tables import PriceBook


def _timestamp(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _clipped_seconds(
    start: pd.Series, end: pd.Series, window_start: pd.Timestamp, window_end: pd.Timestamp
) -> pd.Series:
    """Seconds of [start, end) inside the window: AWS bills a calendar month, so runs crossing it are split."""
    lo = pd.to_datetime(start, utc=True)
    hi = pd.to_datetime(end, utc=True)
    # Unknown times stay unknown (NaN seconds, billed as nothing) rather than stretching to the window's edge.
    lo = lo.where(lo.isna() | (lo > window_start), window_start)
    hi = hi.where(hi.isna() | (hi < window_end), window_end)
    seconds: pd.Series = (hi - lo).dt.total_seconds()
    return seconds.clip(lower=0)


def derive_observed(snapshot: Snapshot, pricebook: PriceBook, period: Period) -> UsageRows:
    """Usage rows for `period` from a snapshot; flows are scaled from the observed window to the period."""
    window = snapshot.manifest.get("window", {})
    window_start = _timestamp(window["start"])
    window_end = _timestamp(window["end"])
    window_days = (window_end - window_start).total_seconds() / 86400.0
    factor = period.days / window_days if window_days > 0 else 0.0
    result = UsageRows(
        rows=pd.DataFrame(columns=list(ROW_COLUMNS)),
        assumptions={"observed-window"},
        counts={"stale_action_executions": 0, "stale_builds": 0},
    )
    if abs(factor - 1.0) > 1e-9:
        result.assumptions.add("observed-projection")
    result.runs = Runs(actions=billed_actions(snapshot), builds=billed_builds(snapshot, pricebook), planned=False)
    result.inventory = inventory(snapshot)
    parts = [
        *_pipelines(snapshot, result, window_start, window_end, factor),
        *_builds(result, factor),
        *_functions(snapshot, result, factor),
        *_buckets(snapshot, result, factor),
    ]
    parts = [part for part in parts if not part.empty]
    if parts:
        rows = pd.concat(parts, ignore_index=True)
        rows["quantity"] = rows["quantity"].astype("float64")
        result.rows = rows
    result.projection = factor
    return result


def inventory(snapshot: Snapshot) -> Inventory:
    """The snapshot's pipelines and projects in the inventory's columns."""
    pipelines = snapshot.table("pipelines").rename(
        columns={"pipeline_type": "type", "has_triggers": "triggers", "has_variables": "variables"}
    )
    if "execution_mode" in pipelines:
        pipelines["execution_mode"] = pipelines["execution_mode"].fillna("SUPERSEDED")
    projects = snapshot.table("projects")
    if not projects.empty and "cache_type" in projects:
        projects = projects.assign(cache_type=projects["cache_type"].fillna("NO_CACHE"))
    return Inventory(pipelines=table(pipelines, PIPELINE_COLUMNS), projects=table(projects, PROJECT_COLUMNS))


def window_of(snapshot: Snapshot) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The snapshot's observed window, [start, end) in UTC."""
    bounds = snapshot.manifest.get("window") or {}
    return _timestamp(bounds["start"]), _timestamp(bounds["end"])


def billed_actions(snapshot: Snapshot) -> pd.DataFrame:
    """One row per action execution in the window with the V2 minutes it billed: measured from its start to
    its last update (a running one: to the collection), clipped to the window, rounded up per execution;
    approvals, custom actions and V1 pipelines bill none. Savings rules read the same rows."""
    actions = snapshot.table("action_executions")
    pipelines = snapshot.table("pipelines")
    if actions.empty or pipelines.empty:
        return pd.DataFrame(columns=ACTION_RUN_COLUMNS)
    window_start, window_end = window_of(snapshot)
    types = pipelines[["account", "region", "pipeline", "pipeline_type"]].drop_duplicates(
        ["account", "region", "pipeline"]
    )
    frame = actions.merge(types, on=["account", "region", "pipeline"], how="left")
    end, frame["stale"] = billed_end(snapshot, "action", frame)
    seconds = _clipped_seconds(frame["start"], end, window_start, window_end)
    frame["v2"] = frame["pipeline_type"] == "V2"
    chargeable = charged(frame["category"], frame["owner"])
    frame["charged"] = frame["v2"] & chargeable
    frame["count"] = 1.0
    frame["seconds"] = seconds
    frame["minutes"] = np.where(chargeable, action_minutes(seconds), 0.0)
    frame["billed"] = np.where(frame["v2"], frame["minutes"], 0.0)
    frame["component"] = frame["action"] + " (" + frame["category"].fillna("?") + ")"
    return frame.reindex(columns=ACTION_RUN_COLUMNS).reset_index(drop=True)  # absent details stay empty


def billed_builds(snapshot: Snapshot, pricebook: PriceBook) -> pd.DataFrame:
    """One row per finished build in the window with what it billed: from PROVISIONING start (else start
    time) to its end, clipped to the window, rounded up per build to a minute (EC2) or a second (Lambda
    compute); builds on a reserved-capacity fleet bill through the fleet (usage type ReservedCapacity-Fleet)."""
    builds = snapshot.table("builds")
    if builds.empty:
        return pd.DataFrame(columns=BUILD_RUN_COLUMNS)
    window_start, window_end = window_of(snapshot)
    builds = builds.copy()
    builds["end"], builds["stale"] = billed_end(snapshot, "build", builds)
    builds = builds[builds["end"].notna()]
    from_pipeline = builds["initiator"].fillna("").str.startswith("codepipeline/")
    builds["pipeline"] = builds["initiator"].str.removeprefix("codepipeline/").where(from_pipeline, None)
    mapping = pricebook.compute_types[["compute_type", "environment_type", "usage_type", "billing_unit"]]
    mapping = mapping.drop_duplicates(["compute_type", "environment_type"])
    merged = builds.merge(mapping, on=["compute_type", "environment_type"], how="left")
    seconds = _clipped_seconds(merged["billed_start"], merged["end"], window_start, window_end)
    merged["count"] = 1.0
    merged["seconds"] = seconds
    merged["billed"] = billed_for(seconds, merged["billing_unit"])
    merged["fleet"] = merged["fleet_arn"].notna() & (merged["fleet_arn"].astype(str) != "")
    merged.loc[merged["fleet"], "usage_type"] = FLEET_BUILD
    merged.loc[merged["fleet"], "billing_unit"] = "Build"
    merged.loc[merged["fleet"], "billed"] = 1.0
    merged["unit"] = merged["billing_unit"].fillna("Minute")
    merged["component"] = merged["compute_type"] + " / " + merged["environment_type"]
    return merged.reindex(columns=BUILD_RUN_COLUMNS).reset_index(drop=True)  # absent details stay empty


def _count_stale(result: UsageRows, runs: pd.DataFrame, name: str) -> None:
    """Count the runs billed only to their timeout (data quality); name the convention when there are any."""
    result.counts[name] = int(runs["stale"].astype(bool).sum()) if "stale" in runs else 0
    if result.counts[name]:
        result.assumptions.add("observed-stale-runs")


def _pipelines(
    snapshot: Snapshot, result: UsageRows, window_start: pd.Timestamp, window_end: pd.Timestamp, factor: float
) -> list[pd.DataFrame]:
    pipelines = snapshot.table("pipelines")
    if pipelines.empty:
        return []
    parts: list[pd.DataFrame] = []
    executions = snapshot.table("pipeline_executions")
    v1 = pipelines[pipelines["pipeline_type"] == "V1"]
    if not v1.empty:
        result.assumptions |= {"v1-active", "observed-v1-active"}
        started = (
            executions[pd.to_datetime(executions["start"], utc=True) >= window_start]
            if not executions.empty
            else executions
        )
        ran = (
            started.assign(ran=True).groupby(["account", "region", "pipeline"])["ran"].any()
            if not started.empty
            else pd.Series(dtype=bool)
        )
        key = pd.MultiIndex.from_frame(v1[["account", "region", "pipeline"]])
        active = pd.Series(key.isin(ran.index), index=v1.index)
        age = (window_end - pd.to_datetime(v1["created"], utc=True)).dt.total_seconds() / 86400.0
        trial = age <= 30
        parts.append(
            rows_for(
                v1,
                service="CodePipeline",
                resource=v1["pipeline"],
                component="pipeline (V1)",
                pipeline=v1["pipeline"],
                usage_type=pipeline_month(trial),
                quantity=np.where(active, 1.0, 0.0),
                unit="Pipeline-Month",
                meter="pipeline-month",
                detail=np.select(
                    [trial & active, active],
                    ["ran in its first 30 days: free trial", "ran in the window: 1 active pipeline-month"],
                    default="no execution in the window: not active",
                ),
            )
        )
    runs = result.runs.actions
    _count_stale(result, runs, "stale_action_executions")
    v2 = runs[runs["v2"].astype(bool)].assign(runs=1)
    if not v2.empty:
        result.assumptions |= {"v2-exclusions", "v2-free-minutes-pricing-page", "observed-v2-rounding"}
        grouped = (
            v2.groupby(["account", "region", "pipeline", "stage", "action", "category", "owner"], dropna=False)
            .agg(billed=("billed", "sum"), runs=("runs", "sum"), seconds=("seconds", "sum"))
            .reset_index()
        )
        not_charged = (grouped["category"] == "Approval") | (grouped["owner"] == "Custom")
        parts.append(
            rows_for(
                grouped,
                service="CodePipeline",
                resource=grouped["pipeline"],
                component=grouped["action"] + " (" + grouped["category"].fillna("?") + ")",
                pipeline=grouped["pipeline"],
                usage_type=ACTION_MINUTES,
                meter="action-minutes",
                quantity=grouped["billed"] * factor,
                unit="Minute",
                detail=np.where(
                    not_charged,
                    grouped["runs"].astype(int).astype(str) + " action executions: not charged (approval or custom)",
                    grouped["runs"].astype(int).astype(str)
                    + " action executions, "
                    + (grouped["seconds"] / 60.0).round(1).astype(str)
                    + " min measured, "
                    + grouped["billed"].astype(int).astype(str)
                    + " min billed (each rounded up)",
                ),
            )
        )
    return parts


def _builds(result: UsageRows, factor: float) -> list[pd.DataFrame]:
    merged = result.runs.builds
    _count_stale(result, merged, "stale_builds")
    if merged.empty:
        return []
    result.assumptions.add("observed-codebuild-billing-start")
    if merged["fleet"].any():
        result.assumptions.add("observed-fleet")
    merged = merged.assign(runs=1)
    grouped = (
        merged.groupby(
            ["account", "region", "project", "pipeline", "compute_type", "environment_type", "usage_type", "unit"],
            dropna=False,
        )
        .agg(billed=("billed", "sum"), runs=("runs", "sum"))
        .reset_index()
    )
    return [
        rows_for(
            grouped,
            service="CodeBuild",
            resource=grouped["project"],
            component=grouped["compute_type"] + " / " + grouped["environment_type"],
            pipeline=grouped["pipeline"],
            usage_type=grouped["usage_type"].where(grouped["usage_type"].notna(), None),
            quantity=grouped["billed"] * factor,
            unit=grouped["unit"],
            detail=grouped["runs"].astype(str)
            + np.where(
                grouped["pipeline"].notna(), " builds started by the pipeline", " builds started outside a pipeline"
            )
            + ", each rounded up",
        )
    ]


def _functions(snapshot: Snapshot, result: UsageRows, factor: float) -> list[pd.DataFrame]:
    functions = snapshot.table("functions")
    metrics = snapshot.table("function_metrics")
    if functions.empty or metrics.empty:
        return []
    result.assumptions |= {"lambda-average-duration", "observed-lambda-average"}
    frame = functions[functions["found"].astype(bool)].merge(metrics, on=["account", "region", "function"])
    # A function several pipelines invoke is split among them by their Invoke action executions.
    frame = frame.merge(_invoking_pipelines(snapshot), on=["account", "region", "function"], how="left")
    frame["share"] = frame["share"].fillna(1.0)
    if frame.empty:
        return []
    return lambda_usage(
        frame,
        result,
        resource=frame["function"],
        requests=frame["invocations"].astype(float).fillna(0.0) * factor * frame["share"],
        duration_ms=frame["duration_ms_avg"].astype(float),
        request_detail=frame["invocations"].astype(str) + " invocations observed (average duration)",
    )


def _buckets(snapshot: Snapshot, result: UsageRows, factor: float) -> list[pd.DataFrame]:
    storage = snapshot.table("bucket_storage")
    parts: list[pd.DataFrame] = []
    if not storage.empty:
        result.assumptions |= {"observed-s3-storage", "s3-no-free-tier"}
        sized = storage[storage["storage_type"] != "AllStorageTypes"].copy()
        sized[["usage_type", "meter"]] = s3.observed_storage(sized["storage_type"])
        sized = _share_buckets(snapshot, sized, result)
        parts.append(
            rows_for(sized, service="S3", resource=sized["bucket"], pipeline=sized.get("pipeline"),
                  component="storage (" + sized["storage_type"] + ")",
                  usage_type=sized["usage_type"].where(sized["usage_type"].notna(), None), meter=sized["meter"],
                  quantity=sized["avg_bytes"].astype(float) / GIB * sized["share"], unit="GB-Month",
                  detail=np.where(sized["share"] < 1, "share (by executions) of the average daily BucketSizeBytes",
                                  "average of daily BucketSizeBytes over the window"))
        )  # fmt: skip
    requests = _artifact_requests(snapshot)
    if not requests.empty:
        result.assumptions.add("observed-s3-requests")
        for column, meter, label in (
            ("put_requests", "put-requests", "PUT/COPY/POST/LIST requests (estimated)"),
            ("get_requests", "get-requests", "GET and other requests (estimated)"),
        ):
            usage_type = s3.of_class(meter, "STANDARD")  # artifact stores are S3 Standard
            parts.append(
                rows_for(requests, service="S3", resource=requests["bucket"], pipeline=requests["pipeline"],
                      component=label, usage_type=usage_type, meter=meter,
                      quantity=requests[column].astype(float) * factor, unit="Request",
                      detail=requests["executions"].astype(int).astype(str) + " executions x "
                      + requests[column.replace("requests", "actions")].astype(int).astype(str) + " artifact actions")
            )  # fmt: skip
    return parts


def _artifact_requests(snapshot: Snapshot) -> pd.DataFrame:
    """Artifact-store requests estimated from executions: each Source/Build action writes one artifact
    (a PUT), each later non-approval action reads one (a GET). Used where S3 request metrics are off."""
    pipelines = snapshot.table("pipelines")
    actions = snapshot.table("pipeline_actions")
    executions = snapshot.table("pipeline_executions")
    if pipelines.empty or actions.empty or executions.empty:
        return pd.DataFrame()
    key = ["account", "region", "pipeline"]
    counts = (
        actions.assign(
            put_actions=actions["category"].isin(["Source", "Build"]).astype(int),
            get_actions=(~actions["category"].isin(["Source", "Approval"])).astype(int),
        )
        .groupby(key)[["put_actions", "get_actions"]]
        .sum()
    )
    runs = executions.groupby(key).size().rename("executions")
    stores = pipelines.assign(bucket=pipelines["artifact_buckets"].str.split(",")).explode("bucket")
    stores = stores[stores["bucket"].notna() & (stores["bucket"] != "")]
    frame = stores[[*key, "bucket"]].join(counts, on=key).join(runs, on=key).fillna(0)
    frame["put_requests"] = frame["executions"] * frame["put_actions"]
    frame["get_requests"] = frame["executions"] * frame["get_actions"]
    return frame[frame["executions"] > 0].reset_index(drop=True)


def _invoking_pipelines(snapshot: Snapshot) -> pd.DataFrame:
    """function -> the pipelines whose Invoke actions call it, each with its `share` of the function's use:
    its action executions in the window over all of them (equal shares when none ran)."""
    columns = ["account", "region", "function", "pipeline", "share"]
    actions = snapshot.table("pipeline_actions")
    if actions.empty or "function_name" not in actions:
        return pd.DataFrame(columns=columns)
    calls = actions.loc[actions["function_name"].notna(), ["account", "region", "pipeline", "action", "function_name"]]
    calls = calls.rename(columns={"function_name": "function"}).drop_duplicates()
    runs = snapshot.table("action_executions")
    if not runs.empty:
        counted = runs.groupby(["account", "region", "pipeline", "action"]).size().rename("runs").reset_index()
        calls = calls.merge(counted, on=["account", "region", "pipeline", "action"], how="left")
    else:
        calls = calls.assign(runs=0)
    calls["runs"] = calls["runs"].astype(float).fillna(0.0)
    per_pipeline: pd.DataFrame = (
        calls.groupby(["account", "region", "function", "pipeline"])["runs"].sum().reset_index()
    )
    key = ["account", "region", "function"]
    total = per_pipeline.groupby(key)["runs"].transform("sum")
    count = per_pipeline.groupby(key)["runs"].transform("size")
    per_pipeline["share"] = (per_pipeline["runs"] / total.where(total > 0)).fillna(1.0 / count)
    return per_pipeline[columns]


def _share_buckets(snapshot: Snapshot, sized: pd.DataFrame, result: UsageRows) -> pd.DataFrame:
    """Attribute an artifact bucket's storage to the pipelines that use it, in proportion to their
    executions in the window (equally when none ran); buckets no pipeline uses stay unattributed."""
    pipelines = snapshot.table("pipelines")
    if pipelines.empty:
        return sized.assign(pipeline=None, share=1.0)
    users = pipelines.assign(bucket=pipelines["artifact_buckets"].str.split(",")).explode("bucket")
    users = users[users["bucket"].notna() & (users["bucket"] != "")][["account", "pipeline", "bucket"]]
    executions = snapshot.table("pipeline_executions")
    runs = (
        executions.groupby(["account", "pipeline"]).size().rename("runs").reset_index()
        if not executions.empty
        else pd.DataFrame(columns=["account", "pipeline", "runs"])
    )
    users = users.merge(runs, on=["account", "pipeline"], how="left")
    users["runs"] = users["runs"].astype(float).fillna(0.0)
    totals = users.groupby(["account", "bucket"])["runs"].transform("sum")
    count = users.groupby(["account", "bucket"])["runs"].transform("size")
    users["share"] = np.where(totals > 0, users["runs"] / totals.where(totals > 0, 1.0), 1.0 / count)
    shared = sized.merge(users[["account", "bucket", "pipeline", "share"]], on=["account", "bucket"], how="left")
    shared["share"] = shared["share"].fillna(1.0)
    if (shared["share"] < 1).any():
        result.assumptions.add("observed-s3-shared-bucket")
    return shared
