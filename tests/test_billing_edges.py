"""Billing edges a mutation run of the billing core found untested: each test here fails on one planted bug
(a surviving mutant, named in the test's comment) and passes on the code as it is.

Every expected figure is price x quantity written out from the us-east-1 prices pricing/*.csv ships (the
pricing pages' figures), through public functions only, so the tests survive code moving between modules.
See tests/test_billing_boundaries.py for the helpers and the prices.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_billing_boundaries import (
    BOOK,
    GIB,
    GLACIER,
    REQUEST,
    V2_MINUTE,
    X86,
    from_file,
    from_snapshot,
    one_gb_function,
    snapshot,
    usage_file,
)

from costkit.price import price

# --- pricing: the free tier is on unless asked off ---------------------------------------------------------------


def test_price_applies_the_free_tier_by_default() -> None:
    # 1,500,000 GB-s of x86 duration and 2 M requests; 400,000 GB-s and 1 M requests are free.
    rows = from_file(usage_file(**{"lambda": {"f": one_gb_function("x86_64", 1_500_000)}})).usage_rows
    lines = price(rows, BOOK).lines  # no free_tier argument: the allowances apply
    by_type = lines.groupby("usage_type")["cost_usd"].sum()
    assert by_type["Lambda-GB-Second"] == pytest.approx((1_500_000 - 400_000) * X86[0])
    assert by_type["Request"] == pytest.approx((1_500_000 - 1_000_000) * REQUEST)
    off = price(rows, BOOK, free_tier=False).lines.groupby("usage_type")["cost_usd"].sum()
    assert off["Lambda-GB-Second"] == pytest.approx(1_500_000 * X86[0])


# --- the per-run view: a V1 pipeline's actions bill no action minutes --------------------------------------------


def test_v1_planned_actions_bill_zero_minutes_and_would_bill_rounded_minutes_on_v2() -> None:
    actions = [{"name": "Build", "category": "Build", "minutes": 2.5}]
    pipelines = {
        "old": {"type": "V1", "active": True, "created": dt.date(2024, 1, 1), "executions_per_month": 40,
                "actions": actions},
        "new": {"type": "V2", "executions_per_month": 40, "actions": actions},
    }  # fmt: skip
    result = from_file(usage_file(pipelines=pipelines))
    runs = result.runs.actions.set_index("pipeline")
    # Both would bill ceil(2.5) = 3 minutes per execution on V2; only the V2 pipeline does.
    assert runs.loc["old", "minutes"] == 3.0
    assert runs.loc["new", "minutes"] == 3.0
    billed = (runs["count"] * runs["billed"]).astype(float)  # a number for every run, 0 on V1
    assert billed.to_dict() == {"old": 0.0, "new": 40 * 3.0}
    assert result.by_service()["CodePipeline"] == pytest.approx(1 * 1.00 + 40 * 3 * V2_MINUTE)


# --- S3 on a snapshot: an overhead is metered apart from the storage it belongs to --------------------------------


def test_observed_archive_overheads_are_metered_as_overheads_not_storage() -> None:
    snap = snapshot(bucket_storage=[
        {"bucket": "archive", "storage_type": "GlacierStorage", "avg_bytes": 1000 * GIB},
        {"bucket": "archive", "storage_type": "GlacierObjectOverhead", "avg_bytes": 32 * GIB},
        {"bucket": "archive", "storage_type": "GlacierS3ObjectOverhead", "avg_bytes": 8 * GIB},
    ])  # fmt: skip
    result = from_snapshot(snap)
    meters = result.usage_rows.groupby("meter")["quantity"].sum().to_dict()
    # The 8 KB index bills at S3 Standard's usage type but is not Standard storage a lifecycle rule could move.
    assert meters == {"storage": 1000.0, "storage-overhead": 32.0 + 8.0}
    assert result.by_service()["S3"] == pytest.approx((1000 + 32) * GLACIER + 8 * 0.023)
