"""Run-based savings rules on small hand-built snapshots: rounding waste, wasted runs, idle pipelines.

Every saving is written out as price x quantity. Prices (us-east-1): CodePipeline V2 $0.002 per action
minute (100 free per account, switched off here with free_tier=False unless a test is about it), V1 $1 per
active pipeline-month; CodeBuild general1.medium $0.01/min, general1.small $0.005/min; S3 Standard
$0.023/GB-month.
"""

from __future__ import annotations

from typing import Any

import batch_checks
import pandas as pd
import pytest
from batch_checks import reprice_whole

from costkit import Period, estimate, load_pricebook
from costkit.optimize.base import Context, Rule, Suggestion
from costkit.optimize.rules import idle_pipelines, rounding_waste, wasted_runs
from costkit.sources.snapshot.folder import Snapshot

ACCOUNT = "111122223333"
REGION = "us-east-1"
START = pd.Timestamp("2026-10-01", tz="UTC")
OCTOBER_END = pd.Timestamp("2026-11-01", tz="UTC")
V2_MINUTE, V1_MONTH, MEDIUM, SMALL, STANDARD_GB = 0.002, 1.0, 0.01, 0.005, 0.023
GIB = 1024.0**3


def at(day: float) -> pd.Timestamp:
    return START + pd.Timedelta(days=day)


def pipeline(
    name: str, kind: str = "V2", mode: str = "SUPERSEDED", created: pd.Timestamp | None = None
) -> dict[str, Any]:
    return {
        "pipeline": name, "pipeline_type": kind, "execution_mode": mode, "version": 1,
        "created": created if created is not None else START - pd.Timedelta(days=400), "updated": START,
        "artifact_buckets": "artifacts", "has_triggers": False, "has_variables": False,
    }  # fmt: skip


def execution(name: str, execution_id: str, status: str, day: float, trigger: str = "Webhook") -> dict[str, Any]:
    return {
        "pipeline": name, "execution_id": execution_id, "status": status, "trigger_type": trigger,
        "execution_type": "STANDARD", "start": at(day), "last_update": at(day) + pd.Timedelta(hours=1),
    }  # fmt: skip


def action(
    name: str, execution_id: str, act: str, category: str, day: float, seconds: float, external: str | None = None
) -> dict[str, Any]:
    start = at(day)
    return {
        "pipeline": name, "execution_id": execution_id, "action_execution_id": f"{execution_id}-{act}",
        "stage": act, "action": act, "category": category, "owner": "AWS", "provider": "CodeBuild",
        "start": start, "last_update": start + pd.Timedelta(seconds=seconds), "status": "Succeeded",
        "external_execution_id": external,
    }  # fmt: skip


def build(
    project: str,
    build_id: str,
    day: float,
    seconds: float,
    status: str = "SUCCEEDED",
    initiator: str = "alice",
    compute: str = "BUILD_GENERAL1_MEDIUM",
) -> dict[str, Any]:
    start = at(day)
    return {
        "project": project, "build_id": build_id, "build_number": 1, "status": status, "start": start,
        "end": start + pd.Timedelta(seconds=seconds), "compute_type": compute, "environment_type": "LINUX_CONTAINER",
        "fleet_arn": None, "initiator": initiator, "from_pipeline": initiator.startswith("codepipeline/"),
        "provisioning_start": start, "billed_start": start, "billable_seconds": seconds,
    }  # fmt: skip


def snapshot(
    pipelines: list[dict[str, Any]] | None = None,
    executions: list[dict[str, Any]] | None = None,
    actions: list[dict[str, Any]] | None = None,
    builds: list[dict[str, Any]] | None = None,
    storage_gib: float = 0.0,
    end: pd.Timestamp = OCTOBER_END,
) -> Snapshot:
    def table(records: list[dict[str, Any]] | None) -> pd.DataFrame:
        return pd.DataFrame([{**r, "account": ACCOUNT, "region": REGION} for r in records or []])

    tables = {
        "pipelines": table(pipelines),
        "pipeline_executions": table(executions),
        "action_executions": table(actions),
        "builds": table(builds),
    }
    if storage_gib:
        tables["bucket_storage"] = table(
            [{"bucket": "artifacts", "storage_type": "StandardStorage", "avg_bytes": storage_gib * GIB}]
        )
    return Snapshot(tables=tables, manifest={"window": {"start": START.isoformat(), "end": end.isoformat()}})


