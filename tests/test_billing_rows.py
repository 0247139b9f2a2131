"""The rows each service's billing derives, field by field: quantity and price, and also what the bill shows
beside them (component, unit, meter, resource, pipeline, the `detail` arithmetic in words, the assumption ids
the estimate states) and the per-run view the savings rules read. Written for the mutants a mutation run of
`costkit/billing/` left alive: each test's docstring says the bug it catches.

Every expected figure is price x quantity worked by hand from the us-east-1 prices pricing/*.csv ships (see
tests/test_billing_boundaries.py for the prices and the helpers); every expected text is written out here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_billing_boundaries import (
    ACCOUNT,
    BOOK,
    GIB,
    LAMBDA_1GB,
    NOVEMBER,
    REGION,
    V1_MONTH,
    V2_MINUTE,
    WINDOW_START,
    action_run,
    build_run,
    estimate,
    execution,
    from_file,
    from_snapshot,
    function,
    functions_snapshot,
    pipeline,
    snapshot,
    usage_file,
)

from costkit import Estimate
from costkit.billing import codebuild, codepipeline, lambda_, s3
from costkit.billing.codebuild import fleet_minutes, is_on_demand_minutes
from costkit.billing.meters import name, names, pattern
from costkit.billing.rows import derive
from costkit.billing.units import billed_units, ran_for
from costkit.errors import PricingDataError
from costkit.estimate import price_usage
from costkit.model.inventory import BUCKET_COLUMNS, FUNCTION_COLUMNS, PIPELINE_COLUMNS, PROJECT_COLUMNS, Inventory
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, Runs
from costkit.model.usage import Usage

LINE_LABELS = ["resource", "component", "pipeline", "usage_type", "unit"]


def ids(result: Estimate) -> set[str]:
    return {item["id"] for item in result.assumptions}


def labelled(result: Estimate, service: str) -> list[tuple[Any, ...]]:
    """The service's lines in bill order: labels, quantity, detail, and the meter of the row behind each."""
    lines = result.lines[result.lines["service"] == service]
    rows = result.usage_rows[result.usage_rows["service"] == service]
    assert len(lines) == len(rows)
    return [
        (*labels, quantity, meter, detail)
        for labels, quantity, meter, detail in zip(
            lines[LINE_LABELS].itertuples(index=False, name=None),
            lines["quantity"],
            rows["meter"],
            lines["detail"],
            strict=True,
        )
    ]


# --- CodePipeline -----------------------------------------------------------------------------------------------

PLANNED_ACTIONS = [  # declared in this order; each runs once per execution, 40 executions a month
    {"name": "Source", "category": "Source", "minutes": 0.25},  # 15 s: bills ceil(0.25) = 1 min
    {"name": "Approve", "category": "Approval", "minutes": 30},  # manual approval: not charged
    {"name": "Deploy", "category": "Deploy", "owner": "Custom", "minutes": 2},  # custom action: not charged
    {"name": "Build", "category": "Build", "minutes": 2.5},  # 150 s: bills ceil(2.5) = 3 min
]


def test_codepipeline_rows_of_a_usage_file_are_labelled_in_pipeline_order_with_their_arithmetic() -> None:
    """Catches: the V1 row's component label or the V2 rows' meter lost or misspelt; the V2 rows sorted by name
    instead of kept in the pipeline's order; the detail's executions or run minutes wrong (seconds x 60, count /
    seconds, / 61, left out); approvals and custom actions given each other's reason (or none)."""
    pipelines = {
        "old": {"type": "V1", "active": True, "created": dt.date(2024, 1, 1)},
        "new": {"type": "V2", "executions_per_month": 40, "actions": PLANNED_ACTIONS},
    }
    result = from_file(usage_file(pipelines=pipelines))
    v1 = ("old", "pipeline (V1)", "old", "ActivePipeline", "Pipeline-Month", 1.0, "pipeline-month")
    v2 = ("new", "ActionExecutionMinutes", "Minute")
    assert labelled(result, "CodePipeline") == [
        (*v1, "active in the month: 1 pipeline-month"),
        # 40 x 15 s = 10 min run; 40 x 1 min billed
        (v2[0], "Source (Source)", v2[0], *v2[1:], 40 * 1.0, "action-minutes",
         "40 action executions, 10 min run, 40 min billed (each execution rounded up to a minute)"),
        (v2[0], "Approve (Approval)", v2[0], *v2[1:], 0.0, "action-minutes",
         "40 action executions: manual approval, not charged"),
        (v2[0], "Deploy (Deploy)", v2[0], *v2[1:], 0.0, "action-minutes",
         "40 action executions: custom action, not charged"),
        # 40 x 150 s = 6,000 s = 100 min run; 40 x 3 min billed
        (v2[0], "Build (Build)", v2[0], *v2[1:], 40 * 3.0, "action-minutes",
         "40 action executions, 100 min run, 120 min billed (each execution rounded up to a minute)"),
    ]  # fmt: skip
    assert result.by_service()["CodePipeline"] == pytest.approx(1 * V1_MONTH + (40 + 120) * V2_MINUTE)


def test_codepipeline_states_the_conventions_of_a_usage_file_and_of_a_snapshot() -> None:
    """Catches: the V1 and V2 assumption ids lost, misspelt or swapped between the paths (a usage file's planned
    averages said to be observed, a snapshot's observed runs said to be averages); V2's ids replacing V1's
    instead of adding to them."""
    pipelines = {
        "old": {"type": "V1", "active": True, "created": dt.date(2024, 1, 1)},
        "new": {"type": "V2", "executions_per_month": 40, "actions": PLANNED_ACTIONS},
    }
    planned = ids(from_file(usage_file(pipelines=pipelines)))
    assert {"v1-active", "v2-exclusions", "v2-free-minutes-pricing-page", "v2-average-rounding"} <= planned
    assert not {"observed-v1-active", "observed-v2-rounding"} & planned
    observed = ids(from_snapshot(_observed_pipelines()))
    assert {"v1-active", "observed-v1-active", "v2-exclusions", "v2-free-minutes-pricing-page",
            "observed-v2-rounding"} <= observed  # fmt: skip
    assert "v2-average-rounding" not in observed


