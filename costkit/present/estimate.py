"""Present an estimate as a terminal table, CSV or Markdown. Rounds for display only; computes nothing.

Every name and message shown goes through costkit.present.escape for its format (`term`, `md`, `csv_frame`)."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from costkit.estimate import CONTRACT_LINE_FIELDS, Estimate
from costkit.present.escape import csv_frame, markdown_code
from costkit.present.escape import markdown as md
from costkit.present.escape import terminal as term
from costkit.tables import SERVICES

MONEY_COLUMNS = ("Quantity", "Unit price", "Free tier", "Monthly cost")


def money(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"${value:,.2f}"


def quantity(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0").rstrip(".")


def rate(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "MISSING"
    return f"${value:.10f}".rstrip("0").rstrip(".") if value < 0.01 else f"${value:,.4f}".rstrip("0").rstrip(".")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _ordered(estimate: Estimate) -> pd.DataFrame:
    lines = estimate.lines.copy()
    lines["_service"] = pd.Categorical(lines["service"], categories=list(SERVICES), ordered=True)
    return lines.sort_values(["_service", "resource"], kind="stable")  # components keep the usage file's order


def table(estimate: Estimate, console: Console, *, by_pipeline: bool = False) -> None:
    """The rich table: lines grouped by service and resource (or one row per pipeline), totals, notes."""
    _header(estimate, console)
    if by_pipeline:
        frame_table(_money_columns(estimate.by_pipeline()), console)
    else:
        console.print(_lines_grid(estimate))
    _footer(estimate, console)


def _lines_grid(estimate: Estimate) -> Table:
    lines = _ordered(estimate)
    multi_region = lines["region"].nunique() > 1
    multi_account = lines["account"].nunique() > 1
    grid = Table(header_style="bold")
    columns = [
        *(["Account"] if multi_account else []),
        "Resource",
        "Component",
        "Usage type",
        *(["Region"] if multi_region else []),
        *MONEY_COLUMNS,
    ]
    for name in columns:
        grid.add_column(term(name), justify="right" if name in MONEY_COLUMNS else "left", overflow="fold")
    blank = [""] * (len(columns) - 1)
    by_service = estimate.by_service()
    for service in SERVICES:
        chunk = lines[lines["service"] == service]
        if chunk.empty:
            continue
        grid.add_row(f"[bold]{term(service)}[/bold]", *blank)
        previous: str | None = None
        for row in _records(chunk):
            cost = float(row["cost_usd"])
            free = float(row["free_tier_usd"])
            grid.add_row(
                *([term(row["account"])] if multi_account else []),
                term(row["resource"]) if row["resource"] != previous else "",
                term(row["component"]),
                term(row["usage_type"]),
                *([term(row["region"])] if multi_region else []),
                f"{quantity(float(row['quantity']))} {term(row['unit'])}",
                rate(float(row["unit_price_usd"])),
                _credit(free),
                money(cost) if pd.notna(cost) else "[red]MISSING[/red]",
            )
            previous = str(row["resource"])
        floor = "at least " if chunk["cost_usd"].isna().any() else ""
        grid.add_row(
            *blank[:-1],
            f"{term(service)} subtotal",
            f"[bold]{floor}{money(float(by_service[service]))}[/bold]",
            end_section=True,
        )
    grid.add_row(
        "[bold]Total per month[/bold]",
        *blank[:-2],
        f"-{money(estimate.free_tier_total)}" if estimate.free_tier_total else "",
        f"[bold]{money(estimate.total)}[/bold]" + (" (lower bound)" if not estimate.complete else ""),
    )
    return grid


def _credit(free: float) -> str:
    """A free-tier credit for the table: blank when none, `-<$0.01` when it rounds to nothing."""
    if pd.isna(free) or not free:
        return ""
    return "-<$0.01" if free < 0.005 else f"-{money(free)}"


def _header(estimate: Estimate, console: Console) -> None:
    regions = sorted(estimate.lines["region"].dropna().unique())
    console.print(
        f"[bold]costkit estimate[/bold] of {term(estimate.source)}: {estimate.period} "
        f"({estimate.period.days:g} days), {term(', '.join(regions)) or 'no resources'}, "
        f"{_free_tier_words(estimate)}"
    )
    window = estimate.options.get("window")
    if window:
        factor = float(estimate.options.get("projection_factor", 1.0))
        scaled = f"; flows scaled x{factor:.4f} to the month" if abs(factor - 1) > 1e-9 else ""
        console.print(f"Observed {term(window['start'])} to {term(window['end'])}{scaled}")
    if estimate.options.get("partial_collection"):
        console.print("[bold red]Partial collection:[/bold red] some regions or services failed (see the manifest).")


def _free_tier_words(estimate: Estimate) -> str:
    if not estimate.options.get("free_tier", True):
        return "free tier off"
    return f"free tier once per {estimate.options.get('free_tier_scope', 'account')}"


def _footer(estimate: Estimate, console: Console) -> None:
    by_service = ", ".join(f"{term(name)} {money(float(v))}" for name, v in estimate.by_service().items())
    console.print(
        f"Total {money(estimate.total)} per month. By service: {by_service}. "
        f"Free-tier credit included: {money(estimate.free_tier_total)}."
    )
    comparison = estimate.comparison()
    if not comparison.empty:
        # actuals read from a CUR 2.0 table carry the resource id of each line item; Cost Explorer's do not
        source = "CUR 2.0 actuals" if "resource_id" in estimate.actuals.columns else "Cost Explorer actuals"
        console.print(f"[bold]Estimate vs. {source}[/bold]")
        frame_table(_money_columns(comparison), console)
    if not estimate.missing_prices.empty:
        console.print(
            f"[bold red]Incomplete estimate:[/bold red] {len(estimate.missing_prices)} line(s) have no price; "
            f"the total {money(estimate.total)} is a lower bound."
        )
        for miss in _records(estimate.missing_prices):
            console.print(
                f"  - {term(miss['service'])} {term(miss['resource'])}: {term(miss['usage_type'])} in "
                f"{term(miss['region'])} ({quantity(float(miss['quantity']))} {term(miss['unit'])}): "
                f"{term(miss['reason'])}"
            )
    console.print("[bold]Assumptions[/bold]")
    for item in estimate.assumptions:
        console.print(f"  - {term(item['text'])}", highlight=False)


def _money_columns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(_percent if str(column).endswith("pct") else money)
    return out


def _percent(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:+.1f}%"


def csv(estimate: Estimate, *, by_pipeline: bool = False) -> str:
    """Cost lines (or per-pipeline totals) as CSV, full precision (a spreadsheet rounds for display)."""
    buffer = io.StringIO()
    frame = estimate.by_pipeline() if by_pipeline else estimate.lines[list(CONTRACT_LINE_FIELDS)]
    csv_frame(frame).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def markdown(estimate: Estimate, *, by_pipeline: bool = False) -> str:
    """A Markdown summary for pull requests and FinOps notes."""
    out = [
        f"## costkit estimate: {money(estimate.total)} per month",
        "",
        f"Source {markdown_code(estimate.source)}, period {estimate.period}, {_free_tier_words(estimate)}.",
        "",
        "| Service | Monthly cost |",
        "|---|---:|",
    ]
    incomplete = set(estimate.incomplete_services())
    out += [
        f"| {md(name)} | {'at least ' if name in incomplete else ''}{money(float(value))} |"
        for name, value in estimate.by_service().items()
    ]
    out += [f"| **Total** | **{money(estimate.total)}** |", ""]
    if by_pipeline:
        out += [
            "| Pipeline | Account | Region | CodePipeline | CodeBuild | Lambda | S3 | Total |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| {md(r['pipeline'])} | {md(r['account'])} | {md(r['region'])} | {money(r['CodePipeline'])} | "
            f"{money(r['CodeBuild'])} | {money(r['Lambda'])} | {money(r['S3'])} | {money(r['total_usd'])} |"
            for r in _records(estimate.by_pipeline())
        ]
        out.append("")
    out += [
        "| Service | Resource | Component | Usage type | Region | Quantity | How | Unit price | Free tier | Cost |",
        "|---|---|---|---|---|---:|---|---:|---:|---:|",
    ]
    for row in _records(_ordered(estimate)):
        out.append(
            f"| {md(row['service'])} | {md(row['resource'])} | {md(row['component'])} | {md(row['usage_type'])} | "
            f"{md(row['region'])} | {quantity(float(row['quantity']))} {md(row['unit'])} | {md(row['detail'])} | "
            f"{rate(row['unit_price_usd'])} | "
            f"{money(row['free_tier_usd'])} | {money(row['cost_usd'])} |"
        )
    if not estimate.missing_prices.empty:
        out += [
            "",
            f"**Incomplete:** {len(estimate.missing_prices)} line(s) have no price; the total is a lower bound.",
            "",
        ]
        out += [
            f"- {md(m['service'])} {md(m['resource'])}: {markdown_code(m['usage_type'])} in {md(m['region'])}: "
            f"{md(m['reason'])}"
            for m in _records(estimate.missing_prices)
        ]
    out += ["", "### Assumptions", ""]
    out += [f"- {item['text']}" for item in estimate.assumptions]  # costkit's own sentences, in Markdown
    return "\n".join(out) + "\n"


def frame_table(frame: pd.DataFrame, console: Console, *, missing: str = "missing") -> None:
    """Any small DataFrame as a rich table; NaN shows as `missing`, floats in full but without noise."""
    grid = Table(header_style="bold")
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column])
        grid.add_column(term(column), justify="right" if numeric else "left")
    for row in _records(frame):
        grid.add_row(*(_cell(value, missing) for value in row.values()))
    console.print(grid)


def _cell(value: Any, missing: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return missing
    if isinstance(value, float):
        return f"{value:.10f}".rstrip("0").rstrip(".") if not value.is_integer() else f"{value:,.0f}"
    return term(value)
