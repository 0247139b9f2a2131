"""Inventory: the resources behind an estimate and the attributes billing and savings rules weigh, one table per
kind, the same columns from a usage file or a snapshot. Unknown attributes are empty (a usage file states no
image or cache).

Besides attributes, a table carries what a resource uses that is not a run: a pipeline's `active` and
`age_days` (V1 billing), a project's `build_minutes_per_month` (a usage file's monthly total, taken as billed),
a function's `requests` and average `duration_ms`, a bucket's stored GB and requests. Flows (requests,
transitions) are per observed window, like the runs: billing multiplies them by the usage's projection."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

PIPELINE_COLUMNS = [
    "account", "region", "pipeline", "type", "execution_mode", "triggers", "variables", "created", "artifact_buckets",
    "active", "age_days",
]  # fmt: skip
# `active`: a code change ran through it in the month (V1 bills only then); `age_days`: its age at the end of
# what was billed (the period for a usage file, the window for a snapshot); unknown: NaN.
PROJECT_COLUMNS = [
    "account", "region", "project", "pipeline", "compute_type", "environment_type", "image", "cache_type",
    "build_minutes_per_month",
]  # fmt: skip
FUNCTION_COLUMNS = [
    "account", "region", "function", "pipeline", "share", "memory_mb", "architecture", "ephemeral_storage_mb",
    "requests", "duration_ms", "invocations", "actions",
]  # fmt: skip
# One row per function and pipeline invoking it; `share` of its requests billed to that pipeline (1: all);
# `invocations`: what a snapshot counted (empty for a usage file, whose `requests` are planned); `actions`: the
# pipeline's actions invoking it, comma-separated (a snapshot: its share is their executions over all of them).
BUCKET_COLUMNS = [
    "account", "region", "bucket", "pipeline", "share", "storage_class", "storage_type", "storage_gb", "objects",
    "put_requests", "get_requests", "retrieval_gb", "transitions", "executions", "put_actions", "get_actions",
    "found", "versioning", "has_expiration",
]  # fmt: skip
# A usage file: one row per bucket, its `storage_class` and stored GB, requests a month. A snapshot: one row per
# bucket, CloudWatch `storage_type` and pipeline sharing it (`storage_gb` measured, overheads included), and one
# per bucket and pipeline with the artifact requests its `executions` x `put_actions`/`get_actions` made;
# `objects` there is the bucket's count times the storage type's share of its bytes. `found`, `versioning`,
# `has_expiration`: the bucket's settings where collected (a usage file states none: no lifecycle rule assumed).


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class Inventory:
    pipelines: pd.DataFrame = field(default_factory=lambda: empty(PIPELINE_COLUMNS))
    projects: pd.DataFrame = field(default_factory=lambda: empty(PROJECT_COLUMNS))
    functions: pd.DataFrame = field(default_factory=lambda: empty(FUNCTION_COLUMNS))
    buckets: pd.DataFrame = field(default_factory=lambda: empty(BUCKET_COLUMNS))

    def copy(self) -> Inventory:
        return Inventory(*(frame.copy() for frame in (self.pipelines, self.projects, self.functions, self.buckets)))


def table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame` with exactly `columns` (absent ones empty), one row per resource."""
    return frame.reindex(columns=columns).reset_index(drop=True)
