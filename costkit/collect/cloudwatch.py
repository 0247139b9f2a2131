"""CloudWatch: one number per metric over the collection window, fetched with as few GetMetricData calls as the
API allows.

Calls: GetMetricData with at most 500 queries per call (the API limit; CloudWatch bills $0.01 per 1,000 metrics
requested), each call paged on NextToken (every page is a call). Period is one day (86,400 s); the daily datapoints
are then aggregated locally: summed (Invocations, Duration) or averaged (S3 daily storage metrics, which S3
publishes once a day).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from costkit.collect.context import RegionContext

MAX_QUERIES_PER_CALL = 500  # GetMetricData's limit on MetricDataQueries
PERIOD_SECONDS = 86400
METRIC_COLUMNS = ["id", "namespace", "metric", "stat", "aggregate", "value", "datapoints", "status"]

Aggregate = Literal["sum", "mean"]


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch metric, the statistic asked for each day, and how the daily values are combined.

    aggregate "sum": the sum of the daily values (Sum of Invocations over the window).
    aggregate "mean": the mean of the daily values that exist (average daily BucketSizeBytes).
    """

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Sum"
    aggregate: Aggregate = "sum"

    @property
    def id(self) -> str:
        """Stable across runs and processes (a hash of the query), matches ^[a-z][a-zA-Z0-9_]*$, and identical
        queries share one id, so they are asked once."""
        key = "\x1f".join(
            [self.namespace, self.metric, self.stat, self.aggregate, *(f"{n}={v}" for n, v in self.dimensions)]
        )
        return "m" + hashlib.sha256(key.encode()).hexdigest()[:24]

    def as_request(self) -> dict[str, Any]:
        return {
            "Id": self.id,
            "MetricStat": {
                "Metric": {
                    "Namespace": self.namespace,
                    "MetricName": self.metric,
                    "Dimensions": [{"Name": n, "Value": v} for n, v in self.dimensions],
                },
                "Period": PERIOD_SECONDS,
                "Stat": self.stat,
            },
            "ReturnData": True,
        }


def batches(queries: Sequence[MetricQuery], size: int = MAX_QUERIES_PER_CALL) -> Iterator[list[MetricQuery]]:
    for start in range(0, len(queries), size):
        yield list(queries[start : start + size])


def metric_sums(ctx: RegionContext, queries: Sequence[MetricQuery], region: str | None = None) -> pd.DataFrame:
    """One row per distinct query id: the daily statistic aggregated over ctx.window.

    value is None when CloudWatch returned no datapoint for the query (a callee decides whether that means 0);
    datapoints is the number of daily values behind it; status is the last StatusCode CloudWatch gave.
    """
    unique = list({query.id: query for query in queries}.values())
    values: dict[str, list[float]] = {query.id: [] for query in unique}
    status: dict[str, str | None] = {query.id: None for query in unique}
    if unique:
        api = ctx.client("cloudwatch", region=region)
        for batch in batches(unique):
            token: str | None = None
            while True:
                request: dict[str, Any] = {
                    "MetricDataQueries": [query.as_request() for query in batch],
                    "StartTime": ctx.window.start,
                    "EndTime": ctx.window.end,
                    "ScanBy": "TimestampAscending",
                }
                if token:
                    request["NextToken"] = token
                answer = api.get_metric_data(**request)
                for result in answer.get("MetricDataResults", []):
                    if result["Id"] in values:
                        values[result["Id"]].extend(float(v) for v in result.get("Values", []))
                        status[result["Id"]] = result.get("StatusCode")
                token = answer.get("NextToken")
                if not token:
                    break
    rows = []
    for query in unique:
        daily = values[query.id]
        value: float | None = None
        if daily:
            value = sum(daily) if query.aggregate == "sum" else sum(daily) / len(daily)
        rows.append(
            {
                "id": query.id,
                "namespace": query.namespace,
                "metric": query.metric,
                "stat": query.stat,
                "aggregate": query.aggregate,
                "value": value,
                "datapoints": len(daily),
                "status": status[query.id],
            }
        )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def values_by_id(frame: pd.DataFrame) -> dict[str, tuple[float | None, int]]:
    """{id: (value or None, datapoints)} from a metric_sums frame, with NaN read back as None."""
    out: dict[str, tuple[float | None, int]] = {}
    for row in frame.to_dict("records"):
        value: Any = row["value"]
        out[str(row["id"])] = (None if value is None or pd.isna(value) else float(value), int(row["datapoints"]))
    return out
