"""Lambda's metering: requests, and GB-seconds of memory and of ephemeral storage above the free 512 MB, each
request's duration rounded up to a whole millisecond; x86 and Arm have their own usage types.
https://aws.amazon.com/lambda/pricing/
"""

from __future__ import annotations

import pandas as pd

from costkit.billing.meters import mapping, names

FREE_EPHEMERAL_MB = 512.0
METERS = ("requests", "duration", "ephemeral-storage")


def usage_types(meter: str, architecture: pd.Series) -> pd.Series:
    """Each function's usage type for `meter`, by its architecture."""
    return names("Lambda", meter, architecture, "architecture")


def to_arm() -> dict[str, str]:
    """Every x86 usage type -> its arm64 twin (same meter)."""
    pairs: dict[str, str] = {}
    for meter in METERS:
        by_architecture = mapping("Lambda", meter, "architecture")
        pairs[by_architecture["x86_64"]] = by_architecture["arm64"]
    return pairs
