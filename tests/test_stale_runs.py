"""Stale runs: an action execution still `InProgress`, or a build with no end, in a month that was over when
collected is billed at most to its timeout (pricing/run_timeouts.csv; the project's timeoutInMinutes).

Prices (us-east-1): CodePipeline V2 $0.002 per action minute, CodeBuild general1.small Linux $0.005 per minute;
free tier off so each figure is price x minutes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from costkit import load_pricebook
from costkit.estimate import estimate
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.observed import billed_actions, billed_builds

ACCOUNT, REGION = "111122223333", "us-east-1"
OCTOBER = (pd.Timestamp("2026-10-01", tz="UTC"), pd.Timestamp("2026-11-01", tz="UTC"))
V2_MINUTE, SMALL = 0.002, 0.005


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def run(act: str, category: str, provider: str, start: str, status: str = "InProgress") -> dict[str, Any]:
    """An action execution whose last status change came five minutes after it started."""
    return {
        "pipeline": "web", "execution_id": f"e-{act}", "action_execution_id": f"e-{act}-1", "stage": act,
        "action": act, "category": category, "owner": "AWS", "provider": provider, "start": at(start),
        "last_update": at(start) + pd.Timedelta(minutes=5), "status": status, "external_execution_id": None,
    }  # fmt: skip


def build(build_id: str, start: str, end: str | None, project: str = "api") -> dict[str, Any]:
    status = "IN_PROGRESS" if end is None else "SUCCEEDED"
    return {
        "project": project, "build_id": build_id, "build_number": 1, "status": status,
        "start": at(start), "end": at(end) if end else None, "compute_type": "BUILD_GENERAL1_SMALL",
        "environment_type": "LINUX_CONTAINER", "fleet_arn": None, "initiator": "alice", "from_pipeline": False,
        "provisioning_start": at(start), "billed_start": at(start), "billable_seconds": None,
    }  # fmt: skip


def snapshot(
    actions: list[dict[str, Any]],
    builds: list[dict[str, Any]],
    collected: str = "2026-11-02T00:00:00+00:00",
    window: tuple[pd.Timestamp, pd.Timestamp] = OCTOBER,
    declared: dict[str, int] | None = None,
) -> Snapshot:
    def table(records: list[dict[str, Any]]) -> pd.DataFrame:
        return pd.DataFrame([{**r, "account": ACCOUNT, "region": REGION} for r in records])

    pipelines = table([{"pipeline": "web", "pipeline_type": "V2", "execution_mode": "QUEUED", "version": 1,
                        "created": at("2025-01-01"), "updated": at("2025-01-01"), "artifact_buckets": "",
                        "has_triggers": False, "has_variables": False}])  # fmt: skip
    declarations = table(
        [{"pipeline": "web", "stage": a["stage"], "action": a["action"], "category": a["category"], "owner": "AWS",
          "provider": a["provider"], "timeout_minutes": (declared or {}).get(a["action"])} for a in actions]
    )  # fmt: skip
    projects = table([{"project": "api", "timeout_minutes": 60}])
    return Snapshot(
        tables={"pipelines": pipelines, "pipeline_actions": declarations, "action_executions": table(actions),
                "builds": table(builds), "projects": projects},
        manifest={"window": {"start": window[0].isoformat(), "end": window[1].isoformat()}, "created": collected},
    )  # fmt: skip


def test_a_stale_in_progress_action_in_a_closed_month_is_billed_to_its_action_type_timeout() -> None:
    # A CodeDeploy action started 10 Oct 00:00 and still "InProgress" when October was collected on 2 Nov:
    # AWS times it out after 5 days, so 5 x 1,440 = 7,200 minutes, not the 22 days (31,680) to the month's end.
    # A Lambda invoke started 20 Oct 12:00 stops at its 24 hours: 1,440 minutes.
    # A succeeded S3 deploy is billed as recorded: 5 minutes.
    actions = [
        run("Deploy", "Deploy", "CodeDeploy", "2026-10-10T00:00"),
        run("Notify", "Invoke", "Lambda", "2026-10-20T12:00"),
        run("Publish", "Deploy", "S3", "2026-10-05T00:00", status="Succeeded"),
    ]
    runs = billed_actions(snapshot(actions, []))
    assert runs["billed"].tolist() == [5 * 1440, 1440, 5]
    assert runs["stale"].tolist() == [True, True, False]
    result = estimate(snapshot(actions, []), free_tier=False)
    assert result.by_service()["CodePipeline"] == pytest.approx((7200 + 1440 + 5) * V2_MINUTE)


def test_a_stale_action_near_the_month_end_is_clipped_to_the_window_too() -> None:
    # An S3 deploy (timeout 90 minutes) left InProgress from 31 Oct 23:30: stale (it ended 1 Nov 01:00 at the
    # latest), and October bills only its first 30 minutes.
    runs = billed_actions(snapshot([run("Publish", "Deploy", "S3", "2026-10-31T23:30")], []))
    assert runs["billed"].tolist() == [30]
    assert runs["stale"].tolist() == [True]


def test_an_action_declaring_its_own_timeout_stops_there() -> None:
    # A CodeBuild action (table: 8 hours) whose declaration says timeoutInMinutes 45: 45 minutes billed.
    runs = billed_actions(
        snapshot([run("Build", "Build", "CodeBuild", "2026-10-03T08:00")], [], declared={"Build": 45})
    )
    assert runs["billed"].tolist() == [45]


def test_a_build_stuck_past_its_project_timeout_is_billed_to_the_timeout() -> None:
    # Project api times out builds after 60 minutes: a build started 20 Oct 10:00 and never ended bills
    # 60 minutes x $0.005 = $0.30; a finished 12-minute build bills 12 x $0.005 as before.
    builds = [build("api:stuck", "2026-10-20T10:00", None), build("api:ok", "2026-10-21T10:00", "2026-10-21T10:12")]
    billed = billed_builds(snapshot([], builds), load_pricebook())
    assert billed.set_index("build_id")["billed"].to_dict() == {"api:stuck": 60, "api:ok": 12}
    assert billed.set_index("build_id")["stale"].to_dict() == {"api:stuck": True, "api:ok": False}
    result = estimate(snapshot([], builds), free_tier=False)
    assert result.by_service()["CodeBuild"] == pytest.approx((60 + 12) * SMALL)


def test_a_build_of_an_unknown_project_is_capped_at_the_largest_timeout_a_project_may_set() -> None:
    # No project row: 2,160 minutes (36 hours) from 2 Oct 00:00.
    billed = billed_builds(snapshot([], [build("gone:1", "2026-10-02T00:00", None, project="gone")]), load_pricebook())
    assert billed["billed"].tolist() == [2160]


def test_in_an_open_window_running_runs_are_billed_to_the_collection_as_before() -> None:
    # November collected on 16 Nov 00:00, before the month ended: the S3 deploy started 15 Nov 00:00 is billed
    # to the collection (1,440 minutes, not its 90-minute timeout) and the running build is not counted yet.
    november = (at("2026-11-01"), at("2026-12-01"))
    open_month = snapshot(
        [run("Publish", "Deploy", "S3", "2026-11-15T00:00")],
        [build("api:running", "2026-11-15T10:00", None)],
        collected="2026-11-16T00:00:00+00:00",
        window=november,
    )
    runs = billed_actions(open_month)
    assert runs["billed"].tolist() == [1440]
    assert not runs["stale"].any()
    assert billed_builds(open_month, load_pricebook()).empty
    result = estimate(open_month, free_tier=False)
    assert "observed-stale-runs" not in {a["id"] for a in result.assumptions}
    assert result.options["data_quality"] == {"stale_action_executions": 0, "stale_builds": 0}


def test_the_assumptions_line_names_both_kinds_with_their_counts() -> None:
    actions = [
        run("Deploy", "Deploy", "CodeDeploy", "2026-10-10T00:00"),
        run("Notify", "Invoke", "Lambda", "2026-10-20"),
    ]
    result = estimate(snapshot(actions, [build("api:stuck", "2026-10-20T10:00", None)]), free_tier=False)
    text = {a["id"]: a["text"] for a in result.assumptions}["observed-stale-runs"]
    assert "2 CodePipeline action executions" in text
    assert "1 CodeBuild builds" in text
    assert result.options["data_quality"] == {"stale_action_executions": 2, "stale_builds": 1}
