"""Savings rules checked where a mutation run found them untested: every field a user reads or acts on, the
row edit a suggestion carries (what `suggest` composes and `Suggestion.as_change` applies), candidates that are
not suggested beside ones that are, and the evidence figures.

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): CodePipeline V1 $1.00 per active
pipeline-month, V2 $0.002 per action minute; CodeBuild Linux general1.small $0.005, medium $0.01, large $0.02
per minute. Free tiers off unless stated. Each test's docstring names the bug it catches.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from frames import records
from test_rules_builds_storage import (
    ACCOUNT,
    OCTOBER,
    book_with,
    context_for_snapshot,
    context_for_usage,
    price_row,
    usage_file,
)
from test_rules_runs import STANDARD_GB, START, at, build, idle_snapshot, wasted_snapshot
from test_rules_runs import action as runs_action
from test_rules_runs import context as runs_context
from test_rules_runs import execution as runs_execution
from test_rules_runs import pipeline as runs_pipeline
from test_rules_runs import snapshot as runs_snapshot
from test_savings_by_hand import build_snapshot

from costkit.estimate import Estimate, estimate
from costkit.optimize import suggest
from costkit.optimize.base import Context, Suggestion
from costkit.optimize.rules import (
    arm_builds,
    artifact_lifecycle,
    build_caching,
    idle_pipelines,
    lambda_arm,
    not_priced,
    pipeline_type,
    right_size,
    rounding_waste,
    wasted_runs,
)
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.usage_file.load import load_usage
from costkit.tables import PriceBook, load_pricebook, pricing_dir

REGION = "us-east-1"
V1_MONTH, V2_MINUTE, SMALL, MEDIUM, LARGE = 1.00, 0.002, 0.005, 0.01, 0.02
LABELS = ["service", "resource", "component", "pipeline", "usage_type", "quantity", "unit", "meter"]


def rows_of(frame: pd.DataFrame, resource: str) -> list[dict[str, Any]]:
    """The usage rows (or priced lines) of one resource: the label, attribution and quantity fields."""
    mine = frame[frame["resource"] == resource]
    return records(mine, [column for column in LABELS if column in mine])


def book_without(tmp_path: Path, table: str, usage_type: str) -> PriceBook:
    """The shipped price tables without the us-east-1 price of one usage type (a price costkit does not have)."""
    target = tmp_path / "pricing"
    shutil.copytree(pricing_dir(), target)
    path = target / f"{table}.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if f",{REGION},{usage_type}," not in line))
    return load_pricebook(target)


def applied(ctx: Context, suggestion: Suggestion) -> Estimate:
    """The baseline re-priced with the suggestion's own row edit (what `suggest` composes and what-if applies)."""
    return suggestion.as_change.apply(ctx.baseline, ctx.pricebook)


# --- pipeline type ----------------------------------------------------------------------------------------------

V1_ACTIONS = [{"name": "Build", "category": "Build", "minutes": 2.5}]  # ceil: 3 billed V2 minutes an execution
V2_ACTIONS = [{"name": "Build", "category": "Build", "minutes": 59.5}]  # ceil: 60 minutes an execution
OLD = dt.date(2024, 1, 1)


def pipeline_estate() -> dict[str, Any]:
    """Four pipelines in name order and a CodeBuild project outside any pipeline:
    a: V1 with no executions (no V2 minutes to compare: never a candidate); b: V1 whose 10 executions bill
    10 x 3 = 30 V2 minutes; c: V2 with 10 x 60 = 600 minutes; d: the same as c but QUEUED with triggers;
    proj: 10 builds x 3 min on general1.small."""
    return usage_file(
        pipelines={
            "a": {"type": "V1", "active": True, "created": OLD, "executions_per_month": 0, "actions": V1_ACTIONS},
            "b": {"type": "V1", "active": True, "created": OLD, "executions_per_month": 10, "actions": V1_ACTIONS},
            "c": {"type": "V2", "executions_per_month": 10, "actions": V2_ACTIONS},
            "d": {
                "type": "V2",
                "executions_per_month": 10,
                "execution_mode": "QUEUED",
                "triggers": True,
                "actions": V2_ACTIONS,
            },
        },
        codebuild={"proj": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 10, "minutes_per_build": 3}},
    )


def test_pipeline_type_switches_both_ways_beside_a_pipeline_that_is_no_candidate() -> None:
    """Catches candidates numbered wrongly once some are dropped (pipeline a's row or the CodeBuild row priced
    into another pipeline's switch), the evidence minutes, and any field of the suggestion a user acts on."""
    usage = pipeline_estate()
    ctx = context_for_usage(usage)
    found = {s.id: s for s in pipeline_type.rule(ctx)}
    assert list(found) == ["pipeline-type-v2-b", "pipeline-type-v1-c"]

    to_v2 = found["pipeline-type-v2-b"]
    # V1's $1 against 30 V2 minutes x $0.002.
    assert to_v2.monthly_saving_usd == pytest.approx(V1_MONTH - 30 * V2_MINUTE)
    assert to_v2.evidence == {"v2_action_minutes": 30.0, "v1_price_usd": 1.0}
    assert to_v2.title == "Switch pipeline b to V2"
    assert to_v2.resources == ["b"]
    assert to_v2.rule == "pipeline-type"
    assert (to_v2.confidence, to_v2.confidence_reason) == ("high", pipeline_type.REASON["V2"])
    assert to_v2.exclusive == f"pipeline-type:{ACCOUNT}:{REGION}:b"
    assert to_v2.change == pipeline_type.CHANGE_TO["V2"]
    assert '"pipelineType": "V2"' in to_v2.change["cli"]
    assert to_v2.usage_patch == [
        {"op": "set", "path": "pipelines.b.type", "value": "V2"},
        {"op": "remove", "path": "pipelines.b.active"},
    ]

    to_v1 = found["pipeline-type-v1-c"]
    # 600 V2 minutes x $0.002 = $1.20 against V1's $1: not a cent of pipeline a ($1) or of proj's builds in it.
    assert to_v1.monthly_saving_usd == pytest.approx(600 * V2_MINUTE - V1_MONTH)
    assert to_v1.evidence == {"v2_action_minutes": 600.0, "v1_price_usd": 1.0}
    assert to_v1.title == "Switch pipeline c to V1"
    assert to_v1.confidence_reason == pipeline_type.REASON["V1"]
    assert to_v1.change == pipeline_type.CHANGE_TO["V1"]
    assert to_v1.usage_patch == [
        {"op": "set", "path": "pipelines.c.type", "value": "V1"},
        {"op": "remove", "path": "pipelines.c.execution_mode"},
        {"op": "remove", "path": "pipelines.c.triggers"},
        {"op": "remove", "path": "pipelines.c.variables"},
    ]
    # d would save the same as c, but QUEUED mode and triggers exist only on V2.
    assert ctx.notes == [
        "d: V1 would save $0.20/month, but the pipeline uses QUEUED execution mode, triggers, which exist only on "
        "V2: keep V2."
    ]


def test_pipeline_type_row_edits_leave_the_rows_of_the_other_type() -> None:
    """Catches a switch's row edit (used when suggestions are composed and by what-if) that drops the wrong
    rows, adds none, or labels the new row wrongly: re-priced alone it must save what the suggestion says."""
    ctx = context_for_usage(pipeline_estate())
    found = {s.id: s for s in pipeline_type.rule(ctx)}
    to_v2 = applied(ctx, found["pipeline-type-v2-b"])
    assert to_v2.total == pytest.approx(ctx.baseline.total - (V1_MONTH - 30 * V2_MINUTE))
    assert rows_of(to_v2.usage_rows, "b") == [
        {"service": "CodePipeline", "resource": "b", "component": "all actions (V2)", "pipeline": "b",
         "usage_type": "ActionExecutionMinutes", "quantity": 30.0, "unit": "Minute", "meter": "action-minutes"},
    ]  # fmt: skip
    assert rows_of(to_v2.usage_rows, "a") == rows_of(ctx.rows, "a")
    assert len(to_v2.usage_rows) == len(ctx.rows)
    to_v1 = applied(ctx, found["pipeline-type-v1-c"])
    assert to_v1.total == pytest.approx(ctx.baseline.total - (600 * V2_MINUTE - V1_MONTH))
    assert rows_of(to_v1.usage_rows, "c") == [
        {"service": "CodePipeline", "resource": "c", "component": "pipeline (V1)", "pipeline": "c",
         "usage_type": "ActivePipeline", "quantity": 1.0, "unit": "Pipeline-Month", "meter": "pipeline-month"},
    ]  # fmt: skip
    assert rows_of(to_v1.usage_rows, "proj") == rows_of(ctx.rows, "proj")


def test_pipeline_type_patch_written_into_the_usage_file_bills_the_other_type() -> None:
    """Catches a usage-file patch that leaves the old type or its fields: the patched file, estimated again,
    bills b as V2 (30 minutes x $0.002) and c as V1 ($1)."""
    usage = pipeline_estate()
    ctx = context_for_usage(usage)
    found = {s.id: s for s in pipeline_type.rule(ctx)}
    document = load_usage(usage)
    for suggestion in found.values():
        document = suggestion.as_change.apply_to(document)
    after = estimate(document, period=ctx.baseline.period, free_tier=False)
    by_pipeline = after.lines.groupby("resource")["cost_usd"].sum()
    assert by_pipeline["b"] == pytest.approx(30 * V2_MINUTE)
    assert by_pipeline["c"] == pytest.approx(V1_MONTH)
    assert by_pipeline["d"] == pytest.approx(600 * V2_MINUTE)


