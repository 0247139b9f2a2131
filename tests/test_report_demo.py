"""The demo's months end to end: `costkit collect --demo --history` fills July to November 2026 from
costkit/collect/demo_account.yaml, and the report finds what the data file seeds: web-app's builds taking twice as
long from 16 November, mobile-app new on 3 November, and a bill that differs month by month."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.report import build_report

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "report.schema.json").read_text())
MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "history"
    args = ["collect", "--demo", "--history", str(root), "--since", "2026-07", "--month", "2026-11", "--quiet"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    return root


def test_history_holds_each_month_and_reuses_closed_ones(history: Path) -> None:
    assert sorted(p.name for p in history.iterdir() if not p.name.startswith(".")) == MONTHS
    created = {m: json.loads((history / m / "manifest.json").read_text())["created"] for m in MONTHS}
    again = CliRunner().invoke(
        app, ["collect", "--demo", "--history", str(history), "--since", "2026-07", "--month", "2026-11", "--quiet"]
    )
    assert again.exit_code == 0, again.output
    for month in MONTHS:
        assert f"{month}: closed when collected, reused" in again.output
        assert json.loads((history / month / "manifest.json").read_text())["created"] == created[month]
    assert "wrote" not in again.output


def test_october_is_the_month_the_demo_tests_work_out(history: Path) -> None:
    # tests/test_demo.py's by-pipeline total: CodePipeline (120 x 9 + 60 x 5 - 100) x $0.002; CodeBuild 729 x
    # $0.01 + the small types past the 6,000-second pool; S3 storage and requests; Lambda inside its free tier.
    paid = 1 - 6000 / ((390 + 180) * 60)
    codebuild = 729 * 0.01 + 390 * paid * 0.0034 + 180 * paid * 0.005
    s3 = 42.5 * 0.023 + 260 * 0.005 / 1000 + 250 * 0.0004 / 1000 + 8 * 0.025 + 120 * 0.0047 / 1000 + 60 * 0.00037 / 1000
    report = build_report("2026-10", history=history)
    assert report.total == pytest.approx((120 * 9 + 60 * 5 - 100) * 0.002 + codebuild + s3)
    assert round(report.total, 2) == 12.86


def test_november_shows_the_seeded_anomaly_and_the_new_pipeline(history: Path) -> None:
    found = build_report("2026-11", history=history).anomalies
    flagged = found[found["kind"].isin(["cost-per-execution", "build-minutes-doubled"])]
    assert set(flagged["pipeline"]) == {"web-app"}  # tokyo-service and legacy-api run as before
    for days in flagged["days"]:
        assert days[0] == "2026-11-16"  # builds take 690 s (12 min) instead of 330 s (6 min) from the 16th
    doubled = flagged[flagged["kind"] == "build-minutes-doubled"].iloc[0]
    assert (doubled["value"], doubled["baseline"]) == (12.0, 6.0)
    # web-app per execution, list price: before (1 + 7 + 1) V2 min x $0.002 + 6 build min x $0.01 = $0.078;
    # after (1 + ceil 732 s = 13 + 1) x $0.002 + 12 x $0.01 = $0.150.
    per_run = flagged[flagged["kind"] == "cost-per-execution"].iloc[0]
    assert (per_run["value"], per_run["baseline"]) == (pytest.approx(0.150), pytest.approx(0.078))
    assert list(found.loc[found["kind"] == "new-pipeline", "pipeline"]) == ["mobile-app"]
    october = build_report("2026-10", history=history).anomalies
    assert set(october["kind"]) == {"failed-runs"}  # a steady month: nothing flagged but what failed runs cost


def test_the_bill_differs_month_by_month(history: Path) -> None:
    # The data file's CodeBuild actuals: July $5.49 + $1.45 + $0.00; October $7.29 + $0.44.
    billed = {}
    for month in ("2026-07", "2026-10"):
        rows = build_report(month, history=history).reconciliation
        billed[month] = rows.loc[rows["service"] == "CodeBuild", "actual_usd"].sum()
    assert billed == {"2026-07": pytest.approx(5.49 + 1.45), "2026-10": pytest.approx(7.29 + 0.44)}


def test_every_demo_month_gives_a_valid_report(history: Path) -> None:
    for month in MONTHS:
        report = build_report(month, history=history, budget_usd=15.0)
        shown = json.loads(report.to_json())
        jsonschema.validate(shown, SCHEMA)
        if report.previous is not None:
            assert sum(d["delta_usd"] for d in shown["drivers"]) == pytest.approx(shown["mom_delta_usd"], abs=1e-9)


def test_october_showback_by_team(history: Path) -> None:
    shown = {row["owner"]: row["cost_usd"] for row in build_report("2026-10", history=history).showback["owners"]}
    # The data file's tags: pipelines web-app (web), legacy-api (platform), tokyo-service (apac); project
    # web-app-build (web); nightly-tests untagged. V2 minutes 1,380 (web-app 1,080, tokyo 300), 100 free pro rata;
    # the small build types share the 6,000-second pool; the us-east-1 bucket is split 120:10 by executions.
    free = 1 - 100 / 1380
    paid = 1 - 6000 / ((390 + 180) * 60)
    web = (
        1080 * 0.002 * free
        + 720 * 0.01
        + 42.5 * 120 / 130 * 0.023
        + 240 * 0.005 / 1000
        + 240 * 0.0004 / 1000
        + 9 * 0.01
    )  # alice's 3 builds: no pipeline, web-app-build's tag
    apac = 300 * 0.002 * free + 180 * paid * 0.005 + 8 * 0.025 + 120 * 0.0047 / 1000 + 60 * 0.00037 / 1000
    platform = 42.5 * 10 / 130 * 0.023 + 20 * 0.005 / 1000 + 10 * 0.0004 / 1000  # legacy-api: its V1 month is free
    assert shown == {
        "web": pytest.approx(web), "apac": pytest.approx(apac), "platform": pytest.approx(platform),
        "(not attributed)": pytest.approx(390 * paid * 0.0034),  # nightly-tests
    }  # fmt: skip
