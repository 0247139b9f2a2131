"""The monthly FinOps report as data: `build_report` reads a month (and the months before it) and returns a
`Report`; `Report.to_dict()` is report.json (docs/report.schema.json). Renderers only present it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit import __version__
from costkit.errors import ParameterError
from costkit.estimate import _records
from costkit.model.period import Period
from costkit.pricing import current_pricebook
from costkit.report.anomalies import ANOMALY_COLUMNS, anomalies, run_costs
from costkit.report.drivers import drivers
from costkit.report.forecast import Forecast, forecast
from costkit.report.months import MonthView, previous_same_days, price_month, span_days
from costkit.report.pipelines import pipelines, top_movers
from costkit.report.reconcile import reconcile
from costkit.report.savings import savings
from costkit.report.showback import DEFAULT_KEYS, showback
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.folder import read as read_snapshot
from costkit.sources.snapshot.history import read_months
from costkit.tables import SERVICES, PriceBook

HISTORY_MONTHS = 12  # months before the report month that are read


@dataclass
class Report:
    """One month's report. Money in USD, unrounded; DataFrames for notebooks, `to_dict` for report.json."""

    current: MonthView
    previous: MonthView | None
    history: list[MonthView]  # closed months before the report month, oldest first (the forecast's series)
    pipelines: pd.DataFrame
    forecast: Forecast
    drivers: list[dict[str, Any]] = field(default_factory=list)
    reconciliation: pd.DataFrame = field(default_factory=pd.DataFrame)
    anomalies: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ANOMALY_COLUMNS))
    savings: dict[str, Any] = field(default_factory=dict)
    showback: dict[str, Any] = field(default_factory=dict)
    budget_usd: float | None = None
    data_quality: list[dict[str, Any]] = field(default_factory=list)

    @property
    def month(self) -> str:
        return self.current.name

    @property
    def total(self) -> float:
        return self.current.total

    @property
    def mom_delta_usd(self) -> float | None:
        return None if self.previous is None else self.current.total - self.previous.total

    @property
    def mom_delta_pct(self) -> float | None:
        if self.previous is None or self.previous.total == 0:
            return None
        return 100.0 * (self.current.total - self.previous.total) / self.previous.total

    def by_service(self) -> dict[str, float]:
        return _services(self.current)

    def budget(self) -> dict[str, Any] | None:
        """Variance against the budget: the month's total, or an open month's month-end forecast."""
        if self.budget_usd is None:
            return None
        basis = self.forecast.month_end_usd if self.current.open else self.total
        compared = self.total if basis is None else basis
        variance = compared - self.budget_usd
        return {
            "usd": self.budget_usd,
            "compared_usd": compared,
            "basis": "month-end forecast" if self.current.open else "month total",
            "variance_usd": variance,
            "variance_pct": 100.0 * variance / self.budget_usd if self.budget_usd else None,
            "over": variance > 0,
        }

    def api_calls(self) -> dict[str, Any]:
        calls = {str(k): int(v) for k, v in (self.current.snapshot.manifest.get("calls") or {}).items()}
        return {"total": sum(calls.values()), "by_operation": dict(sorted(calls.items()))}

    def ce_requests(self) -> int:
        return int((self.current.snapshot.manifest.get("cost_explorer") or {}).get("requests", 0))

    def daily(self) -> pd.DataFrame:
        """Run costs per day and service at list price (the daily trend chart; storage and V1 pipeline-months are
        monthly, so not in it)."""
        costs = run_costs(self.current)
        table = costs.groupby(["day", "service"], as_index=False).agg(cost_usd=("cost_usd", "sum"))
        return table.sort_values(["day", "service"]).reset_index(drop=True)

    def compute_mix(self) -> pd.DataFrame:
        """Build minutes and cost per CodeBuild usage type (compute type and OS), biggest first."""
        lines = self.current.estimate.lines
        builds = lines[lines["service"] == "CodeBuild"]
        table = builds.groupby(["usage_type", "unit"], as_index=False).agg(
            quantity=("quantity", "sum"), cost_usd=("cost_usd", "sum")
        )
        return table.sort_values(["cost_usd", "usage_type"], ascending=[False, True]).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """report.json (docs/report.schema.json)."""
        current = self.current
        ce = current.snapshot.manifest.get("cost_explorer") or {}
        return {
            "costkit_version": __version__,
            "month": self.month,
            "currency": "USD",
            "period": current.period.to_dict(),
            "open": current.open,
            "observed_days": span_days(current.snapshot, current.month),
            "comparison": "same-days" if current.open else "whole-month",
            "total_usd": self.total,
            "complete": current.estimate.complete,
            "by_service": self.by_service(),
            "previous": None
            if self.previous is None
            else {
                "month": self.previous.name,
                "period": self.previous.period.to_dict(),
                "total_usd": self.previous.total,
                "by_service": _services(self.previous),
            },
            "mom_delta_usd": self.mom_delta_usd,
            "mom_delta_pct": self.mom_delta_pct,
            "budget": self.budget(),
            "forecast": self.forecast.to_dict(),
            "drivers": self.drivers,
            "pipelines": _records(self.pipelines),
            "top_movers": _records(top_movers(self.pipelines)) if self.previous is not None else [],
            "reconciliation": _records(self.reconciliation),
            "anomalies": _records(self.anomalies),
            "daily": _records(self.daily()),
            "compute_mix": _records(self.compute_mix()),
            "showback": self.showback,
            "savings": self.savings,
            "history": [{"month": view.name, "total_usd": view.total} for view in self.history],
            "data_quality": self.data_quality,
            "assumptions": current.estimate.assumptions,
            "api_calls": self.api_calls(),
            "ce_requests": self.ce_requests(),
            "api_cost_usd": float(ce.get("cost_usd", 0.0)),
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _services(view: MonthView) -> dict[str, float]:
    return {name: float(view.estimate.by_service()[name]) for name in SERVICES}


def build_report(
    month: str | Period,
    *,
    history: str | Path | None = None,
    snapshot: str | Path | Snapshot | None = None,
    budget_usd: float | None = None,
    pricebook: PriceBook | None = None,
    with_savings: bool = True,
    tag_keys: tuple[str, ...] | list[str] = DEFAULT_KEYS,
) -> Report:
    """The report for `month` (YYYY-MM) from a history store (the month and up to 12 before it) or from one
    month's snapshot (no month-over-month change then). `with_savings=False` skips the savings rules (the slowest
    part); `savings` is then empty. `tag_keys`: the resource tags that name an owner, first found wins."""
    period = month if isinstance(month, Period) else Period.parse_month(month)
    if (history is None) == (snapshot is None):
        raise ParameterError("history", history, "give exactly one of history or snapshot")
    if budget_usd is not None and not budget_usd >= 0:
        raise ParameterError("budget_usd", budget_usd, "must be a number of dollars, 0 or more")
    book = pricebook or current_pricebook()
    if history is not None:
        stored = read_months(Path(history), period, HISTORY_MONTHS)
    else:
        assert snapshot is not None
        stored = {period: snapshot if isinstance(snapshot, Snapshot) else read_snapshot(Path(snapshot))}
    current = price_month(stored[period], period, book)
    before = [price_month(stored[p], p, book) for p in stored if p != period]
    closed = [view for view in before if not view.open]
    last = period.shift(-1)
    previous = next((view for view in before if view.month == last), None)
    quality = _quality(current, previous, last, history is not None)
    if previous is not None and current.open:
        previous = previous_same_days(previous, current, book)
    month_end = price_month_end(current, book) if current.open else None
    return Report(
        current=current,
        previous=previous,
        history=closed,
        pipelines=pipelines(current, previous),
        forecast=forecast([view.total for view in closed] + ([] if current.open else [current.total]), month_end),
        drivers=drivers(current.estimate, previous.estimate) if previous is not None else [],
        reconciliation=reconcile(current.estimate, current.snapshot),
        anomalies=anomalies(current, before),
        savings=savings(current, book) if with_savings else {},
        showback=showback(current, tuple(tag_keys)),
        budget_usd=budget_usd,
        data_quality=quality,
    )


def price_month_end(current: MonthView, book: PriceBook) -> float:
    """An open month's run-rate figure: its observed days projected to the whole month."""
    from costkit.estimate import estimate

    return estimate(current.snapshot, period=current.month, pricebook=book).total


def _quality(current: MonthView, previous: MonthView | None, last: Period, from_history: bool) -> list[dict[str, Any]]:
    """What limits the report's figures, each as {kind, message}."""
    notes: list[dict[str, Any]] = []
    result = current.estimate
    for failure in current.snapshot.manifest.get("failures") or []:
        notes.append({"kind": "partial-snapshot", "message": "{service} in {account} {region}: {error}".format(
            **{k: failure.get(k, "?") for k in ("service", "account", "region", "error")})})  # fmt: skip
    if not result.missing_prices.empty:
        notes.append({
            "kind": "missing-prices",
            "message": f"{len(result.missing_prices)} usage line(s) have no price "
            f"({', '.join(result.incomplete_services())}): totals are lower bounds",
        })  # fmt: skip
    notes += [{"kind": "snapshot-rows-left-out", **problem} for problem in result.data_quality]
    if current.open:
        notes.append({
            "kind": "open-month",
            "message": f"{current.name} was still open when collected: priced to date over {current.period.days:g} "
            "day(s) and compared with the same days of the previous month; S3 storage is priced as a whole "
            "month's GB-months on both sides, so the to-date storage figure is an upper bound",
        })  # fmt: skip
    if result.actuals.empty:
        notes.append({
            "kind": "no-actuals",
            "message": "no comparable Cost Explorer actuals for this month (not collected, the month was open, "
            "the bill was not final, or the snapshot is partial): nothing reconciled",
        })  # fmt: skip
    if current.snapshot.table("tags").empty:
        notes.append({
            "kind": "no-tags",
            "message": "no resource tags in the snapshot (nothing tagged, or tag:GetResources not allowed): "
            "showback attributes nothing",
        })  # fmt: skip
    if previous is None:
        notes.append({
            "kind": "no-previous-month",
            "message": f"no snapshot of {last.name}"
            + (" in the history" if from_history else "")
            + ": no month-over-month change or drivers",
        })  # fmt: skip
    return notes
