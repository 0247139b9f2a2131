"""The usage model's own contracts: one Period arithmetic, and a library voice that names parameters."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit import Period, estimate, load_pricebook
from costkit.cli import app
from costkit.errors import ParameterError
from costkit.model.period import Window
from costkit.optimize import suggest
from costkit.optimize.base import Context
from costkit.optimize.rules import pipeline_type
from costkit.sources.snapshot import observed
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.usage_file.load import load_usage
from costkit.tables import PriceBook

EXAMPLES = Path(__file__).parent.parent / "examples"
USAGE = {"version": 1, "codebuild": {"b": {"compute_type": "BUILD_GENERAL1_SMALL", "build_minutes_per_month": 10}}}


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


def test_a_month_is_one_span_whether_given_as_dates_instants_or_a_window() -> None:
    assert Window is Period  # what a collection observes and what an estimate prices: one type
    assert Period.month(2026, 12) == Period(dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert Period.month(2026, 12) == Period(at(2026, 12, 1), at(2027, 1, 1))
    assert Period.month(2026, 12) == Period(dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1))  # no zone: UTC
    paris = dt.timezone(dt.timedelta(hours=1))
    assert Period.month(2026, 12).start == dt.datetime(2026, 12, 1, 1, tzinfo=paris)
    assert Period.month(2026, 2).days == 28.0
    assert Period.month(2028, 2).days == 29.0  # a leap year
    assert Period(at(2026, 11, 1), at(2026, 11, 16, 12)).days == 15.5  # an observed window: to the second


def test_the_calendar_month_a_period_is_or_ends_in() -> None:
    assert Period.month(2026, 10).calendar_month() == Period.month(2026, 10)
    assert Period(at(2026, 10, 12), at(2026, 11, 11)).calendar_month() == Period.month(2026, 11)
    assert Period(at(2026, 11, 20), at(2026, 12, 1)).calendar_month() == Period.month(2026, 11)
    assert Period.month_of(at(2026, 12, 31, 23, 59, 59)) == Period.month(2026, 12)
    # 00:30 on 1 January in Paris is 23:30 on 31 December in UTC.
    assert Period.month_of(dt.datetime(2027, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))).name == "2026-12"
    assert Period.current(dt.date(2026, 2, 28)) == Period.month(2026, 2)


def test_months_apart_and_the_months_a_period_touches() -> None:
    assert Period.month(2026, 1).shift(-1) == Period.month(2025, 12)
    assert Period.month(2026, 11).shift(14) == Period.month(2028, 1)
    assert Period.month(2026, 3).shift(-26).name == "2024-01"
    assert [m.name for m in Period(at(2026, 11, 19, 10), at(2027, 2, 1)).months()] == ["2026-11", "2026-12", "2027-01"]
    assert [m.name for m in Period(at(2026, 11, 19), at(2027, 2, 1, 0, 0, 1)).months()][-1] == "2027-02"
    assert [m.name for m in Period.month(2026, 10).months()] == ["2026-10"]


def test_the_day_view_is_the_json_contract_and_a_window_keeps_its_instants() -> None:
    november = Period.month(2026, 11).to_dict()
    assert november == {"start": "2026-11-01", "end": "2026-12-01", "days": 30}
    assert isinstance(november["days"], int)
    assert str(Period.month(2026, 11)) == "2026-11-01 to 2026-12-01"
    window = Period(at(2026, 11, 1), at(2026, 11, 16, 12))
    assert window.to_dict() == {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-16T12:00:00+00:00", "days": 15.5}
    assert (window.start_date, window.end_date) == (dt.date(2026, 11, 1), dt.date(2026, 11, 16))


def test_an_estimate_prices_whole_utc_days_only() -> None:
    half = Period(at(2026, 11, 1), at(2026, 11, 15, 12))
    with pytest.raises(
        ParameterError, match=r"^period='2026-11-01T00:00:00\+00:00 to 2026-11-15T12:00:00\+00:00' is not"
    ):
        estimate(USAGE, period=half)
    with pytest.raises(ParameterError, match="is not whole UTC days"):
        observed.load_snapshot(in_progress_snapshot(), period=half)
    fortnight = estimate(USAGE, period=Period(dt.date(2026, 11, 1), dt.date(2026, 11, 15)))
    assert fortnight.to_dict()["period"] == {"start": "2026-11-01", "end": "2026-11-15", "days": 14}


@pytest.mark.parametrize(
    "bounds",
    [
        {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"},  # what collect writes
        {"start": "2026-10-01T00:00:00", "end": "2026-11-01T00:00:00"},  # no zone: UTC
        {"start": "2026-10-01T02:00:00+02:00", "end": "2026-11-01T00:00:00Z"},
        {"start": "2026-10-01", "end": "2026-11-01"},
    ],
)
def test_a_manifest_window_reads_as_the_same_period(bounds: dict[str, str]) -> None:
    assert Period.parse(bounds) == Period.month(2026, 10)
    assert Snapshot(tables={}, manifest={"window": bounds}).window == Period.month(2026, 10)


@pytest.mark.parametrize("bounds", [None, {}, {"start": "2026-10-01"}, {"start": 1, "end": 2}])
def test_a_manifest_without_a_window_says_so(bounds: object) -> None:
    with pytest.raises(ValueError, match=re.escape("is not {'start': ISO 8601 time")):
        Period.parse(bounds)


def test_library_errors_name_the_parameter_not_a_flag() -> None:
    with pytest.raises(ParameterError) as raised:
        estimate(USAGE, period=Period.month(2026, 11), region="eu-wset-1")
    assert raised.value.message == "region='eu-wset-1' is not an AWS region costkit knows"
    assert "--" not in str(raised.value)
    with pytest.raises(ParameterError, match=r"^fallback_region='nowhere' "):
        estimate(USAGE, period=Period.month(2026, 11), fallback_region="nowhere")
    with pytest.raises(ParameterError, match=r"^month='Nov' is not a month"):
        Period.parse_month("Nov")


def test_the_cli_names_the_flag_for_the_same_error() -> None:
    usage = str(EXAMPLES / "small-team-v1.yaml")
    result = CliRunner().invoke(app, ["estimate", "-u", usage, "--fallback-region", "eu-x"])
    assert result.exit_code == 2
    assert "--fallback-region 'eu-x' is not an AWS region" in result.output


def test_a_missing_price_says_what_is_missing_not_which_flag_to_pass() -> None:
    usage = {"version": 1, "region": "eu-west-1", **{k: v for k, v in USAGE.items() if k != "version"}}
    usage["codebuild"] = {"b": {"compute_type": "BUILD_GENERAL1_2XLARGE", "build_minutes_per_month": 10}}
    result = estimate(usage, period=Period.month(2026, 11))
    reasons = list(result.missing_prices["reason"])
    assert reasons
    assert all("--" not in reason for reason in reasons)


# --- runs: metered once, read by every rule ----------------------------------------------------------------

OCTOBER_START, OCTOBER_END = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")


def in_progress_snapshot() -> Snapshot:
    """A V1 pipeline whose only action execution started 9.5 minutes before the collection and is still running:
    its last status change is its start, so only the collection time says how long it has run."""
    started = OCTOBER_END - pd.Timedelta(seconds=570)
    here = {"account": "111122223333", "region": "us-east-1", "pipeline": "legacy"}
    tables = {
        "pipelines": pd.DataFrame([{**here, "pipeline_type": "V1", "execution_mode": "SUPERSEDED",
                                    "created": OCTOBER_START - pd.Timedelta(days=400), "artifact_buckets": "",
                                    "has_triggers": False, "has_variables": False}]),
        "pipeline_executions": pd.DataFrame([{**here, "execution_id": "e1", "status": "InProgress",
                                              "trigger_type": "Webhook", "start": started, "last_update": started}]),
        "action_executions": pd.DataFrame([{**here, "execution_id": "e1", "action_execution_id": "e1-Build",
                                            "stage": "Build", "action": "Build", "category": "Build", "owner": "AWS",
                                            "provider": "CodeBuild",
                                            "start": started, "last_update": started, "status": "InProgress",
                                            "external_execution_id": None}]),
    }  # fmt: skip
    window = {"start": OCTOBER_START.isoformat(), "end": OCTOBER_END.isoformat()}
    return Snapshot(tables=tables, manifest={"window": window, "created": OCTOBER_END.isoformat()})


def test_an_execution_in_progress_bills_the_same_minutes_in_the_estimate_and_the_pipeline_type_rule() -> None:
    snap = in_progress_snapshot()
    book = load_pricebook()
    baseline = estimate(snap, free_tier=False, pricebook=book)
    # 570 s to the collection, rounded up per action execution: ceil(9.5) = 10 minutes.
    assert list(baseline.runs.actions["minutes"]) == [10.0]
    found = pipeline_type.rule(Context(baseline=baseline, pricebook=book))
    assert [s.id for s in found] == ["pipeline-type-v2-legacy"]
    assert found[0].evidence["v2_action_minutes"] == 10.0
    # V1 $1 a month against 10 minutes x $0.002 on V2.
    assert found[0].monthly_saving_usd == pytest.approx(1.0 - 10 * 0.002)


def test_suggest_meters_the_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"actions": 0, "builds": 0}
    real_actions, real_builds = observed.billed_actions, observed.billed_builds

    def count_actions(snapshot: Snapshot) -> pd.DataFrame:
        calls["actions"] += 1
        return real_actions(snapshot)

    def count_builds(snapshot: Snapshot, pricebook: PriceBook) -> pd.DataFrame:
        calls["builds"] += 1
        return real_builds(snapshot, pricebook)

    monkeypatch.setattr(observed, "billed_actions", count_actions)
    monkeypatch.setattr(observed, "billed_builds", count_builds)
    suggest(snapshot=in_progress_snapshot(), free_tier=False)
    assert calls == {"actions": 1, "builds": 1}


def test_a_usage_file_yields_planned_runs_from_its_averages() -> None:
    usage = {
        "version": 1,
        "pipelines": {"p": {"type": "V2", "executions_per_month": 300,
                            "actions": [{"name": "Build", "category": "Build", "minutes": 6.2},
                                        {"name": "Approve", "category": "Approval", "minutes": 45}]}},
        "codebuild": {"b": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 40, "minutes_per_build": 2.5}},
    }  # fmt: skip
    result = estimate(usage, period=Period.month(2026, 11))
    assert result.runs.planned
    actions = result.runs.actions.set_index("action")
    assert actions.loc["Build", ["count", "minutes", "billed"]].tolist() == [300.0, 7.0, 7.0]  # ceil(6.2)
    assert actions.loc["Approve", "billed"] == 0.0  # approvals are not charged
    builds = result.runs.builds
    assert builds[["project", "count", "billed"]].values.tolist() == [["b", 40.0, 3.0]]  # ceil(2.5) minutes
    rows = result.usage_rows.set_index("resource")
    assert rows.loc["b", "quantity"] == 40 * 3


def test_one_estimate_entry_point_for_both_sources() -> None:
    snap = in_progress_snapshot()
    observed_total = estimate(snap, free_tier=False).total
    assert observed_total == estimate(snap, free_tier=False).total
    assert observed_total == pytest.approx(1.0)  # the V1 pipeline ran in the window: one active pipeline-month
    with pytest.raises(ParameterError, match=r"^region='us-east-1' re-prices a usage file"):
        estimate(snap, region="us-east-1")


# --- Change: one transform, composable, on the rows and on the usage file ---------------------------------

SUGGESTIBLE = {
    "version": 1,
    "free_tier": False,
    "lambda": {"f": {"memory_mb": 1024, "requests_per_month": 1_000_000, "duration_ms": 1000}},
    "codebuild": {
        "b": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 200, "minutes_per_build": 10},
    },
}


def test_a_suggestion_is_a_change_that_reprices_to_its_saving() -> None:
    found = suggest(SUGGESTIBLE, period=Period.month(2026, 11))
    assert found.items
    for item in found.items:
        after = item.as_change.apply(found.baseline)
        assert after.total == pytest.approx(found.baseline.total - item.monthly_saving_usd), item.id


def test_changes_compose_and_a_change_applied_to_a_usage_is_a_new_usage() -> None:
    november = Period.month(2026, 11)
    found = suggest(SUGGESTIBLE, period=november)
    assert found.counted == {"lambda-arm64-f", "arm-builds-b"}  # independent changes: both counted
    usage = load_usage(SUGGESTIBLE)
    changed = found.change.apply_to(usage)
    assert changed.spec.lambda_["f"].architecture == "arm64"
    assert estimate(changed, period=november).total == pytest.approx(found.total_after_usd)
    assert found.change.apply(found.baseline).total == pytest.approx(found.total_after_usd)
