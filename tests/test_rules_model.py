"""Savings rules read the usage model (runs, inventory), not the Snapshot object or the usage file."""

from __future__ import annotations

import pandas as pd

from costkit import load_pricebook, load_snapshot
from costkit.estimate import price_usage
from costkit.optimize.base import Context
from costkit.optimize.rules import artifact_lifecycle
from costkit.sources.snapshot.folder import Snapshot

ACCOUNT = "111122223333"
GB = 1024**3
WINDOW = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}


def bucket_snapshot(buckets: pd.DataFrame) -> Snapshot:
    storage = pd.DataFrame(
        [
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts", "storage_type": "AllStorageTypes",
             "avg_bytes": None, "avg_objects": 10_000.0, "datapoints": 31},
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts", "storage_type": "StandardStorage",
             "avg_bytes": 100 * GB, "avg_objects": None, "datapoints": 31},
        ]
    )  # fmt: skip
    return Snapshot(tables={"buckets": buckets, "bucket_storage": storage}, manifest={"window": WINDOW})


def context(snapshot: Snapshot) -> Context:
    book = load_pricebook()
    return Context(baseline=price_usage(load_snapshot(snapshot, pricebook=book), book, free_tier=False), pricebook=book)


def test_a_snapshot_without_lifecycle_rules_says_so_instead_of_staying_silent() -> None:
    # Collected without the has_expiration column (an older collector): the bucket's 100 GB x $0.023 = $2.30 of
    # Standard storage is priced, but whether it expires is unknown.
    ctx = context(bucket_snapshot(pd.DataFrame([{"account": ACCOUNT, "bucket": "artifacts", "found": True}])))
    assert abs(ctx.baseline.by_service()["S3"] - 100 * 0.023) < 1e-9
    assert artifact_lifecycle.rule(ctx) == []
    assert any("has_expiration was not collected" in note for note in ctx.notes)


def test_the_lifecycle_rule_reads_the_buckets_inventory() -> None:
    buckets = pd.DataFrame(
        [{"account": ACCOUNT, "bucket": "artifacts", "found": True, "versioning": "Disabled", "has_expiration": False}]
    )
    ctx = context(bucket_snapshot(buckets))
    inventory = ctx.baseline.inventory.buckets.set_index("storage_type")
    assert inventory.loc["StandardStorage", "objects"] == 10_000.0  # all the bytes are Standard
    assert not inventory.loc["StandardStorage", "has_expiration"]
    found = {s.id.split("-")[2]: s for s in artifact_lifecycle.rule(ctx)}
    # No artifact writes known: only the move to Standard-IA is priced, on everything stored:
    # 100 GB x ($0.023 - $0.0125) = $1.05 (10,000 x 128 KB = 1.2 GB is less than 100 GB).
    assert set(found) == {"standard"}
    assert abs(found["standard"].monthly_saving_usd - 100 * (0.023 - 0.0125)) < 1e-9
