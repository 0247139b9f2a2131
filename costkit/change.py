"""A Change: one transform of what an estimate priced, composable with others.

A change edits the usage rows (the priced contract: runs-based rules lower the quantities their runs billed,
others retype or replace rows) and, where the source is a usage file, says the same thing as a usage-file patch
({"op": "set"|"remove", "path": "a.b.c", "value": ...}). Savings rules produce Changes; `then` composes them
in order; `apply` re-prices an estimate with a change exactly as the estimate was priced; `apply_to` writes the
change into a usage file and returns the new, validated usage.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from costkit.estimate import Estimate
from costkit.price import price
from costkit.pricing import current_pricebook
from costkit.sources.usage_file.load import Usage, load_usage
from costkit.tables import PriceBook

RowChange = Callable[[pd.DataFrame], pd.DataFrame]
Patch = list[dict[str, Any]]


def _unchanged(rows: pd.DataFrame) -> pd.DataFrame:
    return rows


@dataclass(frozen=True)
class Change:
    """What to do to the usage rows, and the same change on a usage file (empty when it has no file form)."""

    title: str = "no change"
    rows: RowChange = _unchanged
    usage_patch: Patch = field(default_factory=list)

    def __call__(self, rows: pd.DataFrame) -> pd.DataFrame:
        return self.rows(rows.copy())

    def then(self, other: Change) -> Change:
        """This change, then `other` (rows edited in that order; patches concatenated)."""

        def both(rows: pd.DataFrame, first: RowChange = self.rows, second: RowChange = other.rows) -> pd.DataFrame:
            return second(first(rows))

        return Change(f"{self.title}; {other.title}", both, [*self.usage_patch, *other.usage_patch])

    def apply(self, baseline: Estimate, pricebook: PriceBook | None = None) -> Estimate:
        """The baseline re-priced with this change, with the baseline's options (free tiers, tiers, fallback)."""
        options = baseline.options
        rows = self(baseline.usage_rows)
        priced = price(
            rows,
            pricebook or current_pricebook(),
            free_tier_scope=options.get("free_tier_scope", "account"),
            free_tier=bool(options.get("free_tier", True)),
            fallback_region=options.get("fallback_region"),
        )
        return replace(
            baseline,
            lines=priced.lines,
            missing_prices=priced.missing,
            usage_rows=rows,
            source=f"{baseline.source} + {self.title}",
        )

    def apply_to(self, usage: Usage, pricebook: PriceBook | None = None) -> Usage:
        """The usage file with this change's patch applied, validated again: a new Usage to estimate or change."""
        if not self.usage_patch:
            raise ValueError(f"change {self.title!r} has no usage-file form (it needs observed runs)")
        data = usage.spec.model_dump(by_alias=True, exclude_unset=True)
        changed = load_usage(apply_patch(data, self.usage_patch), pricebook=pricebook)
        return Usage(spec=changed.spec, source=f"{usage.source} + {self.title}")


def combine(changes: list[Change]) -> Change:
    """All `changes` applied in order (no change for an empty list)."""
    return functools.reduce(Change.then, changes[1:], changes[0]) if changes else Change()


def apply_patch(usage: Mapping[str, Any], patch: Patch) -> dict[str, Any]:
    """A copy of `usage` with each {"op": "set"|"remove", "path": "a.b.c", "value": ...} applied."""
    out: dict[str, Any] = copy.deepcopy(dict(usage))
    for step in patch:
        *parents, leaf = str(step["path"]).split(".")
        node: Any = out
        for key in parents:
            node = node.setdefault(key, {})
        if step.get("op", "set") == "remove":
            node.pop(leaf, None)
        else:
            node[leaf] = step["value"]
    return out
