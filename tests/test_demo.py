"""End to end on the fake account: the real collectors read it, the snapshot is priced, and each
service's monthly cost equals the bill worked out by hand from the account's declared estate
(costkit/collect/fake_account.py: PIPELINES, BUILDS, FUNCTIONS, BUCKETS) for October 2026.

Prices: CodePipeline V2 $0.002/min (100 free per account); CodeBuild us-east-1 general1.medium $0.01,
arm1.small $0.0034, ap-northeast-1 general1.small $0.005 per minute (one 6,000-second free pool for the
small types); S3 Standard us-east-1 $0.023/GB-month, PUT $0.005 and GET $0.0004 per 1,000;
ap-northeast-1 $0.025/GB-month, PUT $0.0047 and GET $0.00037 per 1,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit import Period
from costkit.cli import app
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.estimate import estimate
from costkit.sources.snapshot.folder import Snapshot

OCTOBER = Window.month(2026, 10)


@pytest.fixture(scope="module")
def snapshot() -> Snapshot:
    with fake_account(OCTOBER) as session:
        return collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1", "ap-northeast-1"], cache_dir=None))


def test_collection_is_complete_and_counts_its_calls(snapshot: Snapshot) -> None:
    assert snapshot.manifest["failures"] == []
    calls = snapshot.manifest["calls"]
    assert calls["codepipeline:GetPipeline"] == 4  # one per pipeline: there is no batch call
    # Pages of 100, newest first. Executions: web-app 120 (2 pages), legacy-api 10, docs 0, tokyo 60 (1 each).
    assert calls["codepipeline:ListPipelineExecutions"] == 2 + 1 + 1 + 1
    # Action executions: web-app 120 x 4 = 480 (5 pages), legacy-api 20, docs 0 (1 each), tokyo 120 (2 pages).
    assert calls["codepipeline:ListActionExecutions"] == 5 + 1 + 1 + 2
    # Builds in batches of 100: us-east-1 web-app-build 123 (2), nightly-tests 30 (1); tokyo-build 60 (1).
    assert calls["codebuild:BatchGetBuilds"] == 2 + 1 + 1
    assert calls["ce:GetCostAndUsage"] == 1
    assert snapshot.manifest["cost_explorer"]["cost_usd"] == pytest.approx(0.01)
    assert len(snapshot.table("pipeline_executions")) == 120 + 10 + 0 + 60
    assert len(snapshot.table("builds")) == 120 + 3 + 30 + 60


def test_each_service_costs_what_the_bill_says(snapshot: Snapshot) -> None:
    result = estimate(snapshot, period=Period.month(2026, 10))
    by_service = result.by_service()
    # V2: web-app 120 x (ceil 20 s + ceil 372 s + ceil 45 s = 1 + 7 + 1 min), approval free;
    # tokyo-service 60 x (1 + ceil 185 s = 4 min); 100 free minutes. V1: one active pipeline, one free.
    assert by_service["CodePipeline"] == pytest.approx((120 * 9 + 60 * 5 - 100) * 0.002)
    # web-app-build: 120 x ceil(330 s) = 6 min + 3 x ceil(121 s) = 3 min, general1.medium, not free-tier.
    # nightly-tests arm1.small 30 x ceil(730 s) = 13 min; tokyo-build general1.small 60 x ceil(170 s) = 3 min;
    # the 6,000-second pool covers 6,000 / ((390 + 180) x 60) of each.
    paid = 1 - 6000 / ((390 + 180) * 60)
    assert by_service["CodeBuild"] == pytest.approx(729 * 0.01 + 390 * paid * 0.0034 + 180 * paid * 0.005)
    # deploy-notifier: 120 requests x 0.85 s x 0.25 GB = 25.5 GB-s: inside the free tier.
    assert by_service["Lambda"] == 0
    # The free tier must not hide a Lambda error: without it, 120 x $0.20 per million requests and
    # 25.5 GB-s x $0.0000133334 (arm64).
    gross = estimate(snapshot, period=Period.month(2026, 10), free_tier=False).by_service()
    assert gross["Lambda"] == pytest.approx(120 * 0.0000002 + 120 * 0.85 * 0.25 * 0.0000133334)
    # Storage 42.5 GB and 8 GB; artifact requests estimated from executions (PUT per Source/Build action,
    # GET per later non-approval action): us-east-1 web-app 120 x (2 PUT, 2 GET), legacy-api 10 x (2 PUT, 1 GET);
    # ap-northeast-1 tokyo-service 60 x (2 PUT, 1 GET).
    s3_east = 42.5 * 0.023 + (240 + 20) * 0.005 / 1000 + (240 + 10) * 0.0004 / 1000
    s3_tokyo = 8 * 0.025 + 120 * 0.0047 / 1000 + 60 * 0.00037 / 1000
    assert by_service["S3"] == pytest.approx(s3_east + s3_tokyo)
    assert result.complete


def test_per_pipeline_view_attributes_builds_functions_and_storage(snapshot: Snapshot) -> None:
    per_pipeline = estimate(snapshot, period=Period.month(2026, 10)).by_pipeline().set_index("pipeline")
    assert per_pipeline.loc["web-app", "CodeBuild"] == pytest.approx(720 * 0.01)  # its 120 builds, not alice's 3
    # The us-east-1 bucket serves web-app (120 runs), legacy-api (10) and docs (0): storage shared 120:10:0.
    assert per_pipeline.loc["legacy-api", "S3"] == pytest.approx(
        42.5 * 10 / 130 * 0.023 + 20 * 0.005 / 1000 + 10 * 0.0004 / 1000
    )
    assert per_pipeline.loc["docs", "total_usd"] == 0


def test_closed_month_is_compared_with_cost_explorer_actuals(snapshot: Snapshot) -> None:
    comparison = estimate(snapshot, period=Period.month(2026, 10)).comparison().set_index("service")
    assert comparison.loc["CodeBuild", "actual_usd"] == pytest.approx(7.29 + 0.44)  # the fake answer's two rows
    assert comparison.loc["CodePipeline", "difference_usd"] == pytest.approx((120 * 9 + 60 * 5 - 100) * 0.002 - 2.38)


def test_a_partial_window_is_projected_to_the_month() -> None:
    window = Window(OCTOBER.start, OCTOBER.start + (OCTOBER.end - OCTOBER.start) / 2)  # 15.5 days
    with fake_account(window) as session:
        half = collect(session, CollectOptions(window=window, regions=["us-east-1"], cost_explorer=False))
    result = estimate(half, period=Period.month(2026, 10))
    assert result.options["projection_factor"] == pytest.approx(31 / 15.5)
    assert "observed-projection" in {a["id"] for a in result.assumptions}
    # The estate runs at a steady rate: 60 of web-app's 120 monthly executions fall in the half window, and
    # the month projects back to 120 x 9 minutes (us-east-1 only); the free minutes apply to the month.
    assert result.by_service()["CodePipeline"] == pytest.approx((120 * 9 - 100) * 0.002)
    # Builds project the same way: 60 + 2 of web-app-build's (120 + 3 rounded), 15 of nightly's 30.
    assert len(half.table("builds")) == 60 + round(3 / 2) + 15


def test_cli_demo_then_estimate_by_pipeline(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "snap"
    collected = runner.invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "--quiet"])
    assert collected.exit_code == 0, collected.output
    assert json.loads((out / "manifest.json").read_text())["failures"] == []
    shown = runner.invoke(app, ["estimate", "--snapshot", str(out), "--by", "pipeline"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for name in ("web-app", "tokyo-service", "legacy-api", "Estimate vs. Cost Explorer actuals"):
        assert name in shown.stdout
    printed = runner.invoke(app, ["estimate", "--snapshot", str(out), "--format", "json"])
    library = estimate(out).to_dict()
    assert json.loads(printed.stdout) == json.loads(json.dumps(library))


def test_a_function_invoked_by_two_pipelines_is_split_by_their_invocations(snapshot: Snapshot) -> None:
    actions = snapshot.table("pipeline_actions")
    notify = actions[actions["function_name"] == "deploy-notifier"].assign(pipeline="legacy-api", action="Notify")
    runs = snapshot.table("action_executions")
    legacy_runs = runs[runs["pipeline"] == "web-app"].head(40).assign(pipeline="legacy-api", action="Notify")
    shared = Snapshot(
        tables={**snapshot.tables, "pipeline_actions": pd.concat([actions, notify]),
                "action_executions": pd.concat([runs, legacy_runs])},
        manifest=snapshot.manifest,
    )  # fmt: skip
    lines = estimate(shared, period=Period.month(2026, 10)).lines
    requests = lines[(lines["resource"] == "deploy-notifier") & (lines["usage_type"] == "Request-ARM")]
    by_pipeline = requests.set_index("pipeline")["quantity"]
    # 120 invocations observed; web-app ran its Deploy action 120 times, legacy-api its Notify 40 times.
    assert by_pipeline["web-app"] == pytest.approx(120 * 120 / 160)
    assert by_pipeline["legacy-api"] == pytest.approx(120 * 40 / 160)
