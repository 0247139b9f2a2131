"""Properties that hold for any usage. Each one earns its place by catching a class of billing bug:
- more usage never costs less (a free share above 1, a tier that drops when crossed, a price past the last
  published tier that silently costs $0);
- the free tier never makes a line negative nor larger than its gross (a free allowance applied twice);
- tiered prices follow the published tiers for any quantity (a boundary moved, a tier's width wrong);
- the Lambda free pool is one pool for x86 and Arm (an architecture given its own allowance);
- V2 action minutes are rounded up per execution (ceil turned into round, approvals or custom charged).
Oracles are written from the pricing pages' figures, not from costkit's code."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costkit import Estimate, Period, estimate, load_pricebook

PERIOD = Period.month(2026, 11)
BOOK = load_pricebook()

amount = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
big_amount = st.floats(min_value=0, max_value=1e11, allow_nan=False, allow_infinity=False)


@st.composite
def usage_files(draw: st.DrawFn) -> dict[str, Any]:
    # Regions with a price for every usage type drawn here (us-east-2 has no CodeBuild prices).
    region = draw(st.sampled_from(["us-east-1", "ap-northeast-1"]))
    actions = [
        {
            "name": f"a{i}",
            "category": draw(st.sampled_from(["Build", "Test", "Approval", "Invoke"])),
            "minutes": draw(st.floats(min_value=0, max_value=120)),
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    return {
        "version": 1,
        "region": region,
        "free_tier": draw(st.booleans()),
        "pipelines": {
            "p2": {"type": "V2", "executions_per_month": draw(amount), "actions": actions},
            "p1": {"type": "V1", "active": draw(st.booleans())},
        },
        "codebuild": {
            "b": {
                "compute_type": "BUILD_GENERAL1_SMALL",
                "environment_type": "LINUX_CONTAINER",
                "builds_per_month": draw(amount),
                "minutes_per_build": draw(st.floats(0, 480)),
            },
        },
        "lambda": {
            "f": {
                "memory_mb": draw(st.integers(128, 10240)),
                "architecture": draw(st.sampled_from(["x86_64", "arm64"])),
                "requests_per_month": draw(big_amount),
                "duration_ms": draw(st.floats(0, 900_000)),
            },
        },
        "s3": {
            "s": {
                "storage_class": "STANDARD",
                "storage_gb": draw(st.floats(0, 2e6)),
                "put_requests_per_month": draw(amount),
                "get_requests_per_month": draw(amount),
            }
        },
    }


def grow(usage: dict[str, Any], factor: float) -> dict[str, Any]:
    """The same usage file with every volume multiplied by `factor`."""
    p2, build, function, bucket = (
        usage["pipelines"]["p2"],
        usage["codebuild"]["b"],
        usage["lambda"]["f"],
        usage["s3"]["s"],
    )
    return {
        **usage,
        "pipelines": {**usage["pipelines"], "p2": {**p2, "executions_per_month": p2["executions_per_month"] * factor}},
        "codebuild": {"b": {**build, "builds_per_month": build["builds_per_month"] * factor}},
        "lambda": {"f": {**function, "requests_per_month": function["requests_per_month"] * factor}},
        "s3": {"s": {**bucket, "storage_gb": bucket["storage_gb"] * factor}},
    }


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close_or_above(after: float, before: float) -> bool:
    return after >= before - 1e-9 * max(1.0, before)


@SETTINGS
@given(usage_files(), st.floats(min_value=1.0, max_value=50.0))
def test_cost_never_decreases_when_usage_grows(usage: dict[str, Any], factor: float) -> None:
    usage = {**usage, "region": "us-east-1"}  # every tier of every usage type drawn here is published there
    before = estimate(usage, period=PERIOD, pricebook=BOOK)
    after = estimate(grow(usage, factor), period=PERIOD, pricebook=BOOK)
    assert before.complete
    assert after.complete
    assert close_or_above(after.total, before.total)
    for service, cost in before.by_service().items():
        assert close_or_above(after.by_service()[service], cost)


@SETTINGS
@given(usage_files())
def test_free_tier_never_makes_a_line_negative_or_exceed_its_gross(usage: dict[str, Any]) -> None:
    lines = estimate(usage, period=PERIOD, pricebook=BOOK).lines.dropna(subset=["cost_usd"])
    assert (lines["cost_usd"] >= 0).all()
    assert (lines["free_tier_usd"] <= lines["gross_usd"] + 1e-12).all()
    assert (lines["free_tier_quantity"] <= lines["quantity"] + 1e-9).all()


@SETTINGS
@given(usage_files(), st.floats(min_value=1.0, max_value=1e4))
def test_growth_past_the_last_published_tier_is_reported_not_cheaper(usage: dict[str, Any], factor: float) -> None:
    usage = {**usage, "region": "ap-northeast-1"}  # Lambda duration: only the first tier is published there
    before = estimate(usage, period=PERIOD, pricebook=BOOK)
    after = estimate(grow(usage, factor), period=PERIOD, pricebook=BOOK)
    if after.complete:
        assert close_or_above(after.total, before.total)
    else:
        assert "Lambda" in after.incomplete_services()


def lambda_file(x86_gb_seconds: float, arm_gb_seconds: float, free_tier: bool) -> dict[str, Any]:
    """Two 1 GB functions whose requests last 1 s each: requests = GB-seconds."""

    def function(arch: str, gb_seconds: float) -> dict[str, Any]:
        return {"memory_mb": 1024, "architecture": arch, "requests_per_month": gb_seconds, "duration_ms": 1000}

    return {"version": 1, "region": "us-east-1", "free_tier": free_tier,
            "lambda": {"x": function("x86_64", x86_gb_seconds), "a": function("arm64", arm_gb_seconds)}}  # fmt: skip


def line_cost(result: Estimate, usage_type: str) -> float:
    lines = result.lines[result.lines["usage_type"] == usage_type]
    return float(lines["cost_usd"].sum())


def tiered(quantity: float, boundaries: tuple[float, ...], prices: tuple[float, ...]) -> float:
    """The published tiers: `prices[i]` for the units between boundaries[i - 1] and boundaries[i]."""
    edges = (0.0, *boundaries, math.inf)
    return math.fsum(max(0.0, min(quantity, edges[i + 1]) - edges[i]) * price for i, price in enumerate(prices))


X86_TIERS = ((6e9, 15e9), (0.0000166667, 0.000015, 0.0000133334))
ARM_TIERS = ((7.5e9, 18.75e9), (0.0000133334, 0.0000120001, 0.0000106667))
S3_TIERS = ((51_200.0, 512_000.0), (0.023, 0.022, 0.021))
gb_seconds = st.one_of(
    st.floats(min_value=0, max_value=3e10, allow_nan=False),
    st.sampled_from([6e9, 7.5e9, 15e9, 18.75e9]).flatmap(lambda b: st.floats(b - 1e7, b + 1e7)),
)


@SETTINGS
@given(gb_seconds, gb_seconds)
def test_lambda_duration_follows_the_published_tiers(x86: float, arm: float) -> None:
    result = estimate(lambda_file(x86, arm, free_tier=False), period=PERIOD, pricebook=BOOK)
    assert math.isclose(line_cost(result, "Lambda-GB-Second"), tiered(x86, *X86_TIERS), rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(line_cost(result, "Lambda-GB-Second-ARM"), tiered(arm, *ARM_TIERS), rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(
    st.one_of(st.floats(0, 2e6), st.sampled_from([51_200.0, 512_000.0]).flatmap(lambda b: st.floats(b - 50, b + 50)))
)
def test_s3_standard_storage_follows_the_published_tiers(gb: float) -> None:
    usage = {"version": 1, "region": "us-east-1", "s3": {"b": {"storage_class": "STANDARD", "storage_gb": gb}}}
    result = estimate(usage, period=PERIOD, pricebook=BOOK)
    assert math.isclose(result.by_service()["S3"], tiered(gb, *S3_TIERS), rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(st.floats(0, 2e6), st.floats(0, 2e6))
def test_lambda_free_seconds_are_one_pool_for_both_architectures(x86: float, arm: float) -> None:
    result = estimate(lambda_file(x86, arm, free_tier=True), period=PERIOD, pricebook=BOOK)
    duration = result.lines[result.lines["usage_type"].isin(["Lambda-GB-Second", "Lambda-GB-Second-ARM"])]
    free = float(duration["free_tier_quantity"].sum())
    assert math.isclose(free, min(400_000.0, x86 + arm), rel_tol=1e-9, abs_tol=1e-6)
    requests = result.lines[result.lines["usage_type"].isin(["Request", "Request-ARM"])]
    assert math.isclose(float(requests["free_tier_quantity"].sum()), min(1e6, x86 + arm), rel_tol=1e-9, abs_tol=1e-6)


@SETTINGS
@given(
    st.integers(0, 500),
    st.lists(
        st.tuples(
            st.floats(0.01, 90), st.sampled_from(["Build", "Test", "Approval"]), st.sampled_from(["AWS", "Custom"])
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_v2_minutes_are_rounded_up_per_execution(executions: int, actions: list[tuple[float, str, str]]) -> None:
    usage = {
        "version": 1, "region": "us-east-1", "free_tier": False,
        "pipelines": {"p": {"type": "V2", "executions_per_month": executions, "actions": [
            {"name": f"a{i}", "category": category, "owner": owner, "minutes": minutes}
            for i, (minutes, category, owner) in enumerate(actions)
        ]}},
    }  # fmt: skip
    charged = [minutes for minutes, category, owner in actions if category != "Approval" and owner != "Custom"]
    # Whole minutes per execution; round(, 9) first as the billing layer does, so 8.3 x 60 / 60 is not 9.
    expected = executions * sum(math.ceil(round(m, 9)) for m in charged) * 0.002
    result = estimate(usage, period=PERIOD, pricebook=BOOK)
    assert math.isclose(result.by_service()["CodePipeline"], expected, rel_tol=1e-9, abs_tol=1e-9)
