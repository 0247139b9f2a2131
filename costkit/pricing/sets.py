"""Price sets on disk, and the price book an estimate uses.

A set is a folder `<cache>/price-sets/<UTC timestamp>/` holding `prices.csv` (the price-table schema plus
`price_version`, the offer version, and `price_date`, its publication date) and `price-set.json` (when,
from where, which offer files). A set is written under a temporary name and renamed into place, so a
failed or interrupted refresh leaves the previous set as it was.

Order (lowest first): the bundled tables < the newest refreshed set < an explicit `pricing_dir`.
A set replaces the bundled rows of each (region, usage type) it holds; every other bundled row stays,
marked `price_set = bundled`, so a set refreshed for eu-west-1 does not lose us-east-1.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costkit.errors import PricingDataError
from costkit.pricing.cache import sets_dir
from costkit.tables import PRICE_COLUMNS, PriceBook, check_tiers, load_pricebook, read_price_file

PRICES_FILE = "prices.csv"
MANIFEST_FILE = "price-set.json"
SET_FILE_COLUMNS = (*PRICE_COLUMNS, "price_version", "price_date")
REFRESHED = "refreshed"


@dataclass(frozen=True)
class PriceSet:
    """A refreshed price set: its folder, manifest and rows (with price_set/price_version/price_date)."""

    path: Path
    manifest: dict[str, Any]
    prices: pd.DataFrame

    @property
    def name(self) -> str:
        return self.path.name


def list_sets(root: Path | None = None) -> list[Path]:
    """Complete sets, oldest first (names are UTC timestamps; half-written sets start with a dot)."""
    folder = sets_dir(root)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and (p / MANIFEST_FILE).is_file())


def newest_set(root: Path | None = None) -> Path | None:
    found = list_sets(root)
    return found[-1] if found else None


def read_set(path: Path) -> PriceSet:
    """Read and check a set (the same checks as the bundled tables)."""
    manifest_path = path / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PricingDataError(
            f"{manifest_path}: not a price set ({error})", hint="run `costkit pricing refresh` again"
        ) from error
    prices = read_price_file(path / PRICES_FILE, extra=("price_version", "price_date"))
    prices["price_set"] = REFRESHED
    check_tiers(prices)
    return PriceSet(path=path, manifest=manifest, prices=prices)


def overlay(book: PriceBook, priced: PriceSet) -> PriceBook:
    """The bundled book with each (region, usage type) the set holds replaced by the set's rows."""
    keys = pd.MultiIndex.from_frame(priced.prices[["region", "usage_type"]].drop_duplicates())
    replaced = pd.MultiIndex.from_frame(book.prices[["region", "usage_type"]]).isin(keys)
    columns = list(book.prices.columns)
    combined = pd.concat([book.prices[~replaced], priced.prices[columns]], ignore_index=True)
    return dataclasses.replace(book, directory=priced.path, prices=combined)


def current_pricebook(pricing_dir: Path | None = None, *, offline: bool = False) -> PriceBook:
    """The price book to estimate with: `pricing_dir` (a set or a full table folder) when given; else the
    bundled tables, overlaid by the newest refreshed set unless `offline`."""
    if pricing_dir is not None:
        if (pricing_dir / MANIFEST_FILE).is_file():
            return _overlaid(str(pricing_dir))
        return load_pricebook(pricing_dir)
    newest = None if offline else newest_set()
    return _overlaid(str(newest)) if newest is not None else load_pricebook()


@lru_cache(maxsize=8)
def _overlaid(path: str) -> PriceBook:
    return overlay(load_pricebook(), read_set(Path(path)))


def resolve(name: str) -> tuple[str, pd.DataFrame]:
    """A price set named on the command line: `bundled`, `newest`, a set's name in the cache, a set folder,
    or a folder of price tables. Returns a label and its price rows."""
    if name == "bundled":
        return "bundled tables", load_pricebook().prices
    if name == "newest":
        newest = newest_set()
        if newest is None:
            raise PricingDataError("no refreshed price set in the cache yet", hint="run `costkit pricing refresh`")
        return f"price set {newest.name}", read_set(newest).prices
    path = Path(name)
    if not path.is_dir() and (sets_dir() / name).is_dir():
        path = sets_dir() / name
    if (path / MANIFEST_FILE).is_file():
        return f"price set {path.name}", read_set(path).prices
    if path.is_dir():
        return f"tables in {path}", load_pricebook(path).prices
    raise PricingDataError(
        f"{name!r} is not a price set", hint="give `bundled`, `newest`, a set name from the cache or a folder"
    )


def write_set(
    prices: pd.DataFrame, offers: Sequence[Mapping[str, Any]], details: Mapping[str, Any], root: Path | None = None
) -> Path:
    """Write a new set atomically and return its folder. `prices` has SET_FILE_COLUMNS."""
    folder = sets_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = created.strftime("%Y%m%dT%H%M%S%fZ")
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    temporary.mkdir()
    try:
        text = prices[list(SET_FILE_COLUMNS)].astype(object).map(_text)
        text.to_csv(temporary / PRICES_FILE, index=False, lineterminator="\n")
        manifest = {
            "format": 1,
            "created": created.isoformat(timespec="seconds"),
            **details,
            "offers": list(offers),
        }
        (temporary / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        final = folder / name
        temporary.rename(final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float):
        return np.format_float_positional(value, trim="-")
    return str(value)
