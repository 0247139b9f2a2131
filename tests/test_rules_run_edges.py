"""Run-based savings rules (idle pipelines, wasted runs, rounding waste) checked where a mutation run found them
untested: what a rule attributes to a resource when another account or a project shares its name, the commands
for pipelines with no or several artifact buckets, thresholds on both sides, and the fields a user reads.

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): CodePipeline V1 $1.00 per active
pipeline-month, V2 $0.002 per action minute; CodeBuild Linux general1.small $0.005, medium $0.01 per minute.
Free tiers off unless stated. Each test's docstring names the bugs it catches.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from test_rules_runs import (
    ACCOUNT,
    OCTOBER_END,
    REGION,
    STANDARD_GB,
    START,
    V2_MINUTE,
    action,
    build,
    by_id,
    context,
    execution,
    idle_snapshot,
    pipeline,
)
from test_savings_edges import MEDIUM, SMALL, V1_MONTH, applied

from costkit.optimize.rules import idle_pipelines, rounding_waste, wasted_runs
from costkit.sources.snapshot.folder import Snapshot

OTHER_ACCOUNT = "444455556666"


def snapshot_of(
    end: pd.Timestamp = OCTOBER_END, start: pd.Timestamp = START, **tables: list[dict[str, Any]]
) -> Snapshot:
    """A snapshot whose records may name their own account (default: ACCOUNT in us-east-1)."""
    frames = {name: pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])
              for name, records in tables.items()}  # fmt: skip
    for name in ("pipelines", "pipeline_executions", "action_executions", "builds"):
        frames.setdefault(name, pd.DataFrame())
    return Snapshot(tables=frames, manifest={"window": {"start": start.isoformat(), "end": end.isoformat()}})


# --- idle pipelines -----------------------------------------------------------------------------------------------


def test_idle_pipeline_keeps_a_twin_in_another_account_and_a_project_of_its_name() -> None:
    """Catches the rows of an idle pipeline taken from another account (a pipeline `old` there that succeeded)
    or from a CodeBuild project that only shares its name (built outside any pipeline), the delete commands of
    a pipeline with two artifact buckets or none, and a creation date shown in its own offset, not UTC.
    old and bare (V1, each with one failed or stopped execution) cost $1.00 each; the twin costs $1.00 and the
    project `old` 2 minutes x $0.005."""
    old = {**pipeline("old", "V1"), "artifact_buckets": "art-a,art-b", "created": "2025-06-01T02:00:00+02:00"}
    bare = {**pipeline("bare", "V1"), "artifact_buckets": ""}
    twin = {**pipeline("old", "V1"), "account": OTHER_ACCOUNT}
    executions = [
        execution("old", "o1", "Failed", 2),
        execution("bare", "x1", "Stopped", 3),
        {**execution("old", "t1", "Succeeded", 4), "account": OTHER_ACCOUNT},
    ]
    builds = [build("old", "h1", 5, 100, compute="BUILD_GENERAL1_SMALL")]  # 100 s: 2 billed minutes
    ctx = context(snapshot_of(pipelines=[old, bare, twin], pipeline_executions=executions, builds=builds))
    assert ctx.baseline.total == pytest.approx(3 * V1_MONTH + 2 * SMALL)
    found = by_id(idle_pipelines.rule(ctx))
    assert list(found) == ["idle-pipelines-old", "idle-pipelines-bare"]
    idle = found["idle-pipelines-old"]
    assert idle.monthly_saving_usd == pytest.approx(V1_MONTH)
    assert idle.evidence["created"] == "2025-06-01T00:00:00+00:00"
    assert idle.evidence["artifact_buckets"] == ["art-a", "art-b"]
    assert idle.evidence["cost_by_service_usd"] == {"CodePipeline": V1_MONTH}
    assert idle.evidence["rows_removed"] == 1
    assert idle.change["console"] == (
        "CodePipeline > Pipelines > old > Delete pipeline; then delete the EventBridge rule or schedule that starts it "
        "and its artifacts (folder old/ in art-a, art-b)"
    )
    assert idle.change["cli"] == (
        "aws codepipeline delete-pipeline --name old; aws s3 rm s3://art-a/old/ --recursive; "
        "aws s3 rm s3://art-b/old/ --recursive"
    )
    bare_one = found["idle-pipelines-bare"]
    assert bare_one.monthly_saving_usd == pytest.approx(V1_MONTH)
    assert bare_one.evidence["artifact_buckets"] == []
    assert bare_one.change["console"] == (
        "CodePipeline > Pipelines > bare > Delete pipeline; then delete the EventBridge rule or schedule that starts "
        "it and its artifacts (folder bare/ in its bucket)"
    )
    assert bare_one.change["cli"] == "aws codepipeline delete-pipeline --name bare"
    for suggestion in found.values():
        after = applied(ctx, suggestion)
        # Only the pipeline's own $1.00: the twin's month and the project's 2 minutes stay.
        assert after.total == pytest.approx(2 * V1_MONTH + 2 * SMALL)
        assert list(after.usage_rows.columns) == list(ctx.rows.columns)
        batch_matches_transform(ctx, suggestion)


def test_idle_pipelines_of_a_short_window_with_unknown_statuses_and_dates() -> None:
    """Catches the rule stopping at a pipeline too cheap to suggest (quiet, first) instead of going on, the
    evidence of a pipeline with no executions at all (ghost: its build was started by it, its executions are
    not in the window) taken from another pipeline's executions, an unknown status or trigger left out instead
    of counted as "?", an unknown creation date shown as "NaT", and the window's days rounded to other than one
    decimal. A window of 10.25 days, projected x 31 / 10.25: ghost's one 100-second general1.small build bills
    2 minutes x 31 / 10.25 x $0.005; old (V1) costs its $1.00 pipeline-month."""
    quiet = pipeline("quiet")
    ghost = {**pipeline("ghost"), "created": None}
    old = pipeline("old", "V1")
    executions = [{**execution("old", "o1", "Failed", 2), "status": None, "trigger_type": None}]
    builds = [build("ghost-build", "g1", 5, 100, "FAILED", "codepipeline/ghost", "BUILD_GENERAL1_SMALL")]
    end = START + pd.Timedelta(days=10.25)
    ctx = context(snapshot_of(end, pipelines=[quiet, ghost, old], pipeline_executions=executions, builds=builds))
    scale = 31 / 10.25
    assert ctx.baseline.options["projection_factor"] == pytest.approx(scale)
    found = by_id(idle_pipelines.rule(ctx))
    assert list(found) == ["idle-pipelines-ghost", "idle-pipelines-old"]
    assert ctx.notes == [
        "quiet: no successful run in the 10-day window; it costs nothing now, delete it to keep the account tidy"
    ]
    ghost_one = found["idle-pipelines-ghost"]
    assert ghost_one.monthly_saving_usd == pytest.approx(2 * scale * SMALL)
    assert ghost_one.evidence == {
        "finding": "no successful run in the 10-day window",
        "window_days": 10.2,
        "executions_in_window": {},
        "triggers_in_window": {},
        "pipeline_type": "V2",
        "created": None,
        "artifact_buckets": ["artifacts"],
        "cost_by_service_usd": {"CodeBuild": pytest.approx(2 * scale * SMALL)},
        "rows_removed": 1,
    }
    old_one = found["idle-pipelines-old"]
    assert old_one.monthly_saving_usd == pytest.approx(V1_MONTH)
    assert old_one.evidence["executions_in_window"] == {"?": 1}
    assert old_one.evidence["triggers_in_window"] == {"?": 1}
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_idle_pipeline_over_exactly_sixty_days_is_idle_for_sure() -> None:
    """Catches the 60 days that make a pipeline idle counted as a short window when the window is exactly 60
    days (2026-09-02 .. 2026-11-01): the finding, the medium confidence and its reason. old (V1) only failed: its
    pipeline-month, 2 builds x 2 minutes of general1.small projected x 31 / 60, 2 of 3 executions' share of 10 GB."""
    ctx = context(idle_snapshot(start_days_before=29))
    scale = 31 / 60
    assert ctx.baseline.options["projection_factor"] == pytest.approx(scale)
    [idle] = idle_pipelines.rule(ctx)
    assert idle.monthly_saving_usd == pytest.approx(V1_MONTH + 2 * 2 * scale * SMALL + 10 * 2 / 3 * STANDARD_GB)
    assert idle.title == "Delete idle pipeline old (no successful run in 60 days)"
    assert idle.evidence["finding"] == "no successful run in 60 days"
    assert idle.evidence["window_days"] == 60.0
    assert idle.confidence == "medium"
    assert idle.confidence_reason == (
        "no successful run in 60 days; it may be kept for rollbacks or rare releases; the artifact share is by "
        "executions"
    )
    docs = "docs: no successful run in 60 days; it costs nothing now, delete it to keep the account tidy"
    assert ctx.notes[-1] == docs


