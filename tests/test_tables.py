"""The price tables ship with the package and hold to their schema: dated, sourced, tiers contiguous."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from costkit.errors import PricingDataError
from costkit.tables import PRICE_COLUMNS, PRICE_FILES, load_pricebook, pricing_dir, read_prices


def test_tables_are_found_wherever_costkit_is_installed() -> None:
    directory = pricing_dir()
    for name in (*PRICE_FILES, "free_tiers.csv", "codebuild_compute_types.csv", "regions.csv"):
        assert (directory / name).is_file(), directory / name


def test_every_price_row_has_a_date_and_a_public_source() -> None:
    prices = load_pricebook().prices
    assert prices["effective_date"].notna().all()
    assert prices["source"].str.startswith("https://").all()
    assert (prices["price_usd"] >= 0).all()


def test_us_east_1_core_prices_match_the_published_figures() -> None:
    prices = load_pricebook().prices
    east = prices[(prices["region"] == "us-east-1") & (prices["tier_start"] == 0)].set_index("usage_type")["price_usd"]
    assert east["ActivePipeline"] == 1.00
    assert east["ActionExecutionMinutes"] == 0.002
    assert east["Build-Min:Linux:g1.small"] == 0.005
    assert east["Build-Min:Linux:g1.medium"] == 0.01
    assert east["Request"] == 0.0000002  # $0.20 per million
    assert east["Lambda-GB-Second"] == 0.0000166667
    assert east["TimedStorage-ByteHrs"] == 0.023


def test_every_codebuild_price_is_for_a_usage_type_costkit_produces() -> None:
    book = load_pricebook()
    mapped = set(book.compute_types["usage_type"])
    priced = set(book.prices.loc[book.prices["service"] == "CodeBuild", "usage_type"])
    assert priced <= mapped  # a price row nothing can use would hide a spelling mismatch


def test_every_s3_usage_type_costkit_produces_is_priced_in_us_east_1_or_known_missing() -> None:
    from costkit.billing import s3
    from costkit.billing.meters import mapping

    priced = set(load_pricebook().prices.query("region == 'us-east-1'")["usage_type"])
    produced = {t for meter in s3.METERS for t in mapping("S3", meter, "storage_class").values()}
    # Glacier Flexible / Deep Archive GET rates are not published as a per-request price: reported missing.
    assert produced - priced == {"Requests-GLACIER-Tier2", "Requests-GDA-Tier2"}


def test_a_gap_between_tiers_is_refused(tmp_path: Path) -> None:
    source = pricing_dir()
    for name in PRICE_FILES:
        (tmp_path / name).write_text((source / name).read_text())
    frame = pd.read_csv(tmp_path / "s3.csv", dtype=str, keep_default_na=False)
    row = frame.index[(frame["region"] == "us-east-1") & (frame["tier_start"] == "51200")][0]
    frame.loc[row, "tier_start"] = "60000"
    frame[list(PRICE_COLUMNS)].to_csv(tmp_path / "s3.csv", index=False)
    with pytest.raises(PricingDataError, match="do not run contiguously"):
        read_prices(tmp_path)
