"""An estimate as a FOCUS 1.2 cost and usage dataset (focus.csv), for FinOps tools that read FOCUS.

FOCUS 1.2: https://focus.finops.org/focus-specification/v1-2/ (column definitions:
https://github.com/FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec/tree/v1.2/specification/columns). Every column the
spec marks Mandatory is written, then the Conditional ones costkit knows, then costkit's own `x_` columns.

One row per cost line (from a snapshot, one per observed action execution or build: `x_Execution`, `x_Build`), split
in two where the always-free allowance covers part of it: the free part is its own
row at a list unit price of 0 (AWS's price list prices free-tier usage at $0), so ListCost = ListUnitPrice x
PricingQuantity holds on every row and ListCost sums to the estimate. BilledCost and EffectiveCost are the
Cost Explorer actuals where the estimate carries them (a closed, final month), shared among the lines of each
account, region, service and usage type in proportion to their list cost (`x_CostSource` "actual"; "actual-none"
where the bill lists nothing for it: billed $0); a usage type billed with no costkit line becomes a row of its
own (`x_CostSource` "actual-only", its list cost taken as billed). Without actuals they
are the estimate, and `x_CostSource` says "estimate". A line with no price is left out: FOCUS allows no null or
placeholder cost, and the estimate already lists it as missing.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from costkit.estimate import Estimate
from costkit.model.period import Period
from costkit.model.runs import Runs
from costkit.present.escape import csv_frame
from costkit.pricing import current_pricebook
from costkit.pricing.usage_types import billing_prefix, mapping, strip_prefix
from costkit.tables import PriceBook

# (column, FOCUS data type, nulls allowed) in the spec's alphabetical order: the 21 Mandatory columns of 1.2 ...
MANDATORY: tuple[tuple[str, str, bool], ...] = (
    ("BilledCost", "Decimal", False),
    ("BillingAccountId", "String", False),
    ("BillingAccountName", "String", True),
    ("BillingCurrency", "String", False),
    ("BillingPeriodEnd", "Date/Time", False),
    ("BillingPeriodStart", "Date/Time", False),
    ("ChargeCategory", "String", False),
    ("ChargeClass", "String", True),
    ("ChargeDescription", "String", True),
    ("ChargePeriodEnd", "Date/Time", False),
    ("ChargePeriodStart", "Date/Time", False),
    ("ContractedCost", "Decimal", False),
    ("EffectiveCost", "Decimal", False),
    ("InvoiceIssuerName", "String", False),
    ("ListCost", "Decimal", False),
    ("PricingQuantity", "Decimal", True),
    ("PricingUnit", "String", True),
    ("ProviderName", "String", False),
    ("PublisherName", "String", False),
    ("ServiceCategory", "String", False),
    ("ServiceName", "String", False),
)
# ... the Conditional and Recommended ones costkit can fill ...
CONDITIONAL: tuple[tuple[str, str, bool], ...] = (
    ("ChargeFrequency", "String", False),
    ("ConsumedQuantity", "Decimal", True),
    ("ConsumedUnit", "String", True),
    ("ContractedUnitPrice", "Decimal", True),
    ("ListUnitPrice", "Decimal", True),
    ("PricingCategory", "String", True),
    ("RegionId", "String", True),
    ("RegionName", "String", True),
    ("ResourceName", "String", True),
    ("ResourceType", "String", True),
    ("SubAccountId", "String", True),
)
# ... and costkit's own, after every FOCUS column (the spec's Column Handling attribute).
EXTRA = (
    "x_Pipeline",
    "x_Component",
    "x_UsageType",
    "x_FreeTier",
    "x_Execution",
    "x_Build",
    "x_CostSource",
    "x_BilledCostEstimated",
    "x_PriceSource",
)
COLUMNS = tuple(name for name, _, _ in MANDATORY + CONDITIONAL) + EXTRA

# costkit's service names -> the AWS service name (as Cost Explorer and AWS's own FOCUS export write it) and
# its FOCUS ServiceCategory (an allowed value of the spec's servicecategory.md).
SERVICE_NAMES = {
    "CodePipeline": "AWS CodePipeline",
    "CodeBuild": "AWS CodeBuild",
    "Lambda": "AWS Lambda",
    "S3": "Amazon Simple Storage Service",
}
SERVICE_CATEGORIES = {
    "CodePipeline": "Developer Tools",
    "CodeBuild": "Developer Tools",
    "Lambda": "Compute",
    "S3": "Storage",
}
RESOURCE_TYPES = {"CodePipeline": "Pipeline", "CodeBuild": "Project", "Lambda": "Function", "S3": "Bucket"}
# costkit's units -> FOCUS Unit Format (plural units, "<singular>-<plural time units>").
UNITS = {
    "Pipeline-Month": "Pipeline-Months",
    "Minute": "Minutes",
    "Second": "Seconds",
    "Build": "Builds",
    "Request": "Requests",
    "GB-Second": "GB-Seconds",
    "GB-Month": "GB-Months",
    "GB": "GB",
    "Object": "Objects",
    "Object-Month": "Object-Months",
}
PROVIDER = "AWS"  # ProviderName, PublisherName and InvoiceIssuerName: AWS sells, makes and invoices these services
US_EAST_1 = "us-east-1"  # Cost Explorer's usage types carry no region prefix there


def _instant(day: object) -> str:
    return f"{pd.Timestamp(str(day)).strftime('%Y-%m-%d')}T00:00:00Z"


def _split_free_tier(lines: pd.DataFrame) -> pd.DataFrame:
    """Each priced line as its billable part, plus its free-tier part as a row of its own where there is one."""
    free_qty = lines["free_tier_quantity"].fillna(0.0).clip(lower=0.0)
    billable_qty = (lines["quantity"] - free_qty).clip(lower=0.0)
    billable = lines.assign(
        PricingQuantity=billable_qty,
        ListCost=lines["cost_usd"],
        ListUnitPrice=np.where(
            billable_qty > 0, lines["cost_usd"] / billable_qty.where(billable_qty > 0), lines["unit_price_usd"]
        ),
        x_FreeTier=False,
        _share=np.where(lines["quantity"] > 0, billable_qty / lines["quantity"].where(lines["quantity"] > 0), 1.0),
    )
    has_free = free_qty > 0
    free = lines[has_free].assign(
        PricingQuantity=free_qty[has_free],
        ListCost=0.0,
        ListUnitPrice=0.0,
        x_FreeTier=True,
        _share=free_qty[has_free] / lines.loc[has_free, "quantity"],
    )
    keep = ~(has_free & (billable_qty == 0))  # a line the allowance covers whole is its free row only
    both = pd.concat([billable[keep], free])  # the original index: each free row sorts after its line
    return both.sort_index(kind="stable").reset_index(drop=True)


def _prefix_regions(pricebook: PriceBook) -> pd.Series:
    """Billing prefix -> region, read off the price tables' AWS usage types (`APN1-...` rows are ap-northeast-1)."""
    prices = pricebook.prices
    prefixes = billing_prefix(prices["aws_usage_type"].fillna("").astype(str))
    pairs = pd.DataFrame({"prefix": prefixes, "region": prices["region"]})
    pairs = pairs[pairs["prefix"] != ""].drop_duplicates("prefix")
    return pairs.set_index("prefix")["region"]


