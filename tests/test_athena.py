"""The Athena client: start, a bounded wait with backoff, result pages, typed columns, and errors a person can act
on. Multi-page answers, failures and timeouts come from botocore's Stubber (every request and answer checked
against the service model); the whole path runs once against moto's Athena, whose queued result stands in for
what Athena would compute. The canned rows are what the same SQL returns in DuckDB over local CUR Parquet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from athena_answers import execution, result_pages, write_cur
from botocore.stub import Stubber
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.moto_api import state_manager
from test_cur_actuals import LINE_ITEMS, OCTOBER, TOTAL_USD, run_in_duckdb

from costkit.collect import athena, cur
from costkit.collect.context import CallLog
from costkit.errors import CostkitError

PLACE = athena.Place(workgroup="finops", database="billing", output_location="s3://finops-athena-results/costkit/")
QUERY_ID = "5c1f1c5e-0000-4000-8000-00000000a001"
CUR_SQL = cur.query('"billing"."cur2"', OCTOBER)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ATHENA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.fixture
def stubbed(credentials: None) -> Iterator[tuple[Any, Stubber]]:
    api = boto3.client("athena", region_name="us-east-1")
    with Stubber(api) as stubber:
        yield api, stubber
        stubber.assert_no_pending_responses()


def start(stubber: Stubber, sql: str = CUR_SQL) -> None:
    stubber.add_response(
        "start_query_execution",
        {"QueryExecutionId": QUERY_ID},
        {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": "billing", "Catalog": "AwsDataCatalog"},
            "WorkGroup": "finops",
            "ResultConfiguration": {"OutputLocation": "s3://finops-athena-results/costkit/"},
        },
    )


def poll(stubber: Stubber, state: str, **extra: Any) -> None:
    stubber.add_response("get_query_execution", execution(QUERY_ID, state, **extra), {"QueryExecutionId": QUERY_ID})


@pytest.fixture
def duck_answer(tmp_path: Path) -> pd.DataFrame:
    """What the CUR query returns over the hand-worked line items (7 rows)."""
    return run_in_duckdb(write_cur(tmp_path / "cur2", LINE_ITEMS), OCTOBER, partitioned=False)


def test_a_query_waits_with_backoff_and_reads_every_page(stubbed: tuple[Any, Stubber], duck_answer: Any) -> None:
    api, stubber = stubbed
    start(stubber)
    poll(stubber, "QUEUED")
    poll(stubber, "RUNNING")
    poll(stubber, "SUCCEEDED", scanned=52_428_800)
    pages = result_pages(duck_answer, page_size=3)  # header + 7 rows: 3 pages
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        params = {"QueryExecutionId": QUERY_ID, "MaxResults": 1000}
        stubber.add_response(
            "get_query_results", page, params | ({"NextToken": f"page-{number}"} if number > 1 else {})
        )
    pauses: list[float] = []
    answer = athena.run(api, CUR_SQL, PLACE, sleep=pauses.append)
    assert pauses == [0.25, 0.5]  # polled three times: at once, after 0.25 s, after 0.5 s more
    assert answer.calls == 1 + 3 + 3  # start, three polls, three pages
    assert (answer.query_id, answer.scanned_bytes, answer.engine_ms) == (QUERY_ID, 52_428_800, 1234)
    table = cur.actuals(answer.frame)
    assert len(table) == 7  # every page's rows, the header row once dropped
    build = table[(table["resource"] == "web-app-build") & (table["line_item_type"] == "Usage")].iloc[0]
    assert build["cost_usd"] == pytest.approx(330 * 0.01 + 399 * 0.01)
    assert build["period_start"] == pd.Timestamp("2026-10-01", tz="UTC")
    assert table["cost_usd"].sum() == pytest.approx(TOTAL_USD)
    # typed through Athena's text exactly as DuckDB typed it
    pd.testing.assert_frame_equal(table, cur.actuals(duck_answer), check_dtype=False)


def test_a_failed_query_names_the_missing_permission(stubbed: tuple[Any, Stubber]) -> None:
    api, stubber = stubbed
    start(stubber)
    reason = (
        "Insufficient permissions to execute the query. User: arn:aws:iam::111111111111:user/finops is not "
        "authorized to perform: glue:GetTable on resource: arn:aws:glue:us-east-1:111111111111:table/billing/cur2"
    )
    poll(stubber, "FAILED", reason=reason, AthenaError={"ErrorCategory": 2, "ErrorType": 1301, "Retryable": False})
    with pytest.raises(athena.AthenaError) as raised:
        athena.run(api, CUR_SQL, PLACE, sleep=lambda _: None)
    assert f"Athena query {QUERY_ID} in workgroup finops FAILED: Insufficient permissions" in raised.value.message
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("allow glue:GetTable")


@pytest.mark.parametrize(
    ("reason", "hint"),
    [
        ("Access denied when writing output to url: s3://finops-athena-results/costkit/x.csv",
         "allow s3:PutObject on s3://finops-athena-results/costkit/"),
        ("Permission denied on S3 path: s3://costkit-snapshots/action_executions/part-0.parquet",
         "allow s3:GetObject and s3:ListBucket on the table's S3 location"),
        ("TABLE_NOT_FOUND: line 1:8: Table 'awsdatacatalog.billing.cur2' does not exist",
         "check the query's tables in the Athena console"),
    ],
)  # fmt: skip
def test_failure_reasons_point_to_their_fix(stubbed: tuple[Any, Stubber], reason: str, hint: str) -> None:
    api, stubber = stubbed
    start(stubber)
    poll(stubber, "FAILED", reason=reason)
    with pytest.raises(athena.AthenaError, match="FAILED") as raised:
        athena.run(api, CUR_SQL, PLACE, sleep=lambda _: None)
    assert raised.value.hint is not None
    assert raised.value.hint.startswith(hint)


def test_a_cancelled_query_says_so(stubbed: tuple[Any, Stubber]) -> None:
    api, stubber = stubbed
    start(stubber)
    poll(stubber, "RUNNING")
    poll(stubber, "CANCELLED", reason="Query cancelled: the workgroup's data usage limit was reached")
    with pytest.raises(athena.AthenaError, match="CANCELLED: Query cancelled: the workgroup's data usage limit"):
        athena.run(api, CUR_SQL, PLACE, sleep=lambda _: None)


def test_a_query_still_running_at_the_deadline_is_stopped(stubbed: tuple[Any, Stubber]) -> None:
    api, stubber = stubbed
    start(stubber)
    for _ in range(4):  # at once, then after 0.25, 0.5 and the last 0.25 of the 1 s wait
        poll(stubber, "RUNNING")
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    pauses: list[float] = []
    with pytest.raises(athena.AthenaError) as raised:
        athena.run(api, CUR_SQL, PLACE, wait_s=1.0, sleep=pauses.append)
    assert pauses == [0.25, 0.5, 0.25]
    assert raised.value.message == (
        f"Athena query {QUERY_ID} in workgroup finops was still RUNNING after 1 s; costkit stopped it"
    )


def test_access_denied_at_start_names_the_action(stubbed: tuple[Any, Stubber]) -> None:
    api, stubber = stubbed
    stubber.add_client_error(
        "start_query_execution",
        service_error_code="AccessDeniedException",
        service_message="User: arn:aws:iam::111111111111:user/finops is not authorized to perform: "
        "athena:StartQueryExecution on resource: arn:aws:athena:us-east-1:111111111111:workgroup/finops",
    )
    with pytest.raises(athena.AthenaError, match="Athena refused StartQueryExecution in workgroup finops") as raised:
        athena.run(api, CUR_SQL, PLACE, sleep=lambda _: None)
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("allow athena:StartQueryExecution")


def test_only_select_queries_and_checked_names_reach_athena(stubbed: tuple[Any, Stubber]) -> None:
    api, _stubber = stubbed  # no answer queued: any call would fail the test
    with pytest.raises(CostkitError, match="only SELECT"):
        athena.run(api, "DROP TABLE billing.cur2", PLACE)
    with pytest.raises(CostkitError, match="is not a Glue/Athena name"):
        athena.quoted("billing", 'cur2"; DROP TABLE x; --')
    with pytest.raises(CostkitError, match="is not an S3 location"):
        athena.Place(workgroup="finops", database="billing", output_location="https://example.com/x")
    with pytest.raises(CostkitError, match="not an Athena workgroup name"):
        athena.Place(workgroup="fin ops", database="billing")
    with pytest.raises(CostkitError, match="positive number of seconds"):
        athena.run(api, CUR_SQL, PLACE, wait_s=0)


def test_typed_columns_keep_nulls_as_nulls() -> None:
    columns = [
        {"Name": "n", "Type": "bigint"},
        {"Name": "usd", "Type": "decimal"},
        {"Name": "ok", "Type": "boolean"},
        {"Name": "at", "Type": "timestamp"},
        {"Name": "name", "Type": "varchar"},
    ]
    frame = athena.typed(
        columns,
        [["3", "0.10", "true", "2026-10-01 00:00:00.000", "web"], [None, None, None, None, None]],
    )
    assert frame["n"].tolist()[0] == 3.0
    assert pd.isna(frame["n"].tolist()[1])
    assert frame["usd"].tolist()[0] == pytest.approx(0.10)
    assert frame["ok"].tolist()[0] is True
    assert pd.isna(frame["ok"].tolist()[1])
    assert frame["at"].tolist()[0] == pd.Timestamp("2026-10-01", tz="UTC")
    assert pd.isna(frame["at"].tolist()[1])
    assert frame["name"].tolist() == ["web", None]
    with pytest.raises(athena.AthenaError, match="row 1 with 1 cells for 5 columns"):
        athena.typed(columns, [["1"]])


def test_polls_back_off_to_five_seconds_and_stop_at_the_wait() -> None:
    assert list(athena.polls(20.0)) == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 2.25]
    assert sum(athena.polls(600.0)) == pytest.approx(600.0)


def test_the_whole_path_against_moto(credentials: None, duck_answer: pd.DataFrame) -> None:
    """moto runs no SQL: it answers the query with the result queued for it (the DuckDB answer), walks the
    execution QUEUED -> RUNNING -> SUCCEEDED, and counts as AWS would."""
    with mock_aws():
        # each state lasts one GetQueryExecution, as a query that takes a moment would
        state_manager.set_transition(model_name="athena::execution", transition={"progression": "manual", "times": 1})
        session = boto3.Session(region_name="us-east-1")
        log = CallLog()
        api = athena.connect(session, "us-east-1", log)
        # the workgroup is made with a plain client: costkit's guarded one refuses anything but its queries
        boto3.client("athena", region_name="us-east-1").create_work_group(
            Name="finops", Configuration={"ResultConfiguration": {"OutputLocation": "s3://finops-athena-results/"}}
        )
        page = result_pages(duck_answer, page_size=1000)[0]["ResultSet"]
        backend = athena_backends["123456789012"]["us-east-1"]
        backend.query_results_queue.append(QueryResults(page["Rows"], page["ResultSetMetadata"]["ColumnInfo"]))
        try:
            table, stats = cur.collect(api, PLACE, "cur2", OCTOBER, wait_s=30)
        finally:
            state_manager.unset_transition("athena::execution")
    assert len(table) == 7
    assert table.loc[table["account"] == "222222222222", "cost_usd"].iloc[0] == pytest.approx(88 * 0.005)
    assert stats["query_id"]
    assert stats["resource_ids"] == 6
    calls = log.as_dict()
    assert calls["athena:StartQueryExecution"] == 1
    assert calls["athena:GetQueryResults"] == 1
    assert calls["athena:GetQueryExecution"] == 2  # RUNNING (moto's first poll moves it on from QUEUED), SUCCEEDED
    assert stats["calls"] == sum(calls.values())
    with pytest.raises(Exception, match="not a read-only call"):
        api.delete_work_group(WorkGroup="finops")


def test_the_wait_comes_from_the_environment_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COSTKIT_ATHENA_WAIT", raising=False)
    assert athena.default_wait() == 600.0
    monkeypatch.setenv("COSTKIT_ATHENA_WAIT", "900")
    assert athena.default_wait() == 900.0
    for bad in ("0", "-5", "soon", "inf"):
        monkeypatch.setenv("COSTKIT_ATHENA_WAIT", bad)
        with pytest.raises(CostkitError, match=f"COSTKIT_ATHENA_WAIT='{bad}': must be a positive number"):
            athena.default_wait()