@pytest.mark.parametrize(
    ("features", "blockers"),
    [
        ({"execution_mode": "PARALLEL"}, "PARALLEL execution mode"),
        ({"triggers": True}, "triggers"),
        ({"variables": True}, "variables"),
        ({"execution_mode": "QUEUED", "variables": True}, "QUEUED execution mode, variables"),
        ({"triggers": True, "variables": True}, "triggers, variables"),
        (
            {"execution_mode": "QUEUED", "triggers": True, "variables": True},
            "QUEUED execution mode, triggers, variables",
        ),
    ],
)
def test_pipeline_type_names_every_v2_only_feature_that_keeps_a_pipeline_on_v2(
    features: dict[str, Any], blockers: str
) -> None:
    """Catches a V2-only feature missed (a pipeline told to go back to V1 while it uses it) and a note that
    names the features wrongly: 10 x 60 = 600 minutes x $0.002 = $1.20 against V1's $1 would save $0.20."""
    usage = usage_file(pipelines={"busy": {"type": "V2", "executions_per_month": 10, "actions": V2_ACTIONS,
                                           **features}})  # fmt: skip
    ctx = context_for_usage(usage)
    assert pipeline_type.rule(ctx) == []
    assert ctx.notes == [f"busy: V1 would save $0.20/month, but the pipeline uses {blockers}, which exist only on V2: "
                         "keep V2."]  # fmt: skip


def test_pipeline_type_superseded_mode_is_no_blocker() -> None:
    """Catches SUPERSEDED (the V1 behaviour, and the default) counted as a V2-only execution mode."""
    usage = usage_file(pipelines={"busy": {"type": "V2", "executions_per_month": 10, "actions": V2_ACTIONS,
                                           "execution_mode": "SUPERSEDED"}})  # fmt: skip
    ctx = context_for_usage(usage)
    assert [s.monthly_saving_usd for s in pipeline_type.rule(ctx)] == [pytest.approx(600 * V2_MINUTE - V1_MONTH)]
    assert ctx.notes == []


# --- rounding waste ---------------------------------------------------------------------------------------------

ROUNDING_REASON = (
    "assumes each of those runs could end 10 s earlier; durations vary from run to run, so the same build lands on "
    "either side of a minute boundary, and the trimming may not be possible"
)
LOCAL_CACHE = "LOCAL_SOURCE_CACHE, LOCAL_DOCKER_LAYER_CACHE"


def rounding_builds_snapshot() -> Snapshot:
    """A 10-day window of October (projected x 31 / 10 = 3.1 to the month) with three projects in name order:
    app-build (medium): 121, 130, 131, 120, 59 and 65 s, billed 3 + 3 + 3 + 2 + 1 + 2 = 14 min, three of them
    1, 10 and 5 s past a minute; lint: 131 s, 11 s past (no candidate); zeta (small): 62 s, 2 s past."""
    builds = [build("app-build", f"b{i}", i, s) for i, s in enumerate([121, 130, 131, 120, 59, 65], start=1)]
    builds += [build("lint", "l1", 1, 131), build("zeta", "z1", 1, 62, compute="BUILD_GENERAL1_SMALL")]
    return runs_snapshot([runs_pipeline("app")], [], [], builds, end=at(10))


def test_rounding_waste_per_project_every_field_by_hand() -> None:
    """Catches evidence counted for the wrong project (lint has no candidate between app-build and zeta), the
    projection applied the wrong way, seconds past a minute rounded instead of rounded up, and any field of
    the suggestion (title, reason, change, exclusive key) left out or changed."""
    ctx = runs_context(rounding_builds_snapshot())
    found = {s.id: s for s in rounding_waste.rule(ctx)}
    assert list(found) == ["rounding-waste-build-app-build", "rounding-waste-build-zeta"]
    assert ctx.notes == []  # lint, whose one build is 11 s past a minute, is no candidate: not even a note
    app = found["rounding-waste-build-app-build"]
    # 3 builds x 1 minute x 3.1 (the 10-day window projected to October) x $0.01.
    assert app.monthly_saving_usd == pytest.approx(3 * 3.1 * MEDIUM)
    assert app.to_dict() == {
        "id": "rounding-waste-build-app-build",
        "rule": "rounding-waste",
        "title": "Trim a few seconds from CodeBuild project app-build: 3 builds pay a minute for 10 s or less",
        "resources": ["app-build"],
        "monthly_saving_usd": app.monthly_saving_usd,
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": ROUNDING_REASON,
        "evidence": {
            "threshold_seconds": 10.0,
            "runs": 6,
            "runs_near_boundary": 3,
            "seconds_over": {"1": 1, "5": 1, "10": 1},
            "measured_minutes": round((121 + 130 + 131 + 120 + 59 + 65) / 60, 2),
            "billed_minutes": 14.0,
            "minutes_lost_in_window": 3,
            "projection_factor": 3.1,
            "billed_minutes_saved_per_month": pytest.approx(3 * 3.1),
        },
        "change": {
            "console": "CodeBuild > app-build > Edit: enable local caching (source, Docker layer), keep artifacts "
            "small and move slow post_build steps out; check the phase durations of the long builds",
            "cli": "aws codebuild update-project --name app-build --cache type=LOCAL,modes=LOCAL_SOURCE_CACHE,"
            "LOCAL_DOCKER_LAYER_CACHE",
            "cloudformation": f"AWS::CodeBuild::Project  Cache: {{Type: LOCAL, Modes: [{LOCAL_CACHE}]}}",
            "terraform": 'cache { type = "LOCAL"  modes = ["LOCAL_SOURCE_CACHE", "LOCAL_DOCKER_LAYER_CACHE"] }',
        },
        "exclusive": f"project-runs:{ACCOUNT}:{REGION}:app-build",
        "usage_patch": [],
    }
    zeta = found["rounding-waste-build-zeta"]
    # 62 s bills 2 minutes on general1.small: 1 minute x 3.1 x $0.005.
    assert zeta.monthly_saving_usd == pytest.approx(1 * 3.1 * SMALL)
    assert zeta.title == "Trim a few seconds from CodeBuild project zeta: 1 builds pay a minute for 10 s or less"
    assert zeta.evidence == {
        "threshold_seconds": 10.0,
        "runs": 1,
        "runs_near_boundary": 1,
        "seconds_over": {"2": 1},
        "measured_minutes": round(62 / 60, 2),
        "billed_minutes": 2.0,
        "minutes_lost_in_window": 1,
        "projection_factor": 3.1,
        "billed_minutes_saved_per_month": pytest.approx(3.1),
    }
    for suggestion in found.values():
        # Its own row edit, re-priced alone, saves the same: 3 x 3.1 fewer medium minutes, 3.1 fewer small ones.
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)
    assert rows_of(applied(ctx, app).usage_rows, "app-build")[0]["quantity"] == pytest.approx(3.1 * (14 - 3))


def rounding_actions_snapshot() -> Snapshot:
    """Three V2 pipelines in name order, two executions each, in the same 10-day window: app's Source (20 s: 1
    min), Build (185 s: 4 min, 5 s past) and Deploy (61.4 s: 2 min, 1.4 s past); calm's Build (131 s: 11 s
    past, no candidate); zz's Test (125 s: 3 min, 5 s past)."""
    executions, actions = [], []
    for i in range(2):
        day = 1 + i
        executions += [runs_execution(name, f"{name}{i}", "Succeeded", day) for name in ("app", "calm", "zz")]
        actions += [
            runs_action("app", f"app{i}", "Source", "Source", day, 20),
            runs_action("app", f"app{i}", "Build", "Build", day, 185),
            runs_action("app", f"app{i}", "Deploy", "Deploy", day, 61.4),
            runs_action("calm", f"calm{i}", "Build", "Build", day, 131),
            runs_action("zz", f"zz{i}", "Test", "Test", day, 125),
        ]
    pipelines = [runs_pipeline(name) for name in ("app", "calm", "zz")]
    return runs_snapshot(pipelines, executions, actions, [], end=at(10))