def _observed_pipelines() -> Any:
    """A V1 and a V2 pipeline, both over a year old, each run once in October; the V2 one's action executions:
    two Build runs (90 s, 30 s), an approval, a custom action and a test whose start is unknown."""
    old = WINDOW_START - pd.Timedelta(days=400)
    unknown = action_run("new", 3, "Test", 30)
    unknown["start"] = None
    ran = WINDOW_START + pd.Timedelta(days=3)
    return snapshot(
        pipelines=[pipeline("old", "V1", old), pipeline("new", "V2", old)],
        pipeline_executions=[execution("old", ran), execution("new", ran)],
        action_executions=[
            action_run("new", 1, "Build", 90),
            action_run("new", 2, "Build", 30),
            action_run("new", 1, "Approve", 600, category="Approval"),
            action_run("new", 1, "Deploy", 120, category="Deploy", owner="Custom"),
            unknown,
        ],
    )


def test_codepipeline_rows_of_a_snapshot_are_labelled_and_an_action_of_unknown_time_bills_zero_minutes() -> None:
    """Catches: an action execution of unknown time billing None (not 0) minutes in the runs the savings rules
    read; its run minutes counted as a second (unknown seconds filled with 1) or as NaN; the V2 rows sorted by
    name instead of kept in the order they ran."""
    result = from_snapshot(_observed_pipelines())
    runs = result.runs.actions
    # Build 90 s -> 2 min, Build 30 s -> 1 min, approval and custom action 0, unknown time: did not bill.
    assert runs["action"].tolist() == ["Build", "Build", "Approve", "Deploy", "Test"]
    assert runs["minutes"].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0]
    assert runs["billed"].tolist() == [2.0, 1.0, 0.0, 0.0, 0.0]
    v2 = ("new", "ActionExecutionMinutes", "Minute")
    assert labelled(result, "CodePipeline") == [
        ("old", "pipeline (V1)", "old", "ActivePipeline", "Pipeline-Month", 1.0, "pipeline-month",
         "active in the month: 1 pipeline-month"),
        # 90 s + 30 s = 2 min run; 2 + 1 min billed
        (v2[0], "Build (Build)", v2[0], *v2[1:], 2.0 + 1.0, "action-minutes",
         "2 action executions, 2 min run, 3 min billed (each execution rounded up to a minute)"),
        (v2[0], "Approve (Approval)", v2[0], *v2[1:], 0.0, "action-minutes",
         "1 action executions: manual approval, not charged"),
        (v2[0], "Deploy (Deploy)", v2[0], *v2[1:], 0.0, "action-minutes",
         "1 action executions: custom action, not charged"),
        (v2[0], "Test (Build)", v2[0], *v2[1:], 0.0, "action-minutes",
         "1 action executions, 0 min run, 0 min billed (each execution rounded up to a minute)"),
    ]  # fmt: skip
    assert result.by_service()["CodePipeline"] == pytest.approx(1 * V1_MONTH + 3 * V2_MINUTE)


def _pipelines(*records: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])
    return frame.reindex(columns=PIPELINE_COLUMNS)


def test_a_v1_pipeline_of_unknown_activity_bills_no_pipeline_month() -> None:
    """Catches: a V1 pipeline whose `active` is unknown (an inventory row added by an edit, without it) billed as
    active (unknown filled with True; a cast to float before the fill, which pandas warns about); and
    codepipeline.rows failing on a model whose action runs are an empty table without columns."""
    pipelines = _pipelines(
        {"pipeline": "none", "type": "V1", "active": None, "age_days": 400.0},
        {"pipeline": "absent", "type": "V1", "age_days": 400.0},  # no `active` at all: NaN in the table
        {"pipeline": "known", "type": "V1", "active": True, "age_days": 400.0},
    )
    usage = Usage(inventory=Inventory(pipelines=pipelines), runs=Runs(actions=pd.DataFrame()), planned=True)
    rows, noted = codepipeline.rows(usage)
    assert rows[["resource", "quantity", "detail"]].values.tolist() == [
        ["none", 0.0, "no code change in the month: not active, no charge"],
        ["absent", 0.0, "no code change in the month: not active, no charge"],
        ["known", 1.0, "active in the month: 1 pipeline-month"],
    ]
    assert noted == {"v1-active"}


def _actions(*records: dict[str, Any]) -> pd.DataFrame:
    base = {"account": ACCOUNT, "region": REGION, "stage": "s", "category": "Build", "owner": "AWS", "count": 1.0}
    return pd.DataFrame([{**base, **r} for r in records]).reindex(columns=ACTION_RUN_COLUMNS)


def test_metering_actions_again_reads_the_pipeline_type_not_a_stale_one_and_keeps_unknown_pipelines() -> None:
    """Catches: codepipeline.meter keeping a `type` column the runs carry (a pipeline made V2 still billed as V1,
    or the merge failing on two `type` columns); dropping the runs of a pipeline the inventory does not list
    (an inner join); returning columns the runs did not have; failing on seconds held as objects (None for
    unknown)."""
    actions = _actions(
        {"pipeline": "p", "action": "Build", "seconds": 61.0},  # 2 min on V2
        {"pipeline": "p", "action": "Test", "seconds": None},  # unknown time: bills nothing
        {"pipeline": "gone", "action": "Build", "seconds": 120.0},  # not in the inventory: no type, bills nothing
    )
    actions["seconds"] = actions["seconds"].astype(object).where(actions["seconds"].notna(), None)
    actions["type"] = "V1"  # stale: the pipeline was V1 when these runs were metered
    pipelines = _pipelines({"pipeline": "p", "type": "V2"})
    metered = codepipeline.meter(actions, pipelines, planned=False)
    assert metered.columns.tolist() == [*ACTION_RUN_COLUMNS, "type"]
    assert metered["type"].iloc[:2].tolist() == ["V2", "V2"]
    assert pd.isna(metered["type"].iloc[2])
    assert metered["v2"].tolist() == [True, True, False]
    assert metered["minutes"].tolist() == [2.0, 0.0, 2.0]  # what each would bill on V2
    assert metered["billed"].tolist() == [2.0, 0.0, 0.0]
    # Runs without a `type` come back with the columns they had, the pipeline's type used but not added.
    again = codepipeline.meter(actions.drop(columns="type"), pipelines, planned=False)
    assert again.columns.tolist() == ACTION_RUN_COLUMNS
    assert again["billed"].tolist() == [2.0, 0.0, 0.0]


# --- CodeBuild --------------------------------------------------------------------------------------------------


def _projects(*records: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])
    return frame.reindex(columns=PROJECT_COLUMNS)


