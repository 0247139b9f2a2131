"""Savings rules for builds and storage: build caching, right-sizing, artifact lifecycle, and the two compute
changes costkit cannot price with its shipped tables (CodeBuild Lambda compute, reserved-capacity fleets).

Every expected saving is written out as price x quantity. Prices (us-east-1): CodeBuild Linux general1.small
$0.005, medium $0.01, large $0.02 per minute; S3 Standard $0.023 and Standard-IA $0.0125 per GB-month,
Transition-SIA $0.01 per 1,000 objects. Free tiers off (free_tier=False) to keep the arithmetic plain.
Lambda-compute and fleet prices are NOT in the shipped tables: the priced cases add a made-up test row.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from batch_checks import wiring_reprice_matches_saving

from costkit import Period
from costkit.estimate import Estimate, estimate
from costkit.optimize import suggest
from costkit.optimize.base import Context, Suggestion
from costkit.optimize.rules import artifact_lifecycle, build_caching, not_priced, right_size
from costkit.sources.snapshot.folder import Snapshot
from costkit.tables import PriceBook, load_pricebook, pricing_dir

OCTOBER = Period.month(2026, 10)  # 31 days: the snapshot window, so no projection
NOVEMBER = Period.month(2026, 11)  # 30 days = 43,200 minutes
ACCOUNT = "111122223333"
WINDOW = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
GB = 1024.0**3


# -- helpers -----------------------------------------------------------------------------------------------------


def context_for_usage(usage: dict[str, Any], book: PriceBook | None = None) -> Context:
    book = book or load_pricebook()
    baseline = estimate(usage, period=NOVEMBER, free_tier=False, pricebook=book)
    assert baseline.complete
    return Context(baseline=baseline, pricebook=book)


def context_for_snapshot(snapshot: Snapshot, book: PriceBook | None = None) -> Context:
    book = book or load_pricebook()
    baseline = estimate(snapshot, period=OCTOBER, free_tier=False, pricebook=book)
    assert baseline.complete
    return Context(baseline=baseline, pricebook=book)


def usage_file(**sections: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "region": "us-east-1", "account": ACCOUNT, "free_tier": False, **sections}


def book_with(tmp_path: Path, *rows: str) -> PriceBook:
    """The shipped tables plus extra price rows (test figures, not real prices)."""
    target = tmp_path / "pricing"
    shutil.copytree(pricing_dir(), target)
    with (target / "codebuild.csv").open("a") as handle:
        for row in rows:
            handle.write(row + "\n")
    return load_pricebook(target)


def price_row(usage_type: str, unit: str, price: float) -> str:
    return f"CodeBuild,us-east-1,{usage_type},,{unit},0,,{price},2026-01-01,https://example.com/test-only,test figure"


def by_id(suggestions: list[Suggestion]) -> dict[str, Suggestion]:
    return {s.id: s for s in suggestions}


def patched(usage: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply a suggestion's usage_patch to a usage dict (names here have no dots)."""
    out: dict[str, Any] = {key: (dict(value) if isinstance(value, dict) else value) for key, value in usage.items()}
    for op in patch:
        assert op["op"] == "set"
        *parents, leaf = op["path"].split(".")
        node = out
        for name in parents:
            node[name] = dict(node[name])
            node = node[name]
        node[leaf] = op["value"]
    return out


def total(result: Estimate) -> float:
    assert result.complete
    return result.total


# -- snapshots -----------------------------------------------------------------------------------------------------

_START = pd.Timestamp("2026-10-01T00:00:00Z")


def builds(
    project: str,
    count: int,
    seconds: float,
    compute: str,
    *,
    phases: tuple[int, int, int] = (0, 0, 0),
    offset: int = 0,
    environment: str = "LINUX_CONTAINER",
) -> list[dict[str, Any]]:
    """`count` finished builds, one an hour from `offset` hours into October, each billed for `seconds`."""
    install, download, pre_build = phases
    out = []
    for i in range(count):
        begin = _START + pd.Timedelta(hours=offset + i)
        out.append(
            {
                "account": ACCOUNT,
                "region": "us-east-1",
                "project": project,
                "build_id": f"{project}:{i}",
                "start": begin - pd.Timedelta(seconds=5),  # queued 5 s: not billed
                "end": begin + pd.Timedelta(seconds=seconds),
                "compute_type": compute,
                "environment_type": environment,
                "fleet_arn": None,
                "initiator": "codepipeline/web-app",
                "install_s": install,
                "download_source_s": download,
                "pre_build_s": pre_build,
                "build_s": seconds - install - download - pre_build,
                "billed_start": begin,
                "billable_seconds": seconds,
            }
        )
    return out


