"""The monthly report's sections, once, for every format: each renderer (HTML, Markdown, the short summary) walks
the same list, so a section cannot exist in one format and not another.

Built from `Report.to_dict()` (report.json), so every format shows exactly what report.json holds. Sentences and
cells are plain text here; each renderer escapes them for its format. Numbers stay numbers until a renderer
formats them with `cell`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from costkit.present.estimate import money

SECTION_TITLES = (
    ("headline", "Headline"),
    ("drivers", "Why it changed"),
    ("services", "By service"),
    ("pipelines", "Per pipeline"),
    ("showback", "Showback by owner or team"),
    ("trend", "Trend and compute-type mix"),
    ("anomalies", "Anomalies"),
    ("savings", "Savings"),
    ("data_quality", "Data quality"),
    ("api_cost", "The run's own API cost"),
)


NUMERIC_KINDS = frozenset({"money", "delta", "pct", "ratio", "count", "number"})  # right-aligned in tables


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"  # text, money, delta (signed money), pct (signed percent), ratio (0-1 as %), count, number, flag


@dataclass
class Table:
    columns: list[Column]
    rows: Sequence[Mapping[str, Any]]
    caption: str = ""


@dataclass
class Section:
    id: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # keys of costkit.present.report_charts.charts()


def signed_money(value: float) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "") + money(abs(value))


def signed_pct(value: float) -> str:
    return f"{value:+.1f}%"


def cell(value: Any, kind: str) -> str:
    """A value as text for a table cell: money to the cent, percentages to a tenth; n/a for nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "money":
        return money(float(value))
    if kind == "delta":
        return signed_money(float(value))
    if kind == "pct":
        return signed_pct(float(value))
    if kind == "ratio":
        return f"{100.0 * float(value):.1f}%"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "number":
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    if kind == "flag":
        return "yes" if value else ""
    return str(value)


def _headline(report: Mapping[str, Any]) -> Section:
    section = Section("headline", "Headline")
    lower = "" if report.get("complete", True) else " (a lower bound: see Data quality)"
    span = f", {report['observed_days']:.1f} days to date" if report.get("open") else ""
    section.lines.append(f"Total for {report['month']}{span}: {money(report['total_usd'])}{lower}")
    previous = report.get("previous")
    if previous:
        fair = " (the same days of that month)" if report.get("comparison") == "same-days" else ""
        pct = report.get("mom_delta_pct")
        section.lines.append(
            f"Against {previous['month']}{fair}: {money(previous['total_usd'])}, "
            f"{signed_money(report['mom_delta_usd'])}" + (f" ({signed_pct(pct)})" if pct is not None else "")
        )
    else:
        section.lines.append("No previous month in the history: no month-over-month change.")
    budget = report.get("budget")
    if budget:
        verdict = "over" if budget.get("over") else "within"
        section.lines.append(
            f"Budget {money(budget['usd'])}: {verdict} by {money(abs(budget['variance_usd']))} "
            f"({budget.get('basis', 'month total')} {money(budget.get('compared_usd', report['total_usd']))})"
        )
    forecast = report.get("forecast") or {}
    if forecast.get("month_end_usd") is not None:
        section.lines.append(
            f"Month-end forecast: {money(forecast['month_end_usd'])} ({forecast.get('month_end_method') or 'run-rate'})"
        )
    if forecast.get("next_month_usd") is not None:
        interval = (
            f", {money(forecast['low_usd'])} to {money(forecast['high_usd'])}"
            if forecast.get("low_usd") is not None and forecast.get("high_usd") is not None
            else ""
        )
        section.lines.append(
            f"Next month: {money(forecast['next_month_usd'])}{interval} ({forecast.get('method')}, "
            f"{forecast.get('months_used', 0)} months)"
        )
        if forecast.get("cost_explorer_usd") is not None:
            section.lines.append(f"Cost Explorer's forecast: {money(forecast['cost_explorer_usd'])}")
    section.charts.append("history")
    return section


def _drivers(report: Mapping[str, Any]) -> Section:
    section = Section("drivers", "Why it changed")
    drivers = report.get("drivers") or []
    if not drivers:
        section.lines.append("No previous month to compare with.")
        return section
    total = sum(float(d["delta_usd"]) for d in drivers)
    section.lines.append(f"The change of {signed_money(total)} by driver (the drivers sum to the change):")
    columns = [Column("driver", "Driver"), Column("delta_usd", "Change", "delta"), Column("detail", "How")]
    section.tables.append(Table(columns, [{**d, "driver": str(d["driver"]).replace("_", " ")} for d in drivers]))
    section.charts.append("drivers")
    return section


