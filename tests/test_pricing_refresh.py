"""Refreshing prices from AWS's public Price List bulk files, served by a loopback server in the real layout
(tests/pricelist_server.py, built from real offer-file fragments), and every estimate using the result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import EXAMPLES, NOVEMBER_2026
from pricelist_server import PriceListServer
from typer.testing import CliRunner

from costkit import estimate
from costkit.cli import app
from costkit.pricing import current_pricebook, newest_set, read_set
from costkit.pricing.bulk import BulkFileError, HttpSettings
from costkit.pricing.diff import diff
from costkit.pricing.refresh import refresh
from costkit.pricing.sets import write_set
from costkit.tables import load_pricebook

ALL = ["CodePipeline", "CodeBuild", "Lambda", "S3"]
FAST = HttpSettings(connect_timeout=2.0, read_timeout=0.5, retries=0)


@pytest.fixture(scope="module")
def server() -> Iterator[PriceListServer]:
    with PriceListServer(slow_seconds=2.0) as running:
        yield running


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COSTKIT_CACHE_DIR", str(tmp_path))
    return tmp_path


def rows(path: Path, service: str, region: str) -> list[tuple[object, ...]]:
    """(usage_type, aws_usage_type, unit, tier_start, tier_end, price_usd) of a set, None for an open tier end."""
    prices = read_set(path).prices
    here = prices[(prices["service"] == service) & (prices["region"] == region)].sort_values(
        ["usage_type", "tier_start"]
    )
    columns = ["usage_type", "aws_usage_type", "unit", "tier_start", "tier_end", "price_usd"]
    table = here[columns].astype(object)
    return list(table.where(table.notna(), None).itertuples(index=False, name=None))


INF = None  # an unbounded last tier


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_offer_files_become_price_rows_as_published(server: PriceListServer, cache: Path, fmt: str) -> None:
    result = refresh(ALL, ["eu-west-1", "ap-northeast-1"], index_url=server.index_url, settings=FAST, fmt=fmt)
    assert result.set_path is not None
    # AWS's eu-west-1 Lambda offer, version 20261001184746: three duration tiers per architecture.
    assert rows(result.set_path, "Lambda", "eu-west-1") == [
        ("Lambda-GB-Second", "EU-Lambda-GB-Second", "GB-Second", 0.0, 6e9, 0.0000166667),
        ("Lambda-GB-Second", "EU-Lambda-GB-Second", "GB-Second", 6e9, 15e9, 0.0000150000),
        ("Lambda-GB-Second", "EU-Lambda-GB-Second", "GB-Second", 15e9, INF, 0.0000133334),
        ("Lambda-GB-Second-ARM", "EU-Lambda-GB-Second-ARM", "GB-Second", 0.0, 7.5e9, 0.0000133334),
        ("Lambda-GB-Second-ARM", "EU-Lambda-GB-Second-ARM", "GB-Second", 7.5e9, 18.75e9, 0.0000120001),
        ("Lambda-GB-Second-ARM", "EU-Lambda-GB-Second-ARM", "GB-Second", 18.75e9, INF, 0.0000106667),
        ("Lambda-Storage-GB-Second", "EU-Lambda-Storage-GB-Second", "GB-Second", 0.0, INF, 0.000000034),
        ("Lambda-Storage-GB-Second-ARM", "EU-Lambda-Storage-GB-Second-ARM", "GB-Second", 0.0, INF, 0.000000034),
        ("Request", "EU-Request", "Request", 0.0, INF, 0.0000002),
        ("Request-ARM", "EU-Request-ARM", "Request", 0.0, INF, 0.0000002),
    ]
    # The real CodeBuild ap-northeast-1 fragment: arm1.2xlarge at $0.12 a minute.
    assert rows(result.set_path, "CodeBuild", "ap-northeast-1") == [
        ("Build-Min:ARM:g1.2xlarge", "APN1-Build-Min:ARM:g1.2xlarge", "Minute", 0.0, INF, 0.12)
    ]
    # Two SKUs with the same medium price count once.
    assert rows(result.set_path, "CodeBuild", "eu-west-1") == [
        ("Build-Min:ARM:g1.small", "EU-Build-Min:ARM:g1.small", "Minute", 0.0, INF, 0.0034),
        ("Build-Min:Linux:g1.large", "EU-Build-Min:Linux:g1.large", "Minute", 0.0, INF, 0.02),
        ("Build-Min:Linux:g1.medium", "EU-Build-Min:Linux:g1.medium", "Minute", 0.0, INF, 0.01),
        ("Build-Min:Windows:g1.medium", "EU-Build-Min:Windows:g1.medium", "Minute", 0.0, INF, 0.018),
    ]
    assert rows(result.set_path, "CodePipeline", "eu-west-1") == [
        ("ActionExecutionMinutes", "EU-actionExecutionMinute", "Minute", 0.0, INF, 0.002),
        ("ActivePipeline", "EU-activePipeline", "Pipeline-Month", 0.0, INF, 1.0),
        ("TrialPipeline", "EU-trialPipeline", "Pipeline-Month", 0.0, INF, 0.0),
    ]
    s3 = rows(result.set_path, "S3", "eu-west-1")
    assert ("TimedStorage-ByteHrs", "EU-TimedStorage-ByteHrs", "GB-Month", 51200.0, 512000.0, 0.022) in s3
    assert ("Transition-SIA", "EU-Requests-Tier4", "Object", 0.0, INF, 0.00001) in s3  # operation S3-SIATransition
    assert len(s3) == 9
    offers = {(o.service, o.region): o for o in result.offers}
    lambda_offer = offers[("Lambda", "eu-west-1")]
    assert (lambda_offer.version, lambda_offer.publication_date) == ("20261001184746", "2026-10-01")
    assert lambda_offer.unknown_usage_types == ["EU-Lambda-Provisioned-Concurrency"]  # listed, not dropped silently
    assert offers[("S3", "eu-west-1")].unknown_usage_types == ["EU-DataTransfer-Out-Bytes"]
    assert (
        offers[("CodeBuild", "ap-northeast-1")].version,
        offers[("CodeBuild", "ap-northeast-1")].publication_date,
    ) == (
        "20260911124625",
        "2026-09-11",
    )
    assert set(result.not_offered) == {
        ("Lambda", "ap-northeast-1"),
        ("CodePipeline", "ap-northeast-1"),
        ("S3", "ap-northeast-1"),
    }
    manifest = json.loads((result.set_path / "price-set.json").read_text())
    assert {o["url"].rsplit("/", 3)[-3] for o in manifest["offers"]} >= {"20261001184746", "20260911124625"}
    assert all(o["url"].endswith(f"/index.{fmt}") for o in manifest["offers"])


@pytest.mark.parametrize("region", ["us-west-2", "eu-central-1", "ca-central-1"], ids=["404", "truncated", "slow"])
def test_a_failed_refresh_keeps_the_previous_set(server: PriceListServer, cache: Path, region: str) -> None:
    first = refresh(["CodeBuild"], ["eu-west-1"], index_url=server.index_url, settings=FAST).set_path
    assert first is not None
    before = (first / "prices.csv").read_text()
    with pytest.raises(BulkFileError, match=region):
        refresh(["CodeBuild"], ["ap-northeast-1", region], index_url=server.index_url, settings=FAST)
    assert newest_set() == first
    assert (first / "prices.csv").read_text() == before
    assert [p.name for p in (cache / "price-sets").iterdir()] == [first.name]  # no half-written set left


def test_a_refresh_of_other_regions_carries_the_previous_rows(server: PriceListServer, cache: Path) -> None:
    refresh(["CodeBuild"], ["eu-west-1"], index_url=server.index_url, settings=FAST)
    second = refresh(["CodeBuild"], ["ap-northeast-1"], index_url=server.index_url, settings=FAST)
    assert second.carried_rows == 4
    assert second.set_path is not None
    prices = read_set(second.set_path).prices
    assert set(zip(prices["region"], prices["price_version"], strict=True)) == {
        ("eu-west-1", "20261101000000"),
        ("ap-northeast-1", "20260911124625"),
    }


def test_estimates_use_the_newest_set_and_say_which_set_priced_each_line(server: PriceListServer, cache: Path) -> None:
    usage = EXAMPLES / "mid-size-platform.yaml"
    before = estimate(usage, period=NOVEMBER_2026, region="eu-west-1")
    assert not before.complete
    assert set(before.missing_prices["service"]) == {"CodeBuild"}  # no eu-west-1 CodeBuild price ships
    assert set(before.lines["price_set"].dropna()) == {"bundled"}

    refresh(ALL, ["eu-west-1"], index_url=server.index_url, settings=FAST)
    after = estimate(usage, period=NOVEMBER_2026, region="eu-west-1")
    assert after.complete
    assert set(after.lines["price_set"]) == {"refreshed"}
    by_type = after.lines.groupby("usage_type")["cost_usd"].sum()
    assert by_type["Build-Min:Linux:g1.medium"] == pytest.approx(4620 * 0.01)
    assert by_type["Build-Min:Linux:g1.large"] == pytest.approx(2600 * 0.02)
    assert by_type["Build-Min:ARM:g1.small"] == pytest.approx((3360 - 100) * 0.0034)  # 100 free minutes
    assert by_type["Build-Min:Windows:g1.medium"] == pytest.approx(1710 * 0.018)
    lambda_lines = after.lines[after.lines["service"] == "Lambda"]
    assert set(lambda_lines["price_version"]) == {"20261001184746"}
    assert set(lambda_lines["price_date"]) == {"2026-10-01"}

    changed = before.lines[["resource", "usage_type", "price_set"]].merge(
        after.lines[["resource", "usage_type", "price_set"]],
        on=["resource", "usage_type"],
        suffixes=("_before", "_after"),
    )
    was_missing = changed["price_set_before"].isna()
    assert set(changed.loc[was_missing, "usage_type"]) == {
        "Build-Min:ARM:g1.small",
        "Build-Min:Linux:g1.medium",
        "Build-Min:Linux:g1.large",
        "Build-Min:Windows:g1.medium",
    }
    assert (changed.loc[~was_missing, "price_set_before"] == "bundled").all()
    assert (changed["price_set_after"] == "refreshed").all()

    offline = estimate(usage, period=NOVEMBER_2026, region="eu-west-1", pricebook=current_pricebook(offline=True))
    assert set(offline.lines["price_set"].dropna()) == {"bundled"}
    # Other regions keep their bundled prices.
    east = estimate(usage, period=NOVEMBER_2026, region="us-east-1")
    assert set(east.lines["price_set"].dropna()) == {"bundled"}


def test_cli_refresh_then_estimate_prices_every_line(server: PriceListServer, cache: Path) -> None:
    runner = CliRunner()
    refreshed = runner.invoke(app, ["pricing", "refresh", "--regions", "eu-west-1", "--index-url", server.index_url])
    assert refreshed.exit_code == 0, refreshed.stderr
    assert "Lambda eu-west-1: 10 price rows from offer version 20261001184746" in refreshed.stderr
    assert "EU-Lambda-Provisioned-Concurrency" in refreshed.stderr
    out = runner.invoke(
        app, ["estimate", "--usage", str(EXAMPLES / "mid-size-platform.yaml"), "--region", "eu-west-1", "-f", "json"]
    )
    assert out.exit_code == 0
    printed = json.loads(out.stdout)
    assert printed["complete"] is True
    assert {line["price_set"] for line in printed["lines"]} == {"refreshed"}
    offline = runner.invoke(
        app,
        [
            "estimate",
            "--usage",
            str(EXAMPLES / "mid-size-platform.yaml"),
            "--region",
            "eu-west-1",
            "-f",
            "json",
            "--offline",
        ],
    )
    assert json.loads(offline.stdout)["complete"] is False
    assert "costkit pricing refresh --regions eu-west-1" in offline.stderr
    assert "no AWS account" in offline.stderr


def test_cli_failed_refresh_says_nothing_was_written(server: PriceListServer, cache: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["pricing", "refresh", "--regions", "us-west-2", "--services", "CodeBuild", "--index-url", server.index_url],
    )
    assert result.exit_code == 1
    assert "HTTP 404" in result.stderr
    assert "nothing was written" in result.stderr
    assert newest_set() is None


def test_show_and_diff(server: PriceListServer, cache: Path) -> None:
    runner = CliRunner()
    runner.invoke(
        app,
        ["pricing", "refresh", "--regions", "eu-west-1", "--services", "CodeBuild", "--index-url", server.index_url],
    )
    shown = runner.invoke(
        app, ["pricing", "show", "--service", "CodeBuild", "--region", "eu-west-1"], env={"COLUMNS": "200"}
    )
    assert shown.exit_code == 0
    assert "Build-Min:Windows:g1.medium" in shown.stdout
    assert "20261101000000" in shown.stdout
    diffed = runner.invoke(app, ["pricing", "diff", "bundled", "newest"], env={"COLUMNS": "200"})
    assert diffed.exit_code == 0
    assert "4 price(s) differ" in diffed.stderr  # the four eu-west-1 CodeBuild prices, all added


def test_diff_lists_changed_added_and_removed_prices(cache: Path) -> None:
    base = pd.DataFrame(
        {
            "service": "CodeBuild",
            "region": "eu-west-1",
            "usage_type": ["Build-Min:Linux:g1.small", "Build-Min:Linux:g1.medium"],
            "aws_usage_type": ["EU-Build-Min:Linux:g1.small", "EU-Build-Min:Linux:g1.medium"],
            "unit": "Minute",
            "tier_start": 0.0,
            "tier_end": float("nan"),
            "price_usd": [0.005, 0.01],
            "effective_date": "2026-09-01",
            "source": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/CodeBuild/current/eu-west-1/index.json",
            "notes": "",
            "price_version": "1",
            "price_date": "2026-09-01",
        }
    )
    older = read_set(write_set(base, [], {"source": "test"})).prices
    newer_rows = base.assign(price_usd=[0.006, 0.01], price_version="2")
    newer_rows.loc[1, "usage_type"] = "Build-Min:Linux:g1.large"
    newer = read_set(write_set(newer_rows, [], {"source": "test"})).prices
    table = diff(older, newer)
    assert list(
        zip(table["change"], table["usage_type"], table["price_a"].fillna(-1), table["price_b"].fillna(-1), strict=True)
    ) == [
        ("added", "Build-Min:Linux:g1.large", -1, 0.01),
        ("removed", "Build-Min:Linux:g1.medium", 0.01, -1),
        ("changed", "Build-Min:Linux:g1.small", 0.005, 0.006),
    ]


def test_a_service_a_region_lacks_is_not_offered_not_missing(cache: Path) -> None:
    result = estimate(EXAMPLES / "mid-size-platform.yaml", period=NOVEMBER_2026, region="mx-central-1")
    reasons = result.missing_prices.groupby("service")["reason"].first()
    assert reasons["CodePipeline"] == "CodePipeline is not offered in mx-central-1"
    assert reasons["CodeBuild"] == "CodeBuild is not offered in mx-central-1"
    assert not result.missing_prices["reason"].str.contains("--").any()  # the library names no CLI flags
    assert load_pricebook().offered.query("service == 'Lambda' and region == 'mx-central-1'").shape[0] == 1


def test_all_regions_follow_the_region_index_and_csv_reads_the_same(server: PriceListServer, cache: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "pricing",
            "refresh",
            "--all",
            "--services",
            "CodePipeline,S3",
            "--file-format",
            "csv",
            "--index-url",
            server.index_url,
        ],
    )
    assert done.exit_code == 0, done.stderr
    newest = newest_set()
    assert newest is not None
    manifest = json.loads((newest / "price-set.json").read_text())
    assert {(o["service"], o["region"]) for o in manifest["offers"]} == {
        ("CodePipeline", "eu-west-1"),
        ("S3", "eu-west-1"),
    }
    assert all(o["url"].endswith("/eu-west-1/index.csv") for o in manifest["offers"])
    both = runner.invoke(
        app, ["pricing", "refresh", "--all", "--regions", "eu-west-1", "--index-url", server.index_url]
    )
    assert both.exit_code == 2
    assert "--regions or --all" in both.stderr


def test_a_proxy_from_the_environment_is_used_and_a_503_is_retried(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with PriceListServer() as proxy:
        region_index = "/offers/v1.0/aws/CodeBuild/current/region_index.json"
        proxy.behaviour[region_index] = "flaky"  # the first GET answers 503
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.index_url.split(':')[2].split('/')[0]}")
        monkeypatch.setenv("NO_PROXY", "")
        settings = HttpSettings(connect_timeout=2.0, read_timeout=2.0, retries=2, backoff_seconds=0.01)
        index_url = "http://pricing.example.invalid/offers/v1.0/aws/index.json"
        result = refresh(["CodeBuild"], ["eu-west-1"], index_url=index_url, settings=settings)
    assert result.set_path is not None
    assert proxy.requests[0] == index_url  # the proxy was asked for the whole URL
    assert proxy.requests.count(f"http://pricing.example.invalid{region_index}") == 2  # 503, then retried


def test_the_refresh_summary_shows_control_characters_from_an_offer_file_instead_of_sending_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Offer files are third-party text: an ESC in a usage type must not reach the terminal."""
    from costkit.cli.pricing import _summary
    from costkit.pricing.offers import ParsedOffer
    from costkit.pricing.refresh import RefreshResult

    offer = ParsedOffer(
        "AWSLambda", "eu-west-1", "http://127.0.0.1/x.json", "v\x1b[2J", "2026-09-01", pd.DataFrame(),
        unknown_usage_types=["EU-Evil\x1b]8;;https://evil\x07x"], problems=["row 3: \x1b[31mred"],
    )  # fmt: skip
    _summary(RefreshResult(set_path=None, offers=[offer]))
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert "\x07" not in err
    for shown in ("v\\x1b[2J", "EU-Evil\\x1b]8;;https://evil\\x07x", "row 3: \\x1b[31mred"):
        assert shown in err
