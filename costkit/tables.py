"""The data tables in pricing/: prices, free tiers, CodeBuild compute types and regions.

Prices are data, not code: every figure lives in a CSV row with its effective date and source.
This module only finds, reads and checks those files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from costkit.errors import PricingDataError, quoted

PRICE_FILES = ("codepipeline.csv", "codebuild.csv", "lambda.csv", "s3.csv")
PRICE_COLUMNS = (
    "service",
    "region",
    "usage_type",
    "aws_usage_type",
    "unit",
    "tier_start",
    "tier_end",
    "price_usd",
    "effective_date",
    "source",
    "notes",
)
FREE_TIER_COLUMNS = (
    "service",
    "group",
    "usage_type",
    "allowance",
    "unit",
    "factor",
    "effective_date",
    "source",
    "notes",
)
COMPUTE_TYPE_COLUMNS = ("compute_type", "environment_type", "usage_type", "billing_unit")
REGION_COLUMNS = ("region", "name")
SERVICES = ("CodePipeline", "CodeBuild", "Lambda", "S3")
# Which price set each row comes from: the bundled tables, or a set refreshed from AWS's offer files.
SET_COLUMNS = ("price_set", "price_version", "price_date")
BUNDLED: dict[str, str | None] = {"price_set": "bundled", "price_version": None, "price_date": None}
# Units the billing code produces quantities in (those of pricing/usage_types.csv, plus fleet builds): a price
# in any other unit could never be matched correctly.
UNITS = frozenset(
    {"Pipeline-Month", "Minute", "Second", "Build", "Request", "GB-Second", "GB-Month", "GB", "Object", "Object-Month"}
)
BILLING_UNITS = frozenset({"Minute", "Second"})


def pricing_dir() -> Path:
    """Where the tables are: $COSTKIT_PRICING_DIR, the installed copy, or the source tree's pricing/."""
    override = os.environ.get("COSTKIT_PRICING_DIR")
    if override:
        return Path(override)
    installed = resources.files("costkit").joinpath("_pricing")
    if installed.is_dir():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "pricing"


def _read_csv(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise PricingDataError(f"price table {path} is missing", hint="reinstall costkit or set COSTKIT_PRICING_DIR")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment=None)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise PricingDataError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame


def _numeric(
    frame: pd.DataFrame, path: Path, column: str, *, allow_blank: bool = False, minimum: float | None = 0.0
) -> pd.Series:
    """A column of finite numbers (at least `minimum`); blank means unbounded where `allow_blank`."""
    raw = frame[column].str.strip()
    values = pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype("float64")
    bad = (values.isna() | np.isinf(values)) if not allow_blank else (values.isna() & (raw != "")) | np.isinf(values)
    _refuse_rows(frame, path, column, bad, "is not a finite number")
    if minimum is not None:
        _refuse_rows(frame, path, column, values < minimum, f"is below {minimum:g}")
    return values


def _refuse_rows(frame: pd.DataFrame, path: Path, column: str, bad: pd.Series, problem: str) -> None:
    """Name the first offending row (as a spreadsheet shows it: the header is row 1) and how many there are."""
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        more = int(bad.sum()) - 1
        raise PricingDataError(
            f"{path}: row {row + 2}, column {column}: {quoted(frame[column].iloc[row])} {problem}"
            + (f" (and {more} more row{'s' if more > 1 else ''})" if more else ""),
            hint="fix the table, or use the bundled prices",
        )


def _dates(frame: pd.DataFrame, path: Path) -> pd.Series:
    """Checked YYYY-MM-DD strings (kept as text: ISO dates sort and print as they are)."""
    values = pd.to_datetime(frame["effective_date"], format="%Y-%m-%d", errors="coerce")
    if values.isna().any():
        row = int(values.isna().to_numpy().nonzero()[0][0])
        raise PricingDataError(
            f"{path}: row {row + 2}, column effective_date: "
            f"{frame['effective_date'].iloc[row]!r} is not a YYYY-MM-DD date"
        )
    return values.dt.strftime("%Y-%m-%d")


