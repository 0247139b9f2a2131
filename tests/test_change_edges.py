"""Change edges a mutation run of costkit/change.py found untested: a change re-priced with every option its
baseline was priced with, the usage-file form of a change (apply_to, apply_patch), and composition (then,
combine, edited) in order. Each test says the bug it catches; each passes on the code and fails on that bug.

Prices (us-east-1, pricing/): V2 action minute $0.002 (100 free a month per account, or per organization);
CodeBuild general1.small Linux $0.005 a minute (no eu-west-1 price: a fallback region lends us-east-1's);
Lambda requests $0.20 per million.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd
import pytest
from test_billing_boundaries import OCTOBER, action_run, pipeline, snapshot

from costkit import Estimate, Period, Usage, estimate, load_pricebook, load_usage
from costkit.change import Change, apply_patch, combine

NOVEMBER = Period.month(2026, 11)
V2_MINUTE, SMALL_MINUTE, PER_REQUEST = 0.002, 0.005, 0.20 / 1_000_000
ONE_MINUTE = [{"name": "Build", "category": "Build", "minutes": 1}]

ESTATE = {
    "version": 1,
    "free_tier": True,
    "pipelines": {
        "a": {"type": "V2", "account": "111111111111", "executions_per_month": 80, "actions": ONE_MINUTE},
        "b": {"type": "V2", "account": "222222222222", "executions_per_month": 80, "actions": ONE_MINUTE},
    },
    "codebuild": {
        "eu": {"region": "eu-west-1", "account": "111111111111", "compute_type": "BUILD_GENERAL1_MEDIUM",
               "builds_per_month": 10, "minutes_per_build": 3},
    },
}  # fmt: skip


def doubled(pipeline_name: str) -> Change:
    """Twice the executions of one pipeline (a model edit of its action runs)."""

    def edit(usage: Usage) -> Usage:
        actions = usage.runs.actions
        actions.loc[actions["pipeline"] == pipeline_name, "count"] *= 2
        return usage

    return Change(f"x2 {pipeline_name}", edit=edit)


def codepipeline(result: Estimate) -> float:
    return float(result.by_service()["CodePipeline"])


# --- a change is priced as its baseline was -----------------------------------------------------------------------


def test_a_change_is_priced_with_the_baseline_free_tier_scope_and_fallback_region() -> None:
    """Bugs caught: `apply` re-pricing with the default free-tier scope (per account) instead of the baseline's
    organization, without the baseline's fallback region (the eu-west-1 build then missing), or with the free
    tier off; the baseline's own option entries dropped from the result."""
    baseline = estimate(ESTATE, period=NOVEMBER, free_tier_scope="organization", fallback_region="us-east-1")
    baseline.options["label"] = "Q4 budget"  # a caller's own note on the estimate
    # One organization pool: 80 + 80 minutes, 100 free.
    assert codepipeline(baseline) == pytest.approx((160 - 100) * V2_MINUTE)
    after = doubled("a").apply(baseline)
    # 160 + 80 minutes against one 100-minute pool (per account it would be 60 + 0 paid minutes).
    assert codepipeline(after) == pytest.approx((240 - 100) * V2_MINUTE)
    eu = after.lines[after.lines["resource"] == "eu"].iloc[0]
    assert eu["price_region"] == "us-east-1"
    assert eu["cost_usd"] == pytest.approx(10 * 3 * 0.01)  # general1.medium, borrowed from us-east-1
    assert after.complete
    assert (after.options["free_tier_scope"], after.options["fallback_region"]) == ("organization", "us-east-1")
    assert after.options["free_tier"] is True
    assert after.options["label"] == "Q4 budget"
    assert after.source == f"{baseline.source} + x2 a"


def test_a_change_keeps_the_free_tier_off_when_the_baseline_turned_it_off() -> None:
    """Bug caught: `apply` letting the usage file's `free_tier: true` win over the baseline's free_tier=False."""
    baseline = estimate(ESTATE, period=NOVEMBER, free_tier=False, fallback_region="us-east-1")
    assert codepipeline(baseline) == pytest.approx(160 * V2_MINUTE)
    after = doubled("b").apply(baseline)
    assert codepipeline(after) == pytest.approx((80 + 160) * V2_MINUTE)
    assert after.options["free_tier"] is False


