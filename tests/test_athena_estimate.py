"""Pricing a snapshot whose run tables live in S3, through Athena (sources/snapshot/in_athena.py +
collect/athena.py SnapshotTables + `costkit estimate --athena`).

(a) The composed Trino-flavoured queries run in DuckDB over the snapshot's Parquet laid out as Athena tables
(tests/athena_snapshot.py: only is_infinite is given DuckDB's name) and sum exactly what the DuckDB engine sums.
(b) The Athena calls against botocore's Stubber (every request and answer checked against the service model):
missing tables, refusals, FAILED and CANCELLED queries, a bounded wait. (c) The command end to end against
answers validated the same way: the same bill as `costkit estimate --snapshot`.

Prices (us-east-1, bundled): CodePipeline V2 $0.002 per action minute, V1 $1 per active pipeline-month;
CodeBuild general1.small Linux $0.005 per minute. Free tier off unless a test says otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pandas as pd
import pytest
from athena_answers import execution
from athena_snapshot import DuckAthena, DuckTables, lay_out
from botocore.stub import Stubber
from test_athena import credentials  # the fixture: fake keys, no profile or endpoint from the environment
from test_duckdb_engine import (
    ACTIONS,
    BUILDS,
    OCTOBER,
    SMALL,
    V1_MONTH,
    V2_MINUTE,
    action,
    assert_same,
    build,
    demo_snapshot,
    snapshot,
)
from typer.testing import CliRunner

from costkit.cli import app
from costkit.collect import athena
from costkit.errors import CostkitError
from costkit.estimate import estimate
from costkit.pricing import current_pricebook
from costkit.sources.snapshot import in_athena, in_duckdb
from costkit.sources.snapshot.checks import SnapshotError
from costkit.sources.snapshot.folder import Snapshot, read, write

PLACE = athena.Place(workgroup="finops", database="costkit", output_location="s3://finops-athena-results/costkit/")
BOOK = current_pricebook()
RESULTS = "s3://finops-athena-results/costkit/"


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), na_position="last").reset_index(drop=True)


def sorted_lines(lines: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(lines)
    return frame.sort_values(["service", "resource", "usage_type", "component"]).reset_index(drop=True)


def assert_same_totals(folder: Path, tables: in_athena.Tables) -> list[Any]:
    """The Athena path's totals and problems equal the DuckDB engine's on the same files."""
    by_athena, athena_problems = in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    by_duckdb, duckdb_problems = in_duckdb.run_totals(read(folder, defer=in_duckdb.RUN_TABLES), BOOK)
    for mine, theirs in (
        (by_athena.runs.actions, by_duckdb.runs.actions),
        (by_athena.runs.builds, by_duckdb.runs.builds),
        (by_athena.counts.executions, by_duckdb.counts.executions),
        (by_athena.counts.actions, by_duckdb.counts.actions),
    ):
        pd.testing.assert_frame_equal(sorted_frame(mine), sorted_frame(theirs), check_dtype=False)
    assert by_athena.stale == by_duckdb.stale
    said = [(p.kind, p.table, p.column, p.rows) for p in athena_problems]
    assert said == [(p.kind, p.table, p.column, p.rows) for p in duckdb_problems]
    return athena_problems


# (a) the SQL ---------------------------------------------------------------------------------------------------


def test_the_composed_queries_sum_what_the_duckdb_engine_sums(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    # Laid out by month: the same files under month=2026-09 too, which an October query must not read.
    tables = DuckTables(lay_out(folder, tmp_path / "bucket", ("2026-09", "2026-10")))
    assert_same_totals(folder, tables)
    totals, _ = in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    actions, builds = totals.runs.actions, totals.runs.builds
    # V2 minutes: 1 (Source) + 2 (Build) + 4 (edge, clipped) + 7,200 (stale CodeDeploy at its 5-day timeout)
    assert (actions["count"] * actions["billed"]).sum() == pytest.approx(1 + 2 + 4 + 7200)
    small = builds[builds["usage_type"] == "Build-Min:Linux:g1.small"]
    assert (small["count"] * small["billed"]).sum() == pytest.approx(3 + 60)  # 121 s -> 3 min; the stale one: 60
    assert totals.stale == {"stale_action_executions": 1, "stale_builds": 1}


def test_rows_the_checks_leave_out_are_counted_in_athena_too(tmp_path: Path) -> None:
    bad_actions = [
        *ACTIONS,
        action("src", "Source", "Source", "2026-10-09T10:00", 4000),  # the id again: a duplicate, left out
        action("late", "Source", "Source", "2026-11-05T10:00", 20),  # after the window
    ]
    bad_builds = [
        *BUILDS,
        build("api:1", "2026-10-07T09:00", 999),  # duplicate id
        build("api:5", "2026-10-07T09:00", 60, queued_s=-1.0),  # a negative phase
        build("api:7", "2026-10-07T09:00", 60, billable_seconds=float("inf")),  # is_infinite in Trino
    ]
    folder = write(snapshot(bad_actions, bad_builds), tmp_path / "snap")
    problems = assert_same_totals(folder, DuckTables(lay_out(folder, tmp_path / "bucket")))
    assert {(p.table, p.kind, p.column): p.rows for p in problems} == {
        ("action_executions", "duplicate-id", "action_execution_id"): 1,
        ("action_executions", "outside-window", "start"): 1,
        ("builds", "duplicate-id", "build_id"): 1,
        ("builds", "bad-number", "queued_s"): 1,
        ("builds", "bad-number", "billable_seconds"): 1,
    }
    assert problems[0].file == "costkit.october_action_executions"  # the Athena table, not a local file


def test_the_queries_are_trino_and_read_only_the_tables_they_need(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    tables = DuckTables(lay_out(folder, tmp_path / "bucket", ("2026-10",)))
    in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    assert list(tables.sql) == ["action_minutes", "build_minutes", "pipeline_executions", "checks"]
    actions, builds = tables.sql["action_minutes"], tables.sql["build_minutes"]
    assert "(date_diff('millisecond', p.window_start, c.start) * 1000) AS start_us" in actions
    assert "is_infinite(b.billable_seconds)" in builds
    # Trino reads 1000000.0 as DECIMAL(8,1): a bigint divided by it would keep one decimal place of seconds
    assert "- (CASE WHEN b.start_us > 0 THEN b.start_us ELSE 0 END)) / 1000000.0E0" in builds
    assert "greatest(ceil(round(c.seconds / 60.0E0, 9)), 1.0E0)" in actions
    for sql in tables.sql.values():
        code = re.sub(r"'[^']*'|--[^\n]*", "", sql)  # no string, no comment
        assert re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", code) == []  # no decimal literal
        assert "'microsecond'" not in sql
        assert "isinf(" not in sql
        assert sql.startswith('WITH\nparams AS (SELECT CAST(c0 AS TIMESTAMP) AS "window_start"')
        assert "WHERE \"month\" IN ('2026-10')" in sql
    assert '"costkit"."october_action_executions"' in actions
    assert "october_builds" not in actions
    assert '"costkit"."october_builds"' in builds
    assert "pipeline_types AS" not in builds
    # Ordered by every GROUP BY key, the `problem` of the groups that count the rows a check leaves out first
    assert actions.rstrip().endswith("ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10")
    assert tables.sql["pipeline_executions"].rstrip().endswith("ORDER BY 1, 2, 3, 4")
    assert tables.sql["checks"].rstrip().endswith("GROUP BY account\nORDER BY 1, 2")


def test_hostile_names_in_the_lookups_stay_data(tmp_path: Path) -> None:
    hostile = "web'), ('x', 'y', 'z', 'V2'); --"
    base = snapshot(ACTIONS, BUILDS)
    tables = {name: frame.replace({"web": hostile}) for name, frame in base.tables.items()}
    folder = write(Snapshot(tables=tables, manifest=base.manifest), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    assert_same_totals(folder, duck)
    assert (
        "('111122223333', 'us-east-1', 'web''), (''x'', ''y'', ''z'', ''V2''); --', 'V2')" in duck.sql["action_minutes"]
    )


def test_a_query_longer_than_athena_takes_is_refused_before_any_query(tmp_path: Path) -> None:
    base = snapshot(ACTIONS, BUILDS)
    many = pd.DataFrame(
        [{"account": "111122223333", "region": "us-east-1", "pipeline": f"pipeline-{n:05d}-" + "x" * 40,
          "pipeline_type": "V2", "created": pd.Timestamp("2025-01-01", tz="UTC"), "artifact_buckets": "",
          "execution_mode": "QUEUED", "has_triggers": False, "has_variables": False} for n in range(5000)]
    )  # fmt: skip
    tables = {**base.tables, "pipelines": pd.concat([base.tables["pipelines"], many], ignore_index=True)}
    folder = write(Snapshot(tables=tables, manifest=base.manifest), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    with pytest.raises(CostkitError, match=r"action_minutes is [\d,]+ bytes .* over Athena's 262,144-byte limit"):
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, duck)
    assert duck.sql == {}


def test_a_bad_account_id_is_refused_naming_the_athena_table(tmp_path: Path) -> None:
    base = snapshot(ACTIONS, BUILDS)
    builds = base.tables["builds"].copy()
    builds.loc[0, "account"] = "1111-2222"
    folder = write(Snapshot(tables={**base.tables, "builds": builds}, manifest=base.manifest), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    with pytest.raises(SnapshotError, match=r"costkit.october_builds: table builds, column account: 1 row"):
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, duck)


def test_a_table_without_the_columns_or_with_the_wrong_types_is_refused(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    shape = duck.shapes["october_builds"]
    duck.shapes["october_builds"] = in_athena.TableShape(
        {k: v for k, v in shape.columns.items() if k != "billed_start"}, {}
    )
    loaded = read(folder, remote=in_duckdb.RUN_TABLES)
    with pytest.raises(CostkitError, match=r"costkit\.october_builds has no column billed_start"):
        in_athena.run_totals(loaded, BOOK, duck)
    duck.shapes["october_builds"] = in_athena.TableShape({**shape.columns, "start": "string"}, {})
    with pytest.raises(CostkitError, match="column start: declared string, but it holds a time"):
        in_athena.run_totals(loaded, BOOK, duck)


def test_the_demo_snapshot_prices_the_same_through_athena(tmp_path: Path, demo_snapshot: Snapshot) -> None:
    folder = write(demo_snapshot, tmp_path / "demo")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket", ("2026-10",)))
    by_pandas = estimate(folder)
    by_athena = estimate(folder, engine="athena", athena=duck)
    # tests/test_demo.py works this bill out by hand (two regions, V1 and V2, four compute types)
    assert_same(by_pandas, by_athena)
    assert by_athena.complete
    assert by_athena.total == pytest.approx(by_pandas.total, rel=1e-12)


def test_the_snapshot_folder_needs_no_run_table_files(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    duck = DuckTables(lay_out(folder, tmp_path / "bucket"))
    for name in in_athena.RUN_TABLES:
        (folder / f"{name}.parquet").unlink()  # they are in S3 now
    result = estimate(folder, period=OCTOBER, free_tier=False, engine="athena", athena=duck)
    assert result.by_service()["CodePipeline"] == pytest.approx((1 + 2 + 4 + 7200) * V2_MINUTE + 1 * V1_MONTH)
    assert result.by_service()["CodeBuild"] == pytest.approx((3 + 60) * SMALL)
    with pytest.raises(CostkitError, match="athena=None names the Athena tables"):
        estimate(folder, period=OCTOBER, engine="athena")


# (b) the Athena calls ------------------------------------------------------------------------------------------


assert credentials  # used as a fixture below
assert demo_snapshot  # the fixture: the fake account's October, collected by the real collectors


@pytest.fixture
def stubbed(credentials: None) -> Iterator[tuple[athena.SnapshotTables, Stubber]]:
    api = boto3.client("athena", region_name="us-east-1")
    with Stubber(api) as stubber:
        yield athena.SnapshotTables(api, PLACE, "october", wait_s=1.0, sleep=lambda _: None), stubber
        stubber.assert_no_pending_responses()


def metadata(stubber: Stubber, folder: Path, *names: str) -> None:
    """GetTableMetadata answers for the run tables, their columns as a Glue table over the files declares them."""
    duck = DuckTables(lay_out(folder, folder.parent / "bucket"))
    for name in names:
        table = f"october_{name}"
        shape = duck.shape(table)
        stubber.add_response(
            "get_table_metadata",
            {"TableMetadata": {"Name": table, "Columns": [{"Name": c, "Type": t} for c, t in shape.columns.items()]}},
            {"CatalogName": "AwsDataCatalog", "DatabaseName": "costkit", "TableName": table},
        )


QUERY_ID = "5c1f1c5e-0000-4000-8000-00000000b001"


def started(stubber: Stubber) -> None:
    stubber.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID})


def test_a_missing_table_says_to_create_it(stubbed: tuple[athena.SnapshotTables, Stubber], tmp_path: Path) -> None:
    tables, stubber = stubbed
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    metadata(stubber, folder, "pipeline_executions")
    stubber.add_client_error(
        "get_table_metadata", "MetadataException", "Table october_action_executions not found", 400
    )
    with pytest.raises(CostkitError, match=r"Athena has no table costkit\.october_action_executions") as caught:
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    assert "create it over the snapshot's Parquet files in S3" in str(caught.value)


def test_access_denied_to_the_catalog_names_the_action(
    stubbed: tuple[athena.SnapshotTables, Stubber], tmp_path: Path
) -> None:
    tables, stubber = stubbed
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    stubber.add_client_error("get_table_metadata", "AccessDeniedException", "User: arn:aws:iam::1:user/x", 400)
    with pytest.raises(CostkitError, match="refused GetTableMetadata in workgroup finops") as caught:
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    assert "allow athena:GetTableMetadata" in str(caught.value)


@pytest.mark.parametrize(
    ("state", "reason", "hint"),
    [
        (
            "FAILED",
            "User: arn:aws:sts::1:assumed-role/r is not authorized to perform: glue:GetPartitions on resource",
            "allow glue:GetPartitions",
        ),
        ("CANCELLED", "Query exhausted the workgroup's data usage limit", "someone or something cancelled it"),
    ],
)
def test_a_failed_or_cancelled_query_names_itself_the_workgroup_and_the_fix(
    stubbed: tuple[athena.SnapshotTables, Stubber], tmp_path: Path, state: str, reason: str, hint: str
) -> None:
    tables, stubber = stubbed
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    metadata(stubber, folder, *in_athena.RUN_TABLES)
    started(stubber)
    stubber.add_response("get_query_execution", execution(QUERY_ID, state, reason=reason))
    with pytest.raises(CostkitError, match=f"Athena query {QUERY_ID} in workgroup finops {state}") as caught:
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    assert hint in str(caught.value)


def test_a_query_still_running_after_the_wait_is_stopped_and_named(
    stubbed: tuple[athena.SnapshotTables, Stubber], tmp_path: Path
) -> None:
    tables, stubber = stubbed  # a 1-second wait: polls at once, after 0.25, 0.5 and 0.25 s more
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    metadata(stubber, folder, *in_athena.RUN_TABLES)
    started(stubber)
    for _ in range(4):
        stubber.add_response("get_query_execution", execution(QUERY_ID, "RUNNING"))
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})
    with pytest.raises(CostkitError, match=f"{QUERY_ID} in workgroup finops was still RUNNING after 1 s") as caught:
        in_athena.run_totals(read(folder, remote=in_duckdb.RUN_TABLES), BOOK, tables)
    assert "COSTKIT_ATHENA_WAIT" in str(caught.value)


def test_every_query_is_one_start_polls_and_its_pages(credentials: None, tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    fake = DuckAthena(DuckTables(lay_out(folder, tmp_path / "bucket")), page_size=2, scanned=1_000_000)
    session = boto3.Session(region_name="us-east-1")
    fake.install(session)
    tables = athena.SnapshotTables(session.client("athena"), PLACE, "october", sleep=lambda _: None)
    result = estimate(folder, period=OCTOBER, free_tier=False, engine="athena", athena=tables)
    assert result.by_service()["CodePipeline"] == pytest.approx((1 + 2 + 4 + 7200) * V2_MINUTE + 1 * V1_MONTH)
    # Rows (+ the header row), 2 a page: action_minutes 6 actions (7: 4 pages), build_minutes 3 groups (small
    # on 3 October, Lambda compute, fleet: 4 rows, 2 pages), pipeline_executions 4 pipelines (5: 3 pages),
    # checks 3 account rows (4: 2 pages).
    pages = {"action_minutes": 4, "build_minutes": 2, "pipeline_executions": 3, "checks": 2}
    assert {name: answer.calls for name, answer in tables.answers.items()} == {n: 1 + 1 + p for n, p in pages.items()}
    assert tables.calls == 3 + 4 * (1 + 1) + (4 + 2 + 3 + 2)  # metadata, start + one poll, pages
    assert tables.scanned_bytes == 4 * 1_000_000
    sent = [params for operation, params in fake.calls if operation == "StartQueryExecution"]
    assert {s["WorkGroup"] for s in sent} == {"finops"}
    assert {s["ResultConfiguration"]["OutputLocation"] for s in sent} == {RESULTS}


# (c) the command -----------------------------------------------------------------------------------------------


def test_the_command_prices_the_same_bill_through_athena(
    credentials: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    fake = DuckAthena(DuckTables(lay_out(folder, tmp_path / "bucket", ("2026-10",))), page_size=3)

    def session(profile: str | None = None, region: str | None = None) -> boto3.Session:
        made = boto3.Session(profile_name=profile, region_name=region)
        fake.install(made)
        return made

    monkeypatch.setattr(athena, "make_session", session)
    runner = CliRunner()
    common = ["estimate", "--snapshot", str(folder), "--month", "2026-10", "--format", "json", "--no-free-tier"]
    local = runner.invoke(app, common)
    remote = runner.invoke(
        app,
        [*common, "--athena", "costkit.october", "--workgroup", "finops", "--output-location", RESULTS,
         "--athena-region", "eu-west-1"],
    )  # fmt: skip
    assert local.exit_code == 0, local.output
    assert remote.exit_code == 0, remote.output
    by_snapshot, by_athena = json.loads(local.stdout), json.loads(remote.stdout)
    jsonschema.validate(by_athena, json.loads((Path(__file__).parent.parent / "docs/estimate.schema.json").read_text()))
    assert by_athena["options"]["engine"] == "athena"
    # (1 + 2 + 4 + 7,200) V2 minutes x $0.002 + 1 active V1 pipeline x $1; 63 general1.small minutes x $0.005
    assert by_athena["by_service"]["CodePipeline"] == pytest.approx(7207 * V2_MINUTE + 1 * V1_MONTH)
    assert by_athena["by_service"]["CodeBuild"] == pytest.approx(63 * SMALL)
    # The same bill as the snapshot priced in pandas, line by line (sums in another order: equal to 1e-12)
    assert by_athena["total_usd"] == pytest.approx(by_snapshot["total_usd"], rel=1e-12)
    pd.testing.assert_frame_equal(
        sorted_lines(by_athena["lines"]), sorted_lines(by_snapshot["lines"]), check_dtype=False, rtol=1e-12
    )
    assert "Athena: 4 queries in workgroup finops scanned 41,943,040 bytes (40.0 MiB)" in remote.stderr
    assert {p["WorkGroup"] for op, p in fake.calls if op == "StartQueryExecution"} == {"finops"}


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--athena", "october"], "'october' names no database"),
        (["--athena", "costkit.oct;ober"], "prefix name 'oct;ober' is not a Glue/Athena name"),
        (["--athena", "costkit.october", "--engine", "duckdb"], "leave out --engine"),
        (["--athena", "costkit.october", "--output-location", "/tmp/x"], "is not an S3 location"),
    ],
)
def test_the_command_checks_its_athena_options_before_any_call(tmp_path: Path, extra: list[str], said: str) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    outcome = CliRunner().invoke(app, ["estimate", "--snapshot", str(folder), *extra])
    assert outcome.exit_code == 2, outcome.output
    assert said in outcome.stderr


def test_the_command_needs_the_snapshot_folder_with_athena() -> None:
    outcome = CliRunner().invoke(app, ["estimate", "--usage", "examples/mid-size-platform.yaml", "--athena", "a.b"])
    assert outcome.exit_code == 2
    assert "--athena prices a snapshot: give --snapshot DIR" in outcome.stderr