def test_rounding_waste_per_pipeline_every_field_by_hand() -> None:
    """Catches the pipeline suggestions' evidence, actions named, title, confidence or change left out or taken
    from the wrong pipeline (calm has no candidate between app and zz), and seconds past a minute rounded down."""
    ctx = runs_context(rounding_actions_snapshot())
    found = {s.id: s for s in rounding_waste.rule(ctx)}
    assert list(found) == ["rounding-waste-pipeline-app", "rounding-waste-pipeline-zz"]
    app = found["rounding-waste-pipeline-app"]
    # Build and Deploy in each of 2 executions: 4 action minutes x 3.1 x $0.002.
    assert app.monthly_saving_usd == pytest.approx(4 * 3.1 * V2_MINUTE)
    assert app.to_dict() == {
        "id": "rounding-waste-pipeline-app",
        "rule": "rounding-waste",
        "title": "Trim a few seconds from the actions of pipeline app: 4 action executions pay a minute for 10 s "
        "or less",
        "resources": ["app"],
        "monthly_saving_usd": app.monthly_saving_usd,
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": ROUNDING_REASON,
        "evidence": {
            "threshold_seconds": 10.0,
            "runs": 6,
            "runs_near_boundary": 4,
            "seconds_over": {"2": 2, "5": 2},  # 1.4 s past a minute is shown as 2 (rounded up)
            "measured_minutes": round(2 * (20 + 185 + 61.4) / 60, 2),
            "billed_minutes": 2 * (1 + 4 + 2.0),
            "minutes_lost_in_window": 4,
            "projection_factor": 3.1,
            "billed_minutes_saved_per_month": pytest.approx(4 * 3.1),
            "actions": ["Build (Build)", "Deploy (Deploy)"],
        },
        "change": {
            "console": "CodePipeline > app: the actions Build (Build), Deploy (Deploy) end just past a minute; "
            "shorten the work they wait for (for a CodeBuild action: the build itself, caching and artifact size)"
        },
        "exclusive": f"pipeline-runs:{ACCOUNT}:{REGION}:app",
        "usage_patch": [],
    }
    zz = found["rounding-waste-pipeline-zz"]
    assert zz.monthly_saving_usd == pytest.approx(2 * 3.1 * V2_MINUTE)
    assert (
        zz.title
        == "Trim a few seconds from the actions of pipeline zz: 2 action executions pay a minute for 10 s or less"
    )
    assert zz.evidence == {
        "threshold_seconds": 10.0,
        "runs": 2,
        "runs_near_boundary": 2,
        "seconds_over": {"5": 2},
        "measured_minutes": round(2 * 125 / 60, 2),
        "billed_minutes": 6.0,
        "minutes_lost_in_window": 2,
        "projection_factor": 3.1,
        "billed_minutes_saved_per_month": pytest.approx(2 * 3.1),
        "actions": ["Test (Test)"],
    }
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_rounding_waste_notes_a_saving_inside_the_free_tier() -> None:
    """Catches the note of a candidate that saves nothing (its one minute inside the 100 free general1.small
    minutes) going missing or losing the project's name and the number of builds."""
    builds = [build("tiny", "t1", 1, 62, compute="BUILD_GENERAL1_SMALL")]
    ctx = runs_context(runs_snapshot([], [], [], builds), free_tier=True)
    assert rounding_waste.rule(ctx) == []
    assert ctx.notes == [
        "tiny: 1 builds ended within 10 s past a minute, but the minutes are worth $0.00/month (free tier or tiny)"
    ]


# --- reserved capacity (priced with a made-up fleet rate) ---------------------------------------------------------

FLEET_RATE = 0.004  # TEST figure per instance-minute, not a real price
FLEET_TYPE = "ReservedCapacity-Min:Linux:g1.medium"
MEDIUM_COMPONENT = "BUILD_GENERAL1_MEDIUM / LINUX_CONTAINER"


def fleet_book(tmp_path: Path) -> PriceBook:
    return book_with(tmp_path, price_row(FLEET_TYPE, "Minute", FLEET_RATE))


def test_reserved_capacity_fleet_rows_by_hand_on_a_usage_file(tmp_path: Path) -> None:
    """Catches the fleet's usage row losing its component, unit or pipeline (a project in one pipeline keeps it),
    and the fleet sized without rounding up: solo bills 3,000 x ceil(10.5) = 33,000 of November's 43,200
    minutes (0.76 busy: 1 instance); twice bills 5,000 x 11 = 55,000 (1.27 busy: 2 instances)."""
    book = fleet_book(tmp_path)
    deploy = {"type": "V2", "executions_per_month": 1, "actions": [{"name": "B", "category": "Build", "minutes": 1}]}
    usage = usage_file(
        pipelines={"deploy": deploy},
        codebuild={
            "solo": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 3000, "minutes_per_build": 10.5,
                     "pipeline": "deploy"},
            "twice": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 5000, "minutes_per_build": 10.5},
        },
    )  # fmt: skip
    ctx = context_for_usage(usage, book)
    found = {s.resources[0]: s for s in not_priced.reserved_capacity(ctx)}
    solo, twice = found["solo"], found["twice"]
    assert solo.monthly_saving_usd == pytest.approx(33_000 * MEDIUM - 1 * 43_200 * FLEET_RATE)
    assert twice.monthly_saving_usd == pytest.approx(55_000 * MEDIUM - 2 * 43_200 * FLEET_RATE)
    assert solo.evidence == {
        "billed_minutes": 33_000.0,
        "average_concurrency": pytest.approx(33_000 / 43_200),
        "fleet_capacity": 1,
        "fleet_usage_type": FLEET_TYPE,
        "month_minutes": 43_200.0,
    }
    assert twice.title == "Run CodeBuild project twice on a reserved-capacity fleet of 2"
    assert "--base-capacity 2" in twice.change["cli"]
    assert "aws codebuild update-project --name twice" in twice.change["cli"]
    after = applied(ctx, solo)
    assert after.total == pytest.approx(ctx.baseline.total - solo.monthly_saving_usd)
    assert rows_of(after.usage_rows, "solo") == [
        {"service": "CodeBuild", "resource": "solo", "component": f"fleet of 1 x {MEDIUM_COMPONENT}",
         "pipeline": "deploy", "usage_type": FLEET_TYPE, "quantity": 43_200.0, "unit": "Minute", "meter": None},
    ]  # fmt: skip
    assert rows_of(applied(ctx, twice).usage_rows, "twice")[0]["quantity"] == 2 * 43_200.0
    for suggestion in found.values():
        batch_matches_transform(ctx, suggestion)


def test_reserved_capacity_fleet_of_a_project_built_by_two_pipelines(tmp_path: Path) -> None:
    """Catches the fleet row attributed to one of two pipelines (it serves both: no pipeline) and the month's
    minutes of a projected snapshot: a 1-day window of October projected x 31; busy's two 400-minute builds
    (one from p1, one from p2) bill 2 x 400 x 31 = 24,800 of October's 44,640 minutes: 1 instance."""
    book = fleet_book(tmp_path)
    builds = [
        build("busy", "x1", 0.1, 24_000, initiator="codepipeline/p1"),
        build("busy", "x2", 0.2, 24_000, initiator="codepipeline/p2"),
    ]
    snap = runs_snapshot([runs_pipeline("p1"), runs_pipeline("p2")], [], [], builds, end=at(1))
    ctx = Context(baseline=estimate(snap, free_tier=False, pricebook=book), pricebook=book)
    [fleet] = not_priced.reserved_capacity(ctx)
    assert fleet.monthly_saving_usd == pytest.approx(24_800 * MEDIUM - 44_640 * FLEET_RATE)
    assert fleet.evidence["month_minutes"] == 44_640.0
    assert rows_of(applied(ctx, fleet).usage_rows, "busy") == [
        {"service": "CodeBuild", "resource": "busy", "component": f"fleet of 1 x {MEDIUM_COMPONENT}",
         "pipeline": None, "usage_type": FLEET_TYPE, "quantity": 44_640.0, "unit": "Minute", "meter": None},
    ]  # fmt: skip
    batch_matches_transform(ctx, fleet)


# --- wasted runs: the commands a user runs --------------------------------------------------------------------


def test_wasted_builds_change_is_a_webhook_filter_the_cli_accepts() -> None:
    """Catches the webhook filter groups in the CLI command, CloudFormation or Terraform changed (keys or
    values AWS would reject, e.g. lower-case EVENT types), or the project name left out of a command."""
    ctx = runs_context(wasted_snapshot())
    suggestion = {s.id: s for s in wasted_runs.rule(ctx)}["wasted-runs-project-app-build"]
    change = suggestion.change
    prefix = "aws codebuild update-webhook --project-name app-build --filter-groups '"
    assert change["cli"].startswith(prefix)
    assert change["cli"].endswith("'")
    assert json.loads(change["cli"][len(prefix) : -1]) == [
        [
            {"type": "EVENT", "pattern": "PUSH"},
            {"type": "HEAD_REF", "pattern": "^refs/heads/main$"},
            {"type": "FILE_PATH", "pattern": "^src/"},
        ]
    ]
    assert change == {
        "console": "CodeBuild > app-build > Edit > Primary source webhook events: add filter groups (event, branch, "
        "file path) so only relevant pushes start a build; fix the builds that fail most",
        "cli": change["cli"],
        "cloudformation": "AWS::CodeBuild::Project  Triggers: {Webhook: true, FilterGroups: [[{Type: EVENT, "
        "Pattern: PUSH}, {Type: HEAD_REF, Pattern: '^refs/heads/main$'}, {Type: FILE_PATH, Pattern: '^src/'}]]}",
        "terraform": 'resource "aws_codebuild_webhook" { filter_group { filter { type = "EVENT"  pattern = "PUSH" } '
        'filter { type = "HEAD_REF"  pattern = "^refs/heads/main$" }  filter { type = "FILE_PATH"  '
        'pattern = "^src/" } } }',
    }


