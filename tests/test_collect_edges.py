"""Edges a real estate hits: a quiet month, a month still under way, a month not started, rolling windows
(never compared with a calendar month's bill), unknown regions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit import Period
from costkit.cli import app
from costkit.cli.collect_support import check_regions, window_from
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.errors import CostkitError
from costkit.estimate import estimate
from costkit.optimize import suggest
from costkit.sources.snapshot.folder import Snapshot

OCTOBER = Window.month(2026, 10)


def test_a_quiet_month_with_no_executions_is_priced() -> None:
    with fake_account(OCTOBER) as session:
        snapshot = collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1"], cost_explorer=False))
    quiet = Snapshot(
        tables={**snapshot.tables, "pipeline_executions": snapshot.table("pipeline_executions").iloc[0:0],
                "action_executions": snapshot.table("action_executions").iloc[0:0]},
        manifest=snapshot.manifest,
    )  # fmt: skip
    result = estimate(quiet, period=Period.month(2026, 10))
    # No V2 minutes, and no V1 pipeline ran: CodePipeline costs nothing; storage is still there.
    assert result.by_service()["CodePipeline"] == 0
    assert result.by_service()["S3"] == pytest.approx(42.5 * 0.023)
    assert suggest(snapshot=quiet, period=Period.month(2026, 10)).baseline.total == pytest.approx(result.total)


def test_month_windows() -> None:
    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    assert window_from(None, "2026-10", now) == OCTOBER
    assert window_from(None, "2026-11", now) == Window(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), now)
    with pytest.raises(CostkitError, match="has not started"):
        window_from(None, "2026-12", now)
    with pytest.raises(CostkitError, match="not a month"):
        window_from(None, "2026-13", now)


def test_the_month_under_way_is_projected_not_taken_as_whole() -> None:
    window = Window(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 16, tzinfo=dt.UTC))
    with fake_account(window) as session:
        snapshot = collect(session, CollectOptions(window=window, regions=["us-east-1"], cache_dir=None))
    result = estimate(snapshot)
    assert result.period == Period.month(2026, 11)
    assert result.options["projection_factor"] == pytest.approx(30 / 15)
    assert result.comparison().empty  # a partial month is never set against a bill


def test_a_rolling_window_is_not_compared_with_actuals(tmp_path: Path) -> None:
    window = Window(dt.datetime(2026, 10, 12, tzinfo=dt.UTC), dt.datetime(2026, 11, 11, tzinfo=dt.UTC))
    with fake_account(window) as session:
        snapshot = collect(session, CollectOptions(window=window, regions=["us-east-1"], cache_dir=None))
    assert not snapshot.table("actuals").empty
    assert estimate(snapshot).comparison().empty


def test_estimated_actuals_are_not_compared() -> None:
    with fake_account(OCTOBER) as session:
        snapshot = collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1"], cache_dir=None))
    assert not estimate(snapshot).comparison().empty
    snapshot.tables["actuals"] = snapshot.table("actuals").assign(estimated=True)
    assert estimate(snapshot).comparison().empty


def test_unknown_region_names_are_refused_before_any_call(tmp_path: Path) -> None:
    with pytest.raises(CostkitError, match="us-west-9"):
        check_regions(["us-east-1", "us-west-9"])
    result = CliRunner().invoke(app, ["collect", "--demo", "--regions", "us-west-9", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "did you mean" in result.stderr
    assert not (tmp_path / "x").exists()


def test_future_month_is_refused_by_the_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["collect", "--demo", "--month", "2099-01", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "has not started" in result.stderr


def test_snapshot_tables_do_not_depend_on_thread_timing() -> None:
    runs = []
    for _ in range(2):
        with fake_account(OCTOBER) as session:
            snapshot = collect(
                session, CollectOptions(window=OCTOBER, regions=["us-east-1", "ap-northeast-1"], cost_explorer=False)
            )
        runs.append(snapshot)
    for name, frame in runs[0].tables.items():
        pd.testing.assert_frame_equal(frame, runs[1].tables[name])


def test_a_partial_snapshot_cannot_pass_a_budget_gate(tmp_path: Path) -> None:
    from costkit.sources.snapshot.folder import write

    with fake_account(OCTOBER) as session:
        snapshot = collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1"], cost_explorer=False))
    snapshot.manifest["failures"] = [
        {
            "account": "123456789012",
            "region": "eu-west-1",
            "service": "codebuild",
            "error": "AccessDenied",
            "message": "no",
        }
    ]
    write(snapshot, tmp_path / "partial")
    result = CliRunner().invoke(app, ["estimate", "--snapshot", str(tmp_path / "partial"), "--budget", "1000"])
    assert result.exit_code == 4
    assert "partial" in result.stderr


def test_runs_with_unknown_times_are_not_billed_for_the_whole_window() -> None:
    from costkit.sources.snapshot.observed import _clipped_seconds

    start, end = pd.Timestamp(OCTOBER.start), pd.Timestamp(OCTOBER.end)
    begun = pd.Series([pd.NaT, "2026-09-30T23:59:00Z", "2026-10-05T00:00:00Z"])
    ended = pd.Series(["2026-10-02T00:00:00Z", "2026-10-01T00:01:00Z", pd.NaT])
    seconds = _clipped_seconds(begun, ended, start, end)
    assert seconds.isna().tolist() == [True, False, True]
    assert seconds.iloc[1] == 60  # clipped at the window's start: only October's minute
