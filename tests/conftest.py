"""Shared fixtures: golden usage files and a fixed billing period so results never depend on today."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from costkit import Estimate, Period, estimate

# No test reads the user's real price cache: every estimate uses the bundled tables unless a test refreshes
# into its own COSTKIT_CACHE_DIR (subprocesses inherit this too).
os.environ["COSTKIT_CACHE_DIR"] = tempfile.mkdtemp(prefix="costkit-test-cache-")

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).parent.parent / "examples"
NOVEMBER_2026 = Period.month(2026, 11)


def run(name: str, **options: object) -> Estimate:
    """Estimate a golden usage file for November 2026."""
    return estimate(GOLDEN / f"{name}.yaml", period=NOVEMBER_2026, **options)  # type: ignore[arg-type]


def line(result: Estimate, resource: str, usage_type: str | None = None, component: str | None = None) -> dict:
    """The single cost line of a resource (and usage type / component), as a dict."""
    rows = result.lines[result.lines["resource"] == resource]
    if usage_type is not None:
        rows = rows[rows["usage_type"] == usage_type]
    if component is not None:
        rows = rows[rows["component"] == component]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


@pytest.fixture
def november() -> Period:
    return NOVEMBER_2026
