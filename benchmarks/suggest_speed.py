"""How fast is `costkit suggest` on a large estate? Prints figures; never part of the pass/fail suite.

The estate is estimate_speed.py's synthetic one: N V2 pipelines (5 actions each), N CodeBuild projects,
N Lambda functions and N buckets, about 10 usage rows per pipeline (1,000 pipelines: ~10,000 rows). Each size
runs in a fresh subprocess and prints wall seconds, CPU seconds of that process (on a shared machine the wall
clock also counts other people's work), how many changes were re-priced, how many suggestions came back and
their combined saving.

`--reference` prices every change the old way too (the whole table through `price()`, one by one: each
candidate of a rule's batch too) and prints that run's figures beside: the combined saving must be the same.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estimate_speed import synthetic


def one(n: int, reference: bool) -> dict[str, Any]:
    """Suggest for size n in this process, counting re-pricings."""
    import costkit
    from costkit.optimize import base, suggest

    book = costkit.load_pricebook()
    period = costkit.Period.month(2026, 12)
    suggest(synthetic(5), pricebook=book, period=period)  # warm caches and imports
    contexts: list[base.Context] = []
    original = base.Context.__init__

    def keep(self: base.Context, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        contexts.append(self)

    base.Context.__init__ = keep  # type: ignore[method-assign]
    if reference:
        base.Context.saving = _one_by_one  # type: ignore[method-assign]
        base.Context.savings = _each_one_by_one  # type: ignore[method-assign]
    usage = synthetic(n)
    wall, cpu = time.perf_counter(), time.process_time()
    found = suggest(usage, pricebook=book, period=period)
    return {
        "pipelines": n,
        "rows": len(found.baseline.usage_rows),
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "repricings": sum(c.repricings for c in contexts),
        "suggestions": len(found.items),
        "counted": len(found.counted),
        "combined_saving": found.combined_saving_usd,
    }


def _one_by_one(self: Any, transform: Any) -> float | None:
    """The pre-0.3 saving: the whole changed table through price(), baseline priced the same way."""
    from costkit.price import price

    options = self.baseline.options

    def priced(rows: Any) -> tuple[float, set[tuple[str, ...]]]:
        result = price(
            rows,
            self.pricebook,
            free_tier_scope=options.get("free_tier_scope", "account"),
            free_tier=bool(options.get("free_tier", True)),
            fallback_region=options.get("fallback_region"),
        )
        keys = result.missing[["account", "region", "resource", "usage_type"]].itertuples(index=False)
        return float(result.lines["cost_usd"].sum()), {tuple(str(v) for v in key) for key in keys}

    self.repricings += 1
    if not hasattr(self, "_reference_before"):  # the baseline through price() once per Context
        self._reference_before = priced(self.rows)
    before, missing_before = self._reference_before
    after, missing_after = priced(transform(self.rows.copy()))
    return None if not missing_after <= missing_before else before - after


def _each_one_by_one(self: Any, batch: Any) -> Any:
    """A rule's batch the pre-0.3 way: every candidate's changed table through price(), one after another."""
    import numpy as np
    import pandas as pd

    rows = self.rows.reset_index(drop=True)
    savings = []
    for number in range(batch.size):
        edit = batch.edit([number])
        after = pd.concat([rows.drop(index=edit.removed), edit.added], ignore_index=True)
        saving = _one_by_one(self, lambda _rows, after=after: after)
        savings.append(np.nan if saving is None else saving)
    return np.asarray(savings, dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="pipelines in the estate")
    parser.add_argument("--reference", action="store_true", help="also time one-by-one whole-table re-pricing")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="fast", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.mode == "reference")))
        return
    print(
        f"{'mode':>9} {'pipelines':>9} {'rows':>7} {'seconds':>8} {'cpu s':>8} {'re-pricings':>11} "
        f"{'suggestions':>11} {'counted':>7} {'combined USD':>13}"
    )
    for n in args.sizes:
        for mode in ("fast", "reference") if args.reference else ("fast",):
            command = [sys.executable, __file__, "--one", str(n), "--mode", mode]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{mode:>9} {row['pipelines']:>9} {row['rows']:>7} {row['seconds']:>8.2f} {row['cpu_seconds']:>8.2f} "
                f"{row['repricings']:>11} {row['suggestions']:>11} {row['counted']:>7} "
                f"{row['combined_saving']:>13,.6f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
