"""The usage model each source derives, checked field by field against values worked by hand from its input:
a usage file through `costkit.derive_usage` (sources/usage_file/derive.py) and a snapshot through
`costkit.load_snapshot` (sources/snapshot/observed.py).

The savings rules, what-if and the by-pipeline view read the model's inventory and runs, not only the priced
rows, so a wrong attribute there (a pipeline's trigger flag, an action's owner, a bucket's share, the region a
resource is placed in) is a wrong answer even when the month's total is right. Each test says the bug it catches.

Prices (pricing/, the same in us-east-1 and eu-west-1): CodePipeline V2 $0.002 per action minute, V1 $1.00 per
active pipeline-month; S3 Standard $0.023 per GB-month (first 51,200 GB). Free tiers off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from athena_snapshot import DuckTables, lay_out
from frames import records

from costkit import Period, Usage, derive_usage, estimate, load_pricebook, load_snapshot
from costkit.errors import ParameterError
from costkit.model.inventory import BUCKET_COLUMNS, FUNCTION_COLUMNS, PIPELINE_COLUMNS, PROJECT_COLUMNS
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS
from costkit.sources.snapshot.folder import Snapshot, write
from costkit.sources.snapshot.observed import count_runs, derive_observed, follow_executions, inventory, run_counts

BOOK = load_pricebook()
NOVEMBER = Period.month(2026, 11)  # [2026-11-01, 2026-12-01)
HOME, ELSEWHERE = "111122223333", "444455556666"
V2_MINUTE = 0.002


# --- a usage file -----------------------------------------------------------------------------------------------


def estate(**overrides: Any) -> dict[str, Any]:
    """A small usage file with one resource of each kind placed by the file's defaults and one placed elsewhere."""
    return {
        "version": 1, "region": "eu-west-1", "account": HOME, "free_tier": False,
        "pipelines": {
            "web": {"type": "V2", "executions_per_month": 40, "created": dt.date(2026, 10, 2),
                    "execution_mode": "QUEUED", "triggers": True,
                    "actions": [{"name": "Src", "category": "Source", "minutes": 0.5},
                                {"name": "Tests", "category": "Test", "owner": "ThirdParty", "minutes": 2.25,
                                 "runs_per_execution": 0.5}]},
            "old": {"type": "V1", "active": False, "region": "us-west-2", "account": ELSEWHERE},
        },
        "codebuild": {
            "build": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 30, "minutes_per_build": 2.5,
                      "pipeline": "web"},
            "nightly": {"compute_type": "BUILD_GENERAL1_MEDIUM", "build_minutes_per_month": 600,
                        "region": "us-west-2"},
        },
        "lambda": {"notify": {"memory_mb": 256, "requests_per_month": 1000, "duration_ms": 120, "pipeline": "web"}},
        "s3": {
            "art": {"storage_gb": 10, "put_requests_per_month": 100, "get_requests_per_month": 200, "pipeline": "web"},
            "cold": {"storage_class": "GLACIER", "storage_gb": 5, "retrieval_gb_per_month": 1,
                     "lifecycle_transitions_per_month": 7, "objects": 9, "account": ELSEWHERE},
        },
        **overrides,
    }  # fmt: skip


def bare(**sections: Any) -> dict[str, Any]:
    """A usage file with only `sections` (the file's defaults as in `estate`)."""
    return {"version": 1, "region": "eu-west-1", "account": HOME, "free_tier": False, **sections}


def test_a_usage_file_inventory_holds_every_stated_attribute_with_its_defaults() -> None:
    """Catches a usage file's attributes lost or defaulted wrongly on the way into the model: a V2 pipeline's
    execution mode or trigger flag dropped, a V1 pipeline given V2 features (triggers, variables) or made active,
    the age counted from the wrong end of the month, a resource's own region or account overwritten by the
    file's (or the file's not filled in), a column renamed (requests, put/get requests, retrieval, transitions)."""
    usage = derive_usage(estate(), period=NOVEMBER, pricebook=BOOK)
    inventory = usage.inventory
    assert list(inventory.pipelines.columns) == PIPELINE_COLUMNS
    # web: created 2 October, 60 days before the period's end (1 December): 30 days of October + 30 of November.
    assert records(inventory.pipelines, PIPELINE_COLUMNS) == [
        {"account": HOME, "region": "eu-west-1", "pipeline": "web", "type": "V2", "execution_mode": "QUEUED",
         "triggers": True, "variables": False, "created": dt.date(2026, 10, 2), "artifact_buckets": None,
         "active": True, "age_days": 60.0},
        {"account": ELSEWHERE, "region": "us-west-2", "pipeline": "old", "type": "V1", "execution_mode": "SUPERSEDED",
         "triggers": False, "variables": False, "created": None, "artifact_buckets": None, "active": False,
         "age_days": None},
    ]  # fmt: skip
    assert list(inventory.projects.columns) == PROJECT_COLUMNS
    assert records(inventory.projects, PROJECT_COLUMNS) == [
        {"account": HOME, "region": "eu-west-1", "project": "build", "pipeline": "web",
         "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER", "image": None,
         "cache_type": None, "build_minutes_per_month": None},
        {"account": HOME, "region": "us-west-2", "project": "nightly", "pipeline": None,
         "compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER", "image": None,
         "cache_type": None, "build_minutes_per_month": 600.0},
    ]  # fmt: skip
    assert list(inventory.functions.columns) == FUNCTION_COLUMNS
    assert records(inventory.functions, FUNCTION_COLUMNS) == [
        {"account": HOME, "region": "eu-west-1", "function": "notify", "pipeline": "web", "share": 1.0,
         "memory_mb": 256, "architecture": "x86_64", "ephemeral_storage_mb": 512, "requests": 1000.0,
         "duration_ms": 120.0, "invocations": None, "actions": None},
    ]  # fmt: skip
    assert list(inventory.buckets.columns) == BUCKET_COLUMNS
    stated = ["account", "region", "bucket", "pipeline", "share", "storage_class", "storage_type", "storage_gb",
              "objects", "put_requests", "get_requests", "retrieval_gb", "transitions"]  # fmt: skip
    assert records(inventory.buckets, stated) == [
        {"account": HOME, "region": "eu-west-1", "bucket": "art", "pipeline": "web", "share": 1.0,
         "storage_class": "STANDARD", "storage_type": None, "storage_gb": 10.0, "objects": None,
         "put_requests": 100.0, "get_requests": 200.0, "retrieval_gb": 0.0, "transitions": 0.0},
        {"account": ELSEWHERE, "region": "eu-west-1", "bucket": "cold", "pipeline": None, "share": 1.0,
         "storage_class": "GLACIER", "storage_type": None, "storage_gb": 5.0, "objects": 9.0,
         "put_requests": 0.0, "get_requests": 0.0, "retrieval_gb": 1.0, "transitions": 7.0},
    ]  # fmt: skip
    # A usage file states no bucket settings and no snapshot counts: all empty.
    assert inventory.buckets[["executions", "put_actions", "get_actions", "found", "versioning",
                              "has_expiration"]].isna().all().all()  # fmt: skip


def test_a_usage_file_plans_one_run_per_action_and_per_build_project() -> None:
    """Catches a planned run wrongly counted, timed or labelled: `runs_per_execution` ignored or dividing,
    minutes turned into seconds with the wrong factor, an action's owner or category lost (a third-party
    action is charged, a custom one is not), the component label misbuilt, a build project given as a monthly
    total turned into runs, or a planned build put on a reserved-capacity fleet."""
    usage = derive_usage(estate(), period=NOVEMBER, pricebook=BOOK)
    actions = usage.runs.actions
    assert list(actions.columns) == ACTION_RUN_COLUMNS
    # web: 40 executions; Src 0.5 min = 30 s, billed 1 min each; Tests runs in one execution of two (20 runs) for
    # 2.25 min = 135 s, billed 3 min each. The V1 pipeline states no actions: no runs.
    assert records(actions, ["account", "region", "pipeline", "action", "category", "owner", "component", "v2",
                             "charged", "count", "seconds", "minutes", "billed"]) == [
        {"account": HOME, "region": "eu-west-1", "pipeline": "web", "action": "Src", "category": "Source",
         "owner": "AWS", "component": "Src (Source)", "v2": True, "charged": True, "count": 40.0, "seconds": 30.0,
         "minutes": 1.0, "billed": 1.0},
        {"account": HOME, "region": "eu-west-1", "pipeline": "web", "action": "Tests", "category": "Test",
         "owner": "ThirdParty", "component": "Tests (Test)", "v2": True, "charged": True, "count": 20.0,
         "seconds": 135.0, "minutes": 3.0, "billed": 3.0},
    ]  # fmt: skip
    builds = usage.runs.builds
    assert list(builds.columns) == BUILD_RUN_COLUMNS
    # build: 30 builds of 2.5 min = 150 s, billed 3 min each; nightly is a monthly total: no runs.
    assert records(builds, ["account", "region", "project", "pipeline", "compute_type", "environment_type",
                            "usage_type", "fleet", "count", "seconds", "billed"]) == [
        {"account": HOME, "region": "eu-west-1", "project": "build", "pipeline": "web",
         "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER",
         "usage_type": "Build-Min:Linux:g1.small", "fleet": False, "count": 30.0, "seconds": 150.0, "billed": 3.0},
    ]  # fmt: skip
    assert usage.runs.planned
    # The month's CodePipeline bill: 40 x 1 min + 20 x 3 min of V2 action minutes; old is V1 and not active.
    assert estimate(usage, pricebook=BOOK).by_service()["CodePipeline"] == pytest.approx((40 * 1 + 20 * 3) * V2_MINUTE)


