"""A Change that edits which executions ran moves what a snapshot derives from executions: a V1 pipeline's
`active`, the artifact requests (executions x actions), the buckets' storage shares and the functions' shares
(sources/snapshot/observed.py `follow_executions`, called by Change.transform). Numbers worked by hand.

Prices (us-east-1, pricing/): V1 active pipeline-month $1.00; S3 Standard $0.023 per GB-month, PUT (Tier1)
$0.005 and GET (Tier2) $0.0004 per 1,000 requests; Lambda $0.20 per million requests and $0.0000166667 per
GB-second (x86). Free tiers off throughout.
"""

from __future__ import annotations

import pandas as pd
import pytest

from costkit import Estimate, Usage, estimate, load_pricebook, load_snapshot
from costkit.change import Change
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.observed import follow_executions

START, END = pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC")
HERE = {"account": "111122223333", "region": "us-east-1"}
GIB = 1024**3
V1_MONTH, GB_MONTH, PUT, GET = 1.00, 0.023, 0.005 / 1000, 0.0004 / 1000
PER_REQUEST, GB_SECOND = 0.20 / 1_000_000, 0.0000166667
# web (V2): Source, Build, Notify (invokes `notify`); legacy (V1): Source, Notify. Both store in `artifacts`.
ACTIONS = {"web": [("Source", "Source"), ("Build", "Build"), ("Notify", "Invoke")],
           "legacy": [("Source", "Source"), ("Notify", "Invoke")]}  # fmt: skip
RUNS = {"web": 40, "legacy": 20}


def snapshot() -> Snapshot:
    """October 2026, closed: web ran 40 times, legacy 20; `artifacts` holds 60 GB; `notify` was invoked 6,000
    times (128 MB, 100 ms on average)."""
    old = START - pd.Timedelta(days=400)
    pipelines = [{**HERE, "pipeline": name, "pipeline_type": kind, "execution_mode": "SUPERSEDED", "created": old,
                  "artifact_buckets": "artifacts", "has_triggers": False, "has_variables": False}
                 for name, kind in (("web", "V2"), ("legacy", "V1"))]  # fmt: skip
    actions = [{**HERE, "pipeline": name, "stage": action, "action": action, "category": category, "owner": "AWS",
                "provider": "Lambda" if category == "Invoke" else "CodeBuild",
                "function_name": "notify" if category == "Invoke" else None}
               for name, acts in ACTIONS.items() for action, category in acts]  # fmt: skip
    executions, action_runs = [], []
    for name, count in RUNS.items():
        for number in range(count):
            start = START + pd.Timedelta(hours=6 * number + 1)
            run_id = f"{name}-{number}"
            status = "Failed" if name == "web" and number % 2 else "Succeeded"
            executions.append({**HERE, "pipeline": name, "execution_id": run_id, "status": status,
                               "trigger_type": "Webhook", "start": start,
                               "last_update": start + pd.Timedelta(minutes=3)})  # fmt: skip
            action_runs += [{**HERE, "pipeline": name, "execution_id": run_id, "action_execution_id": f"{run_id}-{a}",
                             "stage": a, "action": a, "category": c, "owner": "AWS", "provider": "CodeBuild",
                             "start": start, "last_update": start + pd.Timedelta(seconds=60), "status": status,
                             "external_execution_id": None} for a, c in ACTIONS[name]]  # fmt: skip
    tables = {
        "pipelines": pd.DataFrame(pipelines),
        "pipeline_actions": pd.DataFrame(actions),
        "pipeline_executions": pd.DataFrame(executions),
        "action_executions": pd.DataFrame(action_runs),
        "bucket_storage": pd.DataFrame(
            [
                {
                    **HERE,
                    "bucket": "artifacts",
                    "storage_type": "StandardStorage",
                    "avg_bytes": 60 * GIB,
                }
            ]
        ),
        "functions": pd.DataFrame(
            [
                {
                    **HERE,
                    "function": "notify",
                    "memory_mb": 128,
                    "architecture": "x86_64",
                    "ephemeral_storage_mb": 512,
                    "found": True,
                }
            ]
        ),
        "function_metrics": pd.DataFrame(
            [{**HERE, "function": "notify", "invocations": 6000.0, "duration_ms_avg": 100.0}]
        ),
    }
    window = {"start": START.isoformat(), "end": END.isoformat()}
    return Snapshot(tables=tables, manifest={"window": window, "created": END.isoformat()})


def dropped(keep: str) -> Change:
    """Executions not matching the pandas query `keep` removed, with their action executions."""

    def edit(usage: Usage) -> Usage:
        runs = usage.runs
        runs.executions = runs.executions.query(keep)
        runs.actions = runs.actions[runs.actions["execution_id"].isin(runs.executions["execution_id"])]
        return usage

    return Change(f"only executions where {keep}", edit=edit)


