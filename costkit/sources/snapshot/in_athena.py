"""Sum a snapshot's run tables where they live, in S3, through Athena: the same SQL files as the DuckDB engine
(sources/snapshot/sql/*.sql), each aggregate sent as one whole query, and only the aggregates come back.

The run tables are Athena tables named PREFIX_pipeline_executions, PREFIX_action_executions and PREFIX_builds
in one database (external tables over the snapshot's Parquet files; docs/scale.md has the layout). The small
lookups and `params` come from the snapshot folder and the pricing tables and go into each query as a WITH
block of VALUES, so a query reads nothing but the run tables it needs. The Trino dialect differences
(docs/scale.md) are translated here, the row order made explicit, and the answers become the same frames the
DuckDB engine gets, priced by the same code.

This module never calls AWS: it is given a `Tables` (collect/athena.py `SnapshotTables` is the real one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from costkit.errors import CostkitError
from costkit.sources.snapshot import in_duckdb
from costkit.sources.snapshot.checks import ACCOUNT_ID, PHASES, REQUIRED, RUNS, Problem, account_problem
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.observed import RunTotals
from costkit.tables import PriceBook

RUN_TABLES = ("pipeline_executions", "action_executions", "builds")
QUERY_LIMIT = 262_144  # StartQueryExecution's QueryString: at most this many bytes (the Athena API reference)
# Glue database and table names: letters, digits, '_' (and '-', quoted); they are quoted into the SQL.
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$")
MONTH_PARTITION = "month"  # a partition key of this name (YYYY-MM) limits each query to the window's months
SQL_TYPES = in_duckdb.SQL_TYPES  # the same column types; Trino spells them the same way
# Athena (Hive) column types each kind of snapshot column may be declared as
ATHENA_TYPES = {
    "text": {"string", "varchar", "char"},
    "time": {"timestamp"},
    "number": {"double", "float", "real", "decimal", "bigint", "int", "integer", "smallint", "tinyint"},
    "bool": {"boolean"},
}
DECLARE = {"text": "string", "time": "timestamp", "number": "double", "bool": "boolean"}  # what docs/scale.md says
# The relations each aggregate reads, lowest first (the SQL files' headers), and its GROUP BY keys (ORDER BY).
PLAN: dict[str, tuple[list[str], list[str], int]] = {
    # name: (lookups, run tables, keys to order by)
    "action_minutes": (
        ["pipeline_types", "declared_action_timeouts", "action_timeouts"],
        ["action_executions"],
        10,
    ),
    "build_minutes": (["project_timeouts", "compute_types"], ["builds"], 10),
    "pipeline_executions": ([], ["pipeline_executions"], 4),
    "checks": ([], list(RUN_TABLES), 2),
}
# Lookup rows that cannot change a result are not sent (a query has a size limit): a pipeline that is not V2
# bills as one with no row (coalesce(type = 'V2', FALSE)), and a timeout that is not set is as no row.
SENT: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "pipeline_types": lambda rows: rows["pipeline_type"] == "V2",
    "declared_action_timeouts": lambda rows: rows["timeout_minutes"].notna(),
    "project_timeouts": lambda rows: rows["timeout_minutes"].notna(),
}
AGGREGATE_OF = {
    "pipeline_executions": "pipeline_executions",
    "action_executions": "action_minutes",
    "builds": "build_minutes",
}
RUNS_OF = {"action_executions": "action_runs", "builds": "build_runs"}  # the per-run view an aggregate reads
COUNTS = ("runs", "stale", "fleet_runs", "executions", "started_in_window", "row_count")  # integers, as DuckDB gives
# DuckDB spellings in the SQL files -> Trino's (docs/scale.md). AWS records times to the millisecond. The parts
# costkit writes itself (VALUES, the run tables, checks) are written in what both dialects read.
_MICROSECONDS = re.compile(r"date_diff\('microsecond',\s*([^(),]+),\s*([^(),]+)\)")
_ISINF = re.compile(r"\bisinf\(")
_DECIMAL = re.compile(r"(?<![\w.'])(\d+\.\d+)(?![\w.'])")  # 60.0, not in a name, a string or 1.5E0


@dataclass(frozen=True)
class TableShape:
    """An Athena table's columns and partition keys, each name -> Athena type (lower case)."""

    columns: dict[str, str]
    partitions: dict[str, str]


