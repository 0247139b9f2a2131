"""CodeBuild's metering: on-demand builds bill per build, rounded up to a whole minute (EC2 compute) or a whole
second (Lambda compute); builds on a reserved-capacity fleet bill through the fleet.
https://aws.amazon.com/codebuild/pricing/
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from costkit.billing.units import billed_units, ran_for

CACHEABLE_PHASES = ["install_s", "download_source_s", "pre_build_s"]  # what a build cache shortens


def billed_for(
    seconds: pd.Series | np.ndarray, billing_unit: pd.Series | str, ran: pd.Series | np.ndarray | bool | None = None
) -> np.ndarray:
    """What AWS bills for each build: whole minutes (EC2) or whole seconds (Lambda compute), rounded up per
    build, at least one; nothing for a build that did not run (by default: no known time inside the window).
    The only per-build rounding in costkit."""
    values = np.nan_to_num(np.asarray(seconds, dtype=float), nan=0.0)
    per_second = billing_unit == "Second" if isinstance(billing_unit, str) else np.asarray(billing_unit == "Second")
    billed = np.where(per_second, billed_units(values), billed_units(values / 60.0))
    return np.where(ran_for(seconds, ran), billed, 0.0)