def by(estimate_lines: pd.DataFrame, usage_type: str) -> pd.Series:
    lines = estimate_lines[estimate_lines["usage_type"] == usage_type]
    return lines.groupby("pipeline")["quantity"].sum()


@pytest.fixture(scope="module")
def baseline() -> Estimate:
    return estimate(load_snapshot(snapshot(), pricebook=load_pricebook()), free_tier=False)


def test_the_baseline_derives_requests_and_shares_from_executions(baseline: Estimate) -> None:
    lines = baseline.lines
    # PUTs: one per Source/Build action execution; GETs: one per later non-approval action execution.
    # web: 40 x 2 PUT, 40 x 2 GET (Build, Notify); legacy: 20 x 1 PUT, 20 x 1 GET (Notify).
    assert by(lines, "Requests-Tier1").to_dict() == {"legacy": 20.0, "web": 80.0}
    assert by(lines, "Requests-Tier2").to_dict() == {"legacy": 20.0, "web": 80.0}
    # 60 GB split 40:20 by executions; notify's 6,000 invocations split 40:20 by Notify runs.
    assert by(lines, "TimedStorage-ByteHrs").to_dict() == pytest.approx({"legacy": 20.0, "web": 40.0})
    assert by(lines, "Request").to_dict() == pytest.approx({"legacy": 2000.0, "web": 4000.0})
    legacy = lines.loc[lines["pipeline"] == "legacy", "cost_usd"].sum()
    assert legacy == pytest.approx(
        V1_MONTH + 20 * PUT + 20 * GET + 20 * GB_MONTH + 2000 * PER_REQUEST + 2000 * 0.1 * 0.125 * GB_SECOND
    )


def test_removing_every_run_of_a_v1_pipeline_ends_its_pipeline_month_requests_and_shares(baseline: Estimate) -> None:
    after = dropped("pipeline != 'legacy'").apply(baseline)
    lines = after.lines
    # legacy ran no code change in October: no V1 pipeline-month ($1 gone), no artifact requests.
    assert not after.usage.inventory.pipelines.set_index("pipeline").loc["legacy", "active"]
    assert by(lines, "Requests-Tier1").to_dict() == {"web": 80.0}
    assert by(lines, "Requests-Tier2").to_dict() == {"web": 80.0}
    # The 60 GB stored stay (a level); web's executions are now all the bucket's.
    assert by(lines, "TimedStorage-ByteHrs").to_dict() == pytest.approx({"legacy": 0.0, "web": 60.0})
    # notify's invocations per Notify run stay as observed (6,000 / 60 = 100): legacy's 2,000 are gone.
    assert by(lines, "Request").to_dict() == pytest.approx({"legacy": 0.0, "web": 4000.0})
    saved = baseline.total - after.total
    assert saved == pytest.approx(V1_MONTH + 20 * PUT + 20 * GET + 2000 * PER_REQUEST + 2000 * 0.1 * 0.125 * GB_SECOND)
    by_service = {k: baseline.by_service()[k] - v for k, v in after.by_service().items()}
    assert by_service["CodePipeline"] == pytest.approx(V1_MONTH)
    assert by_service["S3"] == pytest.approx(20 * PUT + 20 * GET)  # storage only moved between pipelines


def test_fewer_executions_of_a_v2_pipeline_make_fewer_requests(baseline: Estimate) -> None:
    after = dropped("status == 'Succeeded'").apply(baseline)
    lines = after.lines
    # web keeps its 20 succeeded executions: 20 x 2 PUT and 20 x 2 GET; legacy (all succeeded) is unchanged.
    assert by(lines, "Requests-Tier1").to_dict() == {"legacy": 20.0, "web": 40.0}
    assert by(lines, "Requests-Tier2").to_dict() == {"legacy": 20.0, "web": 40.0}
    # 60 GB now split 20:20; notify: 100 invocations per Notify run x 20 runs each.
    assert by(lines, "TimedStorage-ByteHrs").to_dict() == pytest.approx({"legacy": 30.0, "web": 30.0})
    assert by(lines, "Request").to_dict() == pytest.approx({"legacy": 2000.0, "web": 2000.0})
    s3 = baseline.by_service()["S3"] - after.by_service()["S3"]
    assert s3 == pytest.approx(40 * PUT + 40 * GET)
    assert after.usage.inventory.pipelines.set_index("pipeline").loc["legacy", "active"]


def test_an_edit_that_keeps_the_executions_derives_nothing_again() -> None:
    usage = load_snapshot(snapshot(), pricebook=load_pricebook())
    edited = usage.copy()
    edited.inventory.functions["memory_mb"] = 256
    assert follow_executions(usage, edited) is edited
    assert edited.inventory.buckets.equals(usage.inventory.buckets)
    assert list(edited.inventory.functions["share"]) == list(usage.inventory.functions["share"])