class Tables(Protocol):
    """Where the run tables live and how to query them: `database`, the tables' `prefix`, each table's shape,
    and a query's answer as a typed frame (Athena's declared types: numbers float, booleans bool, text)."""

    database: str
    prefix: str

    def shape(self, table: str) -> TableShape: ...

    def query(self, name: str, sql: str) -> pd.DataFrame: ...


def check_name(what: str, name: str) -> str:
    """A database or table name safe to quote into SQL, or a CostkitError saying what is allowed."""
    if not NAME.match(name):
        raise CostkitError(
            f"{what} name {name!r} is not a Glue/Athena name",
            hint="letters, digits, '_' and '-' only (up to 255), e.g. costkit_snapshots",
        )
    return name


def table_name(prefix: str, run_table: str) -> str:
    """The Athena table holding `run_table`: PREFIX_run_table."""
    return check_name("table", f"{check_name('table prefix', prefix)}_{run_table}")


def to_trino(sql: str) -> str:
    """One SQL file's DuckDB spellings in Trino's: date_diff in microseconds as milliseconds x 1,000, isinf as
    is_infinite, and decimal literals as doubles (in Trino `60.0` is DECIMAL(3,1), and a bigint divided by it
    keeps one decimal place; DuckDB divides in double). Refuses (a programming error) a file that still names
    a DuckDB spelling afterwards."""
    translated = _MICROSECONDS.sub(r"(date_diff('millisecond', \1, \2) * 1000)", sql)
    translated = _DECIMAL.sub(r"\1E0", _ISINF.sub("is_infinite(", translated))
    if "'microsecond'" in translated or _ISINF.search(translated):
        raise RuntimeError("an SQL file uses date_diff('microsecond', ...) or isinf in a form to_trino cannot read")
    return translated


