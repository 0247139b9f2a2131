"""`--redact` masks account ids and ARNs in all that is printed and written; no number changes (issue #7, class 6)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from costkit.cli import app
from costkit.cli.collect_support import summary
from costkit.present import redact
from costkit.sources.snapshot.folder import Snapshot

runner = CliRunner()
PAYER, MEMBER = "123456789012", "210987654321"


def mask(account_id: str) -> str:
    """By hand: `printf 123456789012 | sha256sum`, first 8 hex digits."""
    return "acct-" + hashlib.sha256(account_id.encode()).hexdigest()[:8]


def usage(tmp_path: Path) -> Path:
    path = tmp_path / "usage.yaml"
    path.write_text(
        f"""version: 1
region: us-east-1
account: "{PAYER}"
free_tier: false
codebuild:
  build-{MEMBER}: {{account: "{MEMBER}", compute_type: BUILD_GENERAL1_SMALL, environment_type: LINUX_CONTAINER,
                   builds_per_month: 100, minutes_per_build: 3}}
s3:
  codepipeline-us-east-1-{PAYER}: {{storage_gb: 100, storage_class: STANDARD}}
"""
    )
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_masks_by_hand() -> None:
    assert redact.account(PAYER) == "acct-2a33349e"  # printf 123456789012 | sha256sum -> 2a33349e...
    assert redact.account(PAYER) != redact.account(MEMBER)
    message = (
        f"User: arn:aws:sts::{PAYER}:assumed-role/Deploy/alice@example.com is not authorized to perform: "
        f"codepipeline:ListPipelines on resource: arn:aws:codepipeline:us-east-1:{MEMBER}:*."
    )
    assert redact.text(message) == (
        "User: arn:aws:sts::acct-2a33349e:assumed-role/*** is not authorized to perform: "
        f"codepipeline:ListPipelines on resource: arn:aws:codepipeline:us-east-1:{mask(MEMBER)}:*."
    )
    assert redact.text(f"(arn:aws:iam::{MEMBER}:role/OrgAccess)") == f"(arn:aws:iam::{mask(MEMBER)}:role/***)"
    assert redact.text("arn:aws:s3:::my-bucket 1234567890123 12345") == "arn:aws:s3:::my-bucket 1234567890123 12345"


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_estimate_output_is_masked(tmp_path: Path, fmt: str) -> None:
    code, out, err = invoke("estimate", "-u", str(usage(tmp_path)), "-f", fmt, "--redact")
    assert code == 0, err
    assert PAYER not in out
    assert MEMBER not in out
    assert mask(PAYER) in out
    assert f"codepipeline-us-east-1-{mask(PAYER)}" in out or fmt == "table"  # the table folds long names


def test_json_accounts_are_masked_and_numbers_unchanged(tmp_path: Path) -> None:
    _, plain, _ = invoke("estimate", "-u", str(usage(tmp_path)), "-f", "json")
    code, masked, _ = invoke("estimate", "-u", str(usage(tmp_path)), "-f", "json", "--redact")
    assert code == 0
    before, after = json.loads(plain), json.loads(masked)
    assert {line["account"] for line in after["lines"]} == {mask(PAYER), mask(MEMBER)}
    assert {row["account"] for row in after["by_pipeline"]} == {mask(PAYER), mask(MEMBER)}
    # 100 GB x $0.023 + 100 builds x 3 min x $0.005: the totals do not move
    assert after["total_usd"] == before["total_usd"] == pytest.approx(100 * 0.023 + 100 * 3 * 0.005)
    assert [line["cost_usd"] for line in after["lines"]] == [line["cost_usd"] for line in before["lines"]]


def test_suggest_and_output_file_are_masked(tmp_path: Path) -> None:
    target = tmp_path / "suggest.md"
    code, _, err = invoke("suggest", "-u", str(usage(tmp_path)), "-f", "markdown", "-o", str(target), "--redact")
    assert code == 0, err
    written = target.read_text()
    assert "Arm" in written  # the x86 project has a suggestion, and it names the project
    assert MEMBER not in written
    assert PAYER not in written
    assert mask(MEMBER) in written


def test_environment_switch_and_error_messages(tmp_path: Path) -> None:
    missing = tmp_path / PAYER / "usage.yaml"
    code, _, err = invoke("estimate", "-u", str(missing), env={"COSTKIT_REDACT": "1"})
    assert code == 2
    assert PAYER not in err
    assert mask(PAYER) in err
    code, _, err = invoke("estimate", "-u", str(missing))
    assert PAYER in err  # without --redact the message is exact


def test_collect_summary_masks_and_escapes_aws_failures() -> None:
    snapshot = Snapshot(
        tables={},
        manifest={
            "calls": {"ListPipelines": 1},
            "failures": [
                {
                    "account": MEMBER,
                    "region": "eu-west-1",
                    "service": "codebuild",
                    "error": "AccessDenied",
                    "message": f"User: arn:aws:sts::{PAYER}:assumed-role/Audit/bob [/x][link=https://evil.example]x",
                }
            ],
        },
    )
    for redacting in (True, False):
        console = Console(record=True, width=300, force_terminal=False)
        summary(snapshot, console, redact=redacting)
        shown = console.export_text()
        assert "[/x][link=https://evil.example]x" in shown  # markup from AWS is text, and does not crash
        assert (PAYER in shown, MEMBER in shown) == (not redacting, not redacting)
        assert ("assumed-role/***" in shown) == redacting


def test_progress_line_masks_the_account_it_collects() -> None:
    from costkit.cli.collect_support import Bar

    for redacting in (True, False):
        bar = Bar(Console(file=io.StringIO()), redact=redacting)
        bar.advance(f"{PAYER} eu-west-1")
        description = bar._progress.tasks[0].description
        assert description == f"collected {mask(PAYER) if redacting else PAYER} eu-west-1"
