"""The report's figures on a small two-month history, worked by hand.

The estate: one V2 pipeline `web-app` in us-east-1 (Source 20 s, Build 290 s in July and 350 s in August), its
CodeBuild project `app-build` on general1.medium, artifacts in a bucket with no storage metrics (so S3 bills only
the artifact requests: 2 PUT and 1 GET per execution). July 2026 runs 100 executions, August 150 (both months
have 31 days, so the fake account runs exactly the declared count). Every 20th web-app execution fails in its
last action (the fake account's rule). No Cost Explorer.

Prices (us-east-1): CodePipeline V2 $0.002 per action minute, 100 free minutes a month; CodeBuild general1.medium
$0.01 per build minute (no free tier); S3 PUT $0.005 and GET $0.0004 per 1,000.

July:   V2 100 x (ceil 20 s + ceil 290 s = 1 + 5 min) = 600 min - 100 free = 500 x $0.002 = $1.00
        CodeBuild 100 x 5 min x $0.01 = $5.00; S3 200 PUT x $0.000005 + 100 GET x $0.0000004 = $0.00104
August: V2 150 x (1 + ceil 350 s = 6) = 1,050 min - 100 = 950 x $0.002 = $1.90
        CodeBuild 150 x 6 min x $0.01 = $9.00; S3 300 x $0.000005 + 150 x $0.0000004 = $0.00156
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from costkit.collect.context import Window
from costkit.collect.fake_account import ActionSpec, BuildSpec, Estate, PipelineSpec, Timeline, fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.errors import CostkitError
from costkit.report import build_report
from costkit.sources.snapshot.folder import write

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "report.schema.json").read_text())
JULY = Window.month(2026, 7)
AUGUST = Window.month(2026, 8)
JULY_TOTAL = 1.00 + 5.00 + (200 * 0.005 + 100 * 0.0004) / 1000
AUGUST_TOTAL = 1.90 + 9.00 + (300 * 0.005 + 150 * 0.0004) / 1000


def estate(executions: int, build_seconds: int) -> Estate:
    actions = (
        ActionSpec("Source", "Source", "S3", 20, configuration={"S3Bucket": "test-source", "S3ObjectKey": "a.zip"}),
        ActionSpec("Build", "Build", "CodeBuild", build_seconds, configuration={"ProjectName": "app-build"}),
    )  # fmt: skip
    pipeline = PipelineSpec("web-app", "us-east-1", "V2", executions, actions, "costkit-test-artifacts", fail_every=20)
    build = BuildSpec("app-build", "us-east-1", "BUILD_GENERAL1_MEDIUM", "LINUX_CONTAINER", executions, 10,
                      build_seconds, "codepipeline/web-app")  # fmt: skip
    return Estate((pipeline,), (build,))


def store(root: Path, name: str, window: Window, month_estate: Estate) -> None:
    with fake_account(window, month_estate) as session:
        options = CollectOptions(window=window, regions=["us-east-1"], cost_explorer=False)
        write(collect(session, options), root / name)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history")
    store(root, "2026-07", JULY, estate(100, 290))
    store(root, "2026-08", AUGUST, estate(150, 350))
    return root


@pytest.fixture(scope="module")
def open_history(tmp_path_factory: pytest.TempPathFactory, history: Path) -> Path:
    """July closed; August observed for its first 15 days only (still open)."""
    root = tmp_path_factory.mktemp("open")
    (root / "2026-07").symlink_to(history / "2026-07", target_is_directory=True)
    store(root, "2026-08", Window(AUGUST.start, AUGUST.start + dt.timedelta(days=15)), estate(150, 350))
    return root


def test_month_over_month_change_in_dollars_and_percent(history: Path) -> None:
    report = build_report("2026-08", history=history)
    assert report.previous is not None
    assert report.previous.total == pytest.approx(JULY_TOTAL)
    assert report.total == pytest.approx(AUGUST_TOTAL)
    assert report.mom_delta_usd == pytest.approx(AUGUST_TOTAL - JULY_TOTAL)  # $4.90052
    assert report.mom_delta_pct == pytest.approx(100 * (AUGUST_TOTAL - JULY_TOTAL) / JULY_TOTAL)
    assert report.by_service() == pytest.approx({"CodePipeline": 1.90, "CodeBuild": 9.00, "Lambda": 0.0, "S3": 0.00156})


def test_drivers_split_the_change_by_hand_and_sum_to_it(history: Path) -> None:
    report = build_report("2026-08", history=history)
    found = {item["driver"]: item["delta_usd"] for item in report.drivers}
    # Executions 100 -> 150 at July's time per run: V2 50 x 6 min x $0.002 = $0.60, builds 50 x 5 min x $0.01 =
    # $2.50, artifact requests (300 - 200) PUT x $0.000005 + (150 - 100) GET x $0.0000004 = $0.00052.
    assert found["executions"] == pytest.approx(0.60 + 2.50 + 0.00052)
    # Duration: one more minute per run on 150 runs: V2 150 x 1 x $0.002 = $0.30, builds 150 x 1 x $0.01 = $1.50.
    assert found["duration"] == pytest.approx(0.30 + 1.50)
    # Same compute type, storage, prices; the 100 free minutes ($0.20) applied in both months.
    assert found["compute_mix"] == pytest.approx(0.0, abs=1e-12)
    assert found["storage"] == pytest.approx(0.0, abs=1e-12)
    assert found["price"] == pytest.approx(0.0, abs=1e-12)
    assert found["free_tier"] == pytest.approx(0.0, abs=1e-12)
    assert sum(found.values()) == pytest.approx(report.mom_delta_usd, abs=1e-9)


def test_cost_per_successful_execution(history: Path) -> None:
    rows = build_report("2026-08", history=history).pipelines.set_index("pipeline")
    web = rows.loc["web-app"]
    # 150 executions, every 20th fails (i = 19, 39, ..., 139: 7 of them); everything the estate bills serves web-app.
    assert (web["executions"], web["succeeded"]) == (150, 143)
    assert web["cost_usd"] == pytest.approx(AUGUST_TOTAL)
    assert web["cost_per_success_usd"] == pytest.approx(AUGUST_TOTAL / 143)
    assert web["success_rate"] == pytest.approx(143 / 150)
    assert web["mom_delta_usd"] == pytest.approx(AUGUST_TOTAL - JULY_TOTAL)
    assert not web["new"]


def test_forecast_names_its_method(history: Path) -> None:
    found = build_report("2026-08", history=history).forecast
    # Two closed months: the last change ($4.90052) repeated, and that change either way for the interval.
    change = AUGUST_TOTAL - JULY_TOTAL
    assert found.method == "two-month-change"
    assert found.next_month_usd == pytest.approx(AUGUST_TOTAL + change)
    assert (found.low_usd, found.high_usd) == (pytest.approx(AUGUST_TOTAL), pytest.approx(AUGUST_TOTAL + 2 * change))
    assert found.month_end_usd is None  # August is closed
    one = build_report("2026-07", history=history).forecast
    assert (one.method, one.next_month_usd) == ("carry-forward", pytest.approx(JULY_TOTAL))
    assert (one.low_usd, one.high_usd) == (None, None)


def test_linear_trend_with_a_prediction_interval() -> None:
    from costkit.report.forecast import next_month

    # Totals 10, 12, 17: slope 3.5, intercept 9.5 (mean 13 at x = 1); next (x = 3) 20.0. Residuals 0.5, -1, 0.5:
    # s = sqrt(1.5 / 1); half-width t(1) 12.706 x s x sqrt(1 + 1/3 + (3 - 1)^2 / 2).
    point, low, high, method = next_month([10.0, 12.0, 17.0])
    half = 12.706 * 1.5**0.5 * (1 + 1 / 3 + 4 / 2) ** 0.5
    assert method == "linear-trend"
    assert point == pytest.approx(20.0)
    assert (low, high) == (pytest.approx(max(0.0, 20.0 - half)), pytest.approx(20.0 + half))


def test_an_open_month_is_compared_with_the_same_days_of_the_previous_month(open_history: Path) -> None:
    report = build_report("2026-08", history=open_history)
    assert report.current.open
    assert report.current.period.days == 15
    # August's first 15 days at 150 a month: round(150 x 15 / 31) = 73 executions, each 1 + 6 V2 minutes and a
    # 6-minute build: (511 - 100) x $0.002 + 438 x $0.01 + 146 PUT x $0.000005 + 73 GET x $0.0000004.
    to_date = 411 * 0.002 + 438 * 0.01 + 146 * 0.000005 + 73 * 0.0000004
    assert report.total == pytest.approx(to_date)
    # July's 100 runs start every 31/100 days (+7 min): the first 15 days hold i = 0..48, 49 runs of 1 + 5 minutes:
    # (294 - 100) x $0.002 + 245 x $0.01 + 98 x $0.000005 + 49 x $0.0000004. Never the whole of July ($6.00).
    same_days = 194 * 0.002 + 245 * 0.01 + 98 * 0.000005 + 49 * 0.0000004
    assert report.previous is not None
    assert report.previous.total == pytest.approx(same_days)
    assert report.mom_delta_usd == pytest.approx(to_date - same_days)
    assert sum(item["delta_usd"] for item in report.drivers) == pytest.approx(to_date - same_days, abs=1e-9)
    shown = report.to_dict()
    assert (shown["comparison"], shown["previous"]["period"]["days"]) == ("same-days", 15)
    # The month-end figure: the 15 days run at their rate for 31 days (factor 31/15); the free minutes once.
    factor = 31 / 15
    month_end = (511 * factor - 100) * 0.002 + 438 * factor * 0.01 + (146 * 0.000005 + 73 * 0.0000004) * factor
    assert report.forecast.month_end_usd == pytest.approx(month_end)
    assert report.forecast.month_end_method == "run-rate"
    assert "open-month" in {note["kind"] for note in report.data_quality}
    open_note = next(note for note in report.data_quality if note["kind"] == "open-month")
    assert "S3 storage is priced as a whole month's GB-months" in open_note["message"]  # the to-date convention, said


def test_budget_variance(history: Path, open_history: Path) -> None:
    budget = build_report("2026-08", history=history, budget_usd=10.0).budget()
    assert budget is not None
    assert budget["variance_usd"] == pytest.approx(AUGUST_TOTAL - 10.0)  # $0.90156 over
    assert budget["over"]
    assert budget["basis"] == "month total"
    # An open month's budget is weighed against its month-end figure, not the days so far.
    opened = build_report("2026-08", history=open_history, budget_usd=20.0)
    assert opened.budget() is not None
    assert opened.budget()["variance_usd"] == pytest.approx(opened.forecast.month_end_usd - 20.0)  # type: ignore[index, operator]


def test_report_json_validates_against_its_schema_and_equals_the_library(history: Path, open_history: Path) -> None:
    for root in (history, open_history):
        report = build_report("2026-08", history=root, budget_usd=12.5)
        printed = json.loads(report.to_json())
        jsonschema.validate(printed, SCHEMA)
        assert printed == json.loads(json.dumps(report.to_dict()))
    single = build_report("2026-07", snapshot=history / "2026-07").to_dict()
    jsonschema.validate(single, SCHEMA)
    assert single["previous"] is None
    assert single["drivers"] == []
    assert "no-previous-month" in {note["kind"] for note in single["data_quality"]}


def test_a_month_the_history_lacks_is_refused_with_what_it_holds(history: Path) -> None:
    with pytest.raises(CostkitError, match=r"holds no snapshot for 2026-09 \(it holds 2026-07, 2026-08\)"):
        build_report("2026-09", history=history)


def steady_and_doubling() -> Timeline:
    """web-app as above at 100 executions a month, 290-second builds, which from 16 August take 590 seconds
    (ceil: 10 minutes instead of 5); `api` runs 31 times a month, unchanged (Source 20 s, Build 100 s on
    general1.small)."""
    source = {"name": "Source", "category": "Source", "provider": "S3", "seconds": 20,
              "configuration": {"S3Bucket": "test-source", "S3ObjectKey": "a.zip"}}  # fmt: skip

    def build(project: str, seconds: int) -> dict[str, object]:
        return {"name": "Build", "category": "Build", "provider": "CodeBuild", "seconds": seconds,
                "configuration": {"ProjectName": project}}  # fmt: skip

    base = {
        "pipelines": {
            "web-app": {"region": "us-east-1", "type": "V2", "executions": 100, "bucket": "test-artifacts",
                        "fail_every": 20, "actions": [source, build("app-build", 290)]},
            "api": {"region": "us-east-1", "type": "V2", "executions": 31, "bucket": "test-artifacts",
                    "actions": [source, build("api-build", 100)]},
        },
        "builds": [
            {"project": "app-build", "region": "us-east-1", "compute_type": "BUILD_GENERAL1_MEDIUM",
             "environment_type": "LINUX_CONTAINER", "builds": 100, "queued_s": 10, "billed_s": 290,
             "initiator": "codepipeline/web-app"},
            {"project": "api-build", "region": "us-east-1", "compute_type": "BUILD_GENERAL1_SMALL",
             "environment_type": "LINUX_CONTAINER", "builds": 31, "queued_s": 10, "billed_s": 100,
             "initiator": "codepipeline/api"},
        ],
        # web-app's team by a capitalised key; the api pipeline untagged, its build project owned by api-team.
        "tags": {"pipeline": {"web-app": {"Team": "web"}}, "project": {"api-build": {"owner": "api-team"}}},
    }  # fmt: skip
    doubled = {"pipelines": {"web-app": {"actions": {"Build": {"seconds": 590}}}},
               "builds": {"app-build@codepipeline/web-app": {"billed_s": 590}}}  # fmt: skip
    return Timeline(base=base, months={"2026-08": {"from": [{"day": 16, "changes": doubled}]}}, account="123456789012")


@pytest.fixture(scope="module")
def doubling_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("doubling")
    timeline = steady_and_doubling()
    for name, window in (("2026-07", JULY), ("2026-08", AUGUST)):
        with fake_account(window, timeline) as session:
            options = CollectOptions(window=window, regions=["us-east-1"], cost_explorer=False)
            write(collect(session, options), root / name)
    return root


def test_the_seeded_anomaly_is_found_and_the_steady_pipeline_is_not(doubling_history: Path) -> None:
    found = build_report("2026-08", history=doubling_history).anomalies
    per_run = found[found["kind"] == "cost-per-execution"].set_index("pipeline")
    # web-app per execution at list price: July (1 + 5) V2 min x $0.002 + 5 build min x $0.01 = $0.062 every day
    # (median $0.062, MAD 0); from 16 August (1 + 10) x $0.002 + 10 x $0.01 = $0.122. Threshold: the median plus
    # the larger of 3.5 x 1.4826 x MAD = 0, half the median ($0.031) and $0.01: $0.093.
    assert list(per_run.index) == ["web-app"]  # api costs the same per execution every day: never flagged
    web = per_run.loc["web-app"]
    assert web["days"] == [f"2026-08-{day}" for day in range(16, 32)]
    assert (web["value"], web["baseline"], web["threshold"]) == (
        pytest.approx(0.122),
        pytest.approx(0.062),
        pytest.approx(0.062 + 0.031),
    )
    # 1 to 16 August (15 days) runs round(100 x 15 / 31) = 48, the rest round(100 x 16 / 31) = 52: 52 x $0.122.
    assert web["cost_usd"] == pytest.approx(52 * 0.122)
    doubled = found[found["kind"] == "build-minutes-doubled"].set_index("pipeline")
    assert list(doubled.index) == ["web-app"]  # 10 billed minutes a build against July's median of 5
    assert doubled.loc["web-app", "days"] == [f"2026-08-{day}" for day in range(16, 32)]
    daily = found[found["kind"] == "daily-cost"]
    assert set(daily["pipeline"]) <= {"web-app"}
    assert all(day >= "2026-08-16" for days in daily["days"] for day in days)
    # Failed runs (every 20th: i = 19, 39 before the change, 59, 79, 99 after) at list price.
    failed = found[found["kind"] == "failed-runs"].set_index("pipeline")
    assert failed.loc["web-app", "value"] == 5
    assert failed.loc["web-app", "cost_usd"] == pytest.approx(2 * 0.062 + 3 * 0.122)
    assert "new-pipeline" not in set(found["kind"])


def test_a_pipeline_no_trailing_month_holds_is_new(history: Path, doubling_history: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "2026-07").symlink_to(history / "2026-07", target_is_directory=True)  # web-app only
    (mixed / "2026-08").symlink_to(doubling_history / "2026-08", target_is_directory=True)  # web-app and api
    report = build_report("2026-08", history=mixed)
    new = report.anomalies[report.anomalies["kind"] == "new-pipeline"]
    assert list(new["pipeline"]) == ["api"]
    # Its cost is its month cost as the per-pipeline table has it.
    rows = report.pipelines.set_index("pipeline")
    assert bool(rows.loc["api", "new"])
    assert new["cost_usd"].iloc[0] == pytest.approx(rows.loc["api", "cost_usd"])


def test_showback_shares_by_team_with_the_unattributed_share(doubling_history: Path) -> None:
    report = build_report("2026-08", history=doubling_history)
    shown = report.showback
    owners = {row["owner"]: row for row in shown["owners"]}
    # August V2 minutes: web-app 48 x (1 + 5) + 52 x (1 + 10) = 860, api 31 x (1 + ceil 100 s = 2) = 93; the 100
    # free minutes are shared pro rata over the 953. api's builds (62 general1.small minutes = 3,720 s) sit inside
    # the 6,000-second free pool: $0, owned by api-team through the project's tag. The rest of api's lines (its V2
    # minutes and its artifact requests: 62 PUT, 31 GET) have no owner.
    api_unowned = 93 * 0.002 * (1 - 100 / 953) + 62 * 0.000005 + 31 * 0.0000004
    web = 860 * 0.002 * (1 - 100 / 953) + (48 * 5 + 52 * 10) * 0.01 + 200 * 0.000005 + 100 * 0.0000004
    assert shown["source"] == "resource tags"
    assert owners["(not attributed)"]["cost_usd"] == pytest.approx(api_unowned)
    assert owners["web"]["cost_usd"] == pytest.approx(web)
    assert owners["api-team"]["cost_usd"] == pytest.approx(0.0, abs=1e-12)
    assert shown["not_attributed_share"] == pytest.approx(api_unowned / (api_unowned + web))
    assert owners["web"]["share"] == pytest.approx(web / (api_unowned + web))
    assert report.total == pytest.approx(api_unowned + web)


def test_no_tags_attributes_nothing_and_says_so(history: Path) -> None:
    report = build_report("2026-08", history=history)
    assert report.showback["owners"] == [
        {"owner": "(not attributed)", "cost_usd": pytest.approx(AUGUST_TOTAL), "share": pytest.approx(1.0)}
    ]
    assert "no-tags" in {note["kind"] for note in report.data_quality}


def test_tag_arns_name_their_resources() -> None:
    import pandas as pd

    from costkit.collect.tagging import tag_table

    arns = [
        "arn:aws:codepipeline:us-east-1:123456789012:web-app",
        "arn:aws:codebuild:us-east-1:123456789012:project/app-build",
        "arn:aws:lambda:us-east-1:123456789012:function:notify:3",
        "arn:aws:s3:::artifacts",
        "arn:aws:ec2:us-east-1:123456789012:instance/i-1",  # not a kind the estate bills: left out
    ]
    table = tag_table(pd.DataFrame({"arn": arns, "key": "team", "value": "web"}))
    assert list(zip(table["resource_type"], table["resource"], strict=True)) == [
        ("pipeline", "web-app"),
        ("project", "app-build"),
        ("function", "notify"),
        ("bucket", "artifacts"),
    ]


def test_an_open_month_in_the_store_is_collected_again_and_a_closed_one_reused(open_history: Path) -> None:
    from costkit.cli.collect_support import history_months

    targets, reused = history_months(open_history, "2026-07", "2026-08")
    assert [folder.name for folder in reused] == ["2026-07"]
    assert [folder.name for _window, folder in targets] == ["2026-08"]
