"""Sum a snapshot's run tables out of core: DuckDB reads the Parquet files (only the columns the SQL names),
applies the read-time row checks and the per-run billing in SQL, and only the totals come into pandas.

The SQL lives in sources/snapshot/sql/ as data: one SELECT per file, reading the relations its header names.
It is also the contract for the Athena path (docs/scale.md lists the few one-line differences for Trino).
This module makes those relations in DuckDB: the run tables as views over their files (or over frames already
in memory), the small lookups (pipeline types, declared timeouts, compute types, params) from pandas.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from costkit.billing.codebuild import FLEET_BUILD
from costkit.billing.codepipeline import charged
from costkit.errors import CostkitError
from costkit.model.runs import ACTION_RUN_COLUMNS, BUILD_RUN_COLUMNS, Runs
from costkit.sources.snapshot.checks import (
    ACCOUNT_ID,
    PHASES,
    REQUIRED,
    RUNS,
    Problem,
    _quantities,
    account_problem,
    row_problem,
    unreadable,
)
from costkit.sources.snapshot.folder import Snapshot
from costkit.sources.snapshot.observed import RunCounts, RunTotals, window_of
from costkit.sources.snapshot.stale import KEYS, timeouts
from costkit.tables import PriceBook

SQL_DIR = Path(__file__).with_name("sql")
# Each run table and the one aggregate query that passes over it (in the order checks.py reports problems).
AGGREGATES = {
    "pipeline_executions": "pipeline_executions",
    "action_executions": "action_minutes",
    "builds": "build_minutes",
}
RUN_ORDER = tuple(AGGREGATES)
RUN_TABLES = frozenset(RUN_ORDER)
INSTALL = 'pip install "costkit[duckdb]"'
# The columns the SQL reads from each run table; absent optional ones become NULL (phase seconds: 0, as if the
# table had no phase times, which checks.py never flags).
OPTIONAL_READ = {
    "action_executions": {"provider": "text"},
    "builds": {"timeout_minutes": "number", "billable_seconds": "number", **dict.fromkeys(PHASES, "number")},
}
SQL_TYPES = {"text": "VARCHAR", "time": "TIMESTAMP", "number": "DOUBLE", "bool": "BOOLEAN"}
# Times are naive UTC TIMESTAMPs (as Athena reads Parquet timestamps): arithmetic on them needs no time zone
# calendar, which makes date_diff and CAST AS DATE several times faster than on TIMESTAMPTZ.


def query(name: str) -> str:
    """The text of one SQL file (sql/NAME.sql)."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


@cache
def _duckdb() -> ModuleType:
    try:
        import duckdb
    except ImportError:
        raise CostkitError(
            "the duckdb engine needs the duckdb package, which is not installed", hint=f"install it: {INSTALL}"
        ) from None
    return duckdb


MEMORY_VARIABLE = "COSTKIT_DUCKDB_MEMORY"


@dataclass
class Limits:
    """DuckDB's own bounds: memory before it spills to a temporary folder (COSTKIT_DUCKDB_MEMORY, e.g. 2GB;
    default 512MB, which keeps a 10 M-run estimate within 1.5x its Parquet size: docs/scale.md), and threads."""

    memory: str = field(default_factory=lambda: os.environ.get(MEMORY_VARIABLE) or "512MB")
    threads: int = 2


@contextmanager
def _connection(limits: Limits) -> Iterator[Any]:
    duckdb = _duckdb()
    spill = tempfile.mkdtemp(prefix="costkit-duckdb-")
    try:
        con = duckdb.connect(
            config={"memory_limit": limits.memory, "threads": limits.threads, "preserve_insertion_order": False}
        )
    except duckdb.Error as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise CostkitError(
            f"DuckDB refused the memory limit {limits.memory!r} ({exc})",
            hint=f"set {MEMORY_VARIABLE} to a size such as 512MB or 2GB",
        ) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET temp_directory = ?", [spill])
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)  # costkit's own spill folder


