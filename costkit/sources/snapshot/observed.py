"""A snapshot (what actually ran) as the usage model: observed runs (each clipped to the window, billed by
costkit.billing) and the inventory of what it found; billing derives the rows and projects a partial window's
flows to the month.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from costkit.billing import codebuild, codepipeline
from costkit.billing.rows import derive as derive_rows
from costkit.billing.s3 import GIB
from costkit.errors import ParameterError
from costkit.model.inventory import (
    BUCKET_COLUMNS,
    FUNCTION_COLUMNS,
    PIPELINE_COLUMNS,
    PROJECT_COLUMNS,
    Inventory,
    table,
)
from costkit.model.period import Period
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, EXECUTION_COLUMNS, Runs
from costkit.model.usage import Usage
from costkit.pricing import current_pricebook
from costkit.sources.snapshot.checks import in_order
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.folder import read as read_snapshot
from costkit.sources.snapshot.stale import billed_end
from costkit.tables import PriceBook

if TYPE_CHECKING:
    from costkit.sources.snapshot.in_athena import Tables


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


EXECUTION_KEYS = ["account", "region", "pipeline"]
ACTION_COUNT_KEYS = ["account", "region", "pipeline", "action"]


@dataclass
class RunCounts:
    """What the inventory needs of the run tables: executions per pipeline (all, and started in the window)
    and action executions per action. Keys keep missing values; each use drops what it cannot attribute."""

    executions: pd.DataFrame  # EXECUTION_KEYS: executions, started_in_window
    actions: pd.DataFrame  # ACTION_COUNT_KEYS: runs


@dataclass
class RunTotals:
    """A snapshot's run tables summed out of core (sources/snapshot/in_duckdb.py): the runs aggregated (a row
    stands for `count` runs, with their average seconds and billed units, so `count x billed` is what they
    bill), the stale runs counted, and the run counts. The rows built from them are the per-run rows' sums."""

    runs: Runs
    stale: dict[str, int]
    counts: RunCounts


def run_counts(snapshot: Snapshot) -> RunCounts:
    """RunCounts of an eagerly read snapshot."""
    window_start, _ = window_of(snapshot)
    return count_runs(snapshot.table("pipeline_executions"), snapshot.table("action_executions"), window_start)


def count_runs(executions: pd.DataFrame, actions: pd.DataFrame, window_start: pd.Timestamp) -> RunCounts:
    """RunCounts of pipeline executions and action executions: a snapshot's tables, or a model's runs (an action
    run standing for `count` runs where it has one)."""
    if executions.empty:
        per_pipeline = pd.DataFrame(columns=[*EXECUTION_KEYS, "executions", "started_in_window"])
    else:
        started = (
            pd.to_datetime(executions["start"], utc=True) >= window_start
            if "start" in executions
            else pd.Series(False, index=executions.index)
        )
        per_pipeline = (
            executions.assign(executions=1, started_in_window=started.astype(int))
            .groupby(EXECUTION_KEYS, dropna=False)[["executions", "started_in_window"]]
            .sum()
            .reset_index()
        )
    if actions.empty:
        per_action = pd.DataFrame(columns=[*ACTION_COUNT_KEYS, "runs"])
    else:
        weight = actions["count"].astype(float) if "count" in actions else pd.Series(1, index=actions.index)
        per_action = actions.assign(runs=weight).groupby(ACTION_COUNT_KEYS, dropna=False)["runs"].sum().reset_index()
    return RunCounts(executions=per_pipeline, actions=per_action)


