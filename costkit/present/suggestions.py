"""Present suggestions: a terminal table, Markdown, CSV or JSON (which is `Suggestions.to_dict()`).

The table and Markdown are for a person: suggestions grouped per rule, each rule with its rolled-up saving and
its biggest items (`top`, `min_saving_usd`), and what was left out said in numbers. CSV and JSON always hold the
full list. Titles, reasons, notes and changes quote resource names: each goes through costkit.present.escape."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from costkit.optimize import RuleTotal, Suggestions
from costkit.optimize.base import Suggestion
from costkit.present.escape import csv_frame, markdown_code
from costkit.present.escape import markdown as md
from costkit.present.escape import terminal as term
from costkit.present.estimate import money

TOP = 5  # suggestions shown per rule unless asked otherwise


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _heading(total: RuleTotal, rule: str) -> str:
    """`rule` is the rule's name made safe for the format."""
    return (
        f"{rule}: {_plural(total.suggestions, 'suggestion')} ({total.counted:,} counted), "
        f"{money(total.saving_usd)}/month with the counted ones applied together"
    )


def _left_out(total: RuleTotal, shown: list[Suggestion], found: Suggestions, min_saving_usd: float) -> str | None:
    """What the view leaves out of a rule, in numbers, and where the rest is."""
    mine = [item for item in found.items if item.rule == total.rule]
    hidden = [item for item in mine if item not in shown]
    if not hidden:
        return None
    small = sum(item.monthly_saving_usd < min_saving_usd for item in hidden)
    parts = [f"{len(hidden) - small:,} smaller not shown"] if len(hidden) > small else []
    if small:
        parts.append(f"{small:,} under {money(min_saving_usd)}/month")
    return f"{' and '.join(parts)}: the CSV and JSON outputs list every suggestion"


def _summary(found: Suggestions) -> str:
    rules = len(found.by_rule)
    return (
        f"{_plural(len(found.items), 'suggestion')} from {_plural(rules, 'rule')}; the counted ones applied "
        f"together save {money(found.combined_saving_usd)} per month ({money(found.total_after_usd)} after)."
    )


def table(found: Suggestions, console: Console, *, top: int | None = TOP, min_saving_usd: float = 0.0) -> None:
    """Per rule: its rolled-up saving, then its `top` biggest suggestions of at least `min_saving_usd`."""
    baseline = found.baseline
    console.print(
        f"[bold]costkit suggest[/bold] for {term(baseline.source)}: baseline {money(baseline.total)} per month "
        f"({baseline.period})"
    )
    console.print(_summary(found))
    shown = found.top(top, min_saving_usd)
    for total in found.by_rule:
        console.print()
        console.print(f"[bold]{_heading(total, term(total.rule))}[/bold]", highlight=False)
        if shown[total.rule]:
            grid = Table(header_style="bold")
            for name, justify in (("Saving/month", "right"), ("Confidence", "left"), ("Suggestion", "left"),
                                  ("Why", "left")):  # fmt: skip
                grid.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
            for item in shown[total.rule]:
                grid.add_row(
                    money(item.monthly_saving_usd) + ("" if item.id in found.counted else " *"),
                    term(item.confidence),
                    term(item.title) + (f"\n[dim]{term(item.change['cli'])}[/dim]" if item.change.get("cli") else ""),
                    term(_short(item.confidence_reason)),
                )
            console.print(grid)
        rest = _left_out(total, shown[total.rule], found, min_saving_usd)
        if rest:
            console.print(f"  … {rest}", highlight=False)
    console.print()
    if any(item.id not in found.counted for item in found.items):
        console.print("* excludes another suggestion with a bigger saving on the same resource: not counted.")
    if not baseline.complete:
        console.print(
            "[bold red]The baseline estimate is incomplete:[/bold red] savings on unpriced lines are not shown."
        )
    if found.notes:
        console.print("Considered and not suggested:")
    for note in found.notes:
        console.print(f"  - {term(note)}", highlight=False)


def _short(text: str, limit: int = 180) -> str:
    """The table keeps the reason short; --format markdown or json has it in full."""
    return (
        text
        if len(text) <= limit
        else text[: limit - 1].rsplit(" ", 1)[0] + " … (full text in the Markdown or JSON output)"
    )


def markdown(found: Suggestions, *, top: int | None = TOP, min_saving_usd: float = 0.0) -> str:
    """The same view as `table`, in Markdown: one section per rule."""
    baseline = found.baseline
    out = [
        f"## costkit suggest: {money(found.combined_saving_usd)} per month",
        "",
        f"Baseline {money(baseline.total)} per month for {markdown_code(baseline.source)} ({baseline.period}). "
        f"{_summary(found)}",
    ]
    shown = found.top(top, min_saving_usd)
    for total in found.by_rule:
        out += ["", f"### {_heading(total, md(total.rule))}", ""]
        if shown[total.rule]:
            out += ["| Saving/month | Counted | Confidence | Suggestion | Change | Why |", "|---:|---|---|---|---|---|"]
        for item in shown[total.rule]:
            out.append(
                f"| {money(item.monthly_saving_usd)} | {'yes' if item.id in found.counted else 'no (overlaps)'} | "
                f"{md(item.confidence)} | {md(item.title)} | "
                f"{markdown_code(item.change.get('cli', item.change.get('console', '')), in_table=True)} | "
                f"{md(item.confidence_reason)} |"
            )
        rest = _left_out(total, shown[total.rule], found, min_saving_usd)
        if rest:
            out += ["", f"… {rest}"]
    if found.notes:
        out += ["", "### Considered and not suggested", ""] + [f"- {md(note)}" for note in found.notes]
    return "\n".join(out) + "\n"


def csv(found: Suggestions) -> str:
    """One row per suggestion (the notebook's `table`), every suggestion, text cells made safe for spreadsheets."""
    buffer = io.StringIO()
    csv_frame(found.table).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