def project(name: str, compute: str, cache: str = "NO_CACHE") -> dict[str, Any]:
    return {
        "account": ACCOUNT,
        "region": "us-east-1",
        "project": name,
        "compute_type": compute,
        "environment_type": "LINUX_CONTAINER",
        "fleet_arn": None,
        "cache_type": cache,
    }


@pytest.fixture
def build_snapshot() -> Snapshot:
    """web-build: no cache, 300 s builds of which install 120 + download 30 + pre-build 30 s (60%).
    cached-build: the same builds with an S3 cache. light-build: no cache, but only 60 s of 300 s cacheable.
    big-short: LARGE, 150 s builds (3 billed min). big-long: LARGE, 600 s builds (10 billed min)."""
    medium, large = "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"
    rows = [
        *builds("web-build", 10, 300, medium, phases=(120, 30, 30)),
        *builds("cached-build", 10, 300, medium, phases=(120, 30, 30), offset=20),
        *builds("light-build", 10, 300, medium, phases=(30, 15, 15), offset=40),
        *builds("big-short", 20, 150, large, offset=60),
        *builds("big-long", 5, 600, large, offset=100),
    ]
    projects = [
        project("web-build", medium),
        project("cached-build", medium, cache="S3"),
        project("light-build", medium),
        project("big-short", large, cache="LOCAL"),
        project("big-long", large, cache="LOCAL"),
    ]
    return Snapshot(
        tables={"builds": pd.DataFrame(rows), "projects": pd.DataFrame(projects)}, manifest={"window": WINDOW}
    )


# -- build caching ---------------------------------------------------------------------------------------------------


def test_caching_halves_the_cacheable_phases_of_uncached_projects_only(build_snapshot: Snapshot) -> None:
    ctx = context_for_snapshot(build_snapshot)
    found = build_caching.rule(ctx)
    assert [s.resources for s in found] == [["web-build"]]  # cached-build has a cache, light-build is 20% cacheable
    suggestion = found[0]
    # 300 s - (120 + 30 + 30) / 2 = 210 s -> ceil(3.5) = 4 min instead of 5, 10 builds, general1.medium $0.01
    assert suggestion.monthly_saving_usd == pytest.approx(10 * (5 - 4) * 0.01)
    assert suggestion.one_off_cost_usd == 0
    assert suggestion.confidence == "medium"
    assert suggestion.evidence["cacheable_share"] == pytest.approx(180 / 300)
    assert suggestion.exclusive == f"build-cache:{ACCOUNT}:us-east-1:web-build"
    assert "not zero" in suggestion.confidence_reason
    assert {"console", "cli", "cloudformation", "terraform"} <= suggestion.change.keys()
    wiring_reprice_matches_saving(ctx, suggestion)

    # The same month observed with the shorter builds costs exactly baseline minus the saving.
    shorter = build_snapshot.tables["builds"].copy()
    web = shorter["project"] == "web-build"
    shorter.loc[web, "end"] = shorter.loc[web, "billed_start"] + pd.Timedelta(seconds=210)
    after = estimate(
        Snapshot(tables={**build_snapshot.tables, "builds": shorter}, manifest={"window": WINDOW}),
        period=OCTOBER,
        free_tier=False,
    )
    assert total(after) == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)


def test_caching_a_project_built_outside_any_pipeline_and_inside_one(build_snapshot: Snapshot) -> None:
    """Builds started by hand have no pipeline (an empty cell the row edit must still match); the same project's
    pipeline builds are another usage row with its own factor."""
    by_hand = pd.DataFrame(builds("web-build", 4, 300, "BUILD_GENERAL1_MEDIUM", phases=(120, 30, 30), offset=200))
    by_hand["initiator"] = "user/alice"
    tables = {**build_snapshot.tables, "builds": pd.concat([build_snapshot.tables["builds"], by_hand])}
    ctx = context_for_snapshot(Snapshot(tables=tables, manifest={"window": WINDOW}))
    web_rows = ctx.rows[ctx.rows["resource"] == "web-build"]
    assert web_rows["pipeline"].isna().sum() == 1
    assert web_rows["pipeline"].notna().sum() == 1
    (suggestion,) = build_caching.rule(ctx)
    # (10 pipeline + 4 by-hand builds) x (5 - 4) billed min x general1.medium $0.01
    assert suggestion.monthly_saving_usd == pytest.approx((10 + 4) * (5 - 4) * 0.01)
    assert suggestion.evidence["builds"] == 14
    wiring_reprice_matches_saving(ctx, suggestion)


