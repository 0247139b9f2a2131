"""Months as the report sees them: each stored snapshot priced for its month, and the fair comparison.

A closed month is priced whole. An open month (collected before it ended) is priced to date: the whole days
from the month's first to the collection, and it is compared with the previous month cut to the same span
(its runs after the cut left out), never with a whole month.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from costkit.estimate import Estimate, estimate
from costkit.model.period import Period
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.history import closed_when_collected
from costkit.tables import PriceBook

# Tables whose rows are runs that start at a time: cut at the same span of the previous month.
TIMED_TABLES = {"pipeline_executions": "start", "action_executions": "start", "builds": "start"}


@dataclass
class MonthView:
    """One month of the history, priced: `estimate` covers `period` (the month, or its days to date)."""

    month: Period
    period: Period
    snapshot: Snapshot
    estimate: Estimate
    open: bool

    @property
    def name(self) -> str:
        return self.month.name

    @property
    def total(self) -> float:
        return self.estimate.total

    @property
    def projection(self) -> float:
        return float(self.estimate.options.get("projection_factor") or 1.0)


def is_open(snapshot: Snapshot, month: Period) -> bool:
    """Collected before the month ended, or covering less than the month."""
    return not closed_when_collected(snapshot.manifest) or snapshot.window != month


def span_days(snapshot: Snapshot, month: Period) -> float:
    """Days from the month's first instant to the end of what was observed (at most the month)."""
    return max(0.0, min(Period(month.start, snapshot.window.end).days, month.days))


def to_date(month: Period, days: float) -> Period:
    """The whole days from the month's first that hold `days` days (at least one)."""
    whole = min(max(1, math.ceil(days - 1e-9)), month.days)
    return Period(month.start, month.start + dt.timedelta(days=whole))


def price_month(snapshot: Snapshot, month: Period, pricebook: PriceBook) -> MonthView:
    """A closed month priced whole; an open one priced to date."""
    if not is_open(snapshot, month):
        return MonthView(month, month, snapshot, estimate(snapshot, period=month, pricebook=pricebook), False)
    period = to_date(month, span_days(snapshot, month))
    return MonthView(month, period, snapshot, estimate(snapshot, period=period, pricebook=pricebook), True)


def same_days(snapshot: Snapshot, month: Period, days: float) -> Snapshot:
    """`snapshot` cut to the first `days` days of `month`: runs starting later are left out, runs crossing the
    cut are clipped by the estimate, Lambda's monthly metric sums are scaled by the share of days, storage
    levels are kept, and actuals (a whole month's bill) are dropped."""
    cut = month.start + dt.timedelta(days=days)
    observed = snapshot.window
    share = (cut - observed.start) / (observed.end - observed.start) if observed.end > observed.start else 0.0
    tables: dict[str, pd.DataFrame] = {}
    for name, frame in snapshot.tables.items():
        if name == "actuals":
            continue
        column = TIMED_TABLES.get(name)
        if column and column in frame and not frame.empty:
            frame = frame[pd.to_datetime(frame[column], utc=True) < pd.Timestamp(cut)].reset_index(drop=True)
        elif name == "function_metrics" and not frame.empty:
            frame = frame.assign(
                invocations=frame["invocations"] * share, duration_ms_sum=frame["duration_ms_sum"] * share
            )
        tables[name] = frame
    window = {"start": observed.start.isoformat(), "end": min(cut, observed.end).isoformat()}
    return Snapshot(tables=tables, manifest={**snapshot.manifest, "window": window}, problems=snapshot.problems)


def previous_same_days(previous: MonthView, current: MonthView, pricebook: PriceBook) -> MonthView:
    """The previous month over the span the open `current` month has been observed."""
    days = span_days(current.snapshot, current.month)
    cut = same_days(previous.snapshot, previous.month, days)
    period = to_date(previous.month, days)
    return MonthView(previous.month, period, cut, estimate(cut, period=period, pricebook=pricebook), True)
