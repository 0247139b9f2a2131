"""The usage model's own contracts: one Period arithmetic, and a library voice that names parameters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from costkit import Period, estimate
from costkit.cli import app
from costkit.errors import ParameterError
from costkit.model.period import Window

EXAMPLES = Path(__file__).parent.parent / "examples"
USAGE = {"version": 1, "codebuild": {"b": {"compute_type": "BUILD_GENERAL1_SMALL", "build_minutes_per_month": 10}}}


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)  # type: ignore[misc]


def test_a_month_is_the_same_span_as_a_period_and_a_window() -> None:
    assert Period.month(2026, 12) == Period(dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert Window.month(2026, 12) == Window(at(2026, 12, 1), at(2027, 1, 1))
    assert Window.of(Period.month(2026, 2)).days == 28.0


def test_the_period_a_window_covers() -> None:
    assert Period.covering(Window.month(2026, 10)) == Period.month(2026, 10)
    assert Period.covering(Window(at(2026, 10, 12), at(2026, 11, 11))) == Period.month(2026, 11)
    assert Period.covering(Window(at(2026, 11, 20), at(2026, 12, 1))) == Period.month(2026, 11)


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