def run_totals(
    snapshot: Snapshot, pricebook: PriceBook, limits: Limits | None = None
) -> tuple[RunTotals, list[Problem]]:
    """The snapshot's run tables summed in SQL (what observed.py's `run_totals` computes in pandas), and the
    rows the read-time checks left out (the same Problems an eager read finds). Refuses, as an eager read does,
    account ids that are not 12 digits."""
    with _connection(limits or Limits()) as con:
        _params(con, snapshot)
        _lookups(con, snapshot, pricebook)
        paths: dict[str, Path | None] = {}
        for name in RUN_ORDER:
            paths[name] = _run_table(con, snapshot, name)
            con.execute(f"CREATE TEMP TABLE {name}_duplicates AS {query(name + '_duplicates')}")
            con.execute(f"CREATE TEMP VIEW checked_{name} AS {query('checked_' + name)}")
        con.execute(f"CREATE TEMP VIEW action_runs AS {query('action_runs')}")
        con.execute(f"CREATE TEMP VIEW build_runs AS {query('build_runs')}")
        summed = {name: _summed(con, aggregate, paths[name]) for name, aggregate in AGGREGATES.items()}
    problems = [
        problem
        for name in RUN_ORDER
        if (path := paths[name]) is not None
        for problem in problems_of(summed[name][1], snapshot, name, path)
    ]
    executions, actions, builds = (summed[name][0] for name in RUN_ORDER)
    return totals(actions, builds, executions, snapshot), problems


def totals(actions: pd.DataFrame, builds: pd.DataFrame, executions: pd.DataFrame, snapshot: Snapshot) -> RunTotals:
    """The three aggregates' groups without a problem (action_minutes.sql, build_minutes.sql,
    pipeline_executions.sql, from DuckDB or Athena, after `split`) as the model's aggregated runs and counts."""
    return RunTotals(
        runs=Runs(actions=_action_runs(actions, snapshot), builds=_build_runs(builds), planned=False),
        stale={
            "stale_action_executions": int(actions["stale"].sum()) if not snapshot.table("pipelines").empty else 0,
            "stale_builds": int(builds["stale"].sum()),
        },
        counts=RunCounts(
            executions=executions,
            actions=actions.groupby(ACTION_COUNT_KEYS, dropna=False)["runs"].sum().reset_index(),
        ),
    )


ACTION_KEYS = ["account", "region", "pipeline", "stage", "action", "category", "owner", "v2"]
BUILD_KEYS = ["account", "region", "project", "pipeline", "compute_type", "environment_type", "usage_type", "unit"]
ACTION_COUNT_KEYS = ["account", "region", "pipeline", "action"]


def _action_runs(per_day: pd.DataFrame, snapshot: Snapshot) -> pd.DataFrame:
    """The action aggregate as runs: one row per action (and V2-ness) standing for `count` executions, with
    their average seconds, minutes and billed minutes (count x billed = the minutes they billed)."""
    if per_day.empty or snapshot.table("pipelines").empty:
        return pd.DataFrame(columns=ACTION_RUN_COLUMNS)  # as billed_actions: no pipeline, no billed action
    summed = per_day.groupby(ACTION_KEYS, dropna=False)[["runs", "seconds", "minutes", "billed", "stale"]].sum()
    frame = summed.reset_index()
    count = frame["runs"].astype(float)
    frame = frame.assign(
        count=count,
        seconds=frame["seconds"] / count,
        minutes=frame["minutes"] / count,
        billed=frame["billed"] / count,
        stale=frame["stale"] > 0,
        v2=frame["v2"].astype(bool),
        charged=frame["v2"].astype(bool) & charged(frame["category"], frame["owner"]),
        component=frame["action"] + " (" + frame["category"].fillna("?") + ")",
    )
    return frame.reindex(columns=ACTION_RUN_COLUMNS)


def _build_runs(per_day: pd.DataFrame) -> pd.DataFrame:
    """The build aggregate as runs: one row per project, pipeline and compute type standing for `count` builds
    with their average billed units."""
    if per_day.empty:
        return pd.DataFrame(columns=BUILD_RUN_COLUMNS)
    frame = per_day.groupby(BUILD_KEYS, dropna=False)[["runs", "billed", "stale", "fleet_runs"]].sum().reset_index()
    count = frame["runs"].astype(float)
    frame = frame.assign(
        count=count,
        billed=frame["billed"] / count,
        stale=frame["stale"] > 0,
        fleet=frame["fleet_runs"] > 0,
        component=frame["compute_type"] + " / " + frame["environment_type"],
    )
    return frame.reindex(columns=BUILD_RUN_COLUMNS)