def test_a_project_given_as_monthly_minutes_on_a_compute_type_the_table_lacks_is_reported_not_dropped() -> None:
    """Catches: the monthly-minutes rows joined to the compute-type table with an inner join, so a project an edit
    moved to a compute type the table does not list (GPU on 2xlarge) vanishes from the bill ($0, said to be
    complete) instead of being reported as unpriced; its unknown usage type left as NaN instead of None."""
    projects = _projects(
        {"project": "gpu", "compute_type": "BUILD_GENERAL1_2XLARGE", "environment_type": "LINUX_GPU_CONTAINER",
         "build_minutes_per_month": 50.0},
        {"project": "web", "compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER",
         "build_minutes_per_month": 100.0, "pipeline": "p"},
    )  # fmt: skip
    usage = Usage(inventory=Inventory(projects=projects), planned=True)
    rows = derive(usage, BOOK.compute_types, ["CodeBuild"]).rows
    assert rows["resource"].tolist() == ["gpu", "web"]
    assert rows["usage_type"].iloc[0] is None
    assert rows["usage_type"].iloc[1] == "Build-Min:Linux:g1.medium"
    assert rows["component"].tolist() == [
        "BUILD_GENERAL1_2XLARGE / LINUX_GPU_CONTAINER",
        "BUILD_GENERAL1_MEDIUM / LINUX_CONTAINER",
    ]
    assert rows["quantity"].tolist() == [50.0, 100.0]
    result = price_usage(derive(usage, BOOK.compute_types, ["CodeBuild"]), BOOK, free_tier=False)
    assert not result.complete
    assert result.missing_prices["resource"].tolist() == ["gpu"]
    assert result.by_service()["CodeBuild"] == pytest.approx(100 * 0.01)  # the one priced: 100 min x $0.01


def test_on_demand_minutes_are_told_apart_from_lambda_seconds_fleets_and_unknown_usage_types() -> None:
    """Catches: an unknown usage type (None) answered None instead of False (a mask the rules index rows with)."""
    usage_types = pd.Series(
        ["Build-Min:Linux:g1.small", None, "Build-Sec:Linux:Lambda:arm.1GB", "ReservedCapacity-Min:Linux:g1.small"],
        dtype=object,
    )
    found = is_on_demand_minutes(usage_types)
    assert found.tolist() == [True, False, False, False]
    assert found.dtype == bool


def test_a_fleet_name_is_asked_only_for_an_on_demand_build_minute_usage_type() -> None:
    """Catches: the refusal losing the usage type it refuses (an error that does not say what failed)."""
    assert fleet_minutes("Build-Min:ARM:g1.large") == "ReservedCapacity-Min:ARM:g1.large"
    with pytest.raises(ValueError, match=r"usage_type='Build-Sec:Linux:Lambda:arm.1GB' is not an on-demand build-min"):
        fleet_minutes("Build-Sec:Linux:Lambda:arm.1GB")


