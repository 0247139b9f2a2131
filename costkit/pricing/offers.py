"""Parse one region's offer file (JSON or CSV) into price rows, streaming: the S3 file is hundreds of MB.

JSON is read twice from disk with ijson (products first, to learn which SKUs matter; then the OnDemand
terms of only those SKUs). CSV is read in pandas chunks. Both yield the same price-dimension frame,
which is mapped to costkit's usage types in one vectorised step.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ijson
import numpy as np
import pandas as pd

from costkit.errors import CostkitError
from costkit.pricing.usage_types import candidates, is_candidate, map_usage_types
from costkit.tables import PRICE_COLUMNS, tier_problems

DIMENSION_COLUMNS = (
    "sku",
    "aws_usage_type",
    "operation",
    "offer_unit",
    "begin",
    "end",
    "price",
    "effective",
    "rate_code",
    "description",
)
CSV_CHUNK_ROWS = 100_000
SERVICE_CODES = {"CodePipeline": "AWSCodePipeline", "CodeBuild": "CodeBuild", "Lambda": "AWSLambda", "S3": "AmazonS3"}


@dataclass
class ParsedOffer:
    """One (service, region) offer file: price rows in the schema, plus what did not fit it."""

    service: str
    region: str
    url: str
    version: str
    publication_date: str
    rows: pd.DataFrame
    unknown_usage_types: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_offer(path: Path, service: str, region: str, url: str) -> ParsedOffer:
    """Parse a downloaded offer file; the format follows the URL's suffix (.json or .csv)."""
    try:
        if url.endswith(".csv"):
            meta, dims, seen = _csv_dimensions(path, service)
        else:
            meta, dims, seen = _json_dimensions(path, service)
    except (ijson.JSONError, ValueError, csv.Error, pd.errors.ParserError, KeyError) as error:
        raise CostkitError(f"{url}: not a readable offer file ({type(error).__name__}: {error})") from error
    return rows_from_dimensions(dims, seen, service, region, url, meta)


def _json_dimensions(path: Path, service: str) -> tuple[dict[str, str], pd.DataFrame, set[str]]:
    names = candidates(service)
    meta: dict[str, str] = {}
    with path.open("rb") as stream:
        for prefix, event, value in ijson.parse(stream):
            if prefix in ("version", "publicationDate", "offerCode") and event == "string":
                meta[prefix] = str(value)
            if prefix == "products" or len(meta) == 3:
                break
    if len(meta) < 3:  # not in AWS's usual order (version and date first): scan the top level once
        with path.open("rb") as stream:
            for prefix, event, value in ijson.parse(stream):
                if prefix in ("version", "publicationDate", "offerCode") and event == "string":
                    meta[prefix] = str(value)
    seen: set[str] = set()
    wanted: dict[str, tuple[str, str]] = {}
    with path.open("rb") as stream:
        for sku, product in ijson.kvitems(stream, "products"):
            attributes = product.get("attributes", {})
            usage_type = str(attributes.get("usagetype", ""))
            seen.add(usage_type)
            if is_candidate(usage_type, names):
                wanted[str(sku)] = (usage_type, str(attributes.get("operation", "")))
    return meta, _json_terms(path, wanted), seen


def _json_terms(path: Path, wanted: dict[str, tuple[str, str]]) -> pd.DataFrame:
    records: list[tuple[Any, ...]] = []
    with path.open("rb") as stream:
        for sku, offers in ijson.kvitems(stream, "terms.OnDemand", use_float=False):
            if sku not in wanted:
                continue
            usage_type, operation = wanted[sku]
            for term in offers.values():
                effective = str(term.get("effectiveDate", ""))[:10]
                for rate_code, dimension in term.get("priceDimensions", {}).items():
                    records.append(
                        (
                            sku,
                            usage_type,
                            operation,
                            str(dimension.get("unit", "")),
                            str(dimension.get("beginRange", "0")),
                            str(dimension.get("endRange", "Inf")),
                            str(dimension.get("pricePerUnit", {}).get("USD", "")),
                            effective,
                            str(rate_code),
                            str(dimension.get("description", "")),
                        )
                    )
    return pd.DataFrame.from_records(records, columns=list(DIMENSION_COLUMNS))


# CSV header (normalised: lower case, no spaces) -> dimension column
_CSV_COLUMNS = {
    "sku": "sku",
    "termtype": "term_type",
    "usagetype": "aws_usage_type",
    "operation": "operation",
    "unit": "offer_unit",
    "startingrange": "begin",
    "endingrange": "end",
    "priceperunit": "price",
    "currency": "currency",
    "effectivedate": "effective",
    "ratecode": "rate_code",
    "pricedescription": "description",
}


