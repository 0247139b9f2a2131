"""S3: the artifact and cache buckets of a CI/CD estate, their cost-relevant settings, and their average daily
storage per storage class over the window, from CloudWatch's daily storage metrics. Objects are never listed.

Calls per bucket: GetBucketLocation (from ctx.region), then in the bucket's own region GetBucketVersioning,
GetBucketLifecycleConfiguration, ListBucketMetricsConfigurations (100 per page) and CloudWatch ListMetrics (AWS/S3
BucketSizeBytes for that BucketName: which StorageType values exist). Per region with buckets: GetMetricData,
at most 500 queries per call (one per storage class per bucket, plus NumberOfObjects per bucket).

ListMetrics only knows metrics with a datapoint in the last two weeks: a storage class emptied longer ago than that
is not queried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from costkit.collect.cloudwatch import MetricQuery, metric_sums, values_by_id
from costkit.collect.context import RegionContext

BUCKET_COLUMNS = [
    "bucket", "region", "found", "versioning", "lifecycle_rules", "has_expiration", "has_transition",
    "request_metrics",
]  # fmt: skip
STORAGE_COLUMNS = ["bucket", "storage_type", "avg_bytes", "avg_objects", "datapoints"]
ALL_STORAGE_TYPES = "AllStorageTypes"
MISSING_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "AllAccessDisabled"})


def region_of(location: str | None) -> str:
    """GetBucketLocation's LocationConstraint as a region: null is us-east-1, the legacy "EU" is eu-west-1."""
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _optional(call: Callable[[], Any], absent: frozenset[str] = frozenset()) -> tuple[Any, bool]:
    """(answer, known): an error code in `absent` means the setting is not there (answer None, known True);
    access denied means unknown (None, False). Anything else, including NoSuchBucket, is raised."""
    try:
        return call(), True
    except ClientError as error:
        if _code(error) in absent:
            return None, True
        if _code(error) in DENIED:
            return None, False
        raise


def _lifecycle(rules: list[dict[str, Any]]) -> dict[str, Any]:
    enabled = [rule for rule in rules if rule.get("Status") == "Enabled"]
    return {
        "lifecycle_rules": len(enabled),
        # ExpiredObjectDeleteMarker alone removes delete markers, not data: only Days/Date expire objects
        "has_expiration": any(
            {"Days", "Date"} & (rule.get("Expiration") or {}).keys() or rule.get("NoncurrentVersionExpiration")
            for rule in enabled
        ),
        "has_transition": any(rule.get("Transitions") or rule.get("NoncurrentVersionTransitions") for rule in enabled),
    }


def _request_metrics(api: Any, bucket: str) -> bool:
    """True when a metrics configuration covers the whole bucket (no filter; the console calls it EntireBucket)."""
    token: str | None = None
    while True:
        answer = api.list_bucket_metrics_configurations(
            Bucket=bucket, **({"ContinuationToken": token} if token else {})
        )
        for config in answer.get("MetricsConfigurationList", []):
            if not config.get("Filter") or config.get("Id") == "EntireBucket":
                return True
        token = answer.get("NextContinuationToken")
        if not answer.get("IsTruncated") or not token:
            return False


def _settings(ctx: RegionContext, bucket: str, region: str) -> dict[str, Any]:
    api = ctx.client("s3", region=region)
    versioning, known = _optional(lambda: api.get_bucket_versioning(Bucket=bucket))
    lifecycle, lifecycle_known = _optional(
        lambda: api.get_bucket_lifecycle_configuration(Bucket=bucket), frozenset({"NoSuchLifecycleConfiguration"})
    )
    metrics, metrics_known = _optional(lambda: _request_metrics(api, bucket))
    flags: dict[str, Any] = (
        _lifecycle((lifecycle or {}).get("Rules", []))
        if lifecycle_known
        else dict.fromkeys(("lifecycle_rules", "has_expiration", "has_transition"))
    )
    return {
        "versioning": ((versioning or {}).get("Status") or "Disabled") if known else None,
        **flags,
        "request_metrics": bool(metrics) if metrics_known else None,
    }


def _storage_types(ctx: RegionContext, bucket: str, region: str) -> list[tuple[tuple[str, str], ...]]:
    """Dimension sets of the bucket's BucketSizeBytes metrics, exactly as CloudWatch lists them."""
    api = ctx.client("cloudwatch", region=region)
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    pages = api.get_paginator("list_metrics").paginate(
        Namespace="AWS/S3", MetricName="BucketSizeBytes", Dimensions=[{"Name": "BucketName", "Value": bucket}]
    )
    for page in pages:
        for metric in page.get("Metrics", []):
            dimensions = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            storage_type = dict(dimensions).get("StorageType")
            if storage_type and dict(dimensions).get("BucketName") == bucket:
                found.setdefault(storage_type, dimensions)
    return [found[key] for key in sorted(found)]


def collect(ctx: RegionContext, buckets: list[str]) -> dict[str, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    queries: dict[str, list[tuple[str, str, MetricQuery]]] = {}  # region -> [(bucket, storage type, query)]
    locator = ctx.client("s3")
    for bucket in dict.fromkeys(buckets):
        try:
            region = region_of(locator.get_bucket_location(Bucket=bucket).get("LocationConstraint"))
            row = {"bucket": bucket, "region": region, "found": True, **_settings(ctx, bucket, region)}
        except ClientError as error:
            if _code(error) in DENIED:  # S3 answers 403 only for a bucket that exists (someone else's, or denied)
                rows.append(dict.fromkeys(BUCKET_COLUMNS) | {"bucket": bucket, "found": True})
                continue
            if _code(error) not in MISSING_BUCKET:
                raise
            rows.append(dict.fromkeys(BUCKET_COLUMNS) | {"bucket": bucket, "found": False})
            continue
        rows.append(row)
        wanted = queries.setdefault(region, [])
        for dimensions in _storage_types(ctx, bucket, region):
            query = MetricQuery("AWS/S3", "BucketSizeBytes", dimensions, stat="Average", aggregate="mean")
            wanted.append((bucket, dict(dimensions)["StorageType"], query))
        objects = (("BucketName", bucket), ("StorageType", ALL_STORAGE_TYPES))
        wanted.append((bucket, ALL_STORAGE_TYPES, MetricQuery("AWS/S3", "NumberOfObjects", objects, "Average", "mean")))
    storage: list[dict[str, Any]] = []
    for region, wanted in queries.items():
        values = values_by_id(metric_sums(ctx, [query for _, _, query in wanted], region=region))
        for bucket, storage_type, query in wanted:
            value, datapoints = values[query.id]
            is_objects = query.metric == "NumberOfObjects"
            storage.append(
                {
                    "bucket": bucket,
                    "storage_type": storage_type,
                    "avg_bytes": None if is_objects else value,
                    "avg_objects": value if is_objects else None,
                    "datapoints": datapoints,
                }
            )
    buckets_frame = pd.DataFrame(rows, columns=BUCKET_COLUMNS)
    buckets_frame["found"] = buckets_frame["found"].astype(bool)
    storage_frame = pd.DataFrame(storage, columns=STORAGE_COLUMNS)
    return {
        "buckets": buckets_frame,
        "bucket_storage": storage_frame.sort_values(["bucket", "storage_type"], ignore_index=True),
    }
