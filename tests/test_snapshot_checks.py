"""Snapshots are checked as they are read: a broken one is refused (exit 2, naming the file, table and column),
impossible rows are left out and flagged, and a flagged estimate is never `complete: true`.

Each test corrupts a copy of the demo snapshot for October 2026 (tests/test_demo.py works out its bill by
hand). The builds changed here are web-app-build's pipeline builds: general1.medium, $0.01 per minute, no
free tier, each 330 s billed as 6 minutes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.sources.snapshot.folder import write

OCTOBER = Window.month(2026, 10)
MEDIUM_PER_MINUTE = 0.01
runner = CliRunner()


@pytest.fixture(scope="module")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with fake_account(OCTOBER) as session:
        snapshot = collect(session, CollectOptions(window=OCTOBER, regions=["us-east-1", "ap-northeast-1"]))
    return write(snapshot, tmp_path_factory.mktemp("clean") / "snapshot")


@pytest.fixture(scope="module")
def clean(clean_dir: Path) -> dict[str, Any]:
    return estimate(clean_dir)


@pytest.fixture
def snap(clean_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(clean_dir, tmp_path / "snapshot"))


def estimate(directory: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["estimate", "--snapshot", str(directory), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def refused(directory: Path) -> str:
    result = runner.invoke(app, ["estimate", "--snapshot", str(directory), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return " ".join(result.stderr.split())


def edit_manifest(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def edit_table(directory: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = directory / f"{name}.parquet"
    change(pd.read_parquet(path)).to_parquet(path, index=False)


def medium_builds(frame: pd.DataFrame) -> pd.Series:
    return (frame["project"] == "web-app-build") & frame["initiator"].str.startswith("codepipeline/")


def flagged(result: dict[str, Any], kind: str) -> dict[str, Any]:
    assert result["complete"] is False
    (problem,) = [p for p in result["data_quality"] if p["kind"] == kind]
    assert problem["message"] in {a["text"] for a in result["assumptions"]}
    return problem  # type: ignore[no-any-return]


# -- refused ---------------------------------------------------------------------------------------------------


def test_corrupt_manifest_json(snap: Path) -> None:
    (snap / "manifest.json").write_text('{"format_version": 1, "window": ')
    err = refused(snap)
    assert "manifest.json: is not valid JSON: line 1" in err
    assert "collect the snapshot again" in err


def test_manifest_that_is_not_an_object(snap: Path) -> None:
    (snap / "manifest.json").write_text("[1, 2]")
    assert "manifest.json: must be a JSON object, not list" in refused(snap)


@pytest.mark.parametrize("version", [2, None, "1", True])
def test_unknown_format_version(snap: Path, version: object) -> None:
    edit_manifest(snap, lambda m: m.update(format_version=version))
    assert f"manifest.json: format_version {version!r} is not one this costkit reads (1)" in refused(snap)


def test_window_that_starts_after_it_ends(snap: Path) -> None:
    edit_manifest(snap, lambda m: m.update(window={"start": "2026-11-01T00:00:00+00:00", "end": "2026-10-01"}))
    assert "manifest.json: window starts (2026-11-01 00:00:00+00:00) at or after it ends" in refused(snap)


@pytest.mark.parametrize("start", ["2026-02-30T00:00:00Z", "yesterday", None, 5])
def test_window_that_is_not_a_timestamp(snap: Path, start: object) -> None:
    edit_manifest(snap, lambda m: m["window"].update(start=start))
    assert "manifest.json: window.start" in refused(snap)


def test_listed_table_whose_file_is_missing(snap: Path) -> None:
    (snap / "builds.parquet").unlink()
    assert "builds.parquet: table builds is listed in the manifest but its file is missing" in refused(snap)


@pytest.mark.parametrize("name", ["../clean/builds", "/etc/passwd", "sub/builds", "Builds", ""])
def test_table_names_that_are_paths(snap: Path, name: str) -> None:
    edit_manifest(snap, lambda m: m["tables"].append(name))
    err = refused(snap)
    assert f"table name {name!r} is not allowed" in err


def test_table_that_links_outside_the_snapshot(snap: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.parquet"
    shutil.move(snap / "builds.parquet", outside)
    (snap / "builds.parquet").symlink_to(outside)
    assert "builds.parquet: table builds is not a regular file inside the snapshot folder" in refused(snap)


def test_corrupt_parquet(snap: Path) -> None:
    (snap / "action_executions.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    assert "action_executions.parquet: is not a readable Parquet table" in refused(snap)


def test_truncated_parquet(snap: Path) -> None:
    path = snap / "builds.parquet"
    path.write_bytes(path.read_bytes()[:500])
    assert "builds.parquet: is not a readable Parquet table" in refused(snap)


def test_missing_column(snap: Path) -> None:
    edit_table(snap, "builds", lambda f: f.drop(columns=["billed_start"]))
    assert "builds.parquet: table builds has no column billed_start" in refused(snap)


def test_wrong_dtype(snap: Path) -> None:
    edit_table(snap, "builds", lambda f: f.assign(end=f["end"].astype(str)))
    assert "builds.parquet: table builds, column end holds str values, not time" in refused(snap)


def test_numbers_stored_as_text(snap: Path) -> None:
    edit_table(snap, "function_metrics", lambda f: f.assign(invocations=f["invocations"].astype(str)))
    assert "table function_metrics, column invocations holds" in refused(snap)


def test_account_ids_that_are_not_twelve_digits(snap: Path) -> None:
    # An octal-mangled id is a different account with its own free tier.
    edit_table(snap, "builds", lambda f: f.assign(account=f["account"].where(~medium_builds(f), "12345678901")))
    err = refused(snap)
    assert "builds.parquet: table builds, column account: 120 row(s) are not a 12-digit account id" in err


# -- flagged: rows left out, the estimate is not complete --------------------------------------------------------


def test_duplicate_build_ids_are_counted_once(snap: Path, clean: dict[str, Any]) -> None:
    edit_table(snap, "builds", lambda f: pd.concat([f, f[medium_builds(f)].head(7)], ignore_index=True))
    result = estimate(snap)
    problem = flagged(result, "duplicate-id")
    assert (problem["table"], problem["column"], problem["rows"]) == ("builds", "build_id", 7)
    assert result["total_usd"] == pytest.approx(clean["total_usd"])


def test_duplicate_action_executions(snap: Path, clean: dict[str, Any]) -> None:
    edit_table(snap, "action_executions", lambda f: pd.concat([f, f.head(3)], ignore_index=True))
    assert flagged(estimate(snap), "duplicate-id")["rows"] == 3


def test_a_build_that_ends_before_it_starts(snap: Path, clean: dict[str, Any]) -> None:
    def backwards(frame: pd.DataFrame) -> pd.DataFrame:
        first = medium_builds(frame).idxmax()
        frame.loc[first, "end"] = frame.loc[first, "start"] - pd.Timedelta(minutes=5)
        return frame

    edit_table(snap, "builds", backwards)
    result = estimate(snap)
    assert flagged(result, "negative-duration")["rows"] == 1
    # The build is left out: 6 billed minutes at $0.01 fewer.
    assert result["by_service"]["CodeBuild"] == pytest.approx(clean["by_service"]["CodeBuild"] - 6 * MEDIUM_PER_MINUTE)


def test_a_build_longer_than_36_hours(snap: Path, clean: dict[str, Any]) -> None:
    def forever(frame: pd.DataFrame) -> pd.DataFrame:
        first = medium_builds(frame).idxmax()
        frame.loc[first, "end"] = frame.loc[first, "billed_start"] + pd.Timedelta(hours=36, seconds=1)
        return frame

    edit_table(snap, "builds", forever)
    result = estimate(snap)
    problem = flagged(result, "build-too-long")
    assert "36-hour maximum" in problem["message"]
    assert result["by_service"]["CodeBuild"] == pytest.approx(clean["by_service"]["CodeBuild"] - 6 * MEDIUM_PER_MINUTE)


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_impossible_invocations(snap: Path, value: float) -> None:
    edit_table(snap, "function_metrics", lambda f: f.assign(invocations=value))
    problem = flagged(estimate(snap), "bad-number")
    assert (problem["table"], problem["column"], problem["rows"]) == ("function_metrics", "invocations", 1)
    assert "negative, NaN or infinite" in problem["message"]


def test_negative_bytes_and_phase_seconds(snap: Path) -> None:
    edit_table(snap, "bucket_storage", lambda f: f.assign(avg_bytes=-f["avg_bytes"]))
    edit_table(snap, "builds", lambda f: f.assign(build_s=f["build_s"].where(~medium_builds(f), -1)))
    result = estimate(snap)
    columns = {(p["table"], p["column"]) for p in result["data_quality"] if p["kind"] == "bad-number"}
    assert columns == {("bucket_storage", "avg_bytes"), ("builds", "build_s")}
    assert result["by_service"]["S3"] < 0.01  # the storage rows are left out; only requests remain


def test_runs_outside_the_window(snap: Path, clean: dict[str, Any]) -> None:
    def in_march(frame: pd.DataFrame) -> pd.DataFrame:
        moved = medium_builds(frame) & (medium_builds(frame).cumsum() <= 60)  # 60 of its 120 builds
        shift = pd.Timestamp("2026-03-01", tz="UTC") - pd.Timestamp("2026-10-01", tz="UTC")
        for column in ("start", "end", "billed_start", "provisioning_start"):
            frame.loc[moved, column] = frame.loc[moved, column] + shift
        return frame

    edit_table(snap, "builds", in_march)
    result = estimate(snap)
    problem = flagged(result, "outside-window")
    assert problem["rows"] == 60
    assert result["by_service"]["CodeBuild"] == pytest.approx(
        clean["by_service"]["CodeBuild"] - 60 * 6 * MEDIUM_PER_MINUTE
    )


def test_a_window_that_does_not_match_the_data(snap: Path) -> None:
    edit_manifest(
        snap, lambda m: m.update(window={"start": "2026-03-01T00:00:00+00:00", "end": "2026-04-01T00:00:00Z"})
    )
    result = estimate(snap)
    tables = {p["table"] for p in result["data_quality"] if p["kind"] == "outside-window"}
    assert tables == {"builds", "pipeline_executions", "action_executions"}


def test_a_window_ending_after_the_collection(snap: Path) -> None:
    edit_manifest(snap, lambda m: m.update(created="2026-10-20T00:00:00+00:00"))
    assert "after the snapshot was created" in flagged(estimate(snap), "window-after-creation")["message"]


def test_a_table_present_but_not_listed(snap: Path) -> None:
    shutil.copy(snap / "builds.parquet", snap / "builds_old.parquet")
    problem = flagged(estimate(snap), "unlisted-table")
    assert problem["table"] == "builds_old"
    assert "not listed in the manifest, so not read" in problem["message"]


def test_flags_fail_a_strict_gate_and_show_in_the_table(snap: Path) -> None:
    edit_table(snap, "builds", lambda f: pd.concat([f, f.head(1)], ignore_index=True))
    gated = runner.invoke(app, ["estimate", "--snapshot", str(snap), "--strict"])
    assert gated.exit_code == 4, gated.output
    assert "1 data-quality problem(s) in the snapshot" in gated.stderr
    assert "duplicates of an earlier row's id" in " ".join(gated.stdout.split())


def test_the_clean_snapshot_has_no_problems(clean: dict[str, Any]) -> None:
    assert clean["complete"] is True
    assert clean["data_quality"] == []
