"""The DuckDB engine (sources/snapshot/in_duckdb.py + sql/*.sql) prices a snapshot line by line as the pandas
engine does: the same rounding, clipping, stale-run timeouts, V1 activity, the same rows left out by the
read-time checks, and the same refusals.

Prices (us-east-1, bundled): CodePipeline V2 $0.002 per action minute, V1 $1 per active pipeline-month;
CodeBuild general1.small Linux $0.005 per minute. Free tier off unless a test says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from costkit import Period, load_pricebook
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.errors import CostkitError
from costkit.estimate import Estimate, estimate
from costkit.sources.snapshot import in_duckdb
from costkit.sources.snapshot.checks import SnapshotError
from costkit.sources.snapshot.folder import Snapshot, read, write

ACCOUNT, REGION = "111122223333", "us-east-1"
OCTOBER = Period.month(2026, 10)
V2_MINUTE, V1_MONTH, SMALL = 0.002, 1.00, 0.005


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def action(ident: str, act: str, category: str, start: str, seconds: float, **extra: Any) -> dict[str, Any]:
    return {"pipeline": "web", "execution_id": "e1", "action_execution_id": ident, "stage": act, "action": act,
            "category": category, "owner": "AWS", "provider": "CodeBuild", "status": "Succeeded",
            "start": at(start), "last_update": at(start) + pd.Timedelta(seconds=seconds),
            "external_execution_id": None, **extra}  # fmt: skip


def build(ident: str, start: str, seconds: float | None, **extra: Any) -> dict[str, Any]:
    end = at(start) + pd.Timedelta(seconds=seconds) if seconds is not None else None
    return {"project": "api", "build_id": ident, "status": "SUCCEEDED" if end is not None else "IN_PROGRESS",
            "start": at(start), "end": end, "billed_start": at(start), "compute_type": "BUILD_GENERAL1_SMALL",
            "environment_type": "LINUX_CONTAINER", "initiator": "codepipeline/web", "fleet_arn": None,
            "billable_seconds": seconds, "queued_s": 0.0, "build_s": 1.0, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def demo_snapshot() -> Snapshot:
    """The fake account's October, collected by the real collectors (tests/test_demo.py prices it by hand)."""
    window = Window.month(2026, 10)
    with fake_account(window) as session:
        return collect(session, CollectOptions(window=window, regions=["us-east-1", "ap-northeast-1"], cache_dir=None))


def frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"account": ACCOUNT, "region": REGION, **r} for r in records])


def pipeline(name: str, kind: str, created: str) -> dict[str, Any]:
    return {"pipeline": name, "pipeline_type": kind, "created": at(created), "artifact_buckets": "",
            "execution_mode": "QUEUED", "has_triggers": False, "has_variables": False}  # fmt: skip


def execution(name: str, ident: str, start: str) -> dict[str, Any]:
    return {
        "pipeline": name,
        "execution_id": ident,
        "start": at(start),
        "last_update": at(start) + pd.Timedelta(1, "h"),
    }


ACTIONS = [
    action("src", "Source", "Source", "2026-10-02T10:00", 20),  # 1 minute
    action("bld", "Build", "Build", "2026-10-02T10:01", 61),  # 2 minutes
    action("ok", "Approve", "Approval", "2026-10-02T10:03", 3600),  # not charged
    action("cst", "Gate", "Test", "2026-10-02T11:03", 300, owner="Custom"),  # not charged
    # Started 1 minute before the window: only its 3 min 30 s inside October bill, as 4 minutes.
    action("edge", "Deploy", "Deploy", "2026-09-30T23:59", 270, provider="S3"),
    # A CodeDeploy action still InProgress when October was collected: billed to its 5-day timeout.
    action("stuck", "Release", "Deploy", "2026-10-10T00:00", 300, provider="CodeDeploy", status="InProgress"),
]
BUILDS = [
    build("api:1", "2026-10-03T09:00", 121),  # 3 minutes
    build("api:2", "2026-10-03T10:00", None),  # never ended: the project's 60-minute timeout
    build("api:3", "2026-10-04T09:00", 30.2, compute_type="BUILD_LAMBDA_1GB",
          environment_type="LINUX_LAMBDA_CONTAINER"),  # per second: 31 seconds (no bundled price: missing)
    build("api:4", "2026-10-05T09:00", 600, fleet_arn="arn:aws:codebuild:us-east-1:111122223333:fleet/f"),
]  # fmt: skip


