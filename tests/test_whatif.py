"""What-if scenarios priced by hand: each builder on a small usage file and on a small snapshot, compare, sweep,
sensitivity, projection, and a scenario that needs a missing price shown as incomplete.

Prices (us-east-1, pricing/*.csv, from the pricing pages): V2 $0.002 per action minute; CodeBuild Linux
general1.small $0.005/min, medium $0.01/min; Windows medium $0.018/min (no Tokyo price is shipped);
Lambda $0.20 per million requests, x86 $0.0000166667 per GB-s; S3 Standard $0.023/GB-month, PUT $0.005 per 1,000.
Tokyo (ap-northeast-1): S3 Standard $0.025/GB-month, PUT $0.0047 per 1,000; the others as us-east-1.
Free tiers are off unless a test says otherwise, so every figure is price x quantity.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from matplotlib.figure import Figure
from test_billing_boundaries import (
    ACCOUNT,
    NOVEMBER,
    REGION,
    WINDOW_START,
    action_run,
    build_run,
    from_snapshot,
    pipeline,
    snapshot,
)

from costkit import Estimate, estimate, load_pricebook
from costkit.errors import ParameterError
from costkit.whatif import (
    Scenario,
    compare,
    evaluate,
    growth,
    move_region,
    project,
    remove_pipeline,
    scale_builds,
    scale_executions,
    sensitivity,
    sweep,
)

BOOK = load_pricebook()
V2_MINUTE, SMALL, MEDIUM, WINDOWS_MEDIUM = 0.002, 0.005, 0.01, 0.018
REQUEST, X86_GBS, STANDARD_GB, PUT = 0.20 / 1e6, 0.0000166667, 0.023, 0.005 / 1000
TOKYO_STANDARD_GB, TOKYO_PUT = 0.025, 0.0047 / 1000

# web: 100 executions x (ceil 0.5 = 1 min + ceil 6.2 = 7 min) = 800 action minutes
WEB_MINUTES = 100 * (1 + 7)
WEB_BUILD_MINUTES = 100 * 4  # web-build: 100 builds x 4 min, general1.small, run by web
NIGHTLY_MINUTES = 30 * 10  # nightly: 30 builds x 10 min, general1.medium, no pipeline
NOTIFY_REQUESTS, NOTIFY_GBS = 1_000_000, 1_000_000 * 0.1 * (128 / 1024)  # 100 ms at 128 MB = 12,500 GB-s
ARTIFACT_GB, ARTIFACT_PUTS = 100, 10_000

CODEPIPELINE = WEB_MINUTES * V2_MINUTE  # $1.60
WEB_BUILD = WEB_BUILD_MINUTES * SMALL  # $2.00
NIGHTLY = NIGHTLY_MINUTES * MEDIUM  # $3.00
NOTIFY = NOTIFY_REQUESTS * REQUEST + NOTIFY_GBS * X86_GBS  # $0.20 + $0.20833375
STORAGE, PUTS = ARTIFACT_GB * STANDARD_GB, ARTIFACT_PUTS * PUT  # $2.30, $0.05
BASELINE = CODEPIPELINE + WEB_BUILD + NIGHTLY + NOTIFY + STORAGE + PUTS  # $9.35833375


def usage(**extra: Any) -> dict[str, Any]:
    actions = [{"name": "Source", "category": "Source", "minutes": 0.5},
               {"name": "Build", "category": "Build", "minutes": 6.2}]  # fmt: skip
    return {
        "version": 1, "region": REGION, "account": ACCOUNT, "free_tier": False,
        "pipelines": {"web": {"type": "V2", "executions_per_month": 100, "actions": actions}},
        "codebuild": {
            "web-build": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 4,
                          "pipeline": "web"},
            "nightly": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 30, "minutes_per_build": 10},
        },
        "lambda": {"notify": {"memory_mb": 128, "requests_per_month": NOTIFY_REQUESTS, "duration_ms": 100,
                              "pipeline": "web"}},
        "s3": {"artifacts": {"storage_gb": ARTIFACT_GB, "put_requests_per_month": ARTIFACT_PUTS, "pipeline": "web"}},
        **extra,
    }  # fmt: skip


def with_windows() -> dict[str, Any]:
    """The usage file plus desktop: 10 Windows builds of 5 min on general1.medium ($0.018/min; no Tokyo price)."""
    windows = usage()
    windows["codebuild"]["desktop"] = {
        "compute_type": "BUILD_GENERAL1_MEDIUM",
        "builds_per_month": 10,
        "environment_type": "WINDOWS_SERVER_2019_CONTAINER",
        "minutes_per_build": 5,
    }
    return windows  # fmt: skip


@pytest.fixture(scope="module")
def base() -> Estimate:
    result = estimate(usage(), period=NOVEMBER, pricebook=BOOK)
    assert result.total == pytest.approx(BASELINE, rel=1e-12)
    return result


def total(baseline: Estimate, *changes: Any) -> float:
    return Scenario.of("s", *changes).apply(baseline, BOOK).total


# --- builders on a usage file ------------------------------------------------------------------------------------


def test_scale_executions_scales_what_the_pipeline_runs_and_leaves_storage_and_other_builds(base: Estimate) -> None:
    doubled = CODEPIPELINE * 2 + WEB_BUILD * 2 + NIGHTLY + NOTIFY * 2 + STORAGE + PUTS * 2
    assert total(base, scale_executions(2)) == pytest.approx(doubled, rel=1e-12)
    assert total(base, scale_executions(2, pipeline="web")) == pytest.approx(doubled, rel=1e-12)
    assert total(base, scale_executions(2, pipeline="other")) == pytest.approx(BASELINE, rel=1e-12)


def test_a_v1_pipeline_with_no_executions_is_not_active() -> None:
    legacy = {"legacy": {"type": "V1", "active": True, "executions_per_month": 10,
                         "actions": [{"name": "Build", "category": "Build", "minutes": 3}]}}  # fmt: skip
    with_v1 = usage()
    with_v1["pipelines"] = {**with_v1["pipelines"], **legacy}
    result = estimate(with_v1, period=NOVEMBER, pricebook=BOOK)
    assert result.total == pytest.approx(BASELINE + 1.00, rel=1e-12)  # $1 per active V1 pipeline-month
    assert total(result, scale_executions(3, pipeline="legacy")) == pytest.approx(BASELINE + 1.00, rel=1e-12)
    assert total(result, scale_executions(0, pipeline="legacy")) == pytest.approx(BASELINE, rel=1e-12)


def test_scale_builds_of_one_project(base: Estimate) -> None:
    assert total(base, scale_builds(0.5, project="nightly")) == pytest.approx(
        BASELINE - NIGHTLY + 150 * MEDIUM, rel=1e-12
    )  # 15 builds x 10 min
    assert total(base, scale_builds(2)) == pytest.approx(BASELINE + WEB_BUILD + NIGHTLY, rel=1e-12)


def test_growth_compounds_every_flow_and_not_storage(base: Estimate) -> None:
    factor = 1.1 * 1.1  # 10% a month for 2 months
    grown = (WEB_MINUTES * factor * V2_MINUTE + WEB_BUILD_MINUTES * factor * SMALL + NIGHTLY_MINUTES * factor * MEDIUM
             + NOTIFY_REQUESTS * factor * REQUEST + NOTIFY_GBS * factor * X86_GBS + STORAGE
             + ARTIFACT_PUTS * factor * PUT)  # fmt: skip
    assert total(base, growth(0.1, 2)) == pytest.approx(grown, rel=1e-12)


def test_remove_pipeline_takes_what_it_is_billed_for(base: Estimate) -> None:
    assert total(base, remove_pipeline("web")) == pytest.approx(NIGHTLY, rel=1e-12)


def test_move_region_reprices_there(base: Estimate) -> None:
    moved = Scenario.of("Tokyo", move_region("ap-northeast-1")).apply(base, BOOK)
    tokyo = CODEPIPELINE + WEB_BUILD + NIGHTLY + NOTIFY + ARTIFACT_GB * TOKYO_STANDARD_GB + ARTIFACT_PUTS * TOKYO_PUT
    assert moved.complete
    assert moved.total == pytest.approx(tokyo, rel=1e-12)
    assert set(moved.lines["region"]) == {"ap-northeast-1"}


def test_a_scenario_needing_a_missing_price_is_incomplete_never_zero() -> None:
    result = estimate(with_windows(), period=NOVEMBER, pricebook=BOOK)
    assert result.total == pytest.approx(BASELINE + 50 * WINDOWS_MEDIUM, rel=1e-12)
    found = evaluate(result, [Scenario.of("Tokyo", move_region("ap-northeast-1"))], BOOK)["Tokyo"]
    assert not found.complete
    assert found.delta_usd is None
    assert found.delta_pct is None
    assert found.estimate.incomplete_services() == ["CodeBuild"]
    tokyo_priced = (
        CODEPIPELINE + WEB_BUILD + NIGHTLY + NOTIFY + ARTIFACT_GB * TOKYO_STANDARD_GB + ARTIFACT_PUTS * TOKYO_PUT
    )
    assert found.estimate.total == pytest.approx(tokyo_priced, rel=1e-12)  # a lower bound: Windows is not $0
    assert list(found.estimate.missing_prices["resource"]) == ["desktop"]
    table = compare(result, Scenario.of("Tokyo", move_region("ap-northeast-1")), pricebook=BOOK)
    tokyo_build = table[(table["scenario"] == "Tokyo") & (table["key"] == "CodeBuild")].iloc[0]
    assert not tokyo_build["complete"]
    assert pd.isna(tokyo_build["delta_usd"])
    assert tokyo_build["cost_usd"] == pytest.approx(WEB_BUILD + NIGHTLY, rel=1e-12)
    totals = table.totals().set_index("scenario")
    assert pd.isna(totals.loc["Tokyo", "delta_usd"])
    assert not totals.loc["Tokyo", "complete"]


def test_builders_refuse_impossible_values() -> None:
    with pytest.raises(ParameterError, match="factor"):
        scale_executions(-1)
    with pytest.raises(ParameterError, match="rate"):
        growth(-1.5, 3)
    with pytest.raises(ParameterError, match="months"):
        growth(0.1, 2.5)  # type: ignore[arg-type]


# --- builders on a snapshot --------------------------------------------------------------------------------------
# web (V2): 7 executions, each Build 61 s -> ceil = 2 min: 14 action minutes. b (general1.small, no pipeline):
# 5 builds of 90 s -> 2 min each: 10 build minutes. October's window, so no projection.

SNAP_MINUTES, SNAP_BUILD_MINUTES = 7 * 2, 5 * 2


@pytest.fixture(scope="module")
def observed() -> Estimate:
    runs = [action_run("web", i, "Build", 61.0) for i in range(7)]
    builds = [build_run("b", i, 90.0, "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER") for i in range(5)]
    snap = snapshot(pipelines=[pipeline("web", "V2", WINDOW_START - pd.Timedelta(days=400))],
                    action_executions=runs, builds=builds)  # fmt: skip
    result = from_snapshot(snap)
    assert result.total == pytest.approx(SNAP_MINUTES * V2_MINUTE + SNAP_BUILD_MINUTES * SMALL, rel=1e-12)
    return result


def test_builders_on_a_snapshot(observed: Estimate) -> None:
    pipeline_usd, builds_usd = SNAP_MINUTES * V2_MINUTE, SNAP_BUILD_MINUTES * SMALL
    assert total(observed, scale_executions(3)) == pytest.approx(3 * pipeline_usd + builds_usd, rel=1e-12)
    assert total(observed, scale_builds(3, project="b")) == pytest.approx(pipeline_usd + 3 * builds_usd, rel=1e-12)
    assert total(observed, growth(0.5, 1)) == pytest.approx(1.5 * (pipeline_usd + builds_usd), rel=1e-12)
    assert total(observed, remove_pipeline("web")) == pytest.approx(builds_usd, rel=1e-12)
    moved = Scenario.of("Tokyo", move_region("ap-northeast-1")).apply(observed, BOOK)
    assert moved.complete
    assert moved.total == pytest.approx(pipeline_usd + builds_usd, rel=1e-12)


# --- composition, compare, sweep, sensitivity, projection --------------------------------------------------------


def test_a_scenario_applies_its_changes_in_order(base: Estimate) -> None:
    scenario = Scenario.of("both", scale_builds(2, project="nightly")).then(remove_pipeline("web"))
    assert scenario.titles == ["builds x2 (project nightly)", "remove pipeline web"]
    assert scenario.apply(base, BOOK).total == pytest.approx(2 * NIGHTLY, rel=1e-12)


def test_compare_by_service_and_by_pipeline(base: Estimate) -> None:
    table = compare(base, Scenario.of("no web", remove_pipeline("web")), pricebook=BOOK)
    assert list(table.columns) == ["scenario", "key", "cost_usd", "delta_usd", "delta_pct", "complete"]
    row = table[(table["scenario"] == "no web") & (table["key"] == "CodeBuild")].iloc[0]
    assert row["cost_usd"] == pytest.approx(NIGHTLY)
    assert row["delta_usd"] == pytest.approx(-WEB_BUILD)
    assert row["delta_pct"] == pytest.approx(100 * -WEB_BUILD / (WEB_BUILD + NIGHTLY))
    by_pipeline = compare(base, Scenario.of("no web", remove_pipeline("web")), by="pipeline", pricebook=BOOK)
    web = by_pipeline[(by_pipeline["scenario"] == "no web") & (by_pipeline["key"] == "web")].iloc[0]
    assert web["cost_usd"] == 0.0
    assert web["delta_usd"] == pytest.approx(-(CODEPIPELINE + WEB_BUILD + NOTIFY + STORAGE + PUTS), rel=1e-12)
    assert isinstance(table.plot(), Figure)


def test_sweep_is_one_price_per_value(base: Estimate) -> None:
    table = sweep(base, lambda v: scale_builds(v, project="nightly"), [0, 1, 2], parameter="nightly builds")
    assert list(table["cost_usd"]) == pytest.approx([BASELINE - NIGHTLY, BASELINE, BASELINE + NIGHTLY], rel=1e-12)
    assert list(table["delta_usd"]) == pytest.approx([-NIGHTLY, 0.0, NIGHTLY], rel=1e-12)
    assert table["complete"].all()
    assert isinstance(table.plot(), Figure)


def test_sensitivity_sorts_by_swing(base: Estimate) -> None:
    builders = {"nightly builds": lambda v: scale_builds(v, project="nightly"), "executions": scale_executions}
    table = sensitivity(base, builders, low=0.5, high=1.5)
    assert list(table["name"]) == ["executions", "nightly builds"]
    flows_of_web = CODEPIPELINE + WEB_BUILD + NOTIFY + PUTS
    assert table.loc[0, "swing_usd"] == pytest.approx(flows_of_web, rel=1e-12)  # (1.5 - 0.5) x the web flows
    assert table.loc[1, "swing_usd"] == pytest.approx(NIGHTLY, rel=1e-12)
    assert isinstance(table.plot(), Figure)


def test_projection_against_a_budget(base: Estimate) -> None:
    flows = BASELINE - STORAGE
    table = project(base, months=3, growth=0.1, budget=10.5)
    assert list(table["month"]) == ["2026-11", "2026-12", "2027-01"]
    assert list(table["cost_usd"]) == pytest.approx([BASELINE, STORAGE + flows * 1.1, STORAGE + flows * 1.21])
    assert list(table["over_budget"]) == [False, False, True]  # $10.84 > $10.50
    assert table.first_over_budget == "2027-01"
    assert isinstance(table.plot(), Figure)


def test_v1_v2_breakeven_counts_the_accounts_free_allowances() -> None:
    """web (V2) runs 8 billed minutes an execution (ceil 0.5 + ceil 6.2); legacy (V1, active) already takes the
    account's one free V1 pipeline, and the account has 100 free V2 minutes a month.
    On V2 the estate costs 0.002 x (800 x f - 100) (legacy free); on V1 it costs 2 pipeline-months - 1 free = $1.
    Equal at 800 f - 100 = 1 / 0.002 = 500, f = 0.75: 75 executions a month (web runs 100 today)."""
    from costkit.change import Change
    from costkit.whatif import breakeven

    legacy = {"type": "V1", "active": True}
    planned = usage(free_tier=True)
    planned = {key: planned[key] for key in ("version", "region", "account", "free_tier", "pipelines")}
    planned["pipelines"] = {**planned["pipelines"], "legacy": legacy}
    result = estimate(planned, period=NOVEMBER, pricebook=BOOK)
    assert result.total == pytest.approx((WEB_MINUTES - 100) * V2_MINUTE, rel=1e-12)  # $1.40

    def as_v1(rows: pd.DataFrame) -> pd.DataFrame:
        web = (rows["service"] == "CodePipeline") & (rows["resource"] == "web")
        pipeline_month = {**rows[web].iloc[0].to_dict(), "component": "pipeline (V1)", "usage_type": "ActivePipeline",
                          "unit": "Pipeline-Month", "meter": "pipeline-month", "quantity": 1.0}  # fmt: skip
        return pd.concat([rows[~web], pd.DataFrame([pipeline_month])], ignore_index=True)

    found = breakeven(
        result,
        lambda f: scale_executions(f, pipeline="web"),
        lambda f: scale_executions(f, pipeline="web").then(Change("web on V1", as_v1)),
        low=0.0,
        high=2.0,
        names=("V2", "V1"),
        parameter="web executions (x 100 a month)",
        points=3,
        pricebook=BOOK,
    )
    assert found.complete
    assert found.value == pytest.approx(0.75, rel=1e-9)
    assert found.cost_usd == pytest.approx(1.00, rel=1e-9)
    assert isinstance(found.plot(), Figure)
    assert list(found.curve["right_usd"]) == pytest.approx([1.0, 1.0, 1.0])  # V1 is flat: $1 at 0, 100 and 200 runs
    assert list(found.curve["left_usd"]) == pytest.approx([0.0, (800 - 100) * V2_MINUTE, (1600 - 100) * V2_MINUTE])
