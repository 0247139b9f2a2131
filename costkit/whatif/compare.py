"""compare: the baseline and each scenario side by side, per service, pipeline or resource.

One row per (scenario, key): cost_usd (a lower bound where `complete` is False), and delta_usd / delta_pct
against the baseline's same key only when both sides are complete (NaN otherwise: a difference of lower bounds
is not a saving). A key one side does not have costs $0 on that side (a removed pipeline costs nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from costkit.estimate import UNATTRIBUTED, Estimate
from costkit.tables import SERVICES, PriceBook
from costkit.whatif.frames import INCOMPLETE_COLOR, INCOMPLETE_HATCH, INCOMPLETE_NOTE, PlotFrame, figure, label, money
from costkit.whatif.scenario import Scenario, WhatIf, evaluate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

By = Literal["service", "pipeline", "resource"]
BASELINE = "baseline"
COLUMNS = ["scenario", "key", "cost_usd", "delta_usd", "delta_pct", "complete"]
MOST_KEYS_DRAWN = 8


def costs(result: Estimate, by: By) -> pd.DataFrame:
    """Cost and completeness per key of one estimate (key, cost_usd, complete)."""
    lines = result.lines
    if by == "service":
        key = lines["service"]
    elif by == "pipeline":
        key = lines["pipeline"].fillna(UNATTRIBUTED)
    elif by == "resource":
        key = lines["service"].astype(str) + ": " + lines["resource"].astype(str)
    else:
        raise ValueError(f"by={by!r}: expected 'service', 'pipeline' or 'resource'")
    unpriced = lines["cost_usd"].isna() & (lines["quantity"].astype(float) > 0)
    table = (
        pd.DataFrame({"key": key.astype(str), "cost_usd": lines["cost_usd"].astype(float), "unpriced": unpriced})
        .groupby("key", sort=False)
        .agg(cost_usd=("cost_usd", "sum"), unpriced=("unpriced", "any"))
    )
    if by == "service":
        table = table.reindex(list(SERVICES)).fillna({"cost_usd": 0.0, "unpriced": False})
    table["complete"] = ~table["unpriced"].astype(bool) & (not result.data_quality)
    return table[["cost_usd", "complete"]].rename_axis("key").reset_index()


def comparison(whatif: WhatIf, by: By = "service", *, baseline_name: str = BASELINE) -> Comparison:
    """The table `compare` returns, for scenarios already priced."""
    base = costs(whatif.baseline, by)
    parts = [(baseline_name, base)] + [(outcome.name, costs(outcome.estimate, by)) for outcome in whatif.outcomes]
    frames = []
    for name, table in parts:
        both = table.merge(base, on="key", how="outer", suffixes=("", "_base"), sort=False)
        both = both.fillna({"cost_usd": 0.0, "cost_usd_base": 0.0, "complete": True, "complete_base": True})
        known = both["complete"].astype(bool) & both["complete_base"].astype(bool)
        delta = (both["cost_usd"] - both["cost_usd_base"]).where(known)
        pct = 100.0 * delta / both["cost_usd_base"].where(both["cost_usd_base"] != 0)
        frames.append(
            pd.DataFrame(
                {
                    "scenario": name,
                    "key": both["key"],
                    "cost_usd": both["cost_usd"].astype(float),
                    "delta_usd": delta.astype(float),
                    "delta_pct": pct.astype(float),
                    "complete": both["complete"].astype(bool),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    result = Comparison(frame[COLUMNS])
    result.title = f"Monthly cost by {by}"
    return result


def compare(
    baseline: Estimate, *scenarios: Scenario, by: By = "service", pricebook: PriceBook | None = None
) -> Comparison:
    """The baseline and every scenario, per `by` key: scenario, key, cost_usd, delta_usd, delta_pct, complete.
    `.plot()` draws them as stacked bars; incomplete scenarios are hatched and labelled as lower bounds."""
    return comparison(evaluate(baseline, scenarios, pricebook), by)


class Comparison(PlotFrame):
    """compare's table. `totals()` is one row per scenario; `plot()` a Figure of stacked bars."""

    def totals(self) -> pd.DataFrame:
        """Per scenario: cost_usd (sum of keys), delta_usd (NaN unless every key is complete), complete."""
        grouped = pd.DataFrame(self).groupby("scenario", sort=False)
        table = grouped.agg(cost_usd=("cost_usd", "sum"), complete=("complete", "all"))
        deltas = grouped["delta_usd"].sum(min_count=1)
        table["delta_usd"] = deltas.where(table["complete"] & grouped["delta_usd"].apply(lambda s: s.notna().all()))
        base = float(table["cost_usd"].iloc[0]) if len(table) else 0.0
        table["delta_pct"] = 100.0 * table["delta_usd"] / base if base else np.nan
        return table[["cost_usd", "delta_usd", "delta_pct", "complete"]].reset_index()

    def draw(self, *_: Any, **__: Any) -> Figure:
        from matplotlib.patches import Patch

        plain = pd.DataFrame(self)
        order = list(dict.fromkeys(plain["scenario"]))
        wide = plain.pivot_table(index="scenario", columns="key", values="cost_usd", aggfunc="sum", sort=False)
        wide = wide.reindex(order).fillna(0.0)
        biggest = wide.max().sort_values(ascending=False).index.tolist()
        if len(biggest) > MOST_KEYS_DRAWN:
            kept = biggest[: MOST_KEYS_DRAWN - 1]
            wide = wide[kept].assign(other=wide.drop(columns=kept).sum(axis=1))
        else:
            wide = wide[[c for c in wide.columns if c in biggest]]
        totals = self.totals().set_index("scenario").reindex(order)
        incomplete_cells = plain[~plain["complete"]].groupby("scenario")["key"].apply(set).to_dict()
        fig, ax = figure(max(6.0, 1.3 * len(order) + 3.0), 4.5)
        bottom = np.zeros(len(order))
        x = np.arange(len(order))
        colors = [f"C{i}" for i in range(len(wide.columns))]
        for column, color in zip(wide.columns, colors, strict=True):
            values = wide[column].to_numpy(dtype=float)
            bars = ax.bar(x, values, bottom=bottom, color=color, label=label(column), edgecolor="white")
            for bar, name in zip(bars, order, strict=True):
                if column in incomplete_cells.get(name, set()) or (
                    column == "other" and incomplete_cells.get(name, set()) - set(wide.columns)
                ):
                    bar.set_hatch(INCOMPLETE_HATCH)
                    bar.set_edgecolor(INCOMPLETE_COLOR)
            bottom += values
        for position, name in enumerate(order):
            row = totals.loc[name]
            if not bool(row["complete"]):
                text = f"≥ {money(row['cost_usd'])}\nincomplete"
            elif name == order[0] or pd.isna(row["delta_usd"]):
                text = money(row["cost_usd"])
            else:
                text = f"{money(row['cost_usd'])}\n{row['delta_usd']:+,.2f}"
            ax.annotate(text, (position, bottom[position]), ha="center", va="bottom", fontsize=8,
                        color=INCOMPLETE_COLOR if not bool(row["complete"]) else "black")  # fmt: skip
        ax.set_ylabel("USD per month")
        ax.set_title(label(self.title or "Monthly cost"))
        ax.margins(y=0.2)
        handles, labels = ax.get_legend_handles_labels()
        if incomplete_cells:
            handles.append(Patch(facecolor="white", edgecolor=INCOMPLETE_COLOR, hatch=INCOMPLETE_HATCH))
            labels.append(INCOMPLETE_NOTE)
        ax.legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_xticks(x, [label(name) for name in order], rotation=15)
        return fig
