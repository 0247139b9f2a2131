"""Which usage type each thing costkit meters bills under, read from pricing/usage_meters.csv: the only place
the metering code gets a usage-type name from.

One row per (service, meter, key, value): what is metered (`meter`, e.g. `duration`), the resource attribute that
selects the name (`key`, e.g. `architecture`) and its value (`arm64`) -> `usage_type` (`Lambda-GB-Second-ARM`).
`origin` says where the name is defined: `price-list` names are rows of pricing/usage_types.csv (the Price List
mapping, with units: costkit.pricing.usage_types), `costkit` names are costkit's own (a fleet build), `pattern`
rows are templates (`Build-Min:{os}:{size}`; each compute type's name is in codebuild_compute_types.csv), and
`unpublished` names have no published price (reported as missing).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from costkit.errors import PricingDataError
from costkit.tables import pricing_dir

FILE = "usage_meters.csv"
COLUMNS = ("service", "meter", "key", "value", "usage_type", "origin")
SHIPPED = Path(__file__).resolve().parent.parent / "_pricing"
SOURCE_TREE = Path(__file__).resolve().parent.parent.parent / "pricing"


@functools.cache
def table() -> pd.DataFrame:
    """The mapping table: from the pricing directory in use, else the copy shipped with costkit (a refreshed price
    directory need not carry it: names change with AWS's metering, not with prices)."""
    for folder in (pricing_dir(), SHIPPED, SOURCE_TREE):
        path = folder / FILE
        if path.is_file():
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            absent = [c for c in COLUMNS if c not in frame]
            if absent:
                raise PricingDataError(f"pricing/{FILE}: missing column(s) {', '.join(absent)}")
            return frame
    raise PricingDataError(f"pricing/{FILE} is missing", hint="reinstall costkit or set COSTKIT_PRICING_DIR")


def _rows(service: str, meter: str) -> pd.DataFrame:
    frame = table()
    found = frame[(frame["service"] == service) & (frame["meter"] == meter)]
    if found.empty:
        raise PricingDataError(f"pricing/{FILE} has no {service} {meter} usage type")
    return found


def name(service: str, meter: str, value: str = "") -> str:
    """The one usage type of a meter (and, where it varies, the attribute value that selects it)."""
    found = _rows(service, meter)
    hit = found.loc[found["value"] == value, "usage_type"]
    if hit.empty:
        raise PricingDataError(f"pricing/{FILE} has no {service} {meter} usage type for {value!r}")
    return str(hit.iloc[0])


def mapping(service: str, meter: str, key: str) -> dict[str, str]:
    """Attribute value -> usage type for one meter (e.g. storage_class -> storage usage type)."""
    found = _rows(service, meter)
    found = found[found["key"] == key]
    return dict(zip(found["value"], found["usage_type"], strict=True))


def names(service: str, meter: str, values: pd.Series, key: str) -> pd.Series:
    """`values` (one per row) mapped to their usage types; None where the table has none."""
    mapped = values.map(mapping(service, meter, key))
    return mapped.where(mapped.notna(), None)


def pattern(service: str, meter: str) -> str:
    """A usage-type pattern with {placeholders} (CodeBuild's on-demand and fleet names)."""
    return name(service, meter)