def derive_observed(
    snapshot: Snapshot, pricebook: PriceBook, period: Period, *, totals: RunTotals | None = None
) -> Usage:
    """The usage model of a snapshot for `period`: observed runs and inventory; billing derives the rows,
    scaling flows from the observed window to the period (`projection`). With `totals` (the run tables summed
    out of core) the runs are the aggregated ones and no run table is read here."""
    window_days = snapshot.window.days
    factor = period.days / window_days if window_days > 0 else 0.0
    noted = {"observed-window"} | ({"observed-projection"} if abs(factor - 1.0) > 1e-9 else set())
    if totals is None:
        runs = Runs(
            actions=billed_actions(snapshot),
            builds=billed_builds(snapshot, pricebook),
            planned=False,
            executions=table(snapshot.table("pipeline_executions"), EXECUTION_COLUMNS),
        )
        counts = {name: _stale(frame) for name, frame in (("stale_action_executions", runs.actions),
                                                          ("stale_builds", runs.builds))}  # fmt: skip
        counted = run_counts(snapshot)
    else:
        runs, counts, counted = totals.runs, dict(totals.stale), totals.counts
    if any(counts.values()):
        noted.add("observed-stale-runs")
    usage = Usage(
        runs=runs,
        inventory=inventory(snapshot, counted),
        period=period,
        planned=False,
        source="<snapshot>",
        noted=noted,
        counts=counts,
        projection=factor,
        organization=bool(snapshot.manifest.get("organization")),
    )
    return derive_rows(usage, pricebook.compute_types)


def _stale(runs: pd.DataFrame) -> int:
    """Runs billed only to their timeout (data quality)."""
    return int(runs["stale"].astype(bool).sum()) if "stale" in runs else 0


def inventory(snapshot: Snapshot, counted: RunCounts | None = None) -> Inventory:
    """The snapshot's resources in the inventory's columns: pipelines (V1 `active`: an execution started in the
    window), projects, the functions pipelines invoke (with their metrics) and the buckets they store in."""
    counted = counted or run_counts(snapshot)
    _, window_end = window_of(snapshot)
    pipelines = snapshot.table("pipelines").rename(
        columns={"pipeline_type": "type", "has_triggers": "triggers", "has_variables": "variables"}
    )
    if not pipelines.empty:
        if "execution_mode" in pipelines:
            pipelines["execution_mode"] = pipelines["execution_mode"].fillna("SUPERSEDED")
        pipelines["active"] = _ran_in_window(counted, pipelines)
        created = pd.to_datetime(pipelines.get("created", pd.Series(pd.NaT, index=pipelines.index)), utc=True)
        pipelines["age_days"] = (window_end - created).dt.total_seconds() / 86400.0
    projects = snapshot.table("projects")
    if not projects.empty and "cache_type" in projects:
        projects = projects.assign(cache_type=projects["cache_type"].fillna("NO_CACHE"))
    return Inventory(
        pipelines=table(pipelines, PIPELINE_COLUMNS),
        projects=table(projects, PROJECT_COLUMNS),
        functions=_functions(snapshot, counted),
        buckets=_buckets(snapshot, counted),
    )


def _ran_in_window(counted: RunCounts, pipelines: pd.DataFrame) -> pd.Series:
    """Per pipeline: an execution started in the window (a V1 pipeline is then active)."""
    executions = counted.executions
    key = EXECUTION_KEYS
    if executions.empty:
        return pd.Series(False, index=pipelines.index)
    started = executions[executions["started_in_window"] > 0]
    ran = pd.MultiIndex.from_frame(started[key].drop_duplicates())
    return pd.Series(pd.MultiIndex.from_frame(pipelines[key]).isin(ran), index=pipelines.index)


def window_of(snapshot: Snapshot) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The snapshot's observed window, [start, end) in UTC, as Timestamps to compare with run tables."""
    window = snapshot.window
    return pd.Timestamp(window.start), pd.Timestamp(window.end)


def billed_actions(snapshot: Snapshot) -> pd.DataFrame:
    """One row per action execution in the window with the V2 minutes it billed: measured from its start to
    its last update (a running one: to the collection), clipped to the window, rounded up per execution by
    costkit.billing.codepipeline.meter; approvals, custom actions and V1 pipelines bill none."""
    actions = snapshot.table("action_executions")
    pipelines = snapshot.table("pipelines")
    if actions.empty or pipelines.empty:
        return pd.DataFrame(columns=ACTION_RUN_COLUMNS)
    window_start, window_end = window_of(snapshot)
    frame = actions.copy()
    end, frame["stale"] = billed_end(snapshot, "action", frame)
    frame["seconds"] = _clipped_seconds(frame["start"], end, window_start, window_end)
    frame["count"] = 1.0
    frame["component"] = frame["action"] + " (" + frame["category"].fillna("?") + ")"
    runs = frame.reindex(columns=ACTION_RUN_COLUMNS).reset_index(drop=True)  # absent details stay empty
    return codepipeline.meter(runs, pipelines.rename(columns={"pipeline_type": "type"}), planned=False)


