"""How large a snapshot can costkit price, how fast, in how much memory? Prints figures; never part of the suite.

Generates a synthetic snapshot on disk in chunks (never whole in memory): N action executions (5 actions per
pipeline execution: Source, Build, Test, Approval, Deploy; 1,000 pipelines over 10 accounts, 10% of them V1) and
0.42 x N builds (Build and Test each start one, plus 5% started outside a pipeline). Then, each in a fresh
subprocess so its peak resident set (VmHWM: everything the process holds, DuckDB's and Arrow's memory included)
is its own:

- `costkit`  : `estimate(folder, engine=...)`, the whole product path (checks, stale runs, clipping, pricing);
- `bare`     : the same bill's core without costkit: one DuckDB query (or pandas over the needed columns) summing
               ceil(seconds / 60) per account and usage type, priced with the free tiers by hand.

Usage:
    python benchmarks/snapshot_scale.py --rows 10000000 --engines duckdb pandas   # the 10 M case
    python benchmarks/snapshot_scale.py --rows 100000000 --engines duckdb          # the 10^8 case
    python benchmarks/snapshot_scale.py --dir /some/where --keep ...              # generate once, then reuse it
Figures go to docs/scale.md. The generated folder is deleted afterwards unless --keep; a --dir that already
holds a generated snapshot (of any size: --rows is then ignored) is priced as it is and kept.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ACCOUNTS = [f"{100000000000 + i:012d}" for i in range(10)]
REGION = "us-east-1"
PIPELINES = 1000
ACTIONS = [  # name, category, owner, provider, mean seconds
    ("Source", "Source", "AWS", "CodeStarSourceConnection", 20),
    ("Build", "Build", "AWS", "CodeBuild", 400),
    ("Test", "Test", "AWS", "CodeBuild", 250),
    ("Approve", "Approval", "AWS", "Manual", 1800),
    ("Deploy", "Deploy", "AWS", "CloudFormation", 120),
]
COMPUTE = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]
WINDOW_START = np.datetime64("2026-10-01T00:00:00", "ms")
WINDOW_SECONDS = 31 * 86400
CHUNK = 2_000_000  # pipeline executions x actions per chunk: 2 M rows of action executions


def _peak_mib() -> float:
    """This process's peak resident set: VmHWM (reset by exec, unlike ru_maxrss, which a child started from a big
    parent inherits), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _utc(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[ms]"), type=pa.timestamp("ms", tz="UTC"))


def _text(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def _pick(values: list[str], indices: np.ndarray) -> pa.Array:
    """values[indices] as plain strings, built by Arrow (numpy string arrays are slow at 10^8 rows)."""
    return pc.take(pa.array(values, pa.string()), pa.array(indices))


def _same(value: str, n: int) -> pa.Array:
    return _pick([value], np.zeros(n, dtype=np.int64))


def generate(folder: Path, rows: int, seed: int = 12) -> dict[str, Any]:
    """Write the snapshot in chunks; returns the counts written."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    pipeline_ids = np.arange(PIPELINES)
    account_of = pipeline_ids % len(ACCOUNTS)
    v1 = pipeline_ids % 10 == 9
    names = [f"pipeline-{i:04d}" for i in pipeline_ids]
    accounts = [ACCOUNTS[a] for a in account_of]
    pq.write_table(
        pa.table({
            "account": accounts, "region": [REGION] * PIPELINES, "pipeline": names,
            "pipeline_type": ["V1" if old else "V2" for old in v1], "execution_mode": ["QUEUED"] * PIPELINES,
            "created": _utc(np.full(PIPELINES, np.datetime64("2025-01-01T00:00:00", "ms"))),
            "artifact_buckets": [""] * PIPELINES, "has_triggers": [False] * PIPELINES,
            "has_variables": [False] * PIPELINES,
        }),
        folder / "pipelines.parquet",
    )  # fmt: skip
    declared = [(p, a) for p in range(PIPELINES) for a in range(len(ACTIONS))]
    pq.write_table(
        pa.table({
            "account": [accounts[p] for p, _ in declared], "region": [REGION] * len(declared),
            "pipeline": [names[p] for p, _ in declared], "stage": [ACTIONS[a][0] for _, a in declared],
            "action": [ACTIONS[a][0] for _, a in declared], "category": [ACTIONS[a][1] for _, a in declared],
            "owner": [ACTIONS[a][2] for _, a in declared], "provider": [ACTIONS[a][3] for _, a in declared],
            "project_name": [f"{names[p]}-{ACTIONS[a][0].lower()}" if a in (1, 2) else None for p, a in declared],
            "timeout_minutes": pa.nulls(len(declared), pa.float64()),
        }),
        folder / "pipeline_actions.parquet",
    )  # fmt: skip
    projects = [f"{names[p]}-{kind}" for p in range(PIPELINES) for kind in ("build", "test")]
    pq.write_table(
        pa.table({
            "account": [accounts[p] for p in range(PIPELINES) for _ in range(2)],
            "region": [REGION] * len(projects), "project": projects,
            "compute_type": [COMPUTE[(p + k) % 3] for p in range(PIPELINES) for k in range(2)],
            "environment_type": ["LINUX_CONTAINER"] * len(projects), "timeout_minutes": [60.0] * len(projects),
        }),
        folder / "projects.parquet",
    )  # fmt: skip
    executions_total = rows // len(ACTIONS)
    per_chunk = CHUNK // len(ACTIONS)
    writers: dict[str, pq.ParquetWriter] = {}
    counts = {"pipeline_executions": 0, "action_executions": 0, "builds": 0}

    def put(name: str, table: pa.Table) -> None:
        if name not in writers:
            writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
        writers[name].write_table(table)
        counts[name] += table.num_rows

    for first in range(0, executions_total, per_chunk):
        n = min(per_chunk, executions_total - first)
        ids = np.arange(first, first + n)
        pipe = ids % PIPELINES
        start_ms = (rng.random(n) * (WINDOW_SECONDS - 7200) * 1000).astype("int64")
        start = WINDOW_START + start_ms.astype("timedelta64[ms]")
        put("pipeline_executions", pa.table({
            "account": _pick(accounts, pipe), "region": _same(REGION, n),
            "pipeline": _pick(names, pipe), "execution_id": _text("exec-", ids),
            "status": _same("Succeeded", n), "start": _utc(start),
            "last_update": _utc(start + np.timedelta64(3600, "s")),
        }))  # fmt: skip
        for index, (act, category, owner, provider, mean) in enumerate(ACTIONS):
            seconds_ms = (rng.gamma(4.0, mean / 4.0, n) * 1000).astype("int64") + 1000
            begin = start + np.timedelta64(index * 600, "s")
            end = begin + seconds_ms.astype("timedelta64[ms]")
            execution_ids = _text("exec-", ids)
            put("action_executions", pa.table({
                "account": _pick(accounts, pipe), "region": _same(REGION, n),
                "pipeline": _pick(names, pipe), "execution_id": execution_ids,
                "action_execution_id": _text(f"ae-{index}-", ids), "stage": _same(act, n),
                "action": _same(act, n), "category": _same(category, n),
                "owner": _same(owner, n), "provider": _same(provider, n),
                "status": _same("Succeeded", n), "start": _utc(begin), "last_update": _utc(end),
                "external_execution_id": _text(f"build-{index}-", ids) if index in (1, 2) else pa.nulls(n, pa.string()),
            }))  # fmt: skip
            if index in (1, 2):
                _builds(put, n, ids, pipe, names, accounts, index, begin, seconds_ms, pipeline=True)
        outside = n // 20
        if outside:
            begin = start[:outside]
            seconds_ms = (rng.gamma(4.0, 300 / 4.0, outside) * 1000).astype("int64") + 1000
            _builds(put, outside, ids[:outside], pipe[:outside], names, accounts, 9, begin, seconds_ms, pipeline=False)
    for writer in writers.values():
        writer.close()
    manifest = {
        "written_by": "costkit", "format_version": 1, "costkit_version": "0.1.0",
        "tables": ["pipelines", "pipeline_actions", "projects", *counts],
        "window": {"start": "2026-10-01T00:00:00+00:00", "end": "2026-11-01T00:00:00+00:00"},
        "created": "2026-11-02T00:00:00+00:00", "accounts": ACCOUNTS, "regions": [REGION], "failures": [],
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return counts


def _builds(put: Any, n: int, ids: np.ndarray, pipe: np.ndarray, names: list[str], accounts: list[str],
            index: int, begin: np.ndarray, seconds_ms: np.ndarray, *, pipeline: bool) -> None:  # fmt: skip
    kind = ("build" if index == 1 else "test") if pipeline else "build"
    project = _pick([f"{name}-{kind}" for name in names], pipe)
    compute = _pick(COMPUTE, (pipe + (index == 2)) % 3)
    end = begin + seconds_ms.astype("timedelta64[ms]")
    phase = seconds_ms / 1000.0 / 8
    put("builds", pa.table({
        "account": _pick(accounts, pipe), "region": _same(REGION, n),
        "project": project, "build_id": _text(f"{kind}-{index}:", ids),
        "status": _same("SUCCEEDED", n),
        "start": _utc(begin), "end": _utc(end), "billed_start": _utc(begin), "compute_type": compute,
        "environment_type": _same("LINUX_CONTAINER", n),
        "initiator": _pick([f"codepipeline/{name}" for name in names], pipe) if pipeline else _same("alice", n),
        "fleet_arn": pa.nulls(n, pa.string()), "billable_seconds": pa.array(seconds_ms / 1000.0),
        **{column: pa.array(phase) for column in ("queued_s", "provisioning_s", "download_source_s", "install_s",
                                                   "pre_build_s", "build_s", "post_build_s", "upload_artifacts_s")},
        "finalizing_s": pa.array(np.zeros(n)),
    }))  # fmt: skip


BARE_SQL = """
WITH actions AS (
    SELECT a.account, sum(greatest(ceil(date_diff('millisecond', a.start, a.last_update) / 60000.0), 1)) AS q
    FROM read_parquet(?) AS a JOIN read_parquet(?) AS p USING (account, region, pipeline)
    WHERE p.pipeline_type = 'V2' AND a.category <> 'Approval' AND a.owner <> 'Custom'
    GROUP BY a.account
), builds AS (
    SELECT account, compute_type,
           sum(greatest(ceil(date_diff('millisecond', billed_start, "end") / 60000.0), 1)) AS q
    FROM read_parquet(?) GROUP BY account, compute_type
)
SELECT 'actions' AS kind, account, NULL AS compute_type, q FROM actions
UNION ALL SELECT 'builds', account, compute_type, q FROM builds
"""
RATE = {"BUILD_GENERAL1_SMALL": 0.005, "BUILD_GENERAL1_MEDIUM": 0.01, "BUILD_GENERAL1_LARGE": 0.02}


def _bare_bill(quantities: Any) -> float:
    """Price per account by hand: V2 minutes past the 100 free ones, build minutes past 100 free small minutes."""
    total = 0.0
    for row in quantities.itertuples():
        if row.kind == "actions":
            total += max(row.q - 100, 0) * 0.002
        elif row.compute_type == "BUILD_GENERAL1_SMALL":
            total += max(row.q - 100, 0) * RATE[row.compute_type]
        else:
            total += row.q * RATE[row.compute_type]
    v1 = [p % len(ACCOUNTS) for p in range(PIPELINES) if p % 10 == 9]  # every V1 pipeline ran
    return total + (len(v1) - len(set(v1))) * 1.0  # one free active V1 pipeline per account


def one(mode: str, folder: Path) -> dict[str, Any]:
    """One measurement in this process."""
    import pandas as pd

    if mode.startswith("costkit-"):
        import costkit
        from costkit.estimate import estimate

        book = costkit.load_pricebook()
        baseline = _peak_mib()
        began = time.perf_counter()
        result = estimate(folder, period=costkit.Period.month(2026, 10), pricebook=book, engine=mode.split("-")[1])
        seconds = time.perf_counter() - began
        return {"mode": mode, "seconds": seconds, "peak_mib": _peak_mib(), "baseline_mib": baseline,
                "total_usd": result.total, "complete": result.complete, "lines": len(result.lines)}  # fmt: skip
    if mode == "bare-duckdb":
        import duckdb

        baseline = _peak_mib()
        began = time.perf_counter()
        con = duckdb.connect(config={"threads": 2})
        paths = [str(folder / f"{t}.parquet") for t in ("action_executions", "pipelines", "builds")]
        quantities = con.execute(BARE_SQL, paths).df()
        total = _bare_bill(quantities)
        seconds = time.perf_counter() - began
        return {"mode": mode, "seconds": seconds, "peak_mib": _peak_mib(), "baseline_mib": baseline, "total_usd": total}
    if mode == "bare-pandas":
        baseline = _peak_mib()
        began = time.perf_counter()
        needed = ["account", "pipeline", "category", "owner", "start", "last_update"]
        actions = pd.read_parquet(folder / "action_executions.parquet", columns=needed)
        types = pd.read_parquet(folder / "pipelines.parquet", columns=["pipeline", "pipeline_type"])
        actions = actions.merge(types, on="pipeline")
        actions = actions[(actions["pipeline_type"] == "V2") & (actions["category"] != "Approval")]
        minutes = np.maximum(np.ceil((actions["last_update"] - actions["start"]).dt.total_seconds() / 60), 1)
        per_action = minutes.groupby(actions["account"]).sum()
        del actions
        builds = pd.read_parquet(folder / "builds.parquet", columns=["account", "compute_type", "billed_start", "end"])
        build_minutes = np.maximum(np.ceil((builds["end"] - builds["billed_start"]).dt.total_seconds() / 60), 1)
        per_build = build_minutes.groupby([builds["account"], builds["compute_type"]]).sum()
        rows = [("actions", account, None, q) for account, q in per_action.items()]
        rows += [("builds", account, compute, q) for (account, compute), q in per_build.items()]
        total = _bare_bill(pd.DataFrame(rows, columns=["kind", "account", "compute_type", "q"]))
        seconds = time.perf_counter() - began
        return {"mode": mode, "seconds": seconds, "peak_mib": _peak_mib(), "baseline_mib": baseline, "total_usd": total}
    raise SystemExit(f"unknown mode {mode}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="action executions to generate")
    parser.add_argument("--engines", nargs="+", default=["duckdb"], choices=["duckdb", "pandas"])
    parser.add_argument("--bare", nargs="*", default=["duckdb"], choices=["duckdb", "pandas"])
    parser.add_argument("--dir", type=Path, default=None, help="where to generate (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated snapshot")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.dir)))
        return
    parent = args.dir or Path(tempfile.mkdtemp(prefix="costkit-scale-"))
    folder = parent / "snapshot"
    reused = (folder / "manifest.json").exists()
    try:
        began = time.perf_counter()
        if reused:
            counts = {t: pq.read_metadata(folder / f"{t}.parquet").num_rows for t in ("action_executions", "builds")}
            print(f"reusing {counts}", end="")
        else:
            counts = generate(folder, args.rows)
            print(f"generated {counts} in {time.perf_counter() - began:.0f} s", end="")
        size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        print(f"; Parquet on disk {size / 2**20:,.0f} MiB; load average {os.getloadavg()[0]:.1f}")
        results = []
        for mode in [*(f"bare-{b}" for b in args.bare), *(f"costkit-{e}" for e in args.engines)]:
            out = subprocess.run([sys.executable, __file__, "--one", mode, "--dir", str(folder)],
                                 capture_output=True, text=True, check=False)  # fmt: skip
            if out.returncode != 0:
                print(f"{mode}: failed (exit {out.returncode}): {out.stderr.strip()[-600:]}")
                continue
            figures = json.loads(out.stdout.strip().splitlines()[-1]) | {"load": os.getloadavg()[0]}
            results.append(figures)
            print(f"{mode:>15}: {figures['seconds']:8.1f} s, peak {figures['peak_mib']:8,.0f} MiB "
                  f"({figures['peak_mib'] * 2**20 / size:.2f}x the Parquet size; after imports "
                  f"{figures['baseline_mib']:,.0f} MiB), total ${figures['total_usd']:,.2f}; "
                  f"load average {figures['load']:.1f}")  # fmt: skip
        bare = {r["mode"]: r["seconds"] for r in results if r["mode"].startswith("bare-")}
        for r in results:
            if r["mode"].startswith("costkit-") and bare:
                ratios = ", ".join(f"{r['seconds'] / s:.2f}x {m}" for m, s in bare.items())
                print(f"{r['mode']}: time {ratios}")
    finally:
        if not args.keep and not reused:
            shutil.rmtree(folder, ignore_errors=True)
            if args.dir is None:
                shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
