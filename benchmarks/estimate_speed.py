"""How fast does costkit price a large estate? Prints figures; never part of the pass/fail suite.

Builds a synthetic usage dict with N pipelines (5 actions each), N CodeBuild projects, N Lambda functions
and N buckets, then times load + derive + price, and reports peak memory.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from typing import Any

import costkit


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000])
    args = parser.parse_args()
    book = costkit.load_pricebook()
    period = costkit.Period.month(2026, 12)
    costkit.estimate(synthetic(5), pricebook=book, period=period)  # warm caches and imports
    print(f"{'resources':>10} {'lines':>8} {'seconds':>9} {'peak MiB':>9} {'total USD':>14}")
    for n in args.sizes:
        usage = synthetic(n)
        tracemalloc.start()
        start = time.perf_counter()
        result = costkit.estimate(usage, pricebook=book, period=period)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"{4 * n:>10} {len(result.lines):>8} {elapsed:>9.3f} {peak:>9.1f} {result.total:>14,.2f}")


if __name__ == "__main__":
    main()