def test_a_usage_file_model_says_it_is_planned_and_where_it_came_from(tmp_path: Path) -> None:
    """Catches the model's own fields lost: planned taken for observed, the source file's name, the period, the
    file's defaults (region, account) or its free-tier choice dropped, or the region override noted without one."""
    path = tmp_path / "estate.yaml"
    path.write_text(
        "version: 1\nregion: eu-west-1\naccount: '111122223333'\nfree_tier: false\ns3:\n  art:\n    storage_gb: 10\n",
        encoding="utf-8",
    )
    usage = derive_usage(path, period=NOVEMBER, pricebook=BOOK)
    assert usage.planned is True
    assert usage.source == str(path)
    assert usage.period == NOVEMBER.billing()
    assert usage.defaults == {"region": "eu-west-1", "account": HOME}
    assert usage.free_tier is False
    assert usage.region is None
    assert usage.noted == {"monthly-usage-file"}
    # No pipelines and no projects: empty run tables with the model's columns.
    assert usage.runs.actions.empty
    assert list(usage.runs.actions.columns) == ACTION_RUN_COLUMNS
    assert usage.runs.builds.empty
    assert list(usage.runs.builds.columns) == BUILD_RUN_COLUMNS
    assert list(usage.inventory.pipelines.columns) == PIPELINE_COLUMNS
    assert list(usage.inventory.projects.columns) == PROJECT_COLUMNS
    assert list(usage.inventory.functions.columns) == FUNCTION_COLUMNS
    # 10 GB of S3 Standard in eu-west-1 at $0.023 per GB-month.
    assert estimate(usage, pricebook=BOOK).total == pytest.approx(10 * 0.023)


def test_a_region_override_places_every_resource_in_that_region_and_says_so() -> None:
    """Catches `region=` applied to some sections only (pipelines, projects, functions or buckets left in their
    stated region), or a resource's own region kept over the override, or the override not noted as an
    assumption; the accounts stay as stated (defaults filled in)."""
    usage = derive_usage(estate(), period=NOVEMBER, region="ap-southeast-2", pricebook=BOOK)
    inventory = usage.inventory
    for frame in (inventory.pipelines, inventory.projects, inventory.functions, inventory.buckets,
                  usage.runs.actions, usage.runs.builds):  # fmt: skip
        assert set(frame["region"]) == {"ap-southeast-2"}, frame
    assert list(inventory.pipelines["account"]) == [HOME, ELSEWHERE]
    assert list(inventory.projects["account"]) == [HOME, HOME]
    assert list(inventory.buckets["account"]) == [HOME, ELSEWHERE]
    assert usage.region == "ap-southeast-2"
    assert usage.defaults == {"region": "eu-west-1", "account": HOME}  # the file's own, as written
    assert usage.noted == {"monthly-usage-file", "region-override"}
    assert set(usage.rows["region"]) == {"ap-southeast-2"}


def test_a_usage_file_of_v2_pipelines_only_is_active_and_of_v1_only_has_no_v2_features() -> None:
    """Catches the defaults for a section whose pipelines all lack a field: a file of V2 pipelines only (no
    `active` stated anywhere) made inactive, a file of V1 pipelines only (no execution mode, triggers or
    variables anywhere) given another mode or V2 features; and a V1 pipeline whose actions are planned."""
    v2 = derive_usage(
        bare(pipelines={"web": {"type": "V2", "executions_per_month": 5,
                                  "actions": [{"name": "Build", "category": "Build", "minutes": 1}]}}),
        period=NOVEMBER, pricebook=BOOK,
    )  # fmt: skip
    assert records(v2.inventory.pipelines, ["pipeline", "execution_mode", "triggers", "variables", "active"]) == [
        {"pipeline": "web", "execution_mode": "SUPERSEDED", "triggers": False, "variables": False, "active": True}
    ]
    v1 = derive_usage(
        bare(pipelines={"legacy": {"type": "V1", "created": dt.date(2026, 11, 1), "executions_per_month": 12,
                                     "actions": [{"name": "Deploy", "category": "Deploy", "minutes": 1.5}]}}),
        period=NOVEMBER, pricebook=BOOK,
    )  # fmt: skip
    # created 1 November: 30 days before 1 December.
    assert records(v1.inventory.pipelines, ["pipeline", "type", "execution_mode", "triggers", "variables", "active",
                                            "age_days"]) == [
        {"pipeline": "legacy", "type": "V1", "execution_mode": "SUPERSEDED", "triggers": False, "variables": False,
         "active": True, "age_days": 30.0}
    ]  # fmt: skip
    # 12 executions of Deploy, 1.5 min = 90 s: billed nothing on V1, would bill 2 min each on V2.
    assert records(v1.runs.actions, ["pipeline", "action", "component", "count", "seconds", "v2", "minutes",
                                     "billed"]) == [
        {"pipeline": "legacy", "action": "Deploy", "component": "Deploy (Deploy)", "count": 12.0, "seconds": 90.0,
         "v2": False, "minutes": 2.0, "billed": 0.0}
    ]  # fmt: skip


def test_derive_usage_uses_the_pricebook_and_period_it_is_given() -> None:
    """Catches derive_usage pricing with the bundled tables instead of the `pricebook` passed, or deriving this
    month instead of the `period` passed: a compute type only the given pricebook knows is accepted and metered
    by that pricebook's usage type."""
    extra = BOOK.compute_types.iloc[[0]].assign(compute_type="BUILD_CUSTOM_SMALL")  # bills as general1.small
    book = replace(BOOK, compute_types=pd.concat([BOOK.compute_types, extra], ignore_index=True))
    usage = derive_usage(
        bare(codebuild={"p": {"compute_type": "BUILD_CUSTOM_SMALL", "builds_per_month": 4,
                                              "minutes_per_build": 10}}),
        period=NOVEMBER, pricebook=book,
    )  # fmt: skip
    assert usage.period == NOVEMBER.billing()
    assert records(usage.runs.builds, ["project", "compute_type", "usage_type", "count", "billed"]) == [
        {
            "project": "p",
            "compute_type": "BUILD_CUSTOM_SMALL",
            "usage_type": "Build-Min:Linux:g1.small",
            "count": 4.0,
            "billed": 10.0,
        }
    ]


# --- a snapshot -------------------------------------------------------------------------------------------------

START, END = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")  # October: 31 days
HERE = {"account": HOME, "region": "us-east-1"}
GIB = 1024.0**3


def at(day: int, hour: int = 0, seconds: float = 0) -> pd.Timestamp:
    """An instant in October 2026 (day 0: 30 September)."""
    return START + pd.Timedelta(days=day - 1, hours=hour, seconds=seconds)