def billed_builds(snapshot: Snapshot, pricebook: PriceBook) -> pd.DataFrame:
    """One row per finished build in the window with what it billed: from PROVISIONING start (else start
    time) to its end, clipped to the window, rounded up per build to a minute (EC2) or a second (Lambda
    compute) by costkit.billing.codebuild.meter; builds on a reserved-capacity fleet bill through the fleet."""
    builds = snapshot.table("builds")
    if builds.empty:
        return pd.DataFrame(columns=BUILD_RUN_COLUMNS)
    window_start, window_end = window_of(snapshot)
    builds = builds.copy()
    builds["end"], builds["stale"] = billed_end(snapshot, "build", builds)
    builds = builds[builds["end"].notna()]
    from_pipeline = builds["initiator"].fillna("").str.startswith("codepipeline/")
    builds["pipeline"] = builds["initiator"].str.removeprefix("codepipeline/").where(from_pipeline, None)
    builds["count"] = 1.0
    builds["seconds"] = _clipped_seconds(builds["billed_start"], builds["end"], window_start, window_end)
    builds["fleet"] = builds["fleet_arn"].notna() & (builds["fleet_arn"].astype(str) != "")
    runs = builds.reindex(columns=BUILD_RUN_COLUMNS).reset_index(drop=True)  # absent details stay empty
    return codebuild.meter(runs, pricebook.compute_types, planned=False)


def _functions(snapshot: Snapshot, counted: RunCounts) -> pd.DataFrame:
    """The functions found, with their observed invocations and average duration, one row per pipeline that
    invokes them (split by its Invoke action executions)."""
    functions = snapshot.table("functions")
    metrics = snapshot.table("function_metrics")
    if functions.empty or metrics.empty:
        return table(pd.DataFrame(), FUNCTION_COLUMNS)
    frame = functions[functions["found"].astype(bool)].merge(metrics, on=["account", "region", "function"])
    frame = frame.merge(_invoking_pipelines(snapshot, counted), on=["account", "region", "function"], how="left")
    frame["share"] = frame["share"].fillna(1.0)
    frame["requests"] = frame["invocations"].astype(float).fillna(0.0)
    frame["duration_ms"] = frame["duration_ms_avg"].astype(float)
    return table(frame, FUNCTION_COLUMNS)


def _buckets(snapshot: Snapshot, counted: RunCounts) -> pd.DataFrame:
    """The buckets measured by CloudWatch (one row per storage type and pipeline sharing it) and the artifact
    stores' estimated requests (one row per bucket and pipeline)."""
    storage = snapshot.table("bucket_storage")
    parts: list[pd.DataFrame] = []
    if not storage.empty:
        sized = storage[storage["storage_type"] != "AllStorageTypes"].copy()
        sized["storage_gb"] = sized["avg_bytes"].astype(float) / GIB
        sized["objects"] = _objects(storage, sized)
        parts.append(_settings(snapshot, _share_buckets(snapshot, sized, counted)))
    requests = _artifact_requests(snapshot, counted)
    if not requests.empty:
        parts.append(requests.assign(storage_class="STANDARD", share=1.0))  # artifact stores are S3 Standard
    parts = [part for part in parts if not part.empty]
    if not parts:
        return table(pd.DataFrame(), BUCKET_COLUMNS)
    return table(pd.concat(parts, ignore_index=True), BUCKET_COLUMNS)


def _artifact_requests(snapshot: Snapshot, counted: RunCounts) -> pd.DataFrame:
    """Artifact-store requests estimated from executions: each Source/Build action writes one artifact
    (a PUT), each later non-approval action reads one (a GET). Used where S3 request metrics are off."""
    pipelines = snapshot.table("pipelines")
    actions = snapshot.table("pipeline_actions")
    executions = counted.executions
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
    stores = pipelines.assign(bucket=pipelines["artifact_buckets"].str.split(",")).explode("bucket")
    stores = stores[stores["bucket"].notna() & (stores["bucket"] != "")]
    return _artifact_flows(stores[[*key, "bucket"]].join(counts, on=key).fillna(0), counted)


