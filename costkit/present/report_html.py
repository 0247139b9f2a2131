"""report.html: the monthly report as one self-contained page (inline CSS, charts as SVG data URIs, no script, no
font, no external fetch), with a print stylesheet. Every value is escaped with `escape.html_text`; the page's
Content-Security-Policy forbids loading anything but its own inline style and data-URI images."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from costkit.present.escape import html_text as h
from costkit.present.report_charts import charts
from costkit.present.report_sections import NUMERIC_KINDS, Section, Table, cell, sections

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1a202c;
       max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; border-bottom: 1px solid #cbd5e0; padding-bottom: 4px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
.meta { color: #4a5568; margin: 0 0 16px; }
section { margin: 0 0 28px; }
ul.lines { padding-left: 18px; } ul.lines li { margin: 2px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e2e8f0; padding: 4px 8px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #f7fafc; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
img.chart { display: block; width: 100%; max-width: 640px; height: auto; margin: 8px 0; }
nav a { margin-right: 10px; color: #2b6cb0; text-decoration: none; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  section, table, img.chart { break-inside: avoid; page-break-inside: avoid; }
  img.chart { max-width: 15cm; }
  h2 { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; }
}
@page { size: A4; margin: 14mm; }
"""


def _table(table: Table) -> str:
    head = "".join(
        f'<th class="num">{h(c.title)}</th>' if c.kind in NUMERIC_KINDS else f"<th>{h(c.title)}</th>"
        for c in table.columns
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{h(cell(row.get(c.key), c.kind))}</td>'
            if c.kind in NUMERIC_KINDS
            else f"<td>{h(cell(row.get(c.key), c.kind))}</td>"
            for c in table.columns
        )
        + "</tr>"
        for row in table.rows
    )
    caption = f"<h3>{h(table.caption)}</h3>" if table.caption else ""
    empty = "" if table.rows else f'<tr><td colspan="{len(table.columns)}">none</td></tr>'
    return f"{caption}<table><thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table>"


def _image(key: str, svg: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" data-chart="{h(key)}" alt="{h(key)} chart" src="data:image/svg+xml;base64,{data}">'


def _section(section: Section, drawn: Mapping[str, str]) -> str:
    lines = "".join(f"<li>{h(line)}</li>" for line in section.lines)
    parts = [f'<section id="{h(section.id)}"><h2>{h(section.title)}</h2>']
    parts.append(f'<ul class="lines">{lines}</ul>' if lines else "")
    parts += [_image(key, drawn[key]) for key in section.charts]
    parts += [_table(table) for table in section.tables]
    parts.append("</section>")
    return "".join(parts)


def render(report: Mapping[str, Any]) -> str:
    """The whole page for report.json's dict."""
    built = sections(report)
    drawn = charts(report, [key for section in built for key in section.charts])
    nav = "".join(f'<a href="#{h(s.id)}">{h(s.title)}</a>' for s in built)
    period = report.get("period") or {}
    span = f"{period.get('start', '')} to {period.get('end', '')} (end exclusive)"
    meta = f"{span} · costkit {report.get('costkit_version', '')}"
    body = "".join(_section(section, drawn) for section in built)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{h('CI/CD cost report ' + str(report['month']))}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<header><h1>{h('CI/CD cost report: ' + str(report['month']))}</h1>"
        f'<p class="meta">{h(meta)}</p><nav>{nav}</nav></header>'
        f"<main>{body}</main></body></html>\n"
    )