def test_wasted_pipeline_runs_every_field_by_hand() -> None:
    """Catches the wasted-runs evidence (executions, statuses, triggers, action and build minutes, builds
    started), title, resources or pipeline change going wrong: app (V2, QUEUED) ran 4 executions; Failed,
    Superseded and Stopped each paid 1 + 3 action minutes and started one 5-minute general1.medium build."""
    ctx = runs_context(wasted_snapshot())
    runs = {s.id: s for s in wasted_runs.rule(ctx)}["wasted-runs-pipeline-app"]
    assert runs.monthly_saving_usd == pytest.approx(3 * (1 + 3) * V2_MINUTE + 3 * 5 * MEDIUM)
    triggers = (
        '"triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": "Source", '
        '"push": [{"branches": {"includes": ["main"]}, "filePaths": {"includes": ["src/**"]}}]}}]'
    )
    assert runs.to_dict() == {
        "id": "wasted-runs-pipeline-app",
        "rule": "wasted-runs",
        "title": "Avoid runs of pipeline app that deliver nothing: 3 of 4 executions failed, were stopped or "
        "superseded",
        "resources": ["app", "app-build"],
        "monthly_saving_usd": runs.monthly_saving_usd,
        "one_off_cost_usd": 0.0,
        "confidence": "medium",
        "confidence_reason": "the cost of every run that delivered nothing; an upper bound, since not all failures "
        "are avoidable (a failing test may be catching a real bug); most were stopped or superseded, which trigger "
        "filters and SUPERSEDED mode avoid",
        "evidence": {
            "executions": 4,
            "wasted_executions": {"Failed": 1, "Stopped": 1, "Superseded": 1},
            "wasted_triggers": {"Webhook": 3},
            "pipeline_type": "V2",
            "execution_mode": "QUEUED",
            "wasted_action_minutes": 3 * (1 + 3.0),
            "builds_started": 3,
            "wasted_build_minutes": {"app-build": 3 * 5.0},
            "projection_factor": 1.0,
        },
        "change": {
            "console": "CodePipeline > app > Edit > Edit: Git triggers: add branch and file-path filters so only "
            "relevant pushes start a run; Execution mode: SUPERSEDED so stale runs stop early; fix the actions that "
            "fail most",
            "cli": "aws codepipeline update-pipeline --cli-input-json file://pipeline.json  # with "
            + triggers
            + ', "executionMode": "SUPERSEDED"',
            "cloudformation": "AWS::CodePipeline::Pipeline  Triggers: [{ProviderType: CodeStarSourceConnection, "
            "GitConfiguration: {SourceActionName: Source, Push: [{Branches: {Includes: [main]}, FilePaths: {Includes: "
            "['src/**']}}]}}]  ExecutionMode: SUPERSEDED",
            "terraform": 'trigger { provider_type = "CodeStarSourceConnection"  git_configuration { '
            'source_action_name = "Source"  push { branches { includes = ["main"] }  file_paths { includes = '
            '["src/**"] } } } }  execution_mode = "SUPERSEDED"',
        },
        "exclusive": f"pipeline-runs:{ACCOUNT}:{REGION}:app",
        "usage_patch": [],
    }
    assert applied(ctx, runs).total == pytest.approx(ctx.baseline.total - runs.monthly_saving_usd)
    batch_matches_transform(ctx, runs)


def test_wasted_runs_that_billed_nothing_are_no_candidates_and_no_note() -> None:
    """Catches a wasted run that billed nothing (a failed execution whose one action took no time, a failed build
    of 0 s outside a pipeline) kept as a reduction of 0 minutes: its pipeline or project then becomes a candidate
    worth $0.00 and gets a "free tier or tiny" note, though nothing was billed to avoid."""
    executions = [runs_execution("app", "e1", "Failed", 1)]
    actions = [runs_action("app", "e1", "Source", "Source", 1, 0)]  # 0 s: 0 billed minutes
    builds = [build("solo", "s1", 2, 0, "FAILED", "GitHub-Hookshot/abc")]  # 0 s: 0 billed minutes
    ctx = runs_context(runs_snapshot([runs_pipeline("app")], executions, actions, builds))
    assert ctx.baseline.lines["quantity"].sum() == 0  # nothing billed at all
    assert wasted_runs.rule(ctx) == []
    assert ctx.notes == []


@pytest.mark.parametrize(
    ("statuses", "confidence"),
    [(["Failed", "Stopped"], "medium"), (["Failed", "Failed", "Superseded"], "low"), (["Cancelled"], "medium")],
)
def test_wasted_runs_confidence_is_medium_when_at_least_half_were_avoidable(
    statuses: list[str], confidence: str
) -> None:
    """Catches the confidence threshold moved off "at least half of the wasted executions were stopped,
    superseded or cancelled" (1 of 2 is medium, 1 of 3 low), and the V2 pipeline in SUPERSEDED mode told to
    switch to SUPERSEDED; each wasted execution paid one 3-minute Build action."""
    executions = [runs_execution("app", f"e{i}", status, 1 + i) for i, status in enumerate(statuses)]
    actions = [runs_action("app", f"e{i}", "Build", "Build", 1 + i, 170) for i in range(len(statuses))]
    ctx = runs_context(runs_snapshot([runs_pipeline("app")], executions, actions, []))
    [runs] = wasted_runs.rule(ctx)
    assert runs.monthly_saving_usd == pytest.approx(len(statuses) * 3 * V2_MINUTE)
    assert runs.confidence == confidence
    ending = (
        "; most were stopped or superseded, which trigger filters and SUPERSEDED mode avoid"
        if confidence == "medium"
        else "; most failed, and only fixing their cause avoids them"
    )
    assert runs.confidence_reason.endswith(ending)
    assert "executionMode" not in runs.change["cli"]
    assert runs.change["console"].endswith("only relevant pushes start a run; fix the actions that fail most")


def test_wasted_runs_of_a_v1_pipeline_say_filters_need_v2() -> None:
    """Catches a V1 pipeline given V2 trigger filters to configure: it gets the command listing its failed runs.
    Its failed execution started a 5-minute general1.medium build (V1 bills no action minutes)."""
    executions = [runs_execution("legacy", "l0", "Failed", 1)]
    actions = [runs_action("legacy", "l0", "Build", "Build", 1, 170, external="lb0")]
    builds = [build("legacy-build", "lb0", 1, 300, "FAILED", "codepipeline/legacy")]
    ctx = runs_context(runs_snapshot([runs_pipeline("legacy", "V1")], executions, actions, builds))
    [runs] = wasted_runs.rule(ctx)
    assert runs.monthly_saving_usd == pytest.approx(5 * MEDIUM)
    assert runs.evidence["pipeline_type"] == "V1"
    assert runs.change == {
        "console": "CodePipeline > legacy: fix or stop the failing runs; trigger filters (branches, file paths) need "
        "pipeline type V2",
        "cli": "aws codepipeline list-pipeline-executions --pipeline-name legacy --query "
        "'pipelineExecutionSummaries[?status!=`Succeeded`]'",
    }


# --- idle pipelines -----------------------------------------------------------------------------------------------


def test_idle_pipeline_every_field_by_hand() -> None:
    """Catches the idle pipeline's evidence (window, executions, triggers, cost per service, rows removed,
    creation date), title, reason or delete commands going wrong: old (V1) only failed in a 31-day window; it
    costs its pipeline-month, 2 builds x 2 min of general1.small and 2 of 3 executions' share of 10 GB."""
    ctx = runs_context(idle_snapshot())
    [idle] = idle_pipelines.rule(ctx)
    share = 10 * 2 / 3 * STANDARD_GB
    assert idle.monthly_saving_usd == pytest.approx(V1_MONTH + 2 * 2 * SMALL + share)
    assert idle.to_dict() == {
        "id": "idle-pipelines-old",
        "rule": "idle-pipelines",
        "title": "Delete idle pipeline old (no successful run in the 31-day window)",
        "resources": ["old"],
        "monthly_saving_usd": idle.monthly_saving_usd,
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": "no successful run in the 31-day window, shorter than the 60 days that make a pipeline "
        "idle; it may be kept for rollbacks or rare releases; the artifact share is by executions",
        "evidence": {
            "finding": "no successful run in the 31-day window",
            "window_days": 31.0,
            "executions_in_window": {"Failed": 2},
            "triggers_in_window": {"CloudWatchEvent": 2},
            "pipeline_type": "V1",
            "created": (START - pd.Timedelta(days=400)).isoformat(),
            "artifact_buckets": ["artifacts"],
            "cost_by_service_usd": {
                "CodeBuild": pytest.approx(4 * SMALL),
                "CodePipeline": V1_MONTH,
                "S3": pytest.approx(share),
            },
            "rows_removed": 3,  # its pipeline-month, its builds' minutes, its share of the bucket
        },
        "change": {
            "console": "CodePipeline > Pipelines > old > Delete pipeline; then delete the EventBridge rule or "
            "schedule that starts it and its artifacts (folder old/ in artifacts)",
            "cli": "aws codepipeline delete-pipeline --name old; aws s3 rm s3://artifacts/old/ --recursive",
            "cloudformation": "remove the AWS::CodePipeline::Pipeline resource old (and its trigger "
            "AWS::Events::Rule) from the stack",
            "terraform": 'remove the aws_codepipeline resource with name = "old" (and its aws_cloudwatch_event_rule), '
            "then terraform apply",
        },
        "exclusive": f"pipeline-runs:{ACCOUNT}:{REGION}:old",
        "usage_patch": [],
    }
    after = applied(ctx, idle)
    assert after.total == pytest.approx(ctx.baseline.total - idle.monthly_saving_usd)
    assert rows_of(after.usage_rows, "old") == []
    assert rows_of(after.usage_rows, "old-build") == []
    batch_matches_transform(ctx, idle)
    assert ctx.notes == [
        "new: no successful run, but created 10 days ago: may still be set up",
        "docs: no successful run in the 31-day window; it costs nothing now, delete it to keep the account tidy",
    ]