def literal(value: Any, kind: str) -> str:
    """A value as a literal both Trino and DuckDB read: text quoted (quotes doubled: neither reads backslash
    escapes), numbers as doubles (NaN is NULL, as DuckDB reads a pandas NaN), times as naive UTC timestamps."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "NULL"
    if kind == "text":
        return "'" + str(value).replace("'", "''") + "'"
    if kind == "bool":
        return "TRUE" if value else "FALSE"
    if kind == "time":
        moment = pd.Timestamp(value)
        moment = moment.tz_convert("UTC").tz_localize(None) if moment.tzinfo else moment
        return f"TIMESTAMP '{moment.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    number = float(value)
    if not math.isfinite(number):
        raise CostkitError(f"a lookup holds {number!r}, which costkit does not send to Athena")
    text = repr(number).upper()
    return text if "E" in text else text + "E0"


def values(name: str, columns: dict[str, str], rows: list[list[Any]]) -> str:
    """`name AS (...)`: the rows as VALUES, each column cast to its type (no rows: an empty typed relation)."""
    aliases = [f"c{index}" for index in range(len(columns))]
    typed = ", ".join(
        f'CAST({alias} AS {SQL_TYPES[kind]}) AS "{column}"'
        for alias, (column, kind) in zip(aliases, columns.items(), strict=True)
    )
    names = ", ".join(aliases)
    if not rows:
        nulls = ", ".join("NULL" for _ in aliases)
        return f"{name} AS (SELECT {typed} FROM (VALUES ({nulls})) AS v({names}) WHERE FALSE)"
    kinds = list(columns.values())
    body = ",\n".join(
        "(" + ", ".join(literal(value, kind) for value, kind in zip(row, kinds, strict=True)) + ")" for row in rows
    )
    return f"{name} AS (SELECT {typed} FROM (VALUES\n{body}\n) AS v({names}))"


def _relation(name: str, sql: str) -> str:
    return f"{name} AS (\n{sql.rstrip()}\n)"


def read_columns(run_table: str) -> dict[str, str]:
    """The columns the SQL reads from a run table, name -> kind: those checks.py requires, and the optional ones
    (NULL, phases 0, when absent)."""
    return {**REQUIRED[run_table], **in_duckdb.OPTIONAL_READ.get(run_table, {})}


def run_relation(name: str, tables: Tables, shape: TableShape, months: list[str]) -> str:
    """The run table `name` as the SQL files read it: exactly its columns, typed (absent optional ones NULL,
    absent phases 0), plus `row_order`, which among rows repeating an id puts first the one in the first file
    by path, then by its values (Athena has no row position in a file); only the window's months when the
    table is partitioned by `month`."""
    columns = read_columns(name)
    exprs = []
    for column, kind in columns.items():
        if column in shape.columns:
            exprs.append(f'CAST("{column}" AS {SQL_TYPES[kind]}) AS "{column}"')
        else:
            exprs.append(f'CAST({"0.0E0" if column in PHASES else "NULL"} AS {SQL_TYPES[kind]}) AS "{column}"')
    key = ", ".join(f'"{column}"' for column in RUNS[name][0])
    order = ", ".join(['"$path"', *(f'"{column}"' for column in columns if column in shape.columns)])
    exprs.append(f"row_number() OVER (PARTITION BY {key} ORDER BY {order}) AS row_order")
    return f"{name} AS (\nSELECT {', '.join(exprs)}\nFROM {_source(name, tables)}{_months(shape, months)}\n)"


def _source(run_table: str, tables: Tables) -> str:
    """The Athena table holding `run_table`, quoted: "DATABASE"."PREFIX_run_table"."""
    return f'"{check_name("database", tables.database)}"."{table_name(tables.prefix, run_table)}"'


def _months(shape: TableShape, months: list[str]) -> str:
    """` WHERE "month" IN (...)`: the window's months, when the table is partitioned by month."""
    if MONTH_PARTITION not in shape.partitions:
        return ""
    return f' WHERE "{MONTH_PARTITION}" IN (' + ", ".join(literal(month, "text") for month in months) + ")"


def compose(
    name: str,
    snapshot: Snapshot,
    pricebook: PriceBook,
    tables: Tables,
    shapes: dict[str, TableShape],
    query: Callable[[str], str] = in_duckdb.query,
) -> str:
    """The one query for aggregate `name` (action_minutes, build_minutes, pipeline_executions: each also counts
    the rows its read-time checks leave out, in groups keyed by a first `problem` column; or checks: the rows
    per account of each run table), in Trino's dialect, rows in key order."""
    lookups, runs, keys = PLAN[name]
    params = in_duckdb.params(snapshot)
    parts = [values("params", {k: kind for k, (_, kind) in params.items()}, [[v for v, _ in params.values()]])]
    for lookup in in_duckdb.lookups(snapshot, pricebook):
        if lookup.name in lookups:
            rows = lookup.rows.reindex(columns=list(lookup.columns))
            if lookup.name in SENT and not rows.empty:
                rows = rows[SENT[lookup.name](rows)]
            rows = rows.astype(object)
            parts.append(values(lookup.name, lookup.columns, rows.where(rows.notna(), None).values.tolist()))
    months = [month.name for month in snapshot.window.months()]  # the months (YYYY-MM) the window touches
    if name == "checks":
        final = _checks(tables, shapes, months)
    else:
        for run in runs:
            parts.append(run_relation(run, tables, shapes[run], months))
            parts.append(_relation(f"{run}_duplicates", to_trino(query(f"{run}_duplicates"))))
            parts.append(_relation(f"checked_{run}", to_trino(query(f"checked_{run}"))))
        if name in ("action_minutes", "build_minutes"):
            view = RUNS_OF[runs[0]]
            parts.append(_relation(view, to_trino(query(view))))
        final = f"SELECT * FROM (\n{to_trino(query(name)).rstrip()}\n) AS answer"  # it may have a WITH of its own
    order = ", ".join(str(index) for index in range(1, keys + 1))
    return "WITH\n" + ",\n".join(parts) + f"\n{final}\nORDER BY {order}\n"