# --- wasted runs --------------------------------------------------------------------------------------------------

CFN_TRIGGERS = (
    "AWS::CodePipeline::Pipeline  Triggers: [{ProviderType: CodeStarSourceConnection, GitConfiguration: "
    "{SourceActionName: Source, Push: [{Branches: {Includes: [main]}, FilePaths: {Includes: ['src/**']}}]}}]"
)
TF_TRIGGERS = (
    'trigger { provider_type = "CodeStarSourceConnection"  git_configuration { source_action_name = "Source"  '
    'push { branches { includes = ["main"] }  file_paths { includes = ["src/**"] } } } }'
)


def test_wasted_runs_of_a_parallel_pipeline_after_one_with_no_billed_actions() -> None:
    """Catches the per-candidate action minutes not aligned to the candidates when the first (aaa: a failed
    execution that ran no action) has none, a PARALLEL pipeline not told to use SUPERSEDED mode, a SUPERSEDED one
    given the ExecutionMode line in CloudFormation or Terraform anyway, and an unknown trigger not counted as "?".
    app (V2, PARALLEL): two failed executions, each one 170-second Build action (3 minutes x $0.002); calm (V2,
    SUPERSEDED): one stopped execution with the same action."""
    pipelines = [pipeline("aaa", mode="PARALLEL"), pipeline("app", mode="PARALLEL"), pipeline("calm")]
    executions = [
        execution("aaa", "a0", "Failed", 1),
        {**execution("app", "p0", "Failed", 2), "trigger_type": None},
        execution("app", "p1", "Failed", 3),
        execution("calm", "c0", "Stopped", 4),
    ]
    actions = [
        action("app", "p0", "Build", "Build", 2, 170),
        action("app", "p1", "Build", "Build", 3, 170),
        action("calm", "c0", "Build", "Build", 4, 170),
    ]
    ctx = context(snapshot_of(pipelines=pipelines, pipeline_executions=executions, action_executions=actions))
    found = by_id(wasted_runs.rule(ctx))
    assert list(found) == ["wasted-runs-pipeline-app", "wasted-runs-pipeline-calm"]
    app = found["wasted-runs-pipeline-app"]
    assert app.monthly_saving_usd == pytest.approx(2 * 3 * V2_MINUTE)
    assert app.confidence == "low"  # none of the two was stopped or superseded
    assert app.evidence["wasted_triggers"] == {"?": 1, "Webhook": 1}
    assert app.evidence["wasted_action_minutes"] == 2 * 3.0
    assert app.evidence["execution_mode"] == "PARALLEL"
    assert app.change["cli"].endswith('"src/**"]}}]}}], "executionMode": "SUPERSEDED"')
    assert app.change["cloudformation"] == CFN_TRIGGERS + "  ExecutionMode: SUPERSEDED"
    assert app.change["terraform"] == TF_TRIGGERS + '  execution_mode = "SUPERSEDED"'
    assert "Execution mode: SUPERSEDED so stale runs stop early" in app.change["console"]
    calm = found["wasted-runs-pipeline-calm"]
    assert calm.monthly_saving_usd == pytest.approx(3 * V2_MINUTE)
    assert calm.evidence["wasted_action_minutes"] == 3.0
    assert calm.confidence == "medium"  # 1 of 1 was stopped
    assert calm.change["cli"].endswith('"src/**"]}}]}}]')
    assert calm.change["cloudformation"] == CFN_TRIGGERS
    assert calm.change["terraform"] == TF_TRIGGERS
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_wasted_runs_of_a_pipeline_whose_execution_mode_was_not_collected() -> None:
    """Catches a pipeline with no recorded execution mode (a snapshot without the column) not taken as AWS's
    default SUPERSEDED: its evidence and its change. One failed execution of one 170-second Build action.
    The column is then all empty (float64): filling it with a text must not warn (pandas 4 raises)."""
    quiet = {key: value for key, value in pipeline("app").items() if key != "execution_mode"}
    ctx = context(
        snapshot_of(
            pipelines=[quiet],
            pipeline_executions=[execution("app", "e0", "Failed", 1)],
            action_executions=[action("app", "e0", "Build", "Build", 1, 170)],
        )
    )
    [runs] = wasted_runs.rule(ctx)
    assert runs.monthly_saving_usd == pytest.approx(3 * V2_MINUTE)
    assert runs.evidence["execution_mode"] == "SUPERSEDED"
    assert runs.change["cloudformation"] == CFN_TRIGGERS


