"""Refresh price tables from the AWS Price List API (boto3 `pricing`, GetProducts).

Each PriceList item is a JSON string: product.attributes.usagetype/regionCode and
terms.OnDemand.<sku>.<offer>.priceDimensions.<rate>.{beginRange, endRange, unit, pricePerUnit.USD}.
Rows come back in costkit's price-table schema, with usage types stripped of their region prefix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costkit.tables import PRICE_COLUMNS, PRICE_FILES

SERVICE_CODES = {
    "CodePipeline": "AWSCodePipeline",
    "CodeBuild": "CodeBuild",
    "Lambda": "AWSLambda",
    "S3": "AmazonS3",
}
PAGE_SIZE = 100  # GetProducts allows at most 100 per page

_REGION_PREFIX = re.compile(r"^[A-Z0-9]{2,5}-")
_RENAMES = {
    "activePipeline": "ActivePipeline",
    "trialPipeline": "TrialPipeline",
    "actionExecutionMinute": "ActionExecutionMinutes",
}
_UNITS = {
    "minutes": "Minute",
    "minute": "Minute",
    "seconds": "Second",
    "second": "Second",
    "requests": "Request",
    "request": "Request",
    "gb-mo": "GB-Month",
    "gb-month": "GB-Month",
    "gb-second": "GB-Second",
    "lambda-gb-second": "GB-Second",
    "gb-seconds": "GB-Second",
    "gb": "GB",
    "objects": "Object",
    "objects-mo": "Object-Month",
    "pipelines": "Pipeline-Month",
    "pipeline": "Pipeline-Month",
}


def canonical_usage_type(usage_type: str) -> str:
    """`USE2-Build-Min:Linux:g1.small` -> `Build-Min:Linux:g1.small`; `EU-TimedStorage-ByteHrs` -> ..."""
    bare = _REGION_PREFIX.sub("", usage_type, count=1)
    return _RENAMES.get(bare, bare)


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


def parse(items: Iterable[str], service: str, region: str, wanted: set[str]) -> pd.DataFrame:
    """Price-table rows for the OnDemand dimensions of `wanted` canonical usage types."""
    code = SERVICE_CODES[service]
    rows: list[dict[str, Any]] = []
    for text in items:
        item = json.loads(text)
        attributes = item.get("product", {}).get("attributes", {})
        raw_type = attributes.get("usagetype", "")
        usage_type = canonical_usage_type(raw_type)
        if usage_type not in wanted:
            continue
        for offer in item.get("terms", {}).get("OnDemand", {}).values():
            effective = str(offer.get("effectiveDate", ""))[:10]
            for rate_code, dimension in offer.get("priceDimensions", {}).items():
                end = dimension.get("endRange", "Inf")
                rows.append(
                    {
                        "service": service,
                        "region": region,
                        "usage_type": usage_type,
                        "aws_usage_type": raw_type,
                        "unit": _UNITS.get(str(dimension.get("unit", "")).lower(), dimension.get("unit", "")),
                        "tier_start": float(dimension.get("beginRange", 0)),
                        "tier_end": None if end in ("Inf", "", None) else float(end),
                        "price_usd": float(dimension["pricePerUnit"]["USD"]),
                        "effective_date": effective,
                        "source": offer_url(code, region),
                        "notes": f"Price List API: rate code {rate_code}; {dimension.get('description', '')}".strip(),
                    }
                )
    frame = pd.DataFrame(rows, columns=list(PRICE_COLUMNS))
    return frame.sort_values(["usage_type", "tier_start"], kind="stable").reset_index(drop=True)


def merge(existing: pd.DataFrame, fresh: pd.DataFrame) -> pd.DataFrame:
    """Fresh rows replace every existing row of the same (region, usage type); the rest is kept."""
    if fresh.empty:
        return existing
    keys = pd.MultiIndex.from_frame(fresh[["region", "usage_type"]].drop_duplicates())
    stale = pd.MultiIndex.from_frame(existing[["region", "usage_type"]]).isin(keys)
    combined = pd.concat([existing[~stale], fresh], ignore_index=True)
    return combined.sort_values(["region", "usage_type", "tier_start"], kind="stable").reset_index(drop=True)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return np.format_float_positional(value, trim="-")
    return str(value)


def refresh(
    pricing: Any,
    services: Iterable[str],
    regions: Iterable[str],
    source_dir: Path,
    out_dir: Path,
    *,
    wanted: set[str],
) -> dict[str, int]:
    """Copy the tables in `source_dir` to `out_dir`, replacing fetched (region, usage type) rows.

    Returns the number of fresh rows per service. Writes each file whole, so a failure leaves
    `out_dir` with the previous files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in source_dir.iterdir():
        if path.is_file() and path.name not in PRICE_FILES and path.suffix in (".csv", ".md"):
            (out_dir / path.name).write_bytes(path.read_bytes())
    counts: dict[str, int] = {}
    for service in services:
        name = f"{service.lower()}.csv"
        existing = pd.read_csv(source_dir / name, dtype=str, keep_default_na=False)
        fresh = pd.concat(
            [parse(fetch(pricing, service, region), service, region, wanted) for region in regions], ignore_index=True
        )
        counts[service] = len(fresh)
        fresh_text = fresh.astype(object).map(_text)
        merged = merge(existing, fresh_text) if not fresh.empty else existing
        merged = merged.assign(_start=pd.to_numeric(merged["tier_start"])).sort_values(
            ["region", "usage_type", "_start"], kind="stable"
        )
        temporary = out_dir / f".{name}.tmp"
        merged[list(PRICE_COLUMNS)].to_csv(temporary, index=False, lineterminator="\n")
        temporary.replace(out_dir / name)
    for name in PRICE_FILES:
        if not (out_dir / name).exists():
            (out_dir / name).write_bytes((source_dir / name).read_bytes())
    return counts
