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
from costkit.errors import ParameterError
from costkit.model.inventory import Inventory
from costkit.model.period import Period, Window
from costkit.model.runs import Runs
from costkit.price import LINE_COLUMNS, FreeTierScope, price
from costkit.pricing import current_pricebook
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.folder import read as read_snapshot
from costkit.sources.snapshot.observed import derive_observed
from costkit.sources.usage_file.derive import UsageRows, derive
from costkit.sources.usage_file.load import Usage, load_usage
from costkit.tables import SERVICES, PriceBook

UNATTRIBUTED = "(not attributed)"
CONTRACT_LINE_FIELDS = LINE_COLUMNS  # the JSON `lines` fields: see docs/estimate.schema.json


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
    actuals: pd.DataFrame = field(default_factory=pd.DataFrame)  # Cost Explorer, for closed months only
    usage_rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # what was priced: input to what-if and suggest
    runs: Runs = field(default_factory=Runs)  # the runs the usage rows sum (planned or observed), computed once
    inventory: Inventory = field(default_factory=Inventory)  # the resources and their attributes
    data_quality: list[dict[str, Any]] = field(default_factory=list)  # snapshot rows left out (snapshot checks)

    @property
    def total(self) -> float:
        """Sum of priced lines; a lower bound when `complete` is False."""
        return float(self.lines["cost_usd"].sum(min_count=0, skipna=True))

    @property
    def free_tier_total(self) -> float:
        return float(self.lines["free_tier_usd"].sum(skipna=True))

    @property
    def complete(self) -> bool:
        """Every line priced and no input rows left out as impossible."""
        return self.missing_prices.empty and not self.data_quality

    def by_service(self) -> pd.Series:
        """Cost per service, always the four services in a fixed order (0.0 where unused)."""
        sums = self.lines.groupby("service")["cost_usd"].sum()
        return sums.reindex(list(SERVICES), fill_value=0.0).astype("float64").rename("cost_usd")

    def incomplete_services(self) -> list[str]:
        """Services whose figure is a lower bound because a line has no price."""
        missing = set(self.missing_prices["service"]) if not self.missing_prices.empty else set()
        return [name for name in SERVICES if name in missing]

    def by_resource(self) -> pd.DataFrame:
        """Cost per (service, resource), biggest first."""
        table = (
            self.lines.groupby(["service", "region", "resource"], as_index=False)
            .agg(cost_usd=("cost_usd", "sum"), free_tier_usd=("free_tier_usd", "sum"))
            .sort_values("cost_usd", ascending=False, kind="stable")
        )
        return table.reset_index(drop=True)

    def by_pipeline(self) -> pd.DataFrame:
        """Cost per pipeline: its own action minutes, plus the builds, functions and artifact storage it uses.

        Lines serving no known pipeline are grouped under `(not attributed)`.
        """
        lines = self.lines.assign(pipeline=self.lines["pipeline"].fillna(UNATTRIBUTED))
        table = lines.pivot_table(
            index=["account", "region", "pipeline"],
            columns="service",
            values="cost_usd",
            aggfunc="sum",
            fill_value=0.0,
            observed=True,
        ).reindex(columns=list(SERVICES), fill_value=0.0)
        table["total_usd"] = table.sum(axis=1)
        table = table.sort_values("total_usd", ascending=False, kind="stable").reset_index()
        table.columns.name = None
        return table

    def comparison(self) -> pd.DataFrame:
        """Estimate vs. Cost Explorer actuals per service, with the difference in dollars and percent."""
        if self.actuals.empty:
            return pd.DataFrame(columns=["service", "estimate_usd", "actual_usd", "difference_usd", "difference_pct"])
        actual = self.actuals.groupby("service")["cost_usd"].sum().reindex(list(SERVICES), fill_value=0.0)
        table = pd.DataFrame({"estimate_usd": self.by_service(), "actual_usd": actual})
        table["difference_usd"] = table["estimate_usd"] - table["actual_usd"]
        table["difference_pct"] = 100.0 * table["difference_usd"] / table["actual_usd"].where(table["actual_usd"] != 0)
        return table.rename_axis("service").reset_index()

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
            "incomplete_services": self.incomplete_services(),
            "by_pipeline": _records(self.by_pipeline()),
            "lines": _records(self.lines[list(CONTRACT_LINE_FIELDS)]),
            "missing_prices": _records(self.missing_prices),
            "comparison": _records(self.comparison()),
            "assumptions": self.assumptions,
            "data_quality": self.data_quality,
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


Source = str | Path | Mapping[str, Any] | Usage | Snapshot


def estimate(
    source: Source,
    *,
    period: Period | None = None,
    free_tier: bool | None = None,
    free_tier_scope: FreeTierScope | None = None,
    region: str | None = None,
    fallback_region: str | None = None,
    pricebook: PriceBook | None = None,
) -> Estimate:
    """Price one month of a source: a usage file (path, dict or loaded Usage: planned usage) or a snapshot
    (a Snapshot or its folder: observed usage, projected to the month). The one entry point for both.

    `free_tier` overrides the usage file's `free_tier` field (a snapshot: on unless False). `free_tier_scope`
    defaults to the account, or to the organization for a snapshot of a whole organization. `region` prices a
    usage file's resources in one region; a snapshot is priced where it ran.
    """
    if isinstance(source, Snapshot) or (isinstance(source, str | Path) and Path(source).is_dir()):
        if region is not None:
            raise ParameterError("region", region, "re-prices a usage file; a snapshot is priced where it ran")
        return _observed(
            source,
            period=period,
            free_tier=True if free_tier is None else free_tier,
            free_tier_scope=free_tier_scope,
            fallback_region=fallback_region,
            pricebook=pricebook,
        )
    return _planned(source, period, free_tier, free_tier_scope or "account", region, fallback_region, pricebook)


