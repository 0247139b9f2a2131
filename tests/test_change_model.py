"""Change as a transform of the usage model: an edit of runs and/or inventory, the touched services' rows
re-derived by billing exactly as the source's were, priced as the baseline was. Numbers worked by hand.

Prices (us-east-1, pricing/): V2 action minute $0.002, V1 active pipeline-month $1.00, CodeBuild
general1.small Linux $0.005 a minute, Lambda requests $0.20 per million. Free tiers off throughout.
"""

from __future__ import annotations

import pandas as pd
import pytest

from costkit import Period, Usage, derive_usage, estimate, load_pricebook, load_snapshot, load_usage
from costkit.change import Change, apply_patch, combine
from costkit.sources.snapshot.folder import Snapshot

NOVEMBER = Period.month(2026, 11)
OCTOBER_START, OCTOBER_END = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
V2_MINUTE, V1_MONTH, SMALL_MINUTE, PER_REQUEST = 0.002, 1.00, 0.005, 0.20 / 1_000_000

USAGE = {
    "version": 1,
    "free_tier": False,
    "pipelines": {
        "web": {"type": "V2", "executions_per_month": 100,
                "actions": [{"name": "Build", "category": "Build", "minutes": 4.5}]},
    },
    "codebuild": {
        "web-build": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 3.2,
                      "pipeline": "web"},
    },
    "lambda": {"notify": {"memory_mb": 128, "requests_per_month": 1_000_000, "duration_ms": 1}},
}  # fmt: skip


def doubled_executions(pipeline: str) -> Change:
    """Twice the executions of one pipeline: its action runs and the builds it starts."""

    def edit(usage: Usage) -> Usage:
        actions, builds = usage.runs.actions, usage.runs.builds
        actions.loc[actions["pipeline"] == pipeline, "count"] *= 2
        builds.loc[builds["pipeline"] == pipeline, "count"] *= 2
        return usage

    return Change(f"executions x2 ({pipeline})", edit=edit)


def test_doubling_a_planned_pipelines_executions_on_a_usage_file() -> None:
    baseline = estimate(USAGE, period=NOVEMBER)
    # 100 executions x ceil(4.5) = 5 min x $0.002; 100 builds x ceil(3.2) = 4 min x $0.005; 1 M requests x $0.20/M
    # plus 1 M x 0.001 s x 0.125 GB = 125 GB-s of duration (Lambda is not touched: compared as it was).
    assert baseline.by_service()["CodePipeline"] == pytest.approx(100 * 5 * V2_MINUTE)  # $1.00
    assert baseline.by_service()["CodeBuild"] == pytest.approx(100 * 4 * SMALL_MINUTE)  # $2.00
    after = doubled_executions("web").apply(baseline)
    assert after.by_service()["CodePipeline"] == pytest.approx(200 * 5 * V2_MINUTE)  # $2.00
    assert after.by_service()["CodeBuild"] == pytest.approx(200 * 4 * SMALL_MINUTE)  # $4.00
    assert after.by_service()["Lambda"] == pytest.approx(baseline.by_service()["Lambda"])
    assert after.total - baseline.total == pytest.approx(100 * 5 * V2_MINUTE + 100 * 4 * SMALL_MINUTE)
    # The baseline is untouched, and the new estimate carries the model it priced.
    assert list(baseline.runs.actions["count"]) == [100.0]
    assert list(after.runs.actions["count"]) == [200.0]
    assert after.source.endswith("+ executions x2 (web)")


def test_the_same_change_as_a_usage_file_patch_prices_the_same() -> None:
    patch = [{"op": "set", "path": "pipelines.web.executions_per_month", "value": 200},
             {"op": "set", "path": "codebuild.web-build.builds_per_month", "value": 200}]  # fmt: skip
    change = Change("executions x2 (web)", usage_patch=patch, edit=doubled_executions("web").edit)
    document = change.apply_to(load_usage(USAGE))
    assert document.spec.pipelines["web"].executions_per_month == 200
    from_file = estimate(document, period=NOVEMBER)
    assert from_file.total == pytest.approx(change.apply(estimate(USAGE, period=NOVEMBER)).total)
    assert estimate(apply_patch(USAGE, patch), period=NOVEMBER).total == pytest.approx(from_file.total)


