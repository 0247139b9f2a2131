"""Savings worked out by hand, each rule threshold tested on both sides.

The re-pricing checks in test_rules_runs.py / test_rules_builds_storage.py (`wiring_...`) only show that a
suggestion's transform and its saving agree; here every saving is price x quantity written out.
Prices (us-east-1): CodeBuild general1.medium $0.01 and general1.large $0.02 per minute; CodePipeline V1
$1.00 per active pipeline-month, V2 $0.002 per action minute. Free tiers off unless stated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from test_rules_builds_storage import builds, context_for_snapshot, context_for_usage, project, usage_file
from test_rules_runs import action, execution, pipeline
from test_rules_runs import context as runs_context
from test_rules_runs import snapshot as runs_snapshot

from costkit.optimize.rules import build_caching, idle_pipelines, not_priced, pipeline_type, right_size
from costkit.sources.snapshot.folder import Snapshot

WINDOW = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
WINDOW_END = pd.Timestamp(WINDOW["end"])
MEDIUM, LARGE, V1_MONTH, V2_MINUTE = 0.01, 0.02, 1.00, 0.002


def build_snapshot(*projects: tuple[str, int, float, tuple[int, int, int], str]) -> Snapshot:
    """One project per tuple: (name, builds, seconds per build, (install, download, pre-build) s, compute)."""
    rows: list[dict[str, Any]] = []
    for offset, (name, count, seconds, phases, compute) in enumerate(projects):
        rows += builds(name, count, seconds, compute, phases=phases, offset=offset * 50)
    table = pd.DataFrame([project(name, compute) for name, *_, compute in projects])
    return Snapshot(tables={"builds": pd.DataFrame(rows), "projects": table}, manifest={"window": WINDOW})


# --- build caching: the 40% share needed, the 50% cut assumed, "medium" from 60% ------------------------------


def caching(*projects: tuple[str, int, float, tuple[int, int, int], str]) -> dict[str, Any]:
    ctx = context_for_snapshot(build_snapshot(*projects))
    return {s.resources[0]: s for s in build_caching.rule(ctx)}


def test_build_caching_saving_by_hand_a_cache_halves_the_cacheable_phases() -> None:
    found = caching(
        # 600 s builds, 300 s cacheable: 600 - 300 / 2 = 450 s = ceil 7.5 = 8 min instead of 10.
        ("half", 10, 600, (200, 50, 50), "BUILD_GENERAL1_MEDIUM"),
        # 600 s builds, 240 s cacheable (40%): 600 - 120 = 480 s = 8 min exactly, instead of 10.
        ("forty", 10, 600, (160, 40, 40), "BUILD_GENERAL1_MEDIUM"),
    )
    assert found["half"].monthly_saving_usd == pytest.approx(10 * (10 - 8) * MEDIUM)
    assert found["forty"].monthly_saving_usd == pytest.approx(10 * (10 - 8) * MEDIUM)


def test_build_caching_needs_40_percent_of_the_build_time_cacheable() -> None:
    found = caching(
        ("at", 10, 600, (160, 40, 40), "BUILD_GENERAL1_MEDIUM"),  # 240 / 600 = 40%: suggested
        ("below", 10, 600, (154, 40, 40), "BUILD_GENERAL1_MEDIUM"),  # 234 / 600 = 39%: not
    )
    assert set(found) == {"at"}
    assert found["at"].confidence == "low"


def test_build_caching_confidence_is_medium_from_60_percent() -> None:
    found = caching(
        # 360 / 600 = 60%: 600 - 180 = 420 s = 7 min instead of 10.
        ("sixty", 10, 600, (240, 60, 60), "BUILD_GENERAL1_MEDIUM"),
        # 354 / 600 = 59%: 600 - 177 = 423 s = 8 min instead of 10.
        ("fifty-nine", 10, 600, (234, 60, 60), "BUILD_GENERAL1_MEDIUM"),
    )
    assert found["sixty"].confidence == "medium"
    assert found["sixty"].monthly_saving_usd == pytest.approx(10 * (10 - 7) * MEDIUM)
    assert found["fifty-nine"].confidence == "low"
    assert found["fifty-nine"].monthly_saving_usd == pytest.approx(10 * (10 - 8) * MEDIUM)


# --- right-size: builds averaging at most 3 billed minutes ------------------------------------------------------


def test_right_size_fires_at_an_average_of_3_billed_minutes_and_not_above() -> None:
    snap = build_snapshot(
        ("three", 6, 180, (0, 0, 0), "BUILD_GENERAL1_LARGE"),  # 6 x 3 min: average 3.0
        ("over", 6, 181, (0, 0, 0), "BUILD_GENERAL1_LARGE"),  # 6 x ceil(3.02) = 4 min: average 4
    )
    found = {s.resources[0]: s for s in right_size.rule(context_for_snapshot(snap))}
    assert set(found) == {"three"}
    # LARGE -> MEDIUM, same billed minutes: 6 x 3 min x ($0.02 - $0.01).
    assert found["three"].monthly_saving_usd == pytest.approx(6 * 3 * (LARGE - MEDIUM))


# --- idle pipelines: 60 days --------------------------------------------------------------------------------------


def idle_snapshot(created: pd.Timestamp) -> Snapshot:
    """A V2 pipeline whose 3 executions all failed, each after a 2-minute Build action."""
    executions = [execution("p", f"e{i}", "Failed", 2 + i) for i in range(3)]
    actions = [action("p", f"e{i}", "Build", "Build", 2 + i, 120) for i in range(3)]
    return runs_snapshot([pipeline("p", created=created)], executions, actions)


@pytest.mark.parametrize(("age_days", "suggested"), [(59.9, False), (60.0, True), (60.1, True)])
def test_idle_pipeline_needs_to_be_60_days_old(age_days: float, suggested: bool) -> None:
    snap = idle_snapshot(WINDOW_END - pd.Timedelta(days=age_days))
    ctx = runs_context(snap)
    found = idle_pipelines.rule(ctx)
    if suggested:
        # 3 failed executions x 2 action minutes, all of the pipeline's cost.
        assert [s.monthly_saving_usd for s in found] == [pytest.approx(3 * 2 * V2_MINUTE)]
        assert found[0].confidence == "low"  # a 31-day window is shorter than 60 days
    else:
        assert found == []
        assert any("may still be set up" in note for note in ctx.notes)


@pytest.mark.parametrize(("window_days", "confidence"), [(59, "low"), (60, "medium")])
def test_idle_pipeline_confidence_needs_a_60_day_window(window_days: int, confidence: str) -> None:
    start = pd.Timestamp("2026-10-01", tz="UTC")
    snap = idle_snapshot(start - pd.Timedelta(days=400))
    snap = Snapshot(
        tables=snap.tables,
        manifest={"window": {"start": start.isoformat(), "end": (start + pd.Timedelta(days=window_days)).isoformat()}},
    )
    found = idle_pipelines.rule(runs_context(snap))
    assert [s.confidence for s in found] == [confidence]


# --- pipeline type: V1 <-> V2, with its own approval / custom filter and per-execution rounding ---------------


def test_pipeline_type_v1_to_v2_on_a_usage_file_by_hand() -> None:
    actions = [
        {"name": "Build", "category": "Build", "minutes": 2.5},  # ceil: 3 min each
        {"name": "Approve", "category": "Approval", "minutes": 60},  # free on V2
        {"name": "Custom", "category": "Build", "owner": "Custom", "minutes": 30},  # free on V2
        {"name": "Tests", "category": "Test", "minutes": 1.0, "runs_per_execution": 0.5},  # 5 runs x 1 min
    ]
    usage = usage_file(
        pipelines={
            "quiet": {
                "type": "V1",
                "active": True,
                "created": dt.date(2024, 1, 1),
                "executions_per_month": 10,
                "actions": actions,
            }
        }
    )
    found = pipeline_type.rule(context_for_usage(usage))
    assert [s.id for s in found] == ["pipeline-type-v2-quiet"]
    # V1 $1 against V2 (10 x 3 + 5 x 1 = 35 min) x $0.002.
    assert found[0].monthly_saving_usd == pytest.approx(V1_MONTH - (10 * 3 + 5 * 1) * V2_MINUTE)
    assert found[0].evidence["v2_action_minutes"] == 35


def test_pipeline_type_v1_to_v2_on_a_snapshot_by_hand() -> None:
    old = pd.Timestamp("2024-01-01", tz="UTC")
    executions = [execution("old", f"e{i}", "Succeeded", 1 + i) for i in range(10)]
    actions = []
    for i in range(10):
        actions += [
            action("old", f"e{i}", "Build", "Build", 1 + i, 150),  # ceil(2.5) = 3 min
            action("old", f"e{i}", "Approve", "Approval", 1 + i, 3600),  # 60 min: free on V2
        ]
    custom = action("old", "e0", "Custom", "Build", 1, 1800) | {"owner": "Custom"}  # 30 min: free on V2
    snap = runs_snapshot([pipeline("old", kind="V1", created=old)], executions, [*actions, custom])
    found = pipeline_type.rule(runs_context(snap))
    assert [s.id for s in found] == ["pipeline-type-v2-old"]
    assert found[0].monthly_saving_usd == pytest.approx(V1_MONTH - 10 * 3 * V2_MINUTE)


def test_pipeline_type_v2_to_v1_by_hand() -> None:
    actions = [{"name": "Build", "category": "Build", "minutes": 59.5}]  # ceil: 60 min each
    usage = usage_file(pipelines={"busy": {"type": "V2", "executions_per_month": 10, "actions": actions}})
    found = pipeline_type.rule(context_for_usage(usage))
    # V2: 10 x 60 = 600 min x $0.002 = $1.20 against V1's $1.
    assert [s.monthly_saving_usd for s in found] == [pytest.approx(10 * 60 * V2_MINUTE - V1_MONTH)]


def test_pipeline_type_not_suggested_when_v2_costs_more() -> None:
    actions = [{"name": "Build", "category": "Build", "minutes": 51}]  # 10 x 51 = 510 min = $1.02 > $1
    usage = usage_file(
        pipelines={
            "v1": {
                "type": "V1",
                "active": True,
                "created": dt.date(2024, 1, 1),
                "executions_per_month": 10,
                "actions": actions,
            }
        }
    )
    assert pipeline_type.rule(context_for_usage(usage)) == []


# --- CodeBuild Lambda compute: builds of at most 10 minutes; reserved capacity: at least half busy -------------


@pytest.mark.parametrize(("minutes", "noted"), [(9.99, True), (10.0, True), (10.01, False)])
def test_lambda_compute_considered_for_builds_of_at_most_10_minutes(minutes: float, noted: bool) -> None:
    usage = usage_file(codebuild={"b": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100,
                                        "minutes_per_build": minutes}})  # fmt: skip
    ctx = context_for_usage(usage)
    assert not_priced.lambda_compute(ctx) == []  # no Lambda-compute price ships: a note at most
    assert any(note.startswith("b:") and "Lambda compute" in note for note in ctx.notes) is noted


@pytest.mark.parametrize(("builds", "noted"), [(2159, False), (2160, True)])
def test_reserved_capacity_considered_from_half_a_busy_instance(builds: int, noted: bool) -> None:
    # November has 43,200 minutes; half is 21,600 = 2,160 builds x 10 min.
    usage = usage_file(codebuild={"b": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": builds,
                                        "minutes_per_build": 10}})  # fmt: skip
    ctx = context_for_usage(usage)
    assert not_priced.reserved_capacity(ctx) == []
    assert any(note.startswith("b:") and "reserved-capacity" in note for note in ctx.notes) is noted