def _services(report: Mapping[str, Any]) -> Section:
    section = Section("services", "By service")
    previous = (report.get("previous") or {}).get("by_service") or {}
    rows = []
    for name, value in (report.get("by_service") or {}).items():
        before = previous.get(name)
        delta = None if before is None else float(value) - float(before)
        pct = None if before in (None, 0) or delta is None else 100.0 * delta / float(before)
        rows.append({"service": name, "cost_usd": value, "previous_usd": before, "delta_usd": delta, "delta_pct": pct})
    section.tables.append(
        Table(
            [
                Column("service", "Service"),
                Column("cost_usd", "This month", "money"),
                Column("previous_usd", "Previous", "money"),
                Column("delta_usd", "Change", "delta"),
                Column("delta_pct", "Change %", "pct"),
            ],
            rows,
        )
    )
    reconciliation = report.get("reconciliation") or []
    if reconciliation:
        section.tables.append(
            Table(
                [
                    Column("service", "Service"),
                    Column("usage_type", "Usage type"),
                    Column("estimate_usd", "Estimate", "money"),
                    Column("actual_usd", "Actual", "money"),
                    Column("delta_usd", "Estimate - actual", "delta"),
                    Column("delta_pct", "%", "pct"),
                    Column("explanation", "Why"),
                ],
                list(reconciliation),
                "Estimate against Cost Explorer's actuals",
            )
        )
    else:
        section.lines.append("No Cost Explorer actuals to compare with for this month (see Data quality).")
    section.charts.append("services")
    return section


def _pipelines(report: Mapping[str, Any]) -> Section:
    section = Section("pipelines", "Per pipeline")
    columns = [
        Column("pipeline", "Pipeline"),
        Column("account", "Account"),
        Column("region", "Region"),
        Column("cost_usd", "Cost", "money"),
        Column("executions", "Executions", "count"),
        Column("succeeded", "Succeeded", "count"),
        Column("success_rate", "Success rate", "ratio"),
        Column("cost_per_success_usd", "Per success", "money"),
        Column("mom_delta_usd", "Change", "delta"),
        Column("new", "New", "flag"),
    ]
    section.tables.append(Table(columns, list(report.get("pipelines") or [])))
    movers = report.get("top_movers") or []
    if movers:
        moved = [
            Column("pipeline", "Pipeline"),
            Column("account", "Account"),
            Column("region", "Region"),
            Column("previous_cost_usd", "Previous", "money"),
            Column("cost_usd", "This month", "money"),
            Column("mom_delta_usd", "Change", "delta"),
        ]
        section.tables.append(Table(moved, list(movers), "Top movers"))
    section.charts.append("pipelines")
    return section


def _showback(report: Mapping[str, Any]) -> Section:
    section = Section("showback", "Showback by owner or team")
    showback = report.get("showback") or {}
    owners = showback.get("owners") or []
    if not owners:
        section.lines.append("No owners in this report.")
        return section
    keys = ", ".join(showback.get("tag_keys") or []) or "none"
    section.lines.append(f"Owners from {showback.get('source', 'resource tags')} (tag keys: {keys}).")
    section.lines.append(
        f"(not attributed): {money(float(showback.get('not_attributed_usd', 0.0)))}, "
        f"{cell(showback.get('not_attributed_share'), 'ratio')} of the month"
    )
    columns = [Column("owner", "Owner or team"), Column("cost_usd", "Cost", "money"), Column("share", "Share", "ratio")]
    section.tables.append(Table(columns, list(owners)))
    section.charts.append("showback")
    return section


def _daily_table(daily: Sequence[Mapping[str, Any]]) -> Table:
    """Days as rows, services as columns (report.json has one record per day and service)."""
    services = list(dict.fromkeys(str(row["service"]) for row in daily))
    by_day: dict[str, dict[str, Any]] = {}
    for row in daily:
        day = by_day.setdefault(str(row["day"]), {"day": row["day"], "total_usd": 0.0})
        day[str(row["service"])] = row["cost_usd"]
        day["total_usd"] += float(row["cost_usd"])
    columns = [
        Column("day", "Day"),
        *(Column(name, name, "money") for name in services),
        Column("total_usd", "Total", "money"),
    ]
    return Table(
        columns, list(by_day.values()), "Daily run cost at list price (storage and V1 pipeline-months are monthly)"
    )


