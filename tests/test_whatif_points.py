"""Sweeps price each point by the services it changed (costkit/whatif/points.py): the same figures as pricing
each point whole with Change.apply, on the small usage file and snapshot of the what-if tests, on every bundled
example and with free tiers on; and a sweep with free allowances worked by hand.

Prices as in test_whatif (us-east-1): V2 $0.002 per action minute with 100 free minutes a month; CodeBuild
general1.small $0.005/min with 100 free minutes, general1.medium $0.01/min; Lambda 1 M free requests and 400,000
free GB-seconds; S3 Standard $0.023/GB-month and PUT $0.005 per 1,000 (no free tier in costkit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import test_change_follows_executions as follows
from test_billing_boundaries import NOVEMBER
from test_whatif import BOOK, MEDIUM, PUT, SMALL, STANDARD_GB, V2_MINUTE, base, usage, with_windows  # noqa: F401
from test_whatif_builders import observed  # noqa: F401  (the snapshot fixture)

from costkit import Estimate, estimate, load_snapshot
from costkit.change import Change
from costkit.tables import SERVICES
from costkit.whatif import (
    Scenario,
    arm_builds,
    artifact_retention,
    caching,
    compute,
    execution_mode,
    growth,
    lambda_functions,
    move_region,
    pipeline_type,
    points,
    project,
    remove_pipeline,
    scale_builds,
    scale_executions,
    sensitivity,
    sweep,
)

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
CENT = 0.005


def doubled_storage(rows: pd.DataFrame) -> pd.DataFrame:
    """A rows-only edit (as a few savings rules make): S3 storage x 2."""
    storage = rows["meter"] == "storage"
    rows.loc[storage, "quantity"] = rows.loc[storage, "quantity"] * 2
    return rows


BUILDERS: dict[str, Callable[[float], Change | Scenario]] = {
    "executions": scale_executions,
    "builds": scale_builds,
    "growth": lambda v: growth(v / 2 - 0.5, 3),
    "V1": lambda v: Scenario.of("V1 then scale", pipeline_type("V1"), scale_executions(v)),
    "V2": lambda v: Scenario.of("V2 then scale", pipeline_type("V2"), scale_builds(v)),
    "queued": lambda v: Scenario.of("queued", execution_mode("QUEUED"), scale_executions(v)),
    "medium": lambda v: compute("BUILD_GENERAL1_MEDIUM", duration_factor=v),
    "arm": lambda v: arm_builds(duration_factor=v),
    "caching": lambda v: caching(min(v / 3, 1.0), ["INSTALL"], phase_share=0.5),
    "retention": lambda v: artifact_retention(7 * v, 7),
    "lambda": lambda v: lambda_functions(memory_mb=512, architecture="arm64", duration_factor=v),
    "tokyo": lambda v: Scenario.of("Tokyo", move_region("ap-northeast-1"), scale_executions(v)),
    "rows only": lambda v: Scenario.of("rows", Change("storage x2", doubled_storage), scale_builds(v)),
    "remove or scale": lambda v: remove_pipeline("web") if v == 0 else scale_executions(v),  # two touched sets
}
VALUES = [0.0, 2.5]


def assert_points_equal_whole(
    baseline: Estimate, builder: Callable[[float], Change | Scenario], values: list[float] = VALUES
) -> None:
    table = sweep(baseline, builder, values, pricebook=BOOK)
    for value, row in zip(values, table.itertuples(index=False), strict=True):
        made = builder(value)
        whole = (made if isinstance(made, Change) else made.change).apply(baseline, BOOK)
        assert row.cost_usd == pytest.approx(whole.total, abs=CENT / 1000)
        assert row.complete == whole.complete
        services = whole.by_service()
        for name in SERVICES:
            assert getattr(row, name) == pytest.approx(float(services[name]), abs=CENT / 1000)


def priced_estate(source: dict[str, Any], free_tier: bool) -> Estimate:
    return estimate(source, period=NOVEMBER, pricebook=BOOK, free_tier=free_tier)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_sweep_of_each_builder_equals_pricing_each_point_whole(base: Estimate, name: str) -> None:  # noqa: F811
    assert_points_equal_whole(base, BUILDERS[name])
    assert_points_equal_whole(priced_estate(usage(), free_tier=True), BUILDERS[name])


SNAPSHOT_BUILDERS = ["executions", "builds", "V1", "queued", "arm", "caching", "retention", "lambda", "tokyo"]


@pytest.mark.parametrize("name", SNAPSHOT_BUILDERS)
def test_sweep_on_a_snapshot_equals_pricing_each_point_whole(observed: Estimate, name: str) -> None:  # noqa: F811
    assert_points_equal_whole(observed, BUILDERS[name])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_sweep_on_every_example_equals_pricing_each_point_whole(example: Path) -> None:
    baseline = estimate(example, period=NOVEMBER, pricebook=BOOK)  # free tiers as the example says
    for name in ("executions", "arm", "tokyo", "rows only"):  # same groups; missing Arm prices; moved; rows only
        assert_points_equal_whole(baseline, BUILDERS[name], [0.5, 2.5])


def test_an_incomplete_baseline_leaves_every_point_incomplete() -> None:
    """desktop's Windows builds have no Tokyo price: the baseline in Tokyo is a lower bound, and so is every
    point that does not touch CodeBuild; moving desktop's builds off Windows would be needed to complete it."""
    tokyo = estimate(with_windows(), period=NOVEMBER, pricebook=BOOK, region="ap-northeast-1")
    assert not tokyo.complete
    table = sweep(tokyo, scale_executions, [0.0, 1.0], pricebook=BOOK)
    assert not table["complete"].any()
    assert table["delta_usd"].isna().all()
    assert_points_equal_whole(tokyo, scale_executions)


