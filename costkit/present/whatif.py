"""Present what-if results and estimate diffs as a terminal table or Markdown. Rounds for display only.

Scenario names, change titles and resource names come from files other people wrote: each goes through
costkit.present.escape for its format. An incomplete figure is shown as a lower bound (`>= $x`) and its
delta as `n/a (incomplete)`, never as a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from costkit.estimate import Estimate
from costkit.present.escape import markdown as md
from costkit.present.escape import terminal as term
from costkit.present.estimate import money
from costkit.tables import SERVICES
from costkit.whatif.diff import EstimateDiff
from costkit.whatif.scenario import WhatIf

INCOMPLETE = "n/a (incomplete)"
NOTE = "Incomplete: a price is missing, so the figure is a lower bound and its delta is not shown."


def total(value: float, complete: bool) -> str:
    return money(value) if complete else f">= {money(value)}"


def signed(value: float | None) -> str:
    if value is None or pd.isna(value):
        return INCOMPLETE
    return ("+" if value > 0 else "-" if value < 0 else "") + money(abs(value))


def percent(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value:+.1f}%"


def _rows(result: WhatIf) -> list[list[str]]:
    """The scenario table's cells (unescaped): name, total, delta, delta %, each service, changes."""
    base = result.baseline
    services = base.by_service()
    rows = [["baseline", total(base.total, base.complete), "", "",
             *(total(float(services[s]), s not in base.incomplete_services()) for s in SERVICES), ""]]  # fmt: skip
    for outcome in result.outcomes:
        found = outcome.estimate
        by_service = found.by_service()
        short = set(found.incomplete_services())
        rows.append(
            [
                outcome.name,
                total(found.total, outcome.complete),
                signed(outcome.delta_usd),
                percent(outcome.delta_pct),
                *(total(float(by_service[s]), s not in short) for s in SERVICES),
                "; ".join(outcome.scenario.titles) or "(no change)",
            ]
        )
    return rows


HEADERS = ["Scenario", "Monthly cost", "Delta", "Delta %", *SERVICES, "Changes"]
NUMERIC = {"Monthly cost", "Delta", "Delta %", *SERVICES}


def table(result: WhatIf, console: Console) -> None:
    period = result.baseline.period
    console.print(f"[bold]costkit whatif[/bold] of {term(result.baseline.source)}: {period}")
    console.print(_grid(HEADERS, _rows(result), NUMERIC))
    if not result.complete:
        console.print(term(NOTE))
        _missing(result, console)


def _grid(headers: list[str], rows: Iterable[list[str]], numeric: set[str]) -> Table:
    """A rich table of text cells, each escaped; numeric columns right-aligned."""
    grid = Table(header_style="bold")
    for name in headers:
        grid.add_column(term(name), justify="right" if name in numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*(term(cell) for cell in row))
    return grid


def _missing(result: WhatIf, console: Console) -> None:
    for name, found in [("baseline", result.baseline), *((o.name, o.estimate) for o in result.outcomes)]:
        for row in _unique_missing(found):
            console.print(f"  {term(name)}: no price for {term(row.resource)} {term(row.usage_type)} in "
                          f"{term(row.region)}: {term(row.reason)}")  # fmt: skip


def _unique_missing(found: Estimate) -> list[Any]:
    """Each missing price once per scenario (a resource billed for two pipelines has two lines, one reason)."""
    missing = found.missing_prices
    if missing.empty:
        return []
    return list(missing.drop_duplicates(["resource", "usage_type", "region", "reason"]).itertuples(index=False))


def markdown(result: WhatIf) -> str:
    period = result.baseline.period
    lines = [f"## What if: {md(result.baseline.source)}, {period}", ""]
    lines += _markdown_table(HEADERS, _rows(result), NUMERIC)
    if not result.complete:
        lines += ["", f"_{md(NOTE)}_", ""]
        for name, found in [("baseline", result.baseline), *((o.name, o.estimate) for o in result.outcomes)]:
            for row in _unique_missing(found):
                lines.append(f"- {md(name)}: no price for {md(row.resource)} {md(row.usage_type)} in "
                             f"{md(row.region)}: {md(row.reason)}")  # fmt: skip
    return "\n".join(lines) + "\n"


def _markdown_table(headers: list[str], rows: Iterable[list[str]], numeric: set[str]) -> list[str]:
    out = ["| " + " | ".join(md(h) for h in headers) + " |"]
    out.append("|" + "|".join("---:" if h in numeric else "---" for h in headers) + "|")
    out += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return out


DIFF_LINE_HEADERS = ["Change", "Service", "Resource", "Component", "Usage type", "Region", "Before", "After", "Delta"]
DIFF_NUMERIC = {"Before", "After", "Delta"}
SUMMARY_HEADERS = ["", "Before", "After", "Delta"]


def _diff_summary(result: EstimateDiff) -> list[list[str]]:
    before, after = result.before, result.after
    totals = [total(float(side["total_usd"]), bool(side.get("complete", True))) for side in (before, after)]
    rows = [["Total", *totals, signed(result.delta_usd)]]
    for record in result.services.to_dict(orient="records"):
        before_usd, after_usd = float(record["before_usd"]), float(record["after_usd"])
        rows.append([str(record["service"]), money(before_usd), money(after_usd), signed(_number(record["delta_usd"]))])
    return rows


def _number(value: object) -> float | None:
    """A cell as a float, None where it is empty (NaN): a missing figure stays missing."""
    if not isinstance(value, int | float):
        return None
    number = float(value)
    return None if number != number else number


def _diff_lines(result: EstimateDiff) -> list[list[str]]:
    rows = []
    for line in result.lines.to_dict(orient="records"):
        names = [str(line[column]) for column in ("change", "service", "resource", "component", "usage_type", "region")]
        before = "-" if line["change"] == "added" else _cost(_number(line["before_usd"]))
        after = "-" if line["change"] == "removed" else _cost(_number(line["after_usd"]))
        delta = signed(_number(line["delta_usd"])) if bool(line["priced"]) else "n/a (no price)"
        rows.append([*names, before, after, delta])
    return rows


def _cost(value: float | None) -> str:
    return "no price" if value is None else money(value)


def diff_table(result: EstimateDiff, console: Console) -> None:
    console.print(f"[bold]Diff[/bold]: {term(result.before.get('source'))} -> {term(result.after.get('source'))}")
    console.print(_grid(SUMMARY_HEADERS, _diff_summary(result), DIFF_NUMERIC))
    counts = result.to_dict()["counts"]
    console.print(f"{counts['added']} line(s) added, {counts['removed']} removed, {counts['changed']} changed")
    if not result.lines.empty:
        console.print(_grid(DIFF_LINE_HEADERS, _diff_lines(result), DIFF_NUMERIC))
    if not result.complete:
        console.print(term(NOTE))


def diff_markdown(result: EstimateDiff) -> str:
    lines = [f"## Diff: {md(result.before.get('source'))} -> {md(result.after.get('source'))}", ""]
    lines += _markdown_table(SUMMARY_HEADERS, _diff_summary(result), DIFF_NUMERIC)
    counts = result.to_dict()["counts"]
    lines += ["", f"{counts['added']} line(s) added, {counts['removed']} removed, {counts['changed']} changed", ""]
    if not result.lines.empty:
        lines += _markdown_table(DIFF_LINE_HEADERS, _diff_lines(result), DIFF_NUMERIC)
    if not result.complete:
        lines += ["", f"_{md(NOTE)}_"]
    return "\n".join(lines) + "\n"
