"""Golden tests: usage files in tests/golden, expected cost lines worked out by hand as price x quantity.

Prices used (us-east-1 unless stated; see pricing/*.csv for sources):
CodePipeline V1 $1.00 per active pipeline-month, V2 $0.002 per action minute;
CodeBuild general1.small $0.005, general1.medium $0.01, arm1.small $0.0034 per minute;
Lambda $0.0000002 per request; x86 GB-s $0.0000166667 / $0.000015 / $0.0000133334 (tiers at 6 B, 15 B);
Arm GB-s $0.0000133334 / $0.0000120001 / $0.0000106667 (tiers at 7.5 B, 18.75 B); ephemeral $0.0000000309;
S3 Standard $0.023 / $0.022 / $0.021 per GB-month (tiers at 51,200 and 512,000 GB), PUT $0.005 and GET
$0.0004 per 1,000; Standard-IA $0.0125 per GB-month, GET $0.001 per 1,000, retrieval $0.01 per GB,
transitions $0.01 per 1,000; Glacier Flexible Retrieval $0.0036 per GB-month.
"""

from __future__ import annotations

import math

import pytest
from conftest import NOVEMBER_2026, line, run

KB = 1 / (1024 * 1024)  # one KB in GB


def test_v2_action_minutes_round_up_per_action_execution() -> None:
    result = run("v2_rounding")
    lint = line(result, "quick", component="Lint (Test)")
    package = line(result, "quick", component="Package (Build)")
    assert lint["quantity"] == 500 * 1  # 0.3 min rounds up to 1 min, 500 times
    assert package["quantity"] == 500 * 3  # 2.01 min rounds up to 3 min
    assert lint["cost_usd"] == pytest.approx(500 * 0.002)
    assert package["cost_usd"] == pytest.approx(1500 * 0.002)
    assert result.total == pytest.approx(2000 * 0.002)  # $4.00, not ceil(500 x 0.3 + 500 x 2.01) x $0.002


def test_v2_approval_and_custom_actions_are_not_charged() -> None:
    result = run("v2_exclusions")
    assert line(result, "gated", component="Approve (Approval)")["cost_usd"] == 0
    assert line(result, "gated", component="OnPremDeploy (Deploy)")["cost_usd"] == 0
    assert result.total == pytest.approx(100 * 4 * 0.002)


def test_free_tiers_are_consumed_once_per_account_across_resources_and_regions() -> None:
    result = run("free_tiers_shared")
    # V2: 300 + 100 minutes (two regions) share 100 free minutes: 25% of each line is free.
    assert line(result, "big")["cost_usd"] == pytest.approx((300 - 75) * 0.002)
    assert line(result, "small")["cost_usd"] == pytest.approx((100 - 25) * 0.002)
    # V1: three active pipelines, one free pipeline-month shared: $2 in all.
    v1 = result.lines[result.lines["usage_type"] == "ActivePipeline"]
    assert v1["cost_usd"].sum() == pytest.approx(3 * 1.00 - 1.00)
    # CodeBuild: 80 + 70 small minutes against one 100-minute (6,000 s) pool: two thirds free.
    assert line(result, "linux-small")["cost_usd"] == pytest.approx((80 - 80 * 2 / 3) * 0.005)
    assert line(result, "arm-small")["cost_usd"] == pytest.approx((70 - 70 * 2 / 3) * 0.0034)
    # Lambda: 700,000 x86 + 500,000 Arm requests share 1 M free requests.
    requests = result.lines[result.lines["usage_type"].str.startswith("Request")]
    assert requests["cost_usd"].sum() == pytest.approx((1_200_000 - 1_000_000) * 0.0000002)
    # 150 GB-s of duration is far inside 400,000 free GB-s.
    duration = result.lines[result.lines["usage_type"].str.startswith("Lambda-GB-Second")]
    assert duration["cost_usd"].sum() == 0
    assert duration["free_tier_usd"].sum() == pytest.approx(87.5 * 0.0000166667 + 62.5 * 0.0000133334)
    expected_total = 225 * 0.002 + 75 * 0.002 + 2.00 + (80 / 3) * 0.005 + (70 / 3) * 0.0034 + 200_000 * 0.0000002
    assert result.total == pytest.approx(expected_total)


