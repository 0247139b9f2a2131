"""`costkit report` as a user runs it: on the demo account's October 2026 snapshot (collected offline by the
real collectors), writing every file into a folder costkit owns, posting the summary to a loopback "Slack".

The demo's Cost Explorer bill for October (costkit/collect/fake_account.py ACTUALS): CodePipeline $2.38,
CodeBuild $7.29 + $0.44, Lambda $0.00, S3 $1.16.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

from costkit.cli import app
from costkit.cli.report import post_slack
from costkit.collect.context import Window
from costkit.collect.fake_account import fake_account
from costkit.collect.run import CollectOptions, collect
from costkit.errors import CostkitError
from costkit.report import build_report
from costkit.sources.snapshot.folder import write

OCTOBER = Window.month(2026, 10)
SCHEMA = Path(__file__).parent.parent / "docs" / "report.schema.json"
ALL_FILES = {"report.html", "report.md", "summary.md", "lines.csv", "report.json", "focus.csv", ".costkit-report"}
BILL_USD = 2.38 + 7.29 + 0.44 + 0.00 + 1.16  # $11.27


@pytest.fixture(scope="module")
def october(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with fake_account(OCTOBER) as session:
        snapshot = collect(
            session, CollectOptions(window=OCTOBER, regions=["us-east-1", "ap-northeast-1"], cache_dir=None)
        )
    return write(snapshot, tmp_path_factory.mktemp("demo") / "2026-10")


def _report(*args: str) -> Any:
    return CliRunner().invoke(app, ["report", "--month", "2026-10", *args])


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def slack() -> Iterator[tuple[str, type[_Hook]]]:
    _Hook.received, _Hook.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret-token", _Hook
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def written(
    october: Path, tmp_path_factory: pytest.TempPathFactory, slack: tuple[str, type[_Hook]]
) -> tuple[Path, Any]:
    """One full run, as a user would type it: every format, a budgets file (October's budget $5), the summary
    posted to a loopback webhook."""
    base = tmp_path_factory.mktemp("report")
    budgets = base / "budgets.yaml"
    budgets.write_text("default: 1000\nmonths:\n  2026-10: 5\n")
    out = base / "out"
    result = _report("--snapshot", str(october), "--out", str(out), "--budgets", str(budgets), "--post-slack", slack[0])
    return out, result


def test_the_report_writes_every_file_and_report_json_is_the_library_report(
    october: Path, written: tuple[Path, Any]
) -> None:
    out, _ = written
    assert {path.name for path in out.iterdir()} == ALL_FILES
    report = json.loads((out / "report.json").read_text())
    assert report == json.loads(json.dumps(build_report("2026-10", snapshot=october, budget_usd=5).to_dict()))
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    focus = pd.read_csv(out / "focus.csv")
    assert focus["BilledCost"].sum() == pytest.approx(BILL_USD)
    assert focus.loc[focus["x_CostSource"] != "actual-only", "ListCost"].sum() == pytest.approx(report["total_usd"])
    lines = pd.read_csv(out / "lines.csv")
    assert lines["cost_usd"].sum() == pytest.approx(report["total_usd"])
    assert "CI/CD cost report: 2026-10" in (out / "report.html").read_text()
    summary = (out / "summary.md").read_text()
    assert summary.startswith("*CI/CD cost, 2026-10*")
    assert len(summary.splitlines()) <= 10


def test_a_budgets_file_gives_the_month_its_own_budget_and_over_it_exits_3(written: tuple[Path, Any]) -> None:
    out, result = written
    assert result.exit_code == 3, result.output  # October's $5, not the $1,000 default
    assert "over budget" in result.output
    assert json.loads((out / "report.json").read_text())["budget"]["usd"] == 5


def test_post_slack_sends_the_summary_to_the_webhook(written: tuple[Path, Any], slack: tuple[str, type[_Hook]]) -> None:
    out, _ = written
    hook = slack[1]
    assert len(hook.received) == 1
    posted = hook.received[0]
    assert posted["path"] == "/services/T000/B000/secret-token"
    assert posted["type"] == "application/json"
    text = posted["body"]["text"]
    assert text.startswith("*CI/CD cost, 2026-10*")
    report = json.loads((out / "report.json").read_text())
    assert f"Total for 2026-10: ${report['total_usd']:,.2f}" in text


def test_a_second_run_replaces_only_its_own_files(october: Path, written: tuple[Path, Any]) -> None:
    out, _ = written
    before = (out / "report.html").read_text()
    again = _report("--snapshot", str(october), "--out", str(out), "--formats", "md")
    assert again.exit_code == 0, again.output
    assert {path.name for path in out.iterdir()} == ALL_FILES  # html, csv, json from the first run stay
    assert (out / "report.html").read_text() == before


def test_a_folder_with_files_costkit_did_not_write_is_left_alone(october: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "report.html").write_text("my own page")
    result = _report("--snapshot", str(october), "--out", str(out))
    assert result.exit_code == 2
    assert "holds files costkit did not write" in result.output
    assert (out / "report.html").read_text() == "my own page"
    assert {path.name for path in out.iterdir()} == {"notes.txt", "report.html"}


def test_a_forged_marker_claims_only_the_names_costkit_writes(october: Path, tmp_path: Path) -> None:
    out = tmp_path / "forged"
    out.mkdir()
    (out / ".costkit-report").write_text(json.dumps({"files": ["thesis.tex"]}))
    (out / "thesis.tex").write_text("years of work")
    assert _report("--snapshot", str(october), "--out", str(out)).exit_code == 2
    assert (out / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--formats", "html,pdf"], "'pdf' unknown"),
        (["--budget", "5", "--budgets", "x.yaml"], "not both"),
        (["--history", "h"], "one of --history DIR or --snapshot DIR"),
        (["--post-slack", "file:///etc/passwd"], "not an http(s) URL"),
    ],
)
def test_bad_options_exit_2_and_say_why(october: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = _report("--snapshot", str(october), "--out", str(tmp_path / "d"), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "d").exists()


def test_a_failing_webhook_is_an_error_that_does_not_print_its_secret(slack: tuple[str, type[_Hook]]) -> None:
    url, hook = slack
    hook.status = 500
    try:
        with pytest.raises(CostkitError, match="answered HTTP 500") as caught:
            post_slack(url, "hello")
    finally:
        hook.status = 200
    assert "secret-token" not in str(caught.value)
    assert hook.received[-1]["body"] == {"text": "hello"}
