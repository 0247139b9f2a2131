"""The bundled Lambda duration tiers read from AWS's offer files (version 20261001184746), and what they price."""

from __future__ import annotations

import pytest
from conftest import NOVEMBER_2026

from costkit import estimate
from costkit.tables import load_pricebook

PREFIXES = {
    "us-east-1": "",
    "us-east-2": "USE2-",
    "us-west-1": "USW1-",
    "us-west-2": "USW2-",
    "ca-central-1": "CAN1-",
    "sa-east-1": "SAE1-",
    "eu-west-1": "EU-",
    "eu-west-2": "EUW2-",
    "eu-west-3": "EUW3-",
    "eu-central-1": "EUC1-",
    "eu-north-1": "EUN1-",
    "ap-northeast-1": "APN1-",
    "ap-northeast-2": "APN2-",
    "ap-northeast-3": "APN3-",
    "ap-south-1": "APS3-",
    "ap-southeast-1": "APS1-",
    "ap-southeast-2": "APS2-",
}


@pytest.mark.parametrize("region", sorted(PREFIXES))
def test_lambda_duration_has_three_tiers_cited_to_the_offer_file(region: str) -> None:
    prices = load_pricebook().prices
    here = prices[(prices["region"] == region) & prices["usage_type"].str.startswith("Lambda-GB-Second")]
    table = here.sort_values(["usage_type", "tier_start"])
    assert list(
        zip(table["usage_type"], table["tier_start"], table["tier_end"].fillna(-1), table["price_usd"], strict=True)
    ) == [
        ("Lambda-GB-Second", 0, 6e9, 0.0000166667),
        ("Lambda-GB-Second", 6e9, 15e9, 0.000015),
        ("Lambda-GB-Second", 15e9, -1, 0.0000133334),
        ("Lambda-GB-Second-ARM", 0, 7.5e9, 0.0000133334),
        ("Lambda-GB-Second-ARM", 7.5e9, 18.75e9, 0.0000120001),
        ("Lambda-GB-Second-ARM", 18.75e9, -1, 0.0000106667),
    ]
    assert set(table["aws_usage_type"]) == {
        PREFIXES[region] + "Lambda-GB-Second",
        PREFIXES[region] + "Lambda-GB-Second-ARM",
    }
    assert table["notes"].str.contains(f"AWSLambda/20261001184746/{region}/index.json", regex=False).all()
    assert table["source"].str.endswith(f"/sources/AWSLambda/{region}/products.json").all()
    assert set(table["effective_date"]) == {"2026-09-01"}


def test_eu_west_1_duration_past_the_first_tier_is_priced() -> None:
    usage = {
        "version": 1,
        "region": "eu-west-1",
        "free_tier": False,
        "lambda": {"f": {"memory_mb": 1024, "architecture": "x86_64", "requests_per_month": 7e9, "duration_ms": 1000}},
    }
    result = estimate(usage, period=NOVEMBER_2026)
    assert result.complete
    duration = result.lines[result.lines["usage_type"] == "Lambda-GB-Second"]["cost_usd"].sum()
    assert duration == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015)  # 7e9 GB-s: tier 1 full, 1e9 in tier 2
