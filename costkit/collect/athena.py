"""Athena: run one SQL query and bring its (small, aggregated) answer back as a typed DataFrame.

Calls: StartQueryExecution, then GetQueryExecution until the query is SUCCEEDED, FAILED or CANCELLED (a
bounded wait: polls back off from 0.25 s to 5 s, and a query still running at the deadline is stopped with
StopQueryExecution so it scans nothing more), then GetQueryResults page by page (1,000 rows a page; the first
row of a SELECT's first page is its header). Athena bills the data each query scans: the bytes are reported.

What Athena reads, it reads with the caller's own permissions (Glue for the table, S3 for the data, S3 for
writing the result to the output location): a refusal names the permission that is missing (docs/scale.md).
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from costkit.collect.aws import client as make_client
from costkit.collect.aws import session as make_session
from costkit.collect.context import CallLog, guard
from costkit.errors import CostkitError
from costkit.sources.snapshot.in_athena import TableShape
from costkit.sources.snapshot.in_athena import check_name as check_name

DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
DEFAULT_WAIT_S = 600.0  # the longest costkit waits for one query before stopping it
FIRST_POLL_S = 0.25
MAX_POLL_S = 5.0
PAGE_SIZE = 1000  # GetQueryResults' largest page
DEFAULT_CATALOG = "AwsDataCatalog"
OUTPUT_LOCATION = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
WORKGROUP = re.compile(r"^[a-zA-Z0-9._-]{1,128}$")
# Athena types -> how their text cells become columns
_INTEGERS = {"tinyint", "smallint", "integer", "int", "bigint"}
_FLOATS = {"double", "float", "real", "decimal"}
_TIMES = {"timestamp", "timestamp with time zone", "date"}
_QUERY = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(SELECT|WITH)\b", re.IGNORECASE)  # after any leading comments
# "... is not authorized to perform: glue:GetTable on resource: ..." (IAM's wording in Athena's reasons)
_NOT_AUTHORIZED = re.compile(r"not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z]+)")


class AthenaError(CostkitError):
    """A query that could not be started, failed, was cancelled or ran out of time: says which and why."""


@dataclass(frozen=True)
class Place:
    """Where queries run: the workgroup, the database (and catalog) names resolve in, and where Athena
    writes results (None: the workgroup's own output location)."""

    workgroup: str
    database: str
    output_location: str | None = None
    catalog: str = DEFAULT_CATALOG

    def __post_init__(self) -> None:
        check_name("database", self.database)
        if not WORKGROUP.match(self.workgroup):
            raise CostkitError(
                f"workgroup {self.workgroup!r} is not an Athena workgroup name",
                hint="1-128 letters, digits, '.', '_' or '-', e.g. primary",
            )
        if self.output_location is not None and not OUTPUT_LOCATION.match(self.output_location):
            raise CostkitError(
                f"output location {self.output_location!r} is not an S3 location",
                hint="e.g. s3://my-athena-results/costkit/",
            )


@dataclass
class Answer:
    """A query's result and what it cost to get."""

    frame: pd.DataFrame
    query_id: str
    scanned_bytes: int
    engine_ms: int
    calls: int  # API calls this query made: start, polls, pages (and a stop, if it had to be stopped)


def default_wait() -> float:
    """COSTKIT_ATHENA_WAIT (seconds), else 600: how long costkit waits for one query before stopping it."""
    text = os.environ.get("COSTKIT_ATHENA_WAIT")
    if text is None:
        return DEFAULT_WAIT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise CostkitError(
            f"COSTKIT_ATHENA_WAIT={text!r}: must be a positive number of seconds", hint="e.g. COSTKIT_ATHENA_WAIT=900"
        )
    return value


def connect(session: Any, region: str | None, log: CallLog) -> Any:
    """An Athena client with costkit's timeouts and retries, its calls counted in `log`."""
    return guard(log, make_client(session, "athena", region=region))


def split_name(text: str, what: str = "TABLE", example: str = "billing.cur2") -> tuple[str, str]:
    """`DATABASE.TABLE` as (database, table), each checked; a name without its database is refused."""
    database, dot, table = text.partition(".")
    if not dot:
        raise CostkitError(f"{text!r} names no database", hint=f"give DATABASE.{what}, e.g. {example}")
    return check_name("database", database), check_name(what.lower(), table)


def quoted(database: str, table: str) -> str:
    """`"database"."table"` for Athena (Trino) SQL, both names checked first."""
    return f'"{check_name("database", database)}"."{check_name("table", table)}"'


def polls(wait_s: float) -> Iterator[float]:
    """The pauses between GetQueryExecution calls: 0.25 s doubling to 5 s, until `wait_s` is spent."""
    pause, spent = FIRST_POLL_S, 0.0
    while spent < wait_s:
        pause = min(pause, wait_s - spent)
        yield pause
        spent += pause
        pause = min(pause * 2, MAX_POLL_S)


def run(
    api: Any,
    sql: str,
    place: Place,
    *,
    wait_s: float = DEFAULT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """Run `sql` in `place` and return its result, typed by Athena's own column types (see `typed`).

    Raises AthenaError when the query cannot start (with the permission a refusal names), fails or is
    cancelled (with Athena's reason), or is still running after `wait_s` seconds (it is then stopped)."""
    if not _QUERY.match(sql):
        raise CostkitError(
            "costkit runs only SELECT queries on Athena", hint="the statement must start with SELECT or WITH"
        )
    if not (math.isfinite(wait_s) and wait_s > 0):
        raise CostkitError(f"a wait of {wait_s:g} s for an Athena query: must be a positive number of seconds")
    request: dict[str, Any] = {
        "QueryString": sql,
        "QueryExecutionContext": {"Database": place.database, "Catalog": place.catalog},
        "WorkGroup": place.workgroup,
    }
    if place.output_location:
        request["ResultConfiguration"] = {"OutputLocation": place.output_location}
    try:
        query_id: str = api.start_query_execution(**request)["QueryExecutionId"]
    except ClientError as error:
        raise _refused(error, "StartQueryExecution", place) from None
    calls = 1
    execution = _execution(api, query_id, place)
    calls += 1
    for pause in polls(wait_s):
        if execution["Status"]["State"] in DONE:
            break
        sleep(pause)
        execution = _execution(api, query_id, place)
        calls += 1
    state = execution["Status"]["State"]
    if state not in DONE:
        try:
            api.stop_query_execution(QueryExecutionId=query_id)
            calls += 1
            stopped = "costkit stopped it"
        except ClientError as error:
            stopped = f"stopping it failed too ({_code(error)}): stop it in the Athena console"
        raise AthenaError(
            f"Athena query {query_id} in workgroup {place.workgroup} was still {state} after {wait_s:g} s; {stopped}",
            hint="give it longer (COSTKIT_ATHENA_WAIT, seconds), or check the workgroup's queue in the Athena console",
        )
    if state != "SUCCEEDED":
        raise _failed(execution, place)
    frame, pages = _results(api, query_id, place, header=execution.get("StatementType", "DML") == "DML")
    statistics = execution.get("Statistics", {})
    return Answer(
        frame=frame,
        query_id=query_id,
        scanned_bytes=int(statistics.get("DataScannedInBytes", 0)),
        engine_ms=int(statistics.get("EngineExecutionTimeInMillis", 0)),
        calls=calls + pages,
    )


def _execution(api: Any, query_id: str, place: Place) -> dict[str, Any]:
    try:
        execution: dict[str, Any] = api.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    except ClientError as error:
        raise _refused(error, "GetQueryExecution", place) from None
    return execution


def _results(api: Any, query_id: str, place: Place, *, header: bool) -> tuple[pd.DataFrame, int]:
    """Every page of the result as one typed frame; and how many pages (calls) it took."""
    columns: list[dict[str, Any]] = []
    cells: list[list[str | None]] = []
    pages = 0
    try:
        for page in api.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_id, PaginationConfig={"PageSize": PAGE_SIZE}
        ):
            result = page["ResultSet"]
            if not columns:
                columns = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
            rows = result.get("Rows", [])
            if header and pages == 0 and rows:
                rows = rows[1:]  # a SELECT's first row holds the column names
            cells += [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in rows]
            pages += 1
    except ClientError as error:
        raise _refused(error, "GetQueryResults", place) from None
    return typed(columns, cells), pages


def typed(columns: list[dict[str, Any]], cells: list[list[str | None]]) -> pd.DataFrame:
    """Athena's text cells as columns of their declared types: integers and decimals as float64 (NULL is
    NaN), booleans as bool (with a NULL among them: True/False/NaN objects, never a guessed False), dates and
    timestamps as UTC, the rest as text (NULL stays None). A row of the wrong length is refused."""
    names = [info["Name"] for info in columns]
    short = [index for index, row in enumerate(cells) if len(row) != len(names)]
    if short:
        raise AthenaError(
            f"Athena returned row {short[0] + 1} with {len(cells[short[0]])} cells for {len(names)} columns",
            hint="re-run the query; if it persists, report it with the query id",
        )
    raw = pd.DataFrame(cells, columns=names, dtype=object)
    frame = pd.DataFrame(index=raw.index)
    for info in columns:
        name, kind = info["Name"], str(info.get("Type", "varchar")).lower()
        values = raw[name]
        if kind in _INTEGERS or kind in _FLOATS:
            frame[name] = pd.to_numeric(values, errors="raise").astype("float64")
        elif kind == "boolean":
            mapped = values.map({"true": True, "false": False})
            frame[name] = mapped.astype(bool) if mapped.notna().all() else mapped
        elif kind in _TIMES:
            frame[name] = pd.to_datetime(values, utc=True, format="ISO8601")
        else:
            frame[name] = values
    return frame


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "ClientError"))