def observed_estate(extra: dict[str, list[dict[str, Any]]] | None = None, **manifest: Any) -> Snapshot:
    """October 2026, collected after it closed. Pipelines: web (V2, 4 executions), legacy (V1, 2 executions), idle
    (V1, one execution on 30 September only). web and legacy store artifacts in `shared`; `orphan` is nobody's.
    Actions: web Source, Build, Notify (invokes `notify`), Approve; legacy Source, Notify (invokes `notify`)."""
    old, recent = START - pd.Timedelta(days=400), at(1, 12) - pd.Timedelta(days=31)
    pipelines = [
        {**HERE, "pipeline": "web", "pipeline_type": "V2", "execution_mode": None, "created": recent,
         "artifact_buckets": "shared", "has_triggers": True, "has_variables": False},
        {**HERE, "pipeline": "legacy", "pipeline_type": "V1", "execution_mode": "SUPERSEDED", "created": old,
         "artifact_buckets": "shared", "has_triggers": False, "has_variables": False},
        {**HERE, "pipeline": "idle", "pipeline_type": "V1", "execution_mode": None, "created": old,
         "artifact_buckets": "", "has_triggers": False, "has_variables": True},
    ]  # fmt: skip
    declared = {"web": [("Source", "Source", None), ("Build", "Build", None), ("Notify", "Invoke", "notify"),
                        ("Approve", "Approval", None)],
                "legacy": [("Source", "Source", None), ("Notify", "Invoke", "notify")], "idle": []}  # fmt: skip
    actions = [{**HERE, "pipeline": name, "stage": action, "action": action, "category": category, "owner": "AWS",
                "provider": "Lambda" if function else "CodeBuild", "function_name": function}
               for name, acts in declared.items() for action, category, function in acts]  # fmt: skip
    starts = {"web": [at(2), at(3), at(4), at(5)], "legacy": [at(6), at(7)], "idle": [at(0, 12)]}
    executions = [{**HERE, "pipeline": name, "execution_id": f"{name}-{i}", "status": "Succeeded",
                   "trigger_type": "Webhook", "start": start, "last_update": start + pd.Timedelta(minutes=9)}
                  for name, times in starts.items() for i, start in enumerate(times)]  # fmt: skip

    def run(name: str, i: int, action: str, category: str | None, start: pd.Timestamp, seconds: float) -> dict:
        return {**HERE, "pipeline": name, "execution_id": f"{name}-{i}", "action_execution_id": f"{name}-{i}-{action}",
                "stage": action, "action": action, "category": category, "owner": "AWS", "provider": "CodeBuild",
                "start": start, "last_update": start + pd.Timedelta(seconds=seconds), "status": "Succeeded",
                "external_execution_id": None}  # fmt: skip

    action_runs = [
        run("web", 0, "Build", "Build", at(2), 150),  # 2.5 min: billed 3
        run("web", 1, "Build", None, at(3), 61),  # category unknown: component "Build (?)"; 61 s: billed 2
        run("web", 0, "Notify", "Invoke", at(2, 1), 30),
        run("web", 1, "Notify", "Invoke", at(3, 1), 30),
        run("web", 2, "Notify", "Invoke", at(4, 1), 30),
        run("web", 3, "Source", "Source", START - pd.Timedelta(seconds=90), 210),  # 120 s inside October: 2 min
        run("legacy", 0, "Notify", "Invoke", at(6, 1), 45),  # V1: bills nothing
    ]
    builds = [
        {**HERE, "project": "app", "build_id": "app:1", "build_number": 1, "status": "SUCCEEDED", "start": at(2),
         "end": at(2, seconds=200), "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER",
         "fleet_arn": "", "initiator": "codepipeline/web", "provisioning_start": at(2, seconds=-20),
         "billed_start": at(2, seconds=-20), "billable_seconds": 220},
        {**HERE, "project": "app", "build_id": "app:2", "build_number": 2, "status": "SUCCEEDED",
         "start": END - pd.Timedelta(seconds=100), "end": END + pd.Timedelta(seconds=500),
         "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER", "fleet_arn": None,
         "initiator": "alice", "provisioning_start": END - pd.Timedelta(seconds=100),
         "billed_start": END - pd.Timedelta(seconds=100), "billable_seconds": 600},
        {**HERE, "project": "reserved", "build_id": "reserved:1", "build_number": 1, "status": "SUCCEEDED",
         "start": at(8), "end": at(8, seconds=60), "compute_type": "BUILD_GENERAL1_SMALL",
         "environment_type": "LINUX_CONTAINER", "fleet_arn": "arn:aws:codebuild:us-east-1:111122223333:fleet/f",
         "initiator": None, "provisioning_start": at(8), "billed_start": at(8), "billable_seconds": 60},
    ]  # fmt: skip
    projects = [
        {**HERE, "project": "app", "pipeline": "web", "compute_type": "BUILD_GENERAL1_SMALL",
         "environment_type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "cache_type": None},
        {**HERE, "project": "reserved", "pipeline": None, "compute_type": "BUILD_GENERAL1_SMALL",
         "environment_type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "cache_type": "S3"},
    ]  # fmt: skip
    functions = [
        {**HERE, "function": name, "memory_mb": 128, "architecture": "x86_64", "ephemeral_storage_mb": 512,
         "found": found} for name, found in (("notify", True), ("lonely", True), ("ghost", False))
    ]  # fmt: skip
    metrics = [
        {**HERE, "function": "notify", "invocations": 8000.0, "duration_ms_avg": 100.0},
        {**HERE, "function": "lonely", "invocations": None, "duration_ms_avg": 20.0},
        {**HERE, "function": "ghost", "invocations": 50.0, "duration_ms_avg": 10.0},
    ]
    storage = [
        {**HERE, "bucket": "shared", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 6900.0},
        {**HERE, "bucket": "shared", "storage_type": "StandardStorage", "avg_bytes": 60 * GIB, "avg_objects": None},
        {**HERE, "bucket": "shared", "storage_type": "StandardIAStorage", "avg_bytes": 9 * GIB, "avg_objects": None},
        {**HERE, "bucket": "orphan", "storage_type": "StandardStorage", "avg_bytes": 5 * GIB, "avg_objects": None},
    ]
    buckets = [
        {**HERE, "bucket": "shared", "found": True, "versioning": "Enabled", "has_expiration": False},
        {**HERE, "bucket": "orphan", "found": True, "versioning": "Disabled", "has_expiration": True},
    ]
    tables = {"pipelines": pipelines, "pipeline_actions": actions, "pipeline_executions": executions,
              "action_executions": action_runs, "builds": builds, "projects": projects, "functions": functions,
              "function_metrics": metrics, "bucket_storage": storage, "buckets": buckets}  # fmt: skip
    window, added = {"start": START.isoformat(), "end": END.isoformat()}, extra or {}
    return Snapshot(
        tables={name: pd.DataFrame(tables.get(name, []) + added.get(name, [])) for name in {**tables, **added}},
        manifest={"window": window, "created": (END + pd.Timedelta(days=2)).isoformat(), **manifest},
    )


def test_a_snapshot_inventory_by_hand() -> None:
    """Catches a snapshot's inventory derived wrongly: a V1 pipeline made active by a run before the window (or
    not by one inside it), a pipeline's age in whole days or from the wrong end of the window, an unknown
    execution mode not read as SUPERSEDED, an unknown cache as anything but NO_CACHE; a function of another
    account or not found kept, its Invoke shares not split by its invoking actions' runs; a bucket's storage
    types, object counts or settings lost, its storage not shared by the executions of the pipelines using it,
    or the artifact requests not counted as executions x (Source/Build actions, later non-approval actions)."""
    assert_estate_inventory(load_snapshot(observed_estate(), pricebook=BOOK))


def assert_estate_inventory(usage: Usage, checked: bool = False) -> None:
    """`observed_estate`'s inventory, worked by hand; `checked`: as read from its folder, whose checks leave out
    the metrics row without an invocation count (lonely's)."""
    inventory = usage.inventory
    # web: created 31 days before noon on 1 October, so 61.5 days before the window's end (1 November).
    # legacy and idle: created 400 days before the window's start, 431 before its end.
    assert records(inventory.pipelines, PIPELINE_COLUMNS) == [
        {**HERE, "pipeline": "web", "type": "V2", "execution_mode": "SUPERSEDED", "triggers": True,
         "variables": False, "created": pd.Timestamp("2026-08-31T12:00", tz="UTC"), "artifact_buckets": "shared",
         "active": True, "age_days": 61.5},
        {**HERE, "pipeline": "legacy", "type": "V1", "execution_mode": "SUPERSEDED", "triggers": False,
         "variables": False, "created": START - pd.Timedelta(days=400), "artifact_buckets": "shared",
         "active": True, "age_days": 431.0},
        {**HERE, "pipeline": "idle", "type": "V1", "execution_mode": "SUPERSEDED", "triggers": False,
         "variables": True, "created": START - pd.Timedelta(days=400), "artifact_buckets": "", "active": False,
         "age_days": 431.0},
    ]  # fmt: skip
    assert records(inventory.projects, PROJECT_COLUMNS) == [
        {**HERE, "project": "app", "pipeline": "web", "compute_type": "BUILD_GENERAL1_SMALL",
         "environment_type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "cache_type": "NO_CACHE",
         "build_minutes_per_month": None},
        {**HERE, "project": "reserved", "pipeline": None, "compute_type": "BUILD_GENERAL1_SMALL",
         "environment_type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "cache_type": "S3",
         "build_minutes_per_month": None},
    ]  # fmt: skip
    # notify: 8,000 invocations, shared by web's 3 Notify runs and legacy's 1: 3/4 and 1/4. lonely: no invoking
    # pipeline (all its use unattributed) and no invocation count (0 requests). ghost was not found.
    lonely = {**HERE, "function": "lonely", "pipeline": None, "share": 1.0, "memory_mb": 128,
              "architecture": "x86_64", "ephemeral_storage_mb": 512, "requests": 0.0, "duration_ms": 20.0,
              "invocations": None, "actions": None}  # fmt: skip
    assert records(inventory.functions, FUNCTION_COLUMNS) == [
        {**HERE, "function": "notify", "pipeline": "legacy", "share": 0.25, "memory_mb": 128,
         "architecture": "x86_64", "ephemeral_storage_mb": 512, "requests": 8000.0, "duration_ms": 100.0,
         "invocations": 8000.0, "actions": "Notify"},
        {**HERE, "function": "notify", "pipeline": "web", "share": 0.75, "memory_mb": 128,
         "architecture": "x86_64", "ephemeral_storage_mb": 512, "requests": 8000.0, "duration_ms": 100.0,
         "invocations": 8000.0, "actions": "Notify"},
        *([] if checked else [lonely]),
    ]  # fmt: skip
    # shared: 60 GB Standard + 9 GB Standard-IA, 6,900 objects split by bytes (6,000 and 900); its storage is
    # shared 4:2 by web's and legacy's executions. orphan: nobody's (share 1). Then one artifact-request row per
    # pipeline and store: web 4 executions x 2 PUT actions (Source, Build) and x 2 GET actions (Build, Notify; not
    # Approve); legacy 2 x 1 PUT (Source) and 2 x 1 GET (Notify).
    settings = {"found": True, "versioning": "Enabled", "has_expiration": False}
    stored = {"storage_class": None, "put_requests": None, "get_requests": None, "executions": None,
              "put_actions": None, "get_actions": None}  # fmt: skip
    flows = {"storage_class": "STANDARD", "storage_type": None, "storage_gb": None, "objects": None, "share": 1.0,
             "found": None, "versioning": None, "has_expiration": None}  # fmt: skip
    columns = ["account", "region", "bucket", "pipeline", "share", "storage_class", "storage_type", "storage_gb",
               "objects", "put_requests", "get_requests", "executions", "put_actions", "get_actions", "found",
               "versioning", "has_expiration"]  # fmt: skip
    assert records(inventory.buckets, columns) == [
        {**HERE, "bucket": "shared", "pipeline": "web", "share": pytest.approx(4 / 6), **stored,
         "storage_type": "StandardStorage", "storage_gb": pytest.approx(60.0), "objects": pytest.approx(6000.0),
         **settings},
        {**HERE, "bucket": "shared", "pipeline": "legacy", "share": pytest.approx(2 / 6), **stored,
         "storage_type": "StandardStorage", "storage_gb": pytest.approx(60.0), "objects": pytest.approx(6000.0),
         **settings},
        {**HERE, "bucket": "shared", "pipeline": "web", "share": pytest.approx(4 / 6), **stored,
         "storage_type": "StandardIAStorage", "storage_gb": pytest.approx(9.0), "objects": pytest.approx(900.0),
         **settings},
        {**HERE, "bucket": "shared", "pipeline": "legacy", "share": pytest.approx(2 / 6), **stored,
         "storage_type": "StandardIAStorage", "storage_gb": pytest.approx(9.0), "objects": pytest.approx(900.0),
         **settings},
        {**HERE, "bucket": "orphan", "pipeline": None, "share": 1.0, **stored, "storage_type": "StandardStorage",
         "storage_gb": pytest.approx(5.0), "objects": None, "found": True, "versioning": "Disabled",
         "has_expiration": True},
        {**HERE, "bucket": "shared", "pipeline": "web", **flows, "put_requests": 8.0, "get_requests": 8.0,
         "executions": 4.0, "put_actions": 2.0, "get_actions": 2.0},
        {**HERE, "bucket": "shared", "pipeline": "legacy", **flows, "put_requests": 2.0, "get_requests": 2.0,
         "executions": 2.0, "put_actions": 1.0, "get_actions": 1.0},
    ]  # fmt: skip


def test_a_snapshot_runs_by_hand() -> None:
    """Catches an observed run timed, attributed or labelled wrongly: an action or build not clipped to the
    window (or clipped at the wrong edge), a build timed from its start instead of its PROVISIONING start, a
    build's pipeline not read from a `codepipeline/` initiator, an empty fleet ARN taken for a fleet, an unknown
    category not shown as `?`, a run counted more or less than once, or the snapshot's executions lost."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    # Build: 150 s billed 3 min, 61 s billed 2; Notify 30 s billed 1 (x3); Source started 90 s before the window
    # and ran 210 s: 120 s in October, 2 min; legacy's Notify: 45 s, would bill 1 min on V2, bills none on V1.
    assert records(usage.runs.actions, ["pipeline", "action", "category", "owner", "component", "execution_id",
                                        "count", "seconds", "v2", "charged", "minutes", "billed", "stale"]) == [
        {"pipeline": "web", "action": "Build", "category": "Build", "owner": "AWS", "component": "Build (Build)",
         "execution_id": "web-0", "count": 1.0, "seconds": 150.0, "v2": True, "charged": True, "minutes": 3.0,
         "billed": 3.0, "stale": False},
        {"pipeline": "web", "action": "Build", "category": None, "owner": "AWS", "component": "Build (?)",
         "execution_id": "web-1", "count": 1.0, "seconds": 61.0, "v2": True, "charged": True, "minutes": 2.0,
         "billed": 2.0, "stale": False},
        *[{"pipeline": "web", "action": "Notify", "category": "Invoke", "owner": "AWS",
           "component": "Notify (Invoke)", "execution_id": f"web-{i}", "count": 1.0, "seconds": 30.0, "v2": True,
           "charged": True, "minutes": 1.0, "billed": 1.0, "stale": False} for i in range(3)],
        {"pipeline": "web", "action": "Source", "category": "Source", "owner": "AWS",
         "component": "Source (Source)", "execution_id": "web-3", "count": 1.0, "seconds": 120.0, "v2": True,
         "charged": True, "minutes": 2.0, "billed": 2.0, "stale": False},
        {"pipeline": "legacy", "action": "Notify", "category": "Invoke", "owner": "AWS",
         "component": "Notify (Invoke)", "execution_id": "legacy-0", "count": 1.0, "seconds": 45.0, "v2": False,
         "charged": False, "minutes": 1.0, "billed": 0.0, "stale": False},
    ]  # fmt: skip
    # app:1 from 20 s before its start (provisioning) to 200 s after: 220 s, 4 min; started by web's pipeline.
    # app:2 from 100 s before the window's end to 500 s after it: 100 s in October, 2 min; started by alice.
    # reserved:1 on a fleet: billed through the fleet, one build.
    assert records(usage.runs.builds, ["project", "pipeline", "build_id", "initiator", "fleet", "usage_type",
                                       "count", "seconds", "billed", "stale"]) == [
        {"project": "app", "pipeline": "web", "build_id": "app:1", "initiator": "codepipeline/web", "fleet": False,
         "usage_type": "Build-Min:Linux:g1.small", "count": 1.0, "seconds": 220.0, "billed": 4.0, "stale": False},
        {"project": "app", "pipeline": None, "build_id": "app:2", "initiator": "alice", "fleet": False,
         "usage_type": "Build-Min:Linux:g1.small", "count": 1.0, "seconds": 100.0, "billed": 2.0, "stale": False},
        {"project": "reserved", "pipeline": None, "build_id": "reserved:1", "initiator": None, "fleet": True,
         "usage_type": "ReservedCapacity-Fleet", "count": 1.0, "seconds": 60.0, "billed": 1.0, "stale": False},
    ]  # fmt: skip
    assert list(usage.runs.executions["execution_id"]) == ["web-0", "web-1", "web-2", "web-3", "legacy-0",
                                                           "legacy-1", "idle-0"]  # fmt: skip
    assert not usage.runs.planned
    # The bill: 3 + 2 + 3 x 1 + 2 = 10 V2 action minutes; legacy's V1 month ($1, 431 days old: past the trial).
    assert estimate(usage, pricebook=BOOK, free_tier=False).by_service()["CodePipeline"] == pytest.approx(
        10 * V2_MINUTE + 1.00
    )


def test_a_snapshot_model_says_it_is_observed_and_what_it_saw(tmp_path: Path) -> None:
    """Catches the observed model's own fields lost: planned, the source's name, the period the window covers,
    the engine, window, partial flag, problems, whether lifecycle rules were collected, the stale-run counts,
    an organization's snapshot priced per account, or a window taken as projected when it is the month."""
    snap = observed_estate(organization=True)
    usage = load_snapshot(snap, pricebook=BOOK)
    assert usage.planned is False
    assert usage.source == "<snapshot>"
    assert usage.period == Period.month(2026, 10)
    assert usage.projection == 1.0
    assert usage.noted == {"observed-window"}
    assert usage.counts == {"stale_action_executions": 0, "stale_builds": 0}
    assert usage.organization is True
    assert usage.observed == {
        "engine": "pandas", "window": {"start": START.isoformat(), "end": END.isoformat()},
        "partial_collection": False, "problems": [], "lifecycle_rules": True,
    }  # fmt: skip
    assert load_snapshot(observed_estate(), pricebook=BOOK).organization is False
    folder = write(snap, tmp_path / "snap")
    assert load_snapshot(folder, pricebook=BOOK).source == str(folder)


def test_a_planned_run_of_zero_minutes_still_bills_its_minimum() -> None:
    """Catches a usage file's runs metered as observed ones: an observed run with no time did not run and bills
    nothing, but a planned action or build always runs, so even at 0 minutes each bills its minimum, 1 minute."""
    usage = derive_usage(
        bare(pipelines={"p": {"type": "V2", "executions_per_month": 25,
                              "actions": [{"name": "Gate", "category": "Test", "minutes": 0}]}},
             codebuild={"noop": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 8,
                                 "minutes_per_build": 0}}),
        period=NOVEMBER, pricebook=BOOK,
    )  # fmt: skip
    assert records(usage.runs.actions, ["action", "count", "seconds", "minutes", "billed"]) == [
        {"action": "Gate", "count": 25.0, "seconds": 0.0, "minutes": 1.0, "billed": 1.0}
    ]
    assert records(usage.runs.builds, ["project", "count", "seconds", "billed"]) == [
        {"project": "noop", "count": 8.0, "seconds": 0.0, "billed": 1.0}
    ]
    # 25 x 1 action minute at $0.002 (eu-west-1's V2 price is the same) and 8 x 1 build minute of general1.small.
    result = estimate(usage, pricebook=BOOK)
    assert result.by_service()["CodePipeline"] == pytest.approx(25 * 1 * V2_MINUTE)
    lines = result.lines[result.lines["service"] == "CodeBuild"]
    assert lines["quantity"].tolist() == [8.0]


def test_a_usage_file_without_some_sections_still_has_every_model_column() -> None:
    """Catches an empty section's table left without the model's columns (code reading `buckets["share"]` or
    `actions["count"]` then fails on a file that has no buckets, or pipelines that declare no actions), and a V1
    pipeline's `active` flag not a boolean (so `~active` is not 'inactive')."""
    usage = derive_usage(
        bare(pipelines={"legacy": {"type": "V1", "active": False}, "other": {"type": "V1"}}), period=NOVEMBER,
        pricebook=BOOK,
    )  # fmt: skip
    assert usage.runs.actions.empty
    assert list(usage.runs.actions.columns) == ACTION_RUN_COLUMNS
    assert list(usage.inventory.buckets.columns) == BUCKET_COLUMNS
    assert list(usage.inventory.functions.columns) == FUNCTION_COLUMNS
    assert list(usage.inventory.projects.columns) == PROJECT_COLUMNS
    active = usage.inventory.pipelines["active"]
    assert active.dtype == bool
    assert list(~active) == [True, False]


def test_every_engine_derives_the_same_model_and_says_which_and_what_it_left_out(tmp_path: Path) -> None:
    """Catches load_snapshot's engines wired wrongly: the DuckDB or Athena engine not used when asked for (or used
    when not), given the wrong snapshot read, pricebook or tables, its run totals dropped, the rows its checks
    left out not reported, or reported out of the manifest's table order (an eager read's problems and the SQL's
    merged as one list, table by table); a snapshot in memory summed by DuckDB."""
    bad = {
        # the id of web's first Build again (4,000 s): a duplicate, left out by every engine
        "action_executions": [{**HERE, "pipeline": "web", "execution_id": "web-0",
                               "action_execution_id": "web-0-Build", "stage": "Build", "action": "Build",
                               "category": "Build", "owner": "AWS", "provider": "CodeBuild", "start": at(9),
                               "last_update": at(9, seconds=4000), "status": "Succeeded",
                               "external_execution_id": None}],
        # a negative invocation count: left out by the eager read of every engine
        "function_metrics": [{**HERE, "function": "stray", "invocations": -5.0, "duration_ms_avg": 1.0}],
    }  # fmt: skip
    folder = write(observed_estate(bad), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    for engine, tables in (("pandas", None), ("duckdb", None), ("athena", duck)):
        usage = load_snapshot(folder, pricebook=BOOK, engine=engine, athena=tables)
        assert_estate_inventory(usage, checked=True)
        actions, builds = usage.runs.actions, usage.runs.builds
        billed = (actions["count"] * actions["billed"]).groupby([actions["pipeline"], actions["action"]]).sum()
        # as in test_a_snapshot_runs_by_hand: Build 3 + 2 min, Notify 3 x 1, Source 2; legacy (V1) none.
        assert billed.to_dict() == {("legacy", "Notify"): 0.0, ("web", "Build"): 5.0, ("web", "Notify"): 3.0,
                                    ("web", "Source"): 2.0}, engine  # fmt: skip
        minutes = (builds["count"] * builds["billed"]).groupby([builds["project"], builds["usage_type"]]).sum()
        assert minutes.to_dict() == {("app", "Build-Min:Linux:g1.small"): 6.0,
                                     ("reserved", "ReservedCapacity-Fleet"): 1.0}, engine  # fmt: skip
        assert usage.source == str(folder)
        assert usage.period == Period.month(2026, 10)
        assert usage.counts == {"stale_action_executions": 0, "stale_builds": 0}
        assert usage.observed["engine"] == engine
        assert usage.observed["window"] == {"start": START.isoformat(), "end": END.isoformat()}
        assert usage.observed["lifecycle_rules"] is True
        # In the manifest's order (tables listed by name): the duplicate; lonely's missing and the stray negative
        # invocation count; idle's execution, wholly on 30 September.
        said = [(p["table"], p["kind"], p["rows"]) for p in usage.observed["problems"]]
        assert said == [("action_executions", "duplicate-id", 1), ("function_metrics", "bad-number", 2),
                        ("pipeline_executions", "outside-window", 1)], engine  # fmt: skip
    in_memory = load_snapshot(observed_estate(), pricebook=BOOK, engine="duckdb")
    assert_estate_inventory(in_memory)
    assert in_memory.source == "<snapshot>"
    assert in_memory.observed["engine"] == "duckdb"
    assert in_memory.observed["problems"] == []


def test_athena_tables_are_asked_for_with_the_athena_engine_only(tmp_path: Path) -> None:
    """Catches the check of `athena=` against `engine=` inverted or dropped, or its error not naming the
    parameter and what it is for."""
    folder = write(observed_estate(), tmp_path / "snap")
    with pytest.raises(ParameterError) as raised:
        load_snapshot(folder, pricebook=BOOK, engine="athena")
    assert (raised.value.parameter, raised.value.value) == ("athena", None)
    assert raised.value.problem == "names the Athena tables of engine='athena', and only of it"
    assert str(raised.value).startswith("athena=None names the Athena tables of engine='athena', and only of it")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    for engine in ("pandas", "duckdb"):
        with pytest.raises(ParameterError) as raised:
            load_snapshot(folder, pricebook=BOOK, engine=engine, athena=duck)
        assert raised.value.parameter == "athena"
        assert raised.value.value is duck  # the value as the caller passed it


ACTUALS = [{"account": HOME, "service": "AWS CodePipeline", "cost_usd": 1.02, "estimated": False},
           {"account": HOME, "service": "AWS CodeBuild", "cost_usd": 0.03, "estimated": False}]  # fmt: skip


def actuals_of(**manifest: Any) -> pd.DataFrame:
    estimated = manifest.pop("estimated", False)
    rows = [{**row, "estimated": estimated and i == 1} for i, row in enumerate(ACTUALS)]
    return load_snapshot(observed_estate({"actuals": rows}, **manifest), pricebook=BOOK).actuals


def test_actuals_are_compared_only_for_a_closed_whole_month_with_a_final_bill() -> None:
    """Catches Cost Explorer actuals handed on when they cannot be compared with the estimate (or withheld when
    they can): a snapshot collected before its month closed (or at the very instant it closed: comparable), with
    no collection time, a partial collection, a bill still estimated, or a snapshot priced as another month."""
    comparable = actuals_of()  # the estate is collected two days after October closed
    assert comparable["cost_usd"].tolist() == [1.02, 0.03]
    assert actuals_of(created=END.isoformat())["cost_usd"].tolist() == [1.02, 0.03]
    assert actuals_of(created=(END - pd.Timedelta(seconds=1)).isoformat()).empty
    assert actuals_of(created=None).empty
    assert actuals_of(failures=[{"service": "lambda", "error": "AccessDenied"}]).empty
    assert actuals_of(estimated=True).empty
    without_flag = observed_estate({"actuals": [{k: v for k, v in row.items() if k != "estimated"}
                                                for row in ACTUALS]})  # fmt: skip
    assert load_snapshot(without_flag, pricebook=BOOK).actuals["cost_usd"].tolist() == [1.02, 0.03]
    november = load_snapshot(observed_estate({"actuals": ACTUALS}), period=NOVEMBER, pricebook=BOOK)
    assert november.actuals.empty
    october = load_snapshot(observed_estate({"actuals": ACTUALS}), period=Period.month(2026, 10), pricebook=BOOK)
    assert october.actuals["cost_usd"].tolist() == [1.02, 0.03]


def test_a_window_priced_as_another_month_is_projected_and_says_so() -> None:
    """Catches the projection from the observed window to the priced period wrong or not noted: October's 31
    days priced as November (30 days) scale flows by 30/31, levels (V1 pipeline-months, storage) not at all."""
    usage = load_snapshot(observed_estate(), period=NOVEMBER, pricebook=BOOK)
    assert usage.period == NOVEMBER.billing()
    assert usage.projection == pytest.approx(30 / 31)
    assert usage.noted == {"observed-window", "observed-projection"}
    result = estimate(usage, pricebook=BOOK, free_tier=False)
    # 10 V2 action minutes observed x 30/31, and legacy's V1 month unscaled.
    assert result.by_service()["CodePipeline"] == pytest.approx(10 * 30 / 31 * V2_MINUTE + 1.00)
    # S3 storage is a level: 60 + 5 GB Standard at $0.023, 9 GB Standard-IA at $0.0125, whatever the window.
    storage = result.lines[result.lines["usage_type"].isin(["TimedStorage-ByteHrs", "TimedStorage-SIA-ByteHrs"])]
    assert storage["cost_usd"].sum() == pytest.approx(65 * 0.023 + 9 * 0.0125)


# --- an edit of which executions ran (follow_executions) --------------------------------------------------------


def without(usage: Usage, *execution_ids: str) -> Usage:
    """A copy of an observed usage with those pipeline executions, and their action executions, removed."""
    edited = usage.copy()
    runs = edited.runs
    runs.executions = runs.executions[~runs.executions["execution_id"].isin(execution_ids)]
    runs.actions = runs.actions[~runs.actions["execution_id"].isin(execution_ids)]
    return edited


def test_following_executions_uses_the_observed_window_not_the_priced_month() -> None:
    """Catches follow_executions counting which runs started "in the window" from the priced period's start
    instead of the observed window's: October's snapshot priced as November would then make every V1 pipeline
    inactive as soon as an edit drops one execution. Also pins what it derives again: V1 `active`, the artifact
    requests (executions x actions), the storage shares by executions, and a function's requests scaled by its
    remaining Invoke runs (its shares by them)."""
    usage = load_snapshot(observed_estate(), period=NOVEMBER, pricebook=BOOK)
    after = follow_executions(usage, without(usage, "legacy-1", "web-0"))
    pipelines = after.inventory.pipelines.set_index("pipeline")["active"]
    assert pipelines.to_dict() == {"web": True, "legacy": True, "idle": False}  # legacy-0 still ran in October
    buckets = after.inventory.buckets
    flows = buckets[buckets["put_actions"].notna()]
    # web: 3 executions x 2 PUT, x 2 GET actions; legacy: 1 x 1 PUT, 1 x 1 GET.
    assert records(flows, ["bucket", "pipeline", "executions", "put_requests", "get_requests"]) == [
        {"bucket": "shared", "pipeline": "web", "executions": 3.0, "put_requests": 6.0, "get_requests": 6.0},
        {"bucket": "shared", "pipeline": "legacy", "executions": 1.0, "put_requests": 1.0, "get_requests": 1.0},
    ]
    stored = buckets[buckets["storage_type"].notna()]
    # shared's storage now split 3:1; orphan stays nobody's.
    assert records(stored, ["bucket", "storage_type", "pipeline", "share"]) == [
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "web", "share": 0.75},
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "legacy", "share": 0.25},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "web", "share": 0.75},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "legacy", "share": 0.25},
        {"bucket": "orphan", "storage_type": "StandardStorage", "pipeline": None, "share": 1.0},
    ]
    # notify: 8,000 invocations over 4 Notify runs = 2,000 a run; web-0's is gone: 3 runs, 6,000 requests, shared
    # 2:1 by web's 2 remaining runs and legacy's 1. lonely has no invoking pipeline: unchanged.
    assert records(after.inventory.functions, ["function", "pipeline", "share", "requests", "invocations"]) == [
        {"function": "notify", "pipeline": "legacy", "share": pytest.approx(1 / 3), "requests": 6000.0,
         "invocations": 6000.0},
        {"function": "notify", "pipeline": "web", "share": pytest.approx(2 / 3), "requests": 6000.0,
         "invocations": 6000.0},
        {"function": "lonely", "pipeline": None, "share": 1.0, "requests": 0.0, "invocations": None},
    ]  # fmt: skip


