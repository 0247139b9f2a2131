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

import pandas as pd
import pytest
from test_billing_boundaries import (
    ACCOUNT,
    BOOK,
    LAMBDA_1GB,
    REGION,
    V1_MONTH,
    V2_MINUTE,
    WINDOW_START,
    action_run,
    build_run,
    execution,
    from_file,
    from_snapshot,
    pipeline,
    snapshot,
    usage_file,
)

from costkit import Estimate
from costkit.billing import codepipeline, lambda_
from costkit.billing.codebuild import fleet_minutes, is_on_demand_minutes
from costkit.billing.meters import name, names, pattern
from costkit.billing.rows import derive
from costkit.errors import PricingDataError
from costkit.estimate import price_usage
from costkit.model.inventory import PIPELINE_COLUMNS, PROJECT_COLUMNS, Inventory
from costkit.model.runs import ACTION_RUN_COLUMNS, Runs
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
