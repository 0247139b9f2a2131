"""Stale-run edges a mutation run of costkit/sources/snapshot/stale.py found untested: which timeout row an action
takes, when a window counts as closed (the collection time read in UTC, the window's end itself), a run stopping
exactly at the collection, a build's own timeout, snapshots without declarations. Each test says the bug it
catches; each passes on the code and fails on that bug.

Timeouts (pricing/run_timeouts.csv): CodeDeploy 7,200 minutes, S3 deploy 90, custom actions (owner Custom) 1,440,
any other action 60, a build with no project 2,160. See tests/test_stale_runs.py for the helpers.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_stale_runs import build, run, snapshot

from costkit import load_pricebook
from costkit.sources.snapshot.observed import billed_actions, billed_builds


def billed(actions: list[dict[str, Any]], **options: Any) -> pd.DataFrame:
    return billed_actions(snapshot(actions, [], **options)).set_index("action")


def test_an_action_without_a_row_of_its_own_takes_the_custom_or_the_default_timeout() -> None:
    """Bugs caught: a custom action (owner Custom) given the 60-minute default instead of its 1,440 minutes, or an
    unlisted AWS provider given another row's timeout."""
    jenkins = {**run("Jenkins", "Build", "JenkinsProvider", "2026-10-03T00:00"), "owner": "Custom"}
    scanner = run("Scan", "Test", "SomeScanner", "2026-10-04T00:00")  # AWS-owned, no row: `*,*,*`
    runs = billed([jenkins, scanner])
    # A custom action is not charged (0 billed minutes), but it ran for its timeout: what a V2 saving would see.
    assert runs.loc["Jenkins", "seconds"] == 1440 * 60
    assert runs.loc["Jenkins", "billed"] == 0
    assert runs.loc["Scan", "billed"] == 60
    assert runs["stale"].tolist() == [True, True]


def test_the_most_specific_timeout_row_wins_whatever_the_order_of_the_patterns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug caught: the timeout patterns tried in sorted order of their wildcard flags instead of fewest wildcards
    first, so `Deploy,*,*` (two wildcards) beats `*,AWS,CodeDeploy` (one)."""
    folder = tmp_path / "pricing"
    shutil.copytree(load_pricebook().directory, folder)
    table = pd.read_csv(folder / "run_timeouts.csv", dtype=str, keep_default_na=False)
    exact = (table["provider"] == "CodeDeploy") & (table["category"] == "Deploy")
    extra = pd.DataFrame(
        [
            {"kind": "action", "category": "Deploy", "owner": "*", "provider": "*", "timeout_minutes": "100"},
            {"kind": "action", "category": "*", "owner": "AWS", "provider": "CodeDeploy", "timeout_minutes": "200"},
        ]
    )
    pd.concat([table[~exact], extra], ignore_index=True).to_csv(folder / "run_timeouts.csv", index=False)
    monkeypatch.setenv("COSTKIT_PRICING_DIR", str(folder))
    runs = billed([run("Deploy", "Deploy", "CodeDeploy", "2026-10-10T00:00")])
    assert runs.loc["Deploy", "billed"] == 200


def test_a_window_counts_as_closed_from_the_moment_it_ends() -> None:
    """Bug caught: a window collected exactly at its end (or with no collection time) taken as still open, so a
    CodeDeploy action left InProgress from 10 Oct is billed the 31,680 minutes to the month's end, not its
    7,200-minute (5-day) timeout."""
    deploy = run("Deploy", "Deploy", "CodeDeploy", "2026-10-10T00:00")
    at_the_end = billed([deploy], collected="2026-11-01T00:00:00+00:00")
    assert at_the_end.loc["Deploy", "billed"] == 5 * 1440
    assert at_the_end.loc["Deploy", "stale"]
    undated = snapshot([deploy], [])
    del undated.manifest["created"]  # no collection time: the window is taken as closed
    assert billed_actions(undated)["billed"].tolist() == [5 * 1440]


def test_the_collection_time_is_read_in_utc() -> None:
    """Bugs caught: a collection time with an offset read as if it were UTC, or a naive one not read as UTC. An S3
    deploy (90-minute timeout) InProgress since 31 Oct 20:00 UTC: collected at 01:00+02:00 (23:00 UTC, before
    October ended) it is billed the 180 minutes to the collection; collected at 00:30 UTC (naive) October was
    closed and it is billed its 90 minutes, stale."""
    publish = run("Publish", "Deploy", "S3", "2026-10-31T20:00")
    still_open = billed([publish], collected="2026-11-01T01:00:00+02:00")
    assert still_open.loc["Publish", "billed"] == 180
    assert not still_open.loc["Publish", "stale"]
    naive = billed([publish], collected="2026-11-01T00:30:00")
    assert naive.loc["Publish", "billed"] == 90
    assert naive.loc["Publish", "stale"]


def test_a_run_reaching_its_timeout_exactly_at_the_collection_is_not_stale() -> None:
    """Bug caught: `cap <= collected` for stale: an S3 deploy started 31 Oct 23:00 whose 90 minutes end exactly at
    the collection (1 Nov 00:30) counted as stale; October bills its first 60 minutes either way."""
    runs = billed([run("Publish", "Deploy", "S3", "2026-10-31T23:00")], collected="2026-11-01T00:30:00+00:00")
    assert runs.loc["Publish", "billed"] == 60
    assert not runs.loc["Publish", "stale"]


def test_a_builds_own_timeout_wins_over_its_projects() -> None:
    """Bug caught: a build's own timeoutInMinutes ignored (the project's 60 minutes used): 30 minutes billed."""
    own = {**build("api:own", "2026-10-20T10:00", None), "timeout_minutes": 30}
    other = {**build("api:other", "2026-10-21T10:00", None), "timeout_minutes": None}
    runs = billed_builds(snapshot([], [own, other]), load_pricebook()).set_index("build_id")
    assert runs["billed"].to_dict() == {"api:own": 30, "api:other": 60}
    assert runs["stale"].to_dict() == {"api:own": True, "api:other": True}


def test_without_declared_timeouts_the_timeout_table_applies() -> None:
    """Bug caught: a snapshot with no pipeline_actions or projects table, or with those tables but no
    timeout_minutes column (collected before timeouts were recorded), failing or not falling back to the table's
    timeouts (CodeDeploy 7,200 minutes; a build 2,160)."""
    deploy = run("Deploy", "Deploy", "CodeDeploy", "2026-10-10T00:00")
    stuck = build("api:1", "2026-10-02T00:00", None)
    absent = snapshot([deploy], [stuck])
    del absent.tables["pipeline_actions"], absent.tables["projects"]
    older = snapshot([deploy], [stuck])
    older.tables["pipeline_actions"] = older.tables["pipeline_actions"].drop(columns="timeout_minutes")
    older.tables["projects"] = older.tables["projects"].drop(columns="timeout_minutes")
    for snap in (absent, older):
        assert billed_actions(snap)["billed"].tolist() == [5 * 1440]
        assert billed_builds(snap, load_pricebook())["billed"].tolist() == [2160]
