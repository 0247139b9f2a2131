"""The monthly FinOps report as data (issue #10): months from a history store, month-over-month change and its
drivers, per-pipeline unit costs, forecasts, reconciliation with the bill. Renderers live in present/."""

from __future__ import annotations

from costkit.report.report import Report, build_report

__all__ = ["Report", "build_report"]