def test_an_edit_of_seconds_is_billed_again_with_aws_rounding() -> None:
    # The build action now lasts 5.5 minutes: ceil(5.5) = 6 minutes per execution, 100 x 6 x $0.002 = $1.20.
    def slower(usage: Usage) -> Usage:
        usage.runs.actions["seconds"] = 5.5 * 60
        return usage

    after = Change("slower build action", edit=slower).apply(estimate(USAGE, period=NOVEMBER))
    assert after.by_service()["CodePipeline"] == pytest.approx(100 * 6 * V2_MINUTE)
    assert list(after.runs.actions["billed"]) == [6.0]


def test_an_edit_of_build_seconds_is_billed_again_with_aws_rounding() -> None:
    # Bug caught: `billing.rows.derive` not metering edited builds again (their old 4 billed minutes kept).
    # The build now lasts 5.5 minutes: ceil(5.5) = 6 minutes per build, 100 x 6 x $0.005 = $3.00 (was 100 x 4).
    def slower(usage: Usage) -> Usage:
        usage.runs.builds["seconds"] = 5.5 * 60
        return usage

    baseline = estimate(USAGE, period=NOVEMBER)
    assert baseline.by_service()["CodeBuild"] == pytest.approx(100 * 4 * SMALL_MINUTE)
    after = Change("slower build", edit=slower).apply(baseline)
    assert after.by_service()["CodeBuild"] == pytest.approx(100 * 6 * SMALL_MINUTE)
    assert list(after.runs.builds["billed"]) == [6.0]


def test_an_inventory_edit_rebills_the_runs_a_v2_pipeline_made_v1() -> None:
    # As a V1 pipeline (active, age unknown: more than 30 days) "web" bills one pipeline-month, $1.00, and its
    # action executions bill nothing.
    def to_v1(usage: Usage) -> Usage:
        usage.inventory.pipelines["type"] = "V1"
        return usage

    after = Change("web on V1", edit=to_v1).apply(estimate(USAGE, period=NOVEMBER))
    assert after.by_service()["CodePipeline"] == pytest.approx(1 * V1_MONTH)
    assert list(after.runs.actions["billed"]) == [0.0]
    assert after.by_service()["CodeBuild"] == pytest.approx(100 * 4 * SMALL_MINUTE)


def test_only_the_services_an_edit_touched_are_derived_again() -> None:
    # A rows-only change halves Lambda's requests rows; a model edit of CodePipeline's runs after it keeps that:
    # Lambda requests 500,000 x $0.20/M = $0.10 instead of $0.20.
    halve_requests = Change(
        "half the requests",
        lambda rows: rows.assign(quantity=rows["quantity"].where(rows["meter"] != "requests", rows["quantity"] / 2)),
    )
    baseline = estimate(USAGE, period=NOVEMBER)
    both = combine([halve_requests, doubled_executions("web")]).apply(baseline)
    requests = both.lines[both.lines["usage_type"] == "Request"]
    assert float(requests["cost_usd"].sum()) == pytest.approx(500_000 * PER_REQUEST)
    assert both.by_service()["CodePipeline"] == pytest.approx(200 * 5 * V2_MINUTE)


def test_a_usage_model_is_estimated_like_its_source() -> None:
    book = load_pricebook()
    usage = derive_usage(USAGE, period=NOVEMBER, pricebook=book)
    assert usage.planned
    assert usage.period == NOVEMBER
    assert estimate(usage, pricebook=book).to_dict() == estimate(USAGE, period=NOVEMBER, pricebook=book).to_dict()
    assert set(usage.inventory.functions["function"]) == {"notify"}


def small_snapshot() -> Snapshot:
    """A V2 pipeline "api" with 3 executions in October 2026, each one Build action of 90 s (ceil: 2 minutes)."""
    here = {"account": "111122223333", "region": "us-east-1", "pipeline": "api"}
    starts = [OCTOBER_START + pd.Timedelta(days=day) for day in (3, 10, 17)]
    tables = {
        "pipelines": pd.DataFrame([{**here, "pipeline_type": "V2", "execution_mode": "QUEUED",
                                    "created": OCTOBER_START - pd.Timedelta(days=400), "artifact_buckets": "",
                                    "has_triggers": False, "has_variables": False}]),
        "pipeline_executions": pd.DataFrame([{**here, "execution_id": f"e{i}", "status": "Succeeded",
                                              "trigger_type": "Webhook", "start": start,
                                              "last_update": start + pd.Timedelta(seconds=90)}
                                             for i, start in enumerate(starts)]),
        "action_executions": pd.DataFrame([{**here, "execution_id": f"e{i}", "action_execution_id": f"e{i}-Build",
                                            "stage": "Build", "action": "Build", "category": "Build", "owner": "AWS",
                                            "provider": "CodeBuild", "start": start,
                                            "last_update": start + pd.Timedelta(seconds=90), "status": "Succeeded",
                                            "external_execution_id": None} for i, start in enumerate(starts)]),
    }  # fmt: skip
    window = {"start": OCTOBER_START.isoformat(), "end": OCTOBER_END.isoformat()}
    return Snapshot(tables=tables, manifest={"window": window, "created": OCTOBER_END.isoformat()})