def _checks(tables: Tables, shapes: dict[str, TableShape], months: list[str]) -> str:
    """Rows per account of every run table, read from the table itself (one column: the ids are checked in
    pandas). The rows each read-time check leaves out are counted by the aggregates, in their own groups."""
    return "\nUNION ALL\n".join(
        f"SELECT '{run}' AS run_table, CAST(account AS VARCHAR) AS account, count(*) AS row_count "
        f"FROM {_source(run, tables)}{_months(shapes[run], months)} GROUP BY account"
        for run in RUN_TABLES
    )


def shapes_of(tables: Tables) -> dict[str, TableShape]:
    """Each run table's shape, checked: every column the SQL needs is there, of a type that holds it."""
    found = {}
    for run in RUN_TABLES:
        table = table_name(tables.prefix, run)
        shape = tables.shape(table)
        where = f"Athena table {tables.database}.{table}"
        needed = read_columns(run)
        missing = [column for column in REQUIRED[run] if column not in shape.columns]
        if missing:
            raise CostkitError(
                f"{where} has no column {', '.join(missing)}: it is not a snapshot's {run} table",
                hint=f"create it over the Parquet files of the snapshot's {run} table (docs/scale.md)",
            )
        for column, kind in needed.items():
            declared = shape.columns.get(column)
            if declared is not None and declared.split("(")[0] not in ATHENA_TYPES[kind]:
                raise CostkitError(
                    f"{where}, column {column}: declared {declared}, but it holds a {kind}",
                    hint=f"declare it as {DECLARE[kind]} (docs/scale.md lists the columns' types)",
                )
        found[run] = shape
    return found


def run_totals(snapshot: Snapshot, pricebook: PriceBook, tables: Tables) -> tuple[RunTotals, list[Problem]]:
    """The snapshot's run tables summed by Athena (what in_duckdb.run_totals computes locally), and the rows
    the read-time checks left out; refuses account ids that are not 12 digits, as every engine does."""
    shapes = shapes_of(tables)
    answers = {
        name: _counted(tables.query(name, _sized(name, compose(name, snapshot, pricebook, tables, shapes))))
        for name in PLAN
    }
    checks = answers["checks"]
    problems: list[Problem] = []
    clean: dict[str, pd.DataFrame] = {}
    for run in RUN_TABLES:
        where = Path(f"{tables.database}.{table_name(tables.prefix, run)}")
        accounts = checks[checks["run_table"] == run]
        text = accounts["account"].astype("string")
        bad = accounts[~text.str.fullmatch(ACCOUNT_ID).fillna(False).astype(bool)]
        if not bad.empty:
            first = bad.iloc[0]["account"]
            raise account_problem(where, run, int(bad["row_count"].sum()), None if pd.isna(first) else first)
        clean[run], counted = in_duckdb.split(answers[AGGREGATE_OF[run]])
        problems += in_duckdb.problems_of(counted, snapshot, run, where)
    totals = in_duckdb.totals(clean["action_executions"], clean["builds"], clean["pipeline_executions"], snapshot)
    return totals, problems


def _sized(name: str, sql: str) -> str:
    """The query, refused before any call when it is longer than Athena takes."""
    size = len(sql.encode("utf-8"))
    if size > QUERY_LIMIT:
        raise CostkitError(
            f"the Athena query for {name} is {size:,} bytes with the snapshot's lookups in it, over Athena's "
            f"{QUERY_LIMIT:,}-byte limit",
            hint="price this snapshot with the duckdb engine, or split it by account",
        )
    return sql


def _counted(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, as DuckDB gives them (Athena's bigint cells arrive as numbers)."""
    return frame.astype({column: "int64" for column in COUNTS if column in frame})
