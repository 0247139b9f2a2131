"""Suggestions a person can read: grouped per rule with a rolled-up saving, `--top N` and `--min-saving USD`;
CSV and JSON keep every suggestion.

Worked by hand: two V2 pipelines in one account, alpha 1,000 and beta 500 action minutes a month, at $0.002 a
minute with 100 free minutes: (1,500 - 100) x $0.002 = $2.80. The account's first active V1 pipeline is free
and every other one costs $1.00.
- alpha to V1 alone: alpha free, beta (500 - 100) x $0.002 = $0.80, saving $2.80 - $0.80 = $2.00;
- beta to V1 alone: beta free, alpha (1,000 - 100) x $0.002 = $1.80, saving $2.80 - $1.80 = $1.00;
- both (the rule's rolled-up saving): one free, one at $1.00, saving $2.80 - $1.00 = $1.80, not $2.00 + $1.00.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from costkit import Period
from costkit.cli import app
from costkit.optimize import suggest

TWO_PIPELINES: dict[str, Any] = {
    "version": 1,
    "region": "us-east-1",
    "pipelines": {
        "alpha": {"type": "V2", "executions_per_month": 1000,
                  "actions": [{"name": "Build", "category": "Build", "minutes": 1}]},
        "beta": {"type": "V2", "executions_per_month": 500,
                 "actions": [{"name": "Build", "category": "Build", "minutes": 1}]},
    },
}  # fmt: skip


@pytest.fixture
def usage_file(tmp_path: Path) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(json.dumps(TWO_PIPELINES), encoding="utf-8")  # JSON is YAML
    return path


def test_a_rules_total_is_its_counted_suggestions_applied_together() -> None:
    found = suggest(TWO_PIPELINES, period=Period.month(2026, 11))
    assert found.baseline.total == pytest.approx((1500 - 100) * 0.002)
    assert [(item.id, item.monthly_saving_usd) for item in found.items] == [
        ("pipeline-type-v1-alpha", pytest.approx(2.80 - (500 - 100) * 0.002)),
        ("pipeline-type-v1-beta", pytest.approx(2.80 - (1000 - 100) * 0.002)),
    ]
    [total] = found.by_rule
    assert (total.rule, total.suggestions, total.counted) == ("pipeline-type", 2, 2)
    assert total.saving_usd == pytest.approx(2.80 - 1.00)
    assert found.combined_saving_usd == pytest.approx(2.80 - 1.00)
    assert [item.id for item in found.top(1)["pipeline-type"]] == ["pipeline-type-v1-alpha"]
    assert found.top(None, min_saving_usd=1.5)["pipeline-type"] == found.items[:1]
    document = found.to_dict()
    assert document["schema_version"] == 2
    assert document["by_rule"] == [
        {"rule": "pipeline-type", "suggestions": 2, "counted": 2, "saving_usd": pytest.approx(1.80)}
    ]


def test_the_table_shows_the_top_items_per_rule_and_says_what_it_left_out(usage_file: Path) -> None:
    result = CliRunner().invoke(app, ["suggest", "--usage", str(usage_file), "--month", "2026-11", "--top", "1"])
    assert result.exit_code == 0, result.output
    assert "pipeline-type: 2 suggestions (2 counted), $1.80/month with the counted ones applied together" in (
        result.output
    )
    assert "alpha" in result.output
    assert "Switch pipeline beta" not in result.output
    assert "1 smaller not shown: the CSV and JSON outputs list every suggestion" in result.output
    small = CliRunner().invoke(app, ["suggest", "--usage", str(usage_file), "--month", "2026-11", "-f", "markdown",
                                     "--min-saving", "1.50"])  # fmt: skip
    assert small.exit_code == 0, small.output
    assert "### pipeline-type: 2 suggestions (2 counted), $1.80/month" in small.output
    assert "1 under $1.50/month" in small.output
    assert "| $2.00 |" in small.output
    assert "| $1.00 |" not in small.output


def test_csv_and_json_keep_every_suggestion_whatever_the_view(usage_file: Path) -> None:
    base = ["suggest", "--usage", str(usage_file), "--month", "2026-11", "--top", "1", "--min-saving", "5"]
    as_json = CliRunner().invoke(app, [*base, "-f", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert [item["id"] for item in json.loads(as_json.output)["suggestions"]] == [
        "pipeline-type-v1-alpha",
        "pipeline-type-v1-beta",
    ]
    as_csv = CliRunner().invoke(app, [*base, "-f", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert len(as_csv.output.strip().splitlines()) == 1 + 2


@pytest.mark.parametrize("flag", [["--top", "-1"], ["--min-saving", "-0.01"], ["--top", "many"]])
def test_a_negative_or_unreadable_limit_is_refused_with_exit_2(usage_file: Path, flag: list[str]) -> None:
    result = CliRunner().invoke(app, ["suggest", "--usage", str(usage_file), *flag])
    assert result.exit_code == 2
