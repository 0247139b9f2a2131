"""Pricing edges a mutation run of costkit/price.py found untested: what a bill says when a price is missing, where a
borrowed price comes from, what each line carries besides its cost, and the tier and overflow backstops. Each test
says the bug it catches; each passes on the code as it is and fails on that bug.

Every expected figure is price x quantity written out from the prices pricing/*.csv ships (see
tests/test_billing_boundaries.py for the helpers and the us-east-1 prices): CodeBuild general1.small Linux $0.005
per minute in us-east-1 and ap-northeast-1, arm1.small $0.0034 (us-east-1) and $0.00425 (ap-northeast-1);
CodeBuild has no eu-west-1 prices, no general1.xlarge price in us-east-1 and no Lambda-compute 2 GB price anywhere,
and is not offered in ca-west-1. A few tests change one price row in a copy of the price book (a pricing folder is
input too) to reach a tier or a figure the shipped tables do not have.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd
import pytest
from test_billing_boundaries import (
    ACCOUNT,
    BOOK,
    GIB,
    NOVEMBER,
    REGION,
    X86,
    build_run,
    from_snapshot,
    one_gb_function,
    snapshot,
    usage_file,
)

from costkit import Estimate, estimate
from costkit.tables import PriceBook

SMALL, TOKYO_ARM_SMALL = 0.005, 0.00425
ARM_FIRST_TIER = 0.0000133334  # Lambda Arm duration, first 7.5 B GB-s
NO_PRICE_HERE = "no published price for this usage type in this region in the price set used"
NO_FALLBACK = "; no fallback region was given to borrow one from"
NO_PRICE_ANYWHERE = "no price for this usage type in any region costkit ships"
MONEY = ["unit_price_usd", "gross_usd", "free_tier_usd", "cost_usd"]


def project(
    region: str,
    compute: str = "BUILD_GENERAL1_SMALL",
    environment: str = "LINUX_CONTAINER",
    builds: int = 10,
    minutes: float = 3,
) -> dict:
    """10 builds of 3 minutes a month: 30 build minutes (1,800 seconds on Lambda compute)."""
    return {"region": region, "compute_type": compute, "environment_type": environment, "builds_per_month": builds,
            "minutes_per_build": minutes}  # fmt: skip


ESTATE = {
    "eu": project("eu-west-1"),  # no CodeBuild price in eu-west-1; us-east-1 has general1.small
    "tokyo-arm": project("ap-northeast-1", environment="ARM_CONTAINER"),  # its own price, unlike us-east-1's
    "eu-xl": project("eu-west-1", compute="BUILD_GENERAL1_XLARGE"),  # no price in eu-west-1 nor us-east-1
    "lam": project(REGION, compute="BUILD_LAMBDA_2GB", environment="LINUX_LAMBDA_CONTAINER"),  # priced nowhere
}


def by_resource(result: Estimate) -> pd.DataFrame:
    return result.lines.set_index("resource")


def missing_by_resource(result: Estimate) -> dict[str, dict[str, Any]]:
    return {str(row["resource"]): row for row in result.missing_prices.to_dict("records")}


def book_with(**changes: Any) -> PriceBook:
    """The shipped price book with the rows matching `where` changed: a pricing folder someone edited."""
    where, values = changes.pop("where"), changes
    prices = BOOK.prices.copy()
    mask = pd.Series(True, index=prices.index)
    for column, value in where.items():
        mask &= prices[column] == value
    assert mask.sum() == 1, where
    for column, value in values.items():
        prices.loc[mask, column] = value
    return dataclasses.replace(BOOK, prices=prices)


# --- a missing price is reported with its reason, never $0 ------------------------------------------------------


def test_a_row_without_a_price_is_missing_never_zero_and_says_why() -> None:
    """Bugs caught: a row without a price priced at $0 or dropped from `missing_prices`; a missing row's account,
    region, service, resource, usage type, quantity or unit lost; a missing line keeping a price region or any
    money figure; each reason's wording (not offered, no price in this region and no fallback, no price anywhere)."""
    estate = {
        **ESTATE,
        "ca": project("ca-west-1"),  # CodeBuild is not offered in ca-west-1
        "eu-once": project("eu-west-1", builds=1, minutes=1),  # 1 build minute: still missing
        "eu-idle": project("eu-west-1", builds=0),  # nothing to price: not missing
    }
    result = estimate(usage_file(codebuild=estate), period=NOVEMBER, pricebook=BOOK)
    assert not result.complete
    assert result.incomplete_services() == ["CodeBuild"]
    lines = by_resource(result)
    assert lines.loc["tokyo-arm", "cost_usd"] == pytest.approx(30 * TOKYO_ARM_SMALL)
    assert result.total == pytest.approx(30 * TOKYO_ARM_SMALL)  # a lower bound: the priced line only
    for name in ("eu", "eu-xl", "lam", "ca", "eu-once"):
        assert lines.loc[name, MONEY].isna().all(), name  # never $0
        assert pd.isna(lines.loc[name, "price_region"]), name  # priced nowhere, so no price region
    assert lines.loc["eu-idle", "quantity"] == 0
    missing = missing_by_resource(result)
    assert sorted(missing) == ["ca", "eu", "eu-once", "eu-xl", "lam"]
    assert missing["eu-once"]["quantity"] == 1 * 1.0
    assert list(result.missing_prices.columns) == [
        "account", "region", "service", "resource", "usage_type", "quantity", "unit", "reason",
    ]  # fmt: skip
    assert missing["eu"] == {
        "account": ACCOUNT, "region": "eu-west-1", "service": "CodeBuild", "resource": "eu",
        "usage_type": "Build-Min:Linux:g1.small", "quantity": 10 * 3.0, "unit": "Minute",
        "reason": NO_PRICE_HERE + NO_FALLBACK,
    }  # fmt: skip
    assert missing["eu-xl"]["reason"] == NO_PRICE_HERE + NO_FALLBACK
    assert missing["lam"]["usage_type"] == "Build-Sec:Linux:Lambda:x86-64.2GB"
    assert (missing["lam"]["quantity"], missing["lam"]["unit"]) == (10 * 3 * 60.0, "Second")
    assert missing["lam"]["reason"] == NO_PRICE_ANYWHERE
    assert missing["ca"]["reason"] == "CodeBuild is not offered in ca-west-1"
    assert "fallback-region" not in {a["id"] for a in result.assumptions}