def test_following_executions_of_a_model_without_a_recorded_window_uses_its_period() -> None:
    """Catches follow_executions failing on an observed model that records no window (derived straight from a
    snapshot, not loaded): it then counts runs from the period's start."""
    bare_model = derive_observed(observed_estate(), BOOK, Period.month(2026, 10))
    assert "window" not in bare_model.observed
    after = follow_executions(bare_model, without(bare_model, "legacy-0", "legacy-1"))
    assert after.inventory.pipelines.set_index("pipeline")["active"].to_dict() == {
        "web": True, "legacy": False, "idle": False,
    }  # fmt: skip


def test_a_function_invoked_once_scales_with_that_one_run() -> None:
    """Catches the scale of a function's requests taken as 1 (unchanged) when its Invoke runs before the edit
    were exactly one: dropping that run leaves no requests."""
    extra = {
        "pipeline_actions": [{**HERE, "pipeline": "legacy", "stage": "Audit", "action": "Audit", "category": "Invoke",
                              "owner": "AWS", "provider": "Lambda", "function_name": "audit"}],
        "action_executions": [{**HERE, "pipeline": "legacy", "execution_id": "legacy-1",
                               "action_execution_id": "legacy-1-Audit", "stage": "Audit", "action": "Audit",
                               "category": "Invoke", "owner": "AWS", "provider": "Lambda", "start": at(7, 1),
                               "last_update": at(7, 1, 20), "status": "Succeeded", "external_execution_id": None}],
        "functions": [{**HERE, "function": "audit", "memory_mb": 256, "architecture": "arm64",
                       "ephemeral_storage_mb": 512, "found": True}],
        "function_metrics": [{**HERE, "function": "audit", "invocations": 40.0, "duration_ms_avg": 50.0}],
    }  # fmt: skip
    usage = load_snapshot(observed_estate(extra), pricebook=BOOK)
    audit = usage.inventory.functions[usage.inventory.functions["function"] == "audit"]
    assert records(audit, ["pipeline", "share", "requests", "actions"]) == [
        {"pipeline": "legacy", "share": 1.0, "requests": 40.0, "actions": "Audit"}
    ]
    after = follow_executions(usage, without(usage, "legacy-1"))
    audit = after.inventory.functions[after.inventory.functions["function"] == "audit"]
    assert records(audit, ["pipeline", "share", "requests"]) == [{"pipeline": "legacy", "share": 1.0, "requests": 0.0}]


