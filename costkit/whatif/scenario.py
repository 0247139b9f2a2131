"""Scenarios: named, ordered compositions of Changes, each priced against one baseline estimate.

A Scenario is data (a name and its Changes, applied in order); `evaluate` prices every scenario exactly as the
baseline was priced and returns a `WhatIf`, whose `to_dict()` is the JSON `costkit whatif` prints.
A scenario that needs a price costkit does not have is incomplete: its total is a lower bound and its delta is
left out (None), never shown as if it were known.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from costkit.change import Change, combine
from costkit.errors import ParameterError
from costkit.estimate import Estimate
from costkit.pricing import current_pricebook
from costkit.tables import PriceBook


def prices(pricebook: PriceBook | None) -> PriceBook:
    """The price book to re-price with, resolved once per call (finding the current price set reads the cache)."""
    return pricebook or current_pricebook()


@dataclass(frozen=True)
class Scenario:
    """A name and the Changes it makes, in order (the order matters where one change reads what another set)."""

    name: str
    changes: tuple[Change, ...] = ()

    @classmethod
    def of(cls, name: str, *changes: Change) -> Scenario:
        return cls(name, tuple(changes))

    def then(self, *changes: Change) -> Scenario:
        """This scenario with `changes` appended."""
        return Scenario(self.name, (*self.changes, *changes))

    @property
    def change(self) -> Change:
        """All the changes as one (no change for an empty scenario)."""
        return combine(list(self.changes))

    @property
    def titles(self) -> list[str]:
        return [change.title for change in self.changes]

    def apply(self, baseline: Estimate, pricebook: PriceBook | None = None) -> Estimate:
        """The baseline re-priced with every change of the scenario, in order."""
        return self.change.apply(baseline, pricebook)


@dataclass
class Outcome:
    """One scenario priced: its estimate, and its difference from the baseline when both are complete."""

    scenario: Scenario
    estimate: Estimate
    baseline: Estimate

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def complete(self) -> bool:
        return self.estimate.complete

    @property
    def delta_usd(self) -> float | None:
        """Scenario minus baseline; None unless both are complete (a lower bound minus a lower bound means nothing)."""
        if not (self.estimate.complete and self.baseline.complete):
            return None
        return self.estimate.total - self.baseline.total

    @property
    def delta_pct(self) -> float | None:
        delta = self.delta_usd
        if delta is None or self.baseline.total == 0:
            return None
        return 100.0 * delta / self.baseline.total

    def to_dict(self) -> dict[str, Any]:
        result = self.estimate.to_dict()
        return {
            "name": self.name,
            "total_usd": result["total_usd"],
            "by_service": result["by_service"],
            "delta_usd": self.delta_usd,
            "delta_pct": self.delta_pct,
            "complete": self.complete,
            "incomplete_services": result["incomplete_services"],
            "missing_prices": result["missing_prices"],
            "changes": self.scenario.titles,
            "assumptions": [a for a in result["assumptions"] if a not in self.baseline.assumptions],
        }


@dataclass
class WhatIf:
    """A baseline and its scenarios, priced: what `costkit whatif` prints, as objects and DataFrames."""

    baseline: Estimate
    outcomes: list[Outcome] = field(default_factory=list)

    def __getitem__(self, name: str) -> Outcome:
        for outcome in self.outcomes:
            if outcome.name == name:
                return outcome
        raise KeyError(name)

    @property
    def complete(self) -> bool:
        return self.baseline.complete and all(outcome.complete for outcome in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `costkit whatif --format json` (docs/whatif.schema.json)."""
        return {
            "baseline": self.baseline.to_dict(),
            "scenarios": [outcome.to_dict() for outcome in self.outcomes],
        }


def evaluate(baseline: Estimate, scenarios: Iterable[Scenario], pricebook: PriceBook | None = None) -> WhatIf:
    """Every scenario priced against `baseline`, in the order given. Names must be unique."""
    listed = list(scenarios)
    seen: set[str] = set()
    for scenario in listed:
        if scenario.name in seen:
            raise ParameterError("scenarios", scenario.name, "names two scenarios; give each a name of its own")
        seen.add(scenario.name)
    book = prices(pricebook)
    return WhatIf(baseline, [Outcome(s, s.apply(baseline, book), baseline) for s in listed])
