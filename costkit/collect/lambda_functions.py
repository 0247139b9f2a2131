"""Lambda: the functions a CI/CD estate invokes (named by pipeline Invoke actions or --lambda-function, plus every
function carrying a tag key), their billing-relevant configuration, and their invocations and duration in the window.

Calls, fewest first:
- Tagged functions: Resource Groups Tagging API GetResources (ResourceTypeFilters lambda:function, TagFilters on the
  key; up to 100 resources per page). ListFunctions carries no tags, and GetFunction/ListTags cost one call per
  function in the region, so one tagging page per 100 *tagged* functions is the cheapest way to find them. Where
  tag:GetResources is denied, fall back to ListTags on every listed function (one call each).
- Configuration: GetFunctionConfiguration per name when there are at most GET_PER_NAME_MAX names and no tag key
  (k calls); otherwise ListFunctions (the model allows MaxItems up to 10,000, the service returns at most 50 per
  page), stopping as soon as every wanted function has been seen.
- Metrics: AWS/Lambda Invocations and Duration (dimension FunctionName, statistic Sum), two queries per function,
  through cloudwatch.metric_sums (at most 500 queries per GetMetricData call).

A named function that does not exist is a row with found=False, never an exception; its metrics are still read
(a function deleted during the window was still billed for what it ran).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from costkit.collect.cloudwatch import MetricQuery, metric_sums, values_by_id
from costkit.collect.context import RegionContext

FUNCTION_COLUMNS = [
    "function", "arn", "memory_mb", "architecture", "ephemeral_storage_mb", "runtime", "timeout_s", "found",
]  # fmt: skip
FUNCTION_METRIC_COLUMNS = ["function", "invocations", "duration_ms_sum", "duration_ms_avg"]

GET_PER_NAME_MAX = 10  # at most this many names and no tag key: GetFunctionConfiguration each, else list
LIST_PAGE_SIZE = 50  # ListFunctions returns at most 50 per page whatever MaxItems says
TAGGING_PAGE_SIZE = 100  # GetResources ResourcesPerPage maximum
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def function_name(identifier: str) -> str:
    """The bare name from a name, name:qualifier, partial ARN (123456789012:function:name) or full ARN."""
    if ":function:" in identifier:
        return identifier.split(":function:", 1)[1].split(":", 1)[0]
    return identifier.split(":", 1)[0]


def _row(config: dict[str, Any]) -> dict[str, Any]:
    return {
        "function": config["FunctionName"],
        "arn": config.get("FunctionArn"),
        "memory_mb": config.get("MemorySize", 128),
        "architecture": (config.get("Architectures") or ["x86_64"])[0],
        "ephemeral_storage_mb": (config.get("EphemeralStorage") or {}).get("Size", 512),
        "runtime": config.get("Runtime"),  # None for container images
        "timeout_s": config.get("Timeout", 3),
        "found": True,
    }


def _missing(name: str) -> dict[str, Any]:
    return dict.fromkeys(FUNCTION_COLUMNS) | {"function": name, "found": False}


def _tagged_names(ctx: RegionContext, tag_key: str) -> set[str] | None:
    """Names of the functions carrying `tag_key`, or None when the tagging API is denied."""
    api = ctx.client("resourcegroupstaggingapi")
    names: set[str] = set()
    try:
        pages = api.get_paginator("get_resources").paginate(
            ResourceTypeFilters=["lambda:function"],
            TagFilters=[{"Key": tag_key}],
            ResourcesPerPage=TAGGING_PAGE_SIZE,
        )
        for page in pages:
            names |= {function_name(item["ResourceARN"]) for item in page.get("ResourceTagMappingList", [])}
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in DENIED:
            return None
        raise
    return names


def _list(ctx: RegionContext, done: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """ListFunctions, one function at a time; no further page once done() says so."""
    api = ctx.client("lambda")
    marker: str | None = None
    while True:
        answer = api.list_functions(MaxItems=LIST_PAGE_SIZE, **({"Marker": marker} if marker else {}))
        yield from answer.get("Functions", [])
        marker = answer.get("NextMarker")
        if not marker or done():
            return


def _by_name(ctx: RegionContext, wanted: list[str]) -> dict[str, dict[str, Any]]:
    """GetFunctionConfiguration per name: {name: row}."""
    api = ctx.client("lambda")
    rows: dict[str, dict[str, Any]] = {}
    for name in wanted:
        try:
            config = api.get_function_configuration(FunctionName=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            rows.setdefault(function_name(name), _missing(function_name(name)))
        else:
            rows[config["FunctionName"]] = _row(config)
    return rows


def _by_listing(ctx: RegionContext, wanted: list[str], tag_key: str | None) -> dict[str, dict[str, Any]]:
    """ListFunctions (plus the tagging API for tag_key): {name: row}."""
    names = {function_name(name) for name in wanted}
    tagged = _tagged_names(ctx, tag_key) if tag_key is not None else set()
    seen: dict[str, dict[str, Any]] = {}
    for config in _list(ctx, lambda: tagged is not None and names | tagged <= seen.keys()):
        seen[config["FunctionName"]] = config
    if tagged is None and tag_key is not None:  # tagging API denied: ListTags on every function
        api = ctx.client("lambda")
        tagged = {
            name
            for name, config in sorted(seen.items())
            if tag_key in api.list_tags(Resource=config["FunctionArn"]).get("Tags", {})
        }
    rows = {name: _row(seen[name]) if name in seen else _missing(name) for name in names}
    rows |= {name: _row(seen[name]) for name in tagged or () if name in seen}
    return rows


def collect(ctx: RegionContext, function_names: list[str], tag_key: str | None = None) -> dict[str, pd.DataFrame]:
    wanted = list(dict.fromkeys(function_names))
    if tag_key is None and len(wanted) <= GET_PER_NAME_MAX:
        rows = _by_name(ctx, wanted)
    else:
        rows = _by_listing(ctx, wanted, tag_key)
    functions = pd.DataFrame([rows[name] for name in sorted(rows)], columns=FUNCTION_COLUMNS)
    functions["found"] = functions["found"].astype(bool)
    return {"functions": functions, "function_metrics": _metrics(ctx, list(functions["function"]))}


def _metrics(ctx: RegionContext, names: list[str]) -> pd.DataFrame:
    def query(name: str, metric: str) -> MetricQuery:
        return MetricQuery("AWS/Lambda", metric, (("FunctionName", name),), stat="Sum", aggregate="sum")

    queries = {name: (query(name, "Invocations"), query(name, "Duration")) for name in names}
    found = values_by_id(metric_sums(ctx, [q for pair in queries.values() for q in pair]))
    rows = []
    for name, (invocations_query, duration_query) in queries.items():
        invocations = found[invocations_query.id][0] or 0.0
        duration = found[duration_query.id][0] or 0.0
        rows.append(
            {
                "function": name,
                "invocations": invocations,
                "duration_ms_sum": duration,
                "duration_ms_avg": duration / invocations if invocations else None,
            }
        )
    return pd.DataFrame(rows, columns=FUNCTION_METRIC_COLUMNS)