def test_wasted_runs_note_a_tiny_pipeline_and_go_on_to_one_missing_from_the_inventory() -> None:
    """Catches the note of a pipeline whose wasted runs are worth less than a cent (a-tiny: one failed execution,
    one 30-second Source action: 1 minute x $0.002) going missing or reworded, the rule stopping there instead
    of going on, and a pipeline whose executions were collected but which is not in the pipelines table (gone)
    failing or not shown as of unknown type and mode. gone's failed execution started one 300-second
    general1.medium build: 5 minutes x $0.01 (its unknown type bills no action minutes)."""
    executions = [execution("a-tiny", "t0", "Failed", 1), execution("gone", "g0", "Failed", 2)]
    actions = [
        action("a-tiny", "t0", "Source", "Source", 1, 30),
        action("gone", "g0", "Build", "Build", 2, 170, external="gb0"),
    ]
    builds = [build("gone-build", "gb0", 2, 300, "FAILED", "codepipeline/gone")]
    ctx = context(
        snapshot_of(
            pipelines=[pipeline("a-tiny")], pipeline_executions=executions, action_executions=actions, builds=builds
        )
    )
    [gone] = wasted_runs.rule(ctx)
    assert ctx.notes == [
        "a-tiny: 1 executions delivered nothing ({'Failed': 1}), but their minutes are worth $0.00/month (free tier "
        "or tiny)"
    ]
    assert gone.id == "wasted-runs-pipeline-gone"
    assert gone.monthly_saving_usd == pytest.approx(5 * MEDIUM)
    assert gone.resources == ["gone", "gone-build"]
    assert (gone.evidence["pipeline_type"], gone.evidence["execution_mode"]) == ("?", "?")
    assert gone.evidence["wasted_build_minutes"] == {"gone-build": 5.0}
    assert gone.change["console"] == (
        "CodePipeline > gone: fix or stop the failing runs; trigger filters (branches, file paths) need pipeline "
        "type V2"
    )
    batch_matches_transform(ctx, gone)