def _run_table(con: Any, snapshot: Snapshot, name: str) -> Path | None:
    """Make the relation `name` (+ row_order) from its file, its loaded frame, or empty; the file, if any."""
    columns = {**REQUIRED[name], **OPTIONAL_READ.get(name, {})}
    path = snapshot.deferred.get(name)
    if path is not None:
        present = set(pq.read_schema(path).names)
        if present:
            source = con.read_parquet(str(path), file_row_number=True)
            _view(con, name, source, columns, present, "file_row_number")
            _check_accounts(con, name, path)
            return path
    frame = snapshot.tables.get(name)
    if frame is not None and len(frame.columns):
        numbered = frame.reset_index(drop=True)
        source = con.from_df(numbered.assign(_costkit_row=range(len(numbered))))
        _view(con, name, source, columns, set(frame.columns), "_costkit_row")
        return None
    typed = ", ".join(f'"{column}" {SQL_TYPES[kind]}' for column, kind in columns.items())
    con.execute(f"CREATE TEMP TABLE {name} ({typed}, row_order BIGINT)")
    return None


def _view(con: Any, name: str, source: Any, columns: dict[str, str], present: set[str], order: str) -> None:
    """A view of `source` with exactly `columns`, typed (absent optional ones NULL, phases 0), and row_order."""
    exprs = []
    for column, kind in columns.items():
        if column in present and kind == "time":
            exprs.append(f'make_timestamp(epoch_us(CAST("{column}" AS TIMESTAMPTZ))) AS "{column}"')  # UTC
        elif column in present:
            exprs.append(f'CAST("{column}" AS {SQL_TYPES[kind]}) AS "{column}"')
        else:
            default = "0.0" if column in PHASES else "NULL"
            exprs.append(f'CAST({default} AS {SQL_TYPES[kind]}) AS "{column}"')
    source.select(", ".join([*exprs, f"{order} AS row_order"])).create_view(name, replace=True)


def _check_accounts(con: Any, name: str, path: Path) -> None:
    """checks.py's account-id refusal, on the table's distinct accounts (few), with the same pattern."""
    try:
        accounts = con.execute(
            f"SELECT account, count(*) AS n, min(row_order) AS first FROM {name} GROUP BY account"
        ).df()
    except _duckdb().Error as exc:
        raise unreadable(path, exc) from None
    text = accounts["account"].astype("string")
    bad = accounts[~text.str.fullmatch(ACCOUNT_ID).fillna(False).astype(bool)]
    if not bad.empty:
        first = bad.sort_values("first").iloc[0]
        raise account_problem(path, name, int(bad["n"].sum()), None if pd.isna(first["account"]) else first["account"])


def _summed(con: Any, aggregate: str, path: Path | None) -> tuple[pd.DataFrame, dict[str, int]]:
    """One aggregate query (one pass over its run table), `split`."""
    try:
        return split(con.execute(query(aggregate)).df())
    except _duckdb().Error as exc:
        if path is None:
            raise
        raise unreadable(path, exc) from None


