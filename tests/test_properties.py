"""Properties that hold for any usage: more usage never costs less, the free tier never makes a line
negative, and the total is the sum of the lines."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costkit import Period, estimate, load_pricebook

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


@SETTINGS
@given(usage_files())
def test_total_equals_the_sum_of_lines_and_of_services(usage: dict[str, Any]) -> None:
    result = estimate(usage, period=PERIOD, pricebook=BOOK)
    assert math.isclose(result.total, math.fsum(result.lines["cost_usd"].dropna()), rel_tol=1e-12, abs_tol=1e-9)
    assert math.isclose(math.fsum(result.by_service()), result.total, rel_tol=1e-12, abs_tol=1e-9)
    printed = result.to_dict()
    priced = [entry["cost_usd"] for entry in printed["lines"] if entry["cost_usd"] is not None]
    assert math.isclose(printed["total_usd"], math.fsum(priced), rel_tol=1e-12, abs_tol=1e-9)


@SETTINGS
@given(usage_files())
def test_free_tier_only_ever_lowers_the_total(usage: dict[str, Any]) -> None:
    with_free = estimate(usage, period=PERIOD, pricebook=BOOK, free_tier=True)
    without = estimate(usage, period=PERIOD, pricebook=BOOK, free_tier=False)
    assert with_free.total <= without.total + 1e-9
