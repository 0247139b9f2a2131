"""Impossible months and day counts exit 2 with one message naming the option, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from costkit.cli import app

runner = CliRunner()
USAGE = str(Path(__file__).parent.parent / "examples" / "mid-size-platform.yaml")


def refused(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return " ".join(result.stderr.split())


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-02-30", "2026-1", "26-01", "+2026-01", "November"])
@pytest.mark.parametrize("command", ["estimate", "suggest"])
def test_a_month_that_is_not_yyyy_mm(command: str, month: str) -> None:
    assert f"--month {month!r} is not a month" in refused(command, "--usage", USAGE, "--month", month)


@pytest.mark.parametrize("month", ["0001-01", "1999-12", "9999-12"])
def test_a_month_aws_never_billed(month: str) -> None:
    err = refused("estimate", "--usage", USAGE, "--month", month)
    assert f"--month {month!r} is not a month costkit prices (2006 to 2100)" in err


@pytest.mark.parametrize("month", ["2026-13", "0001-01", "2026-02-30"])
def test_collect_refuses_the_same_months(tmp_path: Path, month: str) -> None:
    assert "--month" in refused("collect", "--demo", "--month", month, "--out", str(tmp_path / "s"))
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("days", ["0", "-3", "1000000", "367"])
def test_days_out_of_range(tmp_path: Path, days: str) -> None:
    err = refused("collect", "--demo", "--days", days, "--out", str(tmp_path / "s"))
    assert f"--days {days}: give 1 to 366 days" in err
