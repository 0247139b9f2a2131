"""What the Athena path costs on the client: the size of the composed queries for an estate of N pipelines (Athena
takes at most 262,144 bytes), and the time and memory to read back an action aggregate of R rows as Athena
sends it (GetQueryResults pages of 1,000 rows of text cells, typed by their declared column types) and turn it
into the model's aggregated runs. Athena's own time is not measured here (there is no Athena on this machine).
Prints figures; never part of the suite.

Usage:
    python benchmarks/athena_readback.py --pipelines 1000 --rows 155000   # the 10 M-action-execution estate
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Any

import pandas as pd

from costkit.collect import athena
from costkit.pricing import current_pricebook
from costkit.sources.snapshot import in_athena, in_duckdb
from costkit.sources.snapshot.folder import Snapshot

ACCOUNT, REGION = "111122223333", "us-east-1"
TYPES = {"account": "varchar", "region": "varchar", "pipeline": "varchar", "stage": "varchar", "action": "varchar",
         "category": "varchar", "owner": "varchar", "v2": "boolean", "day": "date", "runs": "bigint",
         "seconds": "double", "minutes": "double", "billed": "double", "stale": "bigint"}  # fmt: skip


class Tables:
    """in_athena.Tables that only composes (no query is run)."""

    database, prefix = "costkit", "october"

    def shape(self, table: str) -> in_athena.TableShape:
        return in_athena.TableShape({"provider": "string"}, {"month": "string"})

    def query(self, name: str, sql: str) -> pd.DataFrame:
        raise NotImplementedError


def estate(pipelines: int) -> Snapshot:
    """N V2 pipelines with 25-character names, each with one project whose timeout is set."""
    names = [f"team-service-{n:05d}-deploy" for n in range(pipelines)]
    frame = pd.DataFrame({"account": ACCOUNT, "region": REGION, "pipeline": names, "pipeline_type": "V2",
                          "created": pd.Timestamp("2025-01-01", tz="UTC"), "artifact_buckets": ""})  # fmt: skip
    projects = pd.DataFrame({"account": ACCOUNT, "region": REGION, "project": names, "timeout_minutes": 60.0})
    window = {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"}
    manifest = {"window": window, "created": "2026-11-02T00:00:00+00:00"}
    return Snapshot(tables={"pipelines": frame, "projects": projects}, manifest=manifest)


class Pages:
    """A paginator over R rows of text cells, 1,000 a page (the header row first), as GetQueryResults sends;
    made before the clock starts, so only costkit's reading is timed."""

    def __init__(self, rows: int, pipelines: int) -> None:
        self.rows, self.pipelines = rows, pipelines
        self.pages = list(self._made())

    def get_paginator(self, _name: str) -> Pages:
        return self

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        return iter(self.pages)

    def _made(self) -> Iterator[dict[str, Any]]:
        columns = [{"Name": name, "Type": kind} for name, kind in TYPES.items()]
        cells = [[{"VarCharValue": name} for name in TYPES]]
        actions = ["Source", "Build", "Test", "Approval", "Deploy"]
        for n in range(self.rows):
            act = actions[n % 5]
            values = [ACCOUNT, REGION, f"team-service-{n // 155 % self.pipelines:05d}-deploy", act, act, act, "AWS",
                      "true", f"2026-10-{n % 31 + 1:02d}", "13", "2701.5", "50.0", "50.0", "0"]  # fmt: skip
            cells.append([{"VarCharValue": value} for value in values])
            if len(cells) == athena.PAGE_SIZE:
                yield {
                    "ResultSet": {
                        "Rows": [{"Data": row} for row in cells],
                        "ResultSetMetadata": {"ColumnInfo": columns},
                    }
                }
                cells = []
        if cells:
            yield {
                "ResultSet": {"Rows": [{"Data": row} for row in cells], "ResultSetMetadata": {"ColumnInfo": columns}}
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=155_000)
    args = parser.parse_args()
    book = current_pricebook()
    snapshot = estate(args.pipelines)
    tables = Tables()
    shapes = {run: tables.shape(run) for run in in_athena.RUN_TABLES}
    began = time.perf_counter()
    sizes = {name: len(in_athena.compose(name, snapshot, book, tables, shapes).encode()) for name in in_athena.PLAN}
    composed = time.perf_counter() - began
    print(f"{args.pipelines:,} V2 pipelines and projects with timeouts: queries composed in {composed:.2f} s")
    for name, size in sizes.items():
        print(f"  {name:20} {size:>9,} bytes ({size / in_athena.QUERY_LIMIT:.0%} of Athena's 262,144)")
    answer = Pages(args.rows, args.pipelines)
    began = time.perf_counter()
    frame, pages = athena._results(answer, "q", athena.Place("finops", "costkit"), header=True)
    typed = time.perf_counter() - began
    empty = pd.DataFrame(columns=["account", "region", "project", "pipeline", "compute_type", "environment_type",
                                  "usage_type", "unit", "day", "runs", "billed", "stale", "fleet_runs"])  # fmt: skip
    executions = pd.DataFrame(columns=["account", "region", "pipeline", "executions", "started_in_window"])
    began = time.perf_counter()
    totals = in_duckdb.totals(frame.astype({"runs": "int64", "stale": "int64"}), empty, executions, snapshot)
    summed = time.perf_counter() - began
    held = frame.memory_usage(deep=True).sum() / 2**20
    print(f"action aggregate of {len(frame):,} rows in {pages} pages: read and typed in {typed:.2f} s "
          f"({held:,.0f} MiB as a frame),")  # fmt: skip
    print(f"  as {len(totals.runs.actions):,} aggregated runs in {summed:.2f} s")


if __name__ == "__main__":
    main()