def test_a_fallback_region_prices_only_the_rows_without_a_price_of_their_own() -> None:
    """Bugs caught: the fallback price used for rows that have a price in their own region (ap-northeast-1's
    arm1.small billed at us-east-1's $0.0034), or not used for rows that need it; a borrowed line not naming the
    region it was priced in, or its price's date; the missing reason still saying no fallback was given."""
    result = estimate(usage_file(codebuild=ESTATE), period=NOVEMBER, pricebook=BOOK, fallback_region="us-east-1")
    lines = by_resource(result)
    assert lines.loc["eu", "region"] == "eu-west-1"  # where it runs
    assert lines.loc["eu", "price_region"] == "us-east-1"  # where its price comes from
    assert lines.loc["eu", "cost_usd"] == pytest.approx(30 * SMALL)
    assert lines.loc["eu", "unit_price_usd"] == pytest.approx(SMALL)
    assert lines.loc["eu", "price_effective_date"] == "2026-08-01"  # us-east-1's general1.small row
    assert lines.loc["tokyo-arm", "price_region"] == "ap-northeast-1"
    assert lines.loc["tokyo-arm", "cost_usd"] == pytest.approx(30 * TOKYO_ARM_SMALL)
    assert lines.loc["tokyo-arm", "price_effective_date"] == "2026-01-01"
    assert "fallback-region" in {a["id"] for a in result.assumptions}
    assert result.total == pytest.approx(30 * SMALL + 30 * TOKYO_ARM_SMALL)
    missing = missing_by_resource(result)
    assert sorted(missing) == ["eu-xl", "lam"]
    assert missing["eu-xl"]["reason"] == NO_PRICE_HERE  # a fallback was given; it has no price either
    assert missing["lam"]["reason"] == NO_PRICE_ANYWHERE
    assert pd.isna(lines.loc["eu-xl", "price_region"])
    # A fallback nobody needs changes nothing and is not claimed.
    own = estimate(usage_file(codebuild={"tokyo-arm": ESTATE["tokyo-arm"]}), period=NOVEMBER, pricebook=BOOK,
                   fallback_region="us-east-1")  # fmt: skip
    assert own.lines["price_region"].tolist() == ["ap-northeast-1"]
    assert "fallback-region" not in {a["id"] for a in own.assumptions}