def context(snap: Snapshot, free_tier: bool = False) -> Context:
    book = load_pricebook()
    return Context(baseline=estimate(snap, free_tier=free_tier, pricebook=book), pricebook=book)


def wiring_reprice_matches_saving(ctx: Context, suggestion: Suggestion) -> None:
    """The shared wiring check (batch_checks), and a snapshot's suggestion carries no usage-file patch."""
    batch_checks.wiring_reprice_matches_saving(ctx, suggestion)
    assert suggestion.usage_patch == []


def by_id(found: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.id: s for s in found}


# --- rounding waste ---------------------------------------------------------------------------------------


def rounding_snapshot() -> Snapshot:
    builds = [
        build("app-build", "b1", 1, 121),  # 3 min, 1 s over: waste
        build("app-build", "b2", 2, 130),  # 3 min, 10 s over: waste (the threshold is inclusive)
        build("app-build", "b3", 3, 131),  # 3 min, 11 s over: not
        build("app-build", "b4", 4, 120),  # 2 min exactly: not
        build("app-build", "b5", 5, 59),  # 1 min, the minimum: nothing to save
        build("app-build", "b6", 6, 65),  # 2 min, 5 s over: waste
    ]
    actions = []
    for i in range(3):
        e = f"e{i}"
        actions += [
            action("app", e, "Source", "Source", 10 + i, 20),  # 1 min: the minimum
            action("app", e, "Build", "Build", 10 + i, 185),  # 4 min, 5 s over: waste
            action("app", e, "Deploy", "Deploy", 10 + i, 61),  # 2 min, 1 s over: waste
            action("app", e, "Approve", "Approval", 10 + i, 3605),  # not charged at all
        ]
    executions = [execution("app", f"e{i}", "Succeeded", 10 + i) for i in range(3)]
    return snapshot([pipeline("app")], executions, actions, builds)


def test_rounding_waste_per_project_and_per_pipeline() -> None:
    ctx = context(rounding_snapshot())
    found = by_id(rounding_waste.rule(ctx))
    assert set(found) == {"rounding-waste-build-app-build", "rounding-waste-pipeline-app"}

    project = found["rounding-waste-build-app-build"]
    assert project.monthly_saving_usd == pytest.approx(3 * MEDIUM)  # b1, b2, b6: one minute each
    assert project.confidence == "low"
    assert project.evidence["runs"] == 6
    assert project.evidence["runs_near_boundary"] == 3
    assert project.evidence["seconds_over"] == {"1": 1, "5": 1, "10": 1}
    assert project.evidence["billed_minutes"] == 3 + 3 + 3 + 2 + 1 + 2
    assert project.evidence["measured_minutes"] == pytest.approx((121 + 130 + 131 + 120 + 59 + 65) / 60, abs=0.01)
    assert project.exclusive == f"project-runs:{ACCOUNT}:{REGION}:app-build"  # shared with wasted runs
    assert "update-project --name app-build" in project.change["cli"]
    wiring_reprice_matches_saving(ctx, project)

    flow = found["rounding-waste-pipeline-app"]
    assert flow.monthly_saving_usd == pytest.approx(3 * 2 * V2_MINUTE)  # Build and Deploy in each of 3 runs
    assert flow.evidence["runs"] == 9  # approvals are not billed, so not counted
    assert flow.evidence["billed_minutes"] == 3 * (1 + 4 + 2)
    assert flow.evidence["actions"] == ["Build (Build)", "Deploy (Deploy)"]
    wiring_reprice_matches_saving(ctx, flow)