def snapshot(actions: list[dict[str, Any]], builds: list[dict[str, Any]]) -> Snapshot:
    pipelines = [pipeline("web", "V2", "2025-01-01"), pipeline("legacy", "V1", "2025-01-01"),
                 pipeline("fresh", "V1", "2026-10-20"), pipeline("idle", "V1", "2025-01-01")]  # fmt: skip
    executions = [execution("web", "e1", "2026-10-02T10:00"), execution("legacy", "l1", "2026-10-05T00:00"),
                  execution("fresh", "f1", "2026-10-25T00:00"),
                  execution("idle", "i1", "2026-09-30T23:30")]  # started before October: not active  # fmt: skip
    declarations = [{"pipeline": "web", "stage": a["stage"], "action": a["action"], "category": a["category"],
                     "owner": a["owner"], "provider": a["provider"], "timeout_minutes": None}
                    for a in actions]  # fmt: skip
    tables = {
        "pipelines": frame(pipelines),
        "pipeline_executions": frame(executions),
        "pipeline_actions": frame(declarations),
        "action_executions": frame(actions),
        "builds": frame(builds),
        "projects": frame([{"project": "api", "timeout_minutes": 60}]),
    }
    window = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
    return Snapshot(tables=tables, manifest={"window": window, "created": "2026-11-02T00:00:00+00:00"})


def both(folder: Path, **options: Any) -> tuple[Estimate, Estimate]:
    """The folder priced by each engine; their lines, missing prices and data quality must agree exactly."""
    by_pandas = estimate(folder, period=OCTOBER, **options)
    by_duckdb = estimate(folder, period=OCTOBER, engine="duckdb", **options)
    assert_same(by_pandas, by_duckdb)
    return by_pandas, by_duckdb