ARM_SMALL = 0.0034  # CodeBuild ARM general1.small per minute, us-east-1


def test_wasted_builds_outside_a_pipeline_every_field_by_hand() -> None:
    """Catches the project suggestions' fields (title, rule, resources, reason, exclusive key, evidence: builds,
    statuses, initiators with an unknown one as "?", billed units and their unit) left out or changed, builds of
    the first project (candidate 0) not counted, the rule stopping at a project with no wasted build (b-ok) or at
    one too cheap to suggest (c-tiny: one failed 30-second ARM general1.small build, 1 minute x $0.0034), and that
    one's note. a-app: a failed 240-second and a timed-out 60-second general1.medium build, (4 + 1) minutes x
    $0.01, beside a successful one; d-last: one stopped 60-second build, 1 minute x $0.01."""
    builds = [
        build("a-app", "a1", 1, 240, "FAILED", "GitHub-Hookshot/abc"),
        {**build("a-app", "a2", 2, 60, "TIMED_OUT"), "initiator": None},
        build("a-app", "a3", 3, 120),
        build("b-ok", "b1", 1, 120),
        {**build("c-tiny", "c1", 1, 30, "FAILED", compute="BUILD_GENERAL1_SMALL"), "environment_type": "ARM_CONTAINER"},
        build("d-last", "d1", 1, 60, "STOPPED"),
    ]
    ctx = context(snapshot_of(builds=builds))
    found = by_id(wasted_runs.rule(ctx))
    assert list(found) == ["wasted-runs-project-a-app", "wasted-runs-project-d-last"]
    assert ctx.notes == [
        "c-tiny: 1 builds outside a pipeline delivered nothing ({'FAILED': 1}), but their minutes are worth "
        "$0.00/month (free tier or tiny)"
    ]
    assert 1 * ARM_SMALL < 0.005  # less than a cent rounds to $0.00: a note, not a suggestion
    app = found["wasted-runs-project-a-app"]
    assert app.monthly_saving_usd == pytest.approx((4 + 1) * MEDIUM)
    assert app.to_dict() == {
        "id": "wasted-runs-project-a-app",
        "rule": "wasted-runs",
        "title": "Avoid builds of CodeBuild project a-app that deliver nothing: 2 of 3 builds outside a pipeline "
        "failed or were stopped",
        "resources": ["a-app"],
        "monthly_saving_usd": app.monthly_saving_usd,
        "one_off_cost_usd": 0.0,
        "confidence": "low",
        "confidence_reason": "the cost of every failed, stopped or timed-out build; an upper bound, since a failing "
        "build is often doing its job, and webhook filters only avoid builds of irrelevant pushes",
        "evidence": {
            "builds": 3,
            "wasted_builds": {"FAILED": 1, "TIMED_OUT": 1},
            "initiators": {"?": 1, "GitHub-Hookshot/abc": 1},
            "wasted_billed_units": 4 + 1.0,
            "unit": ["Minute"],
            "projection_factor": 1.0,
        },
        "change": app.change,  # the webhook commands: test_savings_edges checks them
        "exclusive": f"project-runs:{ACCOUNT}:{REGION}:a-app",
        "usage_patch": [],
    }
    last = found["wasted-runs-project-d-last"]
    assert last.monthly_saving_usd == pytest.approx(1 * MEDIUM)
    assert last.title == (
        "Avoid builds of CodeBuild project d-last that deliver nothing: 1 of 1 builds outside a pipeline failed or "
        "were stopped"
    )
    assert last.evidence["wasted_builds"] == {"STOPPED": 1}
    for suggestion in found.values():
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_wasted_runs_of_builds_without_a_price_are_noted_as_not_priced() -> None:
    """Catches the "not priced" notes of wasted runs going missing (None): builds on a compute type costkit has
    no usage type for (BUILD_GENERAL9_HUGE) are unpriced, and taking the failed builds' minutes off rows that
    keep the successful builds' minutes leaves unpriced minutes, so neither the pipeline (app: a failed and a
    succeeded execution, each starting a 65-second build) nor the project built outside it (lam: a failed and a
    successful build) gets a saving; each gets a note instead."""
    huge = "BUILD_GENERAL9_HUGE"
    builds = [
        build("lam", "l0", 1, 65, "FAILED", compute=huge),
        build("lam", "l1", 2, 65, compute=huge),
        build("lamp", "l2", 1, 65, "FAILED", "codepipeline/app", compute=huge),
        build("lamp", "l3", 2, 65, "SUCCEEDED", "codepipeline/app", compute=huge),
    ]
    executions = [execution("app", "e0", "Failed", 1), execution("app", "e1", "Succeeded", 2)]
    actions = [
        action("app", "e0", "Build", "Build", 1, 65, external="l2"),
        action("app", "e1", "Build", "Build", 2, 65, external="l3"),
    ]
    ctx = context(
        snapshot_of(
            pipelines=[pipeline("app")], pipeline_executions=executions, action_executions=actions, builds=builds
        )
    )
    assert wasted_runs.rule(ctx) == []
    assert ctx.notes == [
        "app: wasted runs not priced (a price is missing in us-east-1)",
        "lam: wasted builds not priced (missing CodeBuild price in us-east-1)",
    ]


# --- rounding waste -----------------------------------------------------------------------------------------------


def test_rounding_waste_of_builds_without_a_price_is_noted_as_not_priced() -> None:
    """Catches the "not priced" note of rounding waste going missing (None), a note docs/mutation/rules.md took
    for unreachable: a build on a compute type costkit has no usage type for (BUILD_GENERAL9_HUGE), 65 seconds
    (2 billed minutes, 5 s past one), lowered by one minute still bills an unpriced minute, so there is no saving,
    only the note. (Beside a priced build, ok: 131 s, 11 s past a minute, no candidate. Without one the rule
    fails: the usage_type columns it matches on are float64, all empty, and text.)"""
    builds = [build("huge", "h1", 1, 65, compute="BUILD_GENERAL9_HUGE"), build("ok", "o1", 1, 131)]
    ctx = context(snapshot_of(builds=builds))
    assert rounding_waste.rule(ctx) == []
    assert ctx.notes == ["huge: rounding waste not priced (missing CodeBuild price in us-east-1)"]