# --- artifact lifecycle -----------------------------------------------------------------------------------------

ROLLBACK = (
    "expired artifacts are gone: a pipeline cannot roll back to, or re-run a stage with, an artifact older than the "
    "rule keeps (keep N above your longest rollback window; the release pipeline's last deployed revision may be "
    "older than N days)"
)
STEADY = "artifacts are written at a steady rate and nothing deletes them, so the bucket holds every age"
IA_CAVEATS = [
    "30-day minimum storage duration: deleting or overwriting within 30 days of the move is billed as 30 days",
    "S3 by default does not transition objects smaller than 128 KB",
    "Standard-IA bills retrieval per GB read back (a rollback or re-run reads old artifacts)",
]
STANDARD_GB_MONTH, IA_GB_MONTH, TRANSITION = 0.023, 0.0125, 0.01 / 1000


def test_an_idle_pipeline_of_unknown_artifact_buckets_names_no_bucket_to_delete() -> None:
    """Bug caught: a pipeline whose artifact-bucket list is missing (NaN, as a column of nothing but nulls reads)
    told to delete `s3://nan/<pipeline>/`: a command naming a bucket that is not the pipeline's. No bucket is
    named when none is known."""
    snap = idle_snapshot()
    pipelines = snap.tables["pipelines"].astype({"artifact_buckets": object})
    pipelines.loc[pipelines["pipeline"] == "old", "artifact_buckets"] = float("nan")
    snap.tables["pipelines"] = pipelines
    found = {s.resources[0]: s for s in idle_pipelines.rule(runs_context(snap))}
    assert "old" in found
    assert found["old"].evidence["artifact_buckets"] == []
    assert "s3://nan" not in json.dumps(found["old"].to_dict())


def test_artifact_lifecycle_every_field_by_hand_on_a_usage_file() -> None:
    """Catches the lifecycle rule's older share, Standard-IA gigabytes, transitions, one-off backlog, usage-file
    patch, evidence, assumptions and commands going wrong: art holds 200 GB in 1,000,000 objects and 100,000 are
    written a month, so 100,000 x 30 / 30 days = 100,000 are newer than 30 days: 90% is older."""
    usage = usage_file(
        s3={
            "art": {"storage_gb": 200, "objects": 1_000_000, "put_requests_per_month": 100_000},
            "nocount": {"storage_gb": 100},
        }
    )
    ctx = context_for_usage(usage)
    found = {s.id.removeprefix("artifact-lifecycle-"): s for s in artifact_lifecycle.rule(ctx)}
    assert list(found) == [
        f"expire-{ACCOUNT}-{REGION}-art",
        f"standard-ia-{ACCOUNT}-{REGION}-art",
        f"standard-ia-{ACCOUNT}-{REGION}-nocount",
    ]
    estimated = (
        "objects written in 30 days estimated from artifact writes: 100,000 PUTs a month x 30/30 days = 100,000 of "
        "1,000,000 objects; older share 90% of the bytes (artifacts of similar size)"
    )
    common = {
        "bucket": "art",
        "days": 30,
        "standard_gb": 200.0,
        "objects": 1_000_000.0,
        "artifact_puts_per_month": 100_000.0,
        "older_share": pytest.approx(0.9),
        "assumptions": [STEADY, estimated],
        "warning": ROLLBACK,
        "versioning": None,
    }
    expire = found[f"expire-{ACCOUNT}-{REGION}-art"]
    assert expire.to_dict() == {
        "id": f"artifact-lifecycle-expire-{ACCOUNT}-{REGION}-art",
        "rule": "artifact-lifecycle",
        "title": "Expire artifacts older than 30 days in bucket art",
        "resources": ["art"],
        "monthly_saving_usd": pytest.approx(200 * 0.9 * STANDARD_GB_MONTH),
        "one_off_cost_usd": 0.0,
        "confidence": "medium",
        "confidence_reason": f"{STEADY}; {estimated}. Warning: {ROLLBACK}.",
        "evidence": {**common, "action": "expire"},
        "change": {
            "console": "S3 > art > Management > Create lifecycle rule: Expire current versions after 30 days",
            "cli": "aws s3api put-bucket-lifecycle-configuration --bucket art --lifecycle-configuration "
            "'Rules=[{ID=expire-artifacts,Status=Enabled,Filter={},Expiration={Days=30},}]'  # merges with no existing "
            "rule: include the bucket's current rules",
            "cloudformation": "AWS::S3::Bucket  LifecycleConfiguration: {Rules: [{Status: Enabled, "
            "ExpirationInDays: 30}]}",
            "terraform": 'resource "aws_s3_bucket_lifecycle_configuration" { rule { status = "Enabled"  filter {}  '
            "expiration { days = 30 } } }",
        },
        "exclusive": f"s3-lifecycle:{ACCOUNT}:{REGION}:art",
        "usage_patch": [
            {"op": "set", "path": "s3.art.storage_gb", "value": pytest.approx(200 * 0.1)},
            {"op": "set", "path": "s3.art.objects", "value": pytest.approx(100_000)},
        ],
    }
    to_ia = found[f"standard-ia-{ACCOUNT}-{REGION}-art"]
    caveats = [
        "Standard-IA bills at least 128 KB per object",
        *IA_CAVEATS,
        "monthly transition requests = objects aging past N days a month (the artifact writes)",
    ]
    assert to_ia.to_dict() == {
        "id": f"artifact-lifecycle-standard-ia-{ACCOUNT}-{REGION}-art",
        "rule": "artifact-lifecycle",
        "title": "Move artifacts older than 30 days in bucket art to S3 Standard-IA",
        "resources": ["art"],
        # 180 GB older (900,000 x 128 KB = 110 GB is less) move to Standard-IA; 100,000 transitions a month.
        "monthly_saving_usd": pytest.approx(180 * (STANDARD_GB_MONTH - IA_GB_MONTH) - 100_000 * TRANSITION),
        "one_off_cost_usd": pytest.approx(900_000 * TRANSITION),  # the backlog's first run
        "confidence": "medium",
        "confidence_reason": f"{STEADY}; {estimated}; " + "; ".join(caveats) + f". If you expire instead: {ROLLBACK}.",
        "evidence": {
            **common,
            "action": "transition to STANDARD_IA",
            "standard_ia_billed_gb": pytest.approx(180.0),
            "transitions_per_month": 100_000.0,
            "first_run_transitions": pytest.approx(900_000.0),
            "caveats": caveats,
        },
        "change": {
            "console": "S3 > art > Management > Create lifecycle rule: Transition current versions to Standard-IA "
            "after 30 days",
            "cli": "aws s3api put-bucket-lifecycle-configuration --bucket art --lifecycle-configuration "
            "'Rules=[{ID=artifacts-to-ia,Status=Enabled,Filter={},Transitions=[{Days=30,StorageClass=STANDARD_IA}]}]'  "
            "# include the bucket's current rules",
            "cloudformation": "AWS::S3::Bucket  LifecycleConfiguration: {Rules: [{Status: Enabled, Transitions: "
            "[{StorageClass: STANDARD_IA, TransitionInDays: 30}]}]}",
            "terraform": 'resource "aws_s3_bucket_lifecycle_configuration" { rule { status = "Enabled"  filter {}  '
            'transition { days = 30  storage_class = "STANDARD_IA" } } }',
        },
        "exclusive": f"s3-lifecycle:{ACCOUNT}:{REGION}:art",
        "usage_patch": [
            {"op": "set", "path": "s3.art.storage_gb", "value": pytest.approx(20.0)},
            {"op": "set", "path": "s3.art.objects", "value": pytest.approx(100_000)},
            {"op": "set", "path": "s3.art-standard-ia", "value": {
                "storage_class": "STANDARD_IA", "storage_gb": pytest.approx(180.0),
                "lifecycle_transitions_per_month": 100_000.0, "objects": pytest.approx(900_000.0)}},
        ],
    }  # fmt: skip
    nocount = found[f"standard-ia-{ACCOUNT}-{REGION}-nocount"]
    unknown = (
        "object ages unknown (no object count): assumes everything stored is older than 30 days (a bucket filling "
        "for much longer than 30 days); the expiration saving cannot be estimated without ages"
    )
    assert nocount.monthly_saving_usd == pytest.approx(100 * (STANDARD_GB_MONTH - IA_GB_MONTH))
    assert (
        nocount.title
        == "Move artifacts older than 30 days in bucket nocount to S3 Standard-IA (and consider expiring them)"
    )
    assert (nocount.confidence, nocount.one_off_cost_usd) == ("low", 0.0)
    assert nocount.evidence["assumptions"] == [STEADY, unknown]
    assert nocount.evidence["caveats"] == [
        "Standard-IA bills at least 128 KB per object (object count unknown: not applied)",
        *IA_CAVEATS,
        "ongoing transition requests not priced (artifact write rate unknown)",
    ]
    assert (nocount.evidence["older_share"], nocount.evidence["standard_ia_billed_gb"]) == (1.0, 100.0)
    assert (nocount.evidence["transitions_per_month"], nocount.evidence["first_run_transitions"]) == (0.0, None)
    assert nocount.usage_patch == [
        {"op": "set", "path": "s3.nocount.storage_gb", "value": 0.0},
        {"op": "set", "path": "s3.nocount-standard-ia", "value": {
            "storage_class": "STANDARD_IA", "storage_gb": 100.0, "lifecycle_transitions_per_month": 0.0}},
    ]  # fmt: skip
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)
    assert ctx.notes == []


