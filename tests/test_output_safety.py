"""Hostile names cannot forge output or control a terminal, in any format (issue #7, class 4).

A usage file whose pipeline, project, function and bucket names carry markup, links, control characters,
formulas and bidi overrides goes through `costkit estimate` and `costkit suggest` in every format."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from costkit.cli import app
from costkit.present import escape

runner = CliRunner()

HOSTILE = [
    "pipe|line",
    "[bold]bold[/bold]",
    "close[/x]",
    "[link=https://evil.example]click[/link]",
    "new\nline",
    "\x1b[2Jclear",
    "\x1b]8;;https://evil.example\x1b\\hidden",
    '=HYPERLINK("https://evil.example")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\ttab",
    "bidi\u202eevil",
    "<img src=x onerror=alert(1)>",
    "![img](https://evil.example/x.png)",
    ":warning:",
]
# Raw bytes that would drive a terminal or reorder text: ESC (CSI, OSC), C1 CSI/OSC, bidi override and isolate.
RAW_CONTROLS = ("\x1b", "\x9b", "\x9d", "\u202e", "\u2066")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def hostile_usage(tmp_path: Path) -> Path:
    """Every hostile name as a V1 pipeline, a CodeBuild project (x86: an Arm suggestion quotes it) and a bucket."""
    codebuild = {
        name: {
            "compute_type": "BUILD_GENERAL1_MEDIUM",
            "environment_type": "LINUX_CONTAINER",
            "builds_per_month": 300,
            "minutes_per_build": 6.5,
        }
        for name in HOSTILE
    }
    s3 = {name: {"storage_gb": 10, "storage_class": "STANDARD"} for name in HOSTILE}
    pipelines = {name: {"type": "V1", "active": True} for name in HOSTILE}
    document = {"version": 1, "region": "us-east-1", "free_tier": False, "pipelines": pipelines}
    document |= {"codebuild": codebuild, "s3": s3}
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def no_raw_controls(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, f"{char!r} reached the output"


@pytest.mark.parametrize("command", ["estimate", "suggest"])
def test_table_shows_hostile_names_as_text(tmp_path: Path, command: str) -> None:
    code, out, err = invoke(command, "-u", str(hostile_usage(tmp_path)))
    assert code == 0, err
    no_raw_controls(out)
    assert "[link=https://evil.example]" in re.sub(r"\s*│\s*", "", out.replace("\n", ""))  # shown, not a link
    assert "\\x1b[2Jclear" in out
    assert "bidi\\u202eevil" in out
    assert ":warning:" in out
    assert "⚠" not in out


@pytest.mark.parametrize("command", ["estimate", "suggest"])
def test_markdown_rows_cannot_be_forged(tmp_path: Path, command: str) -> None:
    code, out, err = invoke(command, "-u", str(hostile_usage(tmp_path)), "-f", "markdown")
    assert code == 0, err
    no_raw_controls(out)
    tables = [line for line in out.splitlines() if line.startswith("|")]
    for block in _table_blocks(out):
        widths = {len(_cells(line)) for line in block}
        assert len(widths) == 1, block  # no name added a column
    prose = re.sub(r"(`+).*?\1", "", out)  # code spans show their content as text
    assert "<img" not in prose  # no raw HTML
    assert not re.search(r"(?<!\\)\]\(", prose)  # no link or image: every `]` before a `(` is escaped
    if command == "estimate":
        # one row per hostile project and per bucket, plus header and rule: no name added or removed a row
        services = ("| CodePipeline |", "| CodeBuild |", "| S3 |")
        lines_table = [line for line in tables if line.startswith(services) and len(_cells(line)) == 10]
        assert len(lines_table) == 3 * len(HOSTILE)


def _table_blocks(markdown: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks + ([current] if current else [])


def _cells(row: str) -> list[str]:
    """Cells split on the pipes GitHub splits on: every `|` not escaped by a backslash."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


@pytest.mark.parametrize("command", ["estimate", "suggest"])
def test_csv_text_cannot_start_a_formula_and_numbers_stay_numbers(tmp_path: Path, command: str) -> None:
    code, out, err = invoke(command, "-u", str(hostile_usage(tmp_path)), "-f", "csv")
    assert code == 0, err
    no_raw_controls(out)
    _header, *rows = list(csv.reader(io.StringIO(out)))
    assert rows
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START) or _is_number(cell), cell
    frame = pd.read_csv(io.StringIO(out))
    if command == "estimate":
        assert len(frame) == 3 * len(HOSTILE)  # one row per cost line: no newline split a row
        assert pd.api.types.is_float_dtype(frame["cost_usd"])
        assert set(frame["resource"]) >= {'\'=HYPERLINK("https://evil.example")', "'-2+3", "'@SUM(A1)", "'+SUM(1,2)"}
    else:
        assert pd.api.types.is_float_dtype(frame["monthly_saving_usd"])


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("command", ["estimate", "suggest"])
def test_json_keeps_names_exact(tmp_path: Path, command: str) -> None:
    code, out, err = invoke(command, "-u", str(hostile_usage(tmp_path)), "-f", "json")
    assert code == 0, err
    no_raw_controls(out)  # json.dumps escapes them: \u001b, \u202e
    printed = json.loads(out)
    if command == "estimate":
        assert {line["resource"] for line in printed["lines"]} == set(HOSTILE)
        assert {row["pipeline"] for row in printed["by_pipeline"]} >= set(HOSTILE)
    else:
        quoted = {name for name in HOSTILE for item in printed["suggestions"] if name in item["title"]}
        assert quoted == set(HOSTILE)  # every project has an Arm suggestion that names it exactly


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_per_pipeline_view_is_safe_too(tmp_path: Path, fmt: str) -> None:
    code, out, err = invoke("estimate", "-u", str(hostile_usage(tmp_path)), "-f", fmt, "--by", "pipeline")
    assert code == 0, err
    no_raw_controls(out)
    if fmt == "markdown":
        pipeline_rows = next(block for block in _table_blocks(out) if block[0].startswith("| Pipeline |"))
        assert len(pipeline_rows) == 2 + len(HOSTILE) + 1  # header, rule, each pipeline, "(not attributed)"
        assert {len(_cells(row)) for row in pipeline_rows} == {8}
    if fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert len(frame) == len(HOSTILE) + 1  # each pipeline, and the builds and buckets of none
        assert not frame["pipeline"].str.match(r"[=+\-@\t\r]").any()


