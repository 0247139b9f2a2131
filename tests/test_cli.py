"""The CLI is a thin face: its JSON equals the library's, its errors are one clear line with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest
from conftest import EXAMPLES, GOLDEN, NOVEMBER_2026
from typer.testing import CliRunner

from costkit import estimate
from costkit.cli import app

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "estimate.schema.json").read_text())


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_cli_json_equals_library_and_follows_the_contract(example: str) -> None:
    code, out, _ = invoke("estimate", "--usage", str(EXAMPLES / example), "--format", "json", "--month", "2026-11")
    assert code == 0
    printed = json.loads(out)
    jsonschema.validate(printed, SCHEMA)
    library = estimate(EXAMPLES / example, period=NOVEMBER_2026).to_dict()
    assert printed == library
    assert printed["complete"] is True  # the bundled examples are fully priced


def test_missing_price_output_validates_too() -> None:
    code, out, _ = invoke("estimate", "-u", str(GOLDEN / "missing_prices.yaml"), "-f", "json")
    assert code == 0
    printed = json.loads(out)
    jsonschema.validate(printed, SCHEMA)
    assert printed["complete"] is False
    assert len(printed["missing_prices"]) == 2


def test_table_shows_services_total_free_tier_and_assumptions() -> None:
    code, out, _ = invoke("estimate", "-u", str(EXAMPLES / "small-team-v1.yaml"), "--month", "2026-11")
    assert code == 0
    for text in ("CodePipeline", "CodeBuild", "S3", "Total per month", "Free-tier credit", "Assumptions"):
        assert text in out
    # 2 active V1 pipelines - 1 free = $1.00; builds 60 x 4 + 45 x 3 = 375 min - 100 free = 275 x $0.005.
    assert re.search(r"CodePipeline subtotal\s*│\s*\$1\.00", out)
    assert re.search(r"CodeBuild subtotal\s*│\s*\$1\.38", out)


def test_markdown_and_csv_formats() -> None:
    code, out, _ = invoke("estimate", "-u", str(GOLDEN / "codebuild_rounding.yaml"), "-f", "markdown")
    assert code == 0
    assert "| CodeBuild | $5.10 |" in out  # 300 x $0.01 + 210 x $0.01
    code, out, _ = invoke("estimate", "-u", str(GOLDEN / "codebuild_rounding.yaml"), "-f", "csv")
    assert code == 0
    header, *lines = out.strip().splitlines()
    assert header.startswith("account,region,service,resource")
    assert len(lines) == 2
    rows = {row["resource"]: row for row in csv.DictReader(io.StringIO(out))}
    # per-build: 100 builds x ceil(2.1) = 3 min = 300 min; pre-rounded: 210 min as given; $0.01 a minute.
    for resource, minutes in (("per-build", 300), ("pre-rounded", 210)):
        row = rows[resource]
        assert row["service"] == "CodeBuild"
        assert row["usage_type"] == "Build-Min:Linux:g1.medium"
        assert float(row["quantity"]) == pytest.approx(minutes)
        assert float(row["unit_price_usd"]) == pytest.approx(0.01)
        assert float(row["cost_usd"]) == pytest.approx(minutes * 0.01)


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "estimate.json"
    code, out, _ = invoke("estimate", "-u", str(GOLDEN / "v2_rounding.yaml"), "-f", "json", "-o", str(target))
    assert code == 0
    assert out == ""
    assert json.loads(target.read_text())["total_usd"] == pytest.approx(2000 * 0.002)


def test_budget_gate_exit_codes() -> None:
    usage = str(GOLDEN / "v2_rounding.yaml")  # $4.00
    code, _, err = invoke("estimate", "-u", usage, "-f", "json", "--budget", "3.50")
    assert code == 3
    assert "over budget" in err
    assert "$0.50" in err
    code, _, err = invoke("estimate", "-u", usage, "-f", "json", "--budget", "5")
    assert code == 0
    assert "within budget" in err
    code, _, err = invoke("estimate", "-u", str(GOLDEN / "missing_prices.yaml"), "-f", "json", "--budget", "100")
    assert code == 4
    assert "lower bound" in err
    code, _, _ = invoke("estimate", "-u", str(GOLDEN / "missing_prices.yaml"), "-f", "json", "--strict")
    assert code == 4


def test_free_tier_flags_and_region_override() -> None:
    usage = str(GOLDEN / "two_accounts.yaml")
    assert json.loads(invoke("estimate", "-u", usage, "-f", "json")[1])["total_usd"] == 0
    off = json.loads(invoke("estimate", "-u", usage, "-f", "json", "--no-free-tier")[1])
    assert off["total_usd"] == pytest.approx(200 * 0.002)
    org = json.loads(invoke("estimate", "-u", usage, "-f", "json", "--free-tier-scope", "organization")[1])
    assert org["total_usd"] == pytest.approx(100 * 0.002)
    moved = json.loads(invoke("estimate", "-u", usage, "-f", "json", "--region", "eu-west-1")[1])
    assert {line["region"] for line in moved["lines"]} == {"eu-west-1"}
    assert "region-override" in {a["id"] for a in moved["assumptions"]}


def test_help_reads_well() -> None:
    code, out, _ = invoke("estimate", "--help")
    assert code == 0
    for option in ("--usage", "--format", "--free-tier", "--region", "--budget", "--output", "--fallback-region"):
        assert option in out
    assert "Exit codes" in out


def test_pricing_coverage_lists_missing_usage_types() -> None:
    code, out, _ = invoke("pricing", "coverage", "--region", "us-east-1")
    assert code == 0
    assert "Build-Min:Linux:g1.small" in out
    assert "missing" in out  # e.g. Lambda compute for CodeBuild has no shipped us-east-1 price
    code, out, _ = invoke("pricing", "coverage")
    assert code == 0
    assert "ap-northeast-1" in out


def test_pricing_refresh_rejects_unknown_services_before_calling_aws(tmp_path: Path) -> None:
    code, _, err = invoke("pricing", "refresh", "--out", str(tmp_path), "--services", "EC2")
    assert code == 2
    assert "unknown service 'EC2'" in err