# --- build caching and right-size -------------------------------------------------------------------------------

CACHE_REASON = (
    "INSTALL + DOWNLOAD_SOURCE + PRE_BUILD take 60% of the billed build time and the project has no cache; assumes "
    "a cache halves those phases (dependency downloads cache well, work that must run every build does not). A cache "
    "in S3 adds a little storage and request cost (small, not zero, not included); a LOCAL cache only helps builds "
    "that land on a warm host."
)


def test_build_caching_every_field_by_hand() -> None:
    """Catches the caching evidence (seconds measured and cacheable, billed units with and without a cache),
    confidence or commands going wrong: web's 10 builds of 300 s spend 120 + 30 + 30 s in the cacheable phases
    (60%); halved, a build takes 300 - 90 = 210 s = ceil(3.5) = 4 billed minutes instead of 5."""
    ctx = context_for_snapshot(build_snapshot(("web", 10, 300, (120, 30, 30), "BUILD_GENERAL1_MEDIUM")))
    [cache] = build_caching.rule(ctx)
    assert cache.to_dict() == {
        "id": f"build-caching-{ACCOUNT}-{REGION}-web",
        "rule": "build-caching",
        "title": "Cache dependencies of CodeBuild project web",
        "resources": ["web"],
        "monthly_saving_usd": pytest.approx(10 * (5 - 4) * MEDIUM),
        "one_off_cost_usd": 0.0,
        "confidence": "medium",
        "confidence_reason": CACHE_REASON,
        "evidence": {
            "cache_type": "NO_CACHE",
            "builds": 10,
            "measured_build_seconds": 10 * 300.0,
            "cacheable_phase_seconds": 10 * 180.0,
            "cacheable_share": pytest.approx(0.6),
            "assumed_cut_of_cacheable_phases": 0.5,
            "billed_units_observed": 10 * 5.0,
            "billed_units_with_cache": 10 * 4.0,
            "billing_unit": ["Minute"],
        },
        "change": {
            "console": "CodeBuild > project > Edit > Artifacts > Additional configuration > Cache type: Amazon S3 "
            "(bucket/prefix) or Local (source, custom and, for Docker builds, Docker layer); list the dependency "
            "folders under `cache: paths:` in the buildspec",
            "cli": "aws codebuild update-project --name web --cache type=S3,location=<bucket>/web-cache  # or: --cache "
            "type=LOCAL,modes=LOCAL_SOURCE_CACHE,LOCAL_CUSTOM_CACHE",
            "cloudformation": "AWS::CodeBuild::Project  Cache: {Type: S3, Location: <bucket>/<prefix>}  # or {Type: "
            "LOCAL, Modes: [LOCAL_SOURCE_CACHE, LOCAL_CUSTOM_CACHE]}",
            "terraform": 'cache { type = "S3"  location = "<bucket>/<prefix>" }  # or cache { type = "LOCAL"  modes = '
            '["LOCAL_SOURCE_CACHE", "LOCAL_CUSTOM_CACHE"] }',
        },
        "exclusive": f"build-cache:{ACCOUNT}:{REGION}:web",
        "usage_patch": [],
    }
    after = applied(ctx, cache)
    assert after.total == pytest.approx(ctx.baseline.total - 10 * MEDIUM)
    assert [row["quantity"] for row in rows_of(after.usage_rows, "web")] == [pytest.approx(10 * 4.0)]
    batch_matches_transform(ctx, cache)


def test_builds_on_a_reserved_capacity_fleet_get_no_cache_suggestion() -> None:
    """Catches fleet builds taken for on-demand ones by the savings rules: a fleet bills its instances whatever a
    build's minutes, so a cache that shortens fleet builds saves nothing. The same project on demand (10 builds of
    600 s, 300 s cacheable: 8 min instead of 10) saves 10 x 2 x $0.01."""
    snap = build_snapshot(("half", 10, 600, (200, 50, 50), "BUILD_GENERAL1_MEDIUM"))
    on_demand = build_caching.rule(context_for_snapshot(snap))
    assert [s.monthly_saving_usd for s in on_demand] == [pytest.approx(10 * (10 - 8) * MEDIUM)]
    fleet = "arn:aws:codebuild:us-east-1:111122223333:fleet/medium:1"
    snap.tables["builds"] = snap.tables["builds"].assign(fleet_arn=fleet)
    book = load_pricebook()
    ctx = Context(baseline=estimate(snap, period=OCTOBER, free_tier=False, pricebook=book), pricebook=book)
    assert ctx.baseline.runs.builds["fleet"].astype(bool).all()
    assert build_caching.rule(ctx) == []
    assert ctx.notes == []


def test_a_build_phase_of_unknown_duration_adds_nothing_cacheable() -> None:
    """Catches an unknown phase duration (a phase not recorded) read as a second of cacheable time: ten 125 s
    builds with 49 s of install, no source download and an unknown pre-build are 49 / 125 = 39.2% cacheable,
    under the 40% bar; one second more would make them 50 / 125 = 40% and suggest a cache (125 - 25 = 100 s,
    2 billed minutes instead of 3)."""
    snap = build_snapshot(("blind", 10, 125, (49, 0, 0), "BUILD_GENERAL1_MEDIUM"))
    snap.tables["builds"] = snap.tables["builds"].assign(pre_build_s=None)
    ctx = context_for_snapshot(snap)
    assert ctx.baseline.lines["quantity"].sum() == 10 * 3  # ten builds of 125 s: 3 billed minutes each
    assert build_caching.rule(ctx) == []
    assert ctx.notes == []


def test_right_size_every_field_by_hand() -> None:
    """Catches the right-size evidence, reason, commands or usage-file patch going wrong: big's 20 builds of
    150 s bill 3 minutes each on LARGE (the average at the threshold); one size down, MEDIUM."""
    ctx = context_for_snapshot(build_snapshot(("big", 20, 150, (0, 0, 0), "BUILD_GENERAL1_LARGE")))
    [smaller] = right_size.rule(ctx)
    assert smaller.to_dict() == {
        "id": f"right-size-{ACCOUNT}-{REGION}-big",
        "rule": "right-size",
        "title": "Run CodeBuild project big on BUILD_GENERAL1_MEDIUM instead of BUILD_GENERAL1_LARGE",
        "resources": ["big"],
        "monthly_saving_usd": pytest.approx(20 * 3 * (LARGE - MEDIUM)),
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": "builds are short (average 3 billed min, at most 3) but CPU and memory utilisation are "
        "unknown (costkit does not collect them yet); assumes the same duration on the smaller type: a CPU- or "
        "memory-bound build runs longer there, which eats the saving. Try it on one branch and compare build times "
        "first.",
        "evidence": {
            "compute_type": "BUILD_GENERAL1_LARGE",
            "suggested_compute_type": "BUILD_GENERAL1_MEDIUM",
            "environment_type": "LINUX_CONTAINER",
            "builds": 20.0,
            "average_billed_minutes_per_build": 3.0,
            "short_build_threshold_minutes": 3.0,
            "billed_minutes": 20 * 3.0,
            "utilisation": "unknown",
        },
        "change": {
            "console": "CodeBuild > project > Edit > Environment > Additional configuration > Compute: "
            "BUILD_GENERAL1_MEDIUM",
            "cli": "aws codebuild update-project --name big --environment type=LINUX_CONTAINER,image=<same>,"
            "computeType=BUILD_GENERAL1_MEDIUM",
            "cloudformation": "AWS::CodeBuild::Project  Environment: {ComputeType: BUILD_GENERAL1_MEDIUM}",
            "terraform": 'environment { compute_type = "BUILD_GENERAL1_MEDIUM" }',
        },
        "exclusive": f"build-compute:{ACCOUNT}:{REGION}:big",
        "usage_patch": [{"op": "set", "path": "codebuild.big.compute_type", "value": "BUILD_GENERAL1_MEDIUM"}],
    }
    after = applied(ctx, smaller)  # the builds were started by pipeline web-app (build_snapshot's initiator)
    assert rows_of(after.usage_rows, "big") == [
        {"service": "CodeBuild", "resource": "big", "component": "BUILD_GENERAL1_LARGE / LINUX_CONTAINER",
         "pipeline": "web-app", "usage_type": "Build-Min:Linux:g1.medium", "quantity": 60.0, "unit": "Minute",
         "meter": None},
    ]  # fmt: skip
    batch_matches_transform(ctx, smaller)


