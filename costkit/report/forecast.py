"""Forecasts from costkit's own history: the month-end figure of an open month and next month with an interval.

Month end (open month only): `run-rate`, the observed days projected linearly to the month by the estimate
(flows such as runs and requests scaled; storage levels held).

Next month, from the monthly totals of the history (closed months, then the open month's month-end figure):
- three months or more: `linear-trend`, an ordinary least-squares line over the months, extended one month;
  the interval is its 95% prediction interval (Student's t with n - 2 degrees of freedom);
- two months: `two-month-change`, the last change repeated; the interval is that change either way;
- one month: `carry-forward`, last month again, with no interval.
Figures below $0 are shown as $0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# Two-sided 95% Student's t quantiles by degrees of freedom (at most 13 months: 11 degrees of freedom).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201}


@dataclass(frozen=True)
class Forecast:
    month_end_usd: float | None
    next_month_usd: float | None
    low_usd: float | None
    high_usd: float | None
    method: str
    months_used: int
    month_end_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "month_end_usd": self.month_end_usd,
            "month_end_method": self.month_end_method,
            "next_month_usd": self.next_month_usd,
            "low_usd": self.low_usd,
            "high_usd": self.high_usd,
            "method": self.method,
            "months_used": self.months_used,
            "cost_explorer_usd": None,  # GetCostForecast: not collected yet
        }


def next_month(totals: list[float]) -> tuple[float | None, float | None, float | None, str]:
    """(forecast, low, high, method) for the month after `totals` (oldest first)."""
    n = len(totals)
    if n == 0:
        return None, None, None, "none"
    if n == 1:
        return max(0.0, totals[0]), None, None, "carry-forward"
    if n == 2:
        change = totals[1] - totals[0]
        point = totals[1] + change
        return max(0.0, point), max(0.0, point - abs(change)), max(0.0, point + abs(change)), "two-month-change"
    xs = [float(i) for i in range(n)]
    mean_x, mean_y = sum(xs) / n, sum(totals) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, totals, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, totals, strict=True)]
    s = math.sqrt(sum(r * r for r in residuals) / (n - 2))
    x_next = float(n)
    point = intercept + slope * x_next
    half = T95[min(n - 2, max(T95))] * s * math.sqrt(1 + 1 / n + (x_next - mean_x) ** 2 / sxx)
    return max(0.0, point), max(0.0, point - half), max(0.0, point + half), "linear-trend"


def forecast(totals: list[float], month_end: float | None) -> Forecast:
    """`totals`: closed months oldest first; `month_end`: the open report month's run-rate figure, if open."""
    series = [*totals, month_end] if month_end is not None else list(totals)
    point, low, high, method = next_month(series)
    return Forecast(
        month_end_usd=month_end,
        next_month_usd=point,
        low_usd=low,
        high_usd=high,
        method=method,
        months_used=len(series),
        month_end_method="run-rate" if month_end is not None else None,
    )
