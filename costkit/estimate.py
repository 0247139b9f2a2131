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
from typing import Any, Literal, get_args

import pandas as pd

from costkit import __version__
from costkit.assumptions import describe
from costkit.errors import ParameterError
from costkit.model.inventory import Inventory
from costkit.model.period import Period
from costkit.model.runs import Runs
from costkit.model.usage import Usage
from costkit.price import LINE_COLUMNS, FreeTierScope, price
from costkit.pricing import current_pricebook
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.in_athena import Tables as AthenaTables
from costkit.sources.snapshot.observed import load_snapshot
from costkit.sources.usage_file.derive import derive_usage
from costkit.sources.usage_file.load import UsageDocument
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
    usage: Usage = field(default_factory=Usage)  # the model priced: rows, runs (computed once), inventory
    data_quality: list[dict[str, Any]] = field(default_factory=list)  # snapshot rows left out (snapshot checks)

    @property
    def usage_rows(self) -> pd.DataFrame:
        """What was priced: input to what-if and suggest."""
        return self.usage.rows

    @property
    def runs(self) -> Runs:
        """The runs the usage rows sum (planned or observed), computed once."""
        return self.usage.runs

    @property
    def inventory(self) -> Inventory:
        """The resources and their attributes."""
        return self.usage.inventory

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


Source = str | Path | Mapping[str, Any] | UsageDocument | Snapshot | Usage
Engine = Literal["pandas", "duckdb", "athena"]  # how a snapshot's run tables are summed: docs/scale.md


def estimate(
    source: Source,
    *,
    period: Period | None = None,
    free_tier: bool | None = None,
    free_tier_scope: FreeTierScope | None = None,
    region: str | None = None,
    fallback_region: str | None = None,
    pricebook: PriceBook | None = None,
    engine: Engine = "pandas",
    athena: AthenaTables | None = None,
) -> Estimate:
    """Price one month of a source: a usage file (path, dict or UsageDocument: planned usage), a snapshot
    (a Snapshot or its folder: observed usage, projected to the month) or a usage model (`Usage`, from
    `derive_usage` or `load_snapshot`, perhaps edited). The one entry point for all of them.

    `free_tier` overrides the usage file's `free_tier` field (a snapshot: on unless False). `free_tier_scope`
    defaults to the account, or to the organization for a snapshot of a whole organization. `region` prices a
    usage file's resources in one region; a snapshot is priced where it ran. `engine="duckdb"` sums a
    snapshot's run tables in SQL over its Parquet files instead of loading them (the same lines; the model's
    runs are then aggregated, so savings rules, which re-meter runs, need the pandas engine). `engine="athena"`
    sums them with the same SQL in Athena, over the tables `athena` names (collect/athena.py `snapshot_tables`);
    the snapshot folder then gives the manifest and the other tables.
    """
    book = pricebook or current_pricebook()
    usage = to_usage(source, period=period, region=region, pricebook=book, engine=engine, athena=athena)
    return price_usage(
        usage, book, free_tier=free_tier, free_tier_scope=free_tier_scope, fallback_region=fallback_region
    )


def to_usage(
    source: Source,
    *,
    period: Period | None = None,
    region: str | None = None,
    pricebook: PriceBook | None = None,
    engine: Engine = "pandas",
    athena: AthenaTables | None = None,
) -> Usage:
    """Any source as the usage model (a Usage passes through; `period` and `region` then must not differ)."""
    book = pricebook or current_pricebook()
    if engine not in get_args(Engine):
        raise ParameterError("engine", engine, "is not an engine costkit has", hint="use pandas, duckdb or athena")
    if isinstance(source, Usage):
        if period is not None and period != source.period:
            raise ParameterError("period", period, f"differs from the usage model's period {source.period}")
        if region is not None and region != source.region:
            raise ParameterError("region", region, "re-prices a usage file: derive the usage again with region=")
        return source
    if isinstance(source, Snapshot) or (isinstance(source, str | Path) and Path(source).is_dir()):
        if region is not None:
            raise ParameterError("region", region, "re-prices a usage file; a snapshot is priced where it ran")
        return load_snapshot(source, period=period, pricebook=book, engine=engine, athena=athena)
    if engine != "pandas":
        raise ParameterError("engine", engine, "sums a snapshot's run tables; a usage file is priced in pandas")
    _check_region(region, book, "region")
    return derive_usage(source, period=period, region=region, pricebook=book)


def price_usage(
    usage: Usage,
    pricebook: PriceBook,
    *,
    free_tier: bool | None = None,
    free_tier_scope: FreeTierScope | None = None,
    fallback_region: str | None = None,
) -> Estimate:
    """The estimate of a usage model: its rows priced. The free tier defaults to the source's say (a usage
    file's `free_tier`, else on), applied once per account, or once for a snapshot of a whole organization
    (consolidated billing)."""
    _check_region(fallback_region, pricebook, "fallback_region")
    use_free = (usage.free_tier if usage.free_tier is not None else True) if free_tier is None else free_tier
    scope: FreeTierScope = free_tier_scope or ("organization" if usage.organization else "account")
    priced = price(usage.rows, pricebook, free_tier_scope=scope, free_tier=use_free, fallback_region=fallback_region)
    options: dict[str, Any] = {
        "free_tier": use_free,
        "free_tier_scope": scope,
        "region": usage.region,
        "fallback_region": fallback_region,
        "pricing_effective_dates": _date_range(priced.lines),
    }
    result = Estimate(
        lines=priced.lines,
        missing_prices=priced.missing,
        assumptions=describe(usage.assumptions | priced.assumptions, usage.counts),
        period=usage.period,
        source=usage.source,
        options=options,
        usage=usage,
    )
    if not usage.planned:
        problems = list(usage.observed.get("problems", []))
        result.options["engine"] = usage.observed.get("engine", "pandas")
        result.options["projection_factor"] = usage.projection
        result.options["window"] = usage.observed.get("window")
        result.options["partial_collection"] = bool(usage.observed.get("partial_collection", False))
        result.options["data_quality"] = dict(usage.counts)
        result.data_quality = problems
        result.assumptions += [{"id": f"data-quality-{p['kind']}", "text": p["message"]} for p in problems]
        result.actuals = usage.actuals
    return result


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