def split(aggregate: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """An aggregate's answer as its groups without a read-time problem (the `problem` column dropped) and the
    rows each problem left out (the groups' `runs`, or `executions`), by problem label."""
    flagged = aggregate["problem"].notna()
    count = "executions" if "executions" in aggregate else "runs"
    counted = aggregate.loc[flagged].groupby("problem")[count].sum()
    clean = aggregate.loc[~flagged].drop(columns="problem").reset_index(drop=True)
    return clean, {str(label): int(n) for label, n in counted.items()}


def problems_of(counted: dict[str, int], snapshot: Snapshot, name: str, path: Path) -> list[Problem]:
    """Rows per check label (the `problem` of checked_NAME.sql) as Problems, in checks.py's order."""
    key, begin, finish = RUNS[name]
    order = [
        *((f"bad-number:{column}", "bad-number", column) for column in _quantities(name)),
        ("negative-duration", "negative-duration", finish),
        ("duplicate-id", "duplicate-id", key[-1]),
        ("outside-window", "outside-window", begin),
        ("build-too-long", "build-too-long", "end"),
    ]
    window = window_of(snapshot)
    return [
        row_problem(kind, path, name, column, counted[label], window)
        for label, kind, column in order
        if label in counted
    ]


def params(snapshot: Snapshot) -> dict[str, tuple[Any, str]]:
    """The one row of `params`, column -> (value, kind): the window, when it was collected and whether it was
    then closed (stale.py), the default build timeout and the fleet usage type."""
    start, end = window_of(snapshot)
    created = pd.Timestamp(snapshot.manifest.get("created") or end)
    collected = created.tz_localize("UTC") if created.tzinfo is None else created.tz_convert("UTC")
    return {
        "window_start": (_utc(start), "time"),
        "window_end": (_utc(end), "time"),
        "collected": (_utc(collected), "time"),
        "closed": (bool(collected >= end), "bool"),
        "default_build_timeout": (float(timeouts("build")["timeout_minutes"].iloc[0]), "number"),
        "fleet_build_usage_type": (FLEET_BUILD, "text"),
    }


def _params(con: Any, snapshot: Snapshot) -> None:
    row = params(snapshot)
    typed = ", ".join(f"CAST(? AS {SQL_TYPES[kind]}) AS {name}" for name, (_, kind) in row.items())
    con.execute(f"CREATE TEMP TABLE params AS SELECT {typed}", [value for value, _ in row.values()])


def _utc(stamp: pd.Timestamp) -> dt.datetime:
    """A naive UTC datetime, as the views give their times."""
    return stamp.tz_convert("UTC").tz_localize(None).to_pydatetime()


@dataclass(frozen=True)
class Lookup:
    """One small table the SQL joins: its columns (name -> kind) and rows (one per key, typed, NULL as None)."""

    name: str
    columns: dict[str, str]
    rows: pd.DataFrame


def lookups(snapshot: Snapshot, pricebook: PriceBook) -> list[Lookup]:
    """The small tables the SQL joins: from the snapshot's loaded tables and the pricing tables."""
    actions = snapshot.table("pipeline_actions")
    projects = snapshot.table("projects")
    return [
        _lookup(
            "pipeline_types", snapshot.table("pipelines"), ["account", "region", "pipeline"], {"pipeline_type": "text"}
        ),
        _lookup(
            "declared_action_timeouts",
            actions if "timeout_minutes" in actions else pd.DataFrame(),
            ["account", "region", "pipeline", "stage", "action"],
            {"timeout_minutes": "number"},
        ),
        _lookup(
            "project_timeouts",
            projects if "timeout_minutes" in projects else pd.DataFrame(),
            ["account", "region", "project"],
            {"timeout_minutes": "number"},
        ),
        _lookup(
            "compute_types",
            pricebook.compute_types,
            ["compute_type", "environment_type"],
            {"usage_type": "text", "billing_unit": "text"},
        ),
        _lookup(
            "action_timeouts", _ranked_action_timeouts(), list(KEYS), {"timeout_minutes": "number", "rank": "number"}
        ),
    ]


def _lookups(con: Any, snapshot: Snapshot, pricebook: PriceBook) -> None:
    for lookup in lookups(snapshot, pricebook):
        typed = ", ".join(f'"{column}" {SQL_TYPES[kind]}' for column, kind in lookup.columns.items())
        con.execute(f"CREATE TEMP TABLE {lookup.name} ({typed})")
        if not lookup.rows.empty:
            con.from_df(lookup.rows).insert_into(lookup.name)


def _ranked_action_timeouts() -> pd.DataFrame:
    """pricing/run_timeouts.csv's action rows with the `rank` stale.py's lookup gives them: patterns (which of
    category, owner, provider are `*`) in order of first appearance among the rows sorted by wildcards, then rows
    in that order; the lowest-ranked matching row wins."""
    table = timeouts("action").reset_index(drop=True)
    pattern = (table[list(KEYS)] == "*").apply(tuple, axis=1)
    first_seen = {value: index for index, value in reversed(list(enumerate(pattern)))}
    rank = pattern.map(first_seen) * len(table) + pd.Series(range(len(table)))
    return table.assign(rank=rank.astype(float))


def _lookup(name: str, frame: pd.DataFrame, key: list[str], values: dict[str, str]) -> Lookup:
    """A lookup table: one row per `key` (the first, as pandas' drop_duplicates keeps), typed."""
    columns = {**dict.fromkeys(key, "text"), **values}
    if frame.empty or not set(columns) <= set(frame.columns):
        return Lookup(name, columns, pd.DataFrame(columns=list(columns)))
    rows = frame.drop_duplicates(key)[list(columns)].copy()
    for column, kind in values.items():
        if kind == "number":
            rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("float64")
        else:
            rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    for column in key:
        rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    return Lookup(name, columns, rows.reset_index(drop=True))