def test_a_build_of_an_unknown_compute_type_is_missing_for_want_of_a_usage_type_and_draws_no_free_tier() -> None:
    """Bugs caught: rows without a usage type dropped when grouping (their free-tier quantity then NaN, not 0); the
    reason for a resource whose configuration maps to no usage type."""
    snap = snapshot(
        builds=[build_run("known", i, 120, "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER") for i in range(60)]
        + [build_run("future", 99, 120, "BUILD_GENERAL9_HUGE", "LINUX_CONTAINER")]
    )
    result = from_snapshot(snap, free_tier=True)
    lines = by_resource(result)
    assert pd.isna(lines.loc["future", "usage_type"])
    assert lines.loc["future", "free_tier_quantity"] == 0  # it draws nothing from the free minutes
    assert lines.loc["future", MONEY].isna().all()
    # 60 builds x 2 minutes = 120 minutes; 100 are free (6,000 s / 60).
    assert lines.loc["known", "free_tier_quantity"] == pytest.approx(100)
    assert lines.loc["known", "cost_usd"] == pytest.approx((120 - 100) * SMALL)
    missing = missing_by_resource(result)
    assert list(missing) == ["future"]
    assert missing["future"]["reason"] == "no usage type known for this resource's configuration"
    assert missing["future"]["quantity"] == 2.0


# --- what each line carries besides its cost ---------------------------------------------------------------------


def lambda_source(usage_type: str) -> str:
    """The source URL pricing/lambda.csv gives for the usage type's first us-east-1 tier."""
    table = pd.read_csv(BOOK.directory / "lambda.csv")
    rows = table[(table["region"] == REGION) & (table["usage_type"] == usage_type) & (table["tier_start"] == 0)]
    assert len(rows) == 1
    return str(rows["source"].iloc[0])


def test_each_line_carries_its_share_of_gross_free_and_net_and_where_its_price_came_from() -> None:
    """Bugs caught: a line's gross, free-tier dollars, free quantity or unit price taken from the wrong column or
    not shared by quantity; an idle line's unit price lost (it is the first tier's); the price's source, effective
    date or price set not carried to the line."""
    functions = {
        "a": one_gb_function("x86_64", 300_000),  # 300,000 requests of 1 GB-s each
        "b": one_gb_function("x86_64", 500_000),
        "idle": one_gb_function("arm64", 0),
    }
    result = estimate(usage_file(free_tier=True, **{"lambda": functions}), period=NOVEMBER, pricebook=BOOK)
    lines = result.lines.set_index(["resource", "usage_type"])
    # 800,000 x86 GB-s share 400,000 free GB-s: half of each line is free, all of it in the first tier.
    for name, gb_s in (("a", 300_000), ("b", 500_000)):
        line = lines.loc[(name, "Lambda-GB-Second")]
        assert line["quantity"] == gb_s
        assert line["gross_usd"] == pytest.approx(gb_s * X86[0])
        assert line["free_tier_quantity"] == pytest.approx(gb_s / 2)
        assert line["free_tier_usd"] == pytest.approx(gb_s / 2 * X86[0])
        assert line["cost_usd"] == pytest.approx(gb_s / 2 * X86[0])
        assert line["unit_price_usd"] == pytest.approx(X86[0])
        assert line["price_region"] == REGION
        assert line["price_source"] == lambda_source("Lambda-GB-Second")
        assert line["price_effective_date"] == "2026-09-01"
        assert (line["price_set"], line["price_version"], line["price_date"]) == ("bundled", None, None)
        # 800,000 requests are inside the 1 M free requests.
        requests = lines.loc[(name, "Request")]
        assert requests["gross_usd"] == pytest.approx(gb_s * 0.20 / 1_000_000)
        assert requests["free_tier_usd"] == pytest.approx(gb_s * 0.20 / 1_000_000)
        assert requests["free_tier_quantity"] == pytest.approx(gb_s)
        assert requests["cost_usd"] == 0
    idle = lines.loc[("idle", "Lambda-GB-Second-ARM")]
    assert (idle["quantity"], idle["cost_usd"], idle["gross_usd"], idle["free_tier_quantity"]) == (0, 0, 0, 0)
    assert idle["unit_price_usd"] == pytest.approx(ARM_FIRST_TIER)  # what its first unit would cost
    assert result.total == pytest.approx(400_000 * X86[0])


