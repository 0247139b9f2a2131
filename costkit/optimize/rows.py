"""Small, composable edits of usage rows that rules use to describe a change.

Rows are always matched by value (never by index), so changes compose in any order; a match value of
None (or NaN) matches an empty cell, e.g. a build started outside any pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from costkit.model.rows import ROW_COLUMNS
from costkit.optimize.base import RowChange, scoped

Reduction = tuple[dict[str, Any], float]  # (row match by value; quantity to take off): what a run-based rule lowers


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def matching(rows: pd.DataFrame, match: Mapping[str, object]) -> pd.Series:
    """Rows whose columns equal every value of `match`; an empty value matches an empty cell."""
    mask = pd.Series(True, index=rows.index)
    for column, value in match.items():
        mask &= rows[column].isna() if _empty(value) else (rows[column] == value)
    return mask


def candidates(rows: pd.DataFrame, selected: np.ndarray, by: list[str]) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """The selected rows numbered by candidate (one per distinct `by` value, in sorted order, as `groupby`
    walks them; -1 for the rest), and each candidate's `by` values as texts."""
    candidate = np.full(len(rows), -1, dtype=np.int64)
    selected = selected & rows[by].notna().all(axis=1).to_numpy()  # as `groupby` drops an empty key
    picked = rows.loc[selected, by]
    if picked.empty:
        return candidate, []
    number = picked.groupby(by, sort=True, dropna=False).ngroup().to_numpy()
    candidate[selected] = number
    first = picked.iloc[np.unique(number, return_index=True)[1]]
    return candidate, [tuple(str(value) for value in key) for key in first.itertuples(index=False)]


def keep(candidate: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """`candidate` numbers with only the `kept` candidates left (a mask over the old numbers), numbered again
    from 0 in the same order; the others become -1."""
    renumbered = np.append(np.where(kept, np.cumsum(kept) - 1, -1), -1)  # the last: for rows of no candidate
    return renumbered[np.where(candidate >= 0, candidate, len(kept))]


def retype(rows: pd.DataFrame, match: dict[str, str], mapping: dict[str, str], detail: str) -> pd.DataFrame:
    """Change the usage type of the matching rows (quantity unchanged: the same work at another rate)."""
    out = rows.copy()
    hit = matching(out, match) & out["usage_type"].isin(mapping)
    out.loc[hit, "usage_type"] = out.loc[hit, "usage_type"].map(mapping)
    out.loc[hit, "detail"] = detail
    return out


def replace(rows: pd.DataFrame, match: Mapping[str, object], new: list[dict[str, object]]) -> pd.DataFrame:
    """Drop the matching rows and add new ones (missing columns stay empty)."""
    added = pd.DataFrame([{name: row.get(name) for name in ROW_COLUMNS} for row in new], columns=list(ROW_COLUMNS))
    kept = rows[~matching(rows, match)]
    if added.empty:
        return kept.reset_index(drop=True)
    added["quantity"] = added["quantity"].astype("float64")
    return pd.concat([kept, added], ignore_index=True)


def rescale(rows: pd.DataFrame, factors: list[tuple[dict[str, object], float]], detail: str) -> pd.DataFrame:
    """Multiply the quantity of the rows matching each key by its factor."""
    out = rows.copy()
    for key, factor in factors:
        hit = matching(out, key)
        out.loc[hit, "quantity"] = out.loc[hit, "quantity"].astype(float) * factor
        out.loc[hit, "detail"] = detail
    return out


def lower(rows: pd.DataFrame, changes: list[Reduction]) -> pd.DataFrame:
    """Take quantities off the rows that match each change (never below zero)."""
    out = rows.copy()
    quantity = out["quantity"].astype("float64").to_numpy(copy=True)
    for match, amount in changes:
        remaining = float(amount)
        for position in np.flatnonzero(matching(out, match).to_numpy()):
            take = min(remaining, float(quantity[position]))
            quantity[position] -= take
            remaining -= take
            if remaining <= 1e-12:
                break
    out["quantity"] = quantity
    return out


def lowering(changes: list[Reduction]) -> RowChange:
    """`lower` as a suggestion's transform."""

    def transform(rows: pd.DataFrame) -> pd.DataFrame:
        return lower(rows, changes)

    return scoped(transform, [match for match, _amount in changes])


def matched(rows: pd.DataFrame, keys: pd.DataFrame, on: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every (row, key) pair whose `on` columns are equal, an empty cell matching an empty cell (as `matching`
    does): the positions in `rows` and in `keys`, ordered by row, then key. What `matching` finds for one key,
    for all keys of a batch in one merge."""
    if rows.empty or keys.empty:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    left = pd.DataFrame({column: _texts(rows[column]) for column in on}).reset_index(names="_row")
    right = pd.DataFrame({column: _texts(keys[column]) for column in on}).reset_index(names="_key")
    hit = left.merge(right, on=on).sort_values(["_row", "_key"], kind="stable")
    return hit["_row"].to_numpy(dtype=np.int64), hit["_key"].to_numpy(dtype=np.int64)


def _texts(values: pd.Series) -> np.ndarray:
    """A key column as texts, an empty cell as one text no name has."""
    cells = values.to_numpy(dtype=object)
    return np.where(pd.isna(cells), "\x00", cells.astype(str))


def as_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Changed or new usage rows as a `Batch` holds them: ROW_COLUMNS in order, float quantities."""
    out = frame.reindex(columns=list(ROW_COLUMNS)).reset_index(drop=True)
    out["quantity"] = out["quantity"].astype("float64")
    return out
