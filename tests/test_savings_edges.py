"""Savings rules checked where a mutation run found them untested: every field a user reads or acts on, the
row edit a suggestion carries (what `suggest` composes and `Suggestion.as_change` applies), candidates that are
not suggested beside ones that are, and the evidence figures.

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): CodePipeline V1 $1.00 per active
pipeline-month, V2 $0.002 per action minute; CodeBuild Linux general1.small $0.005, medium $0.01, large $0.02
per minute. Free tiers off unless stated. Each test's docstring names the bug it catches.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from test_rules_builds_storage import ACCOUNT, context_for_usage, usage_file
from test_rules_runs import action as runs_action
from test_rules_runs import at, build
from test_rules_runs import context as runs_context
from test_rules_runs import execution as runs_execution
from test_rules_runs import pipeline as runs_pipeline
from test_rules_runs import snapshot as runs_snapshot

from costkit.estimate import Estimate, estimate
from costkit.optimize.base import Context, Suggestion
from costkit.optimize.rules import pipeline_type, rounding_waste
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.usage_file.load import load_usage
from costkit.tables import PriceBook, load_pricebook, pricing_dir

REGION = "us-east-1"
V1_MONTH, V2_MINUTE, SMALL, MEDIUM, LARGE = 1.00, 0.002, 0.005, 0.01, 0.02
LABELS = ["service", "resource", "component", "pipeline", "usage_type", "quantity", "unit", "meter"]


def rows_of(frame: pd.DataFrame, resource: str) -> list[dict[str, Any]]:
    """The usage rows (or priced lines) of one resource: the label, attribution and quantity fields."""
    mine = frame[frame["resource"] == resource]
    columns = [column for column in LABELS if column in mine]
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in mine[columns].to_dict("records")]


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