def _artifact_flows(stores: pd.DataFrame, counted: RunCounts) -> pd.DataFrame:
    """Artifact-store rows (bucket, pipeline, `put_actions`, `get_actions`) with their pipeline's `executions`
    and the requests they made (executions x actions); rows of pipelines that did not run are left out."""
    key = ["account", "region", "pipeline"]
    runs = counted.executions.groupby(key)["executions"].sum() if not counted.executions.empty else None
    if runs is None or runs.empty:
        return stores.iloc[0:0]
    frame = stores.drop(columns=["executions"], errors="ignore").join(runs.astype(float), on=key)
    frame["executions"] = frame["executions"].fillna(0.0)
    frame["put_requests"] = frame["executions"] * frame["put_actions"].astype(float)
    frame["get_requests"] = frame["executions"] * frame["get_actions"].astype(float)
    return frame[frame["executions"] > 0].reset_index(drop=True)


def _objects(storage: pd.DataFrame, sized: pd.DataFrame) -> pd.Series:
    """Per storage-type row: the bucket's object count (CloudWatch NumberOfObjects, AllStorageTypes) times the
    type's share of the bucket's bytes (NaN when either is unknown)."""
    key = [name for name in ("account", "bucket") if name in storage]
    if "avg_objects" not in storage:
        return pd.Series(np.nan, index=sized.index)
    counted = storage.loc[storage["storage_type"] == "AllStorageTypes", [*key, "avg_objects"]].drop_duplicates(key)
    total = sized.groupby(key)["avg_bytes"].transform(lambda b: b.astype(float).sum())
    objects = sized[key].merge(counted, on=key, how="left")["avg_objects"].astype(float).to_numpy()
    share = sized["avg_bytes"].astype(float) / total.where(total > 0)
    return pd.Series(objects, index=sized.index) * share


def _settings(snapshot: Snapshot, sized: pd.DataFrame) -> pd.DataFrame:
    """The buckets' settings the lifecycle rule weighs (found, versioning, has_expiration), when collected."""
    buckets = snapshot.table("buckets")
    wanted = [name for name in ("found", "versioning", "has_expiration") if name in buckets]
    if buckets.empty or not wanted:
        return sized
    key = [name for name in ("account", "bucket") if name in buckets and name in sized]
    settings = buckets[[*key, *wanted]].drop_duplicates(key)
    return sized.drop(columns=[c for c in wanted if c in sized]).merge(settings, on=key, how="left")


FUNCTION_KEY = ["account", "region", "function"]
INVOKER_KEY = [*FUNCTION_KEY, "pipeline"]


def _invoking_pipelines(snapshot: Snapshot, counted: RunCounts) -> pd.DataFrame:
    """function -> the pipelines whose Invoke actions call it (`actions`: their names, comma-separated), each
    with its `share` of the function's use (`_invoker_runs`)."""
    columns = [*INVOKER_KEY, "actions", "share"]
    actions = snapshot.table("pipeline_actions")
    if actions.empty or "function_name" not in actions:
        return pd.DataFrame(columns=columns)
    calls = actions.loc[actions["function_name"].notna(), ["account", "region", "pipeline", "action", "function_name"]]
    calls = calls.rename(columns={"function_name": "function"}).drop_duplicates()
    calls["action"] = calls["action"].astype(str)
    invokers: pd.DataFrame = calls.groupby(INVOKER_KEY)["action"].agg(lambda a: ",".join(sorted(a))).reset_index()
    invokers = invokers.rename(columns={"action": "actions"})
    return invokers.assign(share=_invoker_runs(invokers, counted)[1])[columns]