def read_price_file(path: Path, *, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """One price CSV in the schema of SCHEMA.md (plus `extra` columns), numbers and dates checked."""
    frame = _read_csv(path, (*PRICE_COLUMNS, *extra))
    frame["tier_start"] = _numeric(frame, path, "tier_start")
    frame["tier_end"] = _numeric(frame, path, "tier_end", allow_blank=True)
    frame["price_usd"] = _numeric(frame, path, "price_usd")
    frame["effective_date"] = _dates(frame, path)
    _check_prices(frame, path)
    frame["file"] = path.name
    return frame[[*PRICE_COLUMNS, *extra, "file"]]


def read_prices(directory: Path) -> pd.DataFrame:
    """All price rows, tiers as floats (tier_end NaN = unbounded), checked for gaps and overlaps."""
    prices = pd.concat([read_price_file(directory / name) for name in PRICE_FILES], ignore_index=True)
    check_tiers(prices, directory)
    return prices


def _check_prices(frame: pd.DataFrame, path: Path) -> None:
    """Each row's service, unit and tier bounds make sense on their own (tiers together: _check_tiers)."""
    _refuse_rows(frame, path, "service", ~frame["service"].isin(SERVICES), f"is not one of {', '.join(SERVICES)}")
    _refuse_rows(
        frame, path, "unit", ~frame["unit"].isin(UNITS), f"is not a unit costkit bills in ({', '.join(sorted(UNITS))})"
    )
    _refuse_rows(frame, path, "region", frame["region"].str.strip() == "", "is empty")
    _refuse_rows(frame, path, "usage_type", frame["usage_type"].str.strip() == "", "is empty")
    _refuse_rows(frame, path, "tier_end", frame["tier_end"] <= frame["tier_start"], "is not above tier_start")


def tier_problems(prices: pd.DataFrame) -> pd.Series:
    """True for each row whose tier breaks the run from 0 of its (region, usage_type): a gap, an overlap,
    a first tier not at 0 or an unbounded tier that is not the last. Index follows `prices`."""
    ordered = prices.sort_values(["region", "usage_type", "tier_start"])
    key = ["region", "usage_type"]
    first = ~ordered.duplicated(key, keep="first")
    last = ~ordered.duplicated(key, keep="last")
    previous_end = ordered.groupby(key)["tier_end"].shift(1)
    problems = (
        (first & (ordered["tier_start"] != 0))
        | (~last & ordered["tier_end"].isna())
        | (~first & (ordered["tier_start"] != previous_end))
    )
    return problems.reindex(prices.index)


def check_tiers(prices: pd.DataFrame, directory: Path | None = None) -> None:
    """Tiers of each (region, usage_type) run contiguously from 0: a gap would price units at $0.

    The last tier may be bounded where only the first tiers are published; units beyond it are reported
    as missing prices, never priced. `prices` holds whole files, concatenated in order (row numbers are
    counted within each `file`).
    """
    problems = tier_problems(prices)
    if problems.any():
        bad = prices[problems].iloc[0]
        row = int(bad.name) - int(prices.index[prices["file"] == bad["file"]][0]) + 2  # type: ignore[call-overload]
        where = directory / bad["file"] if directory is not None else bad["file"]
        raise PricingDataError(
            f"{where}: row {row}, column tier_start: tiers of {bad['usage_type']} in {bad['region']} do not run "
            "contiguously from 0 (they overlap, repeat or leave a gap)",
            hint="each tier starts where the previous one ends; only the last may be open (blank tier_end)",
        )


@dataclass(frozen=True, eq=False)
class PriceBook:
    """Every table the pricing layer reads, loaded once."""

    directory: Path
    prices: pd.DataFrame
    free_tiers: pd.DataFrame
    compute_types: pd.DataFrame
    regions: pd.DataFrame
    offered: pd.DataFrame  # service, region: where each service exists (botocore endpoint data)

    @cached_property
    def region_codes(self) -> frozenset[str]:
        return frozenset(self.regions["region"])

    @cached_property
    def environments_by_compute_type(self) -> dict[str, frozenset[str]]:
        """Which environment types each CodeBuild compute type can run on (from the mapping table)."""
        grouped = self.compute_types.groupby("compute_type")["environment_type"]
        return {str(name): frozenset(envs) for name, envs in grouped}


def load_pricebook(directory: Path | None = None) -> PriceBook:
    """Read and check the tables (cached per directory)."""
    return _load_cached(str(directory or pricing_dir()))


@lru_cache(maxsize=8)
def _load_cached(directory: str) -> PriceBook:
    base = Path(directory)
    free_path = base / "free_tiers.csv"
    free = _read_csv(free_path, FREE_TIER_COLUMNS)
    free["allowance"] = _numeric(free, free_path, "allowance")
    free["factor"] = _numeric(free, free_path, "factor", minimum=None)
    free["effective_date"] = _dates(free, free_path)
    _check_free_tiers(free, free_path)
    compute_path = base / "codebuild_compute_types.csv"
    compute_types = _read_csv(compute_path, COMPUTE_TYPE_COLUMNS)
    _check_compute_types(compute_types, compute_path)
    regions_path = base / "regions.csv"
    regions = _read_csv(regions_path, REGION_COLUMNS)
    _check_unique(regions, regions_path, ["region"], "lists the region twice")
    return PriceBook(
        directory=base,
        prices=read_prices(base).assign(**{column: BUNDLED.get(column) for column in SET_COLUMNS}),
        free_tiers=free,
        compute_types=compute_types,
        regions=regions,
        offered=_offered(base),
    )


def _check_unique(frame: pd.DataFrame, path: Path, key: list[str], problem: str) -> None:
    _refuse_rows(frame, path, key[-1], frame.duplicated(key, keep="first"), problem)


def _check_free_tiers(free: pd.DataFrame, path: Path) -> None:
    """One row per usage type (a usage type in two rows would get two allowances), one allowance per pool."""
    _refuse_rows(free, path, "service", ~free["service"].isin(SERVICES), f"is not one of {', '.join(SERVICES)}")
    _refuse_rows(free, path, "unit", ~free["unit"].isin(UNITS), "is not a unit costkit bills in")
    _refuse_rows(free, path, "factor", ~(free["factor"] > 0), "is not a positive conversion factor")
    _check_unique(free, path, ["usage_type"], "already has a free-tier row (a second would grant it twice)")
    for column in ("allowance", "unit"):
        per_pool = free.groupby("group")[column].transform("first")
        _refuse_rows(
            free,
            path,
            column,
            free[column] != per_pool,
            "differs from the first row of its group (one pool, one allowance)",
        )


def _check_compute_types(frame: pd.DataFrame, path: Path) -> None:
    """Each (compute type, environment type) maps to one usage type and billing unit."""
    for column in COMPUTE_TYPE_COLUMNS:
        _refuse_rows(frame, path, column, frame[column].str.strip() == "", "is empty")
    _refuse_rows(frame, path, "billing_unit", ~frame["billing_unit"].isin(BILLING_UNITS), "is not Minute or Second")
    _check_unique(
        frame, path, ["compute_type", "environment_type"],
        "is mapped a second time (each compute and environment type pair maps to one usage type)",
    )  # fmt: skip


def _offered(base: Path) -> pd.DataFrame:
    """Where each service exists; a table folder without the file (an older copy) claims every region."""
    path = base / "service_regions.csv"
    if not path.is_file():
        regions = _read_csv(base / "regions.csv", REGION_COLUMNS)["region"]
        return pd.DataFrame([(s, r) for s in SERVICES for r in regions], columns=["service", "region"])
    return _read_csv(path, ("service", "region"))[["service", "region"]]


def coverage(book: PriceBook, region: str | None = None) -> pd.DataFrame:
    """Which usage types have a price, per service and region; with `region`, one row per known usage type."""
    prices = book.prices
    if region is None:
        return (
            prices.groupby(["service", "region"])
            .agg(usage_types=("usage_type", "nunique"), rows=("usage_type", "size"), newest=("effective_date", "max"))
            .reset_index()
        )
    known = pd.concat(
        [
            prices[["service", "usage_type"]],
            pd.DataFrame({"service": "CodeBuild", "usage_type": book.compute_types["usage_type"]}),
        ]
    ).drop_duplicates()
    here = (
        prices[prices["region"] == region]
        .groupby("usage_type")
        .agg(
            tiers=("tier_start", "size"),
            first_price_usd=("price_usd", "first"),
            effective_date=("effective_date", "max"),
        )
    )
    table = known.merge(here, left_on="usage_type", right_index=True, how="left")
    table["priced"] = table["tiers"].notna()
    return table.sort_values(["service", "priced", "usage_type"], ascending=[True, False, True]).reset_index(drop=True)
