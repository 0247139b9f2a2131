"""Actuals per resource from a CUR 2.0 table: the SQL run in DuckDB over local Parquet laid out like a Data
Exports export (data/BILLING_PERIOD=YYYY-MM/), every expected figure worked by hand as usage x price."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from athena_answers import write_cur

from costkit.collect import cur
from costkit.collect.context import Window
from costkit.errors import CostkitError

A, B = "111111111111", "222222222222"
OCTOBER = Window.month(2026, 10)
WEB_BUILD = f"arn:aws:codebuild:us-east-1:{A}:project/web-app-build"

LINE_ITEMS = [
    # CodeBuild general1.medium at $0.01 a minute: 330 + 399 minutes on two days
    {"account": A, "start": dt.datetime(2026, 10, 3), "product": "CodeBuild", "resource": WEB_BUILD,
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 330.0, "cost": 330 * 0.01, "unit": "Minutes"},
    {"account": A, "start": dt.datetime(2026, 10, 20), "product": "CodeBuild", "resource": WEB_BUILD,
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 399.0, "cost": 399 * 0.01, "unit": "Minutes"},
    # a $1 credit on the same project: a line item type of its own
    {"account": A, "start": dt.datetime(2026, 10, 1), "product": "CodeBuild", "resource": WEB_BUILD, "type": "Credit",
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 0.0, "cost": -1.00, "unit": "Minutes"},
    # V2 action minutes at $0.002, the last hour of the month (inside the window)
    {"account": A, "start": dt.datetime(2026, 10, 31, 23), "product": "AWSCodePipeline",
     "resource": f"arn:aws:codepipeline:us-east-1:{A}:web-app", "usage_type": "USE1-actionExecutionMinute",
     "amount": 1290.0, "cost": 1290 * 0.002, "unit": "Minutes"},
    # Lambda Arm requests at $0.20 per million
    {"account": A, "start": dt.datetime(2026, 10, 5), "product": "AWSLambda",
     "resource": f"arn:aws:lambda:us-east-1:{A}:function:deploy-notifier", "usage_type": "USE1-Request-ARM",
     "amount": 120.0, "cost": 120 * 0.0000002, "unit": "Requests"},
    # S3 Standard storage at $0.023 per GB-month; requests without a resource id
    {"account": A, "start": dt.datetime(2026, 10, 1), "product": "AmazonS3", "resource": "costkit-demo-artifacts-use1",
     "usage_type": "TimedStorage-ByteHrs", "amount": 42.5, "cost": 42.5 * 0.023, "unit": "GB-Mo"},
    {"account": A, "start": dt.datetime(2026, 10, 2), "product": "AmazonS3", "resource": None,
     "usage_type": "Requests-Tier1", "amount": 3000.0, "cost": 3000 / 1000 * 0.005, "unit": "Requests"},
    # not ours: EC2
    {"account": A, "start": dt.datetime(2026, 10, 4), "product": "AmazonEC2", "resource": "i-0abc",
     "usage_type": "BoxUsage:t3.micro", "amount": 720.0, "cost": 720 * 0.0104, "unit": "Hrs"},
    # outside the window: the hour before it and the first instant after it
    {"account": A, "start": dt.datetime(2026, 9, 30, 23), "product": "CodeBuild", "resource": WEB_BUILD,
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 100.0, "cost": 1.00, "unit": "Minutes"},
    {"account": A, "start": dt.datetime(2026, 11, 1), "product": "CodeBuild", "resource": WEB_BUILD,
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 50.0, "cost": 0.50, "unit": "Minutes"},
    # a second account in Tokyo, general1.small at $0.005, not invoiced yet (the bill is not final)
    {"account": B, "start": dt.datetime(2026, 10, 9), "product": "CodeBuild", "region": "ap-northeast-1",
     "resource": f"arn:aws:codebuild:ap-northeast-1:{B}:project/tokyo-build", "invoice": None,
     "usage_type": "APN1-Build-Min:Linux:g1.small", "amount": 88.0, "cost": 88 * 0.005, "unit": "Minutes"},
]  # fmt: skip

# the seven rows above that are CodePipeline, CodeBuild, Lambda or S3 and inside October, summed by hand
TOTAL_USD = 330 * 0.01 + 399 * 0.01 - 1.00 + 1290 * 0.002 + 120 * 0.0000002 + 42.5 * 0.023 + 3000 / 1000 * 0.005
TOTAL_USD += 88 * 0.005


def duckdb_table(folder: Path) -> str:
    return f"read_parquet('{folder}/data/*/*.parquet', hive_partitioning = true)"


def run_in_duckdb(folder: Path, window: Window, *, partitioned: bool) -> pd.DataFrame:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.execute(cur.query(duckdb_table(folder), window, partitioned=partitioned)).df()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return write_cur(tmp_path / "cur2", LINE_ITEMS)


def one(table: pd.DataFrame, **where: object) -> dict[str, object]:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


@pytest.mark.parametrize("partitioned", [False, True])
def test_actuals_per_resource_and_line_item_type_worked_by_hand(export: Path, partitioned: bool) -> None:
    table = cur.actuals(run_in_duckdb(export, OCTOBER, partitioned=partitioned))
    assert list(table.columns) == cur.CUR_ACTUAL_COLUMNS
    build = one(table, resource="web-app-build", line_item_type="Usage")
    assert build["service"] == "CodeBuild"
    assert build["usage_quantity"] == pytest.approx(330 + 399)
    assert build["cost_usd"] == pytest.approx(330 * 0.01 + 399 * 0.01)  # $7.29; September and November left out
    assert build["resource_id"] == WEB_BUILD
    assert bool(build["estimated"]) is False
    assert one(table, resource="web-app-build", line_item_type="Credit")["cost_usd"] == pytest.approx(-1.00)
    assert one(table, resource="web-app")["cost_usd"] == pytest.approx(1290 * 0.002)  # $2.58
    assert one(table, resource="deploy-notifier")["cost_usd"] == pytest.approx(120 * 0.0000002)
    storage = one(table, usage_type="TimedStorage-ByteHrs")
    assert (storage["service"], storage["resource"]) == ("S3", "costkit-demo-artifacts-use1")
    assert storage["cost_usd"] == pytest.approx(42.5 * 0.023)  # $0.9775
    requests = one(table, usage_type="Requests-Tier1")
    assert requests["resource"] is None
    assert requests["resource_id"] is None
    assert requests["cost_usd"] == pytest.approx(3000 / 1000 * 0.005)
    tokyo = one(table, account=B)
    assert (tokyo["region"], tokyo["resource"], bool(tokyo["estimated"])) == ("ap-northeast-1", "tokyo-build", True)
    assert tokyo["cost_usd"] == pytest.approx(88 * 0.005)
    assert "AmazonEC2" not in set(table["service"].dropna())
    assert table["service"].notna().all()
    assert len(table) == 7
    assert table["cost_usd"].sum() == pytest.approx(TOTAL_USD)
    assert table["period_start"].unique().tolist() == [pd.Timestamp("2026-10-01", tz="UTC")]
    assert table["period_end"].unique().tolist() == [pd.Timestamp("2026-11-01", tz="UTC")]


def test_a_partial_window_keeps_only_its_days(export: Path) -> None:
    window = Window(dt.datetime(2026, 10, 15, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    table = cur.actuals(run_in_duckdb(export, window, partitioned=True))
    # only the 399-minute day (Oct 20), the pipeline's last hour and Tokyo's Oct 9 is out
    assert one(table, resource="web-app-build")["cost_usd"] == pytest.approx(399 * 0.01)
    assert set(table["resource"].dropna()) == {"web-app-build", "web-app"}


def test_partition_filter_names_each_billing_period_the_window_touches() -> None:
    window = Window(dt.datetime(2026, 12, 15, tzinfo=dt.UTC), dt.datetime(2027, 1, 15, tzinfo=dt.UTC))
    sql = cur.query('"billing"."cur2"', window, partitioned=True)
    assert "\"billing_period\" IN ('2026-12', '2027-01')" in sql
    assert "TIMESTAMP '2026-12-15 00:00:00'" in sql
    assert "TIMESTAMP '2027-01-15 00:00:00'" in sql
    assert "billing_period" not in cur.query('"billing"."cur2"', window).split("FROM")[1]
    assert cur.months(OCTOBER) == ["2026-10"]  # a window ending at midnight of Nov 1 touches October only


def test_an_empty_answer_is_an_empty_table_and_other_currencies_are_refused(tmp_path: Path) -> None:
    empty = cur.actuals(run_in_duckdb(write_cur(tmp_path / "a", LINE_ITEMS[7:8]), OCTOBER, partitioned=False))
    assert empty.empty
    assert list(empty.columns) == cur.CUR_ACTUAL_COLUMNS
    euros = [{**LINE_ITEMS[0], "currency": "EUR"}]
    frame = run_in_duckdb(write_cur(tmp_path / "b", euros), OCTOBER, partitioned=False)
    with pytest.raises(CostkitError, match=r"account 111111111111 USE1-Build-Min:Linux:g1.medium in EUR, not USD"):
        cur.actuals(frame)