def test_sweep_with_free_allowances_by_hand() -> None:
    """The usage file of test_whatif with free tiers on. At executions x f: web bills 800 f action minutes
    (100 free), web-build 400 f small build minutes (100 free), notify's 1 M f requests and 12,500 f GB-s stay
    inside Lambda's allowances up to f = 1, nightly (300 medium minutes, $3.00) and the 100 GB stored ($2.30)
    do not move, and the artifact bucket takes 10,000 f PUTs."""
    baseline = priced_estate(usage(), free_tier=True)
    table = sweep(baseline, scale_executions, [0.0, 0.1, 0.25, 0.5, 1.0], pricebook=BOOK).set_index("value")
    fixed = 300 * MEDIUM + 100 * STANDARD_GB  # $3.00 + $2.30
    expected = {
        0.0: fixed,
        0.1: fixed + 1_000 * PUT,  # 80 minutes and 40 build minutes: all free
        0.25: fixed + (200 - 100) * V2_MINUTE + 2_500 * PUT,  # $0.20 of V2; 100 build minutes: free
        0.5: fixed + (400 - 100) * V2_MINUTE + (200 - 100) * SMALL + 5_000 * PUT,  # $0.60 + $0.50 + $0.025
        1.0: fixed + (800 - 100) * V2_MINUTE + (400 - 100) * SMALL + 10_000 * PUT,  # $1.40 + $1.50 + $0.05
    }
    for value, cost in expected.items():
        assert table.loc[value, "cost_usd"] == pytest.approx(cost, rel=1e-12)
    assert table.loc[0.5, "CodePipeline"] == pytest.approx(300 * V2_MINUTE, rel=1e-12)
    assert table.loc[0.5, "CodeBuild"] == pytest.approx(100 * SMALL + 300 * MEDIUM, rel=1e-12)
    assert table.loc[1.0, "Lambda"] == 0.0
    assert table.loc[1.0, "delta_usd"] == pytest.approx(0.0, abs=1e-12)
    assert table["complete"].all()