def test_a_cache_and_a_smaller_type_on_one_project_compose_in_suggest() -> None:
    """Catches the two row edits composed wrongly when both count for one project (a cache rescales its minutes,
    right-size retypes them): both's 20 LARGE builds of 150 s (3 min) spend 90 s in cacheable phases (60%);
    cached, 105 s = 2 min. Alone: 20 x 1 x $0.02 and 20 x 3 x ($0.02 - $0.01); together 20 x 3 x $0.02 - 20 x 2
    x $0.01, less than the sum."""
    snap = build_snapshot(("both", 20, 150, (60, 15, 15), "BUILD_GENERAL1_LARGE"))
    found = suggest(snapshot=snap, period=OCTOBER, free_tier=False, rules=[build_caching.rule, right_size.rule])
    assert {s.rule: s.monthly_saving_usd for s in found.items} == {
        "build-caching": pytest.approx(20 * 1 * LARGE),
        "right-size": pytest.approx(20 * 3 * (LARGE - MEDIUM)),
    }
    assert found.counted == {s.id for s in found.items}
    assert found.combined_saving_usd == pytest.approx(20 * 3 * LARGE - 20 * 2 * MEDIUM)
    assert found.change.apply(found.baseline).total == pytest.approx(20 * 2 * MEDIUM)


def test_rounding_waste_leaves_builds_billed_by_the_second(tmp_path: Path) -> None:
    """Catches the per-minute filter of rounding waste loosened (`|` for `&`): a Lambda-compute build, billed by
    the second, that ends 2 s past a minute wastes nothing, yet would be "trimmed" by one unit of its row (a
    second). Priced at a made-up $0.00001 a second; 62 s billed as 62 seconds."""
    lambda_type = "Build-Sec:Linux:Lambda:x86-64.1GB"
    book = book_with(tmp_path, price_row(lambda_type, "Second", 0.00001))
    build_62 = build("fn-build", "f1", 1, 62) | {"compute_type": "BUILD_LAMBDA_1GB",
                                                 "environment_type": "LINUX_LAMBDA_CONTAINER"}  # fmt: skip
    snap = runs_snapshot([], [], [], [build_62])
    ctx = Context(baseline=estimate(snap, period=OCTOBER, free_tier=False, pricebook=book), pricebook=book)
    assert ctx.baseline.complete
    assert ctx.baseline.lines["quantity"].sum() == 62  # 62 s over the whole of October: no projection
    assert rounding_waste.rule(ctx) == []
    assert ctx.notes == []


def test_rounding_waste_evidence_counts_only_the_runs_that_billed() -> None:
    """Catches runs that billed nothing (a build that never started; an action of 0 s; an approval, which is not
    charged) counted in a candidate's evidence: app-build has one 121 s build (3 min, 1 s past) and one that never
    ran; pipeline p ten 65 s Build actions (2 min each, 5 s past), one 0 s Build action and a 65 s approval."""
    builds = [build("app-build", "b1", 1, 121), build("app-build", "b2", 2, 121)]
    builds[1]["start"] = builds[1]["billed_start"] = None  # never started: bills nothing
    executions = [runs_execution("p", f"e{i}", "Succeeded", 1 + i) for i in range(10)]  # 10 x 1 min x $0.002
    actions = [runs_action("p", f"e{i}", "Build", "Build", 1 + i, 65) for i in range(10)]
    actions += [runs_action("p", "e0", "Lint", "Build", 1, 0), runs_action("p", "e0", "Ok", "Approval", 1, 65)]
    ctx = runs_context(runs_snapshot([runs_pipeline("p")], executions, actions, builds))
    found = {s.id: s for s in rounding_waste.rule(ctx)}
    assert found["rounding-waste-build-app-build"].evidence["runs"] == 1
    assert found["rounding-waste-build-app-build"].evidence["billed_minutes"] == 3.0
    assert found["rounding-waste-pipeline-p"].evidence["runs"] == 10
    assert found["rounding-waste-pipeline-p"].evidence["billed_minutes"] == 20.0


def test_rounding_waste_keeps_looking_after_a_candidate_too_small_to_suggest() -> None:
    """Catches the rule stopping at the first candidate not worth a suggestion (a-small, a-pipe) instead of
    going on to the next (b-medium, b-pipe), the too-small notes' wording, and sub-microsecond noise shown as a
    second past a minute. A 61-day window (September and October) priced for October: x 31 / 61."""
    scale = 31 / 61
    builds = [build("a-small", "a1", 1, 62, compute="BUILD_GENERAL1_SMALL")]  # 1 min x 31/61 x $0.005 = $0.0025
    builds += [build("b-medium", f"b{i}", 2 + i, s) for i, s in enumerate([65.0000004, 121, 130])]
    executions = [runs_execution("a-pipe", "a0", "Succeeded", 1)]
    executions += [runs_execution("b-pipe", f"b{i}", "Succeeded", 2 + i) for i in range(10)]
    actions = [runs_action("a-pipe", "a0", "Build", "Build", 1, 65)]  # 1 min x 31/61 x $0.002 = $0.001
    actions += [runs_action("b-pipe", f"b{i}", "Build", "Build", 2 + i, 65) for i in range(10)]
    snap = runs_snapshot([runs_pipeline("a-pipe"), runs_pipeline("b-pipe")], executions, actions, builds)
    snap.manifest["window"]["start"] = (START - pd.Timedelta(days=30)).isoformat()
    ctx = runs_context(snap)
    assert ctx.baseline.options["projection_factor"] == pytest.approx(scale)
    found = {s.id: s for s in rounding_waste.rule(ctx)}
    assert list(found) == ["rounding-waste-build-b-medium", "rounding-waste-pipeline-b-pipe"]
    medium = found["rounding-waste-build-b-medium"]
    assert medium.monthly_saving_usd == pytest.approx(3 * scale * MEDIUM)
    assert medium.evidence["seconds_over"] == {"1": 1, "5": 1, "10": 1}  # 65.0000004 s is 5 s past a minute
    assert found["rounding-waste-pipeline-b-pipe"].monthly_saving_usd == pytest.approx(10 * scale * V2_MINUTE)
    assert ctx.notes == [
        "a-small: 1 builds ended within 10 s past a minute, but the minutes are worth $0.00/month (free tier or tiny)",
        "a-pipe: 1 action executions ended within 10 s past a minute, but the minutes are worth $0.00/month (inside "
        "the free minutes or tiny)",
    ]


def test_pipeline_type_notes_follow_the_pipelines_in_name_order() -> None:
    """Catches candidates numbered in the order the usage file lists them instead of by name (the order notes
    and suggestions are given in): zz and aa both use triggers; each would save 10 x 60 x $0.002 - $1."""
    blocked = {"type": "V2", "executions_per_month": 10, "actions": V2_ACTIONS, "triggers": True}
    ctx = context_for_usage(usage_file(pipelines={"zz": blocked, "aa": blocked}))
    assert pipeline_type.rule(ctx) == []
    assert ctx.notes == [
        f"{name}: V1 would save $0.20/month, but the pipeline uses triggers, which exist only on V2: keep V2."
        for name in ("aa", "zz")
    ]


# --- Arm: CodeBuild projects and Lambda functions -----------------------------------------------------------------

SMALL_ARM, LAMBDA_X86_GB_S, LAMBDA_ARM_GB_S = 0.0034, 0.0000166667, 0.0000133334
ARM_IMAGE = "aws/codebuild/amazonlinux2-aarch64-standard:3.0"


def test_arm_builds_every_field_by_hand_and_the_missing_arm_price_noted() -> None:
    """Catches the Arm suggestion's evidence, reason, commands or patch going wrong, and a project with no
    published Arm rate (general1.medium has none in us-east-1 in the shipped tables) suggested or not noted:
    lint's 100 builds x 3 min = 300 min move from $0.005 to arm1.small's $0.0034."""
    usage = usage_file(
        codebuild={
            "big": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 10, "minutes_per_build": 3},
            "lint": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 3},
        }
    )
    ctx = context_for_usage(usage)
    [arm] = arm_builds.rule(ctx)
    assert arm.to_dict() == {
        "id": "arm-builds-lint",
        "rule": "arm-builds",
        "title": "Run CodeBuild project lint on Arm",
        "resources": ["lint"],
        "monthly_saving_usd": pytest.approx(300 * (SMALL - SMALL_ARM)),
        "one_off_cost_usd": 0.0,
        "confidence": "medium",
        "confidence_reason": "assumes the same build duration on Graviton; the image is unknown",
        "evidence": {"billed_minutes": 300.0, "usage_types": {"Build-Min:Linux:g1.small": "Build-Min:ARM:g1.small"},
                     "image": None},
        "change": {
            "console": "CodeBuild > project > Edit > Environment: Arm, image amazonlinux2-aarch64-standard",
            "cli": f"aws codebuild update-project --name lint --environment type=ARM_CONTAINER,image={ARM_IMAGE},"
                   "computeType=<same>",
            "cloudformation": f"AWS::CodeBuild::Project Environment: {{Type: ARM_CONTAINER, Image: {ARM_IMAGE}}}",
            "terraform": f'environment {{ type = "ARM_CONTAINER"  image = "{ARM_IMAGE}" }}',
        },
        "exclusive": f"build-compute:{ACCOUNT}:{REGION}:lint",
        "usage_patch": [{"op": "set", "path": "codebuild.lint.environment_type", "value": "ARM_CONTAINER"}],
    }  # fmt: skip
    assert ctx.notes == ["big: no published Arm price for Build-Min:ARM:g1.medium in us-east-1"]
    after = applied(ctx, arm)
    assert [(row["usage_type"], row["quantity"]) for row in rows_of(after.usage_rows, "lint")] == [
        ("Build-Min:ARM:g1.small", 300.0)
    ]
    assert rows_of(after.usage_rows, "big") == rows_of(ctx.rows, "big")
    batch_matches_transform(ctx, arm)
    patched_file = arm.as_change.apply_to(load_usage(usage))
    again = estimate(patched_file, period=ctx.baseline.period, free_tier=False)
    assert again.total == pytest.approx(ctx.baseline.total - 300 * (SMALL - SMALL_ARM))