def _refused(error: ClientError, operation: str, place: Place) -> AthenaError:
    """An API call AWS refused: access denied names the action to allow; others say what AWS said."""
    code = _code(error)
    message = str(error.response.get("Error", {}).get("Message", ""))
    if code in {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}:
        named = _NOT_AUTHORIZED.search(message)
        action = named.group(1) if named else f"athena:{operation}"
        return AthenaError(
            f"Athena refused {operation} in workgroup {place.workgroup}: access denied ({message})",
            hint=f"allow {action} on the workgroup for these credentials (docs/iam-policy.json, docs/scale.md)",
        )
    return AthenaError(
        f"Athena refused {operation} in workgroup {place.workgroup}: {code}: {message}",
        hint="check the workgroup and database names, and that the workgroup has an output location or one is given",
    )


def _failed(execution: dict[str, Any], place: Place) -> AthenaError:
    """A FAILED or CANCELLED query: Athena's reason, and the permission or fix it points to."""
    status = execution["Status"]
    state, query_id = status["State"], execution.get("QueryExecutionId", "?")
    details = status.get("AthenaError", {})
    reason = status.get("StateChangeReason") or details.get("ErrorMessage") or "no reason given"
    hint = "check the query's tables in the Athena console (the query id is above)"
    named = _NOT_AUTHORIZED.search(reason)
    if named:
        hint = f"allow {named.group(1)} for these credentials (docs/iam-policy.json, docs/scale.md)"
    elif "writing output" in reason.lower() or "output location" in reason.lower():
        hint = f"allow s3:PutObject on {place.output_location or 'the workgroup output location'}"
    elif "permission denied on s3 path" in reason.lower() or "access denied" in reason.lower():
        hint = "allow s3:GetObject and s3:ListBucket on the table's S3 location (docs/scale.md)"
    elif "billing_period" in reason and "cannot be resolved" in reason:
        hint = "the table has no billing_period partition column: query it as not partitioned"
    elif state == "CANCELLED":
        hint = "someone or something cancelled it (a workgroup data limit, or the console); run it again"
    elif details.get("ErrorCategory") == 1 or details.get("Retryable"):
        hint = "an Athena-side error: run it again"
    return AthenaError(f"Athena query {query_id} in workgroup {place.workgroup} {state}: {reason}", hint=hint)


