"""Small, composable edits of usage rows that rules use to describe a change."""

from __future__ import annotations

import pandas as pd

from costkit.usage.derive import ROW_COLUMNS


def select(rows: pd.DataFrame, **match: str) -> pd.Series:
    """Rows whose columns equal every given value."""
    mask = pd.Series(True, index=rows.index)
    for column, value in match.items():
        mask &= rows[column] == value
    return mask


def retype(rows: pd.DataFrame, match: dict[str, str], mapping: dict[str, str], detail: str) -> pd.DataFrame:
    """Change the usage type of the matching rows (quantity unchanged: the same work at another rate)."""
    out = rows.copy()
    hit = select(out, **match) & out["usage_type"].isin(mapping)
    out.loc[hit, "usage_type"] = out.loc[hit, "usage_type"].map(mapping)
    out.loc[hit, "detail"] = detail
    return out


def replace(rows: pd.DataFrame, match: dict[str, str], new: list[dict[str, object]]) -> pd.DataFrame:
    """Drop the matching rows and add new ones (missing columns stay empty).

    Rows are matched by value, not by index, so changes compose in any order.
    """
    added = pd.DataFrame([{name: row.get(name) for name in ROW_COLUMNS} for row in new], columns=list(ROW_COLUMNS))
    kept = rows[~select(rows, **match)]
    if added.empty:
        return kept.reset_index(drop=True)
    added["quantity"] = added["quantity"].astype("float64")
    return pd.concat([kept, added], ignore_index=True)