def test_free_tier_scope_account_or_organization() -> None:
    per_account = run("two_accounts")
    assert per_account.total == 0  # each account's 100 minutes are inside its own 100 free minutes
    organization = run("two_accounts", free_tier_scope="organization")
    assert organization.total == pytest.approx((200 - 100) * 0.002)
    off = run("two_accounts", free_tier=False)
    assert off.total == pytest.approx(200 * 0.002)


def test_lambda_duration_tiers_accumulate_per_architecture() -> None:
    result = run("lambda_tiers")
    x86 = line(result, "x86-heavy", "Lambda-GB-Second")
    arm = line(result, "arm-heavy", "Lambda-GB-Second-ARM")
    assert x86["quantity"] == 7e9
    assert x86["cost_usd"] == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015)
    assert arm["cost_usd"] == pytest.approx(7.5e9 * 0.0000133334 + 0.5e9 * 0.0000120001)
    assert line(result, "x86-heavy", "Request")["cost_usd"] == pytest.approx(7e9 * 0.0000002)


def test_s3_standard_storage_crosses_the_first_tier_at_51200_gb() -> None:
    result = run("s3_tiers")
    expected = 51_200 * 0.023 + (60_000 - 51_200) * 0.022
    assert result.by_service()["S3"] == pytest.approx(expected)
    # The two equal buckets share the blended rate.
    assert line(result, "artifacts-a", "TimedStorage-ByteHrs")["cost_usd"] == pytest.approx(expected / 2)
    assert line(result, "artifacts-a", "TimedStorage-ByteHrs")["unit_price_usd"] == pytest.approx(expected / 60_000)


def test_codebuild_rounds_per_build_but_takes_given_minutes_as_rounded() -> None:
    result = run("codebuild_rounding")
    assert line(result, "per-build")["quantity"] == 100 * 3
    assert line(result, "per-build")["cost_usd"] == pytest.approx(300 * 0.01)
    assert line(result, "pre-rounded")["cost_usd"] == pytest.approx(210 * 0.01)


def test_v1_trial_inactive_and_free_pipeline() -> None:
    result = run("v1_pipelines")
    assert line(result, "new")["usage_type"] == "TrialPipeline"
    assert line(result, "new")["cost_usd"] == 0
    assert line(result, "idle")["quantity"] == 0
    assert result.total == pytest.approx(2 * 1.00 - 1.00)
    ids = {a["id"] for a in result.assumptions}
    assert {"v1-active", "v1-created-unknown"} <= ids


def test_s3_minimum_object_size_archive_overhead_transitions_and_retrieval() -> None:
    result = run("s3_classes")
    ia = line(result, "tiny-objects-ia", "TimedStorage-SIA-ByteHrs")
    assert ia["quantity"] == pytest.approx(1_000_000 * 128 * KB)  # 122.07 GB billed, not 10 GB
    assert ia["cost_usd"] == pytest.approx(1_000_000 * 128 * KB * 0.0125)
    assert line(result, "tiny-objects-ia", "Transition-SIA")["cost_usd"] == pytest.approx(20_000 * 0.01 / 1000)
    assert line(result, "tiny-objects-ia", "Retrieval-SIA")["cost_usd"] == pytest.approx(5 * 0.01)
    assert line(result, "tiny-objects-ia", "Requests-SIA-Tier2")["cost_usd"] == pytest.approx(10_000 * 0.001 / 1000)
    archive = line(result, "archive", "TimedStorage-GlacierByteHrs")
    assert archive["cost_usd"] == pytest.approx((1000 + 100_000 * 32 * KB) * 0.0036)
    index = line(result, "archive", "TimedStorage-ByteHrs")
    assert index["cost_usd"] == pytest.approx(100_000 * 8 * KB * 0.023)


