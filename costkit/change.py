"""A Change: one transform of the usage model, composable with others.

A change edits the model (`edit`: runs and/or inventory; billing then re-derives the rows of the services the
edit touched, exactly as the source's rows were derived) or, for the few rules that need it, the usage rows
only (`rows`). Where the source is a usage file it also says the same thing as a usage-file patch
({"op": "set"|"remove", "path": "a.b.c", "value": ...}). Savings rules and what-if builders produce Changes;
`then`/`combine` compose them in order; `apply` re-prices an estimate with a change exactly as the estimate was
priced; `apply_to` writes the change into a usage file and returns the new, validated document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from costkit.billing.rows import derive as derive_rows
from costkit.estimate import Estimate, price_usage
from costkit.model.usage import Usage
from costkit.pricing import current_pricebook
from costkit.sources.snapshot.observed import follow_executions
from costkit.sources.usage_file.load import UsageDocument, load_usage
from costkit.tables import PriceBook

RowChange = Callable[[pd.DataFrame], pd.DataFrame]
Edit = Callable[[Usage], Usage]
Patch = list[dict[str, Any]]


def _unchanged(rows: pd.DataFrame) -> pd.DataFrame:
    return rows


@dataclass(frozen=True)
class Change:
    """What to do to the model (`edit`) or to its rows only (`rows`), and the same change on a usage file
    (`usage_patch`, empty when it has no file form)."""

    title: str = "no change"
    rows: RowChange = _unchanged
    usage_patch: Patch = field(default_factory=list)
    edit: Edit | None = None
    _derived: bool = field(default=False, repr=False)  # `edit` already re-derives (a composition)

    def __call__(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The row edit alone (what savings rules price; a model edit needs `transform`)."""
        return self.rows(rows.copy())

    def transform(self, usage: Usage, pricebook: PriceBook | None = None) -> Usage:
        """`usage` changed: the edit on a copy, what a snapshot derives from its executions derived again when
        the edit changed them (sources/snapshot/observed.py `follow_executions`), the rows of the services it
        touched re-derived (their runs billed again), then the row edit."""
        out = usage
        if self.edit is not None:
            edited = self.edit(usage.copy())
            if self._derived:
                out = edited
            else:
                edited = follow_executions(usage, edited)
                touched = usage.touched(edited)
                book = pricebook or current_pricebook()
                out = derive_rows(edited, book.compute_types, touched, meter=True) if touched else edited
        if self.rows is not _unchanged:
            out = replace(out, rows=self.rows(out.rows.copy()))
        return out

    def edited(self, usage: Usage) -> Usage | None:
        """`usage` with the model edit made on a copy and what a snapshot derives from executions followed, as
        `transform` does, but no rows re-derived: for a caller that derives many edits at once. None when the
        change is not one model edit (a composition, or a row edit)."""
        if self.edit is None or self._derived or self.rows is not _unchanged:
            return None
        return follow_executions(usage, self.edit(usage.copy()))

    def then(self, other: Change) -> Change:
        """This change, then `other` (in that order; patches concatenated)."""
        title = f"{self.title}; {other.title}"
        patch = [*self.usage_patch, *other.usage_patch]
        if self.edit is None and other.edit is None:

            def both(rows: pd.DataFrame, first: RowChange = self.rows, second: RowChange = other.rows) -> pd.DataFrame:
                return second(first(rows))

            return Change(title, both, patch)

        def chained(usage: Usage, first: Change = self, second: Change = other) -> Usage:
            return second.transform(first.transform(usage))

        return Change(title, usage_patch=patch, edit=chained, _derived=True)

    def apply(self, baseline: Estimate, pricebook: PriceBook | None = None) -> Estimate:
        """The baseline re-priced with this change, with the baseline's options (free tiers, tiers, fallback)."""
        book = pricebook or current_pricebook()
        changed = self.transform(baseline.usage, book)
        return priced_like(baseline, replace(changed, source=f"{baseline.source} + {self.title}"), book)

    def apply_to(self, usage: UsageDocument, pricebook: PriceBook | None = None) -> UsageDocument:
        """The usage file with this change's patch applied, validated again: a new document to estimate or change."""
        if not self.usage_patch:
            raise ValueError(f"change {self.title!r} has no usage-file form (it needs observed runs)")
        data = usage.spec.model_dump(by_alias=True, exclude_unset=True)
        changed = load_usage(apply_patch(data, self.usage_patch), pricebook=pricebook)
        return UsageDocument(spec=changed.spec, source=f"{usage.source} + {self.title}")


def priced_like(baseline: Estimate, usage: Usage, pricebook: PriceBook) -> Estimate:
    """`usage` (the baseline's, changed) priced with the baseline's options: free tiers, their scope, fallback."""
    options = baseline.options
    result = price_usage(
        usage,
        pricebook,
        free_tier=bool(options.get("free_tier", True)),
        free_tier_scope=options.get("free_tier_scope", "account"),
        fallback_region=options.get("fallback_region"),
    )
    return replace(result, options={**baseline.options, **result.options}, actuals=baseline.actuals)


def combine(changes: list[Change]) -> Change:
    """All `changes` applied in order (no change for an empty list). One flat loop, not `then` nested per
    change: a thousand counted suggestions must not nest a thousand calls deep."""
    if len(changes) < 2:
        return changes[0] if changes else Change()
    title = "; ".join(change.title for change in changes)
    patch = [step for change in changes for step in change.usage_patch]
    if all(change.edit is None for change in changes):
        edits = [change.rows for change in changes]

        def all_rows(rows: pd.DataFrame) -> pd.DataFrame:
            for edit in edits:
                rows = edit(rows)
            return rows

        return Change(title, all_rows, patch)

    def all_of(usage: Usage, steps: tuple[Change, ...] = tuple(changes)) -> Usage:
        for step in steps:
            usage = step.transform(usage)
        return usage

    return Change(title, usage_patch=patch, edit=all_of, _derived=True)


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
