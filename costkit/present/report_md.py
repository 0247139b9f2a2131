"""report.md (every section, as GitHub-flavoured Markdown) and the short summary for Slack, Teams and PR comments.
Every value goes through `escape.markdown`, so a name cannot add a row, a link, an image or a mention."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from costkit.present.escape import markdown, visible
from costkit.present.report_sections import NUMERIC_KINDS, Section, Table, cell, sections, signed_money

SUMMARY_MOVERS = 3
md = markdown


def slack(value: object) -> str:
    """For Slack's mrkdwn: `&`, `<` and `>` as entities (Slack's own rule), so no text becomes a link or a
    mention (`<!channel>`), and control characters made visible."""
    return visible(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(table: Table) -> list[str]:
    out = [f"**{md(table.caption)}**", ""] if table.caption else []
    out.append("| " + " | ".join(md(c.title) for c in table.columns) + " |")
    out.append("|" + "|".join("---:" if c.kind in NUMERIC_KINDS else "---" for c in table.columns) + "|")
    out += ["| " + " | ".join(md(cell(row.get(c.key), c.kind)) for c in table.columns) + " |" for row in table.rows]
    if not table.rows:
        out.append("| " + " | ".join(["none", *[""] * (len(table.columns) - 1)]) + " |")
    return [*out, ""]


def _section(section: Section) -> list[str]:
    out = [f"## {md(section.title)}", ""]
    out += [f"- {md(line)}" for line in section.lines]
    if section.lines:
        out.append("")
    if section.charts:
        out += ["_Charts: " + ", ".join(md(key.replace("_", " ")) for key in section.charts) + " (in report.html)_", ""]
    for table in section.tables:
        out += _table(table)
    return out


def render(report: Mapping[str, Any]) -> str:
    """The full report."""
    out = [f"# CI/CD cost report: {md(report['month'])}", ""]
    for section in sections(report):
        out += _section(section)
    return "\n".join(out).rstrip() + "\n"


def summary(report: Mapping[str, Any], *, flavour: Literal["markdown", "slack"] = "markdown") -> str:
    """A few lines: the headline, the biggest drivers and movers, anomalies and what limits the figures.
    `markdown` for Teams and PR comments, `slack` for a Slack webhook."""
    esc: Callable[[object], str] = slack if flavour == "slack" else markdown
    built = {section.id: section for section in sections(report)}
    out = [f"*CI/CD cost, {esc(report['month'])}*"]
    out += [f"- {esc(line)}" for line in built["headline"].lines]
    drivers = sorted(report.get("drivers") or [], key=lambda d: -abs(float(d["delta_usd"])))[:SUMMARY_MOVERS]
    if drivers:
        named = [f"{str(d['driver']).replace('_', ' ')} {signed_money(float(d['delta_usd']))}" for d in drivers]
        out.append("- Drivers: " + ", ".join(esc(text) for text in named))
    movers = (report.get("top_movers") or [])[:SUMMARY_MOVERS]
    if movers:
        out.append(
            "- Top movers: "
            + ", ".join(f"{esc(m['pipeline'])} {esc(cell(m.get('mom_delta_usd'), 'delta'))}" for m in movers)
        )
    anomalies = report.get("anomalies") or []
    if anomalies:
        out.append(f"- Anomalies: {len(anomalies)} (see the full report)")
    quality = report.get("data_quality") or []
    if quality or not report.get("complete", True):
        out.append(f"- Data quality: {len(quality)} issue(s) limit these figures (see the full report)")
    return "\n".join(out) + "\n"