def test_caching_needs_a_snapshot() -> None:
    ctx = context_for_usage(usage_file(codebuild={"b": {"compute_type": "BUILD_GENERAL1_MEDIUM",
                                                        "builds_per_month": 10, "minutes_per_build": 5}}))  # fmt: skip
    assert build_caching.rule(ctx) == []


# -- right-size ------------------------------------------------------------------------------------------------------


def test_right_size_short_large_builds_from_a_snapshot(build_snapshot: Snapshot) -> None:
    ctx = context_for_snapshot(build_snapshot)
    found = right_size.rule(ctx)
    assert [s.resources for s in found] == [["big-short"]]  # big-long's builds take 10 min; medium is not large
    suggestion = found[0]
    # 20 builds x ceil(150 s) = 3 min, large $0.02 -> medium $0.01
    assert suggestion.monthly_saving_usd == pytest.approx(20 * 3 * (0.02 - 0.01))
    assert suggestion.confidence == "low"
    assert "utilisation" in suggestion.confidence_reason
    assert suggestion.evidence["utilisation"] == "unknown"
    assert suggestion.exclusive == f"build-compute:{ACCOUNT}:us-east-1:big-short"
    wiring_reprice_matches_saving(ctx, suggestion)


def test_right_size_from_a_usage_file_and_its_patch() -> None:
    usage = usage_file(
        codebuild={
            "huge": {"compute_type": "BUILD_GENERAL1_LARGE", "builds_per_month": 100, "minutes_per_build": 2},
            "huge-long": {"compute_type": "BUILD_GENERAL1_LARGE", "builds_per_month": 100, "minutes_per_build": 8},
            "total-only": {"compute_type": "BUILD_GENERAL1_LARGE", "build_minutes_per_month": 500},
            "medium": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 100, "minutes_per_build": 1},
        }
    )
    ctx = context_for_usage(usage)
    found = right_size.rule(ctx)
    assert [s.resources for s in found] == [["huge"]]
    suggestion = found[0]
    assert suggestion.monthly_saving_usd == pytest.approx(100 * 2 * (0.02 - 0.01))
    assert suggestion.usage_patch == [
        {"op": "set", "path": "codebuild.huge.compute_type", "value": "BUILD_GENERAL1_MEDIUM"}
    ]
    wiring_reprice_matches_saving(ctx, suggestion)
    after = estimate(patched(usage, suggestion.usage_patch), period=NOVEMBER, free_tier=False)
    assert total(after) == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)
    assert any("total-only" in note and "unknown" in note for note in ctx.notes)


# -- artifact lifecycle ----------------------------------------------------------------------------------------------


@pytest.fixture
def bucket_snapshot() -> Snapshot:
    """artifacts-east: no lifecycle, 100 GiB Standard, 10,000 objects; web-app (V2, Source + Build + Deploy) ran
    155 times in October: 2 artifact PUTs each = 310 a month. artifacts-kept: has an expiration rule."""
    pipelines = pd.DataFrame(
        [{"account": ACCOUNT, "region": "us-east-1", "pipeline": "web-app", "pipeline_type": "V2",
          "artifact_buckets": "artifacts-east"}]
    )  # fmt: skip
    actions = pd.DataFrame(
        [{"account": ACCOUNT, "region": "us-east-1", "pipeline": "web-app", "category": c} for c in
         ("Source", "Build", "Deploy")]
    )  # fmt: skip
    executions = pd.DataFrame(
        [{"account": ACCOUNT, "region": "us-east-1", "pipeline": "web-app", "execution_id": str(i)} for i in range(155)]
    )
    buckets = pd.DataFrame(
        [
            {"account": ACCOUNT, "bucket": "artifacts-east", "region": "us-east-1", "found": True,
             "versioning": "Disabled", "lifecycle_rules": 0, "has_expiration": False, "has_transition": False},
            {"account": ACCOUNT, "bucket": "artifacts-kept", "region": "us-east-1", "found": True,
             "versioning": "Disabled", "lifecycle_rules": 1, "has_expiration": True, "has_transition": False},
        ]
    )  # fmt: skip
    storage = pd.DataFrame(
        [
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts-east", "storage_type": "AllStorageTypes",
             "avg_bytes": None, "avg_objects": 10_000.0, "datapoints": 31},
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts-east", "storage_type": "StandardStorage",
             "avg_bytes": 100 * GB, "avg_objects": None, "datapoints": 31},
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts-kept", "storage_type": "AllStorageTypes",
             "avg_bytes": None, "avg_objects": 5_000.0, "datapoints": 31},
            {"account": ACCOUNT, "region": "us-east-1", "bucket": "artifacts-kept", "storage_type": "StandardStorage",
             "avg_bytes": 50 * GB, "avg_objects": None, "datapoints": 31},
        ]
    )  # fmt: skip
    return artifact_snapshot(pipelines, actions, executions, buckets, storage)