def _csv_dimensions(path: Path, service: str) -> tuple[dict[str, str], pd.DataFrame, set[str]]:
    meta: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        for _ in range(5):  # FormatVersion, Disclaimer, Publication Date, Version, OfferCode
            line = next(reader, None)
            if line and len(line) >= 2:
                meta[line[0].replace(" ", "")] = line[1]
    meta = {
        "version": meta.get("Version", ""),
        "publicationDate": meta.get("PublicationDate", ""),
        "offerCode": meta.get("OfferCode", ""),
    }
    names = candidates(service)
    frames: list[pd.DataFrame] = []
    seen: set[str] = set()
    for chunk in _csv_chunks(path):
        chunk = chunk.rename(columns=lambda c: _CSV_COLUMNS.get(str(c).replace(" ", "").lower(), str(c)))
        if "aws_usage_type" not in chunk:
            raise KeyError("the CSV has no usageType column")
        seen.update(chunk["aws_usage_type"].unique())
        keep = (chunk["term_type"] == "OnDemand") & chunk["aws_usage_type"].map(lambda u: is_candidate(u, names))
        if "currency" in chunk:
            keep &= chunk["currency"] == "USD"
        frames.append(chunk.loc[keep].reindex(columns=list(DIMENSION_COLUMNS), fill_value=""))
    dims = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(DIMENSION_COLUMNS))
    dims["effective"] = dims["effective"].astype(str).str[:10]
    dims["end"] = dims["end"].replace("", "Inf")
    return meta, dims, seen


def _csv_chunks(path: Path) -> Iterator[pd.DataFrame]:
    yield from pd.read_csv(path, skiprows=5, dtype=str, keep_default_na=False, chunksize=CSV_CHUNK_ROWS)


def rows_from_dimensions(
    dims: pd.DataFrame, seen: set[str], service: str, region: str, url: str, meta: dict[str, str]
) -> ParsedOffer:
    """Map dimensions to costkit usage types and check them; what does not fit is reported, never dropped."""
    offer = ParsedOffer(
        service=service,
        region=region,
        url=url,
        version=meta.get("version", ""),
        publication_date=meta.get("publicationDate", "")[:10],
        rows=pd.DataFrame(columns=list(PRICE_COLUMNS)),
    )
    names = candidates(service)
    mapped = map_usage_types(dims, service)
    # Candidates whose operation matches no mapping row are as unknown as names the mapping lacks.
    candidate = dims["aws_usage_type"].map(lambda u: is_candidate(str(u), names)).astype(bool)
    unmatched = dims.loc[candidate & ~dims["sku"].isin(set(mapped["sku"])), ["aws_usage_type", "operation"]]
    unmatched = unmatched.drop_duplicates()
    offer.unknown_usage_types = sorted(
        {u for u in seen if u and not is_candidate(u, names)}
        | {f"{row.aws_usage_type!s} (operation {row.operation or 'none'!s})" for row in unmatched.itertuples()}
    )
    unit_bad = mapped.loc[~mapped["unit_ok"], ["usage_type", "offer_unit"]].drop_duplicates()
    offer.problems += [
        f"{row.usage_type}: unit {row.offer_unit!r} is not the expected one; not priced from this file"
        for row in unit_bad.itertuples()
    ]
    mapped = mapped[mapped["unit_ok"] & ~mapped["usage_type"].isin(unit_bad["usage_type"])]
    frame = pd.DataFrame(
        {
            "service": service,
            "region": region,
            "usage_type": mapped["usage_type"],
            "aws_usage_type": mapped["aws_usage_type"],
            "unit": mapped["unit"],
            "tier_start": pd.to_numeric(mapped["begin"], errors="coerce"),
            "tier_end": pd.to_numeric(mapped["end"].replace({"Inf": np.nan, "": np.nan}), errors="coerce"),
            "price_usd": pd.to_numeric(mapped["price"], errors="coerce"),
            "effective_date": mapped["effective"],
            "source": url,
            "notes": "Price List offer file; rate code " + mapped["rate_code"] + "; " + mapped["description"],
        }
    )
    bad_numbers = frame["tier_start"].isna() | frame["price_usd"].isna() | (frame["price_usd"] < 0)
    # The same price under several SKUs (or rate codes) is one price; different prices are a conflict.
    frame = frame[~bad_numbers].drop_duplicates(["usage_type", "tier_start", "tier_end", "price_usd"])
    conflict = frame.duplicated(["usage_type", "tier_start"], keep=False)
    broken = tier_problems(frame) | conflict
    dropped = sorted(set(frame.loc[broken, "usage_type"]) | set(mapped.loc[bad_numbers.to_numpy(), "usage_type"]))
    offer.problems += [
        f"{name}: tiers do not run contiguously from 0, or two SKUs give it different prices; not priced"
        for name in dropped
    ]
    frame = frame[~frame["usage_type"].isin(dropped)]
    offer.rows = frame.sort_values(["usage_type", "tier_start"], kind="stable").reset_index(drop=True)
    return offer
