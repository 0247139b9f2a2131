"""Re-price changes of an estimate in proportion to what they touch, many at once.

`price()` prices a whole table. A saving, a what-if scenario or a sweep point changes a few of its rows, yet
tiers and free tiers make a row's price depend on its group's total: the rows of one tier scope (account, or
the organization), region, price region and usage type. A free-tier pool (one allowance shared by several
usage types) ties groups together too. A `Repricer` prices the baseline once and keeps each group's quantity
and net cost. An `Edit` (baseline rows taken out, rows put in) then re-prices only the groups it touched plus
the other groups of the pools those draw on, and the total moves by their difference. `price_many` stacks any
number of edits as a scenario dimension and prices all their groups in one vectorised pass.

The result equals `price()` of the changed table, missing prices included (tests compare both on the bundled
examples and the demo); `tier_amounts` in price.py is the one tier formula both use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from costkit.price import FreeTierScope, tier_amounts
from costkit.tables import PriceBook

MissingKey = tuple[str, ...]
MISSING_KEY = ["account", "region", "resource", "usage_type"]  # how an unpriced line is named
_SEP = "\x1f"
_NONE = "\x00"  # a row with no usage type: never priced


@dataclass(frozen=True)
class Edit:
    """Baseline rows at positions `removed` (0-based, in the baseline's row order) replaced by `added` rows."""

    removed: np.ndarray
    added: pd.DataFrame

    @classmethod
    def whole(cls, baseline_rows: int, rows: pd.DataFrame) -> Edit:
        """Every baseline row replaced by `rows`: any changed table as an edit."""
        return cls(np.arange(baseline_rows), rows)


@dataclass(frozen=True)
class Repriced:
    """The monthly total after an edit (unpriced lines count $0, as in `price().lines["cost_usd"].sum()`)
    and its unpriced lines, named (account, region, resource, usage_type) as texts."""

    total_usd: float
    missing: frozenset[MissingKey]
    new_missing: bool = field(default=False)  # some line is unpriced that was not before the edit


@dataclass(frozen=True, eq=False)
class Batched:
    """Many edits priced at once: each one's monthly total and whether it leaves a line unpriced that was
    priced before; its unpriced lines by `missing(index)` (worked out on demand: few callers need them)."""

    total_usd: np.ndarray
    new_missing: np.ndarray
    _missing: Callable[[int], frozenset[MissingKey]]

    def missing(self, index: int) -> frozenset[MissingKey]:
        return self._missing(index)


class Repricer:
    """The baseline's groups priced once (with `price()`'s options); edits of it priced by the groups they touch."""

    def __init__(
        self,
        rows: pd.DataFrame,
        pricebook: PriceBook,
        *,
        free_tier_scope: FreeTierScope = "account",
        free_tier: bool = True,
        fallback_region: str | None = None,
    ) -> None:
        self.rows = rows.reset_index(drop=True)
        self._organization = free_tier_scope == "organization"
        self._fallback = fallback_region
        self._load_tables(pricebook, free_tier)
        keys, price_key, pool, factor = self._keys(self.rows)
        self._groups = pd.Index(pd.unique(keys))
        self._row_group = _find(self._groups, keys)
        base_groups = len(self._groups)
        self._group_price = np.full(base_groups, -1, dtype=np.int64)
        self._group_pool = np.full(base_groups, -1, dtype=np.int64)
        self._group_price[self._row_group] = price_key
        self._group_pool[self._row_group] = pool
        self._group_factor = np.ones(base_groups)
        self._group_factor[self._row_group] = factor
        self._quantity = self.rows["quantity"].astype("float64").to_numpy()
        self._group_quantity = np.bincount(self._row_group, self._quantity, minlength=base_groups)
        zeros = np.zeros(base_groups, dtype=np.int64)
        self._group_net = self._net(
            zeros, self._group_quantity, self._group_price, self._group_pool, self._group_factor
        )
        self.baseline_total = float(np.nansum(self._group_net))
        self._missing_rows = np.isnan(self._group_net[self._row_group]) & (self._quantity > 0)
        self.baseline_missing = _keys_of(self.rows, self._missing_rows)
        self._known: np.ndarray | None = None
        # Groups sorted by pool, and each group's rows: contiguous runs found by searchsorted.
        self._by_pool = np.argsort(self._group_pool, kind="stable")
        self._by_group = np.argsort(self._row_group, kind="stable")
        self._group_start = np.searchsorted(self._row_group[self._by_group], np.arange(base_groups + 1))
        self._pool_start = np.searchsorted(self._group_pool[self._by_pool], np.arange(len(self._pools) + 1))

    def _load_tables(self, pricebook: PriceBook, free_tier: bool) -> None:
        """Tiers per (price region, usage type) as flat arrays; each usage type's free pool, factor, allowance."""
        tiers = pricebook.prices.sort_values(["region", "usage_type", "tier_start"], kind="stable")
        names = tiers["region"].astype(str) + _SEP + tiers["usage_type"].astype(str)
        self._price_keys = pd.Index(pd.unique(names))
        tier_key = _find(self._price_keys, names.to_numpy(dtype=str))
        self._tier_start = tiers["tier_start"].astype("float64").to_numpy()
        self._tier_end = tiers["tier_end"].astype("float64").to_numpy()
        self._tier_price = tiers["price_usd"].astype("float64").to_numpy()
        self._tier_offset = np.searchsorted(tier_key, np.arange(len(self._price_keys) + 1))
        free = pricebook.free_tiers if free_tier else pricebook.free_tiers.iloc[0:0]
        self._free_types = pd.Index(free["usage_type"].astype(str))
        self._free_group_of = free["group"].astype(str).to_numpy(dtype=str)
        self._free_factor_of = free["factor"].astype("float64").to_numpy()
        self._allowance = dict(zip(free["group"].astype(str), free["allowance"].astype(float), strict=True))
        self._pool_index: pd.Index | None = None
        self._pools: dict[str, int] = {}  # "tier scope<SEP>free group" -> pool id
        self._pool_allowance: list[float] = []

    def _keys(self, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each row's group (tier scope, region, price region, usage type) as one text, its price key (-1: no
        published tiers), its free pool (-1: none) and its usage type's factor in that pool, as `price()` has them.
        Whole-column numpy work: an edit of three rows costs little more than its three rows."""
        region = _text(rows["region"])
        usage_type = _text(rows["usage_type"])
        price_region = region
        if self._fallback is not None:
            own = _find(self._price_keys, _join(region, usage_type)) >= 0
            borrow = _find(self._price_keys, _join(np.full(len(rows), self._fallback), usage_type)) >= 0
            price_region = np.where(own | ~borrow, region, self._fallback)
        scope = np.full(len(rows), "organization") if self._organization else _text(rows["account"])
        keys = _join(scope, region, price_region, usage_type)
        price_key = _find(self._price_keys, _join(price_region, usage_type))
        free = _find(self._free_types, usage_type)
        pooled = free >= 0
        names = _join(scope[pooled], self._free_group_of[free[pooled]])
        unknown = [name for name in np.unique(names) if name not in self._pools]
        for name in unknown:
            self._pools[str(name)] = len(self._pools)
            self._pool_allowance.append(self._allowance[str(name).rsplit(_SEP, 1)[1]])
        if unknown or self._pool_index is None:
            self._pool_index = pd.Index(list(self._pools))
        pool = np.full(len(rows), -1, dtype=np.int64)
        pool[pooled] = _find(self._pool_index, names)
        factor = np.ones(len(rows))
        factor[pooled] = self._free_factor_of[free[pooled]]
        return keys, price_key, pool, factor

    def _net(
        self, scenario: np.ndarray, quantity: np.ndarray, price_key: np.ndarray, pool: np.ndarray, factor: np.ndarray
    ) -> np.ndarray:
        """Net cost of (scenario, group) rows: tiers applied to each quantity, less its pro-rata share of its
        pool's allowance in its scenario; NaN where no published tier covers the whole quantity."""
        size = len(quantity)
        free_quantity = np.zeros(size)
        pooled = np.flatnonzero(pool >= 0)
        if len(pooled):
            pair = scenario[pooled] * (len(self._pools) + 1) + pool[pooled]
            _unique, where = np.unique(pair, return_inverse=True)
            demand = np.bincount(where, quantity[pooled] * factor[pooled])[where]
            allowance = np.asarray(self._pool_allowance)[pool[pooled]]
            share = np.minimum(allowance / np.where(demand > 0, demand, np.inf), 1.0)
            free_quantity[pooled] = quantity[pooled] * share
        net = np.full(size, np.nan)
        has = np.flatnonzero(price_key >= 0)
        if not len(has):
            return net
        first = self._tier_offset[price_key[has]]
        count = self._tier_offset[price_key[has] + 1] - first
        owner = np.repeat(has, count)
        tier = _runs(first, count)
        start, end = self._tier_start[tier], self._tier_end[tier]
        in_tier = tier_amounts(quantity[owner], start, end)
        free_in = tier_amounts(free_quantity[owner], start, end)
        total = np.bincount(owner, self._tier_price[tier] * (in_tier - free_in), minlength=size)
        covered = np.bincount(owner, in_tier, minlength=size)
        complete = (price_key >= 0) & (quantity <= covered + 1e-9) & np.isfinite(total)
        net[complete] = total[complete]
        return net

    def price(self, edit: Edit) -> Repriced:
        """The baseline with `edit` applied, priced."""
        return self.price_many([edit])[0]

    def price_many(self, edits: Sequence[Edit]) -> list[Repriced]:
        """Every edit priced against the baseline, all in one vectorised pass over the groups they touch."""
        if not edits:
            return []
        batched = self.price_batch(
            np.concatenate([np.asarray(edit.removed, dtype=np.int64) for edit in edits]),
            np.repeat(np.arange(len(edits)), [len(edit.removed) for edit in edits]),
            pd.concat([edit.added for edit in edits], ignore_index=True),
            np.repeat(np.arange(len(edits)), [len(edit.added) for edit in edits]),
            len(edits),
        )
        return [
            Repriced(float(batched.total_usd[index]), batched.missing(index), bool(batched.new_missing[index]))
            for index in range(len(edits))
        ]

    def price_batch(
        self, removed: np.ndarray, removed_by: np.ndarray, added: pd.DataFrame, added_by: np.ndarray, scenarios: int
    ) -> Batched:
        """`scenarios` edits given as one table: baseline rows at positions `removed` taken out of scenario
        `removed_by`, `added` rows put into scenario `added_by`. All priced in one vectorised pass; Python work
        per scenario only where a price goes missing (or a missing one is dropped)."""
        base_groups, base_pools = len(self._groups), len(self._pool_start) - 1
        order = np.argsort(removed_by, kind="stable")
        removed = np.asarray(removed, dtype=np.int64)[order]
        removed_scenario = np.asarray(removed_by, dtype=np.int64)[order]
        added = added.reset_index(drop=True)
        added_scenario = np.asarray(added_by, dtype=np.int64)
        keys, price_key, pool, factor = self._keys(added)
        group = _find(self._groups, keys)
        new = group < 0
        extra = pd.Index(pd.unique(keys[new]))
        group[new] = base_groups + _find(extra, keys[new])
        size = base_groups + len(extra)
        group_price = np.concatenate([self._group_price, np.full(len(extra), -1, dtype=np.int64)])
        group_pool = np.concatenate([self._group_pool, np.full(len(extra), -1, dtype=np.int64)])
        group_factor = np.concatenate([self._group_factor, np.ones(len(extra))])
        group_price[group[new]] = price_key[new]
        group_pool[group[new]] = pool[new]
        group_factor[group[new]] = factor[new]
        removed_group = self._row_group[removed]
        # Touched groups, plus every baseline group of a pool a touched group draws on (its free share moves).
        touched_scenario = np.concatenate([added_scenario, removed_scenario])
        touched_group = np.concatenate([group, removed_group])
        touched_pool = group_pool[touched_group]
        shared = (touched_pool >= 0) & (touched_pool < base_pools)
        pairs = np.unique(touched_scenario[shared] * (base_pools + 1) + touched_pool[shared])
        pool_scenario, pools = pairs // (base_pools + 1), pairs % (base_pools + 1)
        first = self._pool_start[pools]
        count = self._pool_start[pools + 1] - first
        members = self._by_pool[_runs(first, count)]
        codes = np.unique(
            np.concatenate([touched_scenario, np.repeat(pool_scenario, count)]) * size
            + np.concatenate([touched_group, members])
        )
        scenario, groups = codes // size, codes % size
        old = groups < base_groups
        quantity = np.where(old, self._group_quantity[np.where(old, groups, 0)], 0.0)
        quantity -= np.bincount(
            np.searchsorted(codes, removed_scenario * size + removed_group), self._quantity[removed], len(codes)
        )
        added_quantity = added["quantity"].astype("float64").to_numpy() if len(added) else np.zeros(0)
        added_at = np.searchsorted(codes, added_scenario * size + group)
        quantity += np.bincount(added_at, added_quantity, len(codes))
        net = self._net(scenario, quantity, group_price[groups], group_pool[groups], group_factor[groups])
        before = np.where(old, self._group_net[np.where(old, groups, 0)], 0.0)
        delta = np.bincount(scenario, np.nan_to_num(net) - np.nan_to_num(before), scenarios)
        unpriced_added = np.isnan(net[added_at]) & (added_quantity > 0)
        # A line is newly missing when it has no price now and no line of its name was missing before: a
        # baseline row of a group that lost its price (and is not removed), or an unpriced added row.
        lost = np.flatnonzero(old & np.isnan(net) & ~np.isnan(before))
        first = self._group_start[groups[lost]]
        count = self._group_start[groups[lost] + 1] - first
        rows = self._by_group[_runs(first, count)]
        rows_scenario = np.repeat(scenario[lost], count)
        kept = ~np.isin(rows_scenario * len(self.rows) + rows, removed_scenario * len(self.rows) + removed)
        fresh = np.zeros(scenarios, dtype=bool)
        fresh[rows_scenario[kept & (self._quantity[rows] > 0) & ~self._known_missing(rows)]] = True
        fresh[added_scenario[unpriced_added & ~self._named_missing(added)]] = True
        changed = np.isnan(net) | np.isnan(before)
        code_bounds = np.searchsorted(scenario, np.arange(scenarios + 1))
        removed_bounds = np.searchsorted(removed_scenario, np.arange(scenarios + 1))

        def missing(index: int) -> frozenset[MissingKey]:
            """The unpriced lines after edit `index`: the baseline's, unless a price is or was missing there."""
            mine = slice(code_bounds[index], code_bounds[index + 1])
            gone = removed[removed_bounds[index] : removed_bounds[index + 1]]
            if not changed[mine].any() and not self._missing_rows[gone].any():
                return self.baseline_missing
            again = changed[mine] & old[mine]
            return self._missing_after(groups[mine][again], np.isnan(net[mine][again]), gone) | _keys_of(
                added, unpriced_added & (added_scenario == index)
            )

        return Batched(self.baseline_total + delta, fresh, missing)

    def _known_missing(self, rows: np.ndarray) -> np.ndarray:
        """Whether each baseline row (by position) is named like a line the baseline already has no price for."""
        if self._known is None:
            self._known = self._named_missing(self.rows)
        known: np.ndarray = self._known[rows]
        return known

    def _named_missing(self, rows: pd.DataFrame) -> np.ndarray:
        """Whether each row is named (account, region, resource, usage type) like a line missing in the baseline."""
        if not self.baseline_missing or rows.empty:
            return np.zeros(len(rows), dtype=bool)
        names = pd.MultiIndex.from_frame(rows[MISSING_KEY].astype(str))
        return np.asarray(names.isin(list(self.baseline_missing)))

    def price_quantities(self, quantities: np.ndarray) -> list[Repriced]:
        """The baseline's rows with other quantities: one row of `quantities` per scenario, one column per
        baseline row. The groups are the baseline's, so nothing is looked up again; all scenarios in one pass."""
        quantity = np.asarray(quantities, dtype="float64").reshape(-1, len(self._quantity))
        scenarios, size = len(quantity), len(self._groups)
        codes = (np.arange(scenarios)[:, None] * size + self._row_group[None, :]).ravel()
        grouped = np.bincount(codes, quantity.ravel(), scenarios * size)
        scenario = np.repeat(np.arange(scenarios), size)
        tiled = [np.tile(column, scenarios) for column in (self._group_price, self._group_pool, self._group_factor)]
        net = self._net(scenario, grouped, *tiled).reshape(scenarios, size)
        unpriced = np.isnan(net[:, self._row_group]) & (quantity > 0)
        results = []
        for index, total in enumerate(np.nansum(net, axis=1)):
            missing = _keys_of(self.rows, unpriced[index])
            results.append(Repriced(float(total), missing, not missing <= self.baseline_missing))
        return results

    def _missing_after(self, groups: np.ndarray, unpriced: np.ndarray, removed: np.ndarray) -> frozenset[MissingKey]:
        """The baseline rows left unpriced once `groups` are priced again (`unpriced`: they have no price now)
        and the `removed` rows are gone."""
        mask = self._missing_rows.copy()
        first = self._group_start[groups]
        count = self._group_start[groups + 1] - first
        rows = self._by_group[_runs(first, count)]
        mask[rows] = np.repeat(unpriced, count) & (self._quantity[rows] > 0)
        mask[removed] = False
        return _keys_of(self.rows, mask)


def _find(index: pd.Index, values: np.ndarray) -> np.ndarray:
    """Positions of `values` in `index` (-1 where absent)."""
    return np.asarray(index.get_indexer(pd.Index(values, copy=False)))


def _text(values: pd.Series) -> np.ndarray:
    """A column as numpy text, an empty cell as _NONE (never a price key)."""
    return np.asarray(values.to_numpy(dtype=object, na_value=_NONE).astype(str))


def _join(*parts: np.ndarray) -> np.ndarray:
    """Texts joined element-wise with the separator: one group or price key per row."""
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(np.strings.add(out, _SEP), part)
    return np.asarray(out)


def _runs(first: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The positions first[i], first[i] + 1, ..., first[i] + count[i] - 1 for every i, concatenated."""
    total = int(count.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(first - (np.cumsum(count) - count), count) + np.arange(total)


def _keys_of(rows: pd.DataFrame, mask: np.ndarray) -> frozenset[MissingKey]:
    """The (account, region, resource, usage_type) texts of the rows where `mask` holds."""
    if not mask.any():
        return frozenset()
    picked = rows.loc[mask, MISSING_KEY]
    return frozenset(tuple(str(v) for v in key) for key in picked.itertuples(index=False))