def artifact_snapshot(
    pipelines: pd.DataFrame,
    actions: pd.DataFrame,
    executions: pd.DataFrame,
    buckets: pd.DataFrame,
    storage: pd.DataFrame,
) -> Snapshot:
    """A snapshot of October's window holding pipelines, their actions and executions, and their artifact buckets
    with the daily storage CloudWatch measured."""
    return Snapshot(
        tables={
            "pipelines": pipelines,
            "pipeline_actions": actions,
            "pipeline_executions": executions,
            "buckets": buckets,
            "bucket_storage": storage,
        },
        manifest={"window": WINDOW},
    )


def test_lifecycle_on_a_snapshot_bucket_without_expiration(bucket_snapshot: Snapshot) -> None:
    ctx = context_for_snapshot(bucket_snapshot)
    found = by_id(artifact_lifecycle.rule(ctx))
    assert all(s.resources == ["artifacts-east"] for s in found.values())  # artifacts-kept already expires
    # Written in 30 days: 310 PUTs x 30 / 31 = 300 of 10,000 objects -> 97% of the 100 GB is older.
    expire = found[f"artifact-lifecycle-expire-{ACCOUNT}-us-east-1-artifacts-east"]
    assert expire.monthly_saving_usd == pytest.approx(97 * 0.023)
    assert expire.one_off_cost_usd == 0
    assert "roll back" in expire.confidence_reason
    assert "310 PUTs a month x 30/31 days = 300 of 10,000 objects" in expire.confidence_reason
    assert "roll back" in expire.evidence["warning"]
    # To Standard-IA: 97 GB (9,700 x 128 KB = 1.2 GB is less) at $0.0125, plus 310 transitions a month;
    # one-off: the 9,700 objects already older than 30 days.
    to_ia = found[f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-east-1-artifacts-east"]
    assert to_ia.monthly_saving_usd == pytest.approx(97 * (0.023 - 0.0125) - 310 * 0.01 / 1000)
    assert to_ia.one_off_cost_usd == pytest.approx(9_700 * 0.01 / 1000)
    assert expire.exclusive == to_ia.exclusive == f"s3-lifecycle:{ACCOUNT}:us-east-1:artifacts-east"
    assert any("128 KB" in caveat for caveat in to_ia.evidence["caveats"])
    assert any("30-day minimum" in caveat for caveat in to_ia.evidence["caveats"])
    for suggestion in found.values():
        wiring_reprice_matches_saving(ctx, suggestion)


def test_lifecycle_on_a_usage_file_estimated_fallback_and_not_worth_it() -> None:
    usage = usage_file(
        s3={
            # 1,000,000 objects, 100,000 written a month: in 30 days 100,000 -> 90% older.
            "art": {"storage_gb": 200, "objects": 1_000_000, "put_requests_per_month": 100_000},
            # No object count, no writes: everything assumed older than 30 days, only the transition priced.
            "nocount": {"storage_gb": 100},
            # 1 KB objects: Standard-IA's 128 KB minimum makes the move cost more.
            "tiny": {"storage_gb": 1, "objects": 1_000_000},
            "already-ia": {"storage_class": "STANDARD_IA", "storage_gb": 100},
        }
    )
    ctx = context_for_usage(usage)
    found = by_id(artifact_lifecycle.rule(ctx))
    assert sorted(found) == [
        f"artifact-lifecycle-expire-{ACCOUNT}-us-east-1-art",
        f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-east-1-art",
        f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-east-1-nocount",
    ]
    expire = found[f"artifact-lifecycle-expire-{ACCOUNT}-us-east-1-art"]
    assert expire.monthly_saving_usd == pytest.approx(180 * 0.023)
    to_ia = found[f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-east-1-art"]
    # 180 GB older (900,000 x 128 KB = 110 GB is less) -> Standard-IA; 100,000 transitions a month.
    assert to_ia.monthly_saving_usd == pytest.approx(180 * (0.023 - 0.0125) - 100_000 * 0.01 / 1000)
    assert to_ia.one_off_cost_usd == pytest.approx(900_000 * 0.01 / 1000)
    fallback = found[f"artifact-lifecycle-standard-ia-{ACCOUNT}-us-east-1-nocount"]
    assert fallback.monthly_saving_usd == pytest.approx(100 * (0.023 - 0.0125))
    assert fallback.confidence == "low"
    assert "older than 30 days" in fallback.confidence_reason
    assert any("tiny" in note and "128 KB" in note for note in ctx.notes)
    for suggestion in found.values():
        wiring_reprice_matches_saving(ctx, suggestion)
        after = estimate(patched(usage, suggestion.usage_patch), period=NOVEMBER, free_tier=False)
        assert total(after) == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)


# -- not priced: Lambda compute and reserved capacity ------------------------------------------------------------


LAMBDA_USAGE = usage_file(
    codebuild={
        "quick": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 1000, "minutes_per_build": 2.5},
        "long": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 100, "minutes_per_build": 12},
        "big": {"compute_type": "BUILD_GENERAL1_LARGE", "builds_per_month": 100, "minutes_per_build": 5},
    }
)
FLEET_USAGE = usage_file(
    codebuild={
        # 3,000 x ceil(10.5) = 33,000 of November's 43,200 minutes: 0.76 builds running on average.
        "busy": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 3000, "minutes_per_build": 10.5},
        "quiet": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 100, "minutes_per_build": 10.5},
    }
)