# --- hostile or partial snapshot data ---------------------------------------------------------------------------


def test_counts_of_no_runs_have_the_count_columns() -> None:
    """Catches the counts of an empty run table (a snapshot of pipelines that never ran) built without their
    columns: RunCounts is what the inventory and the out-of-core engines hand each other."""
    counted = count_runs(pd.DataFrame(), pd.DataFrame(), START)
    assert counted.executions.empty
    assert list(counted.executions.columns) == ["account", "region", "pipeline", "executions", "started_in_window"]
    assert counted.actions.empty
    assert list(counted.actions.columns) == ["account", "region", "pipeline", "action", "runs"]
    never_ran = observed_estate()
    for name in ("pipeline_executions", "action_executions"):
        never_ran.tables[name] = never_ran.tables[name].iloc[0:0]
    usage = load_snapshot(never_ran, pricebook=BOOK)
    assert usage.inventory.pipelines.set_index("pipeline")["active"].to_dict() == {
        "web": False, "legacy": False, "idle": False,
    }  # fmt: skip
    # No executions: no artifact requests; the shared bucket's storage split equally between its two pipelines.
    buckets = usage.inventory.buckets
    assert buckets["put_actions"].isna().all()
    shared = buckets[(buckets["bucket"] == "shared") & (buckets["storage_type"] == "StandardStorage")]
    assert records(shared, ["pipeline", "share"]) == [{"pipeline": "web", "share": 0.5},
                                                      {"pipeline": "legacy", "share": 0.5}]  # fmt: skip


