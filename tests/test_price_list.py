"""Refreshing prices from the Price List API (`pricing refresh --source api`), answered by botocore's Stubber
(validated against the service model, as AWS would validate them). moto does not implement
pricing:GetProducts. The answers share the bulk files' usage-type mapping and become a price set."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from costkit import Period, estimate
from costkit.collect.price_list import fetch_offers, parse
from costkit.pricing import current_pricebook
from costkit.pricing.refresh import write_refreshed


def item(usage_type: str, region: str, dimensions: list[tuple[str, str, str, str]], sku: str = "SKU1") -> str:
    """A PriceList entry as GetProducts returns it: a JSON string. dimensions: (begin, end, unit, usd)."""
    return json.dumps(
        {
            "product": {
                "sku": sku,
                "productFamily": "Compute",
                "attributes": {"usagetype": usage_type, "regionCode": region},
            },
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "effectiveDate": "2026-10-01T00:00:00Z",
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.{i}": {
                                "beginRange": begin,
                                "endRange": end,
                                "unit": unit,
                                "pricePerUnit": {"USD": usd},
                                "description": f"{usage_type} tier {i}",
                            }
                            for i, (begin, end, unit, usd) in enumerate(dimensions)
                        },
                    }
                }
            },
        }
    )


def test_tiered_dimensions_become_contiguous_rows_and_unknown_types_are_listed() -> None:
    offer = parse(
        [
            item(
                "EUC1-Lambda-GB-Second",
                "eu-central-1",
                [
                    ("0", "6000000000", "Lambda-GB-Second", "0.0000166667"),
                    ("6000000000", "Inf", "Lambda-GB-Second", "0.0000150000"),
                ],
            ),
            item("EUC1-Provisioned-GB-Second", "eu-central-1", [("0", "Inf", "GB-Second", "0.0000041667")], sku="SKU2"),
        ],
        "Lambda",
        "eu-central-1",
    )
    rows = offer.rows
    assert list(rows["tier_start"]) == [0, 6e9]
    assert rows["tier_end"].iloc[0] == 6e9
    assert rows["tier_end"].isna().iloc[1]
    assert set(rows["unit"]) == {"GB-Second"}
    assert rows["effective_date"].iloc[0] == "2026-10-01"
    assert rows["source"].iloc[0].endswith("/AWSLambda/current/eu-central-1/index.json")
    assert offer.unknown_usage_types == ["EUC1-Provisioned-GB-Second"]


def test_api_refresh_paginates_fills_a_gap_and_the_estimate_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COSTKIT_CACHE_DIR", str(tmp_path))
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}]
    expected = {"ServiceCode": "CodeBuild", "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}
    with Stubber(client) as stub:
        stub.add_response(
            "get_products",
            {
                "FormatVersion": "aws_v1",
                "PriceList": [
                    item("EU-Build-Min:Linux:g1.small", "eu-west-1", [("0", "Inf", "minutes", "0.0050000000")])
                ],
                "NextToken": "page-2",
            },
            expected,
        )
        stub.add_response(
            "get_products",
            {
                "FormatVersion": "aws_v1",
                "PriceList": [
                    item("EU-Build-Min:ARM:g1.small", "eu-west-1", [("0", "Inf", "minutes", "0.0034000000")], sku="S2"),
                    item("EU-Reserved-Fleet:Linux", "eu-west-1", [("0", "Inf", "Hrs", "0.5")], sku="S3"),
                ],
            },
            {**expected, "NextToken": "page-2"},
        )
        offers = fetch_offers(client, ["CodeBuild"], ["eu-west-1"])
        stub.assert_no_pending_responses()
    assert len(offers[0].rows) == 2  # the reserved fleet is not an on-demand usage type costkit prices
    assert offers[0].unknown_usage_types == ["EU-Reserved-Fleet:Linux"]
    usage = {
        "version": 1,
        "region": "eu-west-1",
        "free_tier": False,
        "codebuild": {"b": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 2.5}},
    }
    before = estimate(usage, period=Period.month(2026, 11))
    assert not before.complete  # no eu-west-1 CodeBuild price ships
    written = write_refreshed(offers, {"source": "api"})
    assert written.set_path is not None
    after = estimate(usage, period=Period.month(2026, 11), pricebook=current_pricebook())
    assert after.complete
    assert after.total == pytest.approx(100 * 3 * 0.005)
    assert set(after.lines["price_set"]) == {"refreshed"}
