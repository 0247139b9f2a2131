"""The bundled examples priced by hand for November 2026 (30 days), service by service.

Quantities are worked out from the YAML in the comments; prices are the us-east-1 figures a person reads
in pricing/*.csv (checked against the CSV files by `test_the_prices_used_here_are_the_shipped_ones`).
Rules applied by hand: V2 action minutes rounded up per execution, approvals free, 100 free V2 minutes
and 1 free V1 pipeline per account; CodeBuild EC2 minutes rounded up per build, 100 free minutes
(6,000 s) of general1.small / arm1.small; Lambda 1 M requests and 400,000 GB-s free, shared by x86 and
Arm in proportion to use; S3 Glacier adds 32 KB per object at the Glacier rate and 8 KB at Standard.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from costkit import Period, estimate

EXAMPLES = Path(__file__).parent.parent / "examples"
PRICING = Path(__file__).parent.parent / "pricing"
NOVEMBER = Period.month(2026, 11)
KB = 1 / (1024 * 1024)  # GB per KB

# us-east-1 prices as shipped (USD per unit).
PRICES = {
    ("codepipeline.csv", "ActionExecutionMinutes"): 0.002,
    ("codepipeline.csv", "ActivePipeline"): 1.00,
    ("codebuild.csv", "Build-Min:Linux:g1.small"): 0.005,
    ("codebuild.csv", "Build-Min:Linux:g1.medium"): 0.01,
    ("codebuild.csv", "Build-Min:Linux:g1.large"): 0.02,
    ("codebuild.csv", "Build-Min:Linux:g1.2xlarge"): 0.20,
    ("codebuild.csv", "Build-Min:LinuxGPU:g1.large"): 0.65,
    ("codebuild.csv", "Build-Min:ARM:g1.small"): 0.0034,
    ("codebuild.csv", "Build-Min:Windows:g1.medium"): 0.018,
    ("lambda.csv", "Request"): 0.0000002,
    ("lambda.csv", "Lambda-GB-Second"): 0.0000166667,  # first tier
    ("lambda.csv", "Lambda-GB-Second-ARM"): 0.0000133334,  # first tier
    ("lambda.csv", "Lambda-Storage-GB-Second"): 0.0000000309,
    ("s3.csv", "TimedStorage-ByteHrs"): 0.023,  # first tier; next 0.022
    ("s3.csv", "TimedStorage-SIA-ByteHrs"): 0.0125,
    ("s3.csv", "TimedStorage-GlacierByteHrs"): 0.0036,
    ("s3.csv", "Requests-Tier1"): 0.000005,
    ("s3.csv", "Requests-Tier2"): 0.0000004,
    ("s3.csv", "Requests-SIA-Tier2"): 0.000001,
    ("s3.csv", "Retrieval-SIA"): 0.01,
    ("s3.csv", "Retrieval-GLACIER"): 0.01,
    ("s3.csv", "Transition-SIA"): 0.00001,
    ("s3.csv", "Transition-GLACIER"): 0.00003,
}
V2_MIN, V1 = 0.002, 1.00
SMALL, MEDIUM, LARGE, XXLARGE, GPU_LARGE, ARM_SMALL, WIN_MEDIUM = 0.005, 0.01, 0.02, 0.20, 0.65, 0.0034, 0.018
REQ, X86_GBS, ARM_GBS, EPHEMERAL = 0.0000002, 0.0000166667, 0.0000133334, 0.0000000309
STD, STD_TIER2, SIA, GLACIER = 0.023, 0.022, 0.0125, 0.0036
PUT, GET, SIA_GET, SIA_RETRIEVAL, GLACIER_RETRIEVAL = 0.000005, 0.0000004, 0.000001, 0.01, 0.01
TO_SIA, TO_GLACIER = 0.00001, 0.00003


def test_the_prices_used_here_are_the_shipped_ones() -> None:
    for (file, usage_type), expected in PRICES.items():
        with (PRICING / file).open() as handle:
            rows = [r for r in csv.DictReader(handle) if r["region"] == "us-east-1" and r["usage_type"] == usage_type]
        first = min(rows, key=lambda r: float(r["tier_start"]))
        assert float(first["price_usd"]) == expected, (file, usage_type)
    with (PRICING / "s3.csv").open() as handle:
        tiers = [
            r
            for r in csv.DictReader(handle)
            if r["region"] == "us-east-1" and r["usage_type"] == "TimedStorage-ByteHrs"
        ]
    assert [(r["tier_start"], r["tier_end"], float(r["price_usd"])) for r in tiers] == [
        ("0", "51200", 0.023), ("51200", "512000", 0.022), ("512000", "", 0.021)
    ]  # fmt: skip


def by_service(name: str) -> dict[str, float]:
    result = estimate(EXAMPLES / name, period=NOVEMBER)
    assert result.complete
    return dict(result.by_service())


def test_mid_size_platform_by_hand() -> None:
    services = by_service("mid-size-platform.yaml")

    # CodePipeline V2, minutes per execution each rounded up; Approve (manual approval) is free:
    #   checkout-service 420 x (Source ceil 0.3=1 + Build ceil 7.4=8 + IntegrationTests ceil 11.2=12
    #                           + Deploy ceil 4.1=5 + Notify ceil 0.2=1) = 420 x 27 = 11,340
    #   payments-service 260 x (1 + ceil 9.8=10 + ceil 6.5=7 + ceil 1.3=2) = 260 x 20 = 5,200
    #   desktop-client    90 x (1 + ceil 18.5=19 + ceil 2.2=3) = 90 x 23 = 2,070
    # 18,610 minutes less 100 free. V1 legacy-billing (created 2022, active): 1 pipeline, the free one.
    assert services["CodePipeline"] == pytest.approx((420 * 27 + 260 * 20 + 90 * 23 - 100) * V2_MIN)

    # CodeBuild, minutes per build rounded up:
    #   checkout-build arm1.small 420 x ceil 7.1=8 = 3,360 min, of which the 100 free minutes
    #   checkout-integration Linux medium 420 x ceil 10.9=11 = 4,620 min
    #   payments-build Linux large 260 x ceil 9.5=10 = 2,600 min
    #   desktop-windows Windows medium 90 x ceil 18.2=19 = 1,710 min
    codebuild = (3360 - 100) * ARM_SMALL + 4620 * MEDIUM + 2600 * LARGE + 1710 * WIN_MEDIUM
    assert services["CodeBuild"] == pytest.approx(codebuild)
    assert codebuild == pytest.approx(140.064)

    # Lambda: deploy-notifier 680 x 0.85 s x 0.25 GB = 144.5 GB-s (Arm); smoke-test-runner 260 x 74 s x 1 GB
    # = 19,240 GB-s (x86); 940 requests. All inside the free 400,000 GB-s and 1 M requests. What remains is
    # smoke-test-runner's ephemeral storage: 2,048 - 512 = 1,536 MB = 1.5 GB x 74 s x 260 = 28,860 GB-s.
    assert services["Lambda"] == pytest.approx(260 * 74 * 1.5 * EPHEMERAL)

    # S3: Standard codepipeline-artifacts 340 GB + codebuild-cache 85 GB = 425 GB (first tier);
    #   PUT 9,500 + 1,600, GET 31,000 + 14,000;
    #   Standard-IA 1,200 GB (52,000 objects x 128 KB = 6.3 GB minimum, below what is stored),
    #   4,100 transitions in, 800 GETs, 15 GB retrieved.
    s3 = (
        (340 + 85) * STD
        + (9500 + 1600) * PUT
        + (31000 + 14000) * GET
        + 1200 * SIA
        + 4100 * TO_SIA
        + 800 * SIA_GET
        + 15 * SIA_RETRIEVAL
    )
    assert services["S3"] == pytest.approx(s3)
    assert s3 == pytest.approx(25.0403)


def test_large_monorepo_by_hand() -> None:
    services = by_service("large-monorepo.yaml")

    # CodePipeline V2:
    #   monorepo-main 9,000 x (Source ceil 0.6=1 + AffectedGraph ceil 2.3=3 + FullBuild ceil 21.4=22
    #                          + DeployCanary ceil 3.1=4 + DeployFleet ceil 12.6=13) = 9,000 x 43 = 387,000
    #     ModelTests runs once in four executions: 9,000 x 0.25 = 2,250 runs x ceil 14.8=15 = 33,750
    #     ReleaseGate is a manual approval: free
    #   monorepo-pr 24,000 x (ceil 0.4=1 + ceil 6.7=7 + ceil 1.2=2) = 240,000
    # 660,750 minutes less 100 free.
    assert services["CodePipeline"] == pytest.approx((9000 * 43 + 2250 * 15 + 24000 * 10 - 100) * V2_MIN)

    # CodeBuild:
    #   monorepo-full-build Linux 2xlarge 9,000 x ceil 20.8=21 = 189,000 min
    #   model-tests-gpu LinuxGPU large 2,250 x ceil 14.1=15 = 33,750 min
    #   pr-affected-build Linux large 168,000 min as given
    #   pr-lint arm1.small 24,000 x ceil 0.9=1 = 24,000 min, the 100 free minutes off
    codebuild = 189_000 * XXLARGE + 33_750 * GPU_LARGE + 168_000 * LARGE + (24_000 - 100) * ARM_SMALL
    assert services["CodeBuild"] == pytest.approx(codebuild)
    assert codebuild == pytest.approx(63_178.76)

    # Lambda:
    #   canary-orchestrator Arm 9,000 x 180 s x 2 GB = 3,240,000 GB-s
    #   artifact-indexer x86 4,500,000 x 0.92 s x 1.5 GB = 6,210,000 GB-s
    # One 400,000 GB-s pool for both, shared in proportion: 400,000 / 9,450,000 of each is free.
    # Requests 9,000 + 4,500,000 = 4,509,000, of which 1 M free. Both architectures stay in their first tier.
    free = 400_000 / (3_240_000 + 6_210_000)
    lambda_ = 6_210_000 * (1 - free) * X86_GBS + 3_240_000 * (1 - free) * ARM_GBS + (4_509_000 - 1_000_000) * REQ
    assert services["Lambda"] == pytest.approx(lambda_)
    assert lambda_ == pytest.approx(141.19, abs=0.01)

    # S3:
    #   Standard: monorepo-artifacts 61,440 GB + the archive's index 3,800,000 objects x 8 KB = 28.99 GB
    #     = 61,468.99 GB: 51,200 GB at the first tier, the rest at the second
    #   PUT 2,100,000, GET 6,800,000
    #   Glacier Flexible: 250,000 GB + 3,800,000 x 32 KB = 115.97 GB; 310,000 transitions in; 400 GB retrieved
    standard_gb = 61_440 + 3_800_000 * 8 * KB
    s3 = (
        51_200 * STD
        + (standard_gb - 51_200) * STD_TIER2
        + 2_100_000 * PUT
        + 6_800_000 * GET
        + (250_000 + 3_800_000 * 32 * KB) * GLACIER
        + 310_000 * TO_GLACIER
        + 400 * GLACIER_RETRIEVAL
    )
    assert services["S3"] == pytest.approx(s3)
    assert s3 == pytest.approx(2330.46, abs=0.01)


def test_small_team_v1_by_hand() -> None:
    services = by_service("small-team-v1.yaml")
    # V1: api and frontend active (created 2024 and 2025), docs-site had no code change (not active),
    # new-service created 2026-11-20 is 11 days old on 2026-12-01 (trial). 2 active less 1 free.
    assert services["CodePipeline"] == pytest.approx((2 - 1) * V1)
    # CodeBuild general1.small: api-build 60 x ceil 3.4=4 = 240 + frontend-build 45 x ceil 2.1=3 = 135
    # = 375 minutes, less the 100 free.
    assert services["CodeBuild"] == pytest.approx((60 * 4 + 45 * 3 - 100) * SMALL)
    assert services["Lambda"] == 0  # the example has no functions: nothing for a free tier to hide
    # S3 Standard 12 GB, 900 PUT, 2,400 GET.
    assert services["S3"] == pytest.approx(12 * STD + 900 * PUT + 2400 * GET)
