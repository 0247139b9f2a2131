"""The artifact-lifecycle rule on a bucket two pipelines share, where a mutation run found it untested: one
suggestion per bucket however many inventory entries name it, and the rows of the shared bucket edited in
their own proportions.

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): S3 Standard $0.023,
Standard-IA $0.0125 per GB-month, Transition-SIA $0.01 per 1,000 objects. Free tiers off. Each test's
docstring names the bug it catches.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from test_rules_builds_storage import (
    ACCOUNT,
    GB,
    artifact_snapshot,
    context_for_snapshot,
    context_for_usage,
    usage_file,
)
from test_savings_edges import IA_GB_MONTH, STANDARD_GB_MONTH, TRANSITION, applied

from costkit.optimize.rules import artifact_lifecycle
from costkit.sources.snapshot.folder import Snapshot

REGION = "us-east-1"


def shared_snapshot(found: bool | None = True) -> Snapshot:
    """ver (100 GiB Standard in 10,000 objects, versioned, no lifecycle rule) is the artifact store of web-app
    (155 runs of Source + Build + Deploy) and of api (155 runs of Source + Build): 2 x 155 + 2 x 155 = 620
    artifact PUTs in October."""
    where = {"account": ACCOUNT, "region": REGION}
    runs = {"web-app": ("Source", "Build", "Deploy"), "api": ("Source", "Build")}
    pipelines = pd.DataFrame([{**where, "pipeline": p, "pipeline_type": "V2", "artifact_buckets": "ver"} for p in runs])
    actions = pd.DataFrame([{**where, "pipeline": p, "category": c} for p, kinds in runs.items() for c in kinds])
    executions = pd.DataFrame([{**where, "pipeline": p, "execution_id": f"{p}{i}"} for p in runs for i in range(155)])
    buckets = pd.DataFrame(
        [{**where, "bucket": "ver", "found": found, "versioning": "Enabled", "lifecycle_rules": 0,
          "has_expiration": False, "has_transition": False}]
    )  # fmt: skip
    storage: list[dict[str, Any]] = [
        {**where, "bucket": "ver", "storage_type": "AllStorageTypes", "avg_bytes": None, "avg_objects": 10_000,
         "datapoints": 31},
        {**where, "bucket": "ver", "storage_type": "StandardStorage", "avg_bytes": 100 * GB, "avg_objects": None,
         "datapoints": 31},
    ]  # fmt: skip
    return artifact_snapshot(pipelines, actions, executions, buckets, pd.DataFrame(storage))


def test_artifact_lifecycle_of_a_bucket_two_pipelines_share() -> None:
    """Catches a bucket named by two inventory entries (one per pipeline) suggested twice (its entries deduplicated
    on every column instead of account and bucket), and the transition rows of a shared bucket's edit divided by
    its share instead of multiplied (the transform then differs from the batch). ver: 620 PUTs x 30 / 31 days =
    600 of 10,000 objects are newer than 30 days, so 94 of its 100 GB are older: expiring saves 94 x $0.023;
    moving bills 94 GB at $0.0125 plus 620 transitions a month, and the backlog's 9,400 once."""
    ctx = context_for_snapshot(shared_snapshot())
    suggestions = artifact_lifecycle.rule(ctx)
    assert [s.id for s in suggestions] == [
        f"artifact-lifecycle-expire-{ACCOUNT}-{REGION}-ver",
        f"artifact-lifecycle-standard-ia-{ACCOUNT}-{REGION}-ver",
    ]
    expire, to_ia = suggestions
    assert expire.monthly_saving_usd == pytest.approx(94 * STANDARD_GB_MONTH)
    assert to_ia.monthly_saving_usd == pytest.approx(94 * (STANDARD_GB_MONTH - IA_GB_MONTH) - 620 * TRANSITION)
    assert to_ia.one_off_cost_usd == pytest.approx(9_400 * TRANSITION)
    for suggestion in suggestions:
        assert applied(ctx, suggestion).total == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
        batch_matches_transform(ctx, suggestion)


def test_artifact_lifecycle_checks_a_bucket_whose_existence_was_not_recorded() -> None:
    """Catches a bucket whose `found` is unknown (None: not recorded) failing the rule (the found flags read as
    objects instead of booleans), where it is taken as present and checked: the same two suggestions for ver as
    when it is found, expiring 94 of its 100 GB at $0.023."""
    ctx = context_for_snapshot(shared_snapshot(found=None))
    suggestions = artifact_lifecycle.rule(ctx)
    assert [s.id for s in suggestions] == [
        f"artifact-lifecycle-expire-{ACCOUNT}-{REGION}-ver",
        f"artifact-lifecycle-standard-ia-{ACCOUNT}-{REGION}-ver",
    ]
    assert suggestions[0].monthly_saving_usd == pytest.approx(94 * STANDARD_GB_MONTH)


def test_artifact_lifecycle_note_rounds_the_average_object_size_in_kb() -> None:
    """Catches the average object size of the too-small note computed with 1,025 for one of the 1,024s: tiny
    holds 60.45 GB in 1,048,576 objects = 60.45 x 1,024 x 1,024 / 1,048,576 = 60.45 KB, noted as 60 KB (60.51,
    i.e. 61, with 1,025); moving bills 1,048,576 x 128 KB = 128 GB at $0.0125 = $1.60, more than the
    60.45 x $0.023 = $1.39 it saves."""
    ctx = context_for_usage(usage_file(s3={"tiny": {"storage_gb": 60.45, "objects": 1_048_576}}))
    assert artifact_lifecycle.rule(ctx) == []
    assert ctx.notes == [
        "tiny: objects average 60 KB: Standard-IA bills at least 128 KB each, so moving them costs more than it "
        "saves (S3 also skips objects under 128 KB by default); expiring old artifacts is the saving here"
    ]
