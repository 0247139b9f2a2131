"""focus.csv against FOCUS 1.2 (https://focus.finops.org/focus-specification/v1-2/): every Mandatory column,
typed as the spec says, with the estimate's list cost and the bill's actuals worked out by hand.

Prices (us-east-1, pricing/*.csv): CodePipeline V2 $0.002 per action minute (100 free minutes a month),
CodeBuild general1.medium $0.01 per minute (no free tier), S3 Standard $0.023 per GB-month.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from costkit import Estimate, Period, estimate
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.present.focus import focus_csv, focus_frame

OCTOBER = Period.month(2026, 10)
# The 21 columns FOCUS 1.2 marks Mandatory, with the data type and nullability of each column's "Content
# constraints" table (specification/columns/*.md at tag v1.2 of FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec).
MANDATORY = {
    "BilledCost": ("Decimal", False),
    "BillingAccountId": ("String", False),
    "BillingAccountName": ("String", True),
    "BillingCurrency": ("String", False),
    "BillingPeriodEnd": ("Date/Time", False),
    "BillingPeriodStart": ("Date/Time", False),
    "ChargeCategory": ("String", False),
    "ChargeClass": ("String", True),
    "ChargeDescription": ("String", True),
    "ChargePeriodEnd": ("Date/Time", False),
    "ChargePeriodStart": ("Date/Time", False),
    "ContractedCost": ("Decimal", False),
    "EffectiveCost": ("Decimal", False),
    "InvoiceIssuerName": ("String", False),
    "ListCost": ("Decimal", False),
    "PricingQuantity": ("Decimal", True),
    "PricingUnit": ("String", True),
    "ProviderName": ("String", False),
    "PublisherName": ("String", False),
    "ServiceCategory": ("String", False),
    "ServiceName": ("String", False),
}
# Numeric Format: an integer or decimal, `-` only for negatives, no `+`, commas, symbols; E notation allowed.
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?(E-?[0-9]+)?")
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")  # Date/Time Format, UTC
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
SERVICE_CATEGORIES = {"Developer Tools", "Compute", "Storage"} | {"Analytics", "Databases", "Networking", "Other"}

USAGE = {
    "version": 1,
    "region": "us-east-1",
    "free_tier": True,
    "pipelines": {
        # 300 executions x one 6.2-minute action, each rounded up to 7 minutes: 2,100 minutes, 100 of them free.
        "web": {
            "type": "V2",
            "executions_per_month": 300,
            "actions": [{"name": "Build", "category": "Build", "minutes": 6.2}],
        }
    },
    "codebuild": {
        # 100 builds x 5 minutes on general1.medium: 500 minutes, none free.
        "web-build": {
            "compute_type": "BUILD_GENERAL1_MEDIUM",
            "environment_type": "LINUX_CONTAINER",
            "builds_per_month": 100,
            "minutes_per_build": 5,
        }
    },
    "s3": {"artifacts": {"storage_gb": 80, "storage_class": "STANDARD"}},  # 80 GB-months
}
PIPELINE_USD = (2100 - 100) * 0.002  # $4.00
BUILD_USD = 500 * 0.01  # $5.00
STORAGE_USD = 80 * 0.023  # $1.84
ESTIMATE_USD = PIPELINE_USD + BUILD_USD + STORAGE_USD  # $10.84


def _estimate(usage: dict[str, object] | None = None) -> Estimate:
    return estimate(usage or USAGE, period=OCTOBER)


def _actuals(result: Estimate, rows: list[tuple[str, str, float, float, str]]) -> pd.DataFrame:
    """Cost Explorer's rows as collect writes them: one per (service, usage type) for the month, for the
    estimate's account (a usage file's lines are all one account)."""
    return pd.DataFrame(
        [
            {
                "account": result.lines["account"].iloc[0],
                "service": service,
                "usage_type": usage_type,
                "period_start": pd.Timestamp("2026-10-01", tz="UTC"),
                "period_end": pd.Timestamp("2026-11-01", tz="UTC"),
                "cost_usd": cost,
                "usage_quantity": quantity,
                "unit": unit,
                "estimated": False,
            }
            for service, usage_type, cost, quantity, unit in rows
        ]
    )


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_every_mandatory_column_is_present_and_typed_as_the_spec_says() -> None:
    table = _read(focus_csv(_estimate()))
    missing = [name for name in MANDATORY if name not in table.columns]
    assert missing == []
    for name, (kind, nullable) in MANDATORY.items():
        values = table[name]
        if not nullable:
            assert (values != "").all(), f"{name} has a null"
        present = values[values != ""]
        if kind == "Decimal":
            assert present.map(lambda v: DECIMAL.fullmatch(v) is not None).all(), f"{name}: {list(present)}"
        elif kind == "Date/Time":
            assert present.map(lambda v: DATETIME.fullmatch(v) is not None).all(), f"{name}: {list(present)}"
    assert set(table["ChargeCategory"]) <= CHARGE_CATEGORIES
    assert set(table["ServiceCategory"]) <= SERVICE_CATEGORIES
    assert set(table["BillingCurrency"]) == {"USD"}  # ISO 4217
    assert set(table["ChargeClass"]) == {""}  # null: no row corrects an earlier invoice
    assert set(table["BillingPeriodStart"]) == {"2026-10-01T00:00:00Z"}
    assert set(table["BillingPeriodEnd"]) == {"2026-11-01T00:00:00Z"}  # exclusive end
    # PricingUnit is null exactly where PricingQuantity is null (pricingunit.md).
    assert ((table["PricingUnit"] == "") == (table["PricingQuantity"] == "")).all()


def test_custom_columns_are_x_prefixed_and_come_after_every_focus_column() -> None:
    columns = list(focus_frame(_estimate()).columns)
    custom = [name for name in columns if name.startswith("x_")]
    assert {"x_Pipeline", "x_CostSource", "x_BilledCostEstimated"} <= set(custom)
    assert columns[-len(custom) :] == custom
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", name) for name in columns if name not in custom)  # Pascal case


def test_without_actuals_list_cost_sums_to_the_estimate_and_billed_cost_is_marked_estimated() -> None:
    frame = focus_frame(_estimate())
    assert frame["ListCost"].sum() == pytest.approx(ESTIMATE_USD)
    assert frame["BilledCost"].sum() == pytest.approx(ESTIMATE_USD)
    assert frame["EffectiveCost"].sum() == pytest.approx(ESTIMATE_USD)
    assert set(frame["x_CostSource"]) == {"estimate"}
    assert frame["x_BilledCostEstimated"].all()
    # The V2 line: 2,000 billable minutes at $0.002 and its 100 free minutes as a row of their own at $0.
    web = frame[frame["x_Pipeline"] == "web"]
    billable = web[~web["x_FreeTier"]].iloc[0]
    free = web[web["x_FreeTier"]].iloc[0]
    assert billable["PricingQuantity"] == pytest.approx(2000)
    assert billable["ListUnitPrice"] == pytest.approx(0.002)
    assert billable["ListCost"] == pytest.approx(2000 * 0.002)
    assert (free["PricingQuantity"], free["ListUnitPrice"], free["ListCost"]) == (pytest.approx(100), 0.0, 0.0)
    assert (billable["PricingUnit"], billable["ServiceName"], billable["ServiceCategory"]) == (
        "Minutes",
        "AWS CodePipeline",
        "Developer Tools",
    )
    # ListCost = ListUnitPrice x PricingQuantity on every row (listcost.md).
    assert frame["ListCost"].to_numpy() == pytest.approx((frame["ListUnitPrice"] * frame["PricingQuantity"]).to_numpy())


def test_billed_cost_sums_to_the_actual_total_and_list_cost_to_the_estimate() -> None:
    result = _estimate()
    result.actuals = _actuals(
        result,
        [
            ("CodePipeline", "USE1-actionExecutionMinute", 4.10, 2050.0, "Minutes"),
            ("CodeBuild", "Build-Min:Linux:g1.medium", 5.02, 502.0, "Minutes"),  # us-east-1: no prefix
            ("S3", "TimedStorage-ByteHrs", 1.90, 82.6, "GB-Mo"),
            ("S3", "USE1-DataTransfer-Out-Bytes", 0.30, 3.3, "GB"),  # outside CI: no costkit line
        ],
    )
    frame = focus_frame(result)
    assert frame["BilledCost"].sum() == pytest.approx(4.10 + 5.02 + 1.90 + 0.30)
    assert frame["EffectiveCost"].sum() == pytest.approx(4.10 + 5.02 + 1.90 + 0.30)
    estimated = frame[frame["x_CostSource"] != "actual-only"]
    assert estimated["ListCost"].sum() == pytest.approx(ESTIMATE_USD)
    assert not frame["x_BilledCostEstimated"].any()
    # The pipeline's bill goes to its billable row (list $4.00); its free row's list cost is $0, so it bills $0.
    web = frame[frame["x_Pipeline"] == "web"].set_index("x_FreeTier")
    assert web.loc[False, "BilledCost"] == pytest.approx(4.10)
    assert web.loc[True, "BilledCost"] == 0
    build = frame[frame["ResourceName"] == "web-build"].iloc[0]
    assert build["BilledCost"] == pytest.approx(5.02)
    alone = frame[frame["x_CostSource"] == "actual-only"].iloc[0]
    assert (alone["BilledCost"], alone["ListCost"], alone["ServiceName"]) == (
        0.30,
        0.30,
        "Amazon Simple Storage Service",
    )
    assert alone["RegionId"] == "us-east-1"


def test_a_region_prefix_sends_the_actual_to_that_region_only() -> None:
    usage = {
        "version": 1,
        "free_tier": False,
        "s3": {
            "east": {"storage_gb": 10, "storage_class": "STANDARD"},
            "tokyo": {"region": "ap-northeast-1", "storage_gb": 10, "storage_class": "STANDARD"},
        },
    }
    result = _estimate(usage)
    result.actuals = _actuals(result, [("S3", "APN1-TimedStorage-ByteHrs", 0.27, 10.0, "GB-Mo")])
    frame = focus_frame(result).set_index("ResourceName")
    assert frame.loc["tokyo", "BilledCost"] == pytest.approx(0.27)
    assert frame.loc["east", "BilledCost"] == 0  # billed nothing by the bill: an actual $0, not the estimate
    assert frame.loc["east", "x_CostSource"] == "actual-none"
    assert frame.loc["east", "ListCost"] == pytest.approx(10 * 0.023)


def test_a_line_with_no_price_is_left_out_never_written_at_zero() -> None:
    usage = {
        "version": 1,
        "free_tier": False,
        "codebuild": {
            "eu-build": {
                "region": "eu-west-1",
                "compute_type": "BUILD_GENERAL1_SMALL",
                "environment_type": "LINUX_CONTAINER",
                "builds_per_month": 10,
                "minutes_per_build": 3,
            },
            "web-build": USAGE["codebuild"]["web-build"],  # type: ignore[index]
        },
    }
    result = _estimate(usage)
    assert not result.missing_prices.empty
    frame = focus_frame(result)
    assert list(frame["ResourceName"]) == ["web-build"]
    assert frame["ListCost"].sum() == pytest.approx(500 * 0.01)


def test_hostile_names_cannot_start_a_spreadsheet_formula() -> None:
    usage = {
        "version": 1,
        "region": "us-east-1",
        "pipelines": {
            '=HYPERLINK("http://x")': {
                "type": "V2",
                "executions_per_month": 1,
                "actions": [{"name": "B", "category": "Build", "minutes": 1}],
            }
        },
    }
    table = _read(focus_csv(_estimate(usage)))
    assert set(table["x_Pipeline"]) == {'\'=HYPERLINK("http://x")'}
    assert set(table["ResourceName"]) == {'\'=HYPERLINK("http://x")'}


@pytest.fixture(scope="module")
def demo() -> Estimate:
    """The demo account's October 2026, collected offline by the real collectors (costkit/collect/fake_account.py)."""
    october = Window.month(2026, 10)
    with fake_account(october) as session:
        snapshot = collect(
            session, CollectOptions(window=october, regions=["us-east-1", "ap-northeast-1"], cache_dir=None)
        )
    return estimate(snapshot)


