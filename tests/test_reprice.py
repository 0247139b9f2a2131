"""Re-pricing by the groups a change touches (costkit/reprice.py) equals pricing the whole changed table.

Hand-worked prices: CodePipeline V2 $0.002 per action execution minute with 100 free minutes per account;
S3 Standard us-east-1 $0.023 per GB-month for the first 51,200 GB, $0.022 for the next 460,800 GB.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from batch_checks import batch_matches_transform

from costkit import Period
from costkit.change import Change, combine
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.estimate import Estimate, estimate
from costkit.model.rows import ROW_COLUMNS
from costkit.optimize import suggest
from costkit.optimize.base import Batch, Context, Scoped
from costkit.optimize.rows import keep
from costkit.price import price
from costkit.pricing import current_pricebook
from costkit.reprice import Edit, Repricer
from costkit.sources.snapshot.folder import Snapshot
from costkit.tables import PriceBook

# Rules that price all their candidates at once (build-caching too: tests/test_rules_builds_storage.py checks it).
BATCHED = {"lambda-arm64", "pipeline-type", "arm-builds", "right-size"}
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
OPTIONS = [
    {},
    {"free_tier": False},
    {"free_tier_scope": "organization"},
]


def _row(account: str, resource: str, usage_type: str, quantity: float, service: str = "CodePipeline") -> dict:
    unit = "GB-Month" if service == "S3" else "Minute"
    return {"account": account, "region": "us-east-1", "service": service, "resource": resource,
            "component": "x", "pipeline": resource, "usage_type": usage_type, "quantity": quantity,
            "unit": unit, "meter": None, "detail": ""}  # fmt: skip


def _rows(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(ROW_COLUMNS))
    frame["quantity"] = frame["quantity"].astype("float64")
    return frame


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return current_pricebook()


def test_an_edit_moves_the_total_through_its_account_free_minutes(book: PriceBook) -> None:
    rows = _rows(
        _row("111111111111", "web", "ActionExecutionMinutes", 90),
        _row("111111111111", "api", "ActionExecutionMinutes", 60),
        _row("222222222222", "etl", "ActionExecutionMinutes", 300),
    )
    repricer = Repricer(rows, book)
    # account 1: (90 + 60 - 100 free) x $0.002 = $0.10; account 2: (300 - 100) x $0.002 = $0.40
    assert repricer.baseline_total == pytest.approx(0.10 + 0.40)
    fewer = Edit(np.array([1]), _rows(_row("111111111111", "api", "ActionExecutionMinutes", 30)))
    more = Edit(np.array([0]), _rows(_row("111111111111", "web", "ActionExecutionMinutes", 140)))
    gone = Edit(np.array([2]), _rows())
    low, high, none = repricer.price_many([fewer, more, gone])
    assert low.total_usd == pytest.approx((90 + 30 - 100) * 0.002 + 0.40)  # $0.44
    assert high.total_usd == pytest.approx((140 + 60 - 100) * 0.002 + 0.40)  # $0.60
    assert none.total_usd == pytest.approx(0.10)
    assert repricer.price(fewer) == low  # one at a time equals the batch


def test_an_edit_across_a_storage_tier_boundary(book: PriceBook) -> None:
    rows = _rows(
        _row("1", "artifacts", "TimedStorage-ByteHrs", 50_000, "S3"),
        _row("1", "cache", "TimedStorage-ByteHrs", 1_000, "S3"),
    )
    repricer = Repricer(rows, book)
    assert repricer.baseline_total == pytest.approx(51_000 * 0.023)
    bigger = Edit(np.array([1]), _rows(_row("1", "cache", "TimedStorage-ByteHrs", 3_000, "S3")))
    # 53,000 GB: 51,200 x $0.023 + 1,800 x $0.022 = $1,177.60 + $39.60
    assert repricer.price(bigger).total_usd == pytest.approx(51_200 * 0.023 + 1_800 * 0.022)


def test_a_row_without_a_price_is_missing_after_the_edit_only(book: PriceBook) -> None:
    rows = _rows(_row("1", "web", "ActionExecutionMinutes", 150))
    repricer = Repricer(rows, book)
    unknown = Edit(np.array([0]), _rows(_row("1", "web", "NoSuchUsageType", 150)))
    after = repricer.price(unknown)
    assert after.new_missing
    assert after.missing == {("1", "us-east-1", "web", "NoSuchUsageType")}
    assert after.total_usd == 0.0  # an unpriced line is not $0 in the output: it is listed missing
    assert not repricer.price(Edit(np.zeros(0, dtype=np.int64), _rows())).new_missing


@pytest.fixture(scope="module")
def demo() -> Snapshot:
    window = Window.month(2026, 10)
    with fake_account(window) as session:
        return collect(session, CollectOptions(window=window, regions=["us-east-1", "ap-northeast-1"], cache_dir=None))


def _whole(rows: pd.DataFrame, book: PriceBook, baseline: Estimate) -> tuple[float, set[tuple[str, ...]]]:
    """Today's reference: the whole changed table through price()."""
    options = baseline.options
    result = price(
        rows,
        book,
        free_tier_scope=options.get("free_tier_scope", "account"),
        free_tier=bool(options.get("free_tier", True)),
        fallback_region=options.get("fallback_region"),
    )
    keys = result.missing[["account", "region", "resource", "usage_type"]].itertuples(index=False)
    return float(result.lines["cost_usd"].sum()), {tuple(str(v) for v in key) for key in keys}


