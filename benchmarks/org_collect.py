"""How many calls, and how long, does `costkit collect --org-role R --regions all` take for an organisation of
20 accounts x 4 regions? Prints figures; never part of the pass/fail suite.

The organisation is costkit/collect/fake_org.py: a moto server on 127.0.0.1 (reached over HTTP) plus model-validated
answers for the history moto does not model. Every API call can be made to wait `--latency` seconds first (a botocore
hook registered here on every session, never in the product), so the time reflects waiting on AWS rather than on
the in-process fake, which competes with the collector for the CPU as AWS never does. Seeding is not timed.

Figures: calls in all and per 1,000 action executions, calls per operation, seconds, the most threads alive at once
and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from typing import Any

from costkit.collect import fake_org, run
from costkit.collect.context import DEFAULT_MAX_CONCURRENCY, Window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--pipelines", type=int, default=5, help="per account and region")
    parser.add_argument("--executions", type=int, default=30, help="per pipeline in the month")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds every API call waits first")
    parser.add_argument("--max-concurrency", type=int, default=DEFAULT_MAX_CONCURRENCY)
    parser.add_argument("--validate", action="store_true", help="check every fake answer against botocore's model")
    args = parser.parse_args()
    window = Window.month(2026, 10)
    estate = fake_org.OrgEstate(accounts=args.accounts, pipelines=args.pipelines, executions=args.executions)
    peak = [threading.active_count()]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], threading.active_count())

    def slow(**_: Any) -> None:
        time.sleep(args.latency)

    started = time.perf_counter()
    with fake_org.fake_org(window, estate, validate=args.validate) as session:
        seeded = time.perf_counter() - started
        prepare = session.costkit_prepare  # type: ignore[attr-defined]

        def prepared(assumed: Any) -> None:
            prepare(assumed)
            if args.latency:
                assumed.events.register_first("before-call", slow)

        session.costkit_prepare = prepared  # type: ignore[attr-defined]
        if args.latency:
            session.events.register_first("before-call", slow)
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        options = run.CollectOptions(
            window=window, regions=["all"], cost_explorer=False, max_concurrency=args.max_concurrency
        )
        start = time.perf_counter()
        snapshot = run.collect(session, options, org_role=fake_org.ORG_ROLE)
        seconds = time.perf_counter() - start
        done.set()
    calls = snapshot.manifest["calls"]
    total = sum(calls.values())
    executions = len(snapshot.table("action_executions"))
    print(
        f"organisation: {len(snapshot.manifest['accounts'])} accounts ({args.accounts} with pipelines) x "
        f"{len(snapshot.manifest['regions'])} regions, {args.pipelines} pipelines each, {args.executions} executions "
        f"a pipeline: {executions:,} action executions, {len(snapshot.table('builds')):,} builds"
    )
    print(f"failures: {len(snapshot.manifest['failures'])}; seeding the fake took {seeded:.1f} s (not counted)")
    print(f"latency per call: {args.latency * 1000:.0f} ms; --max-concurrency {args.max_concurrency}")
    print(f"calls: {total:,} ({1000 * total / max(executions, 1):.1f} per 1,000 action executions)")
    print(f"seconds: {seconds:.1f} ({total / seconds:.0f} calls/s)")
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"threads alive at most: {peak[0]}; peak RSS: {rss_mib:.0f} MiB")
    for name, count in calls.items():
        print(f"  {name:40s} {count:6,}")


if __name__ == "__main__":
    main()
