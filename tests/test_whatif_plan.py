"""Measured history as a budget plan: `to_usage_file` writes a planned usage file that prices to the same total,
per-execution rounding kept by grouping each action's executions by the whole minutes they billed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_whatif import BOOK
from test_whatif_builders import observed  # noqa: F401  (the fixture)

from costkit import Estimate, Period, estimate
from costkit.whatif import to_usage_file

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_a_snapshot_becomes_an_equivalent_usage_file(observed: Estimate, tmp_path: Path) -> None:  # noqa: F811
    plan = to_usage_file(observed, tmp_path / "plan.yaml")
    written = yaml.safe_load((tmp_path / "plan.yaml").read_text())
    web = written["pipelines"]["web"]
    # 8 executions: 7 billed ceil(61 s) = 2 min, the abandoned one ceil(10 s) = 1 min
    assert web["type"] == "V2"
    assert web["executions_per_month"] == 8
    assert web["actions"] == [
        {"name": "Build", "category": "Build", "minutes": 2, "runs_per_execution": 7 / 8},
        {"name": "Build", "category": "Build", "minutes": 1, "runs_per_execution": 1 / 8},
    ]
    assert written["codebuild"]["b"]["build_minutes_per_month"] == 5 * 2  # 5 builds x ceil(90 s)
    assert written["lambda"]["f"] == {"memory_mb": 128, "architecture": "x86_64", "requests_per_month": 1_000_000,
                                      "duration_ms": 100}  # fmt: skip
    assert written["s3"]["artifacts"] == {"storage_class": "STANDARD", "storage_gb": 100}
    assert plan.omitted == []
    planned = estimate(tmp_path / "plan.yaml", period=NOVEMBER_2026, free_tier=False, pricebook=BOOK)
    assert planned.total == pytest.approx(observed.total, rel=1e-12)
    assert list(planned.by_service()) == pytest.approx(list(observed.by_service()), rel=1e-12)


NOVEMBER_2026 = Period.month(2026, 11)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_a_usage_file_round_trips(example: str) -> None:
    result = estimate(EXAMPLES / example, period=NOVEMBER_2026, pricebook=BOOK)
    again = estimate(to_usage_file(result).data, period=NOVEMBER_2026, pricebook=BOOK)
    assert again.total == pytest.approx(result.total, rel=1e-12)
