"""Athena's answers for tests: a local table shaped as GetQueryResults pages (text cells, a header row first, the
column types Athena declares), and CUR 2.0 line items written as Parquet the way a Data Exports export lays them
out (data/BILLING_PERIOD=YYYY-MM/*.parquet). Every answer is validated against botocore's model by the Stubber."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# pandas dtype kind -> the Athena type a query over such a column declares
_ATHENA_TYPES = {"f": "double", "i": "bigint", "u": "bigint", "b": "boolean", "M": "timestamp"}


def athena_type(series: pd.Series) -> str:
    return _ATHENA_TYPES.get(series.dtype.kind, "varchar")


def cell(value: Any, kind: str) -> dict[str, str]:
    """One Datum: NULL is an empty datum; timestamps as Athena prints them ('2026-10-01 00:00:00.000')."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return {}
    if kind == "timestamp":
        return {"VarCharValue": pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]}
    if kind == "boolean":
        return {"VarCharValue": "true" if value else "false"}
    if kind == "bigint":
        return {"VarCharValue": str(int(value))}
    return {"VarCharValue": repr(float(value)) if kind == "double" else str(value)}


def result_pages(frame: pd.DataFrame, page_size: int) -> list[dict[str, Any]]:
    """`frame` as GetQueryResults answers of at most `page_size` rows, the header row counted in the first."""
    kinds = [athena_type(frame[name]) for name in frame.columns]
    columns = [
        {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name, "Type": kind,
         "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": kind == "varchar"}
        for name, kind in zip(frame.columns, kinds, strict=True)
    ]  # fmt: skip
    rows = [{"Data": [{"VarCharValue": name} for name in frame.columns]}]
    rows += [
        {"Data": [cell(value, kind) for value, kind in zip(record, kinds, strict=True)]}
        for record in frame.itertuples(index=False, name=None)
    ]
    pages = []
    for offset in range(0, len(rows), page_size):
        page: dict[str, Any] = {"ResultSet": {"Rows": rows[offset : offset + page_size]}}
        if offset == 0:
            page["ResultSet"]["ResultSetMetadata"] = {"ColumnInfo": columns}
        page["UpdateCount"] = 0
        if offset + page_size < len(rows):
            page["NextToken"] = f"page-{offset // page_size + 2}"
        pages.append(page)
    return pages


def execution(
    query_id: str, state: str, *, scanned: int = 0, reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A GetQueryExecution answer in `state`."""
    status: dict[str, Any] = {"State": state, "SubmissionDateTime": dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)}
    if reason is not None:
        status["StateChangeReason"] = reason
    status.update(extra)
    return {
        "QueryExecution": {
            "QueryExecutionId": query_id,
            "StatementType": "DML",
            "Status": status,
            "Statistics": {"DataScannedInBytes": scanned, "EngineExecutionTimeInMillis": 1234},
            "WorkGroup": "finops",
        }
    }


CUR_SCHEMA = pa.schema(
    [
        ("bill_bill_type", pa.string()),
        ("bill_billing_period_start_date", pa.timestamp("ms")),
        ("bill_billing_period_end_date", pa.timestamp("ms")),
        ("bill_invoice_id", pa.string()),
        ("bill_payer_account_id", pa.string()),
        ("line_item_usage_account_id", pa.string()),
        ("line_item_line_item_type", pa.string()),
        ("line_item_usage_start_date", pa.timestamp("ms")),
        ("line_item_usage_end_date", pa.timestamp("ms")),
        ("line_item_product_code", pa.string()),
        ("line_item_usage_type", pa.string()),
        ("line_item_operation", pa.string()),
        ("line_item_resource_id", pa.string()),
        ("line_item_usage_amount", pa.float64()),
        ("line_item_unblended_rate", pa.string()),
        ("line_item_unblended_cost", pa.float64()),
        ("line_item_currency_code", pa.string()),
        ("pricing_unit", pa.string()),
        ("product_region_code", pa.string()),
        ("product", pa.map_(pa.string(), pa.string())),
    ]
)


def write_cur(folder: Path, items: list[dict[str, Any]]) -> Path:
    """CUR 2.0 line items as a Data Exports export: data/BILLING_PERIOD=YYYY-MM/part-00000.parquet per month.

    Each item gives at least account, type, start (usage start, naive UTC), product, usage_type, resource,
    amount, cost; the rest defaults (USD, invoiced, region us-east-1)."""
    by_period: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        start: dt.datetime = item["start"]
        period_start = dt.datetime(start.year, start.month, 1)
        period_end = dt.datetime(start.year + (start.month == 12), start.month % 12 + 1, 1)
        row = {
            "bill_bill_type": "Anniversary",
            "bill_billing_period_start_date": period_start,
            "bill_billing_period_end_date": period_end,
            "bill_invoice_id": item.get("invoice", "INV-1"),
            "bill_payer_account_id": "999999999999",
            "line_item_usage_account_id": item["account"],
            "line_item_line_item_type": item.get("type", "Usage"),
            "line_item_usage_start_date": start,
            "line_item_usage_end_date": start + dt.timedelta(hours=1),
            "line_item_product_code": item["product"],
            "line_item_usage_type": item["usage_type"],
            "line_item_operation": item.get("operation", ""),
            "line_item_resource_id": item.get("resource"),
            "line_item_usage_amount": item["amount"],
            "line_item_unblended_rate": item.get("rate", ""),
            "line_item_unblended_cost": item["cost"],
            "line_item_currency_code": item.get("currency", "USD"),
            "pricing_unit": item.get("unit"),
            "product_region_code": item.get("region", "us-east-1"),
            "product": [("servicecode", item["product"])],
        }
        by_period.setdefault(period_start.strftime("%Y-%m"), []).append(row)
    for period, rows in by_period.items():
        place = folder / "data" / f"BILLING_PERIOD={period}"
        place.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(rows, schema=CUR_SCHEMA), place / "part-00000.parquet")
    return folder