def _actual_keys(actuals: pd.DataFrame, pricebook: PriceBook) -> pd.DataFrame:
    """Cost Explorer rows keyed like cost lines: the usage type's prefix names the region (none: us-east-1),
    and the bare name maps to costkit's usage type through pricing/usage_types.csv."""
    raw = actuals["usage_type"].astype(str)
    prefix = billing_prefix(raw)
    names = mapping()[["service", "aws_usage_type", "usage_type"]].drop_duplicates(["service", "aws_usage_type"])
    keyed = actuals.assign(
        _bare=strip_prefix(raw),
        _raw=raw,
        region=prefix.map(_prefix_regions(pricebook)).where(prefix != "", US_EAST_1),
    ).drop(columns="usage_type")
    keyed = keyed.merge(
        names.rename(columns={"aws_usage_type": "_bare", "usage_type": "_mapped"}), on=["service", "_bare"], how="left"
    )
    keyed["usage_type"] = keyed["_mapped"].fillna(keyed["_bare"])
    return keyed.drop(columns=["_bare", "_mapped"])


KEY = ["account", "region", "service", "usage_type"]


def _billed(rows: pd.DataFrame, estimate: Estimate, pricebook: PriceBook) -> pd.DataFrame:
    """BilledCost per row: the actuals shared by list cost within each key (by quantity where all are free),
    and the actual-only usage types appended; the estimate itself when there are no actuals."""
    if estimate.actuals.empty:
        return rows.assign(BilledCost=rows["ListCost"], x_CostSource="estimate", x_BilledCostEstimated=True)
    actual = _actual_keys(estimate.actuals, pricebook)
    per_key = actual.groupby(KEY, as_index=False).agg(
        _actual=("cost_usd", "sum"),
        _actual_quantity=("usage_quantity", "sum"),
        _unit=("unit", "first"),
        _raw=("_raw", "first"),
    )
    joined = rows.merge(per_key, on=KEY, how="left")
    groups = joined.groupby(KEY, dropna=False)
    list_total = groups["ListCost"].transform("sum")
    quantity_total = groups["PricingQuantity"].transform("sum")
    count = groups["ListCost"].transform("size")
    weight = np.where(
        list_total > 0,
        joined["ListCost"] / list_total.where(list_total > 0),
        np.where(quantity_total > 0, joined["PricingQuantity"] / quantity_total.where(quantity_total > 0), 1.0 / count),
    )
    matched = joined.assign(
        BilledCost=(joined["_actual"].fillna(0.0) * weight),
        x_CostSource=np.where(joined["_actual"].notna(), "actual", "actual-none"),
        x_BilledCostEstimated=False,
    )
    seen = rows[KEY].drop_duplicates()
    alone = per_key.merge(seen, on=KEY, how="left", indicator=True)
    alone = alone[alone["_merge"] == "left_only"]
    extra = pd.DataFrame(
        {
            **{name: alone[name] for name in KEY},
            "resource": None,
            "component": None,
            "pipeline": None,
            "PricingQuantity": alone["_actual_quantity"],
            "unit": alone["_unit"],
            "ListCost": alone["_actual"],
            "ListUnitPrice": np.nan,
            "BilledCost": alone["_actual"],
            "x_FreeTier": False,
            "x_CostSource": "actual-only",
            "x_BilledCostEstimated": False,
            "detail": "billed by AWS (Cost Explorer usage type "
            + alone["_raw"]
            + "); costkit estimated no line for it",
            "price_source": None,
        }
    )
    return pd.concat([matched.drop(columns=["_actual", "_actual_quantity", "_unit", "_raw"]), extra], ignore_index=True)