def naive(snapshot: Snapshot) -> Snapshot:
    """The snapshot with every time written without a time zone (a frame built by hand in a notebook)."""
    for frame in snapshot.tables.values():
        for column in frame.columns:
            if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
                frame[column] = frame[column].dt.tz_localize(None)
    return snapshot


def test_times_without_a_time_zone_are_read_as_utc() -> None:
    """Catches run, execution and creation times compared without first being read as UTC: a snapshot whose
    times carry no zone (as a notebook builds one) must derive what the same snapshot in UTC does, not fail
    comparing them with the window."""
    usage = load_snapshot(naive(observed_estate()), pricebook=BOOK)
    # as in test_a_snapshot_inventory_by_hand: web 61.5 days old, legacy and idle 431; idle's run was in September.
    assert records(usage.inventory.pipelines, ["pipeline", "active", "age_days"]) == [
        {"pipeline": "web", "active": True, "age_days": 61.5},
        {"pipeline": "legacy", "active": True, "age_days": 431.0},
        {"pipeline": "idle", "active": False, "age_days": 431.0},
    ]
    # as in test_a_snapshot_runs_by_hand: the Source run clipped to its 120 s in October, 10 V2 minutes in all.
    assert usage.runs.actions["seconds"].tolist() == [150.0, 61.0, 30.0, 30.0, 30.0, 120.0, 45.0]
    assert (usage.runs.actions["count"] * usage.runs.actions["billed"]).sum() == 3 + 2 + 3 + 2 + 0
    assert usage.runs.builds["seconds"].tolist() == [220.0, 100.0, 60.0]


def test_executions_without_start_times_make_no_v1_pipeline_active_but_still_count() -> None:
    """Catches an execution of unknown start taken as started in the window (a V1 pipeline then billed a month
    on no evidence), or not counted at all for the artifact requests and storage shares it did make."""
    snap = observed_estate()
    snap.tables["pipeline_executions"] = snap.tables["pipeline_executions"].drop(columns=["start"])
    usage = load_snapshot(snap, pricebook=BOOK)
    assert usage.inventory.pipelines.set_index("pipeline")["active"].to_dict() == {
        "web": False, "legacy": False, "idle": False,
    }  # fmt: skip
    flows = usage.inventory.buckets[usage.inventory.buckets["put_actions"].notna()]
    assert records(flows, ["pipeline", "executions", "put_requests"]) == [
        {"pipeline": "web", "executions": 4.0, "put_requests": 8.0},
        {"pipeline": "legacy", "executions": 2.0, "put_requests": 2.0},
    ]


def test_a_run_wholly_outside_the_window_has_no_seconds_in_it() -> None:
    """Catches the seconds of a run that ended before the window opened (or started after it closed) left
    negative, or rounded up to a second: it bills nothing in the window."""
    early = {**HERE, "pipeline": "web", "execution_id": "web-0", "action_execution_id": "web-0-Early",
             "stage": "Early", "action": "Early", "category": "Test", "owner": "AWS", "provider": "CodeBuild",
             "start": START - pd.Timedelta(hours=2), "last_update": START - pd.Timedelta(hours=1),
             "status": "Succeeded", "external_execution_id": None}  # fmt: skip
    late = {**early, "action_execution_id": "web-0-Late", "action": "Late", "stage": "Late",
            "start": END + pd.Timedelta(hours=1), "last_update": END + pd.Timedelta(hours=2)}  # fmt: skip
    usage = load_snapshot(observed_estate({"action_executions": [early, late]}), pricebook=BOOK)
    outside = usage.runs.actions[usage.runs.actions["action"].isin(["Early", "Late"])]
    assert records(outside, ["action", "seconds", "minutes", "billed"]) == [
        {"action": "Early", "seconds": 0.0, "minutes": 0.0, "billed": 0.0},
        {"action": "Late", "seconds": 0.0, "minutes": 0.0, "billed": 0.0},
    ]


def test_an_execution_of_unknown_region_still_counts_for_its_pipelines_bucket_share() -> None:
    """Catches executions whose region is missing dropped from the counts: storage shares are by account and
    pipeline (a bucket is not regional to its users), so web's fifth execution still weighs 5:2 against legacy."""
    unplaced = {"account": HOME, "region": None, "pipeline": "web", "execution_id": "web-x", "status": "Succeeded",
                "trigger_type": "Webhook", "start": at(20), "last_update": at(20, 1)}  # fmt: skip
    usage = load_snapshot(observed_estate({"pipeline_executions": [unplaced]}), pricebook=BOOK)
    buckets = usage.inventory.buckets
    shared = buckets[(buckets["bucket"] == "shared") & (buckets["storage_type"] == "StandardStorage")]
    assert records(shared, ["pipeline", "share"]) == [
        {"pipeline": "web", "share": pytest.approx(5 / 7)},
        {"pipeline": "legacy", "share": pytest.approx(2 / 7)},
    ]


def test_run_counts_of_a_snapshot_by_hand() -> None:
    """Catches the per-pipeline and per-action counts the inventory is built from counted wrongly: every
    execution once (and whether it started in the window), every action execution once per action."""
    counted = run_counts(observed_estate())
    assert records(counted.executions, ["pipeline", "executions", "started_in_window"]) == [
        {"pipeline": "idle", "executions": 1, "started_in_window": 0},  # 30 September only
        {"pipeline": "legacy", "executions": 2, "started_in_window": 2},
        {"pipeline": "web", "executions": 4, "started_in_window": 4},
    ]
    assert records(counted.actions, ["pipeline", "action", "runs"]) == [
        {"pipeline": "legacy", "action": "Notify", "runs": 1},
        {"pipeline": "web", "action": "Build", "runs": 2},
        {"pipeline": "web", "action": "Notify", "runs": 3},
        {"pipeline": "web", "action": "Source", "runs": 1},
    ]


