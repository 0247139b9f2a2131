"""The report's charts as self-contained SVG, drawn with matplotlib from report.json's dict.

Text is drawn as paths (`svg.fonttype: path`): the SVG needs no font, holds no text a name could forge markup
with, and looks the same everywhere. Labels are shown literally (math mode is off, so `$` is a dollar sign) with
control characters made visible. The SVG carries no date, so the same report draws the same
bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from costkit.present.escape import visible

BLUE, GREY, RED, GREEN = "#2b6cb0", "#a0aec0", "#c53030", "#2f855a"
TOP_PIPELINES = 10


def label(text: object, width: int = 32) -> str:
    """A name as chart text: literal (no math mode), controls visible, long names cut with an ellipsis."""
    shown = visible(text)
    return shown if len(shown) <= width else shown[: width - 1] + "\u2026"


def _svg(figure: Figure) -> str:
    FigureCanvasSVG(figure)
    out = io.StringIO()
    figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = out.getvalue()
    return text[text.index("<svg") :]  # no XML prolog or DOCTYPE: the SVG is embedded


def _figure(height: float = 2.6) -> tuple[Figure, Any]:
    figure = Figure(figsize=(7.0, height))
    return figure, figure.add_subplot()


def _money_axis(axes: Any, axis: str = "y") -> None:
    target = axes.yaxis if axis == "y" else axes.xaxis
    target.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"${v:,.2f}"))


def history(report: Mapping[str, Any]) -> str:
    rows = [*(report.get("history") or []), {"month": report["month"], "total_usd": report["total_usd"]}]
    figure, axes = _figure()
    names = [label(row["month"]) for row in rows]
    axes.bar(names, [float(row["total_usd"]) for row in rows], color=[GREY] * (len(rows) - 1) + [BLUE])
    axes.set_title("Monthly total")
    _money_axis(axes)
    return _svg(figure)


def drivers(report: Mapping[str, Any]) -> str:
    """A waterfall: the previous total, each driver's step, this month's total."""
    steps = report.get("drivers") or []
    previous = float((report.get("previous") or {}).get("total_usd") or 0.0)
    figure, axes = _figure()
    names = [label((report.get("previous") or {}).get("month", "previous"))]
    bottoms, heights, colours = [0.0], [previous], [GREY]
    level = previous
    for step in steps:
        delta = float(step["delta_usd"])
        names.append(label(str(step["driver"]).replace("_", " ")))
        bottoms.append(level if delta >= 0 else level + delta)
        heights.append(abs(delta))
        colours.append(RED if delta > 0 else GREEN)
        level += delta
    names.append(label(report["month"]))
    bottoms.append(0.0)
    heights.append(float(report["total_usd"]))
    colours.append(BLUE)
    axes.bar(names, heights, bottom=bottoms, color=colours)
    axes.set_ylim(0, 1.08 * max(b + h for b, h in zip(bottoms, heights, strict=True)) or 1.0)
    axes.set_title("Why it changed (red: cost up, green: cost down)")
    axes.tick_params(axis="x", labelrotation=20)
    _money_axis(axes)
    return _svg(figure)


def services(report: Mapping[str, Any]) -> str:
    current = report.get("by_service") or {}
    previous = (report.get("previous") or {}).get("by_service") or {}
    names = list(current)
    figure, axes = _figure()
    positions = range(len(names))
    width = 0.4
    if previous:
        axes.bar(
            [p - width / 2 for p in positions],
            [float(previous.get(n, 0.0)) for n in names],
            width,
            color=GREY,
            label=label(report["previous"]["month"]),
        )
    axes.bar(
        [p + (width / 2 if previous else 0) for p in positions],
        [float(current[n]) for n in names],
        width,
        color=BLUE,
        label=label(report["month"]),
    )
    axes.set_xticks(list(positions), [label(n) for n in names])
    axes.legend(frameon=False)
    axes.set_title("Cost by service")
    _money_axis(axes)
    return _svg(figure)


def pipelines(report: Mapping[str, Any]) -> str:
    rows = sorted(report.get("pipelines") or [], key=lambda r: -float(r["cost_usd"]))[:TOP_PIPELINES]
    return _bars(rows, "pipeline", f"Top {len(rows)} pipelines by cost")


def daily(report: Mapping[str, Any]) -> str:
    """One line per service over the month's days (report.json: one record per day and service)."""
    records = report["daily"]
    days = sorted({str(r["day"]) for r in records})
    figure, axes = _figure()
    for service, colour in zip(
        dict.fromkeys(str(r["service"]) for r in records), (BLUE, RED, GREEN, GREY), strict=False
    ):
        cost = {str(r["day"]): float(r["cost_usd"]) for r in records if r["service"] == service}
        axes.plot(
            [d[5:] for d in days], [cost.get(d, 0.0) for d in days], color=colour, marker=".", label=label(service)
        )
    axes.set_title("Daily run cost (list price)")
    axes.legend(frameon=False)
    axes.tick_params(axis="x", labelrotation=60, labelsize=7)
    _money_axis(axes)
    return _svg(figure)


def _bars(records: Sequence[Mapping[str, Any]], name: str, title: str) -> str:
    figure, axes = _figure(0.9 + 0.28 * max(len(records), 1))
    shown = list(reversed(records))
    axes.barh([label(r[name]) for r in shown], [float(r["cost_usd"] or 0.0) for r in shown], color=BLUE)
    axes.set_title(title)
    _money_axis(axes, "x")
    return _svg(figure)


def compute_mix(report: Mapping[str, Any]) -> str:
    return _bars(report["compute_mix"], "usage_type", "CodeBuild cost by compute type")


def showback(report: Mapping[str, Any]) -> str:
    return _bars(report["showback"]["owners"], "owner", "Cost by owner or team")


CHARTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "history": history,
    "drivers": drivers,
    "services": services,
    "pipelines": pipelines,
    "daily": daily,
    "compute_mix": compute_mix,
    "showback": showback,
}


def charts(report: Mapping[str, Any], keys: Sequence[str]) -> dict[str, str]:
    """SVG text per chart key."""
    with mpl.rc_context(
        {
            "svg.fonttype": "path",  # text as paths: no font needed, no text element a name could forge markup in
            "svg.hashsalt": "costkit",  # the same report draws the same bytes
            "text.parse_math": False,  # a `$` in a name is a dollar sign, never the start of math
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    ):
        return {key: CHARTS[key](report) for key in keys}