def half_month_tier_book() -> PriceBook:
    """The shipped price book with us-east-1's ActivePipeline in two tiers: $1.00 for the first half
    pipeline-month, $3.00 after (the shipped first tiers are all wider than a unit or an allowance)."""
    prices = BOOK.prices.copy()
    row = prices[(prices["region"] == REGION) & (prices["usage_type"] == "ActivePipeline")]
    assert len(row) == 1
    split = pd.concat([row.assign(tier_end=0.5), row.assign(tier_start=0.5, price_usd=3.00)])
    return dataclasses.replace(BOOK, prices=pd.concat([prices.drop(row.index), split], ignore_index=True))


def test_a_unit_price_is_the_blended_rate_even_for_a_single_unit() -> None:
    """Bug caught: the unit price of a line of one unit or less taken from the first tier instead of gross /
    quantity. The shipped first tiers are all wider than a unit, so a price table whose first ActivePipeline tier
    ends at half a pipeline-month ($1.00, then $3.00) shows it: one active V1 pipeline grosses 0.5 x 1 + 0.5 x 3."""
    book = half_month_tier_book()
    pipeline = {"type": "V1", "active": True, "executions_per_month": 1, "actions": []}
    result = estimate(usage_file(pipelines={"old": pipeline}), period=NOVEMBER, pricebook=book)
    line = by_resource(result).loc["old"]
    assert line["quantity"] == 1
    assert line["cost_usd"] == pytest.approx(0.5 * 1.00 + 0.5 * 3.00)
    assert line["unit_price_usd"] == pytest.approx((0.5 * 1.00 + 0.5 * 3.00) / 1)


def test_a_free_allowance_that_runs_past_the_first_tier_is_taken_tier_by_tier() -> None:
    """Bug caught: the free quantity spread over the tiers without their ends (each tier taking all of the free
    quantity above its start), so an allowance wider than the first tier is worth more than it is. No shipped
    allowance runs past a first tier, so a price table whose first ActivePipeline tier ends at half a
    pipeline-month ($1.00, then $3.00) shows it: two active V1 pipelines gross 0.5 x 1 + 1.5 x 3; the one free
    pipeline-month is the first 0.5 x 1 + 0.5 x 3 of it."""
    book = half_month_tier_book()
    pipeline = {"type": "V1", "active": True, "executions_per_month": 1, "actions": []}
    usage = usage_file(free_tier=True, pipelines={"a": pipeline, "b": pipeline})
    result = estimate(usage, period=NOVEMBER, pricebook=book)
    gross, free = 0.5 * 1.00 + 1.5 * 3.00, 0.5 * 1.00 + 0.5 * 3.00
    assert result.lines["gross_usd"].sum() == pytest.approx(gross)
    assert result.lines["free_tier_usd"].sum() == pytest.approx(free)
    assert result.total == pytest.approx(gross - free)