def test_following_executions_weighs_each_action_run_by_its_count() -> None:
    """Catches follow_executions counting a model's action runs one per row instead of by their `count`: after
    an edit that doubles web's action runs (count x2) and removes one of legacy's executions, notify's Invoke
    runs are web 3 x 2 = 6 and legacy 1 (7, from 4): its requests scale by 7/4 and split 6:1."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    edited = without(usage, "legacy-1")
    actions = edited.runs.actions
    actions.loc[actions["pipeline"] == "web", "count"] *= 2
    after = follow_executions(usage, edited)
    notify = after.inventory.functions[after.inventory.functions["function"] == "notify"]
    assert records(notify, ["pipeline", "share", "requests"]) == [
        {"pipeline": "legacy", "share": pytest.approx(1 / 7), "requests": pytest.approx(8000 * 7 / 4)},
        {"pipeline": "web", "share": pytest.approx(6 / 7), "requests": pytest.approx(8000 * 7 / 4)},
    ]


def test_object_counts_are_per_account_and_unknown_without_the_metric() -> None:
    """Catches a bucket's object count looked up by name alone (two accounts' buckets of one name, e.g. in two
    partitions, given each other's counts), or an object count invented where CloudWatch gave none."""
    other = "999988887777"
    storage = [
        {**HERE, "bucket": "logs", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 100.0},
        {**HERE, "bucket": "logs", "storage_type": "StandardStorage", "avg_bytes": 2 * GIB, "avg_objects": None},
        {"account": other, "region": "us-gov-west-1", "bucket": "logs", "storage_type": "AllStorageTypes",
         "avg_bytes": None, "avg_objects": 7.0},
        {"account": other, "region": "us-gov-west-1", "bucket": "logs", "storage_type": "StandardStorage",
         "avg_bytes": 1 * GIB, "avg_objects": None},
    ]  # fmt: skip
    window = {"start": START.isoformat(), "end": END.isoformat()}
    usage = load_snapshot(Snapshot(tables={"bucket_storage": pd.DataFrame(storage)}, manifest={"window": window}),
                          pricebook=BOOK)  # fmt: skip
    assert records(usage.inventory.buckets, ["account", "bucket", "storage_gb", "objects", "pipeline", "share"]) == [
        {"account": HOME, "bucket": "logs", "storage_gb": 2.0, "objects": 100.0, "pipeline": None, "share": 1.0},
        {"account": other, "bucket": "logs", "storage_gb": 1.0, "objects": 7.0, "pipeline": None, "share": 1.0},
    ]  # fmt: skip
    uncounted = [{k: v for k, v in row.items() if k != "avg_objects"} for row in storage if row["avg_bytes"]]
    usage = load_snapshot(Snapshot(tables={"bucket_storage": pd.DataFrame(uncounted)}, manifest={"window": window}),
                          pricebook=BOOK)  # fmt: skip
    objects = usage.inventory.buckets["objects"]
    assert objects.isna().all()
    assert objects.dtype == float


WINDOW = {"start": START.isoformat(), "end": END.isoformat()}


def small(**tables: list[dict[str, Any]]) -> Usage:
    """A hand-made snapshot of October of just these tables, loaded."""
    frames = {name: pd.DataFrame(rows) for name, rows in tables.items()}
    return load_snapshot(Snapshot(tables=frames, manifest={"window": WINDOW}), pricebook=BOOK)


def web_pipeline(buckets: str = "") -> dict[str, Any]:
    return {**HERE, "pipeline": "web", "pipeline_type": "V2", "execution_mode": "SUPERSEDED",
            "created": START - pd.Timedelta(days=400), "artifact_buckets": buckets, "has_triggers": False,
            "has_variables": False}  # fmt: skip


def web_execution(i: int) -> dict[str, Any]:
    return {**HERE, "pipeline": "web", "execution_id": f"web-{i}", "status": "Succeeded", "trigger_type": "Webhook",
            "start": at(2 + i), "last_update": at(2 + i, 1)}  # fmt: skip


def declared(action: str, category: str, function: str | None = None) -> dict[str, Any]:
    return {**HERE, "pipeline": "web", "stage": action, "action": action, "category": category, "owner": "AWS",
            "provider": "Lambda" if function else "CodeBuild", "function_name": function}  # fmt: skip


def invoke_run(i: int, action: str) -> dict[str, Any]:
    return {**HERE, "pipeline": "web", "execution_id": f"web-{i}", "action_execution_id": f"web-{i}-{action}",
            "stage": action, "action": action, "category": "Invoke", "owner": "AWS", "provider": "Lambda",
            "start": at(2 + i), "last_update": at(2 + i, 0, 10), "status": "Succeeded",
            "external_execution_id": None}  # fmt: skip


def lambda_function(name: str, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    config = {**HERE, "function": name, "memory_mb": 128, "architecture": "x86_64", "ephemeral_storage_mb": 512,
              "found": True, **extra}  # fmt: skip
    return config, {**HERE, "function": name, "invocations": 100.0, "duration_ms_avg": 10.0, **extra}


def test_artifact_requests_go_to_each_store_of_a_pipeline_and_need_its_declared_actions() -> None:
    """Catches a pipeline's list of artifact stores not split at its commas (one bucket named "a,b"), and a
    pipeline whose actions were not collected estimated to make requests (it has no PUT or GET actions known)."""
    usage = small(
        pipelines=[web_pipeline("east-store,west-store"),
                   {**web_pipeline("quiet-store"), "pipeline": "undeclared"}],
        pipeline_actions=[declared("Source", "Source"), declared("Deploy", "Deploy")],
        pipeline_executions=[web_execution(0), web_execution(1), {**web_execution(2), "pipeline": "undeclared"}],
    )  # fmt: skip
    flows = usage.inventory.buckets
    assert sorted(flows["bucket"]) == ["east-store", "quiet-store", "west-store"]
    undeclared = flows[flows["pipeline"] == "undeclared"]
    # undeclared ran once but declares no actions: no PUT or GET estimated.
    assert records(undeclared, ["bucket", "executions", "put_actions", "get_actions", "put_requests",
                                "get_requests"]) == [
        {"bucket": "quiet-store", "executions": 1.0, "put_actions": 0.0, "get_actions": 0.0, "put_requests": 0.0,
         "get_requests": 0.0}
    ]  # fmt: skip


def test_functions_without_metrics_are_not_billed_and_odd_columns_do_not_break_the_join() -> None:
    """Catches functions listed without any metrics (the metrics call refused) joined anyway, and the join of a
    function with its metrics made on every column the two tables happen to share instead of the function's
    account, region and name (a hand-made table's extra column then drops the function)."""
    config, metrics = lambda_function("notify")
    assert small(functions=[config]).inventory.functions.empty
    config, metrics = lambda_function("notify", note="configuration")
    usage = small(functions=[config], function_metrics=[{**metrics, "note": "metrics"}])
    assert records(usage.inventory.functions, ["function", "pipeline", "share", "requests"]) == [
        {"function": "notify", "pipeline": None, "share": 1.0, "requests": 100.0}
    ]


def test_invoking_actions_are_named_and_counted_however_they_are_declared() -> None:
    """Catches a function's invoking actions joined with another separator than the comma they are split at (a
    pipeline with two Invoke actions on one function then finds no runs), an action named by a number breaking the
    join, pipeline actions without a function column, or no function calls at all, giving a share that is not a
    plain number."""
    config, metrics = lambda_function("notify")
    base = {"pipelines": [web_pipeline()], "functions": [config], "function_metrics": [metrics],
            "pipeline_executions": [web_execution(0), web_execution(1)]}  # fmt: skip
    # web invokes notify from Ping (2 runs) and Pong (1 run); api from Call (1 run): shares 3/4 and 1/4.
    api = {"pipeline": "api"}
    usage = small(
        pipelines=[web_pipeline(), {**web_pipeline(), **api}], functions=[config], function_metrics=[metrics],
        pipeline_executions=[web_execution(0), web_execution(1), {**web_execution(2), **api}],
        pipeline_actions=[declared("Ping", "Invoke", "notify"), declared("Pong", "Invoke", "notify"),
                          {**declared("Call", "Invoke", "notify"), **api}],
        action_executions=[invoke_run(0, "Ping"), invoke_run(1, "Ping"), invoke_run(1, "Pong"),
                           {**invoke_run(2, "Call"), **api}],
    )  # fmt: skip
    assert records(usage.inventory.functions, ["function", "pipeline", "share", "requests", "actions"]) == [
        {"function": "notify", "pipeline": "api", "share": 0.25, "requests": 100.0, "actions": "Call"},
        {"function": "notify", "pipeline": "web", "share": 0.75, "requests": 100.0, "actions": "Ping,Pong"},
    ]
    numbered = small(**base, pipeline_actions=[{**declared("Ping", "Invoke", "notify"), "action": 7}])
    assert records(numbered.inventory.functions, ["pipeline", "share", "actions"]) == [
        {"pipeline": "web", "share": 1.0, "actions": "7"}
    ]
    no_column = small(**base, pipeline_actions=[{k: v for k, v in declared("Build", "Build").items()
                                                 if k != "function_name"}])  # fmt: skip
    assert records(no_column.inventory.functions, ["pipeline", "share", "actions"]) == [
        {"pipeline": None, "share": 1.0, "actions": None}
    ]
    no_calls = small(**base, pipeline_actions=[declared("Build", "Build")])
    shares = no_calls.inventory.functions["share"]
    assert shares.tolist() == [1.0]
    assert shares.dtype == float


def test_following_an_edit_that_drops_every_execution_or_reorders_the_buckets() -> None:
    """Catches follow_executions failing when an edit leaves no execution at all (no request rows, every V1
    pipeline inactive, shared storage split equally), and storage shares written back by position instead of by
    row when the edit reordered the buckets table."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    none_left = usage.copy()
    none_left.runs.executions = none_left.runs.executions.iloc[0:0]
    none_left.runs.actions = none_left.runs.actions.iloc[0:0]
    after = follow_executions(usage, none_left)
    assert after.inventory.pipelines.set_index("pipeline")["active"].to_dict() == {
        "web": False, "legacy": False, "idle": False,
    }  # fmt: skip
    buckets = after.inventory.buckets
    assert buckets["put_actions"].notna().sum() == 0
    assert records(buckets, ["bucket", "storage_type", "pipeline", "share"]) == [
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "web", "share": 0.5},
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "legacy", "share": 0.5},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "web", "share": 0.5},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "legacy", "share": 0.5},
        {"bucket": "orphan", "storage_type": "StandardStorage", "pipeline": None, "share": 1.0},
    ]
    reordered = without(usage, "legacy-1", "web-0")
    reordered.inventory.buckets = reordered.inventory.buckets.iloc[::-1]  # request rows first, orphan before shared
    after = follow_executions(usage, reordered)
    stored = after.inventory.buckets[after.inventory.buckets["storage_type"].notna()]
    # web 3 executions, legacy 1: shared splits 3:1 whatever the order of the rows.
    assert records(stored, ["bucket", "storage_type", "pipeline", "share"]) == [
        {"bucket": "orphan", "storage_type": "StandardStorage", "pipeline": None, "share": 1.0},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "legacy", "share": 0.25},
        {"bucket": "shared", "storage_type": "StandardIAStorage", "pipeline": "web", "share": 0.75},
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "legacy", "share": 0.25},
        {"bucket": "shared", "storage_type": "StandardStorage", "pipeline": "web", "share": 0.75},
    ]


def test_bucket_objects_and_settings_are_looked_up_per_account_once() -> None:
    """Catches a bucket's object count or settings looked up by name alone (another account's bucket of the same
    name), a repeated CloudWatch or settings row multiplying the bucket's rows, a bucket the settings table lacks
    dropped instead of kept without settings, and an object share of a bucket of 1 byte or less not worked out."""
    other = "999988887777"
    there = {"account": other, "region": "us-gov-west-1"}
    usage = small(
        bucket_storage=[
            {**HERE, "bucket": "logs", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 100.0},
            {**HERE, "bucket": "logs", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 999.0},
            {**HERE, "bucket": "logs", "storage_type": "StandardStorage", "avg_bytes": 2 * GIB, "avg_objects": None},
            {**there, "bucket": "logs", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 7.0},
            {**there, "bucket": "logs", "storage_type": "StandardStorage", "avg_bytes": 1 * GIB, "avg_objects": None},
            {**HERE, "bucket": "tiny", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 1.0},
            {**HERE, "bucket": "tiny", "storage_type": "StandardStorage", "avg_bytes": 1.0, "avg_objects": None},
        ],
        buckets=[
            {**HERE, "bucket": "logs", "found": True, "versioning": "Enabled", "has_expiration": False},
            {**HERE, "bucket": "logs", "found": True, "versioning": "Suspended", "has_expiration": True},
            {**there, "bucket": "logs", "found": True, "versioning": "Disabled", "has_expiration": True},
        ],
    )  # fmt: skip
    assert records(usage.inventory.buckets, ["account", "bucket", "objects", "found", "versioning",
                                             "has_expiration"]) == [
        {"account": HOME, "bucket": "logs", "objects": 100.0, "found": True, "versioning": "Enabled",
         "has_expiration": False},
        {"account": other, "bucket": "logs", "objects": 7.0, "found": True, "versioning": "Disabled",
         "has_expiration": True},
        {"account": HOME, "bucket": "tiny", "objects": 1.0, "found": None, "versioning": None,
         "has_expiration": None},
    ]  # fmt: skip


def test_stale_runs_zero_windows_and_the_pricebook_given_reach_the_model() -> None:
    """Catches a stale run (a build left unfinished in a closed window, billed only to its timeout) not noted as
    an assumption, a zero-length window dividing by zero instead of projecting nothing, and load_snapshot
    metering with the bundled pricebook instead of the one passed (a compute type only it knows)."""
    stuck = {**HERE, "project": "app", "build_id": "app:9", "build_number": 9, "status": "IN_PROGRESS",
             "start": at(20), "end": None, "compute_type": "BUILD_GENERAL1_SMALL",
             "environment_type": "LINUX_CONTAINER", "fleet_arn": None, "initiator": "alice",
             "provisioning_start": at(20), "billed_start": at(20), "billable_seconds": None}  # fmt: skip
    usage = load_snapshot(observed_estate({"builds": [stuck]}), pricebook=BOOK)
    assert usage.counts == {"stale_action_executions": 0, "stale_builds": 1}
    assert usage.noted == {"observed-window", "observed-stale-runs"}
    instant = observed_estate()
    instant.manifest["window"] = {"start": START.isoformat(), "end": START.isoformat()}
    assert load_snapshot(instant, period=Period.month(2026, 10), pricebook=BOOK).projection == 0.0
    extra = BOOK.compute_types.iloc[[0]].assign(compute_type="BUILD_CUSTOM_SMALL")  # bills as general1.small
    book = replace(BOOK, compute_types=pd.concat([BOOK.compute_types, extra], ignore_index=True))
    custom = observed_estate()
    custom.tables["builds"] = custom.tables["builds"].assign(compute_type="BUILD_CUSTOM_SMALL")
    builds = load_snapshot(custom, pricebook=book).runs.builds
    assert builds["usage_type"].tolist() == ["Build-Min:Linux:g1.small", "Build-Min:Linux:g1.small",
                                             "ReservedCapacity-Fleet"]  # fmt: skip


def test_following_executions_keeps_rows_in_place_and_splits_a_single_run() -> None:
    """Catches V1 `active` written back by position when an edit reordered the pipelines table, and storage
    shared equally when the bucket's pipelines ran once in all (that run's pipeline gets it all)."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    edited = without(usage, "web-1", "web-2", "web-3", "legacy-0", "legacy-1")  # web-0 is the only run left
    edited.inventory.pipelines = edited.inventory.pipelines.iloc[::-1]
    after = follow_executions(usage, edited)
    assert records(after.inventory.pipelines, ["pipeline", "active"]) == [
        {"pipeline": "idle", "active": False},
        {"pipeline": "legacy", "active": False},
        {"pipeline": "web", "active": True},
    ]
    stored = after.inventory.buckets[after.inventory.buckets["storage_type"] == "StandardStorage"]
    assert records(stored, ["bucket", "pipeline", "share"]) == [
        {"bucket": "shared", "pipeline": "web", "share": 1.0},
        {"bucket": "shared", "pipeline": "legacy", "share": 0.0},
        {"bucket": "orphan", "pipeline": None, "share": 1.0},
    ]