def test_lambda_compute_is_only_a_note_with_the_shipped_tables(build_snapshot: Snapshot) -> None:
    ctx = context_for_usage(LAMBDA_USAGE)
    assert not_priced.lambda_compute(ctx) == []
    notes = [note for note in ctx.notes if "Lambda compute" in note]
    assert len(notes) == 1  # quick only: long takes 12 min, big is not a small type
    assert "quick" in notes[0]
    assert "costkit pricing refresh" in notes[0]
    assert "15 minutes" in notes[0]
    assert "Docker" in notes[0]

    observed = context_for_snapshot(build_snapshot)
    assert not_priced.rule(observed) == []
    assert {note.split(":")[0] for note in observed.notes if "Lambda compute" in note} == {
        "web-build", "cached-build", "light-build"
    }  # fmt: skip


def test_lambda_compute_is_priced_per_second_when_the_price_book_has_the_price(
    tmp_path: Path, build_snapshot: Snapshot
) -> None:
    # general1.small (3 GB) -> the smallest Lambda size with as much memory: 4 GB. $0.00005/s is a TEST figure.
    book = book_with(tmp_path, price_row("Build-Sec:Linux:Lambda:x86-64.4GB", "Second", 0.00005),
                     price_row("Build-Sec:Linux:Lambda:x86-64.8GB", "Second", 0.0001))  # fmt: skip
    ctx = context_for_usage(LAMBDA_USAGE, book)
    found = not_priced.lambda_compute(ctx)
    assert [s.resources for s in found] == [["quick"]]
    suggestion = found[0]
    # EC2: 1,000 x ceil(2.5 min) = 3,000 min x $0.005; Lambda: 1,000 x 150 s x $0.00005
    assert suggestion.monthly_saving_usd == pytest.approx(3000 * 0.005 - 1000 * 150 * 0.00005)
    assert suggestion.evidence["suggested_compute_type"] == "BUILD_LAMBDA_4GB"
    assert suggestion.exclusive == f"build-compute:{ACCOUNT}:us-east-1:quick"
    assert any("Docker" in c for c in suggestion.evidence["constraints"])
    assert not any("quick" in note for note in ctx.notes)
    wiring_reprice_matches_saving(ctx, suggestion)
    after = estimate(patched(LAMBDA_USAGE, suggestion.usage_patch), period=NOVEMBER, free_tier=False, pricebook=book)
    assert total(after) == pytest.approx(ctx.baseline.total - suggestion.monthly_saving_usd)

    # Snapshot: general1.medium (7 GB) -> 8 GB; each 300 s build billed 300 s instead of 5 min.
    observed = context_for_snapshot(build_snapshot, book)
    priced = by_id(not_priced.lambda_compute(observed))
    web = priced[f"lambda-compute-{ACCOUNT}-us-east-1-web-build"]
    assert web.monthly_saving_usd == pytest.approx(10 * 5 * 0.01 - 10 * 300 * 0.0001)
    wiring_reprice_matches_saving(observed, web)