@pytest.mark.parametrize(
    ("image", "confidence", "why"),
    [
        ("aws/codebuild/standard:7.0", "medium", "the AWS standard image has an aarch64 twin"),
        ("aws/codebuild/amazonlinux2-x86_64-standard:5.0", "medium", "the AWS standard image has an aarch64 twin"),
        ("aws/codebuild/amazonlinux-x86_64-standard:5.0", "medium", "the AWS standard image has an aarch64 twin"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1", "low",
         "custom image 123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1 needs an arm64 build"),
    ],
)  # fmt: skip
def test_arm_builds_confidence_follows_the_build_image(image: str, confidence: str, why: str) -> None:
    """Catches an image read wrongly (the first entry of each project), an AWS standard image not recognised
    (medium: it has an aarch64 twin) or a custom image not lowering confidence: 5 builds x 3 min on small."""
    snap = build_snapshot(("lint", 5, 180, (0, 0, 0), "BUILD_GENERAL1_SMALL"))
    snap.tables["projects"] = snap.tables["projects"].assign(image=image)
    ctx = context_for_snapshot(snap)
    [arm] = arm_builds.rule(ctx)
    assert arm.monthly_saving_usd == pytest.approx(5 * 3 * (SMALL - SMALL_ARM))
    assert (arm.confidence, arm.evidence["image"]) == (confidence, image)
    assert arm.confidence_reason == f"assumes the same build duration on Graviton; {why}"


def test_lambda_arm64_every_field_by_hand_beside_a_function_already_on_arm() -> None:
    """Catches the arm64 suggestion's GB-seconds, commands or patch going wrong, a function already on arm64
    counted, or the rule stopping at a function too small to suggest (a-tiny): fn runs 10,000,000 requests x
    0.2 s x 1 GB = 2,000,000 GB-s, from $0.0000166667 to $0.0000133334 (requests cost the same on both)."""
    functions = {
        "a-arm": {"requests_per_month": 1_000_000, "duration_ms": 100, "memory_mb": 512, "architecture": "arm64"},
        # 1,000 x 0.1 s x 0.125 GB = 12.5 GB-s: it would save $0.00004, not worth a suggestion (and no note)
        "a-tiny": {"requests_per_month": 1000, "duration_ms": 100, "memory_mb": 128},
        "fn": {"requests_per_month": 10_000_000, "duration_ms": 200, "memory_mb": 1024},
    }
    usage = usage_file(**{"lambda": functions})
    ctx = context_for_usage(usage)
    [arm] = lambda_arm.rule(ctx)
    assert ctx.notes == []
    assert arm.to_dict() == {
        "id": "lambda-arm64-fn",
        "rule": "lambda-arm64",
        "title": "Run Lambda function fn on arm64",
        "resources": ["fn"],
        "monthly_saving_usd": pytest.approx(2_000_000 * (LAMBDA_X86_GB_S - LAMBDA_ARM_GB_S)),
        "one_off_cost_usd": 0.0,
        "confidence": "medium",
        "confidence_reason": "assumes equal duration on Graviton; native dependencies must have arm64 builds",
        "evidence": {"gb_seconds": 2_000_000.0},
        "change": {
            "console": "Lambda > function > Code > Runtime settings > Edit > Architecture: arm64",
            "cli": "aws lambda update-function-code --function-name fn --architectures arm64 --zip-file "
                   "fileb://function.zip",
            "cloudformation": "AWS::Lambda::Function  Architectures: [arm64]",
            "terraform": 'resource "aws_lambda_function" { architectures = ["arm64"] }',
        },
        "exclusive": f"lambda-arch:{ACCOUNT}:{REGION}:fn",
        "usage_patch": [{"op": "set", "path": "lambda.fn.architecture", "value": "arm64"}],
    }  # fmt: skip
    after = applied(ctx, arm)
    assert after.total == pytest.approx(ctx.baseline.total - arm.monthly_saving_usd)
    assert [row["usage_type"] for row in rows_of(after.usage_rows, "fn")] == ["Request-ARM", "Lambda-GB-Second-ARM"]
    assert rows_of(after.usage_rows, "a-arm") == rows_of(ctx.rows, "a-arm")
    batch_matches_transform(ctx, arm)
    again = estimate(arm.as_change.apply_to(load_usage(usage)), period=ctx.baseline.period, free_tier=False)
    assert again.total == pytest.approx(after.total)


# --- CodeBuild Lambda compute (priced with a made-up per-second rate) ----------------------------------------------

LAMBDA_4GB_RATE = 0.00005  # TEST figure per second, not a real price
LAMBDA_4GB = "Build-Sec:Linux:Lambda:x86-64.4GB"


def test_lambda_compute_every_field_by_hand(tmp_path: Path) -> None:
    """Catches the Lambda-compute suggestion's evidence, reason, commands or patch going wrong, and its row edit
    moving the minutes with the wrong type, unit, component or factor: quick's 1,000 builds of 2.5 min bill
    1,000 x ceil(2.5) = 3,000 min x $0.005 on general1.small (3 GB) and 1,000 x 150 s on the 4 GB Lambda size."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", LAMBDA_4GB_RATE))
    usage = usage_file(
        codebuild={
            "quick": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 1000, "minutes_per_build": 2.5}
        }
    )
    ctx = context_for_usage(usage, book)
    [fast] = not_priced.lambda_compute(ctx)
    constraints = not_priced.LAMBDA_CONSTRAINTS
    assert constraints[0] == "builds must finish within 15 minutes (the Lambda limit)"
    assert fast.to_dict() == {
        "id": f"lambda-compute-{ACCOUNT}-{REGION}-quick",
        "rule": "lambda-compute",
        "title": "Run CodeBuild project quick on Lambda compute (BUILD_LAMBDA_4GB)",
        "resources": ["quick"],
        "monthly_saving_usd": pytest.approx(3000 * SMALL - 1000 * 150 * LAMBDA_4GB_RATE),
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": "assumes each build takes as long on Lambda as on EC2 (Lambda starts faster, but its CPU "
        "share follows memory); costkit cannot see whether the build meets the constraints: " + "; ".join(constraints),
        "evidence": {
            "compute_type": "BUILD_GENERAL1_SMALL",
            "suggested_compute_type": "BUILD_LAMBDA_4GB",
            "builds": 1000.0,
            "longest_build_minutes": 2.5,
            "billed_seconds": 1000 * 150.0,
            "billing": "per second, each build's measured seconds rounded up",
            "constraints": constraints,
            "price_source": "price book (not in the shipped tables)",
        },
        "change": {
            "console": "CodeBuild > project > Edit > Environment: Compute Lambda, BUILD_LAMBDA_4GB, a Lambda image for "
            "your runtime",
            "cli": "aws codebuild update-project --name quick --environment type=LINUX_LAMBDA_CONTAINER,"
            "computeType=BUILD_LAMBDA_4GB,image=<lambda image>",
            "cloudformation": "AWS::CodeBuild::Project  Environment: {Type: LINUX_LAMBDA_CONTAINER, ComputeType: "
            "BUILD_LAMBDA_4GB, Image: <lambda image>}",
            "terraform": 'environment { type = "LINUX_LAMBDA_CONTAINER"  compute_type = "BUILD_LAMBDA_4GB"  image = '
            '"<lambda image>" }',
        },
        "exclusive": f"build-compute:{ACCOUNT}:{REGION}:quick",
        "usage_patch": [
            {"op": "set", "path": "codebuild.quick.compute_type", "value": "BUILD_LAMBDA_4GB"},
            {"op": "set", "path": "codebuild.quick.environment_type", "value": "LINUX_LAMBDA_CONTAINER"},
        ],
    }
    after = applied(ctx, fast)
    assert rows_of(after.usage_rows, "quick") == [
        {"service": "CodeBuild", "resource": "quick", "component": "BUILD_LAMBDA_4GB / LINUX_LAMBDA_CONTAINER",
         "pipeline": None, "usage_type": LAMBDA_4GB, "quantity": 150_000.0, "unit": "Second", "meter": None},
    ]  # fmt: skip
    batch_matches_transform(ctx, fast)
    again = estimate(fast.as_change.apply_to(load_usage(usage, pricebook=book)), period=ctx.baseline.period,
                     free_tier=False, pricebook=book)  # fmt: skip
    assert again.total == pytest.approx(after.total)


def test_lambda_arm64_without_a_published_arm_rate_is_a_note(tmp_path: Path) -> None:
    """Catches a function whose arm64 GB-second rate is missing suggested, or noted without its name and region
    (the price tables without Lambda-GB-Second-ARM in us-east-1)."""
    book = book_without(tmp_path, "lambda", "Lambda-GB-Second-ARM")
    usage = usage_file(**{"lambda": {"fn": {"requests_per_month": 10_000_000, "duration_ms": 200, "memory_mb": 1024}}})
    ctx = context_for_usage(usage, book)
    assert lambda_arm.rule(ctx) == []
    assert ctx.notes == ["fn: no published arm64 Lambda price in us-east-1"]