@dataclass
class SnapshotTables:
    """A snapshot's run tables in Athena (sources/snapshot/in_athena.py `Tables`): PREFIX_pipeline_executions,
    PREFIX_action_executions and PREFIX_builds in `place.database`, queried through `api`. Keeps every
    query's id, bytes scanned and calls (`answers`) for the caller to report."""

    api: Any
    place: Place
    prefix: str
    wait_s: float = DEFAULT_WAIT_S
    sleep: Callable[[float], None] = time.sleep
    answers: dict[str, Answer] = field(default_factory=dict)
    metadata_calls: int = 0

    def __post_init__(self) -> None:
        check_name("table prefix", self.prefix)

    @property
    def database(self) -> str:
        return self.place.database

    def shape(self, table: str) -> TableShape:
        """The table's columns and partition keys (Athena GetTableMetadata, which reads the Glue catalog)."""
        try:
            found = self.api.get_table_metadata(
                CatalogName=self.place.catalog, DatabaseName=self.place.database, TableName=check_name("table", table)
            )["TableMetadata"]
        except ClientError as error:
            if _code(error) == "MetadataException":
                raise AthenaError(
                    f"Athena has no table {self.place.database}.{table} ({error.response['Error'].get('Message', '')})",
                    hint="create it over the snapshot's Parquet files in S3 (docs/scale.md, Pricing a snapshot in "
                    "S3), or check the database and prefix",
                ) from None
            raise _refused(error, "GetTableMetadata", self.place) from None
        finally:
            self.metadata_calls += 1
        return TableShape(
            columns={c["Name"].lower(): str(c.get("Type", "")).lower() for c in found.get("Columns", [])},
            partitions={c["Name"].lower(): str(c.get("Type", "")).lower() for c in found.get("PartitionKeys", [])},
        )

    def query(self, name: str, sql: str) -> pd.DataFrame:
        """Run one aggregate's query and keep its answer's id, bytes and calls."""
        answer = run(self.api, sql, self.place, wait_s=self.wait_s, sleep=self.sleep)
        self.answers[name] = answer
        return answer.frame

    @property
    def scanned_bytes(self) -> int:
        return sum(answer.scanned_bytes for answer in self.answers.values())

    @property
    def calls(self) -> int:
        return self.metadata_calls + sum(answer.calls for answer in self.answers.values())


def snapshot_tables(
    database: str,
    prefix: str,
    *,
    workgroup: str = "primary",
    output_location: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    wait_s: float | None = None,
) -> SnapshotTables:
    """The run tables PREFIX_* in `database`, queried in `workgroup` with the standard credential chain
    (`profile`, `region` as the AWS CLI takes them; `wait_s` None: COSTKIT_ATHENA_WAIT, else 600 s): pass it as
    `estimate(folder, engine="athena", athena=...)`."""
    place = Place(workgroup=workgroup, database=database, output_location=output_location)
    api = connect(make_session(profile, region), region, CallLog())
    return SnapshotTables(api=api, place=place, prefix=prefix, wait_s=wait_s if wait_s is not None else default_wait())
