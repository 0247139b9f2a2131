"""AWS's per-run rounding, shared by every service that bills a run in whole units."""

from __future__ import annotations

import numpy as np
import pandas as pd


def billed_units(values: pd.Series | np.ndarray) -> np.ndarray:
    """AWS's per-run rounding: up to a whole unit, at least one unit for anything that ran.

    Rounds to 9 decimals first, so float noise (8.3 x 60 = 498.00000000000006) does not add a unit.
    """
    return np.maximum(np.ceil(np.round(np.asarray(values, dtype=float), 9)), 1.0)


def ran_for(seconds: pd.Series | np.ndarray, ran: pd.Series | np.ndarray | bool | None) -> np.ndarray:
    """Which runs bill at all: those known to have run (a planned run always has), else those with time > 0."""
    values = np.asarray(seconds, dtype=float)
    flags: np.ndarray = (
        np.nan_to_num(values, nan=0.0) > 0
        if ran is None
        else np.broadcast_to(np.asarray(ran, dtype=bool), values.shape).copy()
    )
    return flags
