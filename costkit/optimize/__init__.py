"""Savings suggestions: every one re-priced in dollars through the same pricing code, with its evidence,
its confidence and the change to make. `suggest()` is what `costkit suggest` prints."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.change import Change, combine
from costkit.estimate import Estimate, estimate
from costkit.model.period import Period
from costkit.optimize.base import Context, Rule, Suggestion
from costkit.optimize.rules import (
    arm_builds,
    artifact_lifecycle,
    build_caching,
    idle_pipelines,
    lambda_arm,
    not_priced,
    pipeline_type,
    right_size,
    rounding_waste,
    wasted_runs,
)
from costkit.price import FreeTierScope
from costkit.pricing import current_pricebook
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.folder import read as read_snapshot
from costkit.sources.usage_file.load import UsageDocument, load_usage
from costkit.tables import PriceBook

RULES: list[Rule] = [
    pipeline_type.rule,  # 1
    arm_builds.rule,  # 2
    right_size.rule,  # 3
    not_priced.rule,  # 4 and 11: Lambda compute, reserved capacity (priced only when the tables have prices)
    rounding_waste.rule,  # 5
    build_caching.rule,  # 6
    artifact_lifecycle.rule,  # 7
    wasted_runs.rule,  # 8
    idle_pipelines.rule,  # 9
    lambda_arm.rule,  # 10
]
SUGGESTION_COLUMNS = [
    "id", "rule", "title", "resources", "monthly_saving_usd", "one_off_cost_usd", "confidence",
    "confidence_reason", "evidence", "change", "exclusive", "usage_patch", "counted",
]  # fmt: skip


SCHEMA_VERSION = 2  # docs/suggest.schema.json: 2 added schema_version and by_rule


@dataclass(frozen=True)
class RuleTotal:
    """One rule's suggestions rolled up: how many, how many are counted, and what its counted ones save when
    applied together and re-priced (not the sum of their savings alone: tiers and free tiers interact)."""

    rule: str
    suggestions: int
    counted: int
    saving_usd: float

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "suggestions": self.suggestions, "counted": self.counted,
                "saving_usd": self.saving_usd}  # fmt: skip


@dataclass
class Suggestions:
    """Suggestions, biggest saving first; `combined_saving_usd` applies the best of each exclusive group together."""

    items: list[Suggestion]
    baseline: Estimate
    combined_saving_usd: float
    notes: list[str] = field(default_factory=list)
    counted: set[str] = field(default_factory=set)
    change: Change = field(default_factory=Change)  # the counted suggestions together, as one Change
    by_rule: list[RuleTotal] = field(default_factory=list)  # biggest rolled-up saving first

    def top(self, n: int | None = None, min_saving_usd: float = 0.0) -> dict[str, list[Suggestion]]:
        """Per rule (in `by_rule` order), its biggest suggestions saving at least `min_saving_usd`, at most `n`
        of them (all when `n` is None or 0): what a person reads first. The full list stays in `items`."""
        shown: dict[str, list[Suggestion]] = {total.rule: [] for total in self.by_rule}
        for item in self.items:  # biggest first
            mine = shown.setdefault(item.rule, [])
            if item.monthly_saving_usd >= min_saving_usd and (not n or len(mine) < n):
                mine.append(item)
        return shown

    @property
    def total_after_usd(self) -> float:
        """The monthly total once the counted suggestions are applied."""
        return self.baseline.total - self.combined_saving_usd

    @property
    def table(self) -> pd.DataFrame:
        """One row per suggestion (the notebook view)."""
        records = [
            {**{k: v for k, v in s.to_dict().items() if k in SUGGESTION_COLUMNS}, "counted": s.id in self.counted}
            for s in self.items
        ]
        return pd.DataFrame(records, columns=SUGGESTION_COLUMNS)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of `costkit suggest --format json` (docs/suggest.schema.json)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "currency": "USD",
            "period": self.baseline.period.to_dict(),
            "source": self.baseline.source,
            "baseline_total_usd": self.baseline.total,
            "combined_saving_usd": self.combined_saving_usd,
            "by_rule": [total.to_dict() for total in self.by_rule],
            "suggestions": [{**s.to_dict(), "counted": s.id in self.counted} for s in self.items],
            "notes": self.notes,
            "baseline_complete": self.baseline.complete,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)


def suggest(
    usage: str | Path | Mapping[str, Any] | UsageDocument | None = None,
    *,
    snapshot: str | Path | Snapshot | None = None,
    period: Period | None = None,
    free_tier: bool | None = None,
    free_tier_scope: FreeTierScope | None = None,
    pricebook: PriceBook | None = None,
    rules: list[Rule] | None = None,
) -> Suggestions:
    """Savings for a usage file (path, dict or UsageDocument) or a snapshot, each re-priced through the estimate."""
    book = pricebook or current_pricebook()
    if (usage is None) == (snapshot is None):
        raise ValueError("give exactly one of usage or snapshot")
    source: UsageDocument | Snapshot
    if usage is not None:
        source = load_usage(usage, pricebook=book)
    else:
        assert snapshot is not None
        source = snapshot if isinstance(snapshot, Snapshot) else read_snapshot(Path(snapshot))
    baseline = estimate(source, period=period, free_tier=free_tier, free_tier_scope=free_tier_scope, pricebook=book)
    if snapshot is not None and not isinstance(snapshot, Snapshot):
        baseline.source = str(snapshot)
    context = Context(baseline=baseline, pricebook=book)
    found: list[Suggestion] = []
    for rule in rules or RULES:
        found += rule(context)
    _unique_ids(found)
    found.sort(key=lambda s: (-s.monthly_saving_usd, s.id))
    best: dict[str, Suggestion] = {}
    for item in found:  # biggest first: the first of each exclusive group is the one counted
        best.setdefault(item.exclusive, item)
    combined = combine([item.as_change for item in best.values()])
    counted = list(best.values())
    after, by_rule = _applied(context, found, counted)
    return Suggestions(
        items=found,
        baseline=baseline,
        combined_saving_usd=baseline.total - after if best else 0.0,
        notes=context.notes,
        counted={item.id for item in counted},
        change=combined,
        by_rule=by_rule,
    )


def _applied(context: Context, found: list[Suggestion], counted: list[Suggestion]) -> tuple[float, list[RuleTotal]]:
    """The monthly total with the counted suggestions applied together, and each rule's counted suggestions
    applied together (its rolled-up total): all re-priced in one pass by the groups they touch."""
    rules = list(dict.fromkeys(item.rule for item in found))
    mine = {rule: [item for item in counted if item.rule == rule] for rule in rules}
    shown = [rule for rule in rules if mine[rule]]
    edits = [context.together(counted)] + [context.together(mine[rule]) for rule in shown]
    context.repricings += len(edits)
    after, *per_rule = context.repricer.price_many(edits)
    before = context.repricer.baseline_total
    saving = dict(zip(shown, (before - priced.total_usd for priced in per_rule), strict=True))
    totals = [
        RuleTotal(rule, sum(item.rule == rule for item in found), len(mine[rule]), saving.get(rule, 0.0))
        for rule in rules
    ]
    return after.total_usd, sorted(totals, key=lambda total: (-total.saving_usd, total.rule))


def _unique_ids(found: list[Suggestion]) -> None:
    """Ids stay unique when the same resource name exists in several accounts or regions."""
    seen: dict[str, int] = {}
    for item in found:
        seen[item.id] = seen.get(item.id, 0) + 1
    for item in found:
        if seen[item.id] > 1:
            item.id = f"{item.id}@{item.exclusive.split(':', 1)[-1]}"
