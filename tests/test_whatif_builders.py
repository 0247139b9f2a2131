"""The model builders (pipeline type, execution mode, compute and Arm, caching, retention, Lambda), each on the small
usage file of test_whatif and on a small snapshot, priced by hand; and composition order where it matters.

Prices as in test_whatif, plus: CodeBuild us-east-1 general1.large $0.02/min, arm1.small $0.0034/min (no published
us-east-1 price for Arm medium: missing); CodePipeline V1 $1 per active pipeline-month; Lambda Arm
$0.0000133334 per GB-s, requests $0.20 per million. Free tiers off, so each figure is price x quantity.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from test_billing_boundaries import (
    GIB,
    NOVEMBER,
    WINDOW_START,
    action_run,
    build_run,
    from_snapshot,
    function,
    pipeline,
    snapshot,
)
from test_whatif import (
    BASELINE,
    BOOK,
    CODEPIPELINE,
    MEDIUM,
    NIGHTLY,
    NOTIFY_REQUESTS,
    PUT,
    REQUEST,
    SMALL,
    STANDARD_GB,
    STORAGE,
    V2_MINUTE,
    WEB_BUILD,
    base,  # noqa: F401  (the fixture)
    total,
    usage,
)

from costkit import Estimate, estimate
from costkit.errors import CostkitError, ParameterError
from costkit.whatif import (
    Scenario,
    arm_builds,
    artifact_retention,
    caching,
    compute,
    execution_mode,
    lambda_functions,
    pipeline_type,
    scale_executions,
)

LARGE, ARM_SMALL, ARM_GBS, V1_MONTH = 0.02, 0.0034, 0.0000133334, 1.00
LEGACY = {"type": "V1", "active": True, "executions_per_month": 10,
          "actions": [{"name": "Build", "category": "Build", "minutes": 3}]}  # fmt: skip


def with_legacy(**legacy: Any) -> Estimate:
    planned = usage()
    planned["pipelines"] = {**planned["pipelines"], "legacy": {**LEGACY, **legacy}}
    return estimate(planned, period=NOVEMBER, pricebook=BOOK)


# --- pipeline type and execution mode ------------------------------------------------------------------------------


def test_pipeline_type_both_ways_on_a_usage_file() -> None:
    result = with_legacy()
    assert result.total == pytest.approx(BASELINE + V1_MONTH, rel=1e-12)
    # web on V1: $1 instead of 800 min x $0.002; legacy on V2: 10 executions x ceil(3 min) x $0.002 instead of $1
    assert total(result, pipeline_type("V1", "web")) == pytest.approx(BASELINE - CODEPIPELINE + 2 * V1_MONTH)
    assert total(result, pipeline_type("V2", "legacy")) == pytest.approx(BASELINE + 10 * 3 * V2_MINUTE, rel=1e-12)
    assert total(result, pipeline_type("V1")) == pytest.approx(BASELINE - CODEPIPELINE + 2 * V1_MONTH, rel=1e-12)


def test_a_pipeline_with_v2_only_features_stays_on_v2() -> None:
    planned = usage()
    planned["pipelines"]["web"]["triggers"] = True
    result = estimate(planned, period=NOVEMBER, pricebook=BOOK)
    with pytest.raises(CostkitError, match="only on V2"):
        Scenario.of("web on V1", pipeline_type("V1", "web")).apply(result, BOOK)
    kept = Scenario.of("all on V1", pipeline_type("V1")).apply(result, BOOK)
    assert kept.total == pytest.approx(BASELINE, rel=1e-12)  # web is kept on V2: nothing changes
    assert "whatif-kept-on-v2" in {a["id"] for a in kept.assumptions}
    assert "1 pipeline" in next(a["text"] for a in kept.assumptions if a["id"] == "whatif-kept-on-v2")


def test_queued_mode_puts_a_v1_pipeline_on_v2() -> None:
    result = with_legacy()
    assert total(result, execution_mode("QUEUED", "legacy")) == pytest.approx(BASELINE + 10 * 3 * V2_MINUTE)


def test_composition_order_of_type_and_scale_does_not_matter_over_runs() -> None:
    result = with_legacy()
    # 10 executions x 2 = 20 x ceil(3 min) = 60 min x $0.002, whichever comes first
    expected = BASELINE + 20 * 3 * V2_MINUTE
    assert total(result, pipeline_type("V2", "legacy"), scale_executions(2, "legacy")) == pytest.approx(expected)
    assert total(result, scale_executions(2, "legacy"), pipeline_type("V2", "legacy")) == pytest.approx(expected)


# --- compute, Arm, caching -------------------------------------------------------------------------------------------


def test_compute_type_with_a_duration_factor_rounds_each_build_again(base: Estimate) -> None:  # noqa: F811
    # nightly: 30 builds x 10 min x 0.62 = 6.2 min -> ceil 7 min each on general1.large: 210 x $0.02
    changed = compute("BUILD_GENERAL1_LARGE", duration_factor=0.62, project="nightly")
    assert total(base, changed) == pytest.approx(BASELINE - NIGHTLY + 30 * 7 * LARGE, rel=1e-12)


def test_composition_order_matters_when_one_change_selects_what_another_made(base: Estimate) -> None:  # noqa: F811
    small_to_medium = compute("BUILD_GENERAL1_MEDIUM", from_compute_type="BUILD_GENERAL1_SMALL")
    medium_to_large = compute("BUILD_GENERAL1_LARGE", from_compute_type="BUILD_GENERAL1_MEDIUM")
    others = BASELINE - WEB_BUILD - NIGHTLY
    # small -> medium first: web-build then goes on to large too (400 min) with nightly (300 min), all at $0.02
    assert total(base, small_to_medium, medium_to_large) == pytest.approx(others + (400 + 300) * LARGE, rel=1e-12)
    # medium -> large first: only nightly moves to large; web-build stops at medium ($0.01)
    assert total(base, medium_to_large, small_to_medium) == pytest.approx(others + 300 * LARGE + 400 * MEDIUM)


def test_arm_builds_round_again_and_a_missing_arm_price_is_incomplete(base: Estimate) -> None:  # noqa: F811
    # web-build: 100 builds x 4 min x 0.8 = 3.2 -> ceil 4 min each on arm1.small: 400 x $0.0034
    assert total(base, arm_builds(0.8, project="web-build")) == pytest.approx(BASELINE - WEB_BUILD + 400 * ARM_SMALL)
    everything = Scenario.of("all Arm", arm_builds()).apply(base, BOOK)
    assert not everything.complete  # nightly is medium: no us-east-1 Arm medium price is shipped
    assert list(everything.missing_prices["resource"]) == ["nightly"]
    assert everything.total == pytest.approx(BASELINE - WEB_BUILD - NIGHTLY + 400 * ARM_SMALL, rel=1e-12)


def test_caching_on_a_usage_file_needs_the_phase_share(base: Estimate) -> None:  # noqa: F811
    # nightly: INSTALL is half of 10 min, cut by 60%: 10 x (1 - 0.6 x 0.5) = 7 min each, 30 x 7 x $0.01
    cut = caching(0.6, ["INSTALL"], project="nightly", phase_share=0.5)
    assert total(base, cut) == pytest.approx(BASELINE - NIGHTLY + 30 * 7 * MEDIUM, rel=1e-12)
    with pytest.raises(ParameterError, match="phase_share"):
        total(base, caching(0.6, ["INSTALL"], project="nightly"))
    with pytest.raises(ParameterError, match="phases"):
        caching(0.6, ["COMPILE"])


# --- storage and Lambda ----------------------------------------------------------------------------------------------


def test_artifact_retention_scales_what_is_stored(base: Estimate) -> None:  # noqa: F811
    assert total(base, artifact_retention(15, 30)) == pytest.approx(BASELINE - STORAGE + 50 * STANDARD_GB)


def test_lambda_memory_architecture_and_duration(base: Estimate) -> None:  # noqa: F811
    # notify: 1 M requests x 0.05 s x 0.25 GB = 12,500 GB-s at the Arm rate; requests $0.20 per million either way
    changed = lambda_functions(memory_mb=256, architecture="arm64", duration_factor=0.5)
    notify = NOTIFY_REQUESTS * REQUEST + 1_000_000 * 0.05 * 0.25 * ARM_GBS
    x86_notify = NOTIFY_REQUESTS * REQUEST + 1_000_000 * 0.1 * 0.125 * 0.0000166667
    assert total(base, changed) == pytest.approx(BASELINE - x86_notify + notify, rel=1e-12)


# --- the same builders on a snapshot ---------------------------------------------------------------------------------
# web (V2, 400 days old): 7 executions, Build 61 s each (2 min), and one execution abandoned after 10 s (1 min).
# b: 5 builds of 90 s on general1.small, 60 s of them INSTALL (2 min each). f: 1 M invocations of 100 ms at 128 MB.
# artifacts: 100 GB in S3 Standard. October's window: no projection.


@pytest.fixture(scope="module")
def observed() -> Estimate:
    runs = [action_run("web", i, "Build", 61.0) for i in range(7)]
    runs.append({**action_run("web", 7, "Build", 10.0), "status": "Abandoned"})
    builds = [{**build_run("b", i, 90.0, "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER"), "install_s": 60.0}
              for i in range(5)]  # fmt: skip
    snap = snapshot(
        pipelines=[pipeline("web", "V2", WINDOW_START - pd.Timedelta(days=400))], action_executions=runs, builds=builds,
        functions=[{k: v for k, v in function("f", 128, "x86_64", 1e6, 100).items() if k not in ("invocations",
                   "duration_ms_avg")}],
        function_metrics=[{"function": "f", "invocations": 1e6, "duration_ms_avg": 100}],
        bucket_storage=[{"bucket": "artifacts", "storage_type": "StandardStorage", "avg_bytes": 100 * GIB}],
    )  # fmt: skip
    result = from_snapshot(snap)
    lambda_usd = 1e6 * REQUEST + 1e6 * 0.1 * 0.125 * 0.0000166667
    assert result.total == pytest.approx((7 * 2 + 1) * V2_MINUTE + 5 * 2 * SMALL + lambda_usd + 100 * STANDARD_GB)
    return result


def test_model_builders_on_a_snapshot(observed: Estimate) -> None:
    pipeline_usd, builds_usd = (7 * 2 + 1) * V2_MINUTE, 5 * 2 * SMALL
    lambda_usd = 1e6 * REQUEST + 1e6 * 0.1 * 0.125 * 0.0000166667
    rest = observed.total
    assert total(observed, pipeline_type("V1", "web")) == pytest.approx(rest - pipeline_usd + V1_MONTH, rel=1e-12)
    # QUEUED: the abandoned execution runs to the end like the others (61 s: 2 min)
    assert total(observed, execution_mode("QUEUED", "web")) == pytest.approx(rest + V2_MINUTE, rel=1e-12)
    assert total(observed, arm_builds()) == pytest.approx(rest - builds_usd + 5 * 2 * ARM_SMALL, rel=1e-12)
    assert total(observed, compute("BUILD_GENERAL1_MEDIUM")) == pytest.approx(rest - builds_usd + 5 * 2 * MEDIUM)
    # caching halves INSTALL: 90 - 30 = 60 s, 1 min each
    assert total(observed, caching(0.5, ["INSTALL"])) == pytest.approx(rest - builds_usd + 5 * 1 * SMALL, rel=1e-12)
    arm_lambda = 1e6 * REQUEST + 1e6 * 0.1 * 0.125 * ARM_GBS
    assert total(observed, lambda_functions(architecture="arm64")) == pytest.approx(rest - lambda_usd + arm_lambda)
    assert total(observed, artifact_retention(7, 14)) == pytest.approx(rest - 50 * STANDARD_GB, rel=1e-12)
    assert PUT > 0  # artifact requests are not modelled in this snapshot
