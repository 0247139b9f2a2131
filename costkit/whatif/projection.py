"""project: the next months' cost under steady growth, against a monthly budget.

Month 0 is the baseline's own month; month i re-prices the baseline with every flow grown by (1 + growth)^i
(builders.growth), so free allowances and tiers apply to each month's own usage instead of scaling dollars.
A month whose estimate is incomplete is a lower bound: over budget only if even the lower bound is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from costkit.errors import ParameterError
from costkit.estimate import Estimate
from costkit.tables import PriceBook
from costkit.whatif.builders import growth as grown
from costkit.whatif.frames import INCOMPLETE_COLOR, PlotFrame, figure, finish, label, money
from costkit.whatif.points import price_points
from costkit.whatif.scenario import prices

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = ["month", "months_ahead", "growth_factor", "cost_usd", "budget_usd", "over_budget", "complete"]


class Projection(PlotFrame):
    """project's table: one row per month. `over_budget` is True, False, or None (a lower bound under budget:
    not known)."""

    @property
    def first_over_budget(self) -> str | None:
        """The first month known to be over budget, or None."""
        over = self[self["over_budget"].astype(object).eq(True)]
        return None if over.empty else str(over["month"].iloc[0])

    def draw(self, *_: Any, **__: Any) -> Figure:
        fig, ax = figure(9.0, 4.5)
        x = np.arange(len(self))
        cost = self["cost_usd"].to_numpy(dtype=float)
        done = self["complete"].to_numpy(dtype=bool)
        ax.plot(x, cost, color="C0", label="projected cost")
        ax.plot(x[done], cost[done], "o", color="C0")
        if (~done).any():
            ax.plot(x[~done], cost[~done], "o", markerfacecolor="none", color=INCOMPLETE_COLOR,
                    label="incomplete: a lower bound")  # fmt: skip
        budget = self["budget_usd"].dropna()
        if not budget.empty:
            limit = float(budget.iloc[0])
            ax.axhline(limit, color="C3", linestyle="--", label=f"budget {money(limit)}")
            over = self["over_budget"].astype(object).eq(True).to_numpy()
            if over.any():
                ax.plot(x[over], cost[over], "x", color="C3", markersize=9, label="over budget")
        ax.set_xticks(x, [label(m) for m in self["month"]], rotation=45)
        finish(ax, self.title or "Projection")
        return fig


def project(
    baseline: Estimate,
    months: int = 12,
    growth: float = 0.0,
    *,
    budget: float | None = None,
    pricebook: PriceBook | None = None,
) -> Projection:
    """`months` months from the baseline's month on, flows growing by `growth` a month (0.05 = 5%)."""
    if int(months) != months or months < 1:
        raise ParameterError("months", months, "is not a number of months: give a whole number, at least 1")
    later = price_points(baseline, [grown(growth, ahead) for ahead in range(1, int(months))], prices(pricebook))
    records = []
    for ahead, (cost, complete) in enumerate([(baseline.total, baseline.complete),
                                              *((point.total_usd, point.complete) for point in later)]):  # fmt: skip
        if budget is None:
            over: bool | None = None
        elif cost > budget:
            over = True
        else:
            over = False if complete else None
        records.append(
            {
                "month": baseline.period.shift(ahead).name,
                "months_ahead": ahead,
                "growth_factor": (1.0 + growth) ** ahead,
                "cost_usd": cost,
                "budget_usd": float(budget) if budget is not None else float("nan"),
                "over_budget": over,
                "complete": complete,
            }
        )
    table = Projection(pd.DataFrame.from_records(records, columns=COLUMNS))
    table.title = f"{months}-month projection, {100 * growth:+.3g}% a month" + (
        f", budget ${budget:,.2f}" if budget is not None else ""
    )
    return table
