"""Price tables given with --pricing-dir are checked like the bundled ones: a bad table exits 2 naming the
file, the row (as a spreadsheet numbers it: the header is row 1) and the column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.tables import pricing_dir

runner = CliRunner()
USAGE = Path(__file__).parent.parent / "examples" / "mid-size-platform.yaml"


def tables(tmp_path: Path) -> Path:
    target = tmp_path / "prices"
    target.mkdir()
    for path in pricing_dir().glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target


def edit(directory: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = directory / name
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def refused(directory: Path) -> str:
    result = runner.invoke(app, ["estimate", "--usage", str(USAGE), "--pricing-dir", str(directory)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.stderr.split())


def set_cell(row: int, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Change the cell in spreadsheet row `row` (row 2 is the first data row)."""

    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row - 2, column] = value
        return frame

    return change


def test_the_copied_tables_are_accepted(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    result = runner.invoke(app, ["estimate", "--usage", str(USAGE), "--pricing-dir", str(directory)])
    assert result.exit_code == 0, result.output


def test_a_negative_free_tier_allowance(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "free_tiers.csv", set_cell(3, "allowance", "-100"))
    assert "free_tiers.csv: row 3, column allowance: '-100' is below 0" in refused(directory)


def test_duplicate_free_tier_rows(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "free_tiers.csv", lambda f: pd.concat([f, f.iloc[[1]]], ignore_index=True))
    rows = len(pd.read_csv(directory / "free_tiers.csv")) + 1
    err = refused(directory)
    assert f"free_tiers.csv: row {rows}, column usage_type: 'ActionExecutionMinutes' already has a free-tier row" in err


def test_a_free_tier_pool_with_two_allowances(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "free_tiers.csv", set_cell(5, "allowance", "12000"))  # CodeBuild's pool is 6,000 s on row 4
    assert "free_tiers.csv: row 5, column allowance: 12000.0 differs from the first row of its group" in refused(
        directory
    )


def test_conflicting_compute_type_mappings(tmp_path: Path) -> None:
    directory = tables(tmp_path)

    def conflict(frame: pd.DataFrame) -> pd.DataFrame:
        again = frame.iloc[[0]].assign(usage_type="Build-Min:Linux:g1.large")
        return pd.concat([frame, again], ignore_index=True)

    edit(directory, "codebuild_compute_types.csv", conflict)
    rows = len(pd.read_csv(directory / "codebuild_compute_types.csv")) + 1
    err = refused(directory)
    assert (
        f"codebuild_compute_types.csv: row {rows}, column environment_type: 'LINUX_CONTAINER' is mapped a second" in err
    )


def test_an_unknown_billing_unit(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "codebuild_compute_types.csv", set_cell(2, "billing_unit", "Hour"))
    assert "codebuild_compute_types.csv: row 2, column billing_unit: 'Hour' is not Minute or Second" in refused(
        directory
    )


NOT_FINITE = "is not a finite number"


@pytest.mark.parametrize(
    ("value", "problem"), [("nan", NOT_FINITE), ("inf", NOT_FINITE), ("-0.01", "is below 0"), ("0.01$", NOT_FINITE)]
)
def test_impossible_prices(tmp_path: Path, value: str, problem: str) -> None:
    directory = tables(tmp_path)
    edit(directory, "codebuild.csv", set_cell(3, "price_usd", value))
    assert f"codebuild.csv: row 3, column price_usd: {value!r} {problem}" in refused(directory)


def test_overlapping_tiers(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "s3.csv", set_cell(3, "tier_start", "40000"))  # row 2 runs to 51,200 GB
    err = refused(directory)
    assert "s3.csv: row 3, column tier_start: tiers of TimedStorage-ByteHrs in us-east-1 do not run contiguously" in err


def test_repeated_tiers(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "s3.csv", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    assert "tiers of TimedStorage-ByteHrs in us-east-1 do not run contiguously" in refused(directory)


def test_a_tier_that_ends_where_it_starts(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "s3.csv", set_cell(2, "tier_end", "0"))
    assert "s3.csv: row 2, column tier_end: 0.0 is not above tier_start" in refused(directory)


def test_an_unknown_unit(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "lambda.csv", set_cell(2, "unit", "Requests"))
    assert "lambda.csv: row 2, column unit: 'Requests' is not a unit costkit bills in" in refused(directory)


@pytest.mark.parametrize("date", ["2026-02-30", "26-01-01", "soon"])
def test_bad_dates(tmp_path: Path, date: str) -> None:
    directory = tables(tmp_path)
    edit(directory, "codepipeline.csv", set_cell(2, "effective_date", date))
    assert f"codepipeline.csv: row 2, column effective_date: {date!r} is not a YYYY-MM-DD date" in refused(directory)


def test_an_unknown_service(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "codebuild.csv", set_cell(2, "service", "EC2"))
    assert "codebuild.csv: row 2, column service: 'EC2' is not one of" in refused(directory)


def test_a_region_listed_twice(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "regions.csv", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True))
    assert "regions.csv: row" in refused(directory)


def test_a_missing_column(tmp_path: Path) -> None:
    directory = tables(tmp_path)
    edit(directory, "free_tiers.csv", lambda f: f.drop(columns=["factor"]))
    assert "free_tiers.csv: missing column(s) factor" in refused(directory)
