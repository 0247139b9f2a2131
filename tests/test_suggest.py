"""Savings suggestions on a crafted usage file, with every saving worked out by hand, and the check
that each suggestion's change, applied to the usage file, reproduces the re-priced estimate.

us-east-1 prices: V2 $0.002 per action minute (100 free per account), V1 $1 per active pipeline-month
(1 free per account); CodeBuild general1.small $0.005, arm1.small $0.0034 per minute (100 free minutes);
Lambda x86 $0.0000166667, Arm $0.0000133334 per GB-s (400,000 free), $0.20 per million requests (1 M free).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, NOVEMBER_2026
from typer.testing import CliRunner

from costkit import estimate
from costkit.change import apply_patch
from costkit.cli import app
from costkit.optimize import suggest

USAGE: dict[str, Any] = {
    "version": 1,
    "pipelines": {
        "busy": {
            "type": "V2",
            "executions_per_month": 1000,
            "actions": [{"name": "Build", "category": "Build", "minutes": 4.5}],
        },
        "gated": {
            "type": "V2",
            "execution_mode": "QUEUED",
            "executions_per_month": 200,
            "actions": [{"name": "Build", "category": "Build", "minutes": 3}],
        },
        "legacy": {
            "type": "V1",
            "executions_per_month": 20,
            "actions": [{"name": "Build", "category": "Build", "minutes": 2}],
        },
    },
    "codebuild": {
        "small-linux": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 3},
        "medium-linux": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 10, "minutes_per_build": 3},
    },
    "lambda": {"heavy": {"memory_mb": 1024, "requests_per_month": 3_000_000, "duration_ms": 1000}},
}


def by_id(found: Any) -> dict[str, Any]:
    return {item.id: item for item in found.items}


def test_pipeline_type_savings_with_shared_free_allowances() -> None:
    found = by_id(suggest(USAGE, period=NOVEMBER_2026))
    # Baseline pipelines: V2 (1000 x 5 + 200 x 3 - 100 free) x $0.002 = $11.00; legacy V1 uses the free pipeline.
    # busy as V1: two V1 pipelines - 1 free = $1, gated (600 - 100) x $0.002 = $1.00: $2.00 in all.
    assert found["pipeline-type-v1-busy"].monthly_saving_usd == pytest.approx(11.00 - 2.00)
    assert found["pipeline-type-v1-busy"].confidence == "high"
    # gated would save, but QUEUED mode exists only on V2; legacy as V2 would cost more (40 more minutes).
    assert "pipeline-type-v1-gated" not in found
    assert "pipeline-type-v2-legacy" not in found


def test_queued_pipeline_is_explained_instead_of_suggested() -> None:
    notes = suggest(USAGE, period=NOVEMBER_2026).notes
    assert any("gated" in note and "QUEUED" in note for note in notes)


def test_arm_builds_where_the_arm_rate_is_published() -> None:
    result = suggest(USAGE, period=NOVEMBER_2026)
    found = by_id(result)
    # 300 small minutes, 100 free: (300 - 100) x ($0.005 - $0.0034).
    assert found["arm-builds-small-linux"].monthly_saving_usd == pytest.approx(200 * (0.005 - 0.0034))
    assert "arm-builds-medium-linux" not in found  # no published arm1.medium rate in us-east-1
    assert any("medium-linux" in note for note in result.notes)


def test_lambda_arm64() -> None:
    found = by_id(suggest(USAGE, period=NOVEMBER_2026))
    # 3,000,000 x 1 s x 1 GB = 3 M GB-s, 400,000 free; requests are priced the same on both.
    expected = (3_000_000 - 400_000) * (0.0000166667 - 0.0000133334)
    assert found["lambda-arm64-heavy"].monthly_saving_usd == pytest.approx(expected)


def test_combined_saving_applies_the_counted_suggestions_together() -> None:
    result = suggest(USAGE, period=NOVEMBER_2026)
    combined = 9.00 + 200 * (0.005 - 0.0034) + (3_000_000 - 400_000) * (0.0000166667 - 0.0000133334)
    assert result.combined_saving_usd == pytest.approx(combined)


@pytest.mark.parametrize("source", ["crafted", *sorted(p.name for p in EXAMPLES.glob("*.yaml"))])
def test_each_change_applied_to_the_usage_file_reproduces_its_saving(source: str) -> None:
    import yaml

    usage = USAGE if source == "crafted" else yaml.safe_load((EXAMPLES / source).read_text())
    result = suggest(usage, period=NOVEMBER_2026)
    before = result.baseline.total
    assert result.items, "every example should get at least one suggestion"
    for item in result.items:
        assert item.usage_patch, item.id
        after = estimate(apply_patch(usage, item.usage_patch), period=NOVEMBER_2026)
        assert before - after.total == pytest.approx(item.monthly_saving_usd), item.id


def test_cli_json_equals_the_library(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(json.dumps(USAGE))  # JSON is YAML
    printed = CliRunner().invoke(app, ["suggest", "--usage", str(path), "--format", "json", "--month", "2026-11"])
    assert printed.exit_code == 0, printed.output
    library = suggest(path, period=NOVEMBER_2026).to_dict()
    assert json.loads(printed.stdout) == json.loads(json.dumps(library))
    table = CliRunner().invoke(app, ["suggest", "--usage", str(path), "--month", "2026-11"], env={"COLUMNS": "200"})
    assert "Switch pipeline busy to V1" in table.stdout
    assert "$9.00" in table.stdout


def test_json_follows_the_documented_contract_on_the_demo_and_the_examples(tmp_path: Path) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "docs" / "suggest.schema.json").read_text())
    for example in sorted(EXAMPLES.glob("*.yaml")):
        jsonschema.validate(json.loads(suggest(example, period=NOVEMBER_2026).to_json()), schema)
    out = tmp_path / "snap"
    assert CliRunner().invoke(app, ["collect", "--demo", "--month", "2026-10", "--out", str(out), "-q"]).exit_code == 0
    printed = CliRunner().invoke(app, ["suggest", "--snapshot", str(out), "--format", "json"])
    assert printed.exit_code == 0, printed.output
    found = json.loads(printed.stdout)
    jsonschema.validate(found, schema)
    assert {s["rule"] for s in found["suggestions"]} >= {"artifact-lifecycle", "rounding-waste", "arm-builds"}
    # Suggestions that exclude each other are never both counted.
    counted = [s["exclusive"] for s in found["suggestions"] if s["counted"]]
    assert len(counted) == len(set(counted))


def test_notebook_api_returns_the_suggestions_as_a_dataframe() -> None:
    result = suggest(EXAMPLES / "mid-size-platform.yaml", period=NOVEMBER_2026)
    table = result.table
    assert list(table["id"]) == [item.id for item in result.items]
    assert table["monthly_saving_usd"].tolist() == [item.monthly_saving_usd for item in result.items]


def test_a_saving_too_small_to_show_becomes_a_note_even_with_braces_in_it() -> None:
    from costkit import load_pricebook
    from costkit.optimize.base import Context

    book = load_pricebook()
    ctx = Context(baseline=estimate(USAGE, period=NOVEMBER_2026, pricebook=book), pricebook=book)
    unchanged = ctx.judge(
        ctx.saving(lambda rows: rows), unpriced="never", too_small="x ({'Failed': 2}) saves ${saving}/month"
    )
    assert unchanged is None
    assert ctx.notes == ["x ({'Failed': 2}) saves $0.00/month"]