def test_codebuild_rows_say_how_many_builds_billed_what_and_state_the_conventions_of_each_path() -> None:
    """Catches: the detail's build count lost (runs None) or its unit words swapped; the CodeBuild assumption ids
    lost, misspelt, or stated on the wrong path (average rounding and Lambda seconds are a usage file's, the
    billing start and fleets a snapshot's)."""
    lam = {
        "compute_type": "BUILD_LAMBDA_1GB",
        "environment_type": "LINUX_LAMBDA_CONTAINER",
        "builds_per_month": 50,
        "minutes_per_build": 0.5,
        "pipeline": "p",
    }  # 30 s each: 50 x 30 s
    ec2 = {
        "compute_type": "BUILD_GENERAL1_MEDIUM",
        "environment_type": "LINUX_CONTAINER",
        "builds_per_month": 20,
        "minutes_per_build": 2.5,
    }  # ceil(2.5) = 3 min each: 20 x 3 min
    one_action = [{"name": "Build", "category": "Build", "minutes": 1}]
    p = {"p": {"type": "V2", "executions_per_month": 1, "actions": one_action}}
    planned = from_file(usage_file(codebuild={"lam": lam, "ec2": ec2}, pipelines=p))
    lines = planned.lines[planned.lines["service"] == "CodeBuild"]
    assert lines[[*LINE_LABELS, "quantity", "detail"]].values.tolist() == [
        ["lam", "BUILD_LAMBDA_1GB / LINUX_LAMBDA_CONTAINER", "p", "Build-Sec:Linux:Lambda:x86-64.1GB", "Second",
         50 * 30.0, "50 builds started by the pipeline, 1,500 s billed (each rounded up)"],
        ["ec2", "BUILD_GENERAL1_MEDIUM / LINUX_CONTAINER", None, "Build-Min:Linux:g1.medium", "Minute",
         20 * 3.0, "20 builds started outside a pipeline, 60 min billed (each rounded up)"],
    ]  # fmt: skip
    assert {"codebuild-average-rounding", "codebuild-lambda-seconds"} <= ids(planned)
    assert not {"observed-codebuild-billing-start", "observed-fleet"} & ids(planned)

    fleet = build_run("fl", 5, 600, "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER")
    fleet["fleet_arn"] = f"arn:aws:codebuild:{REGION}:{ACCOUNT}:fleet/f"
    builds = [build_run("b", i, 61, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(2)]  # 2 min each
    observed = from_snapshot(snapshot(builds=[*builds, fleet, build_run("s", 6, 30.2, *LAMBDA_1GB)]))
    lines = observed.lines[observed.lines["service"] == "CodeBuild"]
    assert lines[[*LINE_LABELS, "quantity", "detail"]].values.tolist() == [
        ["b", "BUILD_GENERAL1_MEDIUM / LINUX_CONTAINER", None, "Build-Min:Linux:g1.medium", "Minute", 2 * 2.0,
         "2 builds started outside a pipeline, 4 min billed (each rounded up)"],
        ["fl", "BUILD_GENERAL1_SMALL / LINUX_CONTAINER", None, "ReservedCapacity-Fleet", "Build", 1.0,
         "1 builds started outside a pipeline, 1 fleet builds billed (each rounded up)"],
        ["s", "BUILD_LAMBDA_1GB / LINUX_LAMBDA_CONTAINER", None, "Build-Sec:Linux:Lambda:x86-64.1GB", "Second", 31.0,
         "1 builds started outside a pipeline, 31 s billed (each rounded up)"],  # ceil(30.2) s
    ]  # fmt: skip
    assert {"observed-codebuild-billing-start", "observed-fleet"} <= ids(observed)
    assert not {"codebuild-average-rounding", "codebuild-lambda-seconds"} & ids(observed)


# --- the usage-type names: pricing/usage_meters.csv read at call time --------------------------------------------


def test_usage_type_names_come_from_the_meter_table() -> None:
    """Catches: the name of a meter without a selecting value looked up under a made-up value; the CodeBuild
    patterns read for another service or meter (they are read into module constants at import, so this calls
    them again)."""
    assert name("CodePipeline", "action-minutes") == "ActionExecutionMinutes"
    assert name("CodePipeline", "pipeline-month", "trial") == "TrialPipeline"
    assert name("CodeBuild", "fleet-build") == "ReservedCapacity-Fleet"
    assert pattern("CodeBuild", "build-minutes") == "Build-Min:{os}:{size}"
    assert pattern("CodeBuild", "fleet-minutes") == "ReservedCapacity-Min:{os}:{size}"
    architectures = pd.Series(["arm64", "sparc", "x86_64"], index=[7, 8, 9])
    found = names("Lambda", "duration", architectures, "architecture")
    assert found[[7, 9]].tolist() == ["Lambda-GB-Second-ARM", "Lambda-GB-Second"]
    assert pd.isna(found[8])  # no name: missing (the rows hold None: tests above)


def test_a_meter_the_table_lacks_is_refused_by_name() -> None:
    """Catches: the refusal losing what it could not find (service, meter, value), so it says nothing useful."""
    with pytest.raises(PricingDataError, match=r"usage_meters\.csv has no CodeBuild build-hours usage type$"):
        name("CodeBuild", "build-hours")
    with pytest.raises(PricingDataError, match="has no CodePipeline pipeline-month usage type for 'paused'"):
        name("CodePipeline", "pipeline-month", "paused")


def test_every_x86_lambda_usage_type_has_its_arm_twin() -> None:
    """Catches: any change to the x86 -> Arm mapping the lambda_arm savings rule reads into a module constant at
    import (a meter or service name changed, the mapping lost)."""
    assert lambda_.to_arm() == {
        "Request": "Request-ARM",
        "Lambda-GB-Second": "Lambda-GB-Second-ARM",
        "Lambda-Storage-GB-Second": "Lambda-Storage-GB-Second-ARM",
    }


# --- S3 ---------------------------------------------------------------------------------------------------------

S3_PRICES = {  # us-east-1, per unit of each row (pricing/s3.csv; the S3 pricing page)
    "TimedStorage-SIA-ByteHrs": 0.0125, "TimedStorage-ByteHrs": 0.023, "TimedStorage-INT-FA-ByteHrs": 0.023,
    "Requests-SIA-Tier1": 0.01 / 1000, "Requests-Tier1": 0.005 / 1000, "Requests-SIA-Tier2": 0.001 / 1000,
    "Requests-Tier2": 0.0004 / 1000, "Retrieval-SIA": 0.01, "Transition-SIA": 0.01 / 1000,
    "Monitoring-Automation-INT": 0.0025 / 1000,
}  # fmt: skip


def test_s3_rows_of_a_usage_file_bill_every_request_and_object_and_say_so() -> None:
    """Catches: a request meter used only from 2 units up (`> 1`: one PUT, half a GB retrieved dropped); the
    request rows' words lost; the transitions assumption lost, misspelt or stated for buckets without
    transitions; a single Intelligent-Tiering object never monitored (1 replaced instead of 0); a bucket of
    small objects monitoring None (not 0) objects; a bucket of 0 objects failing instead of monitoring none."""
    ia = {"storage_class": "STANDARD_IA", "storage_gb": 10, "put_requests_per_month": 1, "get_requests_per_month": 2000,
          "retrieval_gb_per_month": 0.5, "lifecycle_transitions_per_month": 1000}  # fmt: skip
    buckets = {
        "ia": ia,
        "std": {"storage_class": "STANDARD", "storage_gb": 1, "put_requests_per_month": 3000},
        "one": {"storage_class": "INTELLIGENT_TIERING", "storage_gb": 1.0, "objects": 1},  # 1 GB object: monitored
        "small": {"storage_class": "INTELLIGENT_TIERING", "storage_gb": 0.5, "objects": 8192},  # 64 KB each: not
        "none": {"storage_class": "INTELLIGENT_TIERING", "storage_gb": 0.25, "objects": 0},
    }
    result = from_file(usage_file(s3=buckets))
    lines = result.lines[[*LINE_LABELS, "quantity", "detail"]]
    lines = lines.assign(meter=result.usage_rows["meter"].to_numpy())
    assert lines[~lines["component"].str.startswith("storage")].values.tolist() == [
        ["ia", "PUT/COPY/POST/LIST requests", None, "Requests-SIA-Tier1", "Request", 1.0, "1 requests", "put-requests"],
        ["std", "PUT/COPY/POST/LIST requests", None, "Requests-Tier1", "Request", 3000.0, "3,000 requests",
         "put-requests"],
        ["ia", "GET and other requests", None, "Requests-SIA-Tier2", "Request", 2000.0, "2,000 requests",
         "get-requests"],
        ["ia", "retrieval", None, "Retrieval-SIA", "GB", 0.5, "0.5 GB retrieved", "retrieval"],
        ["ia", "lifecycle transitions", None, "Transition-SIA", "Object", 1000.0, "1,000 objects transitioned",
         "transition"],
        ["one", "Intelligent-Tiering monitoring", None, "Monitoring-Automation-INT", "Object-Month", 1.0,
         "1 objects monitored", "monitoring"],
        ["small", "Intelligent-Tiering monitoring", None, "Monitoring-Automation-INT", "Object-Month", 0.0,
         "average object under 128 KB: not monitored", "monitoring"],
        ["none", "Intelligent-Tiering monitoring", None, "Monitoring-Automation-INT", "Object-Month", 0.0,
         "average object under 128 KB: not monitored", "monitoring"],
    ]  # fmt: skip
    p = S3_PRICES
    storage = 10 * p["TimedStorage-SIA-ByteHrs"] + 1 * p["TimedStorage-ByteHrs"]
    storage += (1.0 + 0.5 + 0.25) * p["TimedStorage-INT-FA-ByteHrs"]
    requests = 1 * p["Requests-SIA-Tier1"] + 3000 * p["Requests-Tier1"] + 2000 * p["Requests-SIA-Tier2"]
    other = 0.5 * p["Retrieval-SIA"] + 1000 * p["Transition-SIA"] + 1 * p["Monitoring-Automation-INT"]
    assert result.by_service()["S3"] == pytest.approx(storage + requests + other)
    assert result.lines["cost_usd"].notna().all()
    assert "s3-transitions" in ids(result)
    assert not {"s3-transitions", "observed-s3-requests"} & ids(from_file(usage_file(s3={"std": buckets["std"]})))


def test_s3_artifact_requests_of_a_snapshot_are_estimated_from_executions_and_projected() -> None:
    """Catches: the observed request rows losing their "(estimated)" label (or it misspelt, or given to a usage
    file), their component, or their words (executions x artifact actions, each count written as a whole
    number); the requests divided by the projection instead of multiplied; the observed-requests assumption
    lost or misspelt."""
    old = WINDOW_START - pd.Timedelta(days=400)
    actions = [
        {"account": ACCOUNT, "region": REGION, "pipeline": "p", "stage": a, "action": a, "category": c, "owner": "AWS",
         "provider": "CodeBuild"}
        for a, c in (("Src", "Source"), ("Bld", "Build"), ("Ok", "Approval"), ("Dep", "Deploy"))
    ]  # fmt: skip
    snap = snapshot(
        pipelines=[pipeline("p", "V2", old) | {"artifact_buckets": "art"}],
        pipeline_executions=[execution("p", WINDOW_START + pd.Timedelta(hours=h)) for h in range(31)],
    )
    snap.tables["pipeline_actions"] = pd.DataFrame(actions)
    # 31 executions in October's 31 days, projected to November's 30: x 30/31. Source and Build each write one
    # artifact (2 PUTs per execution); Build and Deploy each read one (2 GETs; the approval reads none).
    result = estimate(snap, period=NOVEMBER, free_tier=False, pricebook=BOOK)
    lines = result.lines[[*LINE_LABELS, "quantity", "detail"]]
    assert lines.values.tolist() == [
        ["art", "PUT/COPY/POST/LIST requests (estimated)", "p", "Requests-Tier1", "Request",
         pytest.approx(31 * 2 * 30 / 31), "31 executions x 2 artifact actions"],
        ["art", "GET and other requests (estimated)", "p", "Requests-Tier2", "Request",
         pytest.approx(31 * 2 * 30 / 31), "31 executions x 2 artifact actions"],
    ]  # fmt: skip
    assert result.usage_rows["meter"].tolist() == ["put-requests", "get-requests"]
    expected = 60 * S3_PRICES["Requests-Tier1"] + 60 * S3_PRICES["Requests-Tier2"]
    assert result.by_service()["S3"] == pytest.approx(expected)
    assert {"observed-s3-requests", "observed-projection"} <= ids(result)


def _buckets(*records: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])
    return frame.reindex(columns=BUCKET_COLUMNS)


