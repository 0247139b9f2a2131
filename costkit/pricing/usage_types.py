"""The one mapping from AWS Price List usage types to costkit's (pricing/usage_types.csv), and the unit table
(pricing/price_list_units.csv). Data, not code: a new usage type is a new row.

A Price List `usagetype` carries the region's billing prefix (`EU-Request`, `USE2-Build-Min:...`); us-east-1
often has none (`Request`). The mapping holds the bare name; the whole string is tried first, then without
its prefix. Rows with an `operation` match only products with that operation (several S3 usage types
share one `usagetype` and differ by operation).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pandas as pd

from costkit.errors import PricingDataError
from costkit.tables import pricing_dir

MAPPING_FILE = "usage_types.csv"
UNITS_FILE = "price_list_units.csv"
_PREFIX = re.compile(r"^[A-Z]{2,4}[0-9]?-")
_PREFIX_GROUP = re.compile(r"^([A-Z]{2,4}[0-9]?)-")


@lru_cache(maxsize=4)
def _read(directory: str, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    path = Path(directory) / name
    if not path.is_file():
        raise PricingDataError(f"mapping table {path} is missing", hint="reinstall costkit")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PricingDataError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame[list(columns)]


def mapping(directory: Path | None = None) -> pd.DataFrame:
    """service, aws_usage_type (bare), operation ('' = any), usage_type, unit, offer_unit ('' = units table)."""
    columns = ("service", "aws_usage_type", "operation", "usage_type", "unit", "offer_unit")
    return _read(str(directory or pricing_dir()), MAPPING_FILE, columns)


def units(directory: Path | None = None) -> pd.DataFrame:
    """offer_unit (lower case, as AWS writes it) -> costkit unit."""
    return _read(str(directory or pricing_dir()), UNITS_FILE, ("offer_unit", "unit"))


def strip_prefix(usage_types: pd.Series) -> pd.Series:
    """`EUW2-Lambda-GB-Second` -> `Lambda-GB-Second`; a string without a billing prefix is kept."""
    return usage_types.str.replace(_PREFIX, "", n=1, regex=True)


def billing_prefix(usage_types: pd.Series) -> pd.Series:
    """`EUW2-Lambda-GB-Second` -> `EUW2`; "" for a string without a billing prefix (us-east-1's, often)."""
    return usage_types.str.extract(_PREFIX_GROUP, expand=False).fillna("")


def map_usage_types(products: pd.DataFrame, service: str, directory: Path | None = None) -> pd.DataFrame:
    """Join products (columns aws_usage_type, operation, offer_unit, ...) to costkit usage types.

    Returns the products that map, one row per costkit usage type they price, with `usage_type`, `unit`
    and `unit_ok` (the offer's unit is the mapped unit); unmapped products are left out (see `unmapped`).
    """
    table = mapping(directory)
    table = table[table["service"] == service].drop(columns="service")
    known = set(table["aws_usage_type"])
    whole = products["aws_usage_type"].astype(str)
    key = whole.where(whole.isin(known), strip_prefix(whole))
    joined = products.assign(_key=key).merge(
        table.rename(columns={"aws_usage_type": "_key", "operation": "_operation", "offer_unit": "_expected_unit"}),
        on="_key",
        how="inner",
    )
    joined = joined[(joined["_operation"] == "") | (joined["_operation"] == joined["operation"])]
    unit_table = units(directory).drop_duplicates("offer_unit").set_index("offer_unit")["unit"]
    written = joined["offer_unit"].astype(str).str.strip().str.lower()
    named = joined.pop("_expected_unit").str.lower()
    unit_ok = (written.map(unit_table) == joined["unit"]) & (named == "") | (named != "") & (written == named)
    return joined.assign(unit_ok=unit_ok).drop(columns=["_key", "_operation"])


def candidates(service: str, directory: Path | None = None) -> frozenset[str]:
    """Bare usage types worth keeping while streaming an offer file (cheap first filter)."""
    table = mapping(directory)
    return frozenset(table.loc[table["service"] == service, "aws_usage_type"])


def is_candidate(usage_type: str, names: frozenset[str]) -> bool:
    """Whether a raw `usagetype` (with or without its prefix) names a usage type in the mapping."""
    return usage_type in names or _PREFIX.sub("", usage_type, count=1) in names
