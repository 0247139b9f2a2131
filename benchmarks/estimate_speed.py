"""How fast does costkit price a large estate? Prints figures; never part of the pass/fail suite.

Builds a synthetic usage dict with N pipelines (5 actions each), N CodeBuild projects, N Lambda functions
and N buckets, then times load + derive + price.

Each size runs in a fresh subprocess: its peak memory is the process's own peak resident set (getrusage
ru_maxrss, which sees everything the process holds, Arrow's memory pool included; tracemalloc sees only Python's
allocator), and nothing traces the timed code. `baseline` is the peak after imports and a warm-up estimate,
so `peak - baseline` is roughly what the size itself needed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any


def synthetic(n: int) -> dict[str, Any]:
    sizes = ["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]
    return {
        "version": 1,
        "region": "us-east-1",
        "pipelines": {
            f"p{i}": {
                "type": "V2",
                "executions_per_month": 100 + i % 400,
                "actions": [
                    {
                        "name": f"a{j}",
                        "category": ["Source", "Build", "Test", "Approval", "Deploy"][j],
                        "minutes": 0.5 + j,
                    }
                    for j in range(5)
                ],
            }
            for i in range(n)
        },
        "codebuild": {
            f"b{i}": {
                "compute_type": sizes[i % 3],
                "builds_per_month": 50 + i % 300,
                "minutes_per_build": 1 + i % 17 / 3,
            }
            for i in range(n)
        },
        "lambda": {
            f"f{i}": {
                "memory_mb": 128 * (1 + i % 8),
                "requests_per_month": 10_000 * (1 + i % 50),
                "duration_ms": 120 + i % 900,
            }
            for i in range(n)
        },
        "s3": {f"s{i}": {"storage_gb": 10 + i % 500, "put_requests_per_month": 1000 * (i % 40)} for i in range(n)},
    }


def peak_rss_mib() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(n: int, repeat: int) -> dict[str, Any]:
    """Time the estimate of size n in this process (best of `repeat`), untraced."""
    import costkit

    book = costkit.load_pricebook()
    period = costkit.Period.month(2026, 12)
    costkit.estimate(synthetic(5), pricebook=book, period=period)  # warm caches and imports
    baseline = peak_rss_mib()
    usage = synthetic(n)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = costkit.estimate(usage, pricebook=book, period=period)
        best = min(best, time.perf_counter() - start)
    return {
        "resources": 4 * n,
        "lines": len(result.lines),
        "seconds": best,
        "baseline_mib": baseline,
        "peak_mib": peak_rss_mib(),
        "total": result.total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size; the best is shown")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.repeat)))
        return
    print(f"{'resources':>10} {'lines':>8} {'seconds':>9} {'baseline MiB':>12} {'peak RSS MiB':>12} {'total USD':>14}")
    for n in args.sizes:
        command = [sys.executable, __file__, "--one", str(n), "--repeat", str(args.repeat)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{row['resources']:>10} {row['lines']:>8} {row['seconds']:>9.3f} {row['baseline_mib']:>12.0f} "
            f"{row['peak_mib']:>12.0f} {row['total']:>14,.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
