"""Actuals per resource from a CUR 2.0 / Data Exports table, through Athena, instead of Cost Explorer.

Cost Explorer answers per usage type and charges $0.01 a page; a CUR 2.0 export already holds every line item
with its resource id (`line_item_resource_id`, when the export includes resource ids), so one Athena query
over it gives the bill per account, region, resource and usage type. The SQL (sql/cur_actuals.sql) is standard
SQL: tests run the same text in DuckDB over local Parquet laid out like a CUR 2.0 export.

The result is the snapshot's "actuals" table (cost_explorer.ACTUAL_COLUMNS) with more columns: region,
resource (the name inside the resource id: a pipeline, project, function or bucket), resource_id (as billed)
and line_item_type (Usage, Credit, Tax, ...).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from costkit.collect import athena
from costkit.collect.context import CallLog, Window
from costkit.collect.cost_explorer import ACTUAL_COLUMNS
from costkit.errors import CostkitError

# CUR line_item_product_code (the Price List service code) -> costkit's service names
PRODUCT_CODES = {"AWSCodePipeline": "CodePipeline", "CodeBuild": "CodeBuild", "AWSLambda": "Lambda", "AmazonS3": "S3"}
CUR_ACTUAL_COLUMNS = [*ACTUAL_COLUMNS, "region", "resource", "resource_id", "line_item_type"]
PARTITION = "billing_period"  # the partition column AWS's CUR 2.0 Athena setup creates (BILLING_PERIOD=YYYY-MM)


@dataclass(frozen=True)
class CurTable:
    """A CUR 2.0 table to read actuals from: `table` in `place.database`, queried in `region` (None: the
    session's); `partitioned`: it has the billing_period partition; `wait_s`: None for COSTKIT_ATHENA_WAIT."""

    place: athena.Place
    table: str
    partitioned: bool = False
    region: str | None = None
    wait_s: float | None = None

    def __post_init__(self) -> None:
        athena.check_name("table", self.table)


def sql_text() -> str:
    """The query, with its placeholders ({cur}, {start}, {end}, {partitions})."""
    return resources.files("costkit.collect").joinpath("sql", "cur_actuals.sql").read_text(encoding="utf-8")


def _timestamp(moment: dt.datetime) -> str:
    """A TIMESTAMP literal both Trino and DuckDB read: UTC, no zone, to the second."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment
    return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S')}'"


def months(window: Window) -> list[str]:
    """The billing periods (YYYY-MM) the window touches."""
    return [month.name for month in window.months()]


def query(table: str, window: Window, *, partitioned: bool = False) -> str:
    """The SQL for `window` over `table` (an SQL table expression costkit built: a quoted name or a
    read_parquet call); `partitioned`: the table has the `billing_period` partition, so only the window's
    months are read."""
    partitions = (
        f'AND "{PARTITION}" IN (' + ", ".join(f"'{month}'" for month in months(window)) + ")" if partitioned else ""
    )
    return sql_text().format(
        cur=table, start=_timestamp(window.start), end=_timestamp(window.end), partitions=partitions
    )


def actuals(frame: pd.DataFrame) -> pd.DataFrame:
    """The query's result as the "actuals" table (one row per account, service, region, resource, usage type
    and line item type). Refuses a currency other than USD, naming where it was found."""
    if frame.empty:
        return pd.DataFrame(columns=CUR_ACTUAL_COLUMNS)
    other = frame[frame["currency"] != "USD"]
    if not other.empty:
        first = other.iloc[0]
        raise CostkitError(
            f"the CUR table bills account {first['account']} {first['usage_type']} in {first['currency']}, not USD",
            hint="costkit prices in USD: use an export in USD, or compare without actuals",
        )
    resource_id = frame["resource_id"].fillna("").astype(str)
    # arn:aws:codebuild:us-east-1:123456789012:project/web-app-build -> web-app-build; a bucket name stays
    resource = resource_id.str.rsplit(":", n=1).str[-1].str.rsplit("/", n=1).str[-1]
    table = pd.DataFrame(
        {
            "account": frame["account"].astype(str),
            "service": frame["product_code"].map(PRODUCT_CODES),
            "usage_type": frame["usage_type"].astype(str),
            "period_start": pd.to_datetime(frame["period_start"], utc=True),
            "period_end": pd.to_datetime(frame["period_end"], utc=True),
            "cost_usd": frame["cost_usd"].astype("float64"),
            "usage_quantity": frame["usage_quantity"].astype("float64"),
            "unit": frame["unit"].astype(str),
            "estimated": frame["unfinalised"].astype("float64") > 0,
            "region": frame["region"].astype(str),
            "resource": resource.astype(object).where(resource != "", None),
            "resource_id": resource_id.astype(object).where(resource_id != "", None),
            "line_item_type": frame["line_item_type"].astype(str),
        }
    )
    return table.reindex(columns=CUR_ACTUAL_COLUMNS).reset_index(drop=True)


def collect(
    api: Any, place: athena.Place, table: str, window: Window, *, partitioned: bool = False, wait_s: float
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The window's actuals from the CUR 2.0 table `table` in `place.database`, through Athena; and what the
    query cost ({"query_id", "scanned_bytes", "calls", "resource_ids"}: how many rows name a resource)."""
    sql = query(athena.quoted(place.database, table), window, partitioned=partitioned)
    answer = athena.run(api, sql, place, wait_s=wait_s)
    found = actuals(answer.frame)
    stats = {
        "query_id": answer.query_id,
        "scanned_bytes": answer.scanned_bytes,
        "calls": answer.calls,
        "resource_ids": int(found["resource_id"].notna().sum()),
    }
    return found, stats


def collect_table(session: Any, source: CurTable, window: Window, log: CallLog) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`collect` through a client of `session` (its calls counted in `log`): what `costkit collect` runs
    instead of Cost Explorer when it is given a CUR table."""
    api = athena.connect(session, source.region, log)
    wait = source.wait_s if source.wait_s is not None else athena.default_wait()
    found, stats = collect(api, source.place, source.table, window, partitioned=source.partitioned, wait_s=wait)
    return found, {**stats, "table": f"{source.place.database}.{source.table}", "workgroup": source.place.workgroup}
