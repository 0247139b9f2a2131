"""Cost Explorer actuals: request shape, NextPageToken paging, request counting ($0.01 each) and the cache.

Multi-page answers and exact request parameters come from botocore's Stubber (validated against the service
model); caching across runs is exercised against moto's queued Cost Explorer results. Expected values by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.ce.models import ce_backends

from costkit.collect import cost_explorer
from costkit.collect.context import CallLog, RegionContext, Window
from costkit.collect.cost_explorer import collect, time_period

ACCOUNT = "123456789012"
FOUR = ["AWS CodePipeline", "AWS CodeBuild", "AWS Lambda", "Amazon Simple Storage Service"]
OCTOBER = Window.month(2026, 10)
NOVEMBER = Window.month(2026, 11)
METRICS = ["UnblendedCost", "UsageQuantity"]


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """Today is 2026-11-26 10:00 UTC unless a test moves it: now[0] = ..."""
    now = [at(2026, 11, 26, 10)]
    monkeypatch.setattr(cost_explorer, "utcnow", lambda: now[0])
    return now


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def context(window: Window, account: str = ACCOUNT) -> RegionContext:
    return RegionContext(account, "eu-west-1", boto3.Session(region_name="eu-west-1"), window, CallLog())


def group(keys: list[str], cost: str, quantity: str, unit: str) -> dict[str, Any]:
    return {
        "Keys": keys,
        "Metrics": {
            "UnblendedCost": {"Amount": cost, "Unit": "USD"},
            "UsageQuantity": {"Amount": quantity, "Unit": unit},
        },
    }


def result(start: str, end: str, groups: list[dict[str, Any]], estimated: bool = False) -> dict[str, Any]:
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": estimated}


def page(results: list[dict[str, Any]], token: str | None = None, linked: bool = False) -> dict[str, Any]:
    first = "LINKED_ACCOUNT" if linked else "SERVICE"
    answer: dict[str, Any] = {
        "GroupDefinitions": [{"Type": "DIMENSION", "Key": first}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
        "ResultsByTime": results,
        "DimensionValueAttributes": [],
    }
    if token:
        answer["NextPageToken"] = token
    return answer


def request(start: str, end: str, token: str | None = None) -> dict[str, Any]:
    """The exact parameters costkit must send (default shape)."""
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": "MONTHLY",
        "Metrics": METRICS,
        "Filter": {"Dimensions": {"Key": "SERVICE", "Values": FOUR, "MatchOptions": ["EQUALS"]}},
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    }
    if token:
        params["NextPageToken"] = token
    return params


def stubbed(monkeypatch: pytest.MonkeyPatch, ctx: RegionContext) -> Stubber:
    """A Stubber on the (guarded) client the collector gets; it must ask for "ce" in us-east-1."""
    client = ctx.client("ce", region="us-east-1")
    stub = Stubber(client)
    stub.activate()

    def ce_client(service: str, region: str | None = None) -> Any:
        assert (service, region) == ("ce", "us-east-1")
        return client

    monkeypatch.setattr(ctx, "client", ce_client)
    return stub


OCTOBER_PAGE_1 = page(
    [
        result(
            "2026-10-01",
            "2026-11-01",
            [
                group(["AWS CodeBuild", "USE1-Build-Min:Linux:g1.small"], "1.5", "300", "Minutes"),
                group(["AWS CodePipeline", "USE1-actionExecutionMinute"], "0.4", "200", "Minutes"),
            ],
        )
    ],
    token="page-2",
)
OCTOBER_PAGE_2 = page(
    [
        result(
            "2026-10-01",
            "2026-11-01",
            [
                group(["AWS Lambda", "USE1-Lambda-GB-Second"], "1.6666667", "500000", "Second"),
                group(["Amazon Simple Storage Service", "TimedStorage-ByteHrs"], "0.0000001234", "0.01", "GB-Mo"),
            ],
        )
    ]
)


def test_two_pages_are_two_requests_costing_two_cents(monkeypatch: pytest.MonkeyPatch, aws: None) -> None:
    ctx = context(OCTOBER)
    stub = stubbed(monkeypatch, ctx)
    stub.add_response("get_cost_and_usage", OCTOBER_PAGE_1, request("2026-10-01", "2026-11-01"))
    stub.add_response("get_cost_and_usage", OCTOBER_PAGE_2, request("2026-10-01", "2026-11-01", token="page-2"))

    table, stats = collect(ctx, cache_dir=None)

    stub.assert_no_pending_responses()
    assert stats == {"requests": 2, "cost_usd": 0.02, "cache_hits": 0, "cache_file": None}
    assert list(table.columns) == [
        "account", "service", "usage_type", "period_start", "period_end",
        "cost_usd", "usage_quantity", "unit", "estimated",
    ]  # fmt: skip
    # sorted by account, service, usage type; service names are costkit's; amounts are floats
    assert table[["service", "usage_type", "cost_usd", "usage_quantity", "unit"]].to_dict("records") == [
        {"service": "CodeBuild", "usage_type": "USE1-Build-Min:Linux:g1.small", "cost_usd": 1.5,
         "usage_quantity": 300.0, "unit": "Minutes"},
        {"service": "CodePipeline", "usage_type": "USE1-actionExecutionMinute", "cost_usd": 0.4,
         "usage_quantity": 200.0, "unit": "Minutes"},
        {"service": "Lambda", "usage_type": "USE1-Lambda-GB-Second", "cost_usd": 1.6666667,
         "usage_quantity": 500000.0, "unit": "Second"},
        {"service": "S3", "usage_type": "TimedStorage-ByteHrs", "cost_usd": 1.234e-7,
         "usage_quantity": 0.01, "unit": "GB-Mo"},
    ]  # fmt: skip
    assert table["cost_usd"].dtype == "float64"
    assert table["usage_quantity"].dtype == "float64"
    assert table["cost_usd"].sum() == pytest.approx(1.5 + 0.4 + 1.6666667 + 0.0000001234)
    assert set(table["account"]) == {ACCOUNT}
    assert set(table["period_start"]) == {pd.Timestamp("2026-10-01", tz="UTC")}
    assert set(table["period_end"]) == {pd.Timestamp("2026-11-01", tz="UTC")}
    assert not table["estimated"].any()


def test_second_run_of_a_closed_month_makes_no_request(aws: None, tmp_path: Path, clock: list[dt.datetime]) -> None:
    ce_backends[ACCOUNT]["aws"].cost_usage_results_queue.append(OCTOBER_PAGE_2)
    ctx = context(OCTOBER)

    first, stats = collect(ctx, cache_dir=tmp_path)
    assert stats["requests"] == 1
    assert stats["cost_usd"] == 0.01
    assert stats["cache_hits"] == 0
    assert ctx.log.as_dict() == {"ce:GetCostAndUsage": 1}  # through the guarded client
    assert Path(stats["cache_file"]).parent == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [Path(stats["cache_file"]).name]  # no temp file left

    # a year later, still final: served from the cache
    for now in (at(2026, 11, 26, 11), at(2027, 11, 1)):
        clock[0] = now
        again, stats = collect(context(OCTOBER), cache_dir=tmp_path)
        assert stats == {"requests": 0, "cost_usd": 0.0, "cache_hits": 1, "cache_file": stats["cache_file"]}
        pd.testing.assert_frame_equal(again, first)
    assert first[["service", "cost_usd"]].to_dict("records") == [
        {"service": "Lambda", "cost_usd": 1.6666667},
        {"service": "S3", "cost_usd": 1.234e-7},
    ]


def test_another_account_or_window_is_not_served_from_the_cache(aws: None, tmp_path: Path) -> None:
    _, stats = collect(context(OCTOBER), cache_dir=tmp_path)
    assert stats["requests"] == 1
    _, other_account = collect(context(OCTOBER, account="210987654321"), cache_dir=tmp_path)
    _, other_window = collect(context(Window.month(2026, 9)), cache_dir=tmp_path)
    assert other_account["requests"] == other_window["requests"] == 1
    assert len({stats["cache_file"], other_account["cache_file"], other_window["cache_file"]}) == 3


def november(cost: str, token: str | None = None) -> dict[str, Any]:
    groups = [group(["AWS CodeBuild", "USE1-Build-Min:Linux:g1.small"], cost, "100", "Minutes")]
    return page([result("2026-11-01", "2026-11-27", groups, estimated=True)], token=token)


def test_open_month_cache_older_than_the_limit_is_fetched_again(
    monkeypatch: pytest.MonkeyPatch, aws: None, tmp_path: Path, clock: list[dt.datetime]
) -> None:
    # month to date: 2026-11-01 .. now (10:00 on the 26th) -> End is the 27th, exclusive, to include today
    window = Window(at(2026, 11, 1), at(2026, 11, 26, 10))
    ctx = context(window)
    stub = stubbed(monkeypatch, ctx)
    stub.add_response("get_cost_and_usage", november("0.5"), request("2026-11-01", "2026-11-27"))
    stub.add_response("get_cost_and_usage", november("0.75"), request("2026-11-01", "2026-11-27"))

    table, stats = collect(ctx, cache_dir=tmp_path)
    assert (stats["requests"], table["cost_usd"].tolist(), table["estimated"].tolist()) == (1, [0.5], [True])

    clock[0] = at(2026, 11, 26, 15, 59)  # 5 h 59 min later: young enough
    table, stats = collect(ctx, cache_dir=tmp_path)
    assert (stats["requests"], stats["cache_hits"], table["cost_usd"].tolist()) == (0, 1, [0.5])

    clock[0] = at(2026, 11, 26, 16, 1)  # 6 h 1 min later: too old for an open month
    table, stats = collect(ctx, cache_dir=tmp_path)
    assert (stats["requests"], stats["cache_hits"], table["cost_usd"].tolist()) == (1, 0, [0.75])
    stub.assert_no_pending_responses()
    entry = json.loads(Path(stats["cache_file"]).read_text())
    assert entry["fetched_at"] == "2026-11-26T16:01:00+00:00"  # the refetch replaced the cache


def test_closed_month_still_estimated_is_not_cached_forever(
    monkeypatch: pytest.MonkeyPatch, aws: None, tmp_path: Path, clock: list[dt.datetime]
) -> None:
    """Early December, November's bill is not final yet (Estimated): it ages out like an open month."""
    clock[0] = at(2026, 12, 2, 8)
    ctx = context(NOVEMBER)
    stub = stubbed(monkeypatch, ctx)
    estimated = page([result("2026-11-01", "2026-12-01", [], estimated=True)])
    final = page([result("2026-11-01", "2026-12-01", [], estimated=False)])
    stub.add_response("get_cost_and_usage", estimated, request("2026-11-01", "2026-12-01"))
    stub.add_response("get_cost_and_usage", final, request("2026-11-01", "2026-12-01"))

    assert collect(ctx, cache_dir=tmp_path)[1]["requests"] == 1
    clock[0] = at(2026, 12, 2, 15)
    assert collect(ctx, cache_dir=tmp_path)[1]["requests"] == 1  # 7 h: fetched again, now final
    clock[0] = at(2027, 6, 1)
    assert collect(ctx, cache_dir=tmp_path)[1]["requests"] == 0
    stub.assert_no_pending_responses()


