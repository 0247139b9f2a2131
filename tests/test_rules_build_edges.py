"""Build caching and Arm builds checked where a mutation run found them untested: phase timings longer than
the billed time, per-second (Lambda compute) builds, candidates numbered once some projects are not suggested,
builds that billed nothing or a single minute, projects with no builds and the order each project's builds are
added up in; the image read for a project listed twice, projects already on Arm and the note naming every Arm
usage type without a price.

Each expected figure is worked by hand as price x quantity. Prices (us-east-1): CodeBuild Linux general1.small
$0.005 and general1.medium $0.01 per minute, arm1.small $0.0034 (no arm1.medium rate in us-east-1); Lambda
compute 4 GB a made-up $0.00005 per second (a TEST figure: the shipped tables have no Lambda-compute price).
Free tiers off. Each test's docstring names the bug it catches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_checks import batch_matches_transform
from test_rules_builds_storage import (
    ACCOUNT,
    WINDOW,
    book_with,
    builds,
    context_for_snapshot,
    context_for_usage,
    price_row,
    project,
    usage_file,
)
from test_rules_runs import action as runs_action
from test_rules_runs import context as runs_context
from test_rules_runs import execution as runs_execution
from test_rules_runs import pipeline as runs_pipeline
from test_rules_runs import snapshot as runs_snapshot
from test_savings_by_hand import build_snapshot
from test_savings_edges import REGION, applied, rows_of

from costkit.optimize.base import Context, Suggestion
from costkit.optimize.rules import arm_builds, build_caching
from costkit.sources.snapshot.folder import Snapshot

SMALL, MEDIUM, SMALL_ARM = 0.005, 0.01, 0.0034
LAMBDA_4GB_RATE = 0.00005  # TEST figure per second, not a real price
LAMBDA_4GB = "Build-Sec:Linux:Lambda:x86-64.4GB"
CACHED = "with a build cache: INSTALL + DOWNLOAD_SOURCE + PRE_BUILD halved (assumed), each build rounded up"


def snapshot_of(rows: list[dict[str, Any]], *projects: dict[str, Any]) -> Snapshot:
    """A snapshot of these builds and project records, over October."""
    return Snapshot(
        tables={"builds": pd.DataFrame(rows), "projects": pd.DataFrame(list(projects))}, manifest={"window": WINDOW}
    )


def started_by(rows: list[dict[str, Any]], initiator: str) -> list[dict[str, Any]]:
    """The same builds started by someone else (`user/...`: outside any pipeline; `codepipeline/<name>`)."""
    return [{**row, "initiator": initiator} for row in rows]


def details(ctx: Context, suggestion: Suggestion, resource: str) -> list[tuple[object, float, str]]:
    """(pipeline, quantity, detail) of one resource's usage rows once the suggestion's own row edit is applied."""
    rows = applied(ctx, suggestion).usage_rows
    mine = rows[rows["resource"] == resource]
    return [
        (None if pd.isna(pipeline) else pipeline, float(quantity), str(detail))
        for pipeline, quantity, detail in zip(mine["pipeline"], mine["quantity"], mine["detail"], strict=True)
    ]


# --- build caching ----------------------------------------------------------------------------------------------


def test_build_caching_caps_the_cacheable_phases_at_the_billed_time() -> None:
    """Catches the cacheable phases not capped at the build's billed time (phase timings that add up to more
    than it, 300 s of INSTALL in a 200 s build): capped, 200 s are cacheable (100%), halved the build takes
    200 - 100 = 100 s = 2 billed minutes instead of ceil(200 / 60) = 4, 10 builds x 2 min x $0.01. Uncapped it
    would take 200 - 150 = 50 s = 1 minute and claim 150% of the time cacheable."""
    ctx = context_for_snapshot(build_snapshot(("web", 10, 200, (300, 0, 0), "BUILD_GENERAL1_MEDIUM")))
    [cache] = build_caching.rule(ctx)
    assert cache.monthly_saving_usd == pytest.approx(10 * (4 - 2) * MEDIUM)
    assert cache.evidence["cacheable_phase_seconds"] == 10 * 200.0
    assert cache.evidence["cacheable_share"] == 1.0
    assert (cache.evidence["billed_units_observed"], cache.evidence["billed_units_with_cache"]) == (10 * 4.0, 10 * 2.0)
    assert cache.confidence_reason.startswith("INSTALL + DOWNLOAD_SOURCE + PRE_BUILD take 100% of the billed build")
    assert [row["quantity"] for row in rows_of(applied(ctx, cache).usage_rows, "web")] == [10 * 2.0]
    batch_matches_transform(ctx, cache)


def test_build_caching_of_lambda_compute_rounds_each_build_to_a_second(tmp_path: Path) -> None:
    """Catches the cached builds billed per minute whatever their unit: Lambda compute bills whole seconds.
    10 builds of 100 s spend 40 + 10 + 10 s in the cacheable phases (60%); halved, a build takes 100 - 30 = 70 s:
    10 x 30 s x $0.00005 saved (per minute it would be 2 billed minutes a build against 100 billed seconds)."""
    book = book_with(tmp_path, price_row(LAMBDA_4GB, "Second", LAMBDA_4GB_RATE))
    lambda_project = {**project("web", "BUILD_LAMBDA_4GB"), "environment_type": "LINUX_LAMBDA_CONTAINER"}
    rows = builds("web", 10, 100, "BUILD_LAMBDA_4GB", phases=(40, 10, 10), environment="LINUX_LAMBDA_CONTAINER")
    ctx = context_for_snapshot(snapshot_of(rows, lambda_project), book)
    [cache] = build_caching.rule(ctx)
    assert cache.monthly_saving_usd == pytest.approx(10 * 30 * LAMBDA_4GB_RATE)
    assert cache.evidence["billed_units_observed"] == 10 * 100.0
    assert cache.evidence["billed_units_with_cache"] == 10 * 70.0
    assert cache.evidence["billing_unit"] == ["Second"]
    after = rows_of(applied(ctx, cache).usage_rows, "web")
    assert [(row["usage_type"], row["quantity"], row["unit"]) for row in after] == [(LAMBDA_4GB, 10 * 70.0, "Second")]
    batch_matches_transform(ctx, cache)


def test_build_caching_goes_on_past_projects_not_suggested() -> None:
    """Catches candidates looked up by their place among the chosen projects instead of their project number
    (the first uncached project, low, has no cacheable phase and is no candidate), the loop stopping at a
    candidate that saves nothing (tiny: 50 s builds, 30 s cacheable, 50 - 15 = 35 s still bill 1 minute each)
    instead of going on, and a project's account, region and name read from its second build (one has one).
    one: a 600 s build with 300 s cacheable takes 600 - 150 = 450 s = 8 billed minutes instead of 10."""
    snap = build_snapshot(
        ("low", 10, 600, (0, 0, 0), "BUILD_GENERAL1_MEDIUM"),
        ("tiny", 10, 50, (30, 0, 0), "BUILD_GENERAL1_MEDIUM"),
        ("one", 1, 600, (300, 0, 0), "BUILD_GENERAL1_MEDIUM"),
    )
    ctx = context_for_snapshot(snap)
    [cache] = build_caching.rule(ctx)
    assert cache.id == f"build-caching-{ACCOUNT}-{REGION}-one"
    assert cache.monthly_saving_usd == pytest.approx(1 * (10 - 8) * MEDIUM)
    assert (cache.evidence["builds"], cache.evidence["measured_build_seconds"]) == (1, 600.0)
    assert cache.exclusive == f"build-cache:{ACCOUNT}:{REGION}:one"
    assert ctx.notes == []
    assert rows_of(applied(ctx, cache).usage_rows, "tiny") == rows_of(ctx.rows, "tiny")
    batch_matches_transform(ctx, cache)


def test_build_caching_with_projects_but_no_builds_suggests_nothing() -> None:
    """Catches the rule going on when the snapshot lists an uncached project but no build ran in the window
    (only a pipeline's action minutes are billed): nothing to cache, no suggestion and no note."""
    snap = runs_snapshot(
        [runs_pipeline("p")],
        [runs_execution("p", "e0", "Succeeded", 1)],
        [runs_action("p", "e0", "Build", "Build", 1, 120)],
    )
    snap.tables["projects"] = pd.DataFrame([project("web", "BUILD_GENERAL1_MEDIUM")])
    ctx = runs_context(snap)
    assert build_caching.rule(ctx) == []
    assert ctx.notes == []


def test_build_caching_rows_of_builds_that_billed_nothing_or_a_single_minute() -> None:
    """Catches the usage row of builds that billed nothing rescaled by 0 / 0 (a 0 s build started by pipeline
    other-app: the saving becomes "a price is missing"), and the row of builds that billed one minute left out of
    the cached project (a 50 s build by hand: 30 s cacheable, 35 s cached, still 1 minute, but the row is the
    cached project's too). web-app's 10 builds of 300 s spend 120 + 30 + 30 s cacheable: 210 s = 4 minutes
    instead of 5, 10 x 1 min x $0.01; all 12 builds: 3,000 + 50 s measured, 1,800 + 30 s cacheable (60%)."""
    rows = builds("web", 10, 300, "BUILD_GENERAL1_MEDIUM", phases=(120, 30, 30))
    rows += started_by(builds("web", 1, 50, "BUILD_GENERAL1_MEDIUM", phases=(30, 0, 0), offset=200), "user/alice")
    rows += started_by(builds("web", 1, 0, "BUILD_GENERAL1_MEDIUM", offset=300), "codepipeline/other-app")
    ctx = context_for_snapshot(snapshot_of(rows, project("web", "BUILD_GENERAL1_MEDIUM")))
    [cache] = build_caching.rule(ctx)
    assert ctx.notes == []
    assert cache.monthly_saving_usd == pytest.approx(10 * (5 - 4) * MEDIUM)
    assert cache.confidence == "medium"
    assert {key: cache.evidence[key] for key in ("builds", "billed_units_observed", "billed_units_with_cache")} == {
        "builds": 12,
        "billed_units_observed": 10 * 5.0 + 1.0 + 0.0,
        "billed_units_with_cache": 10 * 4.0 + 1.0 + 0.0,
    }
    assert cache.evidence["measured_build_seconds"] == 10 * 300.0 + 50.0
    assert cache.evidence["cacheable_phase_seconds"] == 10 * 180.0 + 30.0
    assert sorted(details(ctx, cache, "web"), key=repr) == sorted(
        [
            ("web-app", 10 * 4.0, CACHED),
            (None, 1.0, CACHED),
            ("other-app", 0.0, "1 builds started by the pipeline, 0 min billed (each rounded up)"),
        ],
        key=repr,
    )
    batch_matches_transform(ctx, cache)


def test_build_caching_adds_each_projects_builds_in_the_order_listed() -> None:
    """Catches each project's builds put in another order by an unstable sort (the projects numbered in
    inventory order: b before a, whose builds the snapshot lists first): the evidence a user reads adds a's
    seconds as listed, 130.0 + 130.1 + 130.2 = 390.3 (in another order, 390.29999999999995). Each a build bills
    3 minutes; 80 s cacheable, halved, it takes 90.x s = 2 minutes: 3 x 1 min x $0.01."""
    rows = [
        {**row, "end": row["billed_start"] + pd.Timedelta(milliseconds=ms), "billable_seconds": ms / 1000,
         "build_s": ms / 1000 - 80}
        for row, ms in zip(builds("a", 3, 130, "BUILD_GENERAL1_MEDIUM", phases=(80, 0, 0)), [130_000, 130_100, 130_200],
                           strict=True)
    ]  # fmt: skip
    rows += builds("b", 3, 300, "BUILD_GENERAL1_MEDIUM", phases=(120, 30, 30), offset=50)
    ctx = context_for_snapshot(
        snapshot_of(rows, project("b", "BUILD_GENERAL1_MEDIUM"), project("a", "BUILD_GENERAL1_MEDIUM"))
    )
    found = {s.resources[0]: s for s in build_caching.rule(ctx)}
    assert list(found) == ["b", "a"]
    assert found["a"].evidence["measured_build_seconds"] == 390.3
    assert found["a"].evidence["cacheable_phase_seconds"] == 3 * 80.0
    assert found["a"].monthly_saving_usd == pytest.approx(3 * (3 - 2) * MEDIUM)
    assert found["b"].evidence["measured_build_seconds"] == 3 * 300.0


# --- Arm builds -------------------------------------------------------------------------------------------------


def test_arm_builds_reads_the_first_image_listed_for_a_project() -> None:
    """Catches a project's image taken from any but its first record (a project listed twice, first with a
    custom image, then with the AWS standard one): the custom image needs an arm64 build, so confidence is low.
    5 builds x 3 min from $0.005 to $0.0034."""
    listed = [
        {**project("lint", "BUILD_GENERAL1_SMALL"), "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1"},
        {**project("lint", "BUILD_GENERAL1_SMALL"), "image": "aws/codebuild/standard:7.0"},
    ]
    ctx = context_for_snapshot(snapshot_of(builds("lint", 5, 180, "BUILD_GENERAL1_SMALL"), *listed))
    [arm] = arm_builds.rule(ctx)
    assert arm.monthly_saving_usd == pytest.approx(5 * 3 * (SMALL - SMALL_ARM))
    assert (arm.confidence, arm.evidence["image"]) == ("low", "123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1")
    assert arm.confidence_reason == (
        "assumes the same build duration on Graviton; custom image 123456789012.dkr.ecr.us-east-1.amazonaws.com/ci:1 "
        "needs an arm64 build"
    )


def test_arm_builds_leave_a_project_already_on_arm() -> None:
    """Catches every CodeBuild row taken for a candidate, not only the Linux x86 ones with an Arm twin (armed
    already builds on ARM_CONTAINER: no twin to move to): lint alone moves, its 100 builds x 3 min = 300 min
    from $0.005 to $0.0034, and armed's rows stay as they are."""
    usage = usage_file(
        codebuild={
            "armed": {"compute_type": "BUILD_GENERAL1_SMALL", "environment_type": "ARM_CONTAINER",
                      "builds_per_month": 10, "minutes_per_build": 3},
            "lint": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 3},
        }
    )  # fmt: skip
    ctx = context_for_usage(usage)
    [arm] = arm_builds.rule(ctx)
    assert arm.id == "arm-builds-lint"
    assert arm.monthly_saving_usd == pytest.approx(300 * (SMALL - SMALL_ARM))
    assert arm.evidence == {
        "billed_minutes": 300.0,
        "usage_types": {"Build-Min:Linux:g1.small": "Build-Min:ARM:g1.small"},
        "image": None,
    }
    assert ctx.notes == []
    assert rows_of(applied(ctx, arm).usage_rows, "armed") == rows_of(ctx.rows, "armed")
    batch_matches_transform(ctx, arm)


def test_arm_builds_note_names_every_arm_type_a_project_lacks_a_price_for() -> None:
    """Catches the note of a project built on two compute types (general1.small and general1.medium: no
    arm1.medium rate in us-east-1) naming its Arm usage types wrongly joined: 3 small and 2 medium builds of
    2 min, not suggested, noted with both types in the order its rows list them."""
    rows = builds("mixed", 3, 120, "BUILD_GENERAL1_SMALL") + builds("mixed", 2, 120, "BUILD_GENERAL1_MEDIUM", offset=10)
    ctx = context_for_snapshot(snapshot_of(rows, project("mixed", "BUILD_GENERAL1_SMALL")))
    assert [(row["usage_type"], row["quantity"]) for row in rows_of(ctx.rows, "mixed")] == [
        ("Build-Min:Linux:g1.small", 3 * 2.0),
        ("Build-Min:Linux:g1.medium", 2 * 2.0),
    ]
    assert arm_builds.rule(ctx) == []
    assert ctx.notes == [
        "mixed: no published Arm price for Build-Min:ARM:g1.small, Build-Min:ARM:g1.medium in us-east-1"
    ]