def test_pricing_show_prints_hostile_usage_types_as_text(tmp_path: Path) -> None:
    """A pricing folder is someone else's file too: its usage types reach `costkit pricing show`."""
    folder = tmp_path / "pricing"
    shutil.copytree(Path(__file__).parents[1] / "pricing", folder)
    with (folder / "codebuild.csv").open("a", newline="", encoding="utf-8") as handle:
        rows = [["CodeBuild", "us-east-1", name, "", "Minute", 0, "", 0.5, "2026-08-01", "https://example.com", "x"]
                for name in HOSTILE]  # fmt: skip
        csv.writer(handle).writerows(rows)
    code, out, err = invoke("pricing", "show", "--service", "CodeBuild", "--region", "us-east-1",
                            "--pricing-dir", str(folder))  # fmt: skip
    assert code == 0, err
    no_raw_controls(out)
    assert "[bold]bold[/bold]" in out  # markup shown as text, not applied
    assert "[link=https://evil.example]click[/link]" in out
    assert "new\\nline" in out  # one row, the newline shown escaped


def test_option_values_and_file_names_in_errors_are_text(tmp_path: Path) -> None:
    missing = tmp_path / "[/x][link=evil.example]u\x1b[2J.yaml"
    code, _out, err = invoke("estimate", "-u", str(missing))
    assert code == 2
    no_raw_controls(err)
    assert "[/x][link=evil.example]" in err.replace("\n", "")
    assert "Traceback" not in err


def test_markdown_escape_by_hand() -> None:
    assert escape.markdown("a|b") == "a\\|b"
    assert escape.markdown("[x](https://e)") == "\\[x\\](https\\://e)"
    assert escape.markdown("<b>&") == "&lt;b&gt;&amp;"
    assert escape.markdown("# h") == "\\# h"
    assert escape.markdown("1. x") == "1\\. x"
    assert escape.markdown("**b** _i_ ~s~ `c`") == "\\*\\*b\\*\\* \\_i\\_ \\~s\\~ \\`c\\`"
    assert escape.markdown("www.evil.example") == "www\\.evil.example"
    assert escape.markdown("a\nb") == "a\\\\nb"  # shows as a\nb on one line
    assert escape.markdown_code("a`b|c", in_table=True) == "``a`b\\|c``"
    assert escape.markdown_code("`x`") == "`` `x` ``"


def test_terminal_escape_by_hand() -> None:
    assert escape.terminal("[/x]") == "\\[/x]"
    assert escape.terminal("\x1b[2J\x9b\u202e\u2066\r\t\n\x7f") == "\\x1b[2J\\x9b\\u202e\\u2066\\r\\t\\n\\x7f"


def test_html_text_escapes_everything() -> None:
    assert escape.html_text("<a href=\"x\" title='y'>&</a>") == (
        "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;"
    )
    assert escape.html_text("\x1b[2J\u202e") == "\\x1b[2J\\u202e"


def test_csv_frame_neutralises_text_only() -> None:
    frame = pd.DataFrame(
        {"name": ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", None], "cost": [-1.5, 2, 3, 4, 5, 6, 7, 8]}
    )
    safe = escape.csv_frame(frame)
    assert list(safe["name"][:7]) == ["'=1+1", "'+1", "'-1", "'@x", "\\tx", "\\rx", "ok"]
    assert pd.isna(safe["name"][7])
    assert safe["cost"].tolist() == [-1.5, 2, 3, 4, 5, 6, 7, 8]  # a negative number is not a formula


# -- a real terminal ------------------------------------------------------------------------------------------


def _costkit(*args: str) -> list[str]:
    return [sys.executable, "-c", "from costkit.cli.app import main; main()", *args]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_table_on_a_real_terminal(tmp_path: Path) -> None:
    """Through a pty, rich styles its own output; nothing from a name reaches the terminal as a control."""
    try:
        leader, follower = os.openpty()
    except OSError as error:  # a container without /dev/ptmx
        pytest.skip(f"no pseudo-terminal: {error}")
    env = {**os.environ, "COLUMNS": "200", "LINES": "50", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        _costkit("estimate", "-u", str(hostile_usage(tmp_path))),
        stdin=follower, stdout=follower, stderr=follower, env=env, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    screen = _read_all(leader, process)
    os.close(leader)
    assert process.wait(timeout=60) == 0, screen
    text = screen.decode("utf-8", errors="replace")
    assert "\x1b[" in text  # it is a terminal: rich does style the table
    sequences = re.findall(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*|.)", text)
    assert all(re.fullmatch(r"\x1b\[[0-9;]*m", seq) for seq in sequences), set(sequences)  # colours only
    for char in ("\x9b", "\x9d", "\u202e", "\u2066"):
        assert char not in text
    assert "Traceback" not in text
    assert "Total per month" in text


def _read_all(descriptor: int, process: subprocess.Popen[bytes]) -> bytes:
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([descriptor], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError("costkit produced no output for 60 s")
        try:
            chunk = os.read(descriptor, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