def test_lambda_compute_prices_every_project_on_its_own_lambda_size(tmp_path: Path) -> None:
    # Two small-type projects and a medium one, found in one pass over the builds: general1.small (3 GB) -> 4 GB,
    # general1.medium (7 GB) -> 8 GB. $0.00005/s and $0.0001/s are TEST figures.
    book = book_with(tmp_path, price_row("Build-Sec:Linux:Lambda:x86-64.4GB", "Second", 0.00005),
                     price_row("Build-Sec:Linux:Lambda:x86-64.8GB", "Second", 0.0001))  # fmt: skip
    usage = usage_file(
        codebuild={
            "quick": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 1000, "minutes_per_build": 2.5},
            "lint": {"compute_type": "BUILD_GENERAL1_SMALL", "builds_per_month": 400, "minutes_per_build": 0.5},
            "tests": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 200, "minutes_per_build": 4.2},
        }
    )
    ctx = context_for_usage(usage, book)
    found = {s.resources[0]: s for s in not_priced.lambda_compute(ctx)}
    assert sorted(found) == ["lint", "quick", "tests"]
    # quick: 1,000 x ceil(2.5) = 3,000 min x $0.005 on EC2; 1,000 x 150 s x $0.00005 on Lambda.
    assert found["quick"].monthly_saving_usd == pytest.approx(3000 * 0.005 - 1000 * 150 * 0.00005)
    # lint: 400 x 1 min (at least a minute) x $0.005; 400 x 30 s x $0.00005.
    assert found["lint"].monthly_saving_usd == pytest.approx(400 * 1 * 0.005 - 400 * 30 * 0.00005)
    # tests: 200 x ceil(4.2) = 1,000 min x $0.01; 200 x 252 s x $0.0001.
    assert found["tests"].monthly_saving_usd == pytest.approx(1000 * 0.01 - 200 * 252 * 0.0001)
    assert found["tests"].evidence["suggested_compute_type"] == "BUILD_LAMBDA_8GB"
    assert found["tests"].evidence["builds"] == 200.0
    assert found["lint"].evidence["longest_build_minutes"] == pytest.approx(0.5)
    for suggestion in found.values():
        wiring_reprice_matches_saving(ctx, suggestion)


def test_reserved_capacity_is_only_a_note_with_the_shipped_tables() -> None:
    ctx = context_for_usage(FLEET_USAGE)
    assert not_priced.reserved_capacity(ctx) == []
    notes = [note for note in ctx.notes if "reserved-capacity" in note]
    assert len(notes) == 1
    assert notes[0].startswith("busy:")  # quiet: 1,100 min is far from one busy instance
    assert "costkit pricing refresh" in notes[0]


def test_reserved_capacity_is_priced_when_the_price_book_has_a_fleet_price(tmp_path: Path) -> None:
    book = book_with(tmp_path, price_row("ReservedCapacity-Min:Linux:g1.medium", "Minute", 0.006))  # TEST figure
    ctx = context_for_usage(FLEET_USAGE, book)
    found = not_priced.reserved_capacity(ctx)
    assert [s.resources for s in found] == [["busy"]]
    suggestion = found[0]
    # On demand: 3,000 x ceil(10.5) = 33,000 min x $0.01; fleet: 1 instance x 43,200 min x $0.006.
    assert suggestion.monthly_saving_usd == pytest.approx(33_000 * 0.01 - 43_200 * 0.006)
    assert suggestion.evidence["fleet_capacity"] == 1
    assert suggestion.confidence == "low"
    assert suggestion.exclusive == f"build-compute:{ACCOUNT}:us-east-1:busy"
    wiring_reprice_matches_saving(ctx, suggestion)


def test_the_rules_compose_in_suggest(build_snapshot: Snapshot) -> None:
    result = suggest(
        snapshot=build_snapshot,
        period=OCTOBER,
        free_tier=False,
        rules=[build_caching.rule, right_size.rule, artifact_lifecycle.rule, not_priced.rule],
    )
    assert sorted(s.rule for s in result.items) == ["build-caching", "right-size"]
    # Independent changes (a cache on web-build, one size down for big-short): the savings add up.
    assert result.combined_saving_usd == pytest.approx(10 * 1 * 0.01 + 20 * 3 * 0.01)
    assert any("Lambda compute" in note for note in result.notes)