def test_rounding_waste_does_not_fire_off_the_boundary_or_inside_the_free_minutes() -> None:
    builds = [build("app-build", "b1", 1, 131), build("app-build", "b2", 2, 180), build("app-build", "b3", 3, 45)]
    actions = [action("app", "e0", "Build", "Build", 1, 185), action("app", "e0", "Approve", "Approval", 1, 61)]
    snap = snapshot([pipeline("app")], [execution("app", "e0", "Succeeded", 1)], actions, builds)
    ctx = context(snap, free_tier=True)
    found = rounding_waste.rule(ctx)
    # The builds end 11 s, 0 s past a minute and under one minute; the 1 action minute that could go is inside
    # the 100 free action minutes, so it saves nothing: a note, not a suggestion.
    assert found == []
    assert any(note.startswith("app: 1 action executions ended within 10 s") for note in ctx.notes)


# --- wasted runs ------------------------------------------------------------------------------------------


def wasted_snapshot(end: pd.Timestamp = OCTOBER_END) -> Snapshot:
    executions, actions, builds = [], [], []
    for i, status in enumerate(["Succeeded", "Failed", "Superseded", "Stopped"]):
        e = f"e{i}"
        executions.append(execution("app", e, status, 1 + i))
        actions += [
            action("app", e, "Source", "Source", 1 + i, 30),  # 1 min
            action("app", e, "Build", "Build", 1 + i, 170, external=f"app-build:{i}"),  # 3 min
        ]
        build_status = {"Failed": "FAILED", "Stopped": "STOPPED"}.get(status, "SUCCEEDED")
        builds.append(build("app-build", f"app-build:{i}", 1 + i, 300, build_status, "codepipeline/app"))  # 5 min
    builds += [
        build("app-build", "hook-1", 8, 240, "FAILED", "GitHub-Hookshot/abc"),  # 4 min, outside the pipeline
        build("app-build", "hook-2", 9, 240, "SUCCEEDED", "GitHub-Hookshot/abc"),
    ]
    return snapshot([pipeline("app", mode="QUEUED")], executions, actions, builds, end=end)


def test_wasted_runs_price_the_executions_and_the_builds_they_started() -> None:
    ctx = context(wasted_snapshot())
    found = by_id(wasted_runs.rule(ctx))
    assert set(found) == {"wasted-runs-pipeline-app", "wasted-runs-project-app-build"}

    runs = found["wasted-runs-pipeline-app"]
    # 3 wasted executions x (1 + 3 action minutes) and the 3 builds they started x 5 minutes.
    assert runs.monthly_saving_usd == pytest.approx(3 * 4 * V2_MINUTE + 3 * 5 * MEDIUM)
    assert runs.evidence["wasted_executions"] == {"Failed": 1, "Stopped": 1, "Superseded": 1}
    assert runs.evidence["wasted_action_minutes"] == 12
    assert runs.evidence["wasted_build_minutes"] == {"app-build": 15}
    assert runs.confidence == "medium"  # 2 of 3 were stopped or superseded
    assert "not all failures are avoidable" in runs.confidence_reason
    assert runs.resources == ["app", "app-build"]
    assert runs.exclusive == f"pipeline-runs:{ACCOUNT}:{REGION}:app"
    assert "SUPERSEDED" in runs.change["cloudformation"]  # the pipeline runs in QUEUED mode
    assert "filePaths" in runs.change["cli"]
    wiring_reprice_matches_saving(ctx, runs)

    hooks = found["wasted-runs-project-app-build"]
    assert hooks.monthly_saving_usd == pytest.approx(4 * MEDIUM)
    assert hooks.confidence == "low"
    assert hooks.evidence["initiators"] == {"GitHub-Hookshot/abc": 1}
    assert "--filter-groups" in hooks.change["cli"]
    wiring_reprice_matches_saving(ctx, hooks)
    # the two changes touch different rows, so both are counted and they add up
    both = hooks.transform(runs.transform(ctx.rows.copy()))  # type: ignore[misc]
    assert reprice_whole(ctx, both)[0] == pytest.approx(ctx.baseline.total - runs.monthly_saving_usd - 4 * MEDIUM)