def test_no_cache_dir_fetches_every_time_and_a_broken_cache_file_is_replaced(aws: None, tmp_path: Path) -> None:
    assert [collect(context(OCTOBER), cache_dir=None)[1]["requests"] for _ in range(2)] == [1, 1]
    _, stats = collect(context(OCTOBER), cache_dir=tmp_path)
    Path(stats["cache_file"]).write_text("{not json")
    _, stats = collect(context(OCTOBER), cache_dir=tmp_path)
    assert (stats["requests"], stats["cache_hits"]) == (1, 0)
    _, stats = collect(context(OCTOBER), cache_dir=tmp_path)
    assert (stats["requests"], stats["cache_hits"]) == (0, 1)


def test_linked_accounts_one_query_per_service_grouped_by_account_and_usage_type(
    monkeypatch: pytest.MonkeyPatch, aws: None
) -> None:
    ctx = context(OCTOBER)
    stub = stubbed(monkeypatch, ctx)
    answers = {
        "AWS CodePipeline": [group(["111111111111", "USE1-activePipeline"], "1", "1", "Count")],
        "AWS CodeBuild": [
            group(["111111111111", "USE1-Build-Min:ARM:g1.small"], "0.34", "100", "Minutes"),
            group(["222222222222", "USE1-Build-Min:ARM:g1.small"], "0.68", "200", "Minutes"),
        ],
        "AWS Lambda": [],
        "Amazon Simple Storage Service": [group(["222222222222", "Requests-Tier1"], "0.005", "1000", "Requests")],
    }
    for service, groups in answers.items():
        params = {
            "TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"},
            "Granularity": "MONTHLY",
            "Metrics": METRICS,
            "Filter": {"Dimensions": {"Key": "SERVICE", "Values": [service], "MatchOptions": ["EQUALS"]}},
            "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
        }
        stub.add_response("get_cost_and_usage", page([result("2026-10-01", "2026-11-01", groups)], linked=True), params)

    table, stats = collect(ctx, cache_dir=None, linked_accounts=True)

    stub.assert_no_pending_responses()
    assert (stats["requests"], stats["cost_usd"]) == (4, 0.04)
    assert table[["account", "service", "usage_type", "cost_usd"]].to_dict("records") == [
        {
            "account": "111111111111",
            "service": "CodeBuild",
            "usage_type": "USE1-Build-Min:ARM:g1.small",
            "cost_usd": 0.34,
        },
        {"account": "111111111111", "service": "CodePipeline", "usage_type": "USE1-activePipeline", "cost_usd": 1.0},
        {
            "account": "222222222222",
            "service": "CodeBuild",
            "usage_type": "USE1-Build-Min:ARM:g1.small",
            "cost_usd": 0.68,
        },
        {"account": "222222222222", "service": "S3", "usage_type": "Requests-Tier1", "cost_usd": 0.005},
    ]