def test_observed_requests_of_stores_with_and_without_executions_keep_their_own_words() -> None:
    """Catches, on a model mixing an artifact store counted from executions with a bucket whose requests are
    stated (e.g. added by an edit): the stated one's words lost (None, NaN) or its unknown executions or action
    counts failing the words; retrieval, which has no artifact actions, worded as if it had; a storage class
    with no usage type written NaN, not None (the rows' text columns hold None); a planned model's requests
    labelled "(estimated)" as a snapshot's are; a measured bucket of unknown share not billed all of it; the
    measured buckets' assumptions replacing the stated ones' instead of adding to them."""
    buckets = _buckets(
        {"bucket": "art", "pipeline": "p", "storage_class": "STANDARD_IA", "share": 1.0, "put_requests": 20.0,
         "retrieval_gb": 2.0, "executions": 10.0, "put_actions": 2.0, "get_actions": 0.0},
        {"bucket": "logs", "storage_class": "STANDARD", "put_requests": 1000.0},
        {"bucket": "rr", "storage_class": "REDUCED_REDUNDANCY", "storage_gb": 3.0},  # no usage type for it
        {"bucket": "m", "storage_type": "StandardStorage", "storage_gb": 5.0},  # measured, share unknown: all of it
    )  # fmt: skip
    rows, noted = s3.rows(Usage(inventory=Inventory(buckets=buckets), planned=False))
    put = "PUT/COPY/POST/LIST requests (estimated)"
    assert rows[["resource", "component", "usage_type", "quantity", "detail"]].values.tolist() == [
        ["rr", "storage (REDUCED_REDUNDANCY)", None, 3.0, "3 GB average stored"],
        ["m", "storage (StandardStorage)", "TimedStorage-ByteHrs", 5.0,
         "average of daily BucketSizeBytes over the window"],
        ["art", put, "Requests-SIA-Tier1", 20.0, "10 executions x 2 artifact actions"],
        ["logs", put, "Requests-Tier1", 1000.0, "1,000 requests"],
        ["art", "retrieval", "Retrieval-SIA", 2.0, "2 GB retrieved"],
    ]  # fmt: skip
    assert {"observed-s3-requests", "observed-s3-storage", "s3-minimum-duration"} <= noted  # stated and measured
    assert "observed-s3-shared-bucket" not in noted
    # The same model planned (a usage file's, edited): nothing is estimated from what was observed.
    planned, noted = s3.rows(Usage(inventory=Inventory(buckets=buckets), planned=True))
    assert planned["component"].tolist() == [
        "storage (REDUCED_REDUNDANCY)", "storage (StandardStorage)", "PUT/COPY/POST/LIST requests",
        "PUT/COPY/POST/LIST requests", "retrieval",
    ]  # fmt: skip
    assert "observed-s3-requests" not in noted


def test_requests_of_a_store_whose_artifact_action_count_is_unknown_are_worded_as_stated() -> None:
    """Catches: a store whose executions are known but whose artifact actions are not (a model built or edited
    in code) worded "10 executions x 0 artifact actions" (or x 1) for requests it states: the words then
    contradict the quantity billed. They say the stated count instead."""
    buckets = _buckets(
        {"bucket": "art", "pipeline": "p", "storage_class": "STANDARD", "share": 1.0, "put_requests": 20.0,
         "get_requests": 30.0, "executions": 10.0, "put_actions": None, "get_actions": 3.0},
    )  # fmt: skip
    rows, _ = s3.rows(Usage(inventory=Inventory(buckets=buckets), planned=False))
    assert rows[["component", "usage_type", "quantity", "detail"]].values.tolist() == [
        ["PUT/COPY/POST/LIST requests (estimated)", "Requests-Tier1", 20.0, "20 requests"],
        ["GET and other requests (estimated)", "Requests-Tier2", 30.0, "10 executions x 3 artifact actions"],
    ]  # fmt: skip