SPLIT = ("PricingQuantity", "ListCost", "BilledCost")  # what an execution's row takes its share of
ACTION_KEY = ["account", "region", "resource", "component", "pipeline"]
BUILD_KEY = [*ACTION_KEY, "usage_type"]


def _observed_runs(runs: Runs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The observed, billed runs keyed like cost lines: action executions (their pipeline execution) and builds
    (the pipeline execution whose action started them, where one did). Planned runs stand for many and have no id."""
    actions = runs.actions
    actions = actions[actions["execution_id"].notna() & (actions["count"] == 1)]
    starts = actions.dropna(subset=["external_execution_id"]).drop_duplicates("external_execution_id")
    by_build = starts.set_index("external_execution_id")["execution_id"]
    billed = actions[actions["billed"] > 0]
    action_runs = pd.DataFrame(
        {
            **{name: billed[name] for name in ("account", "region", "component", "pipeline")},
            "resource": billed["pipeline"],
            "x_Execution": billed["execution_id"],
            "x_Build": billed["external_execution_id"],
            "_weight": billed["billed"],
        }
    )
    builds = runs.builds
    builds = builds[builds["build_id"].notna() & (builds["count"] == 1) & (builds["billed"] > 0)]
    build_runs = pd.DataFrame(
        {
            **{name: builds[name] for name in ("account", "region", "component", "pipeline", "usage_type")},
            "resource": builds["project"],
            "x_Execution": builds["build_id"].map(by_build),
            "x_Build": builds["build_id"],
            "_weight": builds["billed"],
        }
    )
    return action_runs, build_runs


def _by_execution(rows: pd.DataFrame, runs: Runs) -> pd.DataFrame:
    """Each CodePipeline action line and CodeBuild line split into one row per observed run it sums, each taking
    its share (by billed minutes or seconds) of the line's quantity and costs; other rows are kept whole."""
    action_runs, build_runs = _observed_runs(runs)
    parts = [rows[~rows["service"].isin(["CodePipeline", "CodeBuild"])]]
    for service, table, key in (("CodePipeline", action_runs, ACTION_KEY), ("CodeBuild", build_runs, BUILD_KEY)):
        mine = rows[rows["service"] == service]
        table = table.assign(_weight=table["_weight"] / table.groupby(key, dropna=False)["_weight"].transform("sum"))
        split = mine.reset_index().merge(table, on=key, how="left").set_index("index")
        whole = split["_weight"].isna()
        split.loc[whole, "_weight"] = 1.0
        for column in SPLIT:
            split[column] = split[column] * split["_weight"]
        parts.append(split.drop(columns="_weight"))
    return pd.concat(parts).sort_index(kind="stable").reset_index(drop=True)


def focus_frame(estimate: Estimate, *, pricebook: PriceBook | None = None) -> pd.DataFrame:
    """The FOCUS 1.2 rows of an estimate (columns COLUMNS; costs unrounded; nulls as None/NaN)."""
    book = pricebook or current_pricebook()
    priced = estimate.lines[estimate.lines["cost_usd"].notna()]
    rows = _by_execution(_billed(_split_free_tier(priced), estimate, book), estimate.runs)
    region_names = book.regions.drop_duplicates("region").set_index("region")["name"]
    period: Period = estimate.period
    month = Period.month_of(period.start)
    unit = rows["unit"].map(UNITS).fillna(rows["unit"])
    named = rows["component"].notna()
    of = (" for " + rows["component"].astype(str) + " of " + rows["resource"].astype(str)).where(named, "")
    free = pd.Series(" (always-free allowance)", index=rows.index).where(rows["x_FreeTier"].astype(bool), "")
    description = (rows["usage_type"].astype(str) + of + free).where(named, rows["detail"])
    frame = pd.DataFrame(
        {
            "BilledCost": rows["BilledCost"].astype("float64"),
            "BillingAccountId": rows["account"].astype(str),
            "BillingAccountName": None,
            "BillingCurrency": estimate.currency,
            "BillingPeriodEnd": _instant(month.end),
            "BillingPeriodStart": _instant(month.start),
            "ChargeCategory": "Usage",
            "ChargeClass": None,
            "ChargeDescription": description,
            "ChargePeriodEnd": _instant(period.end),
            "ChargePeriodStart": _instant(period.start),
            "ContractedCost": rows["ListCost"].astype("float64"),
            "EffectiveCost": rows["BilledCost"].astype("float64"),
            "InvoiceIssuerName": PROVIDER,
            "ListCost": rows["ListCost"].astype("float64"),
            "PricingQuantity": rows["PricingQuantity"].astype("float64"),
            "PricingUnit": unit,
            "ProviderName": PROVIDER,
            "PublisherName": PROVIDER,
            "ServiceCategory": rows["service"].map(SERVICE_CATEGORIES),
            "ServiceName": rows["service"].map(SERVICE_NAMES),
            "ChargeFrequency": "Usage-Based",
            "ConsumedQuantity": rows["PricingQuantity"].astype("float64"),
            "ConsumedUnit": unit,
            "ContractedUnitPrice": rows["ListUnitPrice"].astype("float64"),
            "ListUnitPrice": rows["ListUnitPrice"].astype("float64"),
            "PricingCategory": "Standard",
            "RegionId": rows["region"],
            "RegionName": rows["region"].map(region_names),
            "ResourceName": rows["resource"],
            "ResourceType": rows["service"].map(RESOURCE_TYPES).where(rows["resource"].notna()),
            "SubAccountId": rows["account"].astype(str),
            "x_Pipeline": rows["pipeline"],
            "x_Component": rows["component"],
            "x_UsageType": rows["usage_type"],
            "x_Execution": rows["x_Execution"],
            "x_Build": rows["x_Build"],
            "x_FreeTier": rows["x_FreeTier"].astype(bool),
            "x_CostSource": rows["x_CostSource"],
            "x_BilledCostEstimated": rows["x_BilledCostEstimated"].astype(bool),
            "x_PriceSource": rows["price_source"],
        }
    )
    return frame[list(COLUMNS)]


def _decimal(value: object) -> str:
    """A FOCUS Numeric Format value: positional, shortest round-trip digits, no exponent, no `+`."""
    return np.format_float_positional(float(value), trim="-")  # type: ignore[arg-type]


def focus_csv(estimate: Estimate, *, pricebook: PriceBook | None = None) -> str:
    """focus.csv: the rows of `focus_frame`, text made safe for spreadsheets, nulls as empty fields."""
    frame = csv_frame(focus_frame(estimate, pricebook=pricebook))
    out = io.StringIO()
    frame.to_csv(out, index=False, float_format=_decimal, lineterminator="\n")
    return out.getvalue()
