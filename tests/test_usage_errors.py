"""Every invalid field of a usage file in one error (as pypa/packaging collects metadata errors): the library
lists them in `UsageFileError.problems`, the CLI prints them all and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from costkit import UsageFileError, load_usage
from costkit.cli import app

THREE_WRONG = {
    "version": 1,
    "pipelines": {"web": {"type": "V2", "executions_per_month": "lots",
                          "actions": [{"name": "Build", "category": "Bild", "minutes": 3}]}},
    "lambda": {"f": {"memory_mb": 128, "requests_per_month": 1, "duration_ms": 5, "archtecture": "arm64"}},
}  # fmt: skip


def test_every_schema_error_is_reported_at_once() -> None:
    with pytest.raises(UsageFileError) as raised:
        load_usage(THREE_WRONG)
    fields = [problem.field for problem in raised.value.problems]
    assert fields == ["pipelines.web.executions_per_month", "pipelines.web.actions[0].category", "lambda.f.archtecture"]
    message = str(raised.value)
    assert message.startswith("<dict>: 3 problems")
    assert "'lots'" in message
    assert "'Bild' is not allowed" in message
    assert "did you mean `architecture`?" in message


def test_every_unknown_region_pipeline_and_compute_type_is_reported_at_once() -> None:
    usage = {
        "version": 1,
        "region": "us-esat-1",
        "codebuild": {"b": {"compute_type": "BUILD_GENERAL1_SMAL", "build_minutes_per_month": 1, "pipeline": "wbe"}},
        "s3": {"a": {"storage_gb": 1, "region": "eu-wset-1"}},
    }
    with pytest.raises(UsageFileError) as raised:
        load_usage(usage)
    assert [problem.field for problem in raised.value.problems] == [
        "region", "s3.a.region", "codebuild.b.pipeline", "codebuild.b.compute_type",
    ]  # fmt: skip
    assert "did you mean `eu-west-1`?" in str(raised.value)  # for eu-wset-1


def test_one_error_reads_as_before() -> None:
    with pytest.raises(UsageFileError) as raised:
        load_usage({"region": "us-east-1"})
    assert str(raised.value) == "<dict>: version: is missing\n  hint: add `version: 1` at the top"


def test_the_cli_prints_them_all_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(
        "version: 1\npipelines:\n  web: {type: V2, executions_per_month: lots, actions: [{name: B, category: Bild, "
        "minutes: 3}]}\nlambda:\n  f: {memory_mb: 128, requests_per_month: 1, duration_ms: 5, archtecture: arm64}\n"
    )
    result = CliRunner().invoke(app, ["estimate", "--usage", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for field in ("pipelines.web.executions_per_month", "pipelines.web.actions[0].category", "lambda.f.archtecture"):
        assert field in result.stderr


def test_schema_and_table_errors_come_together() -> None:
    with pytest.raises(UsageFileError) as raised:
        load_usage({**THREE_WRONG, "region": "eu-wset-1"})
    assert [problem.field for problem in raised.value.problems][-1] == "region"
    assert len(raised.value.problems) == 4