@pytest.mark.parametrize("source", [*EXAMPLES, "demo"], ids=lambda s: getattr(s, "stem", s))
@pytest.mark.parametrize("options", OPTIONS, ids=["account", "no-free-tier", "organization"])
def test_every_suggestion_equals_one_by_one_whole_table_repricing(
    source: Path | str, options: dict, book: PriceBook, demo: Snapshot
) -> None:
    """Each suggestion's saving, and the combined saving, equal the whole table re-priced to the cent."""
    month = Period.month(2026, 10) if source == "demo" else Period.month(2026, 11)
    found = suggest(
        None if source == "demo" else source, snapshot=demo if source == "demo" else None,
        period=month, pricebook=book, **options,
    )  # fmt: skip
    baseline = found.baseline
    rows = baseline.usage_rows
    before, missing_before = _whole(rows, book, baseline)
    assert before == pytest.approx(baseline.total, abs=1e-9)
    ctx = Context(baseline=baseline, pricebook=book)
    assert found.items, "each source has suggestions to compare"
    for item in found.items:
        assert item.transform is not None
        after, missing_after = _whole(item.transform(rows.copy()), book, baseline)
        assert missing_after <= missing_before
        assert item.monthly_saving_usd == pytest.approx(before - after, abs=0.005)
        assert ctx.saving(item.transform) == pytest.approx(before - after, abs=1e-9)
        if isinstance(item.transform, Scoped):  # the scoped run equals the same edit on the whole table
            assert ctx.repricer.price(Edit.whole(len(rows), item.transform(rows.copy()))).total_usd == pytest.approx(
                after, abs=1e-9
            )
    combined_after, _missing = _whole(found.change(rows), book, baseline)
    assert found.combined_saving_usd == pytest.approx(before - combined_after, abs=0.005)


@pytest.mark.parametrize("options", OPTIONS, ids=["account", "no-free-tier", "organization"])
def test_whole_table_repricing_equals_price_line_by_line_totals(options: dict, book: PriceBook, demo: Snapshot) -> None:
    for source in [*EXAMPLES, demo]:
        baseline = estimate(source, pricebook=book, period=Period.month(2026, 10), **options)
        rows = baseline.usage_rows
        repricer = Repricer(rows, book, **options)
        total, missing = _whole(rows, book, baseline)
        assert repricer.baseline_total == pytest.approx(total, abs=1e-9)
        assert repricer.baseline_missing == missing
        halved = rows.assign(quantity=rows["quantity"] * 0.5)
        after = repricer.price(Edit.whole(len(rows), halved))
        assert (after.total_usd, set(after.missing)) == (pytest.approx(_whole(halved, book, baseline)[0]), missing)


