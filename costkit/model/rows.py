"""Usage rows: the priced contract, one row per account/region/service/resource/usage type, with `detail`, the
arithmetic in words. Only costkit.billing makes them (from runs and inventory); price.py prices them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

ROW_COLUMNS = (
    "account",
    "region",
    "service",
    "resource",
    "component",
    "pipeline",
    "usage_type",
    "quantity",
    "unit",
    "meter",
    "detail",
)
# `meter`: what the row meters (a meter of pricing/usage_meters.csv, e.g. `storage` or `archive-index`): rules select
# rows by it and the usage type, never by the display label in `component`.


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=list(ROW_COLUMNS))


def rows_for(frame: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """Usage rows for each row of `frame` (its account and region), every ROW_COLUMNS column present."""
    base = {"account": frame["account"], "region": frame["region"]}
    out = pd.DataFrame({**base, **columns}, index=frame.index)
    for name in ROW_COLUMNS:
        if name not in out:
            out[name] = None
    return out[list(ROW_COLUMNS)]


def concat_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Row frames as one, quantities as floats (an empty list: no rows)."""
    kept = [part for part in parts if not part.empty]
    if not kept:
        return empty_rows()
    rows = pd.concat(kept, ignore_index=True)
    for name in ROW_COLUMNS:  # text columns stay text: a wholly empty one holds None, never float NaN
        if name != "quantity" and rows[name].dtype != object:
            rows[name] = rows[name].astype(object).where(rows[name].notna(), None)
    rows["quantity"] = rows["quantity"].astype("float64")
    return rows


def fmt(values: pd.Series | np.ndarray) -> pd.Series:
    """Numbers as people write them in the detail column: 1,234.5 not 1234.5000."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.empty:
        return series.map(_written)
    codes, distinct = pd.factorize(series, use_na_sentinel=False)  # each distinct number written once
    return pd.Series(np.asarray([_written(v) for v in distinct], dtype=object)[codes], index=series.index)


def _written(value: float) -> str:
    return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
