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
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from costkit.billing.rows import derive as derive_rows
from costkit.change import Change
from costkit.estimate import Estimate
from costkit.model.inventory import Inventory
from costkit.model.rows import empty_rows
from costkit.model.usage import Usage
from costkit.reprice import MISSING_KEY, Edit, Repriced, Repricer
from costkit.tables import SERVICES, PriceBook


@dataclass(frozen=True)
class Point:
    """One point priced: its monthly total (a lower bound when not complete) and each service's cost."""

    total_usd: float
    by_service: dict[str, float]
    complete: bool


STACKED_ROWS = 100_000  # model table rows derived at once at most: points are taken in chunks of about this size


def price_points(baseline: Estimate, changes: Sequence[Change], pricebook: PriceBook) -> list[Point]:
    """Each change priced against `baseline` with the baseline's options, as `change.apply(baseline)` would be.
    Points are taken in chunks (memory stays bounded however many points a big model has)."""
    rows = baseline.usage_rows.reset_index(drop=True)
    names = [*SERVICES, *sorted(set(rows["service"].dropna().astype(str)) - set(SERVICES))]
    before = _blocks(rows, names)
    options = baseline.options
    pricers = {
        name: Repricer(
            before[name],
            pricebook,
            free_tier_scope=options.get("free_tier_scope", "account"),
            free_tier=bool(options.get("free_tier", True)),
            fallback_region=options.get("fallback_region"),
        )
        for name in names
    }
    listed = list(changes)
    chunk = max(1, STACKED_ROWS // max(1, sum(len(frame) for frame in _tables(baseline.usage))))
    points: list[Point] = []
    for first in range(0, len(listed), chunk):
        points += _priced(baseline, listed[first : first + chunk], before, pricers, pricebook)
    return points


def _priced(
    baseline: Estimate,
    changes: list[Change],
    before: dict[str, pd.DataFrame],
    pricers: dict[str, Repricer],
    pricebook: PriceBook,
) -> list[Point]:
    usages, after = _changed(baseline.usage, changes, before, pricebook)
    if not _per_service([baseline.usage_rows, *(block for blocks in after for block in blocks.values())], pricebook):
        return [_point(change.apply(baseline, pricebook)) for change in changes]
    names = list(before)
    costs = np.zeros((len(usages), len(names)))
    unpriced = np.zeros((len(usages), len(names)), dtype=bool)
    for column, name in enumerate(names):
        pricer = pricers[name]
        costs[:, column] = pricer.baseline_total
        unpriced[:, column] = bool(pricer.baseline_missing)
        moved = [index for index, blocks in enumerate(after) if name in blocks]
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


def _changed(
    usage: Usage, changes: list[Change], before: dict[str, pd.DataFrame], pricebook: PriceBook
) -> tuple[list[Usage], list[dict[str, pd.DataFrame]]]:
    """Each change's model, and the rows of each service it changed (a service left out kept the baseline's).
    Model edits alone are derived together (`_derive_together`); any other change is transformed on its own."""
    edited = [change.edited(usage) for change in changes]
    plain = [model for model in edited if model is not None and _derives_alike(usage, model)]
    if changes and len(plain) == len(changes):
        return plain, _derive_together(usage, plain, pricebook)
    usages = [change.transform(usage, pricebook) for change in changes]
    after = []
    for changed in usages:
        blocks = _blocks(changed.rows.reset_index(drop=True), list(before))
        after.append({name: block for name, block in blocks.items() if not block.equals(before[name])})
    return usages, after


def _derives_alike(usage: Usage, edited: Usage) -> bool:
    """Whether billing derives `edited` under the same terms as `usage` (what billing reads besides the tables)."""
    return (edited.planned, edited.projection, edited.runs.planned) == (usage.planned, usage.projection,
                                                                        usage.runs.planned)  # fmt: skip


def _derive_together(usage: Usage, edited: list[Usage], pricebook: PriceBook) -> list[dict[str, pd.DataFrame]]:
    """The rows of the services each edited model touched, derived for all the models at once: their tables
    stacked, each model's accounts tagged with its position (billing keeps accounts apart, as AWS bills them),
    one derivation per set of touched services, then split and the accounts given back."""
    touched = [tuple(usage.touched(model)) for model in edited]
    out: list[dict[str, pd.DataFrame]] = [{} for _ in edited]
    for services in dict.fromkeys(touched):
        if not services:
            continue
        points = [index for index, names in enumerate(touched) if names == services]
        models = [edited[index] for index in points]
        accounts = _accounts(models)
        tags = pd.Index([f"{position}{_TAG}{code}" for position in range(len(points)) for code in range(len(accounts))])
        rows = derive_rows(_stacked(usage, models, accounts, tags), pricebook.compute_types, services, meter=True).rows
        combo = tags.get_indexer(pd.Index(rows["account"]))
        if (combo < 0).any():  # billing made up an account: never, but never guess whose rows they are
            raise RuntimeError("a stacked derivation returned rows of an account no model has")
        point = combo // max(len(accounts), 1)
        rows["account"] = pd.Series(accounts[combo % max(len(accounts), 1)], index=rows.index, dtype=object)
        order = np.argsort(point, kind="stable")
        bounds = np.searchsorted(point[order], np.arange(len(points) + 1))
        for position, index in enumerate(points):
            part = rows.iloc[order[bounds[position] : bounds[position + 1]]]
            service = part["service"].to_numpy(dtype=object)
            out[index] = {name: part[service == name].reset_index(drop=True) for name in services}
    return out


_TAG = "\x1f"  # between a model's position and its account's number in a tagged account


def _accounts(models: list[Usage]) -> np.ndarray:
    """Every account the models' tables name, once each (as objects: whatever text a file gave)."""
    values = [pd.unique(frame["account"].to_numpy(dtype=object)) for model in models for frame in _tables(model)]
    return np.asarray(pd.unique(np.concatenate([np.asarray([], dtype=object), *values])), dtype=object)


def _tables(model: Usage) -> list[pd.DataFrame]:
    runs, inventory = model.runs, model.inventory
    return [runs.actions, runs.builds, runs.executions, inventory.pipelines, inventory.projects, inventory.functions,
            inventory.buckets]  # fmt: skip


def _stacked(usage: Usage, models: list[Usage], accounts: np.ndarray, tags: pd.Index) -> Usage:
    """One model holding every model's tables, each row's account replaced by its tag (model position, account)."""
    known = pd.Index(accounts)

    def tagged(frames: list[pd.DataFrame]) -> pd.DataFrame:
        kept = [(position, frame) for position, frame in enumerate(frames) if len(frame)]
        if not kept:
            return frames[0]
        frame = pd.concat([part for _, part in kept], ignore_index=True)
        position = np.repeat([position for position, _ in kept], [len(part) for _, part in kept])
        combo = position * len(known) + known.get_indexer(pd.Index(frame["account"]))
        frame["account"] = pd.Series(tags.to_numpy(dtype=object)[combo], index=frame.index, dtype=object)
        return frame

    tables = [tagged(list(group)) for group in zip(*(_tables(model) for model in models), strict=True)]
    runs = replace(usage.runs, actions=tables[0], builds=tables[1], executions=tables[2])
    return replace(usage, rows=empty_rows(), runs=runs, inventory=Inventory(*tables[3:]))


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


def _per_service(frames: list[pd.DataFrame], pricebook: PriceBook) -> bool:
    """Whether every usage type and every free pool in these rows belongs to one service (so each service can be
    priced alone)."""
    pairs = pd.concat([frame[["service", "usage_type"]].drop_duplicates() for frame in frames], ignore_index=True)
    pairs = pairs.dropna().astype(str).drop_duplicates()
    pools = pairs.merge(pricebook.free_tiers[["usage_type", "group"]].astype(str), on="usage_type")
    return bool(
        pairs.groupby("usage_type")["service"].nunique().le(1).all()
        and pools.groupby("group")["service"].nunique().le(1).all()
    )
