"""The estimate: cost lines for a month, with totals, missing prices and assumptions.

The CLI's JSON is `Estimate.to_dict()`; notebooks read the same object's DataFrames.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit import __version__
from costkit.assumptions import describe
from costkit.errors import CostkitError
from costkit.period import Period
from costkit.price import FreeTierScope, price
from costkit.tables import SERVICES, PriceBook, load_pricebook
from costkit.usage.derive import derive
from costkit.usage.load import Usage, load_usage

CONTRACT_LINE_FIELDS = (
    "account",
    "service",
    "region",
    "resource",
    "component",
    "pipeline",
    "usage_type",
    "quantity",
    "unit",
    "unit_price_usd",
    "gross_usd",
    "free_tier_quantity",
    "free_tier_usd",
    "cost_usd",
    "price_region",
    "price_effective_date",
    "price_source",
    "detail",
)


@dataclass
class Estimate:
    """A monthly estimate. `lines` has one row per resource and usage type; money in USD, unrounded."""

    lines: pd.DataFrame
    missing_prices: pd.DataFrame
    assumptions: list[dict[str, str]]
    period: Period
    source: str
    options: dict[str, Any] = field(default_factory=dict)
    currency: str = "USD"

    @property
    def total(self) -> float:
        """Sum of priced lines; a lower bound when `complete` is False."""
        return float(self.lines["cost_usd"].sum(min_count=0, skipna=True))

    @property
    def free_tier_total(self) -> float:
        return float(self.lines["free_tier_usd"].sum(skipna=True))

    @property
    def complete(self) -> bool:
        return self.missing_prices.empty

    def by_service(self) -> pd.Series:
        """Cost per service, always the four services in a fixed order (0.0 where unused)."""
        sums = self.lines.groupby("service")["cost_usd"].sum()
        return sums.reindex(list(SERVICES), fill_value=0.0).astype("float64").rename("cost_usd")

    def by_resource(self) -> pd.DataFrame:
        """Cost per (service, resource), biggest first."""
        table = (
            self.lines.groupby(["service", "region", "resource"], as_index=False)
            .agg(cost_usd=("cost_usd", "sum"), free_tier_usd=("free_tier_usd", "sum"))
            .sort_values("cost_usd", ascending=False, kind="stable")
        )
        return table.reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `costkit estimate --format json` (docs/json-output.md)."""
        return {
            "costkit_version": __version__,
            "currency": self.currency,
            "period": self.period.to_dict(),
            "source": self.source,
            "total_usd": self.total,
            "complete": self.complete,
            "free_tier_usd": self.free_tier_total,
            "by_service": {name: float(value) for name, value in self.by_service().items()},
            "lines": _records(self.lines[list(CONTRACT_LINE_FIELDS)]),
            "missing_prices": _records(self.missing_prices),
            "assumptions": self.assumptions,
            "options": self.options,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: NaN becomes null, numpy scalars become Python numbers."""
    out: list[dict[str, Any]] = []
    for record in frame.astype(object).to_dict(orient="records"):
        out.append({str(k): _plain(v) for k, v in record.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def estimate(
    usage: str | Path | Mapping[str, Any] | Usage,
    *,
    period: Period | None = None,
    free_tier: bool | None = None,
    free_tier_scope: FreeTierScope = "account",
    region: str | None = None,
    fallback_region: str | None = None,
    pricebook: PriceBook | None = None,
) -> Estimate:
    """Price a usage file (path, dict or loaded Usage) for one month.

    `free_tier` overrides the file's own `free_tier` field; `region` prices everything in one region.
    """
    book = pricebook or load_pricebook()
    loaded = load_usage(usage, pricebook=book)
    _check_region_option(region, book, "--region")
    _check_region_option(fallback_region, book, "--fallback-region")
    when = period or Period.current()
    rows = derive(loaded, book, when, region=region)
    use_free = loaded.spec.free_tier if free_tier is None else free_tier
    scope: FreeTierScope = free_tier_scope if use_free else "none"
    priced = price(rows.rows, book, free_tier_scope=scope, fallback_region=fallback_region)
    options = {
        "free_tier_scope": scope,
        "region": region,
        "fallback_region": fallback_region,
        "pricing_effective_dates": _date_range(priced.lines),
    }
    return Estimate(
        lines=priced.lines,
        missing_prices=priced.missing,
        assumptions=describe(rows.assumptions | priced.assumptions),
        period=when,
        source=loaded.source,
        options=options,
    )


def _date_range(lines: pd.DataFrame) -> dict[str, str | None]:
    dates = lines["price_effective_date"].dropna()
    if dates.empty:
        return {"earliest": None, "latest": None}
    return {"earliest": str(dates.min()), "latest": str(dates.max())}


def _check_region_option(region: str | None, book: PriceBook, option: str) -> None:
    if region is not None and region not in book.region_codes:
        close = difflib.get_close_matches(region, sorted(book.region_codes), n=1)
        raise CostkitError(
            f"{option} {region!r} is not an AWS region costkit knows",
            hint=(f"did you mean `{close[0]}`? " if close else "") + "regions are listed in pricing/regions.csv",
        )
