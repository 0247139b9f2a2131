"""What every savings rule works with, and what it returns.

A rule never guesses a percentage: it changes the usage rows (the same rows the estimate priced) and the
saving is the difference between the two prices, through the same pricing code, free tiers and tiers
included. Suggestions that change the same thing share an `exclusive` key: only the best of them counts
toward the total.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from costkit.change import Change
from costkit.change import RowChange as RowChange  # the rules import it from here
from costkit.estimate import Estimate
from costkit.price import price
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.usage_file.schema import UsageFile
from costkit.tables import PriceBook

Confidence = Literal["high", "medium", "low"]
# A saving that rounds to $0.00 a month is not worth a suggestion (rules note it instead).
MIN_SAVING_USD = 0.005


@dataclass
class Suggestion:
    """One change, its monthly saving in USD (re-priced), and why costkit believes it."""

    id: str
    rule: str
    title: str
    resources: list[str]
    monthly_saving_usd: float
    confidence: Confidence
    confidence_reason: str
    evidence: dict[str, Any]
    change: dict[str, str]  # how to make it: console / cli / cloudformation / terraform / usage_file
    exclusive: str  # suggestions with the same key exclude each other
    one_off_cost_usd: float = 0.0
    # The same change on a usage file: {"op": "set", "path": "a.b.c", "value": v} or {"op": "remove", "path": ...}
    usage_patch: list[dict[str, Any]] = field(default_factory=list)
    transform: RowChange | None = field(default=None, repr=False)

    @property
    def as_change(self) -> Change:
        """This suggestion as a Change of the model: its row edit and its usage-file patch."""
        return Change(self.id, self.transform or (lambda rows: rows), list(self.usage_patch))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "title": self.title,
            "resources": self.resources,
            "monthly_saving_usd": self.monthly_saving_usd,
            "one_off_cost_usd": self.one_off_cost_usd,
            "confidence": self.confidence,
            "confidence_reason": self.confidence_reason,
            "evidence": self.evidence,
            "change": self.change,
            "exclusive": self.exclusive,
            "usage_patch": self.usage_patch,
        }


@dataclass
class Context:
    """The estimate being improved, plus whatever the rules may read about where it came from."""

    baseline: Estimate
    pricebook: PriceBook
    spec: UsageFile | None = None
    snapshot: Snapshot | None = None
    notes: list[str] = field(default_factory=list)  # what a rule considered and why it did not suggest it
    _baseline_price: tuple[float, set[tuple[str, ...]]] | None = field(default=None, repr=False)

    @property
    def rows(self) -> pd.DataFrame:
        return self.baseline.usage_rows

    def reprice(self, rows: pd.DataFrame) -> tuple[float, set[tuple[str, ...]]]:
        """Monthly total of (changed) usage rows priced exactly as the baseline was, and what had no price."""
        options = self.baseline.options
        result = price(
            rows,
            self.pricebook,
            free_tier_scope=options.get("free_tier_scope", "account"),
            free_tier=bool(options.get("free_tier", True)),
            fallback_region=options.get("fallback_region"),
        )
        missing = {
            tuple(str(v) for v in key)
            for key in result.missing[["account", "region", "resource", "usage_type"]].itertuples(index=False)
        }
        return float(result.lines["cost_usd"].sum()), missing

    def worth(self, transform: RowChange, *, unpriced: str, too_small: str | None = None) -> float | None:
        """The saving of `transform` when it is worth a suggestion. Otherwise None, with a note saying why:
        `unpriced` when a price it needs is missing, `too_small` (if given; `{saving}` becomes the dollars) when
        it rounds to $0.00."""
        saving = self.saving(transform)
        if saving is None:
            self.notes.append(unpriced)
            return None
        if saving <= MIN_SAVING_USD:
            if too_small is not None:
                self.notes.append(too_small.replace("{saving}", f"{saving:,.2f}"))
            return None
        return saving

    def saving(self, transform: RowChange) -> float | None:
        """Baseline total minus the total after `transform`; None when the change needs a price that is missing.

        Lines that were already unpriced and stay unchanged do not block a saving elsewhere.
        """
        if self._baseline_price is None:
            self._baseline_price = self.reprice(self.rows)
        before, missing_before = self._baseline_price
        after, missing_after = self.reprice(transform(self.rows.copy()))
        if not missing_after <= missing_before:
            return None
        return before - after


Rule = Callable[[Context], list[Suggestion]]