def test_each_observed_execution_is_a_row_of_its_own(demo: Estimate) -> None:
    frame = focus_frame(demo)
    # The demo's bill (fake_account ACTUALS): CodePipeline $2.38, CodeBuild $7.29 + $0.44, Lambda $0, S3 $1.16.
    assert frame["BilledCost"].sum() == pytest.approx(2.38 + 7.29 + 0.44 + 0.00 + 1.16)
    assert frame.loc[frame["x_CostSource"] != "actual-only", "ListCost"].sum() == pytest.approx(demo.total)
    web = frame[frame["x_Pipeline"] == "web-app"]
    per_execution = web.groupby("x_Execution")["ListCost"].sum()
    assert len(per_execution) == 120  # web-app's 120 executions in October
    # Each web-app execution: Source 1 + Build 7 + Deploy 1 action minutes at $0.002, less the share of the
    # account's 100 free V2 minutes (1,380 V2 minutes in all: web-app 1,080, tokyo-service 300), plus its 6-minute
    # general1.medium build at $0.01.
    assert per_execution.to_numpy() == pytest.approx(9 * 0.002 * (1 - 100 / 1380) + 6 * 0.01)
    build_rows = web[web["ServiceName"] == "AWS CodeBuild"]
    assert build_rows["x_Build"].str.startswith("web-app-build:").all()
    assert build_rows["x_Execution"].notna().all()  # each build tied to the pipeline execution that ran it
