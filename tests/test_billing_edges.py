"""Billing edges a mutation run of the billing core found untested: each test here fails on a planted bug the
rest of the suite let through (the bug is said in the test's comment) and passes on the code as it is.

Every expected figure is price x quantity written out from the us-east-1 prices pricing/*.csv ships (the
pricing pages' figures), through public functions only, so the tests survive code moving between modules.
See tests/test_billing_boundaries.py for the helpers and the prices.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_billing_boundaries import (
    BOOK,
    GIB,
    GLACIER,
    INT_MONITORING,
    KB_IN_GB,
    NOVEMBER,
    REQUEST,
    V2_MINUTE,
    WINDOW_START,
    X86,
    action_run,
    build_run,
    from_file,
    from_snapshot,
    one_gb_function,
    pipeline,
    quantity,
    snapshot,
    usage_file,
)

from costkit.price import price

# --- pricing: the free tier is on unless asked off ---------------------------------------------------------------


def test_price_applies_the_free_tier_by_default() -> None:
    # Bug caught: `price(..., free_tier=True)` defaulting to False.
    # 1,500,000 GB-s of x86 duration and 2 M requests; 400,000 GB-s and 1 M requests are free.
    rows = from_file(usage_file(**{"lambda": {"f": one_gb_function("x86_64", 1_500_000)}})).usage_rows
    lines = price(rows, BOOK).lines  # no free_tier argument: the allowances apply
    by_type = lines.groupby("usage_type")["cost_usd"].sum()
    assert by_type["Lambda-GB-Second"] == pytest.approx((1_500_000 - 400_000) * X86[0])
    assert by_type["Request"] == pytest.approx((1_500_000 - 1_000_000) * REQUEST)
    off = price(rows, BOOK, free_tier=False).lines.groupby("usage_type")["cost_usd"].sum()
    assert off["Lambda-GB-Second"] == pytest.approx(1_500_000 * X86[0])


# --- the per-run view: a V1 pipeline's actions bill no action minutes --------------------------------------------


def test_v1_planned_actions_bill_zero_minutes_and_would_bill_rounded_minutes_on_v2() -> None:
    # Bug caught: a V1 pipeline's planned runs billing None (not 0) minutes, which breaks count x billed.
    actions = [{"name": "Build", "category": "Build", "minutes": 2.5}]
    pipelines = {
        "old": {"type": "V1", "active": True, "created": dt.date(2024, 1, 1), "executions_per_month": 40,
                "actions": actions},
        "new": {"type": "V2", "executions_per_month": 40, "actions": actions},
    }  # fmt: skip
    result = from_file(usage_file(pipelines=pipelines))
    runs = result.runs.actions.set_index("pipeline")
    # Both would bill ceil(2.5) = 3 minutes per execution on V2; only the V2 pipeline does.
    assert runs.loc["old", "minutes"] == 3.0
    assert runs.loc["new", "minutes"] == 3.0
    billed = (runs["count"] * runs["billed"]).astype(float)  # a number for every run, 0 on V1
    assert billed.to_dict() == {"old": 0.0, "new": 40 * 3.0}
    assert result.by_service()["CodePipeline"] == pytest.approx(1 * 1.00 + 40 * 3 * V2_MINUTE)


# --- S3 on a snapshot: an overhead is metered apart from the storage it belongs to --------------------------------


def test_observed_archive_overheads_are_metered_as_overheads_not_storage() -> None:
    # Bug caught: CloudWatch's overhead storage types losing their `storage-overhead` meter.
    snap = snapshot(bucket_storage=[
        {"bucket": "archive", "storage_type": "GlacierStorage", "avg_bytes": 1000 * GIB},
        {"bucket": "archive", "storage_type": "GlacierObjectOverhead", "avg_bytes": 32 * GIB},
        {"bucket": "archive", "storage_type": "GlacierS3ObjectOverhead", "avg_bytes": 8 * GIB},
    ])  # fmt: skip
    result = from_snapshot(snap)
    meters = result.usage_rows.groupby("meter")["quantity"].sum().to_dict()
    # The 8 KB index bills at S3 Standard's usage type but is not Standard storage a lifecycle rule could move.
    assert meters == {"storage": 1000.0, "storage-overhead": 32.0 + 8.0}
    glacier = result.lines[result.lines["usage_type"] == "TimedStorage-GlacierByteHrs"]
    assert set(glacier["component"]) == {"storage (GlacierStorage)", "storage (GlacierObjectOverhead)"}
    assert set(result.lines["unit"]) == {"GB-Month"}
    assert result.by_service()["S3"] == pytest.approx((1000 + 32) * GLACIER + 8 * 0.023)


# --- S3 on a usage file: the storage line is the bucket's, in GB-months, attributed to its pipeline -------------


def test_s3_storage_line_is_attributed_to_the_bucket_pipeline() -> None:
    # Bugs caught: the storage row dropping its pipeline, its unit or its component.
    buckets = {
        "artifacts": {"storage_class": "STANDARD", "storage_gb": 200, "pipeline": "web",
                      "put_requests_per_month": 10_000},
        "loose": {"storage_class": "STANDARD", "storage_gb": 50},
    }  # fmt: skip
    web = {"web": {"type": "V1", "active": False, "created": dt.date(2024, 1, 1)}}  # no change ran: $0
    result = from_file(usage_file(pipelines=web, s3=buckets))
    storage = result.lines[result.lines["usage_type"] == "TimedStorage-ByteHrs"].set_index("resource")
    assert storage.loc["artifacts", ["component", "unit", "pipeline"]].tolist() == [
        "storage (STANDARD)",
        "GB-Month",
        "web",
    ]
    assert pd.isna(storage.loc["loose", "pipeline"])
    per_pipeline = result.by_pipeline().set_index("pipeline")["S3"]
    assert per_pipeline["web"] == pytest.approx(200 * 0.023 + 10_000 / 1000 * 0.005)  # storage + PUTs per 1,000
    assert per_pipeline["(not attributed)"] == pytest.approx(50 * 0.023)


# --- per-run rounding: anything that ran bills a whole unit; a run of no time bills nothing ---------------------


@pytest.mark.parametrize(("seconds", "billed_minutes"), [(0.0, 0), (0.5, 1), (1.0, 1), (1.5, 1)])
def test_an_observed_build_under_a_second_bills_a_whole_minute(seconds: float, billed_minutes: int) -> None:
    # Bugs caught: "ran" meaning more than 1 second, or 0 seconds or more (a build of no time billing a minute).
    snap = snapshot(builds=[build_run("b", i, seconds, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(4)])
    assert from_snapshot(snap).by_service()["CodeBuild"] == pytest.approx(4 * billed_minutes * 0.01)


@pytest.mark.parametrize(("seconds", "billed_minutes"), [(0.0, 0), (0.5, 1), (1.5, 1)])
def test_an_observed_action_under_a_second_bills_a_whole_minute(seconds: float, billed_minutes: int) -> None:
    runs = [action_run("p", i, "Build", seconds) for i in range(6)]
    snap = snapshot(pipelines=[pipeline("p", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=runs)
    assert from_snapshot(snap).by_service()["CodePipeline"] == pytest.approx(6 * billed_minutes * V2_MINUTE)


def test_float_noise_below_a_billionth_of_a_minute_adds_no_minute() -> None:
    # Bug caught: rounding to 10 decimals before the ceiling, so 2.0000000004 min (noise) bills 3 min.
    project = {"compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER",
               "builds_per_month": 10, "minutes_per_build": 2.0000000004}  # fmt: skip
    assert from_file(usage_file(codebuild={"b": project})).by_service()["CodeBuild"] == pytest.approx(10 * 2 * 0.01)


@pytest.mark.parametrize(("age_days", "billed_quantity"), [(-1, 0.0), (0, 0.0), (1, 1.0)])
def test_a_v1_pipeline_created_at_or_after_the_month_end_has_no_pipeline_month(
    age_days: int, billed_quantity: float
) -> None:
    # Bug caught: `age > 0` as `age >= 0`, counting a trial month for a pipeline created as the month ends.
    created = NOVEMBER.end_date - dt.timedelta(days=age_days)
    result = from_file(usage_file(pipelines={"p": {"type": "V1", "active": True, "created": created}}))
    assert quantity(result, "TrialPipeline") == billed_quantity  # the trial month is free either way: $0
    assert result.by_service()["CodePipeline"] == 0.0


# --- S3 on a usage file: requests, retrieval and transitions of an infrequent-access bucket ----------------------


def test_standard_ia_requests_retrieval_and_transitions_by_hand() -> None:
    # Bugs caught: a request, retrieval or transition meter dropped or read from the wrong column.
    buckets = {
        "ia": {"storage_class": "STANDARD_IA", "storage_gb": 100, "put_requests_per_month": 20_000,
               "get_requests_per_month": 300_000, "retrieval_gb_per_month": 50,
               "lifecycle_transitions_per_month": 20_000},
        "std": {"storage_class": "STANDARD", "storage_gb": 10},  # no requests given: a storage line only
    }  # fmt: skip
    result = from_file(usage_file(s3=buckets))
    ia = result.lines[result.lines["resource"] == "ia"].set_index("usage_type")["cost_usd"].to_dict()
    assert ia == pytest.approx({
        "TimedStorage-SIA-ByteHrs": 100 * 0.0125,  # GB-month
        "Requests-SIA-Tier1": 20_000 / 1000 * 0.01,  # PUTs per 1,000
        "Requests-SIA-Tier2": 300_000 / 1000 * 0.001,  # GETs per 1,000
        "Retrieval-SIA": 50 * 0.01,  # per GB retrieved
        "Transition-SIA": 20_000 / 1000 * 0.01,  # transitions into Standard-IA per 1,000 objects
    })  # fmt: skip
    std = result.lines[result.lines["resource"] == "std"]
    assert std["usage_type"].tolist() == ["TimedStorage-ByteHrs"]
    assert result.by_service()["S3"] == pytest.approx(1.25 + 0.20 + 0.30 + 0.50 + 0.20 + 10 * 0.023)


# --- CodeBuild given as monthly minutes: Lambda compute bills those minutes in seconds ---------------------------


def test_lambda_compute_given_as_monthly_minutes_bills_seconds() -> None:
    # Bug caught: the monthly total of a Lambda-compute project left in minutes (100 instead of 6,000 s).
    # Bugs caught too: a given-minutes row losing its component, resource or pipeline.
    lam = {"compute_type": "BUILD_LAMBDA_1GB", "environment_type": "LINUX_LAMBDA_CONTAINER",
           "build_minutes_per_month": 100, "pipeline": "web"}  # fmt: skip
    ec2 = {
        "compute_type": "BUILD_GENERAL1_MEDIUM",
        "environment_type": "LINUX_CONTAINER",
        "build_minutes_per_month": 100,
    }
    web = {"web": {"type": "V1", "active": False, "created": dt.date(2024, 1, 1)}}  # no change ran: $0
    result = from_file(usage_file(pipelines=web, codebuild={"lam": lam, "ec2": ec2}))
    lines = result.lines.set_index("resource")
    assert lines.loc["lam", ["quantity", "unit"]].tolist() == [100 * 60.0, "Second"]  # 100 min x 60 s
    assert lines.loc["lam", ["component", "pipeline"]].tolist() == ["BUILD_LAMBDA_1GB / LINUX_LAMBDA_CONTAINER", "web"]
    assert pd.isna(lines.loc["ec2", "pipeline"])
    assert lines.loc["ec2", ["quantity", "unit"]].tolist() == [100.0, "Minute"]
    assert lines.loc["ec2", "cost_usd"] == pytest.approx(100 * 0.01)
    assert "codebuild-lambda-seconds" in {a["id"] for a in result.assumptions}


def test_s3_conventions_are_stated_for_the_buckets_that_rely_on_them() -> None:
    # Bugs caught: an S3 convention (minimum object size, archive overhead, no free tier, minimum storage
    # duration) dropped from, or wrongly added to, the estimate's assumptions.
    def ids(buckets: dict[str, dict[str, object]]) -> set[str]:
        return {a["id"] for a in from_file(usage_file(s3=buckets)).assumptions if a["id"].startswith("s3-")}

    standard = {"std": {"storage_class": "STANDARD", "storage_gb": 10}}
    assert ids(standard) == {"s3-no-free-tier"}
    both = {**standard, "ia": {"storage_class": "STANDARD_IA", "storage_gb": 1, "objects": 10},
            "cold": {"storage_class": "GLACIER", "storage_gb": 1, "objects": 10}}  # fmt: skip
    assert ids(both) == {"s3-no-free-tier", "s3-min-object-size", "s3-archive-overhead", "s3-minimum-duration"}


# --- S3 per-object rows: the archive index and Intelligent-Tiering monitoring, labelled and attributed -----------


def test_per_object_rows_are_labelled_attributed_and_monitoring_is_intelligent_tiering_only() -> None:
    # Bugs caught: `monitored & has_objects` as `|` (monitoring billed for a Standard bucket that gives an object
    # count); the archive-index or monitoring row losing its component, unit, meter, resource or pipeline.
    buckets = {
        "cold": {"storage_class": "GLACIER", "storage_gb": 100, "objects": 1_048_576, "pipeline": "web"},
        "it": {"storage_class": "INTELLIGENT_TIERING", "storage_gb": 1000, "objects": 1_000_000, "pipeline": "web"},
        "std": {"storage_class": "STANDARD", "storage_gb": 500, "objects": 1_000_000},  # 500 KB average
    }
    web = {"web": {"type": "V1", "active": False, "created": dt.date(2024, 1, 1)}}  # no change ran: $0
    result = from_file(usage_file(pipelines=web, s3=buckets))
    rows = result.usage_rows
    per_object = rows[rows["meter"].isin(["archive-index", "monitoring"])]
    fields = ["resource", "pipeline", "component", "usage_type", "unit", "meter", "quantity"]
    assert per_object[fields].to_dict("records") == [
        # 1,048,576 objects x 8 KB = 8 GB at S3 Standard's usage type
        {"resource": "cold", "pipeline": "web", "component": "archive index (8 KB per object at S3 Standard)",
         "usage_type": "TimedStorage-ByteHrs", "unit": "GB-Month", "meter": "archive-index",
         "quantity": 1_048_576 * 8 / (1024 * 1024)},
        # 1000 GB / 1,000,000 objects = 1 MB average, above 128 KB: every object monitored
        {"resource": "it", "pipeline": "web", "component": "Intelligent-Tiering monitoring",
         "usage_type": "Monitoring-Automation-INT", "unit": "Object-Month", "meter": "monitoring",
         "quantity": 1_000_000.0},
    ]  # fmt: skip
    cold = (100 + 1_048_576 * 32 * KB_IN_GB) * GLACIER + 1_048_576 * 8 * KB_IN_GB * 0.023  # 132 GB + 8 GB index
    it = 1000 * 0.023 + 1_000_000 * INT_MONITORING  # frequent-access tier at the Standard rate + monitoring
    per_pipeline = result.by_pipeline().set_index("pipeline")["S3"]
    assert per_pipeline["web"] == pytest.approx(cold + it)
    assert per_pipeline["(not attributed)"] == pytest.approx(500 * 0.023)  # storage only: no monitoring


def test_intelligent_tiering_without_an_object_count_says_monitoring_is_unknown() -> None:
    # Bugs caught: the monitoring-unknown note dropped, or given to a bucket whose objects are counted.
    def ids(bucket: dict[str, object]) -> set[str]:
        return {a["id"] for a in from_file(usage_file(s3={"it": bucket})).assumptions if a["id"].startswith("s3-")}

    uncounted = {"storage_class": "INTELLIGENT_TIERING", "storage_gb": 10}
    counted = {**uncounted, "objects": 100}
    assert ids(uncounted) == {"s3-intelligent-tiering", "s3-int-monitoring-unknown", "s3-no-free-tier",
                              "s3-minimum-duration"}  # fmt: skip
    assert ids(counted) == {"s3-intelligent-tiering", "s3-no-free-tier", "s3-minimum-duration"}
    assert quantity(from_file(usage_file(s3={"it": uncounted})), "Monitoring-Automation-INT") == 0.0


# --- observed runs of unknown time: billed as nothing, never guessed ---------------------------------------------


def test_an_observed_run_with_an_unknown_start_or_end_bills_nothing() -> None:
    # Bug caught: a run of unknown time (NaN seconds) counted as having run, billing a whole minute.
    actions = [action_run("p", i, "Build", 90) for i in range(3)]  # 90 s: ceil 2 minutes each
    actions[0]["start"] = None
    actions[1]["last_update"] = None
    builds = [build_run("b", i, 90, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(3)]
    builds[0]["start"] = builds[0]["billed_start"] = None
    snap = snapshot(pipelines=[pipeline("p", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=actions,
                    builds=builds)  # fmt: skip
    services = from_snapshot(snap).by_service()
    assert services["CodePipeline"] == pytest.approx(1 * 2 * V2_MINUTE)  # only e2's 2 minutes
    assert services["CodeBuild"] == pytest.approx(2 * 2 * 0.01)  # b:1 and b:2, 2 minutes each on general1.medium
