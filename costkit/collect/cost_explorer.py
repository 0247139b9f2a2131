"""Cost Explorer: what the account was actually billed for the four services, by usage type, per month.

Calls: GetCostAndUsage (client "ce", endpoint us-east-1). It has no paginator: the loop follows NextPageToken,
and **every page is a request billed $0.01**. Requests are counted and reported, and answers are cached.

Request shape (GroupBy allows at most two keys):

- default: one query, Filter SERVICE in the four services, GroupBy SERVICE + USAGE_TYPE. The account column is
  `ctx.account_id`: the account whose credentials ran the query. If that is an Organizations management (payer)
  account, its figures include every linked account's usage, summed.
- `linked_accounts=True`: one query per service (four), each filtered on that one SERVICE and grouped by
  LINKED_ACCOUNT + USAGE_TYPE. The service comes from the filter, so it is exact. The alternatives are not:
  LINKED_ACCOUNT + SERVICE loses the usage type, and LINKED_ACCOUNT + USAGE_TYPE over all four services cannot
  tell which service a shared usage type (`USE1-DataTransfer-Out-Bytes`, inter-region transfer...) belongs to.
  Costs at least 4 requests ($0.04) per uncached run instead of 1.

Time period: Start is the window's start date, End (exclusive) the window's end rounded up to a whole day and
capped at the first day of next month (Cost Explorer refuses an End past it). Granularity MONTHLY: one
result per calendar month, clipped to the period.

Cache: one JSON file per (account id, exact request parameters), holding the answer pages. A cached answer is
final, served forever, if it was fetched after its period ended and no result in it is Estimated. Otherwise (the
period includes the current month, or a just-closed month whose bill is not final) it is served for at most
`OPEN_MAX_AGE`, then fetched again. Files are written atomically (temp file + rename).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from costkit.collect.context import RegionContext, Window
from costkit.model.period import utc

CE_REGION = "us-east-1"
REQUEST_COST_USD = 0.01
OPEN_MAX_AGE = dt.timedelta(hours=6)
CACHE_VERSION = 1
METRICS = ["UnblendedCost", "UsageQuantity"]
# Cost Explorer SERVICE dimension values -> costkit's service names
SERVICES = {
    "AWS CodePipeline": "CodePipeline",
    "AWS CodeBuild": "CodeBuild",
    "AWS Lambda": "Lambda",
    "Amazon Simple Storage Service": "S3",
}
ACTUAL_COLUMNS = [
    "account", "service", "usage_type", "period_start", "period_end",
    "cost_usd", "usage_quantity", "unit", "estimated",
]  # fmt: skip


def utcnow() -> dt.datetime:
    """The clock (tests replace it)."""
    return dt.datetime.now(dt.UTC)


def time_period(window: Window, now: dt.datetime) -> dict[str, str]:
    """Whole UTC days covering [window.start, window.end), End exclusive and no later than next month's 1st."""
    start, end = window.start, window.end
    end_day = end.date() + dt.timedelta(days=1) if end.time() != dt.time(0) else end.date()
    end_day = min(end_day, Window.month_of(now).end_date)
    if end_day <= start.date():
        raise ValueError(f"window {window.start} .. {window.end} holds no Cost Explorer day before {end_day}")
    return {"Start": start.date().isoformat(), "End": end_day.isoformat()}


def requests_for(window: Window, now: dt.datetime, *, linked_accounts: bool) -> list[dict[str, Any]]:
    """The GetCostAndUsage parameters of one collection (without NextPageToken)."""
    common: dict[str, Any] = {
        "TimePeriod": time_period(window, now),
        "Granularity": "MONTHLY",
        "Metrics": list(METRICS),
    }
    usage_type = {"Type": "DIMENSION", "Key": "USAGE_TYPE"}
    if not linked_accounts:
        return [
            {
                **common,
                "Filter": {"Dimensions": {"Key": "SERVICE", "Values": list(SERVICES), "MatchOptions": ["EQUALS"]}},
                "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, usage_type],
            }
        ]
    return [
        {
            **common,
            "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [service], "MatchOptions": ["EQUALS"]}},
            "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, usage_type],
        }
        for service in SERVICES
    ]