def test_a_change_of_a_snapshot_keeps_the_cost_explorer_actuals() -> None:
    """Bug caught: the re-priced estimate losing the baseline's actuals (its comparison then empty)."""
    created = pd.Timestamp("2025-01-01", tz="UTC")
    runs = [action_run("p", i, "Build", 60) for i in range(200)]  # 200 executions of 1 minute
    snap = snapshot(
        pipelines=[pipeline("p", "V2", created)],
        action_executions=runs,
        actuals=[{"service": "CodePipeline", "usage_type": "ActionExecutionMinutes", "cost_usd": 0.20}],
    )
    snap.manifest["created"] = "2026-11-02T00:00:00+00:00"  # collected after October closed: actuals compare
    baseline = estimate(snap, period=OCTOBER, free_tier=True)
    after = doubled("p").apply(baseline)
    assert codepipeline(after) == pytest.approx((400 - 100) * V2_MINUTE)
    compared = after.comparison().set_index("service")
    assert compared.loc["CodePipeline", "actual_usd"] == pytest.approx(0.20)
    assert compared.loc["CodePipeline", "estimate_usd"] == pytest.approx((400 - 100) * V2_MINUTE)


# --- the usage-file form of a change ------------------------------------------------------------------------------

USAGE: dict[str, Any] = {
    "version": 1,
    "free_tier": False,
    "pipelines": {"web": {"type": "V2", "executions_per_month": 100, "actions": ONE_MINUTE}},
    "lambda": {"notify": {"memory_mb": 128, "requests_per_month": 1_000_000, "duration_ms": 1}},
}


def test_apply_to_writes_the_patch_into_the_usage_file_and_keeps_the_rest() -> None:
    """Bugs caught: the document dumped by field name (`lambda_`, refused on loading) or with every unset default
    written out (refused: `account: planned`); the patch not applied; the new document's source not naming the
    change; a change without a patch accepted, or one with a patch refused."""
    patch = [{"op": "set", "path": "pipelines.web.executions_per_month", "value": 300}]
    document = Change("x3 web", usage_patch=patch).apply_to(load_usage(USAGE))
    assert document.source.endswith(" + x3 web")
    result = estimate(document, period=NOVEMBER)
    assert result.by_service()["CodePipeline"] == pytest.approx(300 * 1 * V2_MINUTE)
    # 1 M requests x $0.20 per million, the Lambda section kept as written (1 M x 0.001 s x 0.125 GB of duration).
    assert result.by_service()["Lambda"] == pytest.approx(1_000_000 * PER_REQUEST + 125 * 0.0000166667)
    with pytest.raises(ValueError, match="change 'rows only' has no usage-file form"):
        Change("rows only", lambda rows: rows).apply_to(load_usage(USAGE))


def test_apply_patch_sets_nested_paths_removes_keys_and_leaves_its_input_alone() -> None:
    """Bugs caught: the input usage changed in place (a shallow copy); `op` read from another key or `remove` taken
    for `set`; a path not split on dots or its missing parents not created; a removal of an absent key failing."""
    patch = [
        {"path": "pipelines.web.executions_per_month", "value": 50},  # no op: set
        {"op": "set", "path": "codebuild.new.compute_type", "value": "BUILD_GENERAL1_SMALL"},  # parents created
        {"op": "remove", "path": "lambda.notify"},
        {"op": "remove", "path": "lambda.absent"},
    ]
    out = apply_patch(USAGE, patch)
    assert out["pipelines"]["web"]["executions_per_month"] == 50
    assert out["codebuild"] == {"new": {"compute_type": "BUILD_GENERAL1_SMALL"}}
    assert out["lambda"] == {}
    assert out["pipelines"]["web"]["actions"] == ONE_MINUTE
    assert USAGE["pipelines"]["web"]["executions_per_month"] == 100  # the input is untouched
    assert "notify" in USAGE["lambda"]
    assert "codebuild" not in USAGE