def test_a_build_wholly_outside_the_window_bills_nothing() -> None:
    """Catches observed builds metered as planned ones: a build that ran before the window opened has no second
    in it and bills nothing (a planned build of no time would still bill its minute)."""
    early = {**HERE, "project": "app", "build_id": "app:0", "build_number": 0, "status": "SUCCEEDED",
             "start": START - pd.Timedelta(hours=3), "end": START - pd.Timedelta(hours=2),
             "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER", "fleet_arn": None,
             "initiator": "alice", "provisioning_start": START - pd.Timedelta(hours=3),
             "billed_start": START - pd.Timedelta(hours=3), "billable_seconds": 3600}  # fmt: skip
    builds = load_snapshot(observed_estate({"builds": [early]}), pricebook=BOOK).runs.builds
    assert records(builds[builds["build_id"] == "app:0"], ["seconds", "billed"]) == [{"seconds": 0.0, "billed": 0.0}]


def test_an_edit_that_keeps_every_execution_follows_nothing() -> None:
    """Catches follow_executions deriving again when no execution changed: an edit of the action runs alone (here
    their counts doubled) leaves a function's observed requests and shares as they were."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    edited = usage.copy()
    edited.runs.actions["count"] *= 2
    after = follow_executions(usage, edited)
    assert records(after.inventory.functions, ["function", "pipeline", "share", "requests"]) == [
        {"function": "notify", "pipeline": "legacy", "share": 0.25, "requests": 8000.0},
        {"function": "notify", "pipeline": "web", "share": 0.75, "requests": 8000.0},
        {"function": "lonely", "pipeline": None, "share": 1.0, "requests": 0.0},
    ]


def test_a_function_whose_invoke_actions_never_ran_keeps_its_requests() -> None:
    """Catches the scale of a function's requests when its Invoke actions had no runs before the edit: there is
    nothing to scale from, so its observed requests stay (not doubled, not lost)."""
    extra = {
        "pipeline_actions": [{**HERE, "pipeline": "legacy", "stage": "Cold", "action": "Cold", "category": "Invoke",
                              "owner": "AWS", "provider": "Lambda", "function_name": "cold"}],
        "functions": [{**HERE, "function": "cold", "memory_mb": 128, "architecture": "x86_64",
                       "ephemeral_storage_mb": 512, "found": True}],
        "function_metrics": [{**HERE, "function": "cold", "invocations": 100.0, "duration_ms_avg": 10.0}],
    }  # fmt: skip
    usage = load_snapshot(observed_estate(extra), pricebook=BOOK)
    after = follow_executions(usage, without(usage, "legacy-1"))
    cold = after.inventory.functions[after.inventory.functions["function"] == "cold"]
    assert records(cold, ["pipeline", "share", "requests"]) == [{"pipeline": "legacy", "share": 1.0, "requests": 100.0}]


def test_tables_missing_optional_columns_still_give_an_inventory() -> None:
    """Catches a pipelines table without creation times (ages unknown) or a projects table without cache types
    failing, and the inventory of a snapshot asked for without its run counts not counting them itself."""
    snap = observed_estate()
    snap.tables["pipelines"] = snap.tables["pipelines"].drop(columns=["created"])
    snap.tables["projects"] = snap.tables["projects"].drop(columns=["cache_type"])
    found = inventory(snap)
    assert records(found.pipelines, ["pipeline", "active", "age_days"]) == [
        {"pipeline": "web", "active": True, "age_days": None},
        {"pipeline": "legacy", "active": True, "age_days": None},
        {"pipeline": "idle", "active": False, "age_days": None},
    ]
    assert found.projects["cache_type"].isna().all()
    assert found.buckets["share"].tolist() == pytest.approx([4 / 6, 2 / 6, 4 / 6, 2 / 6, 1.0, 1.0, 1.0])


def test_a_single_invoke_run_and_a_one_day_window_are_not_edge_cases() -> None:
    """Catches a function's shares made equal when its invoking pipelines ran its Invoke actions once in all (that
    pipeline's share is all of it), and a window of a day or less projected to nothing (one day of October
    priced as October is projected 31 times)."""
    usage = load_snapshot(observed_estate(), pricebook=BOOK)
    after = follow_executions(usage, without(usage, "web-0", "web-1", "web-2"))  # only legacy's Notify run left
    notify = after.inventory.functions[after.inventory.functions["function"] == "notify"]
    assert records(notify, ["pipeline", "share"]) == [
        {"pipeline": "legacy", "share": 1.0},
        {"pipeline": "web", "share": 0.0},
    ]
    one_day = observed_estate()
    one_day.manifest["window"] = {"start": START.isoformat(), "end": (START + pd.Timedelta(days=1)).isoformat()}
    assert load_snapshot(one_day, period=Period.month(2026, 10), pricebook=BOOK).projection == 31.0