def cache_key(account_id: str, queries: list[dict[str, Any]]) -> str:
    blob = json.dumps({"account": account_id, "requests": queries, "v": CACHE_VERSION}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _estimated(result: dict[str, Any]) -> bool:
    """AWS always sends Estimated; if it is missing, finality is unknown: treat it as estimated."""
    return bool(result.get("Estimated", True))


def is_final(entry: dict[str, Any]) -> bool:
    """Fetched after every queried period ended, and nothing in it Estimated: it will never change."""
    fetched = dt.datetime.fromisoformat(entry["fetched_at"])
    ends = [dt.datetime.fromisoformat(q["TimePeriod"]["End"]).replace(tzinfo=dt.UTC) for q in entry["requests"]]
    estimated = any(
        _estimated(result) for pages in entry["answers"] for page in pages for result in page["ResultsByTime"]
    )
    return fetched >= max(ends) and not estimated


def _read_cache(path: Path, account_id: str, queries: list[dict[str, Any]], now: dt.datetime) -> dict[str, Any] | None:
    try:
        entry: dict[str, Any] = json.loads(path.read_text())
        if (
            entry.get("version") != CACHE_VERSION
            or entry.get("account") != account_id
            or entry.get("requests") != queries
            or len(entry.get("answers", [])) != len(queries)
        ):
            return None
        if is_final(entry):
            return entry
        age = now - dt.datetime.fromisoformat(entry["fetched_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or unreadable: fetch again (and overwrite)
    return entry if dt.timedelta(0) <= age <= OPEN_MAX_AGE else None


def _write_cache(path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(entry, out, indent=1, sort_keys=True)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def fetch(api: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    """All pages of one GetCostAndUsage query (each one a billed request), without ResponseMetadata."""
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        answer = api.get_cost_and_usage(**query, **({"NextPageToken": token} if token else {}))
        pages.append({key: value for key, value in answer.items() if key != "ResponseMetadata"})
        token = answer.get("NextPageToken")
        if not token:
            return pages


def _amount(metrics: dict[str, Any], name: str) -> tuple[float, str | None]:
    metric = metrics.get(name) or {}
    return float(metric.get("Amount", 0.0)), metric.get("Unit")


def parse(
    account_id: str, queries: list[dict[str, Any]], answers: list[list[dict[str, Any]]], *, linked_accounts: bool
) -> pd.DataFrame:
    """The "actuals" table from the answer pages of `queries`."""
    rows: list[dict[str, Any]] = []
    for query, pages in zip(queries, answers, strict=True):
        for page in pages:
            for result in page.get("ResultsByTime", []):
                period = result["TimePeriod"]
                for group in result.get("Groups", []):
                    first, usage_type = group["Keys"]
                    if linked_accounts:
                        account, service_name = first, query["Filter"]["Dimensions"]["Values"][0]
                    else:
                        account, service_name = account_id, first
                    if service_name not in SERVICES:
                        raise ValueError(f"Cost Explorer answered for service {service_name!r}, not asked for")
                    cost, currency = _amount(group["Metrics"], "UnblendedCost")
                    if currency not in (None, "USD"):
                        raise ValueError(f"UnblendedCost in {currency}, not USD: {group}")
                    quantity, unit = _amount(group["Metrics"], "UsageQuantity")
                    rows.append(
                        {
                            "account": account,
                            "service": SERVICES[service_name],
                            "usage_type": usage_type,
                            "period_start": pd.Timestamp(period["Start"], tz="UTC"),
                            "period_end": pd.Timestamp(period["End"], tz="UTC"),
                            "cost_usd": cost,
                            "usage_quantity": quantity,
                            "unit": unit,
                            "estimated": _estimated(result),
                        }
                    )
    frame = pd.DataFrame(rows, columns=ACTUAL_COLUMNS)
    frame = frame.astype(
        {
            "cost_usd": "float64",
            "usage_quantity": "float64",
            "estimated": "bool",
            "period_start": "datetime64[ns, UTC]",
            "period_end": "datetime64[ns, UTC]",
        }
    )
    return frame.sort_values(["account", "service", "usage_type", "period_start"], kind="stable").reset_index(drop=True)


def collect(
    ctx: RegionContext, *, cache_dir: Path | None, linked_accounts: bool = False
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Actual billed cost and usage of CodePipeline, CodeBuild, Lambda and S3 in `ctx.window`, by usage type.

    Returns the "actuals" table and {"requests", "cost_usd", "cache_hits", "cache_file"}: `requests` is the
    number of billed GetCostAndUsage calls made (pages), `cache_hits` the number of pages answered from the cache.
    """
    now = utc(utcnow())
    queries = requests_for(ctx.window, now, linked_accounts=linked_accounts)
    path = cache_dir / f"ce-{cache_key(ctx.account_id, queries)[:32]}.json" if cache_dir is not None else None
    entry = _read_cache(path, ctx.account_id, queries, now) if path is not None else None
    requests = cache_hits = 0
    if entry is not None:
        answers: list[list[dict[str, Any]]] = entry["answers"]
        cache_hits = sum(len(pages) for pages in answers)
    else:
        api = ctx.client("ce", region=CE_REGION)
        answers = [fetch(api, query) for query in queries]
        requests = sum(len(pages) for pages in answers)
        if path is not None:
            entry = {
                "version": CACHE_VERSION,
                "account": ctx.account_id,
                "requests": queries,
                "fetched_at": now.isoformat(),
                "answers": answers,
            }
            try:
                _write_cache(path, entry)
            except OSError as error:  # the answer is paid for: use it even if it cannot be kept
                warnings.warn(f"Cost Explorer cache not written to {path}: {error}", RuntimeWarning, stacklevel=2)
                path = None
    table = parse(ctx.account_id, queries, answers, linked_accounts=linked_accounts)
    stats = {
        "requests": requests,
        "cost_usd": round(requests * REQUEST_COST_USD, 2),
        "cache_hits": cache_hits,
        "cache_file": str(path) if path is not None else None,
    }
    return table, stats
