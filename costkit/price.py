"""Price usage rows: join them to the price tables, apply tiers and always-free allowances.

Never calls AWS. A usage row with no price is never priced at $0: its cost is NaN and it is listed
in `missing`. Everything is whole-table pandas work; no loop runs over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from costkit.model.rows import ROW_COLUMNS
from costkit.tables import SET_COLUMNS, PriceBook

FreeTierScope = Literal["account", "organization"]

# Usage-row columns plus what pricing adds; `detail` stays last.
LINE_COLUMNS = (
    *(name for name in ROW_COLUMNS[:-1] if name != "meter"),  # `meter` selects rows for rules; not a line field
    "unit_price_usd",
    "gross_usd",
    "free_tier_quantity",
    "free_tier_usd",
    "cost_usd",
    "price_region",
    "price_effective_date",
    "price_source",
    "price_set",
    "price_version",
    "price_date",
    "detail",
)
MISSING_COLUMNS = ("account", "region", "service", "resource", "usage_type", "quantity", "unit", "reason")


@dataclass
class Priced:
    lines: pd.DataFrame
    missing: pd.DataFrame
    assumptions: set[str] = field(default_factory=set)


def price(
    rows: pd.DataFrame,
    pricebook: PriceBook,
    *,
    free_tier_scope: FreeTierScope = "account",
    free_tier: bool = True,
    fallback_region: str | None = None,
) -> Priced:
    """Cost lines for usage rows (see LINE_COLUMNS); quantities are monthly.

    `free_tier_scope` is the billing family: free allowances and volume tiers apply once per account, or
    once for the whole organization (consolidated billing). `free_tier=False` drops the allowances only.
    """
    assumptions: set[str] = set()
    lines = rows.reset_index(drop=True).copy()
    prices = pricebook.prices
    if lines.empty:
        return Priced(_empty(LINE_COLUMNS), _empty(MISSING_COLUMNS), assumptions)

    known = prices[["region", "usage_type"]].drop_duplicates()
    lines["price_region"] = lines["region"]
    if fallback_region is not None:
        has_own = _has_key(lines, known, "region")
        borrow = pd.DataFrame({"region": fallback_region, "usage_type": lines["usage_type"]})
        can_borrow = _has_key(borrow, known, "region")
        use_fallback = ~has_own & can_borrow
        if use_fallback.any():
            assumptions.add("fallback-region")
        lines.loc[use_fallback, "price_region"] = fallback_region

    # Volume tiers accumulate per account and region (per organization when billed together).
    lines["tier_scope"] = "organization" if free_tier_scope == "organization" else lines["account"]
    assumptions.add("tiers-organization" if free_tier_scope == "organization" else "tiers-blended")
    group_key = ["tier_scope", "region", "price_region", "usage_type"]
    groups: pd.DataFrame = lines.groupby(group_key, dropna=False)["quantity"].sum().reset_index()
    # A key column that is missing on every line (builds of compute types no table maps) comes back float64 NaN,
    # which pandas refuses to join with the price table's text: keep the keys as objects so they merge, unpriced.
    groups = groups.astype({"price_region": object, "usage_type": object})

    groups["free_share"] = _free_share(groups, pricebook, free_tier_scope) if free_tier else 0.0
    assumptions.add(
        "free-tier-off"
        if not free_tier
        else ("free-tier-organization" if free_tier_scope == "organization" else "free-tier-account")
    )
    groups["free_quantity"] = groups["quantity"] * groups["free_share"]

    tiers = prices.rename(columns={"region": "price_region"})
    joined = groups.reset_index(names="group").merge(tiers, on=["price_region", "usage_type"], how="inner")
    in_tier = pd.Series(tier_amounts(joined["quantity"], joined["tier_start"], joined["tier_end"]), joined.index)
    free_in_tier = pd.Series(
        tier_amounts(joined["free_quantity"], joined["tier_start"], joined["tier_end"]), joined.index
    )
    joined["gross"] = joined["price_usd"] * in_tier
    joined["net"] = joined["price_usd"] * (in_tier - free_in_tier)
    joined["free_usd"] = joined["price_usd"] * free_in_tier
    joined["covered"] = in_tier
    first_tier = joined.sort_values("tier_start").drop_duplicates("group")
    totals = joined.groupby("group").agg(
        gross=("gross", "sum"),
        net=("net", "sum"),
        free_usd=("free_usd", "sum"),
        covered=("covered", "sum"),
        effective=("effective_date", "max"),
    )
    firsts = first_tier.set_index("group")
    totals["first_price"] = firsts["price_usd"]
    totals["source"] = firsts["source"]
    # Every tier of a (region, usage type) comes from one price set: the first tier names it.
    for column in SET_COLUMNS:
        totals[column] = firsts[column]
    groups = groups.join(totals)
    priced = groups["gross"].notna()
    # Units past the last published tier have no price: the whole group is then incomplete.
    beyond = priced & (groups["quantity"] > groups["covered"] + 1e-9)
    complete = priced & ~beyond
    safe_q = groups["quantity"].where(groups["quantity"] > 0)
    groups["unit_price_usd"] = (groups["gross"] / safe_q).fillna(groups["first_price"]).where(complete)
    for column in ("gross", "net", "free_usd"):
        groups[column] = groups[column].where(complete)

    lines = lines.merge(
        groups[
            [
                *group_key,
                "quantity",
                "gross",
                "net",
                "free_usd",
                "free_share",
                "unit_price_usd",
                "effective",
                "source",
                *SET_COLUMNS,
            ]
        ].rename(columns={"quantity": "group_quantity"}),
        on=group_key,
        how="left",
        validate="many_to_one",
    )
    share = (lines["quantity"] / lines["group_quantity"].where(lines["group_quantity"] > 0)).fillna(0.0)
    lines["gross_usd"] = lines["gross"] * share
    lines["free_tier_usd"] = lines["free_usd"] * share
    lines["cost_usd"] = lines["net"] * share
    lines["free_tier_quantity"] = lines["quantity"] * lines["free_share"]
    lines["price_effective_date"] = lines["effective"]
    lines["price_source"] = lines["source"]
    # A backstop: a quantity too large to price is missing, never inf or $0.
    unpriceable = lines["cost_usd"].notna() & ~np.isfinite(lines["cost_usd"].astype(float))
    lines.loc[unpriceable, ["cost_usd", "gross_usd", "free_tier_usd", "unit_price_usd"]] = np.nan

    missing_mask = lines["cost_usd"].isna() & (lines["quantity"] > 0)
    missing = lines.loc[missing_mask, list(MISSING_COLUMNS[:-1])].copy()
    # The reason reads the region each line was looked up in, so it comes before that region is cleared.
    missing["reason"] = _missing_reason(lines.loc[missing_mask], pricebook, fallback_region, unpriceable[missing_mask])
    lines.loc[lines["cost_usd"].isna(), "price_region"] = None
    return Priced(lines[list(LINE_COLUMNS)], missing.reset_index(drop=True), assumptions)


def tier_amounts(quantity: ArrayLike, tier_start: ArrayLike, tier_end: ArrayLike) -> np.ndarray:
    """How much of `quantity` falls in the tier [tier_start, tier_end) (an empty end is unbounded): the one
    tier formula, used by `price` and by re-pricing (costkit/reprice.py)."""
    start = np.asarray(tier_start, dtype="float64")
    width = np.nan_to_num(np.asarray(tier_end, dtype="float64") - start, nan=np.inf)
    amounts: np.ndarray = np.clip(np.asarray(quantity, dtype="float64") - start, 0.0, width)
    return amounts


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})


def _has_key(frame: pd.DataFrame, known: pd.DataFrame, region_column: str) -> pd.Series:
    keys = pd.MultiIndex.from_frame(known[["region", "usage_type"]])
    probe = pd.MultiIndex.from_arrays([frame[region_column], frame["usage_type"]])
    return pd.Series(probe.isin(keys), index=frame.index)


def _free_share(groups: pd.DataFrame, pricebook: PriceBook, scope: FreeTierScope) -> pd.Series:
    """Fraction of each group's quantity covered by always-free allowances (pro rata within a pool)."""
    free = pricebook.free_tiers[["group", "usage_type", "allowance", "factor"]]
    pooled = groups.merge(free, on="usage_type", how="left")
    pooled.index = groups.index
    pool_scope = "organization" if scope == "organization" else pooled["tier_scope"]
    pooled["pool_scope"] = pool_scope
    pooled["demand"] = pooled["quantity"] * pooled["factor"]
    demand = pooled.groupby(["pool_scope", "group"])["demand"].transform("sum")
    share = (pooled["allowance"] / demand.where(demand > 0)).clip(upper=1.0)
    return share.fillna(0.0).where(pooled["group"].notna(), 0.0)