def _trend(report: Mapping[str, Any]) -> Section:
    section = Section("trend", "Trend and compute-type mix")
    history = [*(report.get("history") or []), {"month": report["month"], "total_usd": report["total_usd"]}]
    section.tables.append(
        Table([Column("month", "Month"), Column("total_usd", "Total", "money")], history, "Monthly totals")
    )
    daily = report.get("daily") or []
    if daily:
        section.charts.append("daily")
        section.tables.append(_daily_table(daily))
    else:
        section.lines.append("No daily figures in this report.")
    mix = report.get("compute_mix") or []
    if mix:
        section.charts.append("compute_mix")
        columns = [
            Column("usage_type", "Compute type (usage type)"),
            Column("quantity", "Quantity", "number"),
            Column("unit", "Unit"),
            Column("cost_usd", "Cost", "money"),
        ]
        section.tables.append(Table(columns, list(mix), "CodeBuild compute-type mix"))
    return section


def _anomalies(report: Mapping[str, Any]) -> Section:
    section = Section("anomalies", "Anomalies")
    found = report.get("anomalies") or []
    section.lines.append(f"{len(found)} found" if found else "None found.")
    section.lines.append(
        "Method: each pipeline's figure per day against the trailing months' median and MAD (docs/report.md)."
    )
    if found:
        rows = [{**row, "days": ", ".join(row.get("days") or [])} for row in found]
        columns = [
            Column("pipeline", "Pipeline"),
            Column("kind", "Kind"),
            Column("days", "Days"),
            Column("value", "Value", "number"),
            Column("baseline", "Baseline", "number"),
            Column("threshold", "Threshold", "number"),
            Column("cost_usd", "Cost", "money"),
            Column("detail", "What"),
        ]
        section.tables.append(Table(columns, rows))
    return section


def _savings(report: Mapping[str, Any]) -> Section:
    section = Section("savings", "Savings")
    savings = report.get("savings") or {}
    suggestions = savings.get("suggestions") or []
    if not savings:
        section.lines.append("Savings were not computed for this report.")
        return section
    if not suggestions:
        section.lines.append("No savings suggested.")
        return section
    section.lines.append(
        f"Together, the counted suggestions save {money(float(savings.get('combined_saving_usd', 0.0)))} a month "
        f"of {money(float(savings.get('baseline_total_usd', report['total_usd'])))} (costkit suggest has the changes)."
    )
    columns = [
        Column("title", "Suggestion"),
        Column("rule", "Rule"),
        Column("monthly_saving_usd", "Saving a month", "money"),
        Column("one_off_cost_usd", "One-off cost", "money"),
        Column("confidence", "Confidence"),
        Column("counted", "Counted", "flag"),
    ]
    section.tables.append(Table(columns, list(suggestions)))
    return section


def _data_quality(report: Mapping[str, Any]) -> Section:
    section = Section("data_quality", "Data quality")
    quality = report.get("data_quality") or []
    if not quality:
        section.lines.append("Nothing found that limits the figures.")
    for item in quality:
        section.lines.append(f"{item.get('kind')}: {item.get('message', '')}".rstrip(": "))
    assumptions = report.get("assumptions") or []
    if assumptions:
        section.tables.append(
            Table([Column("id", "Assumption"), Column("text", "What it means")], list(assumptions), "Assumptions")
        )
    return section


def _api_cost(report: Mapping[str, Any]) -> Section:
    section = Section("api_cost", "The run's own API cost")
    calls = report.get("api_calls") or {}
    section.lines.append(
        f"{calls.get('total', 0):,} AWS API calls; {report.get('ce_requests', 0):,} Cost Explorer requests "
        f"({money(float(report.get('api_cost_usd', 0.0)))} at $0.01 each)"
    )
    operations = calls.get("by_operation") or {}
    if operations:
        rows = [{"operation": name, "calls": count} for name, count in operations.items()]
        section.tables.append(Table([Column("operation", "Operation"), Column("calls", "Calls", "count")], rows))
    return section


def sections(report: Mapping[str, Any]) -> list[Section]:
    """Every section of the report, in order (SECTION_TITLES), from report.json's dict."""
    built = [
        _headline(report),
        _drivers(report),
        _services(report),
        _pipelines(report),
        _showback(report),
        _trend(report),
        _anomalies(report),
        _savings(report),
        _data_quality(report),
        _api_cost(report),
    ]
    assert [(s.id, s.title) for s in built] == list(SECTION_TITLES)
    return built