def test_sensitivity_and_projection_equal_pricing_each_point_whole(observed: Estimate) -> None:  # noqa: F811
    builders = {"executions": scale_executions, "builds": scale_builds}
    table = sensitivity(observed, builders, low=0.5, high=3.0, pricebook=BOOK).set_index("name")
    for name, builder in builders.items():
        assert table.loc[name, "low_usd"] == pytest.approx(builder(0.5).apply(observed, BOOK).total, abs=1e-9)
        assert table.loc[name, "high_usd"] == pytest.approx(builder(3.0).apply(observed, BOOK).total, abs=1e-9)
    months = project(observed, months=4, growth=0.25, pricebook=BOOK)
    for ahead, cost in enumerate(months["cost_usd"]):
        assert cost == pytest.approx(growth(0.25, ahead).apply(observed, BOOK).total, abs=1e-9)


def test_removing_a_pipeline_in_a_sweep_prices_the_rows_it_left(base: Estimate) -> None:  # noqa: F811
    """A point whose rows are not the baseline's one for one (rows removed) is priced by the groups it touched."""
    table = sweep(base, lambda v: Scenario.of("s", remove_pipeline("web"), scale_builds(v)), [1.0, 2.0])
    assert list(table["cost_usd"]) == pytest.approx([3.00, 6.00], rel=1e-12)  # nightly alone: 300 x $0.01, x2
    assert list(table["CodeBuild"]) == pytest.approx([300 * MEDIUM, 600 * MEDIUM], rel=1e-12)
    assert SMALL > 0  # web-build went with web


def test_each_account_keeps_its_own_allowance_in_a_sweep() -> None:
    """api runs in a second account: 100 executions x 1 min, with that account's own 100 free V2 minutes.
    At executions x 2: web bills 1,600 - 100 = 1,500 minutes ($3.00) and api 200 - 100 = 100 ($0.20)."""
    planned = usage()
    planned["pipelines"]["api"] = {"type": "V2", "account": "999988887777", "executions_per_month": 100,
                                   "actions": [{"name": "Build", "category": "Build", "minutes": 1}]}  # fmt: skip
    baseline = priced_estate(planned, free_tier=True)
    table = sweep(baseline, scale_executions, [1.0, 2.0], pricebook=BOOK).set_index("value")
    assert table.loc[1.0, "CodePipeline"] == pytest.approx((800 - 100) * V2_MINUTE, rel=1e-12)  # api: all free
    assert table.loc[2.0, "CodePipeline"] == pytest.approx((1_600 - 100 + 200 - 100) * V2_MINUTE, rel=1e-12)
    assert_points_equal_whole(baseline, scale_executions, [0.5, 2.0])


def test_points_taken_in_chunks_price_the_same(base: Estimate, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A big model's points are derived a chunk at a time (memory stays bounded): one point a chunk here."""
    values = [0.0, 0.5, 2.0]
    together = sweep(base, lambda v: remove_pipeline("web") if v == 0 else scale_executions(v), values)
    monkeypatch.setattr(points, "STACKED_ROWS", 1)
    apart = sweep(base, lambda v: remove_pipeline("web") if v == 0 else scale_executions(v), values)
    pd.testing.assert_frame_equal(together, apart, rtol=1e-12)


@pytest.fixture(scope="module")
def history() -> Estimate:
    """test_change_follows_executions' snapshot: requests and shares derived from which executions ran."""
    return estimate(load_snapshot(follows.snapshot(), pricebook=BOOK), free_tier=False)


def test_points_that_drop_executions_follow_them_as_apply_does(history: Estimate) -> None:
    """Dropping executions moves a V1 pipeline's month, artifact requests and shares (follow_executions): a
    sweep's points derived together do the same as each point applied alone."""
    keep = {0.0: "pipeline != 'legacy'", 1.0: "status == 'Succeeded'", 2.0: "pipeline == pipeline"}
    assert_points_equal_whole(history, lambda v: follows.dropped(keep[v]), list(keep))
