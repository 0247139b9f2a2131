"""Refresh prices through the AWS Price List API (boto3 `pricing`, GetProducts): `pricing refresh --source api`.

For users who must go through their credentials or a VPC endpoint; the default source is the public bulk
files (costkit/pricing/), which need no account. Each PriceList item is a JSON string:
product.attributes.usagetype/operation and terms.OnDemand.<sku>.<offer>.priceDimensions.<rate>. Items
become the same price-dimension frame as an offer file, so both sources share one usage-type mapping.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from costkit.pricing.offers import DIMENSION_COLUMNS, SERVICE_CODES, ParsedOffer, rows_from_dimensions

PAGE_SIZE = 100  # GetProducts allows at most 100 per page


def offer_url(service_code: str, region: str) -> str:
    """The public bulk offer file that holds the same SKUs as the API answer (cited as the source)."""
    return f"https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{service_code}/current/{region}/index.json"


def fetch(pricing: Any, service: str, region: str) -> Iterator[str]:
    """All PriceList items of one service in one region, paginated at the API's maximum page size."""
    paginator = pricing.get_paginator("get_products")
    pages = paginator.paginate(
        ServiceCode=SERVICE_CODES[service],
        Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        FormatVersion="aws_v1",
        PaginationConfig={"PageSize": PAGE_SIZE},
    )
    for page in pages:
        yield from page["PriceList"]


def parse(items: Iterable[str], service: str, region: str) -> ParsedOffer:
    """One (service, region) answer as a parsed offer (price rows, unknown usage types, problems)."""
    records: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for text in items:
        item = json.loads(text)
        product = item.get("product", {})
        attributes = product.get("attributes", {})
        usage_type = str(attributes.get("usagetype", ""))
        seen.add(usage_type)
        for offer in item.get("terms", {}).get("OnDemand", {}).values():
            for rate_code, dimension in offer.get("priceDimensions", {}).items():
                records.append(
                    (
                        str(product.get("sku", "")),
                        usage_type,
                        str(attributes.get("operation", "")),
                        str(dimension.get("unit", "")),
                        str(dimension.get("beginRange", "0")),
                        str(dimension.get("endRange", "Inf")),
                        str(dimension.get("pricePerUnit", {}).get("USD", "")),
                        str(offer.get("effectiveDate", ""))[:10],
                        str(rate_code),
                        str(dimension.get("description", "")),
                    )
                )
    dims = pd.DataFrame.from_records(records, columns=list(DIMENSION_COLUMNS))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    meta = {"version": f"GetProducts {today}", "publicationDate": today}
    return rows_from_dimensions(dims, seen, service, region, offer_url(SERVICE_CODES[service], region), meta)


def fetch_offers(pricing: Any, services: Iterable[str], regions: Iterable[str]) -> list[ParsedOffer]:
    """Every (service, region) pair, read through GetProducts."""
    wanted = list(regions)
    return [parse(fetch(pricing, service, region), service, region) for service in services for region in wanted]
