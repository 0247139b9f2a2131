"""Each billing rule tested just below, at and just above its boundary, on both paths: a usage file
and a snapshot of what ran, both through `costkit.estimate`.

Every expected figure is price x quantity written out here from the pricing pages' figures (the same
ones pricing/*.csv ships for us-east-1), never copied from costkit's output:
- CodePipeline V1 $1.00 per active pipeline-month (first 30 days free: trialPipeline $0); V2 $0.002 per
  action minute. Free: 1 V1 pipeline and 100 V2 minutes per account.
- Lambda requests $0.20 per million; x86 duration $0.0000166667 (first 6 B GB-s), $0.000015 (next 9 B),
  $0.0000133334 (above 15 B); Arm $0.0000133334 (first 7.5 B), $0.0000120001 (next 11.25 B),
  $0.0000106667 (above 18.75 B). Free: 1 M requests and 400,000 GB-s shared by x86 and Arm.
- S3 Standard $0.023 (first 51,200 GB), $0.022 (to 512,000 GB), $0.021 above; Glacier Flexible $0.0036;
  Intelligent-Tiering monitoring $0.0025 per 1,000 objects of 128 KB or more.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from costkit import Estimate, Period, estimate, load_pricebook
from costkit.sources.snapshot.folder import Snapshot

BOOK = load_pricebook()
NOVEMBER = Period.month(2026, 11)  # [2026-11-01, 2026-12-01): 30 days
OCTOBER = Period.month(2026, 10)  # the snapshots' window: no projection
ACCOUNT = "111122223333"
REGION = "us-east-1"
WINDOW_START = pd.Timestamp("2026-10-01", tz="UTC")
WINDOW_END = pd.Timestamp("2026-11-01", tz="UTC")
GIB = 1024.0**3
KB_IN_GB = 1 / (1024 * 1024)

V1_MONTH, V2_MINUTE, REQUEST = 1.00, 0.002, 0.20 / 1_000_000
X86 = (0.0000166667, 0.000015, 0.0000133334)
ARM = (0.0000133334, 0.0000120001, 0.0000106667)
STANDARD = (0.023, 0.022, 0.021)
GLACIER, INT_MONITORING = 0.0036, 0.0025 / 1000
EXACT = 1e-9  # relative: a boundary moved by one unit must show


def usage_file(free_tier: bool = False, **sections: Any) -> dict[str, Any]:
    return {"version": 1, "region": REGION, "account": ACCOUNT, "free_tier": free_tier, **sections}


def from_file(usage: dict[str, Any]) -> Estimate:
    return estimate(usage, period=NOVEMBER, pricebook=BOOK)


def from_snapshot(snapshot: Snapshot, free_tier: bool = False) -> Estimate:
    return estimate(snapshot, period=OCTOBER, free_tier=free_tier, pricebook=BOOK)


def cost(result: Estimate, usage_type: str, resource: str | None = None) -> float:
    lines = result.lines[result.lines["usage_type"] == usage_type]
    if resource is not None:
        lines = lines[lines["resource"] == resource]
    assert not lines.empty, usage_type
    assert lines["cost_usd"].notna().all(), lines
    return float(lines["cost_usd"].sum())


def quantity(result: Estimate, usage_type: str, resource: str | None = None) -> float:
    lines = result.lines[result.lines["usage_type"] == usage_type]
    if resource is not None:
        lines = lines[lines["resource"] == resource]
    return float(lines["quantity"].sum())


def table(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])


def snapshot(**tables: list[dict[str, Any]]) -> Snapshot:
    window = {"start": WINDOW_START.isoformat(), "end": WINDOW_END.isoformat()}
    return Snapshot(tables={name: table(rows) for name, rows in tables.items()}, manifest={"window": window})


def pipeline(name: str, kind: str, created: pd.Timestamp) -> dict[str, Any]:
    return {
        "pipeline": name, "pipeline_type": kind, "execution_mode": "SUPERSEDED", "version": 1, "created": created,
        "updated": created, "artifact_buckets": "", "has_triggers": False, "has_variables": False,
    }  # fmt: skip


def execution(name: str, start: pd.Timestamp) -> dict[str, Any]:
    return {
        "pipeline": name, "execution_id": f"{name}-{start.isoformat()}", "status": "Succeeded",
        "trigger_type": "Webhook", "execution_type": "STANDARD", "start": start,
        "last_update": start + pd.Timedelta(minutes=5),
    }  # fmt: skip


def action_run(name: str, number: int, act: str, seconds: float, category: str = "Build", owner: str = "AWS") -> dict:
    start = WINDOW_START + pd.Timedelta(days=1, hours=number)
    return {
        "pipeline": name, "execution_id": f"e{number}", "action_execution_id": f"e{number}-{act}", "stage": act,
        "action": act, "category": category, "owner": owner, "provider": "CodeBuild", "start": start,
        "last_update": start + pd.Timedelta(seconds=seconds), "status": "Succeeded", "external_execution_id": None,
    }  # fmt: skip


def build_run(project: str, number: int, seconds: float, compute: str, environment: str) -> dict[str, Any]:
    start = WINDOW_START + pd.Timedelta(days=2, hours=number)
    return {
        "project": project, "build_id": f"{project}:{number}", "build_number": number, "status": "SUCCEEDED",
        "start": start, "end": start + pd.Timedelta(seconds=seconds), "compute_type": compute,
        "environment_type": environment, "fleet_arn": None, "initiator": "alice", "from_pipeline": False,
        "provisioning_start": start, "billed_start": start, "billable_seconds": seconds,
    }  # fmt: skip


def function(name: str, memory_mb: int, architecture: str, invocations: float, avg_ms: float) -> dict[str, Any]:
    return {"function": name, "memory_mb": memory_mb, "architecture": architecture, "ephemeral_storage_mb": 512,
            "found": True, "invocations": invocations, "duration_ms_avg": avg_ms}  # fmt: skip


def functions_snapshot(*functions: dict[str, Any]) -> Snapshot:
    config = [{k: f[k] for k in ("function", "memory_mb", "architecture", "ephemeral_storage_mb", "found")}
              for f in functions]  # fmt: skip
    metrics = [{k: f[k] for k in ("function", "invocations", "duration_ms_avg")} for f in functions]
    return snapshot(functions=config, function_metrics=metrics)


# --- CodePipeline V1: the 30-day trial --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [(29, 0.0), (30, 0.0), (31, 1 * V1_MONTH)],  # in the trial up to and including day 30; charged from day 31
)
def test_v1_trial_boundary_on_a_usage_file(age_days: int, expected: float) -> None:
    created = NOVEMBER.end_date - dt.timedelta(days=age_days)
    usage = usage_file(pipelines={"p": {"type": "V1", "active": True, "created": created}})
    result = from_file(usage)
    assert result.by_service()["CodePipeline"] == pytest.approx(expected)
    assert quantity(result, "TrialPipeline" if age_days <= 30 else "ActivePipeline") == 1


@pytest.mark.parametrize(("age_days", "expected"), [(29, 0.0), (30, 0.0), (31, 1 * V1_MONTH)])
def test_v1_trial_boundary_on_a_snapshot(age_days: int, expected: float) -> None:
    created = WINDOW_END - pd.Timedelta(days=age_days)
    snap = snapshot(
        pipelines=[pipeline("p", "V1", created)],
        pipeline_executions=[execution("p", WINDOW_START + pd.Timedelta(days=20))],
    )
    assert from_snapshot(snap).by_service()["CodePipeline"] == pytest.approx(expected)


def test_v1_active_counts_only_runs_inside_the_window() -> None:
    old = WINDOW_START - pd.Timedelta(days=400)
    snap = snapshot(
        pipelines=[pipeline("before", "V1", old), pipeline("at-start", "V1", old), pipeline("never", "V1", old)],
        pipeline_executions=[
            execution("before", WINDOW_START - pd.Timedelta(seconds=1)),  # ran last month only: not active
            execution("at-start", WINDOW_START),  # its run starts the window: active
        ],
    )
    result = from_snapshot(snap)
    assert quantity(result, "ActivePipeline", "before") == 0
    assert quantity(result, "ActivePipeline", "at-start") == 1
    assert quantity(result, "ActivePipeline", "never") == 0
    assert result.by_service()["CodePipeline"] == pytest.approx(1 * V1_MONTH)


def test_v1_free_pipeline_is_one_per_account() -> None:
    pipelines = {name: {"type": "V1", "active": True, "created": dt.date(2024, 1, 1)} for name in ("a", "b", "c")}
    result = from_file(usage_file(free_tier=True, pipelines=pipelines))
    assert result.by_service()["CodePipeline"] == pytest.approx((3 - 1) * V1_MONTH)


# --- CodePipeline V2: rounding, exclusions, runs_per_execution, the 100 free minutes ---------------------------


def test_v2_custom_and_approval_actions_are_not_charged_on_a_usage_file() -> None:
    actions = [
        {"name": "Build", "category": "Build", "minutes": 2.5},
        {"name": "Custom", "category": "Build", "owner": "Custom", "minutes": 30},
        {"name": "Approve", "category": "Approval", "minutes": 60},
        {"name": "ThirdParty", "category": "Test", "owner": "ThirdParty", "minutes": 1},
    ]
    usage = usage_file(pipelines={"p": {"type": "V2", "executions_per_month": 10, "actions": actions}})
    # 10 executions x (ceil 2.5 = 3 min + third-party 1 min); custom and approval are free.
    assert from_file(usage).by_service()["CodePipeline"] == pytest.approx(10 * (3 + 1) * V2_MINUTE)


def test_v2_custom_and_approval_actions_are_not_charged_on_a_snapshot() -> None:
    runs = []
    for i in range(10):
        runs += [
            action_run("p", i, "Build", 150),  # ceil(2.5 min) = 3
            action_run("p", i, "Custom", 1800, owner="Custom"),  # 30 min, not charged
            action_run("p", i, "Approve", 3600, category="Approval"),  # 60 min, not charged
        ]
    snap = snapshot(pipelines=[pipeline("p", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=runs)
    result = from_snapshot(snap)
    assert result.by_service()["CodePipeline"] == pytest.approx(10 * 3 * V2_MINUTE)
    assert quantity(result, "ActionExecutionMinutes") == 10 * 3


def test_v2_runs_per_execution_scales_the_action_executions() -> None:
    actions = [
        {"name": "Build", "category": "Build", "minutes": 4.0},
        {"name": "Tests", "category": "Test", "minutes": 14.8, "runs_per_execution": 0.25},  # one run in four
        {"name": "Retry", "category": "Deploy", "minutes": 1.0, "runs_per_execution": 2},
    ]
    usage = usage_file(pipelines={"p": {"type": "V2", "executions_per_month": 400, "actions": actions}})
    # 400 x 4 min + 100 x ceil(14.8) = 15 min + 800 x 1 min.
    assert from_file(usage).by_service()["CodePipeline"] == pytest.approx((400 * 4 + 100 * 15 + 800 * 1) * V2_MINUTE)


@pytest.mark.parametrize(("minutes", "billed"), [(2.999, 3), (3.0, 3), (3.001, 4)])
def test_v2_minutes_round_up_per_execution(minutes: float, billed: int) -> None:
    actions = [{"name": "Build", "category": "Build", "minutes": minutes}]
    usage = usage_file(pipelines={"p": {"type": "V2", "executions_per_month": 7, "actions": actions}})
    assert from_file(usage).by_service()["CodePipeline"] == pytest.approx(7 * billed * V2_MINUTE)


@pytest.mark.parametrize(("seconds", "billed"), [(179.0, 3), (180.0, 3), (181.0, 4)])
def test_v2_minutes_round_up_per_execution_on_a_snapshot(seconds: float, billed: int) -> None:
    runs = [action_run("p", i, "Build", seconds) for i in range(7)]
    snap = snapshot(pipelines=[pipeline("p", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=runs)
    assert from_snapshot(snap).by_service()["CodePipeline"] == pytest.approx(7 * billed * V2_MINUTE)


@pytest.mark.parametrize(("executions", "paid_minutes"), [(99, 0), (100, 0), (101, 1), (150, 50)])
def test_v2_free_minutes_shared_by_the_account(executions: int, paid_minutes: int) -> None:
    one_minute = [{"name": "Build", "category": "Build", "minutes": 1}]
    half = executions // 2
    pipelines = {
        "a": {"type": "V2", "executions_per_month": half, "actions": one_minute},
        "b": {"type": "V2", "executions_per_month": executions - half, "actions": one_minute},
    }
    result = from_file(usage_file(free_tier=True, pipelines=pipelines))
    assert result.by_service()["CodePipeline"] == pytest.approx(paid_minutes * V2_MINUTE)


# --- CodeBuild: per-second Lambda compute, per-minute EC2 -------------------------------------------------------

LAMBDA_1GB = ("BUILD_LAMBDA_1GB", "LINUX_LAMBDA_CONTAINER")


@pytest.mark.parametrize(("seconds", "billed"), [(30.0, 30), (30.4, 31), (30.6, 31)])
def test_codebuild_lambda_compute_bills_whole_seconds_rounded_up_on_a_usage_file(seconds: float, billed: int) -> None:
    project = {"compute_type": LAMBDA_1GB[0], "environment_type": LAMBDA_1GB[1], "builds_per_month": 50,
               "minutes_per_build": seconds / 60}  # fmt: skip
    result = from_file(usage_file(codebuild={"lam": project}))
    assert quantity(result, "Build-Sec:Linux:Lambda:x86-64.1GB") == pytest.approx(50 * billed)


@pytest.mark.parametrize(("seconds", "billed"), [(30.0, 30), (30.4, 31), (30.6, 31)])
def test_codebuild_lambda_compute_bills_whole_seconds_rounded_up_on_a_snapshot(seconds: float, billed: int) -> None:
    snap = snapshot(builds=[build_run("lam", i, seconds, *LAMBDA_1GB) for i in range(50)])
    assert quantity(from_snapshot(snap), "Build-Sec:Linux:Lambda:x86-64.1GB") == pytest.approx(50 * billed)


@pytest.mark.parametrize(("seconds", "billed"), [(119.0, 2), (120.0, 2), (120.4, 3)])
def test_codebuild_ec2_bills_whole_minutes_per_build_on_a_snapshot(seconds: float, billed: int) -> None:
    snap = snapshot(builds=[build_run("b", i, seconds, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(5)])
    assert from_snapshot(snap).by_service()["CodeBuild"] == pytest.approx(5 * billed * 0.01)


@pytest.mark.parametrize(("builds", "paid_minutes"), [(99, 0), (100, 0), (101, 1), (130, 30)])
def test_codebuild_free_minutes_on_general1_small(builds: int, paid_minutes: int) -> None:
    project = {"compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER",
               "builds_per_month": builds, "minutes_per_build": 0.5}  # ceil(0.5) = 1 min each; 100 free  # fmt: skip
    result = from_file(usage_file(free_tier=True, codebuild={"b": project}))
    assert result.by_service()["CodeBuild"] == pytest.approx(paid_minutes * 0.005)


# --- Lambda: tiers per architecture, one free pool for both ------------------------------------------------------


def one_gb_function(arch: str, requests: float) -> dict[str, Any]:
    """1,024 MB x 1,000 ms: each request is exactly 1 GB-second."""
    return {"memory_mb": 1024, "architecture": arch, "requests_per_month": requests, "duration_ms": 1000}


@pytest.mark.parametrize(
    ("gb_seconds", "expected"),
    [
        (5_999_000_000, 5_999_000_000 * 0.0000166667),
        (6_001_000_000, 6_000_000_000 * 0.0000166667 + 1_000_000 * 0.000015),
        (14_999_000_000, 6_000_000_000 * 0.0000166667 + 8_999_000_000 * 0.000015),
        (15_000_000_000, 6_000_000_000 * 0.0000166667 + 9_000_000_000 * 0.000015),
        (15_001_000_000, 6_000_000_000 * 0.0000166667 + 9_000_000_000 * 0.000015 + 1_000_000 * 0.0000133334),
    ],
)
def test_lambda_x86_duration_tiers(gb_seconds: float, expected: float) -> None:
    result = from_file(usage_file(**{"lambda": {"f": one_gb_function("x86_64", gb_seconds)}}))
    assert cost(result, "Lambda-GB-Second") == pytest.approx(expected, rel=EXACT)
    assert cost(result, "Request") == pytest.approx(gb_seconds * REQUEST, rel=EXACT)


@pytest.mark.parametrize(
    ("gb_seconds", "expected"),
    [
        (7_499_000_000, 7_499_000_000 * 0.0000133334),
        (7_501_000_000, 7_500_000_000 * 0.0000133334 + 1_000_000 * 0.0000120001),
        (18_749_000_000, 7_500_000_000 * 0.0000133334 + 11_249_000_000 * 0.0000120001),
        (18_750_000_000, 7_500_000_000 * 0.0000133334 + 11_250_000_000 * 0.0000120001),
        (18_751_000_000, 7_500_000_000 * 0.0000133334 + 11_250_000_000 * 0.0000120001 + 1_000_000 * 0.0000106667),
    ],
)
def test_lambda_arm_duration_tiers(gb_seconds: float, expected: float) -> None:
    result = from_file(usage_file(**{"lambda": {"f": one_gb_function("arm64", gb_seconds)}}))
    assert cost(result, "Lambda-GB-Second-ARM") == pytest.approx(expected, rel=EXACT)


def test_lambda_tiers_apply_to_the_account_total_not_each_function() -> None:
    # Two x86 functions of 10 B GB-s each: 20 B together cross both boundaries.
    functions = {"f": one_gb_function("x86_64", 10e9), "g": one_gb_function("x86_64", 10e9)}
    result = from_file(usage_file(**{"lambda": functions}))
    expected = 6e9 * 0.0000166667 + 9e9 * 0.000015 + 5e9 * 0.0000133334
    assert cost(result, "Lambda-GB-Second") == pytest.approx(expected, rel=EXACT)
    assert cost(result, "Lambda-GB-Second", "f") == pytest.approx(expected / 2, rel=EXACT)


def test_lambda_free_tier_is_one_pool_for_x86_and_arm_on_a_usage_file() -> None:
    # Each function: 600,000 requests x 0.5 s x 1 GB = 300,000 GB-s. Together 600,000 GB-s and 1.2 M
    # requests against one 400,000 GB-s and one 1 M request allowance: 2/3 of each line is free.
    function = {"memory_mb": 1024, "requests_per_month": 600_000, "duration_ms": 500}
    functions = {"x": {**function, "architecture": "x86_64"}, "a": {**function, "architecture": "arm64"}}
    result = from_file(usage_file(free_tier=True, **{"lambda": functions}))
    paid_x86 = 300_000 * (1 - 400_000 / 600_000)  # 100,000 GB-s
    paid_arm = 300_000 * (1 - 400_000 / 600_000)
    expected = paid_x86 * 0.0000166667 + paid_arm * 0.0000133334 + (1_200_000 - 1_000_000) * REQUEST
    assert result.by_service()["Lambda"] == pytest.approx(expected)
    assert cost(result, "Lambda-GB-Second-ARM") == pytest.approx(100_000 * 0.0000133334)


def test_lambda_free_tier_is_one_pool_for_x86_and_arm_on_a_snapshot() -> None:
    snap = functions_snapshot(function("x", 1024, "x86_64", 600_000, 500), function("a", 1024, "arm64", 600_000, 500))
    result = from_snapshot(snap, free_tier=True)
    expected = 100_000 * 0.0000166667 + 100_000 * 0.0000133334 + 200_000 * REQUEST
    assert result.by_service()["Lambda"] == pytest.approx(expected)


@pytest.mark.parametrize(("avg_ms", "billed_ms"), [(999.2, 1000), (1000.0, 1000), (1000.2, 1001)])
def test_observed_lambda_duration_is_the_average_rounded_up_to_a_millisecond(avg_ms: float, billed_ms: int) -> None:
    result = from_snapshot(functions_snapshot(function("f", 2048, "x86_64", 10_000, avg_ms)))
    gb_seconds = 10_000 * billed_ms / 1000 * 2  # requests x seconds x 2 GB
    assert quantity(result, "Lambda-GB-Second") == pytest.approx(gb_seconds)
    assert result.by_service()["Lambda"] == pytest.approx(gb_seconds * 0.0000166667 + 10_000 * REQUEST)


def test_lambda_ephemeral_storage_is_billed_on_the_extra_storage_only() -> None:
    f = {"memory_mb": 1024, "architecture": "x86_64", "requests_per_month": 1000, "duration_ms": 2000,
         "ephemeral_storage_mb": 2560}  # 2 GB above 512 MB  # fmt: skip
    result = from_file(usage_file(**{"lambda": {"f": f}}))
    assert cost(result, "Lambda-Storage-GB-Second") == pytest.approx(1000 * 2 * 2 * 0.0000000309)


# --- S3: Standard tiers, archive overheads, Intelligent-Tiering monitoring --------------------------------------


S3_TIER_CASES = [
    (51_199, 51_199 * 0.023),
    (51_201, 51_200 * 0.023 + 1 * 0.022),
    (511_999, 51_200 * 0.023 + 460_799 * 0.022),
    (512_000, 51_200 * 0.023 + 460_800 * 0.022),
    (512_001, 51_200 * 0.023 + 460_800 * 0.022 + 1 * 0.021),
]


@pytest.mark.parametrize(("gb", "expected"), S3_TIER_CASES)
def test_s3_standard_tiers_on_a_usage_file(gb: float, expected: float) -> None:
    result = from_file(usage_file(s3={"b": {"storage_class": "STANDARD", "storage_gb": gb}}))
    assert result.by_service()["S3"] == pytest.approx(expected, rel=EXACT)


@pytest.mark.parametrize(("gb", "expected"), S3_TIER_CASES)
def test_s3_standard_tiers_on_a_snapshot(gb: float, expected: float) -> None:
    snap = snapshot(bucket_storage=[{"bucket": "b", "storage_type": "StandardStorage", "avg_bytes": gb * GIB}])
    assert from_snapshot(snap).by_service()["S3"] == pytest.approx(expected, rel=EXACT)


def test_glacier_overheads_32_kb_at_glacier_and_8_kb_at_standard_on_a_usage_file() -> None:
    # 1,048,576 objects: 32 KB each = 32 GB at the Glacier rate, 8 KB each = 8 GB at the Standard rate.
    bucket = {"storage_class": "GLACIER", "storage_gb": 1000, "objects": 1_048_576}
    result = from_file(usage_file(s3={"archive": bucket}))
    assert cost(result, "TimedStorage-GlacierByteHrs") == pytest.approx((1000 + 32) * GLACIER)
    assert cost(result, "TimedStorage-ByteHrs") == pytest.approx(8 * 0.023)
    assert result.by_service()["S3"] == pytest.approx((1000 + 32) * GLACIER + 8 * 0.023)


def test_glacier_overheads_bill_at_the_class_they_name_on_a_snapshot() -> None:
    snap = snapshot(bucket_storage=[
        {"bucket": "archive", "storage_type": "GlacierStorage", "avg_bytes": 1000 * GIB},
        {"bucket": "archive", "storage_type": "GlacierObjectOverhead", "avg_bytes": 32 * GIB},
        {"bucket": "archive", "storage_type": "GlacierS3ObjectOverhead", "avg_bytes": 8 * GIB},
    ])  # fmt: skip
    assert from_snapshot(snap).by_service()["S3"] == pytest.approx((1000 + 32) * GLACIER + 8 * 0.023)


def test_deep_archive_overheads() -> None:
    bucket = {"storage_class": "DEEP_ARCHIVE", "storage_gb": 500, "objects": 2 * 1_048_576}  # 64 GB + 16 GB
    result = from_file(usage_file(s3={"deep": bucket}))
    assert result.by_service()["S3"] == pytest.approx((500 + 64) * 0.00099 + 16 * 0.023)


@pytest.mark.parametrize(
    ("storage_gb", "monitored"),
    [(0.999, 0), (1.0, 8192), (1.001, 8192)],  # 8,192 objects in 1 GB average exactly 128 KB
)
def test_intelligent_tiering_monitors_objects_of_128_kb_or_more(storage_gb: float, monitored: int) -> None:
    bucket = {"storage_class": "INTELLIGENT_TIERING", "storage_gb": storage_gb, "objects": 8192}
    result = from_file(usage_file(s3={"it": bucket}))
    assert quantity(result, "Monitoring-Automation-INT") == monitored
    assert result.by_service()["S3"] == pytest.approx(storage_gb * 0.023 + monitored * INT_MONITORING)


@pytest.mark.parametrize(("objects", "billed_gb"), [(4096, 0.6), (8192, 1.0), (16384, 2.0)])
def test_standard_ia_bills_a_128_kb_minimum_object(objects: int, billed_gb: float) -> None:
    # 0.6 GB in 4,096 objects averages above 128 KB (billed as stored); 8,192 x 128 KB = 1 GB; 16,384 x 128 KB = 2 GB.
    bucket = {"storage_class": "STANDARD_IA", "storage_gb": 0.6, "objects": objects}
    result = from_file(usage_file(s3={"ia": bucket}))
    assert result.by_service()["S3"] == pytest.approx(billed_gb * 0.0125)
    assert max(0.6, objects * 128 * KB_IN_GB) == pytest.approx(billed_gb)  # the rule, written out


# --- pricing edge cases found by the mutation run ---------------------------------------------------------------


def test_a_zero_quantity_line_in_a_free_pool_costs_zero_not_nan() -> None:
    # A function that was never invoked draws nothing from the free pool: its lines cost $0, and the other
    # function's 600,000 GB-s still get the whole 400,000 GB-s allowance.
    functions = {"idle": one_gb_function("arm64", 0), "busy": one_gb_function("x86_64", 600_000)}
    result = from_file(usage_file(free_tier=True, **{"lambda": functions}))
    assert result.lines["cost_usd"].notna().all()
    assert result.lines["free_tier_quantity"].notna().all()
    assert cost(result, "Lambda-GB-Second-ARM") == 0
    assert result.by_service()["Lambda"] == pytest.approx(200_000 * 0.0000166667)
    # A pool nobody draws on at all: no division by zero leaks out as NaN.
    alone = from_file(usage_file(free_tier=True, **{"lambda": {"idle": one_gb_function("arm64", 0)}}))
    assert alone.lines["free_tier_quantity"].notna().all()
    assert alone.lines["cost_usd"].notna().all()
    assert alone.by_service()["Lambda"] == 0


def test_organization_scope_shares_one_free_pool_across_accounts() -> None:
    one_minute = [{"name": "Build", "category": "Build", "minutes": 1}]
    usage = usage_file(
        free_tier=True,
        pipelines={
            "a": {"type": "V2", "account": "111111111111", "executions_per_month": 80, "actions": one_minute},
            "b": {"type": "V2", "account": "222222222222", "executions_per_month": 80, "actions": one_minute},
        },
    )
    per_account = estimate(usage, period=NOVEMBER, pricebook=BOOK)
    organization = estimate(usage, period=NOVEMBER, pricebook=BOOK, free_tier_scope="organization")
    assert per_account.by_service()["CodePipeline"] == 0  # 80 minutes in each account's own 100
    assert organization.by_service()["CodePipeline"] == pytest.approx((160 - 100) * V2_MINUTE)


def test_organization_scope_applies_volume_tiers_to_the_organization_total() -> None:
    buckets = {
        "a": {"storage_class": "STANDARD", "account": "111111111111", "storage_gb": 40_000},
        "b": {"storage_class": "STANDARD", "account": "222222222222", "storage_gb": 40_000},
    }
    usage = usage_file(s3=buckets)
    per_account = estimate(usage, period=NOVEMBER, pricebook=BOOK)
    organization = estimate(usage, period=NOVEMBER, pricebook=BOOK, free_tier_scope="organization")
    assert per_account.by_service()["S3"] == pytest.approx(80_000 * 0.023)  # each account in the first tier
    # Together 80,000 GB: 51,200 at the first tier, 28,800 at the second.
    assert organization.by_service()["S3"] == pytest.approx(51_200 * 0.023 + 28_800 * 0.022)


def test_a_shared_artifact_bucket_is_split_by_executions_and_an_unused_one_is_not() -> None:
    old = WINDOW_START - pd.Timedelta(days=400)
    pipelines = [pipeline("busy", "V2", old) | {"artifact_buckets": "shared"},
                 pipeline("quiet", "V2", old) | {"artifact_buckets": "shared,quiet-only"}]  # fmt: skip
    runs = [execution("busy", WINDOW_START + pd.Timedelta(days=d)) for d in (1, 2, 3)]
    snap = snapshot(
        pipelines=pipelines,
        pipeline_executions=[*runs, execution("quiet", WINDOW_START + pd.Timedelta(days=4))],
        bucket_storage=[
            {"bucket": "shared", "storage_type": "StandardStorage", "avg_bytes": 100 * GIB},
            {"bucket": "quiet-only", "storage_type": "StandardStorage", "avg_bytes": 10 * GIB},
            {"bucket": "orphan", "storage_type": "StandardStorage", "avg_bytes": 4 * GIB},
        ],
    )
    lines = from_snapshot(snap).lines
    storage = lines[lines["usage_type"] == "TimedStorage-ByteHrs"].set_index(["resource", "pipeline"], drop=False)
    # shared: 100 GB split 3:1 by executions; quiet-only: all quiet's; orphan: nobody's.
    assert storage.loc[("shared", "busy"), "quantity"] == pytest.approx(75)
    assert storage.loc[("shared", "quiet"), "quantity"] == pytest.approx(25)
    assert storage.loc[("quiet-only", "quiet"), "quantity"] == pytest.approx(10)
    orphan = lines[(lines["resource"] == "orphan") & (lines["usage_type"] == "TimedStorage-ByteHrs")]
    assert orphan["pipeline"].isna().all()
    assert orphan["quantity"].sum() == pytest.approx(4)
    # No pipeline_actions table: no artifact requests are estimated, only storage is billed.
    assert from_snapshot(snap).by_service()["S3"] == pytest.approx((100 + 10 + 4) * 0.023)


# --- survivors of the partial mutation run ----------------------------------------------------------------------


def test_by_pipeline_attributes_v1_and_v2_codepipeline_charges_to_their_pipelines() -> None:
    actions = [{"name": "Build", "category": "Build", "minutes": 2.5}]
    pipelines = {
        "legacy": {"type": "V1", "active": True, "created": dt.date(2024, 1, 1)},
        "modern": {"type": "V2", "executions_per_month": 40, "actions": actions},
    }
    view = from_file(usage_file(pipelines=pipelines)).by_pipeline().set_index("pipeline")
    assert set(view.index) == {"legacy", "modern"}  # nothing left "(not attributed)"
    assert view.loc["legacy", "CodePipeline"] == pytest.approx(1 * V1_MONTH, rel=EXACT)
    assert view.loc["modern", "CodePipeline"] == pytest.approx(40 * 3 * V2_MINUTE, rel=EXACT)  # ceil(2.5) = 3 min
    assert view.loc["modern", "total_usd"] == pytest.approx(40 * 3 * V2_MINUTE, rel=EXACT)


def _uncharged_lines(result: Estimate) -> pd.DataFrame:
    lines = result.lines[result.lines["component"].isin(["Custom (Build)", "Approve (Approval)"])]
    assert len(lines) == 2, result.lines
    return lines


def test_uncharged_action_lines_are_zero_not_nan_on_a_usage_file() -> None:
    actions = [
        {"name": "Build", "category": "Build", "minutes": 2.5},
        {"name": "Custom", "category": "Build", "owner": "Custom", "minutes": 30},
        {"name": "Approve", "category": "Approval", "minutes": 60},
    ]
    usage = usage_file(pipelines={"p": {"type": "V2", "executions_per_month": 10, "actions": actions}})
    lines = _uncharged_lines(from_file(usage))
    assert lines["quantity"].tolist() == [0.0, 0.0]  # NaN != 0.0: a NaN quantity fails here
    assert lines["cost_usd"].tolist() == [0.0, 0.0]


def test_uncharged_action_lines_are_zero_not_nan_on_a_snapshot() -> None:
    runs = []
    for i in range(10):
        runs += [
            action_run("p", i, "Build", 150),
            action_run("p", i, "Custom", 1800, owner="Custom"),
            action_run("p", i, "Approve", 3600, category="Approval"),
        ]
    snap = snapshot(pipelines=[pipeline("p", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=runs)
    result = from_snapshot(snap)
    lines = _uncharged_lines(result)
    assert lines["quantity"].tolist() == [0.0, 0.0]
    assert lines["cost_usd"].tolist() == [0.0, 0.0]
    # The per-run view the savings rules read: 20 uncharged executions at 0 minutes each, not NaN.
    uncharged = result.runs.actions[~result.runs.actions["charged"].astype(bool)]
    assert uncharged["minutes"].tolist() == [0.0] * 20
    assert uncharged["billed"].tolist() == [0.0] * 20


def test_a_build_on_an_unknown_compute_type_is_listed_as_missing_not_dropped() -> None:
    snap = snapshot(
        builds=[build_run("known", i, 120, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(5)]
        + [build_run("future", 9, 120, "BUILD_GENERAL9_HUGE", "LINUX_CONTAINER")]
    )
    result = from_snapshot(snap)
    assert not result.complete
    missing = result.missing_prices
    assert missing[["service", "resource"]].values.tolist() == [["CodeBuild", "future"]]
    assert missing["quantity"].tolist() == [2.0]  # 120 s = 2 build minutes, unpriced
    assert len(result.runs.builds) == 6  # the unknown build is counted, not merged away
    assert result.by_service()["CodeBuild"] == pytest.approx(5 * 2 * 0.01, rel=EXACT)  # a lower bound: known only


def test_a_pipeline_listed_twice_does_not_double_its_action_executions() -> None:
    # A snapshot whose pipelines table repeats "p" with a different type (e.g. two collections merged after an
    # upgrade from V1 to V2): the first row is kept, each action execution is counted once.
    created = WINDOW_START - pd.Timedelta(days=400)
    runs = [action_run("p", i, "Build", 150) for i in range(10)]  # ceil(2.5 min) = 3 each
    snap = snapshot(pipelines=[pipeline("p", "V2", created), pipeline("p", "V1", created)], action_executions=runs)
    result = from_snapshot(snap)
    assert len(result.runs.actions) == 10
    assert quantity(result, "ActionExecutionMinutes") == 10 * 3
    assert cost(result, "ActionExecutionMinutes") == pytest.approx(10 * 3 * V2_MINUTE, rel=EXACT)
