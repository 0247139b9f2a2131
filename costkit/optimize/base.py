"""What every savings rule works with, and what it returns.

A rule never guesses a percentage: it changes the usage rows (the same rows the estimate priced) and the
saving is the difference between the two prices, through the same pricing code, free tiers and tiers
included. Suggestions that change the same thing share an `exclusive` key: only the best of them counts
toward the total.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from costkit.change import Change
from costkit.change import RowChange as RowChange  # the rules import it from here
from costkit.estimate import Estimate
from costkit.model.rows import ROW_COLUMNS
from costkit.reprice import Edit, Repricer
from costkit.tables import PriceBook

Confidence = Literal["high", "medium", "low"]
Place = tuple[str, str, str]  # (account, region, resource): the rows a scoped change may touch
PLACE = ["account", "region", "resource"]
# A saving that rounds to $0.00 a month is not worth a suggestion (rules note it instead).
MIN_SAVING_USD = 0.005


@dataclass(frozen=True)
class Scoped:
    """A row change that reads, edits, drops and adds only rows of the resources in `places` (the rows of
    every service with that account, region and resource name). `Context` then runs it on those rows alone."""

    edit: RowChange
    places: frozenset[Place]

    def __call__(self, rows: pd.DataFrame) -> pd.DataFrame:
        return self.edit(rows)


def scoped(edit: RowChange, matches: Iterable[Mapping[str, object]]) -> RowChange:
    """`edit` declared to touch only the resources its row `matches` name (each names account, region and
    resource). An edit whose rows depend on other rows (a whole account's, say) must stay unscoped."""
    places = frozenset(_place(match) for match in matches)
    return Scoped(edit, places) if places else edit


def touches(*matches: Mapping[str, object]) -> Callable[[RowChange], RowChange]:
    """`scoped` as a decorator: `@touches(match)` above a rule's row edit."""

    def declare(edit: RowChange) -> RowChange:
        return scoped(edit, matches)

    return declare


def _place(match: Mapping[str, object]) -> Place:
    return (str(match["account"]), str(match["region"]), str(match["resource"]))


@dataclass(frozen=True, eq=False)  # compared by identity: it holds arrays and a table
class Batch:
    """A rule's candidate changes as one table, each an edit of the baseline rows: rows at baseline positions
    `removed` taken out of candidate `removed_by`, rows `added` (ROW_COLUMNS) put into candidate `added_by`.
    `Context.savings` prices every candidate in one pass; a candidate's edit names only rows of the resources
    its Suggestion's `transform` touches, and leaves the same table as that transform."""

    size: int  # candidates, numbered 0 .. size - 1
    removed: np.ndarray
    removed_by: np.ndarray
    added: pd.DataFrame
    added_by: np.ndarray

    @classmethod
    def changed(cls, rows: pd.DataFrame, candidate: np.ndarray, **columns: object) -> Batch:
        """Baseline rows changed in place: row i belongs to candidate `candidate[i]` (-1: untouched) and gets
        `columns` (one value for all, or an array with one per baseline row)."""
        at = np.flatnonzero(candidate >= 0)
        added = rows.iloc[at].reset_index(drop=True)
        for name, value in columns.items():
            cells: Any = np.asarray(value)[at] if isinstance(value, np.ndarray | pd.Series) else value
            added[name] = cells
        return cls(int(candidate.max(initial=-1)) + 1, at, candidate[at], added, candidate[at])

    @classmethod
    def replaced(cls, rows: pd.DataFrame, candidate: np.ndarray, added: pd.DataFrame, added_by: np.ndarray) -> Batch:
        """Baseline rows of candidate `candidate[i]` (-1: kept) dropped, `added` rows put into `added_by`."""
        at = np.flatnonzero(candidate >= 0)
        size = max(int(candidate.max(initial=-1)), int(np.max(added_by, initial=-1))) + 1
        frame = added.reindex(columns=list(ROW_COLUMNS)).reset_index(drop=True)
        frame["quantity"] = frame["quantity"].astype("float64")
        return cls(size, at, candidate[at], frame, np.asarray(added_by, dtype=np.int64))

    def edit(self, chosen: Iterable[int]) -> Edit:
        """The `chosen` candidates applied together (they must touch different resources), as one edit."""
        picked = np.zeros(self.size, dtype=bool)
        picked[list(chosen)] = True
        return Edit(self.removed[picked[self.removed_by]], self.added[picked[self.added_by]])


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
    # Where the rule priced it: its batch and its candidate number there (the same edit as `transform`).
    priced_in: tuple[Batch, int] | None = field(default=None, repr=False, compare=False)

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
    """The estimate being improved: rules read its model (`baseline.usage`), never the source it came from."""

    baseline: Estimate
    pricebook: PriceBook
    notes: list[str] = field(default_factory=list)  # what a rule considered and why it did not suggest it
    _repricer: Repricer | None = field(default=None, repr=False)
    _places: dict[Place, np.ndarray] | None = field(default=None, repr=False)
    repricings: int = 0  # how many changes were priced (the benchmark reports it)

    @property
    def rows(self) -> pd.DataFrame:
        return self.baseline.usage_rows

    @property
    def repricer(self) -> Repricer:
        """The baseline priced once, with its options; changes are priced by the groups they touch."""
        if self._repricer is None:
            options = self.baseline.options
            self._repricer = Repricer(
                self.rows,
                self.pricebook,
                free_tier_scope=options.get("free_tier_scope", "account"),
                free_tier=bool(options.get("free_tier", True)),
                fallback_region=options.get("fallback_region"),
            )
        return self._repricer

    def _rows_of(self, places: Iterable[Place]) -> np.ndarray:
        """Positions of the baseline rows of `places`, in the baseline's order."""
        if self._places is None:
            keys = self.rows[PLACE].astype(str).reset_index(drop=True)
            groups = keys.groupby(PLACE).indices
            self._places = {
                _place(dict(zip(PLACE, cast(Place, key), strict=True))): np.asarray(at) for key, at in groups.items()
            }
        found = [self._places[place] for place in places if place in self._places]
        return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def edit_of(self, transforms: list[RowChange]) -> Edit:
        """The baseline with `transforms` applied in order, as an edit: scoped ones run on their resources'
        rows only (a resource's rows pass from one to the next); one unscoped transform runs on the whole table."""
        if not all(isinstance(t, Scoped) for t in transforms):
            rows = self.rows.copy()
            for transform in transforms:
                rows = transform(rows)
            return Edit.whole(len(self.rows), rows)
        owner: dict[Place, int] = {}  # resource -> the part now holding its rows
        parts: dict[int, tuple[set[Place], pd.DataFrame]] = {}
        for index, transform in enumerate(transforms):
            assert isinstance(transform, Scoped)
            held = sorted({owner[p] for p in transform.places if p in owner})
            fresh = [p for p in transform.places if p not in owner]
            places = set(fresh).union(*(parts[h][0] for h in held))
            frames = [parts.pop(h)[1] for h in held]
            if fresh:
                frames.append(self.rows.iloc[self._rows_of(fresh)])
            before = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
            parts[index] = (places, transform(before.copy()))
            owner.update(dict.fromkeys(places, index))
        added = [frame for _places, frame in parts.values()]
        return Edit(
            self._rows_of(owner),
            pd.concat(added, ignore_index=True) if added else self.rows.iloc[0:0],
        )

    def together(self, items: Sequence[Suggestion]) -> Edit:
        """The row edits of `items` applied together in order, as one edit of the baseline. A suggestion
        priced in a batch that shares no resource with another item is taken from its batch as it is (its
        place in the order cannot matter); the others are composed resource by resource (`edit_of`)."""
        transforms = [item.transform for item in items if item.transform is not None]
        if not all(isinstance(transform, Scoped) for transform in transforms):
            return self.edit_of(transforms)
        seen = Counter(place for transform in transforms for place in cast(Scoped, transform).places)
        alone: dict[int, tuple[Batch, list[int]]] = {}  # id(batch) -> the batch and its candidates taken
        composed: list[RowChange] = []
        for item in items:
            transform = item.transform
            if transform is None:
                continue
            if item.priced_in is not None and all(seen[place] == 1 for place in cast(Scoped, transform).places):
                batch, number = item.priced_in
                alone.setdefault(id(batch), (batch, []))[1].append(number)
            else:
                composed.append(transform)
        edits = [batch.edit(numbers) for batch, numbers in alone.values()]
        if composed:
            edits.append(self.edit_of(composed))
        if not edits:
            return Edit(np.zeros(0, dtype=np.int64), self.rows.iloc[0:0])
        return Edit(
            np.concatenate([edit.removed for edit in edits]),
            pd.concat([edit.added for edit in edits], ignore_index=True) if len(edits) > 1 else edits[0].added,
        )

    def savings(self, batch: Batch) -> np.ndarray:
        """Per candidate of `batch`: baseline total minus the total after its edit, NaN where the edit needs a
        price that is missing. Every candidate priced in one pass (tiers and free tiers per account, as
        `saving` prices one)."""
        self.repricings += batch.size
        if not batch.size:
            return np.zeros(0)
        repricer = self.repricer
        after = repricer.price_batch(batch.removed, batch.removed_by, batch.added, batch.added_by, batch.size)
        return np.where(after.new_missing, np.nan, repricer.baseline_total - after.total_usd)

    def judge(self, saving: float | None, *, unpriced: str, too_small: str | None = None) -> float | None:
        """`saving` (None or NaN: a price is missing) when it is worth a suggestion. Otherwise None, with a note
        saying why: `unpriced` when a price it needs is missing, `too_small` (if given; `{saving}` becomes the
        dollars) when it rounds to $0.00. A rule pricing a batch calls it per candidate, in its own order."""
        if saving is None or np.isnan(saving):
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
        self.repricings += 1
        repricer = self.repricer
        after = repricer.price(self.edit_of([transform]))
        if after.new_missing:
            return None
        return repricer.baseline_total - after.total_usd


Rule = Callable[[Context], list[Suggestion]]