def in_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Lines in one order (each engine lists them in the order its runs come; SQL has no row order)."""
    key = [c for c in ("service", "account", "region", "resource", "usage_type", "component", "pipeline") if c in frame]
    return frame.sort_values(key, kind="stable", na_position="last").reset_index(drop=True)


def assert_same(by_pandas: Estimate, by_duckdb: Estimate) -> None:
    """The same lines (floats equal to 1e-9 relative: an aggregated run's count x average is its sum to within a
    rounding of the last bit), the same missing prices, problems, assumptions and options."""
    pd.testing.assert_frame_equal(in_order(by_pandas.lines), in_order(by_duckdb.lines), check_dtype=False, rtol=1e-9)
    pd.testing.assert_frame_equal(
        in_order(by_pandas.missing_prices), in_order(by_duckdb.missing_prices), check_dtype=False, rtol=1e-9
    )
    assert by_pandas.data_quality == by_duckdb.data_quality
    assert by_pandas.assumptions == by_duckdb.assumptions
    assert {k: v for k, v in by_pandas.options.items() if k != "engine"} == {
        k: v for k, v in by_duckdb.options.items() if k != "engine"
    }


def test_every_metering_rule_bills_the_same_in_sql(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    _, result = both(folder, free_tier=False)
    # V2: 1 + 2 + 4 + 5 x 1,440 (stale CodeDeploy) minutes; approval and custom free. V1: legacy active ($1),
    # fresh in its trial ($0), idle did not start an execution in October (nothing).
    assert result.by_service()["CodePipeline"] == pytest.approx((1 + 2 + 4 + 7200) * V2_MINUTE + 1 * V1_MONTH)
    # CodeBuild: 3 + 60 minutes general1.small; the Lambda-compute build has no bundled price; the fleet build
    # bills through its fleet (no per-build price).
    assert result.by_service()["CodeBuild"] == pytest.approx((3 + 60) * SMALL)
    lines = result.lines.set_index(["resource", "usage_type"])
    assert lines.loc[("api", "Build-Sec:Linux:Lambda:x86-64.1GB"), "quantity"] == 31
    assert not result.complete
    assert result.options["data_quality"] == {"stale_action_executions": 1, "stale_builds": 1}
    # No per-run view comes into memory: one aggregated run per action stands for its executions.
    runs = result.runs.actions
    assert len(runs) == 6
    assert runs["count"].sum() == 6
    assert (runs["count"] * runs["billed"]).sum() == pytest.approx(1 + 2 + 4 + 7200)


def test_free_tier_and_tiers_apply_after_the_sums(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    _, result = both(folder)
    # 100 free V2 minutes and 1 free V1 pipeline per account; 6,000 free general1.small seconds (100 minutes)
    # cover the 63 minutes.
    assert result.by_service()["CodePipeline"] == pytest.approx((7207 - 100) * V2_MINUTE)
    assert result.by_service()["CodeBuild"] == 0


def test_rows_the_checks_leave_out_are_the_same_rows(tmp_path: Path) -> None:
    bad_actions = [
        *ACTIONS,
        action("src", "Source", "Source", "2026-10-09T10:00", 4000),  # the id again: a duplicate, left out
        action("late", "Source", "Source", "2026-11-05T10:00", 20),  # after the window
        {**action("back", "Source", "Source", "2026-10-09T10:00", 20), "last_update": at("2026-10-09T09:00")},
    ]
    bad_builds = [
        *BUILDS,
        build("api:1", "2026-10-07T09:00", 999),  # duplicate id
        build("api:5", "2026-10-07T09:00", 60, queued_s=-1.0),  # a negative phase
        build("api:6", "2026-10-07T09:00", 40 * 3600),  # longer than 36 hours
        build("api:7", "2026-10-07T09:00", 60, billable_seconds=float("inf")),
    ]
    folder = write(snapshot(bad_actions, bad_builds), tmp_path / "snap")
    _, result = both(folder, free_tier=False)
    left_out = {(p["table"], p["kind"], p["column"]): p["rows"] for p in result.data_quality}
    assert left_out == {
        ("action_executions", "duplicate-id", "action_execution_id"): 1,
        ("action_executions", "outside-window", "start"): 1,
        ("action_executions", "negative-duration", "last_update"): 1,
        ("builds", "duplicate-id", "build_id"): 1,
        ("builds", "bad-number", "queued_s"): 1,
        ("builds", "bad-number", "billable_seconds"): 1,
        ("builds", "build-too-long", "end"): 1,
    }
    # What is left is what the clean snapshot bills.
    assert result.by_service()["CodePipeline"] == pytest.approx((1 + 2 + 4 + 7200) * V2_MINUTE + 1 * V1_MONTH)
    assert result.by_service()["CodeBuild"] == pytest.approx((3 + 60) * SMALL)


def test_an_id_is_a_duplicate_only_within_its_account_and_region(tmp_path: Path) -> None:
    # The duplicate check groups by the id alone first, then regroups the repeated ids by account and region:
    # "src" in a second account and "bld" in a second region are other executions, each billed (1 and 2
    # minutes, as the first ones); only the third "src" in the first account is a duplicate.
    other = snapshot(ACTIONS, BUILDS)
    first = other.tables["action_executions"].iloc[:2]
    elsewhere = pd.concat([
        first.iloc[[0]].assign(account="444455556666"), first.iloc[[1]].assign(region="eu-west-1"), first.iloc[[0]]
    ])  # fmt: skip
    other.tables["action_executions"] = pd.concat([other.tables["action_executions"], elsewhere], ignore_index=True)
    other.tables["pipelines"] = pd.concat([
        other.tables["pipelines"],
        other.tables["pipelines"].iloc[[0]].assign(account="444455556666"),
        other.tables["pipelines"].iloc[[0]].assign(region="eu-west-1"),
    ], ignore_index=True)  # fmt: skip
    folder = write(other, tmp_path / "snap")
    _, result = both(folder, free_tier=False)
    left_out = {(p["table"], p["kind"]): p["rows"] for p in result.data_quality}
    assert left_out == {("action_executions", "duplicate-id"): 1}
    pipeline_usd = result.lines[result.lines["service"] == "CodePipeline"].groupby(["account", "region"])["cost_usd"]
    assert pipeline_usd.sum().to_dict() == pytest.approx({
        (ACCOUNT, REGION): (1 + 2 + 4 + 7200) * V2_MINUTE + 1 * V1_MONTH,
        ("444455556666", REGION): 1 * V2_MINUTE,
        (ACCOUNT, "eu-west-1"): 2 * V2_MINUTE,
    })  # fmt: skip


def test_the_aggregates_count_the_rows_left_out_in_the_same_pass(tmp_path: Path) -> None:
    # action_minutes.sql and build_minutes.sql group the rows with a read-time problem under it: counted (runs),
    # billing nothing. A build still running in a window still open is not billed yet, but its duplicate is
    # still counted as one.
    late = action("late", "Source", "Source", "2026-11-05T10:00", 20)
    running_twice = [build("api:2", "2026-10-03T10:00", None)]
    folder = write(snapshot([*ACTIONS, late, late], [*BUILDS, *running_twice]), tmp_path / "snap")
    lazy = read(folder, defer=in_duckdb.RUN_TABLES)
    lazy.manifest["window"]["end"] = "2026-10-20T00:00:00+00:00"
    lazy.manifest["created"] = "2026-10-19T23:58:00+00:00"
    totals, problems = in_duckdb.run_totals(lazy, load_pricebook())
    assert {(p.table, p.kind): p.rows for p in problems} == {
        ("pipeline_executions", "outside-window"): 1,  # fresh's, 25 October
        ("action_executions", "duplicate-id"): 1,  # the second "late"
        ("action_executions", "outside-window"): 1,  # the first "late": November
        ("builds", "duplicate-id"): 1,  # the second api:2, running
    }
    # Billed: 1 + 2 + 4 minutes + the running CodeDeploy action to the collection (9 x 1,440 + 23 x 60 + 58);
    # the approval and the custom action none. Builds: 3 minutes (api:1) and one fleet build (api:4).
    actions = totals.runs.actions
    assert (actions["count"] * actions["billed"]).sum() == pytest.approx(1 + 2 + 4 + 9 * 1440 + 23 * 60 + 58)
    assert actions["count"].sum() == 6
    builds = totals.runs.builds.set_index("usage_type")
    assert builds["count"].sum() == 3  # api:1, the Lambda-compute api:3, the fleet api:4; api:2 not yet
    assert builds.loc["Build-Min:Linux:g1.small", "billed"] == 3


def test_a_bad_account_id_in_a_run_table_is_refused(tmp_path: Path) -> None:
    bad = snapshot(ACTIONS, BUILDS)
    bad.tables["builds"].loc[1, "account"] = "1111-2222-3333"
    folder = write(bad, tmp_path / "snap")
    with pytest.raises(SnapshotError, match=r"builds, column account: 1 row\(s\) are not a 12-digit account id"):
        estimate(folder, period=OCTOBER, engine="duckdb")


def test_a_column_of_the_wrong_type_is_refused_before_any_row_is_read(tmp_path: Path) -> None:
    bad = snapshot(ACTIONS, BUILDS)
    bad.tables["action_executions"]["start"] = "yesterday"
    folder = write(bad, tmp_path / "snap")
    with pytest.raises(SnapshotError, match="column start holds large_string values, not time"):
        read(folder, defer=in_duckdb.RUN_TABLES)


def test_a_deferred_table_is_never_silently_empty(tmp_path: Path) -> None:
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    lazy = read(folder, defer=in_duckdb.RUN_TABLES)
    assert set(lazy.deferred) == {"pipeline_executions", "action_executions", "builds"}
    with pytest.raises(LookupError, match="left on disk"):
        lazy.table("builds")


def test_a_snapshot_in_memory_is_summed_the_same(tmp_path: Path) -> None:
    loaded = snapshot(ACTIONS, BUILDS)
    assert_same(estimate(loaded, period=OCTOBER), estimate(loaded, period=OCTOBER, engine="duckdb"))


def test_an_open_window_bills_running_actions_to_the_collection(tmp_path: Path) -> None:
    # Collected 19 Oct 23:58 with the window (to 20 Oct) still open: the running CodeDeploy action bills from
    # 10 Oct 00:00 to the collection, 9 x 1,440 + 23 x 60 + 58 = 14,398 minutes, not its 5-day timeout; the
    # build that has not ended is not counted yet.
    open_month = snapshot(ACTIONS, BUILDS)
    open_month.manifest["window"]["end"] = "2026-10-20T00:00:00+00:00"
    open_month.manifest["created"] = "2026-10-19T23:58:00+00:00"
    folder = write(open_month, tmp_path / "snap")
    by_pandas, _ = both(folder, free_tier=False)
    runs = by_pandas.runs.actions.set_index("action")
    assert runs.loc["Release", "billed"] == 9 * 1440 + 23 * 60 + 58
    assert "api:2" not in set(by_pandas.runs.builds["build_id"])


def test_the_demo_snapshot_prices_the_same(tmp_path: Path, demo_snapshot: Snapshot) -> None:
    folder = write(demo_snapshot, tmp_path / "demo")
    by_pandas, by_duckdb = both(folder)
    # tests/test_demo.py works this bill out by hand; the engines agree on every line of it.
    assert by_duckdb.total == pytest.approx(by_pandas.total)
    assert by_duckdb.complete


def test_the_v1_active_query_names_the_active_v1_pipelines(tmp_path: Path) -> None:
    import duckdb

    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        "CREATE TABLE params AS SELECT TIMESTAMPTZ '2026-10-01 00:00:00+00' AS window_start, "
        "TIMESTAMPTZ '2026-11-01 00:00:00+00' AS window_end"
    )
    con.execute(
        "CREATE TABLE pipeline_types (account VARCHAR, region VARCHAR, pipeline VARCHAR, pipeline_type VARCHAR)"
    )
    for name, kind in [("web", "V2"), ("legacy", "V1"), ("fresh", "V1"), ("idle", "V1")]:
        con.execute("INSERT INTO pipeline_types VALUES (?, ?, ?, ?)", [ACCOUNT, REGION, name, kind])
    con.read_parquet(str(folder / "pipeline_executions.parquet"), file_row_number=True).select(
        "*, file_row_number AS row_order"
    ).create_view("pipeline_executions")
    con.execute(f"CREATE TABLE pipeline_executions_duplicates AS {in_duckdb.query('pipeline_executions_duplicates')}")
    con.execute(f"CREATE VIEW checked_pipeline_executions AS {in_duckdb.query('checked_pipeline_executions')}")
    active = {row[2] for row in con.execute(in_duckdb.query("v1_active")).fetchall()}
    assert active == {"legacy", "fresh"}  # fresh is active in its free trial month; idle started in September


def test_a_missing_duckdb_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def no_duckdb(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "duckdb":
            raise ImportError("No module named 'duckdb'")
        return real_import(name, *args, **kwargs)

    in_duckdb._duckdb.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_duckdb)
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    try:
        with pytest.raises(CostkitError, match="needs the duckdb package") as raised:
            estimate(folder, period=OCTOBER, engine="duckdb")
        assert 'pip install "costkit[duckdb]"' in str(raised.value.hint)
    finally:
        monkeypatch.undo()
        in_duckdb._duckdb.cache_clear()


def test_an_unknown_engine_and_a_usage_file_with_duckdb_are_refused() -> None:
    with pytest.raises(CostkitError, match="engine='spark'"):
        estimate("examples/small-team-v1.yaml", engine="spark")  # type: ignore[arg-type]
    with pytest.raises(CostkitError, match="a usage file is priced in pandas"):
        estimate("examples/small-team-v1.yaml", engine="duckdb")


def test_the_command_prints_the_same_estimate_with_either_engine(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from costkit.cli import app

    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    printed = {}
    for engine in ("pandas", "duckdb"):
        args = ["estimate", "--snapshot", str(folder), "--month", "2026-10", "--no-free-tier", "--format", "json"]
        out = CliRunner().invoke(app, [*args, "--engine", engine])
        assert out.exit_code == 0, out.output
        printed[engine] = json.loads(out.stdout)
    duck, plain = printed["duckdb"], printed["pandas"]
    # The hand-worked bill of test_every_metering_rule_bills_the_same_in_sql.
    assert duck["by_service"]["CodePipeline"] == pytest.approx(7207 * V2_MINUTE + 1 * V1_MONTH)
    assert duck["by_service"]["CodeBuild"] == pytest.approx((3 + 60) * SMALL)
    assert duck["options"].pop("engine") == "duckdb"
    assert plain["options"].pop("engine") == "pandas"
    for key in ("lines", "missing_prices", "by_pipeline"):
        left, right = (in_order(pd.DataFrame(side.pop(key))) for side in (plain, duck))
        pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-9)
    for key in ("total_usd", "free_tier_usd"):
        assert duck.pop(key) == pytest.approx(plain.pop(key), rel=1e-12)
    assert duck.pop("by_service") == pytest.approx(plain.pop("by_service"), rel=1e-12)
    assert duck == plain  # the rest exactly: assumptions, data quality, options, period


def test_the_command_refuses_the_duckdb_engine_for_a_usage_file() -> None:
    from typer.testing import CliRunner

    from costkit.cli import app

    out = CliRunner().invoke(app, ["estimate", "--usage", "examples/small-team-v1.yaml", "--engine", "duckdb"])
    assert out.exit_code == 2
    assert "--engine 'duckdb' sums a snapshot's run tables" in out.output


def test_a_memory_limit_duckdb_cannot_read_says_which_variable_to_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(in_duckdb.MEMORY_VARIABLE, "lots")
    folder = write(snapshot(ACTIONS, BUILDS), tmp_path / "snap")
    with pytest.raises(CostkitError, match="DuckDB refused the memory limit 'lots'") as raised:
        estimate(folder, period=OCTOBER, engine="duckdb")
    assert "COSTKIT_DUCKDB_MEMORY" in str(raised.value.hint)
