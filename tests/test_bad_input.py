"""Bad input exits 2 with one clear message (file, field, what is allowed) and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from costkit.cli import app

runner = CliRunner()


def fails(tmp_path: Path, text: str | None, *extra: str, name: str = "usage.yaml") -> str:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    result = runner.invoke(app, ["estimate", "--usage", str(path), *extra])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return " ".join(result.stderr.split())


def test_malformed_yaml(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\npipelines:\n  web: {type: V2\n")
    assert "usage.yaml: line" in err
    assert "not valid YAML" in err


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in fails(tmp_path, "")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "adir").mkdir()
    assert "is a directory" in fails(tmp_path, None, name="adir")


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in fails(tmp_path, None, name="nope.yaml")


def test_not_a_mapping(tmp_path: Path) -> None:
    assert "must be a mapping" in fails(tmp_path, "- 1\n- 2\n")


def test_missing_version(tmp_path: Path) -> None:
    assert "version: is missing" in fails(tmp_path, "region: us-east-1\n")


def test_wrong_type_names_the_field(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\npipelines:\n  web: {type: V2, executions_per_month: lots}\n")
    assert "pipelines.web.executions_per_month" in err
    assert "'lots'" in err


def test_negative_number(tmp_path: Path) -> None:
    err = fails(
        tmp_path,
        "version: 1\ncodebuild:\n"
        "  b: {compute_type: BUILD_GENERAL1_SMALL, builds_per_month: -5, minutes_per_build: 2}\n",
    )
    assert "codebuild.b.builds_per_month" in err
    assert "greater than or equal to 0" in err


def test_nested_list_path(tmp_path: Path) -> None:
    text = "version: 1\npipelines:\n  web:\n    type: V2\n    executions_per_month: 3\n    actions:\n"
    text += "      - {name: A, category: Build, minutes: 1}\n      - {name: B, category: Bild, minutes: 1}\n"
    err = fails(tmp_path, text)
    assert "pipelines.web.actions[1].category" in err
    assert "'Bild' is not allowed" in err


def test_unknown_field_suggests_the_right_one(tmp_path: Path) -> None:
    err = fails(
        tmp_path,
        "version: 1\nlambda:\n  f: {memory_mb: 128, requests_per_month: 1, duration_ms: 5, archtecture: arm64}\n",
    )
    assert "lambda.f.archtecture: is not a known field" in err
    assert "did you mean `architecture`?" in err


def test_unknown_top_level_section(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\ncodebuilds: {}\n")
    assert "did you mean `codebuild`?" in err


def test_unknown_compute_type(tmp_path: Path) -> None:
    err = fails(
        tmp_path,
        "version: 1\ncodebuild:\n  b: {compute_type: BUILD_GENERAL1_HUGE, builds_per_month: 5, minutes_per_build: 2}\n",
    )
    assert "codebuild.b.compute_type" in err
    assert "BUILD_GENERAL1_SMALL" in err


def test_compute_type_that_cannot_run_on_the_environment(tmp_path: Path) -> None:
    err = fails(
        tmp_path,
        "version: 1\ncodebuild:\n"
        "  b: {compute_type: BUILD_GENERAL1_SMALL, environment_type: WINDOWS_SERVER_2019_CONTAINER,"
        " builds_per_month: 5, minutes_per_build: 2}\n",
    )
    assert "codebuild.b.environment_type" in err


def test_unknown_region(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\nregion: us-east-9\n")
    assert "region: 'us-east-9' is not an AWS region" in err
    assert "did you mean" in err


def test_unknown_region_option(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\n", "--region", "eu-wets-1")
    assert "--region 'eu-wets-1'" in err


def test_wrong_version(tmp_path: Path) -> None:
    assert "version: 2 is not allowed" in fails(tmp_path, "version: 2\n")


def test_codebuild_needs_one_way_of_giving_minutes(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\ncodebuild:\n  b: {compute_type: BUILD_GENERAL1_SMALL, builds_per_month: 5}\n")
    assert "codebuild.b: needs builds_per_month and minutes_per_build" in err


def test_bad_month(tmp_path: Path) -> None:
    assert "--month" in fails(tmp_path, "version: 1\n", "--month", "November")


@pytest.mark.parametrize("storage_class", ["STANDARD"])
def test_transitions_into_standard_are_rejected(tmp_path: Path, storage_class: str) -> None:
    err = fails(
        tmp_path, f"version: 1\ns3:\n  b: {{storage_class: {storage_class}, lifecycle_transitions_per_month: 5}}\n"
    )
    assert "s3.b" in err
    assert "never a transition destination" in err


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    text = "version: 1\npipelines:\n  p: {type: V1}\n  p: {type: V1, active: false}\n"
    err = fails(tmp_path, text)
    assert "duplicate key 'p'" in err
    assert "line 4" in err


def test_pipeline_type_is_checked_with_its_allowed_values(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\npipelines:\n  p: {type: v2, executions_per_month: 5}\n")
    assert "pipelines.p.type: 'v2' is not allowed; expected 'V1', 'V2'" in err
    err = fails(tmp_path, "version: 1\npipelines:\n  p: {executions_per_month: 5}\n")
    assert "pipelines.p.type: is required (V1 or V2)" in err


def test_v2_pipeline_needs_actions(tmp_path: Path) -> None:
    assert "pipelines.p.actions" in fails(
        tmp_path, "version: 1\npipelines:\n  p: {type: V2, executions_per_month: 5}\n"
    )


def test_infinite_and_absurd_numbers_are_refused(tmp_path: Path) -> None:
    err = fails(tmp_path, "version: 1\nlambda: {f: {memory_mb: 128, requests_per_month: .inf, duration_ms: 10}}\n")
    assert "lambda.f.requests_per_month" in err
    err = fails(tmp_path, "version: 1\nlambda: {f: {memory_mb: 128, requests_per_month: 1.0e+200, duration_ms: 10}}\n")
    assert "lambda.f.requests_per_month" in err


def test_unknown_pipeline_reference(tmp_path: Path) -> None:
    text = (
        "version: 1\npipelines:\n  web: {type: V1}\n"
        "lambda:\n  f: {memory_mb: 128, requests_per_month: 1, duration_ms: 5, pipeline: wbe}\n"
    )
    err = fails(tmp_path, text)
    assert "lambda.f.pipeline: 'wbe' is not a pipeline in this file" in err
    assert "did you mean `web`?" in err


def test_empty_sections_and_numeric_account_ids_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text("version: 1\naccount: 111111111111\npipelines:\ncodebuild:\n")
    result = runner.invoke(app, ["estimate", "--usage", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