# --- composition, in order ---------------------------------------------------------------------------------------


def set_requests(value: float) -> Change:
    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.assign(quantity=rows["quantity"].where(rows["meter"] != "requests", value))

    return Change(f"requests {value:,.0f}", edit, [{"op": "set", "path": "r", "value": value}])


def halve_requests() -> Change:
    def edit(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.assign(quantity=rows["quantity"].where(rows["meter"] != "requests", rows["quantity"] / 2))

    return Change("half the requests", edit, [{"op": "set", "path": "h", "value": 0.5}])


def requests_usd(result: Estimate) -> float:
    return float(result.lines.loc[result.lines["usage_type"] == "Request", "cost_usd"].sum())


def test_row_changes_compose_in_order_with_their_titles_and_patches() -> None:
    """Bugs caught: `combine` of two changes keeping only the first (or failing on one), an empty list not being
    no change; `then`/`combine` applying the steps in the other order, or losing the title or the patches."""
    baseline = estimate(USAGE, period=NOVEMBER)
    first, second = set_requests(4_000_000), halve_requests()
    for both in (first.then(second), combine([first, second])):
        assert both.title == "requests 4,000,000; half the requests"
        assert both.usage_patch == [*first.usage_patch, *second.usage_patch]
        assert requests_usd(both.apply(baseline)) == pytest.approx(2_000_000 * PER_REQUEST)  # 4 M, then halved
    assert requests_usd(combine([second, first]).apply(baseline)) == pytest.approx(4_000_000 * PER_REQUEST)
    assert combine([first]) is first
    assert combine([]).title == "no change"
    assert requests_usd(combine([]).apply(baseline)) == pytest.approx(1_000_000 * PER_REQUEST)


def test_model_edits_compose_in_order_and_only_a_single_edit_is_edited_alone() -> None:
    """Bugs caught: `then`/`combine` of model edits losing an edit or its re-derivation; `edited` returning a model
    for a composition or a row change (whose rows it would not re-derive), or None for a single model edit."""
    baseline = estimate(USAGE, period=NOVEMBER)  # 100 executions x 1 minute
    twice = doubled("web")
    for both in (twice.then(twice), combine([twice, twice]), combine([twice, halve_requests()])):
        assert both.edited(baseline.usage) is None
    assert codepipeline(twice.then(twice).apply(baseline)) == pytest.approx(400 * V2_MINUTE)
    assert codepipeline(combine([twice, twice]).apply(baseline)) == pytest.approx(400 * V2_MINUTE)
    mixed = combine([halve_requests(), twice]).apply(baseline)
    assert codepipeline(mixed) == pytest.approx(200 * V2_MINUTE)
    assert requests_usd(mixed) == pytest.approx(500_000 * PER_REQUEST)
    assert halve_requests().edited(baseline.usage) is None
    both_kinds = Change("edit and rows", halve_requests().rows, edit=twice.edit)
    assert both_kinds.edited(baseline.usage) is None
    alone = twice.edited(baseline.usage)
    assert alone is not None
    assert alone.runs.actions["count"].tolist() == [200.0]
    assert baseline.usage.runs.actions["count"].tolist() == [100.0]  # edited on a copy


def test_then_keeps_a_model_edit_composed_with_a_row_change_in_either_order() -> None:
    """Bugs caught: `then` taking the rows-only path when only one side has a model edit (that edit then lost), and
    a composition of model edits (`then` or `combine`) losing its title or its usage-file patch."""
    baseline = estimate(USAGE, period=NOVEMBER)  # 100 executions x 1 minute; 1 M requests
    twice = Change("x2 web", usage_patch=[{"op": "set", "path": "p", "value": 2}], edit=doubled("web").edit)
    for both in (twice.then(halve_requests()), halve_requests().then(twice)):
        after = both.apply(baseline)
        assert codepipeline(after) == pytest.approx(200 * V2_MINUTE)
        assert requests_usd(after) == pytest.approx(500_000 * PER_REQUEST)
    assert twice.then(halve_requests()).title == "x2 web; half the requests"
    mixed = combine([twice, halve_requests()])  # `combine`'s model-edit path: the same title and patches
    assert mixed.title == "x2 web; half the requests"
    assert mixed.usage_patch == [*twice.usage_patch, *halve_requests().usage_patch]
    assert twice.then(halve_requests()).usage_patch == [*twice.usage_patch, *halve_requests().usage_patch]
    assert halve_requests().then(twice).usage_patch == [*halve_requests().usage_patch, *twice.usage_patch]


def test_an_edit_that_touches_no_runs_or_inventory_keeps_the_rows_it_left() -> None:
    """Bug caught: `transform` re-deriving even when the edit touched no service, which puts the rows an edit left
    back in service order (a bill shown in another order than the edit gave)."""
    baseline = estimate(USAGE, period=NOVEMBER)

    def reverse(usage: Usage) -> Usage:
        usage.rows = usage.rows.iloc[::-1].reset_index(drop=True)
        return usage

    after = Change("rows reversed", edit=reverse).apply(baseline)
    assert after.lines["usage_type"].tolist() == baseline.lines["usage_type"].tolist()[::-1]
    assert after.total == pytest.approx(baseline.total)


def test_a_change_applied_with_a_price_book_of_ones_own_derives_its_rows_with_that_book() -> None:
    """Bug caught: `apply` re-deriving the changed builds with the shipped compute-type mapping instead of the
    price book it was given (a pricing folder of one's own mapping general1.medium Linux to the large usage type:
    $0.02 a minute, not $0.01)."""
    shipped = load_pricebook()
    types = shipped.compute_types.copy()
    medium = (types["compute_type"] == "BUILD_GENERAL1_MEDIUM") & (types["environment_type"] == "LINUX_CONTAINER")
    types.loc[medium, "usage_type"] = "Build-Min:Linux:g1.large"
    book = dataclasses.replace(shipped, compute_types=types)
    usage = {"version": 1, "free_tier": False,
             "codebuild": {"api": {"compute_type": "BUILD_GENERAL1_MEDIUM", "builds_per_month": 10,
                                   "minutes_per_build": 3}}}  # fmt: skip
    baseline = estimate(usage, period=NOVEMBER, pricebook=book)
    assert baseline.by_service()["CodeBuild"] == pytest.approx(10 * 3 * 0.02)

    def more_builds(model: Usage) -> Usage:
        model.runs.builds["count"] *= 2
        return model

    after = Change("x2 builds", edit=more_builds).apply(baseline, pricebook=book)
    assert after.by_service()["CodeBuild"] == pytest.approx(20 * 3 * 0.02)


def test_apply_to_checks_the_new_document_against_the_price_book_it_was_given() -> None:
    """Bug caught: `apply_to` validating the patched document with the shipped tables instead of the price book it
    was given, refusing a compute type that book maps (BUILD_GENERAL2_HUGE: general1.large Linux, $0.02)."""
    shipped = load_pricebook()
    extra = shipped.compute_types[shipped.compute_types["usage_type"] == "Build-Min:Linux:g1.large"].head(1)
    book = dataclasses.replace(
        shipped,
        compute_types=pd.concat([shipped.compute_types, extra.assign(compute_type="BUILD_GENERAL2_HUGE")]),
    )
    usage = {"version": 1, "free_tier": False,
             "codebuild": {"api": {"compute_type": "BUILD_GENERAL2_HUGE", "builds_per_month": 10,
                                   "minutes_per_build": 3}}}  # fmt: skip
    patch = [{"op": "set", "path": "codebuild.api.builds_per_month", "value": 20}]
    document = Change("x2 builds", usage_patch=patch).apply_to(load_usage(usage, pricebook=book), pricebook=book)
    assert estimate(document, period=NOVEMBER, pricebook=book).by_service()["CodeBuild"] == pytest.approx(20 * 3 * 0.02)
