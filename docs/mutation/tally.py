"""Tally a mutmut run against the sorted survivors in docs/mutation/survivors.csv.

mutmut says which mutants survived; only a person can say which survivors are equivalent. This script joins the
two so the figure #14 asks for (killed / non-equivalent) is computed, not typed, and so a survivor nobody has
sorted yet, or a sorted one the tests now kill, shows up by name.

    python docs/mutation/tally.py            # after `mutmut run ...`, from the project root
    python docs/mutation/tally.py --by function --unsorted
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = re.compile(r"^(?P<function>.+)__mutmut_(?P<number>\d+)$")
KILLED, SURVIVED, TIMEOUT, NO_TESTS, SKIPPED = "killed", "survived", "timeout", "no tests", "skipped"
# mutmut 3.8's exit codes (mutmut/stats.py: status_by_exit_code). A mutant caught by the type check or one that
# crashed the test process is caught; an exit code mutmut does not know is "suspicious", counted apart.
STATUS = {None: "not run", 0: SURVIVED, 1: KILLED, 3: KILLED, 37: KILLED, -11: KILLED, -9: KILLED, 5: NO_TESTS,
          33: NO_TESTS, 34: SKIPPED, 36: TIMEOUT, 24: TIMEOUT, -24: TIMEOUT, 152: TIMEOUT, 255: TIMEOUT}  # fmt: skip
# equivalent: no input tells it from the code (reason given); import-time: in code run at import, checked by hand;
# killed-by-test: survived this run, killed by a test added since (named, checked with the mutant switched on);
# not-killed: a real gap, left open.
VERDICTS = ("equivalent", "import-time", "killed-by-test", "not-killed")


def readable(key: str) -> str:
    """`costkit.change.xǁChangeǁthen__mutmut_3` as `costkit.change.Change.then` (the function's name)."""
    function = NAME.match(key)
    name = function["function"] if function else key
    return name.replace("xǁ", "").replace("ǁ", ".").replace(".x_", ".")


def results(mutants: Path) -> dict[str, str]:
    """Every mutant mutmut generated, with its status."""
    found: dict[str, str] = {}
    for meta in sorted(mutants.rglob("*.meta")):
        try:
            codes = json.loads(meta.read_text())["exit_code_by_key"]
        except (ValueError, KeyError, TypeError) as error:
            raise SystemExit(f"{meta}: not a mutmut result file ({error}); rerun mutmut or remove it") from None
        for key, code in codes.items():
            found[key] = STATUS.get(code, "suspicious")
    return found


def sorted_survivors(path: Path) -> dict[str, tuple[str, str]]:
    """mutant -> (verdict, reason), as sorted by hand."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    bad = [row["mutant"] for row in rows if row["verdict"] not in VERDICTS]
    if bad:
        raise SystemExit(f"{path}: verdict must be one of {', '.join(VERDICTS)}: {', '.join(map(repr, bad))}")
    return {row["mutant"]: (row["verdict"], row["reason"]) for row in rows}


def group_of(key: str, by: str) -> str:
    name = readable(key)
    return name if by == "function" else name.rsplit(".", 2 if "ǁ" in key else 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's working tree")
    parser.add_argument("--survivors", type=Path, default=HERE / "survivors.csv")
    parser.add_argument("--by", choices=("module", "function"), default="module")
    parser.add_argument("--only", action="append", default=[], help="mutants whose name starts so (repeatable)")
    parser.add_argument("--unsorted", action="store_true", help="list survivors with no verdict, and stale verdicts")
    args = parser.parse_args()
    status, verdicts = results(args.mutants), sorted_survivors(args.survivors)
    if not status:
        raise SystemExit(f"{args.mutants}: no mutmut results here; run `mutmut run ...` from the project root first")
    table: dict[str, Counter[str]] = {}
    unsorted: list[str] = []
    for key, state in status.items():
        if args.only and not readable(key).startswith(tuple(args.only)):
            continue
        counts = table.setdefault(group_of(key, args.by), Counter())
        counts[state] += 1
        if state == SURVIVED:
            verdict = verdicts.get(key, ("unsorted", ""))[0]
            counts[verdict] += 1
            if verdict == "unsorted":
                unsorted.append(key)
    columns = (
        "tried",
        KILLED,
        SURVIVED,
        TIMEOUT,
        "suspicious",
        "equivalent",
        "import-time",
        "killed-by-test",
        "not-killed",
        "unsorted",
        "not run",
    )
    print("| " + " | ".join(("", *columns, "killed / non-equivalent")) + " |")
    print("|" + "---|" * (len(columns) + 2))
    total: Counter[str] = Counter()
    for group, counts in [*sorted(table.items()), ("**all**", total)]:
        if group != "**all**":
            total.update(counts)
        counts["tried"] = counts[KILLED] + counts[SURVIVED] + counts[TIMEOUT] + counts["suspicious"]
        if counts["tried"] == 0 and group != "**all**":
            continue
        # "killed" is mutmut's; the last column adds the survivors killed by a test written since the run.
        # A timeout counts as killed (the mutant made the tests run away); import-time mutants are checked by hand.
        caught = counts[KILLED] + counts[TIMEOUT] + counts["import-time"] + counts["killed-by-test"]
        judged = caught + counts["not-killed"] + counts["unsorted"] + counts["suspicious"]
        share = f"{caught}/{judged} = {100 * caught / judged:.1f}%" if judged else "-"
        print("| " + " | ".join((group, *(str(counts[c]) for c in columns), share)) + " |")
    if args.unsorted:
        for key in sorted(unsorted, key=lambda k: (readable(k), int(k.rsplit("_", 1)[1]))):
            print("unsorted:", key)
        for key, (verdict, _) in sorted(verdicts.items()):
            if args.only and not readable(key).startswith(tuple(args.only)):
                continue
            if status.get(key) not in (SURVIVED, None, "not run"):
                print(f"stale ({verdict}, now {status.get(key)}):", key)


if __name__ == "__main__":
    main()
