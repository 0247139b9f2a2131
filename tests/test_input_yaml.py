"""Usage files are read with YAML 1.2 core-schema typing, bounded in size, and refused clearly when odd.

Prices: CodeBuild us-east-1 general1.small $0.005/min (6,000 free seconds = 100 minutes per account),
general1.medium $0.01/min (no free tier).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.sources.usage_file.yaml_core import MAX_BYTES

runner = CliRunner()


def refused(path: Path, text: str | None = None) -> str:
    """Run `estimate --usage path`: exit 2, nothing on stdout, no traceback; the message, one line."""
    if text is not None:
        path.write_text(text)
    result = runner.invoke(app, ["estimate", "--usage", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return " ".join(result.stderr.split())


def priced(path: Path, text: str) -> dict:
    path.write_text(text)
    result = runner.invoke(app, ["estimate", "--usage", str(path), "--format", "json", "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_sexagesimal_minutes_are_refused_naming_the_field(tmp_path: Path) -> None:
    text = (
        "version: 1\npipelines:\n"
        "  web: {type: V2, executions_per_month: 10, actions: [{name: B, category: Build, minutes: 1:30}]}\n"
    )
    err = refused(tmp_path / "u.yaml", text)
    assert "pipelines.web.actions[0].minutes" in err
    assert "'1:30'" in err
    assert "base 60" in err


def test_a_leading_zero_number_is_refused_not_read_as_octal(tmp_path: Path) -> None:
    err = refused(
        tmp_path / "u.yaml",
        "version: 1\ncodebuild:\n  b: {compute_type: BUILD_GENERAL1_SMALL, build_minutes_per_month: 0100}\n",
    )
    assert "codebuild.b.build_minutes_per_month" in err
    assert "'0100'" in err
    assert "leading zero" in err


def test_an_unquoted_account_id_with_a_leading_zero_is_one_account(tmp_path: Path) -> None:
    # Top-level account unquoted, one project naming it quoted: one account, one 100-minute free tier.
    text = (
        "version: 1\naccount: 012345670123\ncodebuild:\n"
        "  a: {compute_type: BUILD_GENERAL1_SMALL, build_minutes_per_month: 100}\n"
        "  b: {compute_type: BUILD_GENERAL1_SMALL, build_minutes_per_month: 100, account: '012345670123'}\n"
    )
    result = priced(tmp_path / "u.yaml", text)
    assert {line["account"] for line in result["lines"]} == {"012345670123"}
    assert result["by_service"]["CodeBuild"] == pytest.approx((200 - 100) * 0.005)


@pytest.mark.parametrize("account", ["12345", "1234567890123", "prod", "0123-4567-8901"])
def test_an_account_id_must_be_twelve_digits(tmp_path: Path, account: str) -> None:
    err = refused(tmp_path / "u.yaml", f"version: 1\naccount: {account}\n")
    assert "account:" in err
    assert "12 digits" in err


def test_merge_keys_work_and_explicit_keys_override(tmp_path: Path) -> None:
    text = (
        "version: 1\ncodebuild:\n"
        "  a: &build {compute_type: BUILD_GENERAL1_MEDIUM, builds_per_month: 10, minutes_per_build: 2}\n"
        "  c:\n    <<: *build\n    minutes_per_build: 4\n"
    )
    result = priced(tmp_path / "u.yaml", text)
    assert result["by_service"]["CodeBuild"] == pytest.approx((10 * 2 + 10 * 4) * 0.01)


def test_duplicate_keys_are_still_refused_next_to_a_merge(tmp_path: Path) -> None:
    text = (
        "version: 1\ncodebuild:\n"
        "  a: &build {compute_type: BUILD_GENERAL1_MEDIUM, builds_per_month: 10, minutes_per_build: 2}\n"
        "  c:\n    <<: *build\n    minutes_per_build: 4\n    minutes_per_build: 5\n"
    )
    err = refused(tmp_path / "u.yaml", text)
    assert "line 7, column 5" in err
    assert "duplicate key 'minutes_per_build' (first at line 6)" in err


@pytest.mark.parametrize("word", ["yes", "on", "Off", "y"])
def test_yaml_1_1_booleans_are_text(tmp_path: Path, word: str) -> None:
    err = refused(tmp_path / "u.yaml", f"version: 1\nfree_tier: {word}\n")
    assert "free_tier" in err
    assert repr(word) in err


def test_yaml_1_2_numbers_and_booleans_are_read(tmp_path: Path) -> None:
    # 1e2 and 0x64 are 100 in YAML 1.2; True is a boolean.
    text = (
        "version: 1\nfree_tier: True\ncodebuild:\n"
        "  a: {compute_type: BUILD_GENERAL1_MEDIUM, build_minutes_per_month: 1e2}\n"
        "  b: {compute_type: BUILD_GENERAL1_MEDIUM, build_minutes_per_month: 0x64}\n"
    )
    assert priced(tmp_path / "u.yaml", text)["by_service"]["CodeBuild"] == pytest.approx(200 * 0.01)


@pytest.mark.parametrize("created", ["2026-02-30", "2026-13-01", "0000-01-01", "'1 March 2026'"])
def test_an_impossible_created_date_names_the_field(tmp_path: Path, created: str) -> None:
    err = refused(tmp_path / "u.yaml", f"version: 1\npipelines:\n  p: {{type: V1, created: {created}}}\n")
    assert "pipelines.p.created" in err
    assert "is not a real date" in err


@pytest.mark.parametrize("value", ["!!int 08", "!!timestamp 2026-02-30", "!!float abc", "!!binary 'a'"])
def test_explicit_tags_that_cannot_be_built_are_refused(tmp_path: Path, value: str) -> None:
    assert "is not valid YAML" in refused(tmp_path / "u.yaml", f"version: 1\nregion: {value}\n")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    err = refused(tmp_path / "u.yaml", "version: 1\nregion: !!python/object/apply:os.system ['true']\n")
    assert "is not valid YAML" in err


def test_an_alias_bomb_is_refused_quickly_without_echoing_it(tmp_path: Path) -> None:
    text = "version: 1\nregion: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for level in range(1, 10):
        text += f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]\n"
    began = time.monotonic()
    err = refused(tmp_path / "bomb.yaml", text)
    assert time.monotonic() - began < 10
    assert "bomb.yaml" in err
    assert "expands to more than 2,000,000 YAML values" in err
    assert "lol" not in err


def test_a_large_value_is_not_echoed_in_full(tmp_path: Path) -> None:
    text = "version: 1\nregion: &r [" + ", ".join(["x"] * 5000) + "]\naccount: *r\n"
    err = refused(tmp_path / "u.yaml", text)
    assert len(err) < 400


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    assert "is not valid YAML" in refused(tmp_path / "u.yaml", "version: 1\nregion: &a [*a]\n")


def test_dev_zero_is_refused() -> None:
    err = refused(Path("/dev/zero"))
    assert "/dev/zero: is not a regular file" in err


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "usage.yaml"
    os.mkfifo(fifo)
    assert "is not a regular file" in refused(fifo)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk used
    err = refused(big)
    assert "big.yaml: is 10,485,761 bytes" in err
    assert "at most 10 MiB" in err


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "u.yaml"
    path.write_bytes(b"version: 1\nregion: \xff\xfe\n")
    assert "is not UTF-8 text" in refused(path)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    assert "is not valid YAML" in refused(tmp_path / "u.yaml", "version: 1\nregion: " + "[" * 100_000 + "\n")
