"""The report's renderers: the same sections in every format, every value escaped, charts self-contained.
Figures come from tests/report_sample.py (September $10.00, October $13.50)."""

from __future__ import annotations

import base64
import html
import re

from report_sample import HOSTILE, sample_report

from costkit.present import report_charts, report_html, report_md
from costkit.present.report_sections import SECTION_TITLES, sections


def _titles_in_order(text: str, pattern: str) -> list[str]:
    return [html.unescape(title) for title in re.findall(pattern, text, flags=re.MULTILINE)]


def test_every_format_has_the_same_sections_in_the_same_order() -> None:
    report = sample_report()
    titles = [title for _, title in SECTION_TITLES]
    assert len(titles) == 10
    assert _titles_in_order(report_md.render(report), r"^## (.+)$") == titles
    assert _titles_in_order(report_html.render(report), r"<h2>([^<]+)</h2>") == titles


def test_the_headline_and_services_are_worked_out_from_the_report() -> None:
    lines = {section.id: section for section in sections(sample_report())}
    assert lines["headline"].lines[:3] == [
        "Total for 2026-10: $13.50",
        "Against 2026-09: $10.00, +$3.50 (+35.0%)",  # 13.50 - 10.00 = 3.50; 3.50 / 10.00 = 35%
        "Budget $12.00: over by $1.50 (month total $13.50)",  # 13.50 - 12.00
    ]
    codebuild = next(row for row in lines["services"].tables[0].rows if row["service"] == "CodeBuild")
    assert codebuild["delta_usd"] == 9.00 - 6.00
    assert codebuild["delta_pct"] == 100 * (9.00 - 6.00) / 6.00
    # The drivers' steps add up to the change: 2.00 + 1.00 + 0.75 - 0.25 = 3.50.
    assert lines["drivers"].lines == ["The change of +$3.50 by driver (the drivers sum to the change):"]


def test_html_escapes_every_value_and_loads_nothing() -> None:
    page = report_html.render(sample_report())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\x1b" not in page
    assert "\\x1b[31m" in page
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # only data: images and #anchors
    assert "@media print" in page


def test_markdown_escapes_links_tables_and_html() -> None:
    text = report_md.render(sample_report())
    assert "<script>" not in text
    assert "[x](http" not in text  # the name's link is text, not a link
    assert "\\[x\\]" in text
    # The name's `|` cannot add a cell: every row of a table has as many cells as its header.
    tables: list[list[int]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            tables[-1].append(len(re.findall(r"(?<!\\)\|", line)))
        elif tables[-1]:
            tables.append([])
    assert sum(1 for line in text.splitlines() if "alert(1)" in line and line.startswith("|")) >= 4
    assert all(len(set(cells)) == 1 for cells in tables if cells)


def test_the_summary_is_short_and_slack_safe() -> None:
    report = sample_report()
    markdown = report_md.summary(report)
    slack = report_md.summary(report, flavour="slack")
    assert len(markdown.splitlines()) <= 10
    assert "+$3.50 (+35.0%)" in slack
    assert "Drivers: executions +$2.00, duration +$1.00, compute mix +$0.75" in slack  # the three biggest
    assert "<script>" not in slack
    assert "&lt;script&gt;" in slack
    assert "<!channel>" not in report_md.summary(sample_report(month="<!channel>"), flavour="slack")


def test_charts_are_svg_with_no_text_element_script_or_link_and_the_same_every_time() -> None:
    mix = [{"usage_type": HOSTILE, "unit": "Minute", "quantity": 1.0, "cost_usd": 1.0}]
    report = sample_report(compute_mix=mix)
    keys = ["history", "drivers", "services", "pipelines", "showback", "daily", "compute_mix"]
    drawn = report_charts.charts(report, keys)
    for key, svg in drawn.items():
        assert svg.startswith("<svg"), key
        assert "<text" not in svg
        assert "<script" not in svg
        assert "http://evil" not in svg
    assert report_charts.charts(report, keys) == drawn
    page = report_html.render(report)
    embedded = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert [base64.b64decode(data).decode() for data in embedded] == [drawn[key] for key in keys]


def test_showback_anomalies_and_savings_show_what_report_json_holds() -> None:
    built = {section.id: section for section in sections(sample_report())}
    assert built["showback"].lines[1] == "(not attributed): $4.50, 33.3% of the month"  # 4.50 / 13.50
    owners = built["showback"].tables[0].rows
    assert [(row["owner"], row["cost_usd"]) for row in owners] == [("team-a", 9.00), ("(not attributed)", 4.50)]
    assert built["anomalies"].lines[0] == "1 found"
    assert built["anomalies"].tables[0].rows[0]["days"] == "2026-10-16, 2026-10-17"
    assert built["savings"].lines[0].startswith("Together, the counted suggestions save $2.00 a month of $13.50")
    daily = built["trend"].tables[1].rows
    assert len(daily) == 31
    assert daily[15]["total_usd"] == 0.05 + 0.40  # from the 16th, CodeBuild's $0.20 a day doubles