def test_linked_accounts_against_moto_is_cached_as_one_file(aws: None, tmp_path: Path) -> None:
    queue = ce_backends[ACCOUNT]["aws"].cost_usage_results_queue
    for groups in (
        [group(["111111111111", "USE1-activePipeline"], "1", "1", "Count")],
        [group(["111111111111", "USE1-Build-Min:Linux:g1.medium"], "0.1", "10", "Minutes")],
        [],
        [],
    ):
        queue.append(page([result("2026-10-01", "2026-11-01", groups)], linked=True))
    ctx = context(OCTOBER)

    first, stats = collect(ctx, cache_dir=tmp_path, linked_accounts=True)
    assert (stats["requests"], stats["cache_hits"]) == (4, 0)
    assert ctx.log.as_dict() == {"ce:GetCostAndUsage": 4}
    assert first[["service", "cost_usd"]].to_dict("records") == [
        {"service": "CodeBuild", "cost_usd": 0.1},
        {"service": "CodePipeline", "cost_usd": 1.0},
    ]
    again, stats = collect(ctx, cache_dir=tmp_path, linked_accounts=True)
    assert (stats["requests"], stats["cache_hits"]) == (0, 4)
    pd.testing.assert_frame_equal(again, first)
    # the default shape is a different request: not answered by the linked cache
    assert collect(ctx, cache_dir=tmp_path)[1]["requests"] == 1


