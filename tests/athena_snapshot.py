"""A snapshot's run tables as Athena would hold them, for tests: external tables over Parquet
(DATABASE.PREFIX_<run table>, with Athena's "$path" column and, when laid out so, a `month` partition), answered
by DuckDB. The Trino-flavoured queries costkit composes run here unchanged except for the one function DuckDB
spells differently (is_infinite: a macro over isinf). `DuckAthena` answers Athena's API calls from the same
tables, each reply validated against botocore's model, so the whole path runs without AWS."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pandas as pd
import pyarrow.parquet as pq
from athena_answers import execution, result_pages

from costkit.collect.fake_account import hook
from costkit.sources.snapshot.in_athena import DECLARE, RUN_TABLES, TableShape, read_columns

# Arrow types -> the Athena (Hive) type a Glue table over such a column declares
_HIVE = {"string": "string", "large_string": "string", "double": "double", "int64": "bigint", "bool": "boolean"}
ANSWERED = ("StartQueryExecution", "GetQueryExecution", "GetQueryResults", "GetTableMetadata")


def hive_type(table: str, column: str, arrow: str) -> str:
    """The type docs/scale.md says to declare a snapshot column as (a column of no values is written with
    Arrow's null type); other columns by their Arrow type."""
    kind = read_columns(table).get(column)
    if kind is not None:
        return DECLARE[kind]
    return "timestamp" if arrow.startswith("timestamp") else _HIVE.get(arrow, "string")


def lay_out(snapshot: Path, bucket: Path, months: tuple[str, ...] = ()) -> Path:
    """The snapshot's run-table files copied as they would be uploaded: BUCKET/<table>/[month=M/]<table>.parquet
    (the same file under each of `months`, or once without partitions)."""
    for name in RUN_TABLES:
        for month in months or (None,):
            place = bucket / name / (f"month={month}" if month else "")
            place.mkdir(parents=True, exist_ok=True)
            shutil.copy(snapshot / f"{name}.parquet", place / f"{name}.parquet")
    return bucket


class DuckTables:
    """in_athena.Tables over the files `lay_out` wrote: the database `database`, tables PREFIX_<run table>."""

    def __init__(self, bucket: Path, database: str = "costkit", prefix: str = "october") -> None:
        self.database, self.prefix = database, prefix
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute("CREATE MACRO is_infinite(x) AS isinf(x)")  # Trino's name for DuckDB's isinf
        self.con.execute(f'CREATE SCHEMA "{database}"')
        self.shapes: dict[str, TableShape] = {}
        self.sql: dict[str, str] = {}
        for name in RUN_TABLES:
            files = sorted((bucket / name).rglob("*.parquet"))
            partitioned = any(part.startswith("month=") for f in files for part in f.parts)
            schema = pq.read_schema(files[0])
            table = f"{prefix}_{name}"
            pattern = str(bucket / name / ("*/*.parquet" if partitioned else "*.parquet"))
            self.con.execute(
                f'CREATE VIEW "{database}"."{table}" AS SELECT * EXCLUDE (filename), filename AS "$path" '
                f"FROM read_parquet('{pattern}', filename = true, hive_partitioning = {str(partitioned).lower()})"
            )
            self.shapes[table] = TableShape(
                columns={field.name: hive_type(name, field.name, str(field.type)) for field in schema},
                partitions={"month": "string"} if partitioned else {},
            )

    def shape(self, table: str) -> TableShape:
        return self.shapes[table]

    def query(self, name: str, sql: str) -> pd.DataFrame:
        self.sql[name] = sql
        return self.con.execute(sql).df()


class DuckAthena:
    """Athena's API over DuckTables: StartQueryExecution runs the query, GetQueryExecution says SUCCEEDED
    (scanning `scanned` bytes a query), GetQueryResults pages the answer `page_size` rows at a time."""

    def __init__(self, tables: DuckTables, page_size: int = 1000, scanned: int = 10_485_760) -> None:
        self.tables, self.page_size, self.scanned = tables, page_size, scanned
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1)

    def install(self, session: boto3.Session) -> None:
        hook(session, {f"athena.{name}" for name in ANSWERED}, self.answer, check=True)

    def answer(self, name: str, params: dict[str, Any], _context: dict[str, Any], _signer: Any) -> dict[str, Any]:
        operation = name.split(".", 1)[1]
        self.calls.append((operation, params))
        if operation == "GetTableMetadata":
            shape = self.tables.shape(params["TableName"])
            return {
                "TableMetadata": {
                    "Name": params["TableName"],
                    "TableType": "EXTERNAL_TABLE",
                    "Columns": [{"Name": c, "Type": t} for c, t in shape.columns.items()],
                    "PartitionKeys": [{"Name": c, "Type": t} for c, t in shape.partitions.items()],
                }
            }
        if operation == "StartQueryExecution":
            query_id = f"5c1f1c5e-0000-4000-8000-{next(self._ids):012d}"
            frame = self.tables.con.execute(params["QueryString"]).df()
            self.results[query_id] = result_pages(frame, self.page_size)
            return {"QueryExecutionId": query_id}
        query_id = params["QueryExecutionId"]
        if operation == "GetQueryExecution":
            return execution(query_id, "SUCCEEDED", scanned=self.scanned)
        pages = self.results[query_id]
        token = params.get("NextToken")
        return pages[int(token.split("-")[1]) - 1 if token else 0]
