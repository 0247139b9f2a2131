"""The golden cases, observed: each golden usage file's planned runs become a snapshot (one action execution or
build per planned run, lasting the stated average), and the DuckDB engine prices that snapshot line by line as
the pandas engine does. Its CodePipeline and CodeBuild quantities are the golden file's own, so the SQL bills
the golden cases as tests/test_golden.py works them out by hand (e.g. v2_rounding: 500 x (ceil 0.3 min = 1 +
ceil 2.01 min = 3) = 2,000 minutes). Lambda and S3 are not run tables: both engines price them in pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import GOLDEN, NOVEMBER_2026
from test_duckdb_engine import assert_same

from costkit.estimate import Estimate, estimate
from costkit.sources.snapshot.folder import Snapshot, write

WINDOW = NOVEMBER_2026
START = pd.Timestamp(WINDOW.start)
RUN_SERVICES = ["CodePipeline", "CodeBuild"]


def _account(values: pd.Series) -> pd.Series:
    """A usage file's account names as 12-digit ids (a snapshot's accounts are ids): "planned" -> 000000000000."""
    return values.where(values.astype(str).str.fullmatch("[0-9]{12}"), "000000000000")


def _expanded(runs: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """One row per planned run, a minute apart from the window's start, lasting the planned seconds."""
    runs = runs.reset_index(drop=True).assign(account=_account(runs["account"].reset_index(drop=True)))
    counts = runs["count"].to_numpy(dtype=float)
    assert np.allclose(counts, np.round(counts)), "planned runs come in whole numbers"
    repeated = runs.loc[runs.index.repeat(np.round(counts).astype(int))].reset_index(drop=True)
    begin = START + pd.to_timedelta(np.arange(len(repeated)) * 60, unit="s")
    finish = begin + pd.to_timedelta(repeated["seconds"].to_numpy(dtype=float), unit="s")
    ids = pd.Series([f"{prefix}-{i}" for i in range(len(repeated))])
    return repeated.assign(start=begin, finish=finish, ident=ids)


def as_snapshot(planned: Estimate) -> Snapshot:
    acts = _expanded(planned.runs.actions, "ae")
    actions = pd.DataFrame({
        "account": acts["account"], "region": acts["region"], "pipeline": acts["pipeline"],
        "execution_id": acts["ident"], "action_execution_id": acts["ident"],
        "stage": acts["stage"].astype(object).fillna(acts["action"]).astype(str), "action": acts["action"],
        "category": acts["category"], "owner": acts["owner"], "provider": "Planned", "status": "Succeeded",
        "start": acts["start"], "last_update": acts["finish"],
    })  # fmt: skip
    made = _expanded(planned.runs.builds, "b")
    builds = pd.DataFrame({
        "account": made["account"], "region": made["region"], "project": made["project"], "build_id": made["ident"],
        "status": "SUCCEEDED", "start": made["start"], "end": made["finish"], "billed_start": made["start"],
        "compute_type": made["compute_type"], "environment_type": made["environment_type"], "initiator": "alice",
        "fleet_arn": None,
    })  # fmt: skip
    v1 = planned.lines[planned.lines["usage_type"].isin(["ActivePipeline", "TrialPipeline"])]
    types = planned.inventory.pipelines
    trial = types["pipeline"].isin(v1.loc[v1["usage_type"] == "TrialPipeline", "resource"])
    pipelines = types.assign(
        account=_account(types["account"]),
        pipeline_type=types["type"],
        created=np.where(trial, START + pd.Timedelta(days=20), pd.Timestamp("2025-01-01", tz="UTC")),
        artifact_buckets="",
    )[["account", "region", "pipeline", "pipeline_type", "created", "artifact_buckets"]]
    pipelines["created"] = pd.to_datetime(pipelines["created"], utc=True)
    ran = v1[v1["quantity"] > 0]
    executions = pd.DataFrame({
        "account": _account(ran["account"]).to_numpy(), "region": ran["region"].to_numpy(),
        "pipeline": ran["resource"].to_numpy(),
        "execution_id": [f"v1-{i}" for i in range(len(ran))],
        "start": START + pd.Timedelta(days=25), "last_update": START + pd.Timedelta(days=25, minutes=5),
    })  # fmt: skip
    tables = {"pipelines": pipelines, "pipeline_executions": executions, "action_executions": actions, "builds": builds}
    manifest = {"window": {"start": WINDOW.start.isoformat(), "end": WINDOW.end.isoformat()},
                "created": (WINDOW.end + pd.Timedelta(days=1)).isoformat()}  # fmt: skip
    return Snapshot(tables={k: v for k, v in tables.items() if not v.empty}, manifest=manifest)


def _quantities(result: Estimate, resources: set[str]) -> pd.Series:  # type: ignore[type-arg]
    """CodePipeline and CodeBuild quantities of the resources that have runs (a usage file may also state
    build minutes already rounded, which are rows, not runs)."""
    lines = result.lines[result.lines["service"].isin(RUN_SERVICES) & result.lines["resource"].isin(resources)]
    lines = lines.assign(account=_account(lines["account"]))
    return lines.groupby(["account", "region", "service", "resource", "usage_type"])["quantity"].sum()


@pytest.mark.parametrize("name", sorted(path.stem for path in GOLDEN.glob("*.yaml")))
def test_a_golden_case_observed_prices_the_same_in_both_engines(name: str, tmp_path: Path) -> None:
    planned = estimate(GOLDEN / f"{name}.yaml", period=NOVEMBER_2026)
    folder = write(as_snapshot(planned), tmp_path / name)
    by_pandas = estimate(folder, period=NOVEMBER_2026, free_tier=False)
    by_duckdb = estimate(folder, period=NOVEMBER_2026, free_tier=False, engine="duckdb")
    assert_same(by_pandas, by_duckdb)
    resources = {
        *planned.runs.actions["pipeline"],
        *planned.runs.builds["project"],
        *planned.inventory.pipelines["pipeline"],
    }
    assert _quantities(by_duckdb, resources).to_dict() == _quantities(planned, resources).to_dict()


def test_the_v2_rounding_case_bills_its_hand_worked_minutes(tmp_path: Path) -> None:
    planned = estimate(GOLDEN / "v2_rounding.yaml", period=NOVEMBER_2026)
    folder = write(as_snapshot(planned), tmp_path / "v2")
    result = estimate(folder, period=NOVEMBER_2026, free_tier=False, engine="duckdb")
    # 500 executions x (Lint 0.3 min -> 1 + Package 2.01 min -> 3) = 2,000 minutes x $0.002.
    assert result.by_service()["CodePipeline"] == pytest.approx(500 * (1 + 3) * 0.002)