def _planned(
    usage: str | Path | Mapping[str, Any] | Usage,
    period: Period | None,
    free_tier: bool | None,
    free_tier_scope: FreeTierScope,
    region: str | None,
    fallback_region: str | None,
    pricebook: PriceBook | None,
) -> Estimate:
    book = pricebook or current_pricebook()
    loaded = load_usage(usage, pricebook=book)
    _check_region(region, book, "region")
    when = period or Period.current()
    rows = derive(loaded, book, when, region=region)
    use_free = loaded.spec.free_tier if free_tier is None else free_tier
    return _priced(rows, book, when, loaded.source, use_free, free_tier_scope, region, fallback_region)


def estimate_snapshot(
    snapshot: str | Path | Snapshot,
    *,
    period: Period | None = None,
    free_tier: bool = True,
    free_tier_scope: FreeTierScope | None = None,
    fallback_region: str | None = None,
    pricebook: PriceBook | None = None,
) -> Estimate:
    """`estimate` of a snapshot (kept for callers written before `estimate` took both sources)."""
    return _observed(
        snapshot,
        period=period,
        free_tier=free_tier,
        free_tier_scope=free_tier_scope,
        fallback_region=fallback_region,
        pricebook=pricebook,
    )


def _observed(
    snapshot: str | Path | Snapshot,
    *,
    period: Period | None,
    free_tier: bool,
    free_tier_scope: FreeTierScope | None,
    fallback_region: str | None,
    pricebook: PriceBook | None,
) -> Estimate:
    """What a snapshot observed, projected to a month (the window's own month when it is whole). The free tier
    applies once for a snapshot of a whole organization (consolidated billing), else once per account."""
    book = pricebook or current_pricebook()
    loaded = snapshot if isinstance(snapshot, Snapshot) else read_snapshot(Path(snapshot))
    source = str(snapshot) if not isinstance(snapshot, Snapshot) else "<snapshot>"
    when = period or snapshot_period(loaded)
    rows = derive_observed(loaded, book, when)
    scope: FreeTierScope = free_tier_scope or ("organization" if loaded.manifest.get("organization") else "account")
    result = _priced(rows, book, when, source, free_tier, scope, None, fallback_region)
    result.options["projection_factor"] = rows.projection
    result.options["window"] = loaded.manifest.get("window")
    result.options["partial_collection"] = loaded.partial
    result.options["data_quality"] = dict(rows.counts)
    result.data_quality = [problem.to_dict() for problem in loaded.problems]
    result.assumptions += [{"id": f"data-quality-{p.kind}", "text": p.message} for p in loaded.problems]
    if _comparable(loaded, when, rows.projection):
        result.actuals = loaded.table("actuals")
    return result


def _comparable(snapshot: Snapshot, period: Period, projection: float) -> bool:
    """Actuals are compared only for a whole calendar month that was closed when collected, priced as that
    month, with a final (not estimated) bill and nothing missing from the collection."""
    actuals = snapshot.table("actuals")
    bounds = snapshot.manifest.get("window") or {}
    if actuals.empty or not bounds or snapshot.partial or projection != 1.0:
        return False
    window = Window.parse(bounds)
    created = pd.Timestamp(snapshot.manifest.get("created") or "1970-01-01T00:00:00+00:00")
    final = "estimated" not in actuals or not actuals["estimated"].astype(bool).any()
    return window == Window.of(period) and created >= window.end and final


def snapshot_period(snapshot: Snapshot) -> Period:
    """The calendar month a snapshot's window covers, or the month its window ends in."""
    return Period.covering(Window.parse(snapshot.manifest.get("window") or {}))


def _priced(
    rows: UsageRows,
    book: PriceBook,
    when: Period,
    source: str,
    use_free: bool,
    free_tier_scope: FreeTierScope,
    region: str | None,
    fallback_region: str | None,
) -> Estimate:
    _check_region(fallback_region, book, "fallback_region")
    priced = price(
        rows.rows, book, free_tier_scope=free_tier_scope, free_tier=use_free, fallback_region=fallback_region
    )
    options: dict[str, Any] = {
        "free_tier": use_free,
        "free_tier_scope": free_tier_scope,
        "region": region,
        "fallback_region": fallback_region,
        "pricing_effective_dates": _date_range(priced.lines),
    }
    return Estimate(
        lines=priced.lines,
        missing_prices=priced.missing,
        assumptions=describe(rows.assumptions | priced.assumptions, rows.counts),
        period=when,
        source=source,
        options=options,
        usage_rows=rows.rows,
        runs=rows.runs,
        inventory=rows.inventory,
    )


def _date_range(lines: pd.DataFrame) -> dict[str, str | None]:
    dates = lines["price_effective_date"].dropna()
    if dates.empty:
        return {"earliest": None, "latest": None}
    return {"earliest": str(dates.min()), "latest": str(dates.max())}


def _check_region(region: str | None, book: PriceBook, parameter: str) -> None:
    if region is not None and region not in book.region_codes:
        close = difflib.get_close_matches(region, sorted(book.region_codes), n=1)
        raise ParameterError(
            parameter,
            region,
            "is not an AWS region costkit knows",
            hint=(f"did you mean `{close[0]}`? " if close else "") + "regions are listed in pricing/regions.csv",
        )