def test_a_snapshot_whose_only_builds_are_of_an_unknown_compute_type_is_incomplete_not_a_crash() -> None:
    """Bug caught: every line without a usage type made the pricing join fail inside pandas ("merge on float64 and
    str columns") instead of reporting the price as missing. One 90 s build on a compute type no table maps: two
    billed minutes, no price, the estimate incomplete with the reason."""
    result = from_snapshot(snapshot(builds=[build_run("b", 0, 90, "BUILD_GENERAL9_HUGE", "LINUX_CONTAINER")]))
    assert not result.complete
    assert result.total == 0
    assert result.lines[MONEY].isna().all().all()
    missing = missing_by_resource(result)["b"]
    assert (missing["quantity"], missing["unit"], missing["usage_type"]) == (2.0, "Minute", None)
    assert missing["reason"] == "no usage type known for this resource's configuration"


# --- tiers: per account and region, and a quantity past the last one ---------------------------------------------


def test_volume_tiers_accumulate_per_region_under_either_scope() -> None:
    """Bug caught: tiers accumulated across regions (80,000 GB in two regions billed as if in one, 28,800 GB at
    the second tier's $0.022)."""
    buckets = {
        "east": {"storage_class": "STANDARD", "storage_gb": 40_000},
        "west": {"storage_class": "STANDARD", "storage_gb": 40_000, "region": "eu-west-1"},
    }
    usage = usage_file(s3=buckets)
    for scope in ("account", "organization"):
        result = estimate(usage, period=NOVEMBER, pricebook=BOOK, free_tier_scope=scope)
        assert result.by_service()["S3"] == pytest.approx(2 * 40_000 * 0.023), scope  # both in their first tier
        assert by_resource(result)["unit_price_usd"].tolist() == pytest.approx([0.023, 0.023]), scope


def s3_standard_ending_at(end: float) -> PriceBook:
    """The price book with us-east-1 S3 Standard's last tier (from 512,000 GB) ending at `end` GB."""
    return book_with(where={"region": REGION, "usage_type": "TimedStorage-ByteHrs", "tier_start": 512_000},
                     tier_end=end)  # fmt: skip


def test_a_quantity_past_the_last_published_tier_makes_the_whole_group_missing() -> None:
    """Bugs caught: a quantity past the last published tier priced on the part the tiers cover (a silent lower
    bound), or let through when under one unit past; one bucket of a group past the tiers priced while another is
    not."""
    book = s3_standard_ending_at(600_000)
    tiers = 51_200 * 0.023 + (512_000 - 51_200) * 0.022

    def priced(*gbs: float) -> Estimate:
        buckets = {f"b{i}": {"storage_class": "STANDARD", "storage_gb": gb} for i, gb in enumerate(gbs)}
        return estimate(usage_file(s3=buckets), period=NOVEMBER, pricebook=book)

    at_the_end = priced(300_000, 300_000)  # exactly 600,000 GB: every unit has a price
    assert at_the_end.complete
    assert at_the_end.total == pytest.approx(tiers + (600_000 - 512_000) * 0.021)
    noise = priced(600_000 + 1e-9)  # a billionth of a GB past the end is float noise, not a missing price
    assert noise.complete
    assert noise.total == pytest.approx(tiers + (600_000 - 512_000) * 0.021)
    for past in (priced(300_000, 300_000.5), priced(600_001)):  # half a GB, or one GB, past the last tier
        assert not past.complete
        assert past.lines[MONEY].isna().all().all()  # every bucket of the group, not only the one that tipped it
        assert past.lines["price_region"].isna().all()
        assert sorted(past.missing_prices["resource"]) == sorted(past.lines["resource"])
        assert past.total == 0


