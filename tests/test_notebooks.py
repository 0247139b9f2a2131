"""The notebooks in notebooks/ run top to bottom against the installed library, show their figures inline (an
image/png output in each), print the numbers the library computes for the same question, and are stored in git
with their outputs stripped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from costkit import Period, estimate, load_usage
from costkit.whatif import Scenario, compute, evaluate, pipeline_type, project, sweep

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED_NAMES = {"budget-planning.ipynb", "what-if-on-history.ipynb", "pipeline-deep-dive.ipynb"}
DECEMBER = Period.month(2026, 12)


def run(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[dict[str, Any]]]:
    """The notebook executed (inline backend, as in Jupyter): its printed text and every output."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert errors == []
    assert any("image/png" in o.get("data", {}) for o in outputs), "no inline figure"
    printed = "".join(o["text"] for o in outputs if o.get("output_type") == "stream")
    return printed, outputs


def test_the_three_notebooks_are_there_and_stored_without_outputs() -> None:
    assert {p.name for p in NOTEBOOKS} == EXPECTED_NAMES
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(c["outputs"] == [] and c["execution_count"] is None for c in code), path.name
        assert "matplotlib.use(" not in path.read_text()  # it would turn inline figures off


def test_budget_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    printed, _ = run(ROOT / "notebooks" / "budget-planning.ipynb", monkeypatch)
    usage_file = ROOT / "examples" / "mid-size-platform.yaml"
    baseline = estimate(usage_file, period=DECEMBER)
    assert f"Baseline: ${baseline.total:,.2f} per month" in printed
    months = project(baseline, months=12, growth=0.04, budget=260.0)
    assert f"Month 12 (2027-11): ${months['cost_usd'].iloc[-1]:,.2f}" in printed
    assert f"First month over the $260 budget: {months.first_over_budget}" in printed
    # checkout-service bills m whole minutes an execution; the other V2 pipelines use up the 100 free minutes and
    # legacy-billing the free V1 pipeline, so V1 ($1) and V2 (0.002 x m x executions) meet at 1 / (0.002 x m).
    runs = baseline.usage.runs.actions
    checkout = runs[(runs["pipeline"] == "checkout-service") & runs["charged"].astype(bool)]
    executions = load_usage(usage_file).spec.pipelines["checkout-service"].executions_per_month
    minutes_per_execution = float((checkout["count"] * checkout["billed"]).sum()) / executions
    assert f"Break-even: {1.00 / (0.002 * minutes_per_execution):,.1f} executions a month" in printed


def test_what_if_on_history(monkeypatch: pytest.MonkeyPatch) -> None:
    from costkit.collect.context import Window
    from costkit.collect.fake_account import fake_account
    from costkit.collect.run import CollectOptions, collect

    printed, _ = run(ROOT / "notebooks" / "what-if-on-history.ipynb", monkeypatch)
    october = Window.month(2026, 10)
    with fake_account(october) as session:
        snapshot = collect(
            session, CollectOptions(window=october, regions=["us-east-1", "ap-northeast-1"], cache_dir=None)
        )
    history = estimate(snapshot)
    assert f"October 2026 as measured: ${history.total:,.2f}" in printed
    result = evaluate(history, [Scenario.of("every pipeline on V1", pipeline_type("V1"))])
    v1 = result["every pipeline on V1"]
    assert v1.delta_usd is not None
    assert f"every pipeline on V1: ${v1.estimate.total:,.2f} ({v1.delta_usd:+,.2f})" in printed
    assert "Arm builds: $" in printed
    assert "(n/a (incomplete))" in printed


def test_pipeline_deep_dive(monkeypatch: pytest.MonkeyPatch) -> None:
    printed, _ = run(ROOT / "notebooks" / "pipeline-deep-dive.ipynb", monkeypatch)
    usage_file = ROOT / "examples" / "large-monorepo.yaml"
    baseline = estimate(usage_file, period=DECEMBER)
    per_pipeline = baseline.by_pipeline().set_index("pipeline")["total_usd"]
    for name, spec in load_usage(usage_file).spec.pipelines.items():
        total = float(per_pipeline[name])
        executions = spec.executions_per_month
        assert executions is not None
        assert f"{name}: ${total:,.2f} a month, ${total / executions:,.4f} per execution" in printed
    swept = sweep(baseline, lambda f: compute(duration_factor=f), [0.5, 1.5])
    low, high = swept["cost_usd"]
    assert f"At half the build time: ${low:,.2f}; at 1.5x: ${high:,.2f}" in printed