def test_an_observed_build_of_unknown_time_bills_zero_in_the_runs_and_object_seconds_are_read_as_numbers() -> None:
    """Catches: a build that did not run billing None (not 0) in the runs the savings rules read; codebuild.meter
    (and the shared `ran_for`) failing on seconds held as objects (None for unknown), as an edit may leave them."""
    builds = [build_run("b", i, 90, "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER") for i in range(2)]  # ceil: 2 min
    builds[0]["start"] = builds[0]["billed_start"] = None
    result = from_snapshot(snapshot(builds=builds))
    assert result.runs.builds["billed"].tolist() == [0.0, 2.0]
    assert result.by_service()["CodeBuild"] == pytest.approx(2 * 0.01)  # 2 min x $0.01 on general1.medium
    edited = result.runs.builds.assign(seconds=pd.Series([None, 61], dtype=object))
    assert codebuild.meter(edited, BOOK.compute_types, planned=False)["billed"].tolist() == [0.0, 2.0]


def test_the_compute_mapping_has_one_row_per_compute_and_environment_type() -> None:
    """Catches: a price folder's compute-type table listing a pair twice (a second usage type for it) multiplying
    that pair's builds in the join, instead of the first row being used."""
    table = BOOK.compute_types
    first = table[(table["compute_type"] == "BUILD_GENERAL1_MEDIUM") & (table["environment_type"] == "LINUX_CONTAINER")]
    doubled = pd.concat([table, first.assign(usage_type="Build-Min:Linux:g1.medium-v2")], ignore_index=True)
    mapping = codebuild.compute_mapping(doubled)
    medium = mapping[mapping["compute_type"] == "BUILD_GENERAL1_MEDIUM"]
    assert medium.loc[medium["environment_type"] == "LINUX_CONTAINER", "usage_type"].tolist() == [
        "Build-Min:Linux:g1.medium"
    ]
    assert len(mapping) == len(table)


# --- Lambda -----------------------------------------------------------------------------------------------------

LAMBDA_PRICES = {  # us-east-1 (pricing/lambda.csv; the Lambda pricing page), first tier
    "Request": 0.20 / 1_000_000, "Request-ARM": 0.20 / 1_000_000, "Lambda-GB-Second": 0.0000166667,
    "Lambda-GB-Second-ARM": 0.0000133334, "Lambda-Storage-GB-Second": 0.0000000309,
    "Lambda-Storage-GB-Second-ARM": 0.0000000309,
}  # fmt: skip


def test_lambda_rows_of_a_usage_file_are_labelled_with_their_arithmetic() -> None:
    """Catches: a Lambda row's component, unit, meter, resource or pipeline lost or misspelt; the words of the
    requests x billed seconds x GB products wrong; the ephemeral storage above 512 MB mis-measured or unlabelled;
    the planned and observed assumption ids swapped."""
    functions = {
        # 120.4 ms billed as 121 ms; 512 MB = 0.5 GB; 2,560 MB of ephemeral storage: 2 GB above the free 512 MB
        "x": {"memory_mb": 512, "architecture": "x86_64", "requests_per_month": 2_000_000, "duration_ms": 120.4,
              "ephemeral_storage_mb": 2560, "pipeline": "p"},
        "a": {"memory_mb": 2048, "architecture": "arm64", "requests_per_month": 1000, "duration_ms": 1000},
    }  # fmt: skip
    idle = {"p": {"type": "V1", "active": False, "created": dt.date(2024, 1, 1)}}  # bills nothing
    result = from_file(usage_file(pipelines=idle, **{"lambda": functions}))
    assert labelled(result, "Lambda") == [
        ("x", "requests", "p", "Request", "Request", 2_000_000.0, "requests", "2,000,000 requests"),
        ("a", "requests", None, "Request-ARM", "Request", 1000.0, "requests", "1,000 requests"),
        ("x", "duration (x86_64)", "p", "Lambda-GB-Second", "GB-Second", pytest.approx(2_000_000 * 0.121 * 0.5),
         "duration", "2,000,000 requests x 0.121 s x 0.5 GB"),
        ("a", "duration (arm64)", None, "Lambda-GB-Second-ARM", "GB-Second", pytest.approx(1000 * 1.0 * 2.0),
         "duration", "1,000 requests x 1 s x 2 GB"),
        ("x", "ephemeral storage", "p", "Lambda-Storage-GB-Second", "GB-Second", pytest.approx(2_000_000 * 0.121 * 2),
         "ephemeral-storage", "2,000,000 requests x 0.121 s x 2 GB above 512 MB"),
    ]  # fmt: skip
    p = LAMBDA_PRICES
    expected = 2_001_000 * p["Request"] + 121_000 * p["Lambda-GB-Second"] + 2000 * p["Lambda-GB-Second-ARM"]
    expected += 484_000 * p["Lambda-Storage-GB-Second"]
    assert result.by_service()["Lambda"] == pytest.approx(expected)
    assert {"lambda-average-duration", "lambda-ephemeral"} <= ids(result)
    assert "observed-lambda-average" not in ids(result)


def test_lambda_rows_of_a_snapshot_are_projected_and_say_what_was_observed() -> None:
    """Catches: the observed words (invocations counted) lost or given to a usage file; requests not projected
    from the window to the period; the observed-average assumption lost or misspelt."""
    arm = function("obs", 256, "arm64", 3100, 10.2) | {"ephemeral_storage_mb": 1024}  # 11 ms; 0.5 GB extra
    snap = functions_snapshot(arm, function("o2", 128, "x86_64", 31, 99.0))
    # October's 31 days projected to November's 30: 3,100 x 30/31 = 3,000 and 31 x 30/31 = 30 requests.
    result = estimate(snap, period=NOVEMBER, free_tier=False, pricebook=BOOK)
    lines = result.lines[["resource", "component", "usage_type", "unit", "quantity", "detail"]]
    observed = "invocations observed (average duration)"
    assert lines.values.tolist() == [
        ["obs", "requests", "Request-ARM", "Request", pytest.approx(3000), f"3100 {observed}"],
        ["o2", "requests", "Request", "Request", pytest.approx(30), f"31 {observed}"],
        ["obs", "duration (arm64)", "Lambda-GB-Second-ARM", "GB-Second", pytest.approx(3000 * 0.011 * 0.25),
         "3,000 requests x 0.011 s x 0.25 GB"],
        ["o2", "duration (x86_64)", "Lambda-GB-Second", "GB-Second", pytest.approx(30 * 0.099 * 0.125),
         "30 requests x 0.099 s x 0.125 GB"],
        ["obs", "ephemeral storage", "Lambda-Storage-GB-Second-ARM", "GB-Second", pytest.approx(3000 * 0.011 * 0.5),
         "3,000 requests x 0.011 s x 0.5 GB above 512 MB"],
    ]  # fmt: skip
    assert {"lambda-average-duration", "lambda-ephemeral", "observed-lambda-average"} <= ids(result)


