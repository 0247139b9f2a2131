"""Savings for the report month: `costkit.optimize.suggest` on its snapshot, the fields a report shows."""

from __future__ import annotations

from typing import Any

from costkit.optimize import suggest
from costkit.report.months import MonthView
from costkit.tables import PriceBook

SHOWN = ("id", "rule", "title", "resources", "monthly_saving_usd", "one_off_cost_usd", "confidence", "change")


def savings(current: MonthView, pricebook: PriceBook) -> dict[str, Any]:
    """Suggestions for the month (an open month: as projected to the month end), biggest saving first; the
    combined saving applies the best of each exclusive group together."""
    found = suggest(snapshot=current.snapshot, period=current.month, pricebook=pricebook).to_dict()
    return {
        "baseline_total_usd": found["baseline_total_usd"],
        "combined_saving_usd": found["combined_saving_usd"],
        "suggestions": [{**{k: item[k] for k in SHOWN}, "counted": item["counted"]} for item in found["suggestions"]],
    }
