"""Exploration: one builder swept over values, and many builders' low/high swing (a tornado chart).

Both re-price the baseline once per point, with the baseline's options, through the same Change.apply that
`compare` uses. A point that needs a missing price is incomplete: drawn hollow (sweep) or hatched (tornado),
its delta left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from costkit.change import Change
from costkit.estimate import Estimate
from costkit.tables import SERVICES, PriceBook
from costkit.whatif.frames import INCOMPLETE_COLOR, INCOMPLETE_HATCH, INCOMPLETE_NOTE, PlotFrame, figure, finish, label
from costkit.whatif.points import Point, price_points
from costkit.whatif.scenario import Scenario, prices

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Builder = Callable[[float], Change | Scenario]


def as_change(made: Change | Scenario) -> Change:
    """A builder's result as one Change (a Scenario's changes combined)."""
    return made.change if isinstance(made, Scenario) else made


def priced(baseline: Estimate, change: Change | Scenario, pricebook: PriceBook | None = None) -> Estimate:
    return as_change(change).apply(baseline, pricebook)


def _delta(point: Point, baseline: Estimate) -> float:
    """Scenario minus baseline, NaN unless both are complete."""
    return point.total_usd - baseline.total if point.complete and baseline.complete else float("nan")


class Sweep(PlotFrame):
    """sweep's table: one row per value (value, cost_usd, delta_usd, delta_pct, complete, one column per service)."""

    def draw(self, *_: Any, **__: Any) -> Figure:
        fig, ax = figure()
        values = self["value"].to_numpy(dtype=float)
        cost = self["cost_usd"].to_numpy(dtype=float)
        done = self["complete"].to_numpy(dtype=bool)
        ax.plot(values, cost, color="C0", linewidth=1.5)
        ax.plot(values[done], cost[done], "o", color="C0", label="cost per month")
        if (~done).any():
            ax.plot(values[~done], cost[~done], "o", markerfacecolor="none", color=INCOMPLETE_COLOR,
                    label="incomplete: a lower bound")  # fmt: skip
        if "baseline_usd" in self.attrs:
            ax.axhline(float(self.attrs["baseline_usd"]), color="grey", linestyle="--", label="baseline")
        ax.set_xlabel(label(self.attrs.get("parameter", "value")))
        finish(ax, self.title or "Sweep")
        return fig


def sweep(
    baseline: Estimate,
    builder: Builder,
    values: Iterable[float],
    *,
    parameter: str = "value",
    pricebook: PriceBook | None = None,
) -> Sweep:
    """`builder(value)` priced for each value: value, cost_usd, delta_usd, delta_pct, complete and the cost of
    each service. `.plot()` is cost against value, incomplete points hollow."""
    records = []
    listed = list(values)
    points = price_points(baseline, [as_change(builder(value)) for value in listed], prices(pricebook))
    for value, point in zip(listed, points, strict=True):
        delta = _delta(point, baseline)
        records.append(
            {
                "value": value,
                "cost_usd": point.total_usd,
                "delta_usd": delta,
                "delta_pct": 100.0 * delta / baseline.total if baseline.total else float("nan"),
                "complete": point.complete,
                **point.by_service,
            }
        )
    table = Sweep(pd.DataFrame.from_records(records, columns=[
        "value", "cost_usd", "delta_usd", "delta_pct", "complete", *SERVICES]))  # fmt: skip
    table.attrs.update(parameter=parameter, baseline_usd=baseline.total)
    table.title = f"Monthly cost against {parameter}"
    return table


def _per_builder(value: float | Mapping[str, float], name: str) -> float:
    if isinstance(value, Mapping):
        if name not in value:
            raise KeyError(f"no value given for {name!r}")
        return float(value[name])
    return float(value)


class Tornado(PlotFrame):
    """sensitivity's table, biggest swing first: name, low, high, low_usd, high_usd, low_delta_usd,
    high_delta_usd, swing_usd, complete."""

    def draw(self, *_: Any, **__: Any) -> Figure:
        base = float(self.attrs.get("baseline_usd", 0.0))
        rows = self.iloc[::-1]
        fig, ax = figure(8.0, max(2.5, 0.6 * len(rows) + 1.5))
        y = np.arange(len(rows))
        for side, color in (("low", "C0"), ("high", "C3")):
            widths = rows[f"{side}_usd"].to_numpy(dtype=float) - base
            bars = ax.barh(y, widths, left=base, color=color, label=f"{side} value")
            for bar, done in zip(bars, rows[f"{side}_complete"].to_numpy(dtype=bool), strict=True):
                if not done:
                    bar.set_hatch(INCOMPLETE_HATCH)
                    bar.set_edgecolor(INCOMPLETE_COLOR)
        ax.axvline(base, color="black", linewidth=1)
        names = [
            f"{label(n)} ({lo:g} .. {hi:g})" for n, lo, hi in rows[["name", "low", "high"]].itertuples(index=False)
        ]
        ax.set_yticks(y, names)
        ax.set_xlabel("USD per month (baseline at the line)")
        finish(ax, self.title or "Sensitivity", ylabel="")
        if not self["complete"].all():
            ax.text(0.0, 1.08, INCOMPLETE_NOTE, transform=ax.transAxes, fontsize=8, color=INCOMPLETE_COLOR)
        return fig


def sensitivity(
    baseline: Estimate,
    builders: Mapping[str, Builder],
    low: float | Mapping[str, float],
    high: float | Mapping[str, float],
    *,
    pricebook: PriceBook | None = None,
) -> Tornado:
    """Each builder priced at its low and its high value; sorted by swing (high minus low cost), biggest first.
    `.plot()` is a tornado chart around the baseline total."""
    records = []
    ends = {name: (_per_builder(low, name), _per_builder(high, name)) for name in builders}
    changes = [as_change(builders[name](value)) for name, pair in ends.items() for value in pair]
    points = iter(price_points(baseline, changes, prices(pricebook)))
    for name, (lo, hi) in ends.items():
        at_low, at_high = next(points), next(points)
        records.append(
            {
                "name": name,
                "low": lo,
                "high": hi,
                "low_usd": at_low.total_usd,
                "high_usd": at_high.total_usd,
                "low_delta_usd": _delta(at_low, baseline),
                "high_delta_usd": _delta(at_high, baseline),
                "swing_usd": abs(at_high.total_usd - at_low.total_usd),
                "low_complete": at_low.complete,
                "high_complete": at_high.complete,
                "complete": at_low.complete and at_high.complete and baseline.complete,
            }
        )
    frame = pd.DataFrame.from_records(records)
    if not frame.empty:
        frame = frame.sort_values("swing_usd", ascending=False, kind="stable").reset_index(drop=True)
    table = Tornado(frame)
    table.attrs.update(baseline_usd=baseline.total)
    table.title = "What moves the monthly cost most"
    return table