def _functions(*records: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])
    return frame.reindex(columns=FUNCTION_COLUMNS)


def test_lambda_rows_bill_each_pipeline_its_share_and_skip_functions_without_requests() -> None:
    """Catches: a function's `share` for its pipeline ignored (or an unknown share not taken as all of it); a
    function of unknown requests billed; an unknown duration or ephemeral size not read as none (0 ms; 512 MB);
    the billed seconds put on a fresh index, so they no longer line up with the functions they belong to."""
    functions = _functions(
        {"function": "g", "memory_mb": 1024, "architecture": "arm64", "requests": None, "duration_ms": 10.0},
        {
            "function": "f",
            "pipeline": "a",
            "share": 0.25,
            "memory_mb": 1024,
            "architecture": "x86_64",
            "requests": 1000.0,
            "duration_ms": 2000.0,
            "ephemeral_storage_mb": 512,
        },
        {
            "function": "f",
            "pipeline": "b",
            "share": None,
            "memory_mb": 1024,
            "architecture": "x86_64",
            "requests": 400.0,
            "duration_ms": None,
        },  # unknown share: all; unknown duration: 0 ms, billed 1 ms
    )  # fmt: skip  (g first: the rows keep the table's index, 1 and 2, and must line up on it)
    rows, noted = lambda_.rows(Usage(inventory=Inventory(functions=functions), planned=True, projection=2.0))
    # x the projection 2: a bills 1,000 x 0.25 x 2 = 500 requests x 2 s x 1 GB; b bills 400 x 2 = 800 x 0.001 s.
    assert rows[["resource", "pipeline", "component", "quantity", "detail"]].values.tolist() == [
        ["f", "a", "requests", 500.0, "500 requests"],
        ["f", "b", "requests", 800.0, "800 requests"],
        ["f", "a", "duration (x86_64)", pytest.approx(500 * 2.0 * 1.0), "500 requests x 2 s x 1 GB"],
        ["f", "b", "duration (x86_64)", pytest.approx(800 * 0.001 * 1.0), "800 requests x 0.001 s x 1 GB"],
    ]  # fmt: skip
    assert noted == {"lambda-average-duration"}


# --- the per-run rounding shared by every service ----------------------------------------------------------------


def test_per_run_rounding_reads_numbers_held_as_objects_and_answers_boolean_flags() -> None:
    """Catches: billed_units failing on numbers held as objects (a column read from JSON); ran_for answering
    the caller's 0/1 integers instead of boolean flags."""
    # 0.2 of a unit bills 1; 1.0000000001 is float noise below a billionth: 1; 2.5 bills 3.
    assert billed_units(pd.Series([0.2, 1.0000000001, 2.5], dtype=object)).tolist() == [1.0, 1.0, 3.0]
    flags = ran_for(np.array([60.0, 0.0, np.nan]), np.array([1, 0, 1]))
    assert flags.dtype == bool
    assert flags.tolist() == [True, False, True]


# --- the rows of what the first pass reached last (metering of builds, each service's `rows`) --------------------


def test_each_service_rows_of_a_model_whose_tables_have_no_columns_are_empty() -> None:
    """Catches: codebuild.rows and lambda_.rows reading a column of an empty table that has none (a model built by
    hand, or read from an empty file), instead of answering no rows."""
    empty = Usage(inventory=Inventory(projects=pd.DataFrame(), functions=pd.DataFrame()), planned=True)
    rows, noted = lambda_.rows(empty)
    assert (rows.empty, noted) == (True, set())
    rows, noted = codebuild.rows(empty, BOOK.compute_types)
    assert (rows.empty, noted) == (True, set())


def test_metering_builds_labels_each_one_and_bills_unknown_fleets_and_types_on_demand() -> None:
    """Catches: codebuild.meter billing a build of unknown fleet (None) through a fleet (unknown read as True, or
    a float cast pandas warns about); a compute type the table lacks given no unit (or a misspelt one) instead
    of per minute; the builds' component lost or misspelt; columns the runs did not have added."""
    builds = pd.DataFrame([
        {"project": "b", "compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER",
         "fleet": None, "count": 1.0, "seconds": 61.0},  # on demand: ceil(61 / 60) = 2 min
        {"project": "gpu", "compute_type": "BUILD_GENERAL1_2XLARGE", "environment_type": "LINUX_GPU_CONTAINER",
         "fleet": None, "count": 1.0, "seconds": 30.0},  # not in the table: no usage type, 1 min
        {"project": "f", "compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "LINUX_CONTAINER",
         "fleet": True, "count": 1.0, "seconds": 600.0},  # on a fleet: one fleet build
    ]).reindex(columns=BUILD_RUN_COLUMNS)  # fmt: skip
    builds["account"], builds["region"] = ACCOUNT, REGION
    metered = codebuild.meter(builds, BOOK.compute_types, planned=False)
    assert metered.columns.tolist() == BUILD_RUN_COLUMNS
    assert metered["unit"].tolist() == ["Minute", "Minute", "Build"]
    assert metered["billed"].tolist() == [2.0, 1.0, 1.0]
    assert metered["usage_type"].iloc[[0, 2]].tolist() == ["Build-Min:Linux:g1.medium", "ReservedCapacity-Fleet"]
    assert pd.isna(metered["usage_type"].iloc[1])
    assert metered["component"].tolist() == [
        "BUILD_GENERAL1_MEDIUM / LINUX_CONTAINER",
        "BUILD_GENERAL1_2XLARGE / LINUX_GPU_CONTAINER",
        "BUILD_GENERAL1_SMALL / LINUX_CONTAINER",
    ]
    _rows, noted = codebuild.rows(
        Usage(runs=Runs(builds=metered.iloc[:2], planned=False), planned=False), BOOK.compute_types
    )
    assert noted == {"observed-codebuild-billing-start"}  # no build ran on a fleet


