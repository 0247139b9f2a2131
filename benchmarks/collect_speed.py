"""How fast does `costkit collect` read an estate when every API call takes as long as it does against AWS?
Prints figures; never part of the pass/fail suite.

The offline fake account answers in microseconds, so a botocore event hook registered here (never in the product)
makes every API call wait `--latency` seconds first, on "before-call": once per call and per page, whether moto or
the fake's handlers answer it, inside the slot the collection's concurrency cap counts. Each configuration runs in
a fresh subprocess, so moto's state and the peak RSS (getrusage ru_maxrss, the whole process) are its own.

Configurations: 1, 4 and 16 regions of 20 pipelines each, and 1,000 pipelines in one region; each at one call
in flight (--max-concurrency 1) and at the default.

The fake "server" (moto and the fake's handlers) runs inside the measured process and competes with the collector
for the CPU, which against AWS it never does. Its own check of every answer against botocore's output model is
therefore off here unless --validate; moto's work stays in.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-central-1", "eu-north-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
    "ap-south-1", "sa-east-1",
]  # fmt: skip


def peak_rss_mib() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(regions: int, pipelines: int, concurrency: int | None, latency: float, validate: bool) -> dict[str, Any]:
    """Collect one synthetic estate in this process and report wall time, calls and peak RSS."""
    from costkit.collect import fake_account, run
    from costkit.collect.context import DEFAULT_MAX_CONCURRENCY, Window

    window = Window.month(2026, 10)
    wanted = REGIONS[:regions]
    estate = fake_account.synthetic_estate(wanted, pipelines)
    with fake_account.fake_account(window, estate, validate=validate) as session:

        def slow(**_: Any) -> None:
            time.sleep(latency)

        session.events.register_first("before-call", slow)
        options = run.CollectOptions(
            window=window,
            regions=wanted,
            cost_explorer=False,
            cache_dir=None,
            max_concurrency=concurrency or DEFAULT_MAX_CONCURRENCY,
        )
        start = time.perf_counter()
        snapshot = run.collect(session, options)
        elapsed = time.perf_counter() - start
    return {
        "regions": regions,
        "pipelines": pipelines * regions,
        "concurrency": options.max_concurrency,
        "seconds": elapsed,
        "calls": sum(snapshot.manifest["calls"].values()),
        "failures": len(snapshot.manifest["failures"]),
        "peak_rss_mib": peak_rss_mib(),
    }


def measure(regions: int, pipelines: int, concurrency: int | None, latency: float, validate: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", str(regions), str(pipelines), str(concurrency or 0)]
    command += ["--latency", str(latency), "--validate" if validate else "--no-validate"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each API call waits (default 0.05)")
    parser.add_argument("--region-counts", type=int, nargs="*", default=[1, 4, 16])
    parser.add_argument("--pipelines-per-region", type=int, default=20)
    parser.add_argument("--large", type=int, default=1000, help="pipelines in the one-region case (0: skip it)")
    parser.add_argument(
        "--validate",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="check every fake answer against botocore's model (server-side work AWS does, not the collector)",
    )
    parser.add_argument(
        "--one", type=int, nargs=3, metavar=("REGIONS", "PIPELINES", "CONCURRENCY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        regions, pipelines, concurrency = args.one
        print(json.dumps(one(regions, pipelines, concurrency or None, args.latency, args.validate)))
        return
    cases = [(n, args.pipelines_per_region) for n in args.region_counts] + ([(1, args.large)] if args.large else [])
    print(f"latency {args.latency * 1000:.0f} ms per call; fake answers validated: {args.validate}")
    header = (
        f"{'regions':>7} {'pipelines':>9} {'calls':>6} {'1 call s':>9} {'default s':>9} {'workers':>7} {'speed-up':>8}"
    )
    print(f"{header} {'peak RSS MiB':>12}")
    for regions, pipelines in cases:
        serial = measure(regions, pipelines, 1, args.latency, args.validate)
        parallel = measure(regions, pipelines, None, args.latency, args.validate)
        if serial["calls"] != parallel["calls"] or serial["failures"] or parallel["failures"]:
            raise SystemExit(f"collections differ or failed: {serial} {parallel}")
        print(
            f"{regions:>7} {parallel['pipelines']:>9} {parallel['calls']:>6} {serial['seconds']:>9.1f} "
            f"{parallel['seconds']:>9.1f} {parallel['concurrency']:>7} "
            f"{serial['seconds'] / parallel['seconds']:>7.1f}x "
            f"{max(serial['peak_rss_mib'], parallel['peak_rss_mib']):>12.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