def test_a_cost_too_large_to_represent_is_missing_not_infinite() -> None:
    """Bug caught: the overflow backstop leaving a line at inf dollars (or its gross, free-tier dollars or unit
    price at inf). A price table with a mistyped exponent ($1.5e308 per pipeline-month) makes 2 pipelines cost
    more than a float holds."""
    book = book_with(where={"region": REGION, "usage_type": "ActivePipeline"}, price_usd=1.5e308)
    pipelines = {name: {"type": "V1", "active": True, "executions_per_month": 1, "actions": []} for name in "ab"}
    one_minute = [{"name": "Build", "category": "Build", "minutes": 1}]
    pipelines["v2"] = {"type": "V2", "executions_per_month": 10, "actions": one_minute}
    result = estimate(usage_file(pipelines=pipelines), period=NOVEMBER, pricebook=book)
    lines = result.lines.set_index("resource")
    for name in "ab":
        assert lines.loc[name, MONEY].isna().all(), name
        assert all(not math.isinf(value) for value in lines.loc[name, MONEY].astype(float)), name
    assert sorted(result.missing_prices["resource"]) == ["a", "b"]
    assert not result.complete
    assert lines.loc["v2", "cost_usd"] == pytest.approx(10 * 1 * 0.002)  # the rest is still priced


def test_a_line_of_unknown_quantity_is_not_billed_its_groups_cost() -> None:
    """Bug caught: a line whose quantity is unknown (a bucket whose size has no datapoint, which a snapshot built
    in code can hold; the snapshot checks flag it on reading) taking its whole group's cost as its share, so the
    known bucket's storage is billed twice."""
    snap = snapshot(
        bucket_storage=[
            {"bucket": "unknown", "storage_type": "StandardStorage", "avg_bytes": float("nan")},
            {"bucket": "known", "storage_type": "StandardStorage", "avg_bytes": 10 * GIB},
        ]
    )
    result = from_snapshot(snap)
    lines = by_resource(result)
    assert pd.isna(lines.loc["unknown", "quantity"])
    assert lines.loc["known", "cost_usd"] == pytest.approx(10 * 0.023)
    assert result.by_service()["S3"] == pytest.approx(10 * 0.023)  # the known bucket once


# --- the reasons for a quantity past the tiers and for a cost past a float (fixed with these tests) --------------


def test_a_quantity_past_the_last_published_tier_says_so() -> None:
    """Bug caught (a real one: the reason was computed after each missing line's price region had been cleared, so
    this reason could never be given): a quantity past the last published tier reported as having no published
    price in its region, which sends the reader to look for a price that is there."""
    past = estimate(usage_file(s3={"big": {"storage_class": "STANDARD", "storage_gb": 600_001}}), period=NOVEMBER,
                    pricebook=s3_standard_ending_at(600_000))  # fmt: skip
    assert past.missing_prices.to_dict("records") == [{
        "account": ACCOUNT, "region": REGION, "service": "S3", "resource": "big", "usage_type": "TimedStorage-ByteHrs",
        "quantity": 600_001.0, "unit": "GB-Month",
        "reason": "quantity runs past the last published price tier for this region",
    }]  # fmt: skip
    # Borrowed from a fallback region whose tiers end too: the tiers of the region it was looked up in.
    book = book_with(where={"region": "eu-west-1", "usage_type": "TimedStorage-ByteHrs", "tier_start": 512_000},
                     tier_end=600_000.0)  # fmt: skip
    eu = {"big": {"storage_class": "STANDARD", "storage_gb": 600_001, "region": "eu-north-1"}}
    prices = book.prices
    book = dataclasses.replace(book, prices=prices[~((prices["region"] == "eu-north-1") & (prices["service"] == "S3"))])
    borrowed = estimate(usage_file(s3=eu), period=NOVEMBER, pricebook=book, fallback_region="eu-west-1")
    assert borrowed.missing_prices["reason"].tolist() == [
        "quantity runs past the last published price tier for this region"
    ]
    assert borrowed.lines["price_region"].isna().all()


def test_a_cost_too_large_to_represent_says_so() -> None:
    """Bug caught: a cost past what a float holds (a mistyped price) reported as having no published price."""
    book = book_with(where={"region": REGION, "usage_type": "ActivePipeline"}, price_usd=1.5e308)
    pipelines = {name: {"type": "V1", "active": True, "executions_per_month": 1, "actions": []} for name in "ab"}
    result = estimate(usage_file(pipelines=pipelines), period=NOVEMBER, pricebook=book)
    assert (
        result.missing_prices["reason"].tolist()
        == ["the cost is too large to represent: check the quantity and the price table"] * 2
    )