def _invoker_runs(invokers: pd.DataFrame, counted: RunCounts) -> tuple[pd.Series, pd.Series]:
    """Per (function, invoking pipeline) row: its Invoke action executions, and its share of the function's use,
    those runs over all its pipelines' (equal shares when none ran)."""
    if invokers.empty:
        return pd.Series(0.0, index=invokers.index), pd.Series(1.0, index=invokers.index)
    calls = invokers.assign(action=invokers["actions"].astype(str).str.split(",")).explode("action")
    runs = counted.actions.groupby(ACTION_COUNT_KEYS)["runs"].sum() if not counted.actions.empty else None
    if runs is None or runs.empty:
        calls["runs"] = 0.0
    else:
        calls = calls.join(runs.astype(float), on=ACTION_COUNT_KEYS)
    per_row = calls["runs"].astype(float).fillna(0.0).groupby(level=0).sum().reindex(invokers.index, fill_value=0.0)
    frame = invokers[FUNCTION_KEY].assign(runs=per_row)
    total = frame.groupby(FUNCTION_KEY)["runs"].transform("sum")
    count = frame.groupby(FUNCTION_KEY)["runs"].transform("size")
    return per_row, (per_row / total.where(total > 0)).fillna(1.0 / count)


def _share_buckets(snapshot: Snapshot, sized: pd.DataFrame, counted: RunCounts) -> pd.DataFrame:
    """Attribute an artifact bucket's storage to the pipelines that use it, in proportion to their
    executions in the window (equally when none ran); buckets no pipeline uses stay unattributed."""
    pipelines = snapshot.table("pipelines")
    if pipelines.empty:
        return sized.assign(pipeline=None, share=1.0)
    users = pipelines.assign(bucket=pipelines["artifact_buckets"].str.split(",")).explode("bucket")
    users = users[users["bucket"].notna() & (users["bucket"] != "")][["account", "pipeline", "bucket"]]
    shared = sized.merge(users.drop_duplicates(), on=["account", "bucket"], how="left")
    return shared.assign(share=_storage_shares(shared, counted))


def _storage_shares(stored: pd.DataFrame, counted: RunCounts) -> pd.Series:
    """Per stored row (bucket, storage type, pipeline): that pipeline's share of the bucket, its executions over
    those of all the bucket's pipelines (equal shares when none ran); 1 for a bucket no pipeline uses."""
    users = stored["pipeline"].notna()
    key = ["account", "pipeline"]
    executions = counted.executions
    runs = (
        executions.groupby(key)["executions"].sum().rename("runs").reset_index()
        if not executions.empty
        else pd.DataFrame(columns=[*key, "runs"])
    )
    found = stored[key].astype(object).merge(runs.astype(dict.fromkeys(key, object)), on=key, how="left")["runs"]
    mine = pd.Series(found.astype(float).to_numpy(), index=stored.index).fillna(0.0).where(users)
    group = [stored["account"], stored["bucket"], stored["storage_type"].astype(object).fillna("")]
    totals = mine.groupby(group).transform("sum")
    count = mine.groupby(group).transform("count")
    share = pd.Series(np.where(totals > 0, mine / totals.where(totals > 0, 1.0), 1.0 / count), index=stored.index)
    return share.where(users, 1.0)


def follow_executions(before: Usage, after: Usage) -> Usage:
    """`after`, an edit of the observed `before`, with what a snapshot derives from its pipeline executions
    derived again, by the same code, when the edit changed which executions ran (`runs.executions`): a V1
    pipeline's `active`, the artifact requests (executions x actions), the buckets' storage shares, and the
    functions' shares by their Invoke runs (`runs.actions`). A function's requests move with its pipelines'
    Invoke runs (per run they stay as observed); stored GB is a level and only its attribution moves."""
    if after.planned or after.runs.executions.equals(before.runs.executions):
        return after
    bounds = after.observed.get("window")
    start = pd.Timestamp((Period.parse(bounds) if bounds else after.period).start)
    old = count_runs(before.runs.executions, before.runs.actions, start)
    new = count_runs(after.runs.executions, after.runs.actions, start)
    inventory = after.inventory
    pipelines = inventory.pipelines
    if not pipelines.empty:
        inventory.pipelines = pipelines.assign(active=_ran_in_window(new, pipelines))
    buckets = inventory.buckets
    if not buckets.empty:
        stored = buckets["storage_type"].notna()
        flows = ~stored & buckets["put_actions"].notna()
        kept = buckets[~flows].copy()
        kept.loc[stored[~flows], "share"] = _storage_shares(buckets[stored], new)
        requests = _artifact_flows(buckets[flows], new)
        inventory.buckets = table(pd.concat([kept, requests], ignore_index=True), BUCKET_COLUMNS)
    functions = inventory.functions
    invoked = functions["actions"].notna() if not functions.empty else pd.Series(False, index=functions.index)
    if invoked.any():
        rows = functions[invoked]
        was, _ = _invoker_runs(rows, old)
        runs, share = _invoker_runs(rows, new)
        by_function = [rows[column] for column in FUNCTION_KEY]
        total_was, total = was.groupby(by_function).transform("sum"), runs.groupby(by_function).transform("sum")
        scale = (total / total_was.where(total_was > 0)).fillna(1.0)
        changed = functions.copy()
        changed.loc[invoked, "share"] = share
        for column in ("requests", "invocations"):
            changed[column] = changed[column].astype(float)
            changed.loc[invoked, column] = rows[column].astype(float) * scale
        inventory.functions = changed
    return after