def test_doubling_an_observed_pipelines_executions_on_a_snapshot() -> None:
    usage = load_snapshot(small_snapshot())
    assert not usage.planned
    assert usage.period == Period.month(2026, 10)
    baseline = estimate(usage, free_tier=False)
    assert baseline.by_service()["CodePipeline"] == pytest.approx(3 * 2 * V2_MINUTE)  # $0.012
    after = doubled_executions("api").apply(baseline)
    assert after.by_service()["CodePipeline"] == pytest.approx(6 * 2 * V2_MINUTE)  # $0.024
    assert after.options["free_tier"] is False
    assert after.options["projection_factor"] == 1.0


def test_inventory_edits_of_functions_and_buckets_are_billed_again() -> None:
    usage = {
        **USAGE,
        "s3": {"artifacts": {"storage_gb": 100, "put_requests_per_month": 10_000}},
    }
    baseline = estimate(usage, period=NOVEMBER)

    def arm_and_smaller(model: Usage) -> Usage:
        model.inventory.functions["architecture"] = "arm64"
        model.inventory.buckets["storage_gb"] = 40.0
        return model

    after = Change("notify on arm64, 40 GB stored", edit=arm_and_smaller).apply(baseline)
    # Lambda: 1 M requests x $0.20/M, and 1 M x ceil(1 ms) = 0.001 s x 128/1024 GB = 125 GB-s, x86 $0.0000166667
    # before, Arm $0.0000133334 after.
    assert baseline.by_service()["Lambda"] == pytest.approx(1_000_000 * PER_REQUEST + 125 * 0.0000166667)
    assert after.by_service()["Lambda"] == pytest.approx(1_000_000 * PER_REQUEST + 125 * 0.0000133334)
    # S3: 100 GB x $0.023 before, 40 GB x $0.023 after; 10,000 PUTs x $0.005 per 1,000 both times.
    assert baseline.by_service()["S3"] == pytest.approx(100 * 0.023 + 10 * 0.005)
    assert after.by_service()["S3"] == pytest.approx(40 * 0.023 + 10 * 0.005)
    assert after.by_service()["CodePipeline"] == pytest.approx(baseline.by_service()["CodePipeline"])


def test_a_changed_model_stays_planned_and_keeps_its_observed_executions() -> None:
    # Bugs caught: `Runs.copy` dropping `planned`, or `billing.rows.derive` re-metering actions or builds with
    # `planned=None` (a usage file's runs then bill as observed: a planned run of no stated time bills nothing),
    # or `Runs.copy` dropping the observed executions (the rules that read them see none).
    usage = {**USAGE, "pipelines": {"web": {"type": "V2", "executions_per_month": 100, "actions": [
        {"name": "Build", "category": "Build", "minutes": 4.5},
        {"name": "Source", "category": "Source", "minutes": 0},  # a planned run always ran: 1 minute each
    ]}}}  # fmt: skip
    lint = {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 0, "pipeline": "web"}
    usage["codebuild"] = {**USAGE["codebuild"], "lint": lint}
    baseline = estimate(usage, period=NOVEMBER)
    assert baseline.by_service()["CodePipeline"] == pytest.approx(100 * (5 + 1) * V2_MINUTE)
    assert baseline.by_service()["CodeBuild"] == pytest.approx(100 * (4 + 1) * SMALL_MINUTE)  # lint: 1 minute each
    after = doubled_executions("web").apply(baseline)
    assert after.runs.planned is True
    assert after.by_service()["CodePipeline"] == pytest.approx(200 * (5 + 1) * V2_MINUTE)
    assert after.by_service()["CodeBuild"] == pytest.approx(200 * (4 + 1) * SMALL_MINUTE)

    observed = estimate(load_snapshot(small_snapshot()), free_tier=False)
    changed = doubled_executions("api").apply(observed)
    assert changed.runs.planned is False
    assert list(changed.runs.executions["execution_id"]) == ["e0", "e1", "e2"]  # the snapshot's 3 executions