def test_codebuild_states_average_rounding_only_for_minutes_and_lambda_seconds_only_for_lambda_compute() -> None:
    """Catches: the per-second test inverted (a usage file of EC2 builds said to bill Lambda seconds, one of
    Lambda builds said to round minutes); the given-minutes rows unable to note Lambda seconds."""
    ec2 = {"compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER", "builds_per_month": 20,
           "minutes_per_build": 2.5}  # fmt: skip
    only_ec2 = ids(from_file(usage_file(codebuild={"ec2": ec2})))
    assert "codebuild-average-rounding" in only_ec2
    assert "codebuild-lambda-seconds" not in only_ec2
    lam = {"compute_type": "BUILD_LAMBDA_1GB", "environment_type": "LINUX_LAMBDA_CONTAINER", "builds_per_month": 50,
           "minutes_per_build": 0.5}  # fmt: skip
    only_lambda = ids(from_file(usage_file(codebuild={"lam": lam})))
    assert "codebuild-lambda-seconds" in only_lambda
    assert "codebuild-average-rounding" not in only_lambda
    given = {"compute_type": "BUILD_LAMBDA_1GB", "environment_type": "LINUX_LAMBDA_CONTAINER",
             "build_minutes_per_month": 10}  # fmt: skip
    result = from_file(usage_file(codebuild={"given": given}))
    assert result.lines[["resource", "unit", "quantity"]].values.tolist() == [["given", "Second", 10 * 60.0]]
    assert "codebuild-lambda-seconds" in ids(result)


def test_s3_storage_of_a_snapshot_is_shared_by_executions_and_says_so() -> None:
    """Catches: a measured bucket's share lost (None) or an unknown one not taken as 1; the observed-storage and
    shared-bucket assumptions lost, misspelt, or stated for a bucket nobody shares (`<= 1`, `< 2`)."""
    old = WINDOW_START - pd.Timedelta(days=400)
    pipelines = [pipeline("busy", "V2", old) | {"artifact_buckets": "shared"},
                 pipeline("quiet", "V2", old) | {"artifact_buckets": "shared,solo"}]  # fmt: skip
    runs = [execution("busy", WINDOW_START + pd.Timedelta(days=d)) for d in (1, 2, 3)]
    runs.append(execution("quiet", WINDOW_START + pd.Timedelta(days=4)))
    storage = [{"bucket": "shared", "storage_type": "StandardStorage", "avg_bytes": 100 * GIB},
               {"bucket": "solo", "storage_type": "StandardStorage", "avg_bytes": 10 * GIB},
               {"bucket": "orphan", "storage_type": "StandardStorage", "avg_bytes": 4 * GIB}]  # fmt: skip
    result = from_snapshot(snapshot(pipelines=pipelines, pipeline_executions=runs, bucket_storage=storage))
    lines = result.lines[result.lines["usage_type"] == "TimedStorage-ByteHrs"]
    shared = "share (by executions) of the average daily BucketSizeBytes"
    whole = "average of daily BucketSizeBytes over the window"
    # shared: 100 GB split 3:1 by executions; solo: all quiet's; orphan: nobody's, all of it.
    assert lines[["resource", "pipeline", "component", "quantity", "detail"]].fillna("-").values.tolist() == [
        ["shared", "busy", "storage (StandardStorage)", pytest.approx(75.0), shared],
        ["shared", "quiet", "storage (StandardStorage)", pytest.approx(25.0), shared],
        ["solo", "quiet", "storage (StandardStorage)", pytest.approx(10.0), whole],
        ["orphan", "-", "storage (StandardStorage)", pytest.approx(4.0), whole],
    ]
    assert {"observed-s3-storage", "s3-no-free-tier", "observed-s3-shared-bucket"} <= ids(result)
    alone = from_snapshot(snapshot(pipelines=pipelines[1:], pipeline_executions=runs[3:], bucket_storage=storage[1:2]))
    assert {"observed-s3-storage", "s3-no-free-tier"} <= ids(alone)
    assert "observed-s3-shared-bucket" not in ids(alone)


def test_s3_rows_of_a_bucket_of_unknown_class_bill_as_standard() -> None:
    """Catches: a bucket without a storage class (an artifact store as a model states it) not taken as S3
    Standard, so its requests bill under no usage type."""
    buckets = _buckets({"bucket": "art", "put_requests": 2000.0, "get_requests": 5000.0})
    rows, _noted = s3.rows(Usage(inventory=Inventory(buckets=buckets), planned=True))
    assert rows[["component", "usage_type", "quantity"]].values.tolist() == [
        ["PUT/COPY/POST/LIST requests", "Requests-Tier1", 2000.0],
        ["GET and other requests", "Requests-Tier2", 5000.0],
    ]


def test_deriving_some_services_again_keeps_the_other_services_rows_once() -> None:
    """Catches: billing.rows.derive dropping the rows of the services it was not asked to derive (the kept rows
    selected with `isin` un-negated, or by the wrong column), or keeping every other service's rows under each
    one (`!=`); failing on a model whose rows are a table without columns."""
    one_action = [{"name": "B", "category": "Build", "minutes": 1.5}]
    ec2 = {"compute_type": "BUILD_GENERAL1_MEDIUM", "environment_type": "LINUX_CONTAINER", "builds_per_month": 20,
           "minutes_per_build": 2.5}  # fmt: skip
    f = {"memory_mb": 1024, "architecture": "arm64", "requests_per_month": 100, "duration_ms": 1000}
    sections = {
        "pipelines": {"p": {"type": "V2", "executions_per_month": 10, "actions": one_action}},
        "codebuild": {"b": ec2},
        "lambda": {"f": f},
        "s3": {"s": {"storage_class": "STANDARD", "storage_gb": 5}},
    }
    usage = from_file(usage_file(**sections)).usage
    again = derive(usage, BOOK.compute_types, ["Lambda"]).rows
    assert again["service"].tolist() == ["CodePipeline", "CodeBuild", "Lambda", "Lambda", "S3"]
    # 10 x ceil(1.5) = 20 action minutes; 20 x ceil(2.5) = 60 build minutes; 100 requests, 100 GB-s; 5 GB-months.
    assert again["quantity"].tolist() == [20.0, 60.0, 100.0, 100.0, 5.0]
    pd.testing.assert_frame_equal(again, usage.rows)
    bare = Usage(rows=pd.DataFrame(), planned=True)
    assert derive(bare, BOOK.compute_types).rows.empty