def load_snapshot(
    snapshot: str | Path | Snapshot,
    *,
    period: Period | None = None,
    pricebook: PriceBook | None = None,
    engine: Literal["pandas", "duckdb", "athena"] = "pandas",
    athena: Tables | None = None,
) -> Usage:
    """A snapshot (or its folder) as the observed usage model for `period` (default: the calendar month its
    window covers, or the month its window ends in), with its window, data quality and, when comparable, the
    Cost Explorer actuals. `engine="duckdb"` leaves the run tables on disk and sums them in SQL (docs/scale.md):
    the model's runs are then aggregated, one row per action (or project and compute type) standing for its runs.
    `engine="athena"` sums the run tables that `athena` names (Athena tables over the snapshot's Parquet in S3)
    with the same SQL; the folder gives the manifest and the other tables, and its run-table files, if any,
    are not read."""
    book = pricebook or current_pricebook()
    totals = None
    if (engine == "athena") != (athena is not None):
        raise ParameterError("athena", athena, "names the Athena tables of engine='athena', and only of it")
    if engine in ("duckdb", "athena"):
        from costkit.sources.snapshot import in_athena, in_duckdb  # imports duckdb only when asked for

        if isinstance(snapshot, Snapshot):
            loaded = snapshot
        elif athena is not None:
            loaded = read_snapshot(Path(snapshot), remote=in_duckdb.RUN_TABLES)
        else:
            loaded = read_snapshot(Path(snapshot), defer=in_duckdb.RUN_TABLES)
        if athena is not None:
            totals, problems = in_athena.run_totals(loaded, book, athena)
        else:
            totals, problems = in_duckdb.run_totals(loaded, book)
        listed = [str(name) for name in loaded.manifest.get("tables", [])]
        loaded = replace(loaded, problems=in_order([*loaded.problems, *problems], listed))
    else:
        loaded = snapshot if isinstance(snapshot, Snapshot) else read_snapshot(Path(snapshot))
    when = period.billing() if period is not None else snapshot_period(loaded)
    usage = derive_observed(loaded, book, when, totals=totals)
    usage.source = str(snapshot) if not isinstance(snapshot, Snapshot) else "<snapshot>"
    usage.observed = {
        "engine": engine,
        "window": loaded.manifest.get("window"),
        "partial_collection": loaded.partial,
        "problems": [problem.to_dict() for problem in loaded.problems],
        "lifecycle_rules": "has_expiration" in loaded.table("buckets"),  # collected by this costkit's collect
    }
    if _comparable(loaded, when, usage.projection):
        usage.actuals = loaded.table("actuals")
    return usage


def snapshot_period(snapshot: Snapshot) -> Period:
    """The calendar month a snapshot's window covers, or the month its window ends in."""
    return snapshot.window.calendar_month()


def _comparable(snapshot: Snapshot, period: Period, projection: float) -> bool:
    """Actuals are compared only for a whole calendar month that was closed when collected, priced as that
    month, with a final (not estimated) bill and nothing missing from the collection."""
    actuals = snapshot.table("actuals")
    bounds = snapshot.manifest.get("window") or {}
    if actuals.empty or not bounds or snapshot.partial or projection != 1.0:
        return False
    window = snapshot.window
    created = pd.Timestamp(snapshot.manifest.get("created") or "1970-01-01T00:00:00+00:00")
    final = "estimated" not in actuals or not actuals["estimated"].astype(bool).any()
    return window == period and created >= window.end and final