def test_lambda_rounds_each_request_to_a_millisecond_and_charges_ephemeral_storage() -> None:
    result = run("lambda_rounding")
    fast = line(result, "fast", "Lambda-GB-Second")
    assert fast["quantity"] == pytest.approx(1_000_000 * 0.101 * 128 / 1024)  # 100.2 ms billed as 101 ms
    assert fast["cost_usd"] == pytest.approx(12_625 * 0.0000166667)
    storage = line(result, "scratch", "Lambda-Storage-GB-Second")
    assert storage["quantity"] == pytest.approx(1000 * 2.0 * (2048 - 512) / 1024)
    assert storage["cost_usd"] == pytest.approx(3000 * 0.0000000309)


def test_missing_prices_are_reported_never_zero() -> None:
    result = run("missing_prices")
    assert not result.complete
    assert set(result.missing_prices["resource"]) == {"lambda-compute", "eu-build"}
    assert result.lines["cost_usd"].isna().sum() == 2
    assert result.total == 0  # a lower bound, flagged incomplete
    as_json = result.to_dict()
    assert as_json["complete"] is False
    assert all(entry["cost_usd"] is None for entry in as_json["lines"])


def test_fallback_region_borrows_and_marks_the_line() -> None:
    result = run("missing_prices", fallback_region="us-east-1")
    borrowed = line(result, "eu-build")
    assert borrowed["region"] == "eu-west-1"
    assert borrowed["price_region"] == "us-east-1"
    assert borrowed["cost_usd"] == pytest.approx(10 * 3 * 0.005)
    assert "fallback-region" in {a["id"] for a in result.assumptions}
    assert list(result.missing_prices["resource"]) == ["lambda-compute"]  # no price in us-east-1 either


def test_total_is_the_sum_of_lines_and_by_service_has_the_four_services() -> None:
    result = run("free_tiers_shared")
    assert list(result.by_service().index) == ["CodePipeline", "CodeBuild", "Lambda", "S3"]
    assert math.isclose(result.by_service().sum(), result.total)


def test_organization_tiers_hold_with_the_free_tier_off() -> None:
    usage = {
        "version": 1,
        "free_tier": False,
        "s3": {
            "a": {"account": "111111111111", "storage_gb": 30_000},
            "b": {"account": 222222222222, "storage_gb": 30_000},
        },
    }
    from costkit import estimate

    per_account = estimate(usage, period=NOVEMBER_2026)
    assert per_account.total == pytest.approx(2 * 30_000 * 0.023)  # each account below the 51,200 GB boundary
    organization = estimate(usage, period=NOVEMBER_2026, free_tier_scope="organization")
    assert organization.total == pytest.approx(51_200 * 0.023 + 8_800 * 0.022)
    assert organization.options["free_tier"] is False


def test_per_second_rounding_is_not_fooled_by_float_noise() -> None:
    from costkit import estimate

    usage = {
        "version": 1,
        "codebuild": {
            "l": {
                "compute_type": "BUILD_LAMBDA_1GB",
                "environment_type": "LINUX_LAMBDA_CONTAINER",
                "builds_per_month": 1000,
                "minutes_per_build": 8.3,  # 8.3 x 60 = 498.00000000000006 in floating point
            }
        },
    }
    assert line(estimate(usage, period=NOVEMBER_2026), "l")["quantity"] == 1000 * 498


def test_anything_that_runs_is_billed_at_least_one_unit() -> None:
    from costkit import estimate

    usage = {
        "version": 1,
        "free_tier": False,
        "pipelines": {
            "p": {
                "type": "V2",
                "executions_per_month": 1000,
                "actions": [{"name": "S", "category": "Source", "minutes": 0}],
            }
        },
        "lambda": {"f": {"memory_mb": 1024, "requests_per_month": 1000, "duration_ms": 0}},
    }
    result = estimate(usage, period=NOVEMBER_2026)
    assert line(result, "p")["cost_usd"] == pytest.approx(1000 * 1 * 0.002)
    assert line(result, "f", "Lambda-GB-Second")["quantity"] == pytest.approx(1000 * 0.001 * 1.0)


def test_missing_prices_mark_their_service_as_a_lower_bound() -> None:
    result = run("missing_prices")
    assert result.incomplete_services() == ["CodeBuild"]
    assert result.to_dict()["incomplete_services"] == ["CodeBuild"]