def test_a_thousand_changes_combine_without_nesting_a_thousand_calls() -> None:
    def plus_one(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.assign(quantity=rows["quantity"] + 1)

    combined = combine([Change(f"c{i}", plus_one) for i in range(3000)])
    assert combined(_rows(_row("1", "web", "ActionExecutionMinutes", 5)))["quantity"].tolist() == [3005.0]


def test_a_batch_prices_each_candidate_against_its_account_free_minutes(book: PriceBook) -> None:
    rows = _rows(
        _row("111111111111", "web", "ActionExecutionMinutes", 90),
        _row("111111111111", "api", "ActionExecutionMinutes", 60),
        _row("222222222222", "etl", "ActionExecutionMinutes", 300),
    )
    ctx = Context(baseline=estimate_of(rows, book), pricebook=book)
    # candidate 0 halves web, candidate 1 drops etl's minutes to 50, candidate 2 moves api to a type with no price
    batch = Batch(
        3,
        np.array([0, 2, 1]),
        np.array([0, 1, 2]),
        _rows(
            _row("111111111111", "web", "ActionExecutionMinutes", 45),
            _row("222222222222", "etl", "ActionExecutionMinutes", 50),
            _row("111111111111", "api", "NoSuchUsageType", 60),
        ),
        np.array([0, 1, 2]),
    )
    saving = ctx.savings(batch)
    # baseline: (150 - 100) x $0.002 + (300 - 100) x $0.002 = $0.50
    # web halved: (45 + 60 - 100) x $0.002 = $0.01 for account 1: saves $0.10 - $0.01 = $0.09
    assert saving[0] == pytest.approx(0.10 - (45 + 60 - 100) * 0.002)
    # etl at 50 minutes is inside its 100 free minutes: saves all of its (300 - 100) x $0.002 = $0.40
    assert saving[1] == pytest.approx((300 - 100) * 0.002)
    assert np.isnan(saving[2])  # needs a price that does not exist: never a saving
    assert ctx.repricings == 3
    assert batch.edit([0, 1]).removed.tolist() == [0, 2]
    together = ctx.repricer.price(batch.edit([0, 1])).total_usd
    assert together == pytest.approx((45 + 60 - 100) * 0.002 + 0.0)  # $0.01 + etl free


def estimate_of(rows: pd.DataFrame, book: PriceBook) -> Estimate:
    """A baseline Estimate of bare usage rows (no runs or inventory: the rules are not run)."""
    result = estimate(
        {"version": 1, "region": "us-east-1", "pipelines": {}}, pricebook=book, period=Period.month(2026, 11)
    )
    result.usage = dataclasses.replace(result.usage, rows=rows)
    return result


def _estate(n: int) -> dict[str, Any]:
    """n V1 and V2 pipelines, x86 projects on SMALL to 2XLARGE with short and long builds, x86 functions: a
    candidate for every batched rule, several per account's free tier."""
    sizes = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_2XLARGE"]
    return {
        "version": 1,
        "region": "us-east-1",
        "pipelines": {
            f"p{i}": {
                "type": "V2" if i % 3 else "V1",
                "executions_per_month": 5 + 40 * i,
                "actions": [{"name": "build", "category": "Build", "minutes": 0.5 + i % 4}],
            }
            for i in range(n)
        },
        "codebuild": {
            f"b{i}": {"compute_type": sizes[i % 4], "builds_per_month": 20 + 30 * i, "minutes_per_build": 1 + i % 5}
            for i in range(n)
        },
        "lambda": {
            f"f{i}": {"memory_mb": 128 * (1 + i % 4), "requests_per_month": 200_000 * i, "duration_ms": 100 + 50 * i}
            for i in range(n)
        },
    }


@pytest.mark.parametrize("source", [*EXAMPLES, "demo", "estate"], ids=lambda s: getattr(s, "stem", s))
def test_batched_savings_equal_one_by_one_repricing(source: Path | str, book: PriceBook, demo: Snapshot) -> None:
    """A suggestion priced in its rule's batch saves what its own transform saves re-priced alone, and its
    batch edit leaves the very table the transform leaves."""
    month = Period.month(2026, 10) if source == "demo" else Period.month(2026, 11)
    usage = _estate(12) if source == "estate" else None if source == "demo" else source
    found = suggest(usage, snapshot=demo if source == "demo" else None, period=month, pricebook=book)
    ctx = Context(baseline=found.baseline, pricebook=book)
    batched = [item for item in found.items if item.priced_in is not None]
    for item in batched:
        batch_matches_transform(ctx, item)
    assert all(item.priced_in is not None for item in found.items if item.rule in BATCHED)
    if source == "estate":
        assert {item.rule for item in batched} == BATCHED, "every batched rule has suggestions to compare"


def test_a_batch_on_a_baseline_with_an_unpriced_line(book: PriceBook) -> None:
    """Only a line named like none the baseline already misses makes a candidate's saving unknown."""
    rows = _rows(
        _row("1", "web", "ActionExecutionMinutes", 150),
        _row("1", "old", "NoSuchUsageType", 10),
    )
    ctx = Context(baseline=estimate_of(rows, book), pricebook=book)
    unknown = ("1", "us-east-1", "old", "NoSuchUsageType")
    assert ctx.repricer.baseline_missing == {unknown}
    batch = Batch(
        4,
        np.array([1, 1, 0]),
        np.array([0, 1, 3]),
        _rows(
            _row("1", "old", "NoSuchUsageType", 20),  # 0: the unpriced line grows: still the same line
            _row("1", "new", "NoSuchUsageType", 5),  # 2: another resource with no price
            _row("1", "web", "NoSuchUsageType", 150),  # 3: web moved to a type with no price
        ),
        np.array([0, 2, 3]),
    )
    saving = ctx.savings(batch)
    assert saving[0] == 0.0  # web still (150 - 100) x $0.002 = $0.10
    assert saving[1] == 0.0  # the unpriced line dropped: nothing priced moves
    assert np.isnan(saving[2])
    assert np.isnan(saving[3])
    after = ctx.repricer.price_batch(batch.removed, batch.removed_by, batch.added, batch.added_by, batch.size)
    assert after.missing(0) == {unknown}
    assert after.missing(1) == set()
    assert after.missing(2) == {unknown, ("1", "us-east-1", "new", "NoSuchUsageType")}
    assert after.missing(3) == {unknown, ("1", "us-east-1", "web", "NoSuchUsageType")}


def test_a_candidate_past_the_last_published_tier_leaves_its_whole_group_unpriced(book: PriceBook) -> None:
    """eu-south-1 publishes x86 Lambda duration for the first 6 billion GB-seconds a month only: growing f1
    from 5.0 to 5.8 billion (with f2's 0.5 billion, 6.3 billion in all) leaves f1's and f2's lines unpriced."""

    def duration(resource: str, quantity: float) -> dict:
        return {**_row("1", resource, "Lambda-GB-Second", quantity, "Lambda"), "region": "eu-south-1",
                "unit": "GB-Second"}  # fmt: skip

    rows = _rows(duration("f1", 5.0e9), duration("f2", 0.5e9))
    ctx = Context(baseline=estimate_of(rows, book), pricebook=book)
    assert not ctx.repricer.baseline_missing
    batch = Batch(2, np.array([0, 0]), np.array([0, 1]), _rows(duration("f1", 5.8e9), duration("f1", 5.4e9)),
                  np.array([0, 1]))  # fmt: skip
    saving = ctx.savings(batch)
    assert np.isnan(saving[0])
    # 5.9 billion in all, still priced: 0.4 billion more GB-seconds x $0.0000195172 (the free 400,000 stay used)
    assert saving[1] == pytest.approx(-0.4e9 * 0.0000195172)
    after = ctx.repricer.price_batch(batch.removed, batch.removed_by, batch.added, batch.added_by, batch.size)
    names = {("1", "eu-south-1", name, "Lambda-GB-Second") for name in ("f1", "f2")}
    assert after.missing(0) == names
    assert after.missing(1) == set()


def test_candidates_left_out_are_numbered_again_in_order() -> None:
    assert keep(np.array([0, -1, 1, 2, 1]), np.array([True, False, True])).tolist() == [0, -1, -1, 1, -1]
    assert keep(np.array([-1, -1]), np.zeros(0, dtype=bool)).tolist() == [-1, -1]  # no candidate at all
