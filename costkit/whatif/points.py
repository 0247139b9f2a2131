"""Many what-if points priced at once (a sweep's values, a tornado's ends, a projection's months).

Each point's change is applied to the baseline's model as `Change.apply` does (its touched services re-derived),
then only the services whose rows it changed are priced again: free allowances and volume tiers never cross a
service (every usage type and every free pool belongs to one service, checked on the rows and the price book;
where that does not hold each point is priced whole), so a service the point left alone costs what it cost in
the baseline, and each changed service's rows are priced against the baseline's by the groups they touch, every
point of a service in one vectorised pass (costkit/reprice.py). Equal to `Change.apply` to the cent
(tests/test_whatif_points.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costkit.change import Change, priced_like
from costkit.estimate import Estimate
from costkit.model.usage import Usage
from costkit.reprice import MISSING_KEY, Edit, Repriced, Repricer
from costkit.tables import SERVICES, PriceBook


@dataclass(frozen=True)
class Point:
    """One point priced: its monthly total (a lower bound when not complete) and each service's cost."""

    total_usd: float
    by_service: dict[str, float]
    complete: bool


def price_points(baseline: Estimate, changes: Sequence[Change], pricebook: PriceBook) -> list[Point]:
    """Each change priced against `baseline` with the baseline's options, as `change.apply(baseline)` would be."""
    usages = [change.transform(baseline.usage, pricebook) for change in changes]
    rows = baseline.usage_rows.reset_index(drop=True)
    if not _per_service(rows, usages, pricebook):
        return [_point(priced_like(baseline, usage, pricebook)) for usage in usages]
    names = [*SERVICES, *sorted(set(rows["service"].dropna().astype(str)) - set(SERVICES))]
    before = _blocks(rows, names)
    after = [_blocks(usage.rows.reset_index(drop=True), names) for usage in usages]
    options = baseline.options
    costs = np.zeros((len(usages), len(names)))
    unpriced = np.zeros((len(usages), len(names)), dtype=bool)
    for column, name in enumerate(names):
        pricer = Repricer(
            before[name],
            pricebook,
            free_tier_scope=options.get("free_tier_scope", "account"),
            free_tier=bool(options.get("free_tier", True)),
            fallback_region=options.get("fallback_region"),
        )
        costs[:, column] = pricer.baseline_total
        unpriced[:, column] = bool(pricer.baseline_missing)
        moved = [index for index, blocks in enumerate(after) if not blocks[name].equals(before[name])]
        same = [index for index in moved if _same_groups(after[index][name], before[name])]
        if same:  # only quantities moved: the baseline's groups priced with the new quantities
            quantities = np.stack([after[index][name]["quantity"].to_numpy(dtype="float64") for index in same])
            _record(same, column, pricer.price_quantities(quantities), costs, unpriced)
        edited = [index for index in moved if index not in set(same)]
        if edited:
            edits = [Edit.whole(len(before[name]), after[index][name]) for index in edited]
            _record(edited, column, pricer.price_many(edits), costs, unpriced)
    return [
        Point(
            total_usd=float(costs[index].sum()),
            by_service={name: float(costs[index, column]) for column, name in enumerate(names) if name in SERVICES},
            complete=not unpriced[index].any() and not _data_quality(usage),
        )
        for index, usage in enumerate(usages)
    ]


def _record(points: list[int], column: int, results: list[Repriced], costs: np.ndarray, unpriced: np.ndarray) -> None:
    costs[points, column] = [result.total_usd for result in results]
    unpriced[points, column] = [bool(result.missing) for result in results]


def _same_groups(rows: pd.DataFrame, baseline: pd.DataFrame) -> bool:
    """Whether `rows` are the baseline's rows, one for one, with only their quantities (and words) changed."""
    return len(rows) == len(baseline) and rows[MISSING_KEY].equals(baseline[MISSING_KEY])


def _point(result: Estimate) -> Point:
    services = result.by_service()
    return Point(result.total, {name: float(services[name]) for name in SERVICES}, result.complete)


def _data_quality(usage: Usage) -> bool:
    """Snapshot rows left out as impossible (what makes an estimate of observed usage incomplete on its own)."""
    return not usage.planned and bool(usage.observed.get("problems"))


def _blocks(rows: pd.DataFrame, names: list[str]) -> dict[str, pd.DataFrame]:
    """Each service's rows, in their order, indexed from 0."""
    service = rows["service"].to_numpy(dtype=object)
    return {name: rows[service == name].reset_index(drop=True) for name in names}


def _per_service(rows: pd.DataFrame, usages: list[Usage], pricebook: PriceBook) -> bool:
    """Whether every usage type and every free pool in these rows belongs to one service (so each service can be
    priced alone)."""
    pairs = pd.concat(
        [frame[["service", "usage_type"]].drop_duplicates() for frame in [rows, *(u.rows for u in usages)]],
        ignore_index=True,
    ).dropna()
    pairs = pairs.astype(str).drop_duplicates()
    pools = pairs.merge(pricebook.free_tiers[["usage_type", "group"]].astype(str), on="usage_type")
    return bool(
        pairs.groupby("usage_type")["service"].nunique().le(1).all()
        and pools.groupby("group")["service"].nunique().le(1).all()
    )
