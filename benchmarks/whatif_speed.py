"""How fast are what-if scenarios? Prints figures; never part of the pass/fail suite.

Three targets (issue #9):
1. one scenario re-estimate of a 1,000-pipeline estate (with builds, functions and buckets: the synthetic estate
   of benchmarks/estimate_speed.py) in under 100 ms after the first;
2. a 50-point sweep in under 5 s (the same estate);
3. compare of 10 scenarios on the demo snapshot (the fake account the demo collects) in under 2 s.

Each figure is the best of `--repeat` runs (the machine is shared: the best run is the least disturbed one), with
the median beside it, in wall seconds and in this process's CPU seconds (what a shared machine does not inflate as
much), and the load average when the figures were taken. The estate's baseline estimate is not timed: a scenario
re-prices a baseline it is given.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from estimate_speed import synthetic

TARGETS = {"scenario": 0.100, "sweep": 5.0, "compare": 2.0}


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """Best and median wall seconds, best CPU seconds, and the last result."""
    runs, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = work()
        runs.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(runs), statistics.median(runs), min(cpu), result


def load() -> str:
    return "load average " + " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def demo_snapshot() -> Any:
    from costkit.collect.context import Window
    from costkit.collect.fake_account import fake_account
    from costkit.collect.run import CollectOptions, collect

    window = Window.month(2026, 10)
    with fake_account(window) as session:
        return collect(session, CollectOptions(window=window, regions=["us-east-1", "ap-northeast-1"], cache_dir=None))


def estate_figures(args: argparse.Namespace, book: Any) -> None:
    """Figures 1 and 2: one scenario and a 50-point sweep on the synthetic estate."""
    import costkit
    from costkit.whatif import Scenario, scale_builds, scale_executions
    from costkit.whatif import sweep as sweep_of

    period = costkit.Period.month(2026, 12)
    baseline = costkit.estimate(synthetic(args.pipelines), period=period, pricebook=book)
    rows = len(baseline.usage_rows)
    print(f"estate: {args.pipelines:,} pipelines, {rows:,} usage rows, baseline ${baseline.total:,.2f}; {load()}")
    if "scenario" in args.only:
        scenario = Scenario.of("builds x1.5", scale_builds(1.5, project="b7"))
        start = time.perf_counter()
        first = scenario.apply(baseline, book)
        first_s = time.perf_counter() - start
        best, median, cpu, _ = timed(lambda: scenario.apply(baseline, book), args.repeat)
        delta = first.total - baseline.total
        print(f"1. one scenario re-estimate: first {first_s * 1000:,.0f} ms, then best {best * 1000:,.0f} ms, "
              f"median {median * 1000:,.0f} ms, CPU {cpu * 1000:,.0f} ms "
              f"(target < {TARGETS['scenario'] * 1000:.0f} ms)  [{delta:+,.2f} USD]")  # fmt: skip
    if "sweep" in args.only:
        values = [0.5 + i * 0.05 for i in range(50)]
        best, median, cpu, table = timed(lambda: sweep_of(baseline, scale_executions, values, pricebook=book),
                                         args.sweep_repeat)  # fmt: skip
        print(f"2. 50-point sweep of executions: best {best:,.2f} s, median {median:,.2f} s, CPU {cpu:,.2f} s "
              f"(target < {TARGETS['sweep']:.0f} s)  [{len(table)} points, ${table['cost_usd'].min():,.2f} .. "
              f"${table['cost_usd'].max():,.2f}]; {load()}")  # fmt: skip


def compare_figure(args: argparse.Namespace, book: Any) -> None:
    """Figure 3: 10 scenarios compared on the demo snapshot."""
    import costkit
    from costkit.whatif import Scenario, compare, growth, move_region, remove_pipeline, scale_builds, scale_executions

    start = time.perf_counter()
    snapshot = demo_snapshot()
    collected = time.perf_counter() - start
    demo = costkit.estimate(snapshot, pricebook=book)
    ten = [
        Scenario.of("executions x2", scale_executions(2)),
        Scenario.of("executions x0.5", scale_executions(0.5)),
        Scenario.of("builds x2", scale_builds(2)),
        Scenario.of("builds x0.5", scale_builds(0.5)),
        Scenario.of("growth 5% x 12", growth(0.05, 12)),
        Scenario.of("growth 10% x 6", growth(0.10, 6)),
        Scenario.of("Tokyo", move_region("ap-northeast-1")),
        Scenario.of("Ohio", move_region("us-east-2")),
        Scenario.of("no web-app", remove_pipeline("web-app")),
        Scenario.of("grow then halve builds", growth(0.05, 12), scale_builds(0.5)),
    ]
    best, median, cpu, table = timed(lambda: compare(demo, *ten, pricebook=book), args.repeat)
    print(f"3. compare of 10 scenarios on the demo snapshot: best {best:,.2f} s, median {median:,.2f} s, "
          f"CPU {cpu:,.2f} s (target < {TARGETS['compare']:.0f} s)  [{table['scenario'].nunique()} scenarios incl. "
          f"baseline; demo collected in {collected:,.1f} s, not timed]; {load()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sweep-repeat", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=list(TARGETS), default=list(TARGETS), help="figures to take")
    args = parser.parse_args()

    import costkit

    book = costkit.load_pricebook()
    if {"scenario", "sweep"} & set(args.only):
        estate_figures(args, book)
    if "compare" in args.only:
        compare_figure(args, book)


if __name__ == "__main__":
    main()