def test_empty_answer_gives_an_empty_table_with_the_columns(aws: None) -> None:
    table, stats = collect(context(OCTOBER), cache_dir=None)  # moto with nothing queued
    assert table.empty
    assert stats["requests"] == 1
    assert str(table["cost_usd"].dtype) == "float64"
    assert str(table["period_start"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (OCTOBER, {"Start": "2026-10-01", "End": "2026-11-01"}),
        (NOVEMBER, {"Start": "2026-11-01", "End": "2026-12-01"}),
        # partial days are included whole; End is exclusive
        (Window(at(2026, 11, 19, 10), at(2026, 11, 26, 10)), {"Start": "2026-11-19", "End": "2026-11-27"}),
        (Window(at(2026, 11, 19), at(2026, 11, 26)), {"Start": "2026-11-19", "End": "2026-11-26"}),
        # never past the first day of next month (Cost Explorer refuses it)
        (Window(at(2026, 11, 1), at(2027, 2, 1)), {"Start": "2026-11-01", "End": "2026-12-01"}),
    ],
)
def test_time_period(window: Window, expected: dict[str, str]) -> None:
    assert time_period(window, at(2026, 11, 26, 10)) == expected


def test_window_wholly_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="holds no Cost Explorer day"):
        time_period(Window(at(2027, 1, 1), at(2027, 2, 1)), at(2026, 11, 26, 10))


def test_a_service_not_asked_for_is_an_error(monkeypatch: pytest.MonkeyPatch, aws: None) -> None:
    ctx = context(OCTOBER)
    stub = stubbed(monkeypatch, ctx)
    odd = page([result("2026-10-01", "2026-11-01", [group(["Amazon EC2", "BoxUsage"], "1", "1", "Hrs")])])
    stub.add_response("get_cost_and_usage", odd, request("2026-10-01", "2026-11-01"))
    with pytest.raises(ValueError, match="not asked for"):
        collect(ctx, cache_dir=None)


def test_pages_through_the_guarded_client_are_counted_there_too(aws: None) -> None:
    """moto answers a request with a NextPageToken as a new request: the next queued result."""
    queue = ce_backends[ACCOUNT]["aws"].cost_usage_results_queue
    queue.extend([OCTOBER_PAGE_1, OCTOBER_PAGE_2])
    ctx = context(OCTOBER)
    table, stats = collect(ctx, cache_dir=None)
    assert (stats["requests"], stats["cost_usd"]) == (2, 0.02)
    assert ctx.log.as_dict() == {"ce:GetCostAndUsage": 2}
    assert table["service"].tolist() == ["CodeBuild", "CodePipeline", "Lambda", "S3"]