def test_wasted_runs_are_projected_like_the_estimate() -> None:
    ctx = context(wasted_snapshot(end=START + pd.Timedelta(days=15.5)))  # half of October: x2
    assert ctx.baseline.options["projection_factor"] == pytest.approx(2.0)
    found = by_id(wasted_runs.rule(ctx))
    assert found["wasted-runs-pipeline-app"].monthly_saving_usd == pytest.approx(2 * (12 * V2_MINUTE + 15 * MEDIUM))
    wiring_reprice_matches_saving(ctx, found["wasted-runs-pipeline-app"])


def test_wasted_runs_do_not_fire_when_every_run_delivered() -> None:
    executions = [execution("app", "e0", "Succeeded", 1), execution("legacy", "l0", "Failed", 2)]
    actions = [
        action("app", "e0", "Build", "Build", 1, 170, external="b0"),
        action("legacy", "l0", "Source", "Source", 2, 30),  # V1: action minutes are not billed, no build started
    ]
    builds = [build("app-build", "b0", 1, 300, initiator="codepipeline/app"), build("app-build", "b1", 3, 300)]
    snap = snapshot([pipeline("app"), pipeline("legacy", "V1")], executions, actions, builds)
    ctx = context(snap)
    assert wasted_runs.rule(ctx) == []


# --- idle pipelines ---------------------------------------------------------------------------------------


def idle_snapshot(start_days_before: float = 0.0) -> Snapshot:
    """`old` (V1) only failed; `live` (V2) succeeded once; `new` never ran but is 10 days old; `docs` never ran."""
    executions = [
        execution("old", "o1", "Failed", 2, trigger="CloudWatchEvent"),
        execution("old", "o2", "Failed", 9, trigger="CloudWatchEvent"),
        execution("live", "v1", "Succeeded", 5),
    ]
    actions = [
        action("old", "o1", "Build", "Build", 2, 100, external="ob1"),
        action("old", "o2", "Build", "Build", 9, 100, external="ob2"),
        action("live", "v1", "Build", "Build", 5, 30),
    ]
    builds = [
        build("old-build", f"ob{i}", d, 100, "FAILED", "codepipeline/old", "BUILD_GENERAL1_SMALL")  # 2 min each
        for i, d in ((1, 2), (2, 9))
    ]
    snap = snapshot(
        [
            pipeline("old", "V1"),
            pipeline("live"),
            pipeline("new", created=OCTOBER_END - pd.Timedelta(days=10)),
            pipeline("docs", "V1"),
        ],
        executions,
        actions,
        builds,
        storage_gib=10.0,  # shared by executions: old 2, live 1, new and docs 0
    )
    if start_days_before:
        snap.manifest["window"]["start"] = (START - pd.Timedelta(days=start_days_before)).isoformat()
    return snap


def test_idle_pipeline_costs_its_pipeline_month_builds_and_artifact_share() -> None:
    ctx = context(idle_snapshot())
    found = idle_pipelines.rule(ctx)
    assert [s.id for s in found] == ["idle-pipelines-old"]
    idle = found[0]
    # active V1 pipeline-month + 2 builds x 2 min general1.small + 2/3 of 10 GB artifact storage
    assert idle.monthly_saving_usd == pytest.approx(V1_MONTH + 2 * 2 * SMALL + 10 * 2 / 3 * STANDARD_GB)
    assert idle.evidence["finding"] == "no successful run in the 31-day window"
    assert idle.evidence["executions_in_window"] == {"Failed": 2}
    assert idle.evidence["triggers_in_window"] == {"CloudWatchEvent": 2}
    assert idle.evidence["cost_by_service_usd"] == pytest.approx(
        {"CodePipeline": V1_MONTH, "CodeBuild": 4 * SMALL, "S3": 10 * 2 / 3 * STANDARD_GB}
    )
    assert idle.confidence == "low"  # 31 days is shorter than the 60 that make a pipeline idle
    assert "delete-pipeline --name old" in idle.change["cli"]
    assert idle.exclusive == f"pipeline-runs:{ACCOUNT}:{REGION}:old"
    wiring_reprice_matches_saving(ctx, idle)
    # `live` succeeded: never suggested; `new` is too young and `docs` costs nothing: notes only.
    assert any(n.startswith("new: no successful run, but created 10 days ago") for n in ctx.notes)
    assert any(n.startswith("docs: no successful run in the 31-day window; it costs nothing") for n in ctx.notes)
    # wasted-runs sees the same failed runs; the two suggestions exclude each other
    runs = by_id(wasted_runs.rule(ctx))["wasted-runs-pipeline-old"]
    assert runs.exclusive == idle.exclusive
    assert runs.monthly_saving_usd == pytest.approx(2 * 2 * SMALL)


