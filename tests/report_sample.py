"""A report.json dict written by hand for the renderer tests: two months, figures a person can add up.

September: $10.00. October: $13.50, +$3.50 (+35.0%): executions +$2.00, duration +$1.00, compute mix +$0.75,
free tier -$0.25 (2.00 + 1.00 + 0.75 - 0.25 = 3.50). One pipeline carries a hostile name.
"""

from __future__ import annotations

from typing import Any

HOSTILE = '<script>alert(1)</script>[x](http://evil.example) =cmd|"/c calc"!A1 $\\frac{1}{2}$ \x1b[31m'


def sample_report(**changes: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "costkit_version": "0.1.0",
        "month": "2026-10",
        "currency": "USD",
        "period": {"start": "2026-10-01", "end": "2026-11-01", "days": 31},
        "open": False,
        "observed_days": 31.0,
        "comparison": "whole-month",
        "total_usd": 13.50,
        "complete": True,
        "by_service": {"CodePipeline": 2.50, "CodeBuild": 9.00, "Lambda": 0.00, "S3": 2.00},
        "previous": {
            "month": "2026-09",
            "period": {"start": "2026-09-01", "end": "2026-10-01", "days": 30},
            "total_usd": 10.00,
            "by_service": {"CodePipeline": 2.00, "CodeBuild": 6.00, "Lambda": 0.00, "S3": 2.00},
        },
        "mom_delta_usd": 3.50,
        "mom_delta_pct": 35.0,
        "budget": {
            "usd": 12.00,
            "compared_usd": 13.50,
            "basis": "month total",
            "variance_usd": 1.50,
            "variance_pct": 12.5,
            "over": True,
        },
        "forecast": {
            "month_end_usd": None,
            "month_end_method": None,
            "next_month_usd": 17.00,
            "low_usd": 13.50,
            "high_usd": 20.50,
            "method": "two-month-change",
            "months_used": 2,
            "cost_explorer_usd": None,
        },
        "drivers": [
            {"driver": "executions", "delta_usd": 2.00, "detail": "200 more executions"},
            {"driver": "duration", "delta_usd": 1.00, "detail": "builds ran longer"},
            {"driver": "compute_mix", "delta_usd": 0.75, "detail": "more medium builds"},
            {"driver": "free_tier", "delta_usd": -0.25, "detail": "more of the month inside the free tier"},
        ],
        "pipelines": [
            {
                "account": "123456789012",
                "region": "us-east-1",
                "pipeline": "web-app",
                "cost_usd": 9.00,
                "executions": 120,
                "succeeded": 90,
                "success_rate": 0.75,
                "cost_per_success_usd": 0.10,
                "previous_cost_usd": 6.00,
                "mom_delta_usd": 3.00,
                "new": False,
            },
            {
                "account": "123456789012",
                "region": "us-east-1",
                "pipeline": HOSTILE,
                "cost_usd": 4.50,
                "executions": 10,
                "succeeded": 9,
                "success_rate": 0.9,
                "cost_per_success_usd": 0.50,
                "previous_cost_usd": None,
                "mom_delta_usd": 4.50,
                "new": True,
            },
        ],
        "top_movers": [],
        "reconciliation": [
            {
                "service": "CodeBuild",
                "usage_type": "Build-Min:Linux:g1.medium",
                "estimate_usd": 9.00,
                "actual_usd": 9.10,
                "delta_usd": -0.10,
                "delta_pct": -1.0989,
                "explanation": "builds outside the collected window",
            }
        ],
        "history": [{"month": "2026-08", "total_usd": 8.00}, {"month": "2026-09", "total_usd": 10.00}],
        "data_quality": [{"kind": "partial", "message": f"region eu-west-1 failed for {HOSTILE}"}],
        "assumptions": [{"id": "v2-average-rounding", "text": "each action execution rounds up to a minute"}],
        "api_calls": {"total": 48, "by_operation": {"ce:GetCostAndUsage": 1, "codebuild:BatchGetBuilds": 47}},
        "ce_requests": 1,
        "api_cost_usd": 0.01,
        # Owners: web-app is team-a's ($9.00 of $13.50 = 2/3); the rest has no owner tag ($4.50 = 1/3).
        "showback": {
            "tag_keys": ["team", "owner"],
            "source": "resource tags",
            "owners": [
                {"owner": "team-a", "cost_usd": 9.00, "share": 9.00 / 13.50},
                {"owner": "(not attributed)", "cost_usd": 4.50, "share": 4.50 / 13.50},
            ],
            "not_attributed_usd": 4.50,
            "not_attributed_share": 4.50 / 13.50,
        },
        "daily": [
            {"day": f"2026-10-{day:02d}", "service": service, "cost_usd": cost}
            for day in range(1, 32)
            for service, cost in (("CodePipeline", 0.05), ("CodeBuild", 0.20 + (0.20 if day >= 16 else 0.0)))
        ],
        "compute_mix": [
            {"usage_type": "Build-Min:Linux:g1.medium", "unit": "Minute", "quantity": 800.0, "cost_usd": 8.00},
            {"usage_type": "Build-Min:Linux:g1.small", "unit": "Minute", "quantity": 200.0, "cost_usd": 1.00},
        ],
        "anomalies": [
            {
                "account": "123456789012",
                "region": "us-east-1",
                "pipeline": HOSTILE,
                "kind": "build-minutes-doubled",
                "days": ["2026-10-16", "2026-10-17"],
                "value": 12.0,
                "baseline": 6.0,
                "threshold": 9.0,
                "cost_usd": 0.40,
                "detail": "minutes per build 12 against a median of 6",
            }
        ],
        "savings": {
            "baseline_total_usd": 13.50,
            "combined_saving_usd": 2.00,
            "suggestions": [
                {
                    "id": "arm-builds:web-app-build",
                    "rule": "arm-builds",
                    "title": f"Build {HOSTILE} on Arm",
                    "resources": ["web-app-build"],
                    "monthly_saving_usd": 2.00,
                    "one_off_cost_usd": None,
                    "confidence": "medium",
                    "change": {"cli": "aws codebuild update-project ..."},
                    "counted": True,
                }
            ],
        },
    }
    keep = ("account", "region", "pipeline", "cost_usd", "previous_cost_usd", "mom_delta_usd")
    report["top_movers"] = [{key: row[key] for key in keep} for row in (report["pipelines"][1], report["pipelines"][0])]
    report.update(changes)
    return report