def _missing_reason(
    missing: pd.DataFrame, pricebook: PriceBook, fallback: str | None, too_large: pd.Series
) -> pd.Series:
    """Why each missing line has no price, most specific first. `price_region` is the region each line was looked
    up in (its own, or the fallback it borrowed from); `too_large` marks costs past what a float holds."""
    prices = pricebook.prices
    has_type = missing["usage_type"].isin(set(prices["usage_type"]))
    beyond_last_tier = _has_key(missing, prices[["region", "usage_type"]].drop_duplicates(), "price_region")
    offered = pd.MultiIndex.from_frame(pricebook.offered[["service", "region"]])
    not_offered = ~pd.MultiIndex.from_arrays([missing["service"], missing["region"]]).isin(offered)
    text = np.select(
        [missing["usage_type"].isna(), not_offered, too_large, beyond_last_tier, has_type],
        [
            "no usage type known for this resource's configuration",
            missing["service"] + " is not offered in " + missing["region"],
            "the cost is too large to represent: check the quantity and the price table",
            "quantity runs past the last published price tier for this region",
            "no published price for this usage type in this region in the price set used"
            + ("" if fallback else "; no fallback region was given to borrow one from"),
        ],
        default="no price for this usage type in any region costkit ships",
    )
    return pd.Series(text, index=missing.index)
