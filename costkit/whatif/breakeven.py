"""breakeven: the value of a parameter at which two alternatives cost the same.

`left(x)` and `right(x)` are builders (Changes as a function of one number, e.g. a pipeline's executions as a
factor of today's, once on V1 and once on V2); the estate's total under each is priced with the baseline's
options, so shared free allowances (1 active V1 pipeline and 100 V2 action minutes a month per account) are
counted exactly as the bill counts them. Totals are piecewise linear in a usage factor, so the crossing is found
by bisection and finished by interpolating the last bracket (exact on a linear piece).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from costkit.errors import ParameterError
from costkit.estimate import Estimate
from costkit.tables import PriceBook
from costkit.whatif.explore import Builder, as_change, priced
from costkit.whatif.frames import INCOMPLETE_COLOR, figure, finish, label
from costkit.whatif.points import price_points
from costkit.whatif.scenario import prices

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STEPS = 200
CURVE_POINTS = 21
USD_TOLERANCE = 1e-10  # a crossing is found when the two totals agree to a hundredth of a micro-dollar


@dataclass
class Breakeven:
    """Where `left` and `right` cost the same (None when they do not cross in [low, high]), and both curves."""

    value: float | None
    cost_usd: float | None  # the estate's total at the crossing
    complete: bool
    curve: pd.DataFrame  # value, left_usd, right_usd, left_complete, right_complete
    names: tuple[str, str]
    parameter: str

    def plot(self) -> Figure:
        fig, ax = figure()
        for side, color in (("left", "C0"), ("right", "C1")):
            done = self.curve[f"{side}_complete"].to_numpy(dtype=bool)
            values = self.curve["value"].to_numpy(dtype=float)
            cost = self.curve[f"{side}_usd"].to_numpy(dtype=float)
            name = label(self.names[0 if side == "left" else 1])
            ax.plot(values, cost, color=color, label=name)
            if (~done).any():
                ax.plot(values[~done], cost[~done], "o", markerfacecolor="none", color=INCOMPLETE_COLOR,
                        label=f"{name}: incomplete, a lower bound")  # fmt: skip
        if self.value is not None and self.cost_usd is not None:
            ax.axvline(self.value, color="grey", linestyle="--", label=f"break-even at {self.value:,.4g}")
        ax.set_xlabel(label(self.parameter))
        finish(ax, f"{self.names[0]} vs {self.names[1]}", "USD per month (whole estate)")
        return fig


def breakeven(
    baseline: Estimate,
    left: Builder,
    right: Builder,
    *,
    low: float = 0.0,
    high: float = 10.0,
    names: tuple[str, str] = ("left", "right"),
    parameter: str = "factor",
    points: int = CURVE_POINTS,
    pricebook: PriceBook | None = None,
) -> Breakeven:
    """The `parameter` value in [low, high] where the estate costs the same under `left(x)` and `right(x)`;
    `points` evenly spaced values are priced for the curves `.plot()` draws."""
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ParameterError("high", high, f"must be finite and above low={low!r}")
    incomplete = False
    pricebook = prices(pricebook)

    def gap(x: float) -> float:
        nonlocal incomplete
        a, b = priced(baseline, left(x), pricebook), priced(baseline, right(x), pricebook)
        incomplete |= not (a.complete and b.complete)
        return a.total - b.total

    curve = _curve(baseline, left, right, np.linspace(low, high, points), pricebook)
    incomplete |= not bool(curve[["left_complete", "right_complete"]].all().all())
    value = _root(gap, low, high)
    cost = None if value is None else priced(baseline, left(value), pricebook).total
    return Breakeven(value, cost, not incomplete and baseline.complete, curve, names, parameter)


def _curve(baseline: Estimate, left: Builder, right: Builder, values: np.ndarray, pricebook: PriceBook) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    changes = [as_change(side(float(x))) for x in values for side in (left, right)]
    points = iter(price_points(baseline, changes, pricebook))
    for x in values:
        a, b = next(points), next(points)
        records.append({"value": float(x), "left_usd": a.total_usd, "right_usd": b.total_usd,
                        "left_complete": a.complete, "right_complete": b.complete})  # fmt: skip
    columns = ["value", "left_usd", "right_usd", "left_complete", "right_complete"]
    return pd.DataFrame.from_records(records, columns=columns)


def _root(gap: Callable[[float], float], low: float, high: float) -> float | None:
    """A zero of a piecewise-linear `gap` in [low, high] (the crossing, when one side grows faster throughout):
    the Illinois variant of regula falsi, exact in one step on a linear piece, never leaving the bracket."""
    g_low, g_high = gap(low), gap(high)
    if abs(g_low) <= USD_TOLERANCE:
        return low
    if abs(g_high) <= USD_TOLERANCE:
        return high
    if np.sign(g_low) == np.sign(g_high):
        return None
    side = 0
    value = low
    for _ in range(STEPS):
        value = (g_low * high - g_high * low) / (g_low - g_high)
        g_value = gap(value)
        if abs(g_value) <= USD_TOLERANCE or high - low <= 1e-12 * max(1.0, abs(high)):
            return float(value)
        if np.sign(g_value) == np.sign(g_high):
            high, g_high = value, g_value
            if side == -1:
                g_low /= 2.0
            side = -1
        else:
            low, g_low = value, g_value
            if side == 1:
                g_high /= 2.0
            side = 1
    return float(value)
