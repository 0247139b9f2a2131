"""`collect` with a CUR 2.0 table: actuals per resource through Athena instead of Cost Explorer, on the fake
account (moto serves Athena; its queued answer is what the CUR SQL returns in DuckDB over hand-made line items)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest
from athena_answers import result_pages, write_cur
from moto.athena.models import QueryResults, athena_backends
from test_cur_actuals import run_in_duckdb
from typer.testing import CliRunner

from costkit import estimate
from costkit.cli import app
from costkit.collect import athena, cur, run
from costkit.collect.context import Window
from costkit.collect.fake_account import ACCOUNT, fake_account

OCTOBER = Window.month(2026, 10)
BUILD = f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/web-app-build"
# the demo estate's bill as CUR line items: CodeBuild medium 729 min at $0.01, V2 action minutes 1,290 at $0.002
ITEMS = [
    {"account": ACCOUNT, "start": dt.datetime(2026, 10, 7), "product": "CodeBuild", "resource": BUILD,
     "usage_type": "USE1-Build-Min:Linux:g1.medium", "amount": 729.0, "cost": 729 * 0.01, "unit": "Minutes"},
    {"account": ACCOUNT, "start": dt.datetime(2026, 10, 7), "product": "AWSCodePipeline",
     "resource": f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:web-app", "usage_type": "USE1-actionExecutionMinute",
     "amount": 1290.0, "cost": 1290 * 0.002, "unit": "Minutes"},
]  # fmt: skip


def queue_cur_answer(tmp_path: Path) -> None:
    """Inside the fake account: a workgroup, and the CUR query's answer waiting in moto's Athena."""
    boto3.client("athena", region_name="us-east-1").create_work_group(Name="finops")
    frame = run_in_duckdb(write_cur(tmp_path / "cur2", ITEMS), OCTOBER, partitioned=True)
    page = result_pages(frame, page_size=1000)[0]["ResultSet"]
    athena_backends[ACCOUNT]["us-east-1"].query_results_queue.append(
        QueryResults(page["Rows"], page["ResultSetMetadata"]["ColumnInfo"])
    )


def test_collect_reads_actuals_per_resource_from_cur_instead_of_cost_explorer(tmp_path: Path) -> None:
    place = athena.Place(workgroup="finops", database="billing", output_location="s3://finops-athena-results/")
    source = cur.CurTable(place=place, table="cur2", partitioned=True, wait_s=30)
    with fake_account(OCTOBER) as session:
        queue_cur_answer(tmp_path)
        snapshot = run.collect(session, run.CollectOptions(window=OCTOBER, regions=["us-east-1"], cur=source))
    manifest = snapshot.manifest
    assert manifest["failures"] == []
    assert "ce:GetCostAndUsage" not in manifest["calls"]  # no Cost Explorer request, no $0.01
    assert manifest["calls"]["athena:StartQueryExecution"] == 1
    assert manifest["cur"]["table"] == "billing.cur2"
    assert manifest["cur"]["resource_ids"] == 2
    actuals = snapshot.table("actuals").set_index("resource")
    assert actuals.loc["web-app-build", "cost_usd"] == pytest.approx(729 * 0.01)
    assert actuals.loc["web-app", "cost_usd"] == pytest.approx(1290 * 0.002)
    assert actuals.loc["web-app", "service"] == "CodePipeline"
    # the estimate compares itself with the bill those line items make, per service
    comparison = estimate(snapshot).comparison().set_index("service")
    assert comparison.loc["CodeBuild", "actual_usd"] == pytest.approx(729 * 0.01)
    assert comparison.loc["CodePipeline", "actual_usd"] == pytest.approx(1290 * 0.002)


def test_a_cur_query_that_fails_leaves_a_partial_snapshot_that_says_why(tmp_path: Path) -> None:
    place = athena.Place(workgroup="no-such-workgroup", database="billing")
    source = cur.CurTable(place=place, table="cur2", wait_s=30)
    with fake_account(OCTOBER) as session:
        snapshot = run.collect(session, run.CollectOptions(window=OCTOBER, regions=["us-east-1"], cur=source))
    (failure,) = snapshot.manifest["failures"]
    assert (failure["service"], failure["error"]) == ("athena:cur", "AthenaError")
    assert "no-such-workgroup" in failure["message"], failure
    assert snapshot.partial
    assert snapshot.table("pipelines").shape[0] == 3  # us-east-1 collected all the same


def test_the_cli_checks_the_cur_table_before_any_call_and_reports_a_failed_query(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "snap"
    refused = runner.invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "--cur", 'cur2"x'])
    assert refused.exit_code == 2
    assert "names no database" in refused.stderr
    refused = runner.invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "--cur", "b.c",
                                  "--output-location", "http://x"])  # fmt: skip
    assert refused.exit_code == 2
    assert "is not an S3 location" in refused.stderr
    assert not out.exists()
    # the demo account has no Athena workgroup "finops": the rest is collected, the failure is named, exit 5
    partial = runner.invoke(
        app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "-q", "--cur", "billing.cur2",
              "--workgroup", "finops"],
    )  # fmt: skip
    assert partial.exit_code == 5, partial.output
    assert "athena:cur: AthenaError: Athena refused StartQueryExecution in workgroup finops" in partial.stderr
    assert "Actuals: CUR" not in partial.stderr  # no query ran, so no CUR line and no Cost Explorer line either
