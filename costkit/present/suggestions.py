"""Present suggestions: a terminal table, Markdown, CSV or JSON (which is `Suggestions.to_dict()`).

Titles, reasons, notes and changes quote resource names: each goes through costkit.present.escape."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from costkit.optimize import Suggestions
from costkit.present.escape import csv_frame, markdown_code
from costkit.present.escape import markdown as md
from costkit.present.escape import terminal as term
from costkit.present.estimate import money


def table(found: Suggestions, console: Console) -> None:
    baseline = found.baseline
    console.print(
        f"[bold]costkit suggest[/bold] for {term(baseline.source)}: baseline {money(baseline.total)} per month "
        f"({baseline.period.start} to {baseline.period.end})"
    )
    grid = Table(header_style="bold")
    for name, justify in (("Saving/month", "right"), ("Confidence", "left"), ("Suggestion", "left"), ("Why", "left")):
        grid.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for item in found.items:
        counted = item.id in found.counted
        grid.add_row(
            money(item.monthly_saving_usd) + ("" if counted else " *"),
            term(item.confidence),
            term(item.title) + (f"\n[dim]{term(item.change['cli'])}[/dim]" if item.change.get("cli") else ""),
            term(_short(item.confidence_reason)),
        )
    console.print(grid)
    combined = money(found.combined_saving_usd)
    console.print(
        f"Combined saving of the counted suggestions, applied together: [bold]{combined}[/bold] "
        f"per month ({money(found.total_after_usd)} after)."
    )
    if any(item.id not in found.counted for item in found.items):
        console.print("* excludes another suggestion with a bigger saving on the same resource: not counted.")
    if not baseline.complete:
        console.print(
            "[bold red]The baseline estimate is incomplete:[/bold red] savings on unpriced lines are not shown."
        )
    for note in found.notes:
        console.print(f"  - {term(note)}", highlight=False)


def _short(text: str, limit: int = 180) -> str:
    """The table keeps the reason short; --format markdown or json has it in full."""
    return (
        text
        if len(text) <= limit
        else text[: limit - 1].rsplit(" ", 1)[0] + " … (full text in the Markdown or JSON output)"
    )


def markdown(found: Suggestions) -> str:
    baseline = found.baseline
    out = [
        f"## costkit suggest: {money(found.combined_saving_usd)} per month",
        "",
        f"Baseline {money(baseline.total)} per month for {markdown_code(baseline.source)} ({baseline.period.start} to "
        f"{baseline.period.end}); the counted suggestions applied together save {money(found.combined_saving_usd)}.",
        "",
        "| Saving/month | Counted | Confidence | Suggestion | Change | Why |",
        "|---:|---|---|---|---|---|",
    ]
    for item in found.items:
        out.append(
            f"| {money(item.monthly_saving_usd)} | {'yes' if item.id in found.counted else 'no (overlaps)'} | "
            f"{md(item.confidence)} | {md(item.title)} | "
            f"{markdown_code(item.change.get('cli', item.change.get('console', '')), in_table=True)} | "
            f"{md(item.confidence_reason)} |"
        )
    if found.notes:
        out += ["", "### Considered and not suggested", ""] + [f"- {md(note)}" for note in found.notes]
    return "\n".join(out) + "\n"


def csv(found: Suggestions) -> str:
    """One row per suggestion (the notebook's `table`), text cells made safe for spreadsheets."""
    buffer = io.StringIO()
    csv_frame(found.table).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
