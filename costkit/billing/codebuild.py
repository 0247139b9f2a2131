"""CodeBuild's metering: on-demand builds bill per build, rounded up to a whole minute (EC2 compute) or a whole
second (Lambda compute); builds on a reserved-capacity fleet bill through the fleet.
https://aws.amazon.com/codebuild/pricing/
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from costkit.billing.meters import name, pattern
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


ON_DEMAND_MINUTES = pattern("CodeBuild", "build-minutes")  # Build-Min:{os}:{size}
FLEET_MINUTES = pattern("CodeBuild", "fleet-minutes")  # ReservedCapacity-Min:{os}:{size}
FLEET_BUILD = name("CodeBuild", "fleet-build")
_ON_DEMAND = re.compile("^" + re.escape(ON_DEMAND_MINUTES).replace(r"\{os\}", "(?P<os>[^:]+)").replace(
    r"\{size\}", "(?P<size>[^:]+)") + "$")  # fmt: skip


def is_on_demand_minutes(usage_types: pd.Series) -> pd.Series:
    """Rows billed per on-demand EC2 build minute (not Lambda compute seconds, not a fleet)."""
    return usage_types.fillna("").str.match(_ON_DEMAND.pattern)


def fleet_minutes(usage_type: str) -> str:
    """The reserved-capacity fleet's instance-minute usage type for an on-demand EC2 build-minute type."""
    found = _ON_DEMAND.match(usage_type)
    if found is None:
        raise ValueError(f"usage_type={usage_type!r} is not an on-demand build-minute usage type")
    return FLEET_MINUTES.format(**found.groupdict())


def twins(compute_types: pd.DataFrame, environment: str, other: str) -> dict[str, str]:
    """Usage type of each compute type on `environment` -> the same compute type's usage type on `other`
    (e.g. LINUX_CONTAINER -> ARM_CONTAINER), from the compute-type table."""
    key = ["compute_type", "usage_type"]
    mine = compute_types.loc[compute_types["environment_type"] == environment, key]
    theirs = compute_types.loc[compute_types["environment_type"] == other, key]
    paired = mine.merge(theirs, on="compute_type", suffixes=("", "_twin"))
    return dict(zip(paired["usage_type"], paired["usage_type_twin"], strict=True))