def test_idle_pipeline_over_a_long_window_is_more_certain() -> None:
    ctx = context(idle_snapshot(start_days_before=30))  # 2026-09-01 .. 2026-11-01: 61 days, priced for October
    factor = 31 / 61
    assert ctx.baseline.options["projection_factor"] == pytest.approx(factor)
    (idle,) = idle_pipelines.rule(ctx)
    assert idle.confidence == "medium"
    assert idle.evidence["finding"] == "no successful run in 61 days"
    # the pipeline-month and the average storage are not flows: only the build minutes are projected
    assert idle.monthly_saving_usd == pytest.approx(V1_MONTH + 4 * factor * SMALL + 10 * 2 / 3 * STANDARD_GB)
    wiring_reprice_matches_saving(ctx, idle)


def test_idle_pipelines_do_not_fire_when_a_run_succeeded() -> None:
    snap = snapshot(
        [pipeline("app", "V1")],
        [execution("app", "e0", "Failed", 1), execution("app", "e1", "Succeeded", 2)],
        [action("app", "e0", "Build", "Build", 1, 100)],
        storage_gib=5.0,
    )
    ctx = context(snap)
    assert ctx.baseline.total > 0
    assert idle_pipelines.rule(ctx) == []
    assert ctx.notes == []


# --- all three --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", [rounding_waste.rule, wasted_runs.rule, idle_pipelines.rule])
def test_rules_need_observed_runs(rule: Rule) -> None:
    # They read the model (the baseline's observed runs): Context holds no source to read instead.
    # A usage file's planned runs have no observed durations or statuses, and the rule says so in a note.
    planned = Context(baseline=estimate({"version": 1}, period=Period.month(2026, 11)), pricebook=load_pricebook())
    assert rule(planned) == []
    assert [note for note in planned.notes if "not checked for a usage file" in note]


def test_rules_on_the_fake_account() -> None:
    from costkit.collect.context import Window
    from costkit.collect.fake_account import fake_account
    from costkit.collect.run import CollectOptions, collect

    october = Window.month(2026, 10)
    with fake_account(october) as session:
        snap = collect(session, CollectOptions(window=october, regions=["us-east-1"], cost_explorer=False))
    ctx = context(snap)
    found = by_id(rounding_waste.rule(ctx))
    # alice's 3 builds of web-app-build run 121 s: 3 minutes billed for 1 second each
    assert found["rounding-waste-build-web-app-build"].monthly_saving_usd == pytest.approx(3 * MEDIUM)
    # Every 20th web-app execution fails at Deploy (fake_account.FAILING): 6 of 120, each having paid
    # 1 + 7 + 1 action minutes (the approval is free) and started a 6-minute general1.medium build.
    wasted = by_id(wasted_runs.rule(ctx))
    assert wasted["wasted-runs-pipeline-web-app"].monthly_saving_usd == pytest.approx(6 * (9 * 0.002 + 6 * MEDIUM))
    assert idle_pipelines.rule(ctx) == []  # docs never ran and costs nothing
    assert any(n.startswith("docs: no successful run") for n in ctx.notes)
