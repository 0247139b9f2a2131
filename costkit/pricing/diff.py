"""What changed between two price sets (or a set and the bundled tables): changed, added, removed prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["service", "region", "usage_type", "tier_start"]
DIFF_COLUMNS = ("change", "service", "region", "usage_type", "tier_start", "tier_end", "price_a", "price_b")


def diff(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Prices that differ from a (older) to b (newer), over the (service, region) pairs b covers.

    `change` is `changed` (price or tier end differs), `added` (only in b) or `removed` (only in a). Pairs
    only a covers are left out (see `only_in_one`): a refreshed set covers a few regions and the estimate
    keeps the bundled prices of the others.
    """
    pairs = b[["service", "region"]].drop_duplicates()
    left = a.merge(pairs)[[*KEY, "tier_end", "price_usd"]]
    right = b.merge(pairs)[[*KEY, "tier_end", "price_usd"]]
    joined = left.merge(right, on=KEY, how="outer", suffixes=("_a", "_b"), indicator=True)
    same_end = (joined["tier_end_a"] == joined["tier_end_b"]) | (
        joined["tier_end_a"].isna() & joined["tier_end_b"].isna()
    )
    both = joined["_merge"] == "both"
    changed = both & ((joined["price_usd_a"] != joined["price_usd_b"]) | ~same_end)
    change = np.select(
        [changed, joined["_merge"] == "right_only", joined["_merge"] == "left_only"],
        ["changed", "added", "removed"],
        default="",
    )
    table = joined.assign(
        change=change,
        tier_end=joined["tier_end_b"].where(joined["_merge"] != "left_only", joined["tier_end_a"]),
        price_a=joined["price_usd_a"],
        price_b=joined["price_usd_b"],
    )
    table = table[table["change"] != ""]
    return (
        table[list(DIFF_COLUMNS)].sort_values(["service", "region", "usage_type", "tier_start"]).reset_index(drop=True)
    )


def only_in_one(a: pd.DataFrame, b: pd.DataFrame) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(service, region) pairs only `a` covers, and only `b` covers."""
    pa = set(a[["service", "region"]].itertuples(index=False, name=None))
    pb = set(b[["service", "region"]].itertuples(index=False, name=None))
    return sorted(pa - pb), sorted(pb - pa)
