"""`costkit whatif` and `costkit diff`: the JSON equals the library's and follows docs/whatif.schema.json; scenario
file errors name the file, the scenario and the field; hostile names are escaped in every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from test_whatif import BASELINE, NIGHTLY, WEB_BUILD, usage, with_windows
from typer.testing import CliRunner

from costkit import estimate, load_pricebook
from costkit.cli import app
from costkit.model.period import Period
from costkit.whatif import ScenarioFileError, evaluate, load_scenarios
from costkit.whatif.diff import EstimateFileError, diff

DOCS = Path(__file__).parent.parent / "docs"
SCHEMA = json.loads((DOCS / "whatif.schema.json").read_text())
ESTIMATE_SCHEMA = json.loads((DOCS / "estimate.schema.json").read_text())
EXAMPLES = Path(__file__).parent.parent / "examples"
runner = CliRunner()
HOSTILE = "[red]x[/red] | <b>y</b> =HYPERLINK(\x1b]8;;http://evil\x1b\\) $a$ **z**"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


SCENARIOS = {"version": 1, "scenarios": {
    "no nightly": [{"scale_builds": {"factor": 0, "project": "nightly"}}],
    "Tokyo": [{"move_region": {"region": "ap-northeast-1"}}],
}}  # fmt: skip


def test_cli_json_equals_the_library_and_follows_the_schema(tmp_path: Path) -> None:
    usage_path, scenario_path = write(tmp_path, "u.yaml", usage()), write(tmp_path, "s.yaml", SCENARIOS)
    code, out, err = invoke("whatif", "--usage", str(usage_path), "--scenario", str(scenario_path),
                            "--format", "json", "--month", "2026-11")  # fmt: skip
    assert code == 0, err
    printed = json.loads(out)
    jsonschema.validate(printed, SCHEMA)
    jsonschema.validate(printed["baseline"], ESTIMATE_SCHEMA)
    book = load_pricebook()
    baseline = estimate(usage_path, period=Period.month(2026, 11), pricebook=book)
    assert printed == json.loads(json.dumps(evaluate(baseline, load_scenarios(scenario_path), book).to_dict()))
    no_nightly = printed["scenarios"][0]
    assert no_nightly["name"] == "no nightly"
    assert no_nightly["complete"] is True
    assert no_nightly["total_usd"] == pytest.approx(BASELINE - NIGHTLY, rel=1e-12)
    assert no_nightly["delta_usd"] == pytest.approx(-NIGHTLY, rel=1e-12)
    assert no_nightly["delta_pct"] == pytest.approx(-100 * NIGHTLY / BASELINE, rel=1e-12)
    assert no_nightly["changes"] == ["builds x0 (project nightly)"]


def test_incomplete_scenario_in_every_format_and_strict_exit(tmp_path: Path) -> None:
    windows = with_windows()
    usage_path, scenario_path = write(tmp_path, "u.yaml", windows), write(tmp_path, "s.yaml", SCENARIOS)
    common = ("whatif", "-u", str(usage_path), "-s", str(scenario_path), "--month", "2026-11")
    code, out, _ = invoke(*common, "-f", "json")
    tokyo = json.loads(out)["scenarios"][1]
    assert code == 0
    assert tokyo["complete"] is False
    assert tokyo["delta_usd"] is None
    assert tokyo["delta_pct"] is None
    assert tokyo["incomplete_services"] == ["CodeBuild"]
    code, out, _ = invoke(*common)
    assert code == 0
    assert "n/a (incomplete)" in out
    assert ">= $" in out
    code, out, _ = invoke(*common, "-f", "markdown")
    assert code == 0
    assert "n/a (incomplete)" in out
    assert "&gt;= \\$" in out
    code, _, err = invoke(*common, "--strict")
    assert code == 4
    assert "Tokyo" in err


def test_hostile_scenario_names_are_escaped_in_every_format(tmp_path: Path) -> None:
    scenarios = {"version": 1, "scenarios": {HOSTILE: [{"remove_pipeline": {"pipeline": HOSTILE}}]}}
    usage_path, scenario_path = write(tmp_path, "u.yaml", usage()), write(tmp_path, "s.yaml", scenarios)
    common = ("whatif", "-u", str(usage_path), "-s", str(scenario_path), "--month", "2026-11")
    code, table, _ = invoke(*common)
    assert code == 0
    assert "\x1b" not in table
    assert "\\x1b" in table
    assert "[red]x[/red]" in table
    code, markdown, _ = invoke(*common, "-f", "markdown")
    assert code == 0
    assert "<b>" not in markdown
    assert "&lt;b&gt;" in markdown
    assert "\x1b" not in markdown
    assert "\\*\\*z\\*\\*" in markdown
    assert "\\] \\| &lt;b&gt;" in markdown
    code, out, _ = invoke(*common, "-f", "json")
    assert code == 0
    assert "\x1b" not in out
    assert json.loads(out)["scenarios"][0]["name"] == HOSTILE


def test_figures_show_hostile_names_as_text(tmp_path: Path) -> None:
    from costkit.whatif import Scenario, compare, remove_pipeline

    baseline = estimate(usage(), period=Period.month(2026, 11))
    figure = compare(baseline, Scenario.of(HOSTILE, remove_pipeline("web"))).plot()
    labels = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert labels[1].count("\\$") == 2
    assert "\x1b" not in labels[1]
    figure.savefig(tmp_path / "compare.png")  # draws: no mathtext parse error


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scenarios": {"a": []}}, "s.yaml: version: is missing"),
        ({"version": 2, "scenarios": {"a": []}}, "s.yaml: version: 2 is not allowed; expected 1"),
        ({"version": 1, "scenario": {}}, "s.yaml: scenario: is not a known field"),
        ({"version": 1, "scenarios": {}}, "s.yaml: scenarios: needs at least one named scenario"),
        (
            {"version": 1, "scenarios": {"big": {"scale_builds": {"factor": 2}}}},
            "s.yaml: scenario 'big': changes: must be a list of changes",
        ),
        (
            {"version": 1, "scenarios": {"big": [{"scale_build": {"factor": 2}}]}},
            "s.yaml: scenario 'big': changes[0]: 'scale_build' is not a known builder",
        ),
        (
            {"version": 1, "scenarios": {"big": [{"scale_builds": {"factr": 2}}]}},
            "s.yaml: scenario 'big': changes[0].scale_builds.factr: is not a parameter of scale_builds",
        ),
        (
            {"version": 1, "scenarios": {"big": [{"scale_builds": {}}]}},
            "s.yaml: scenario 'big': changes[0].scale_builds.factor: is required",
        ),
        (
            {"version": 1, "scenarios": {"big": [{"scale_builds": {"factor": "two"}}]}},
            "s.yaml: scenario 'big': changes[0].scale_builds.factor: input should be a valid number",
        ),
        (
            {"version": 1, "scenarios": {"ok": [], "big": [{"scale_builds": {"factor": -2}}]}},
            "s.yaml: scenario 'big': changes[0].scale_builds.factor: -2.0 is not a factor",
        ),
        (
            {"version": 1, "scenarios": {"big": [{"scale_builds": {"factor": 2}, "growth": {}}]}},
            "s.yaml: scenario 'big': changes[0]: must be one builder and its parameters",
        ),
    ],
)
def test_scenario_file_errors_name_the_scenario_and_field(tmp_path: Path, data: Any, message: str) -> None:
    path = write(tmp_path, "s.yaml", data)
    with pytest.raises(ScenarioFileError) as caught:
        load_scenarios(path)
    assert str(caught.value).startswith(f"{path.parent}/{message}".replace(f"{path.parent}/s.yaml", str(path)))
    code, _, err = invoke("whatif", "-u", str(write(tmp_path, "u.yaml", usage())), "-s", str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "error:" in err


def test_caching_a_usage_files_builds_without_a_phase_share_names_the_file_scenario_and_parameter(
    tmp_path: Path,
) -> None:
    """A usage file states no phase timings: caching needs the share of a build the phases take, and says so
    where the scenario file can give it (not as a command-line flag, which `whatif` does not have)."""
    path = write(tmp_path, "s.yaml", {"version": 1, "scenarios": {"cache": [{"caching": {"cut": 0.6}}]}})
    code, _, err = invoke("whatif", "-u", str(write(tmp_path, "u.yaml", usage())), "-s", str(path))
    assert code == 2
    flat = " ".join(err.split())
    assert f"{path}: scenario 'cache': changes[0].caching.phase_share: is needed: builds of nightly, web-build" in flat
    assert "phase_share: 0.3 if INSTALL takes 30% of a build" in flat
    assert "--phase-share" not in err
    assert "Traceback" not in err


def test_scenario_file_yaml_problems_are_named(tmp_path: Path) -> None:
    duplicate = tmp_path / "dup.yaml"
    duplicate.write_text("version: 1\nscenarios:\n  a: []\n  a: []\n")
    with pytest.raises(ScenarioFileError, match=r"dup\.yaml"):
        load_scenarios(duplicate)
    with pytest.raises(ScenarioFileError, match="no such file"):
        load_scenarios(tmp_path / "absent.yaml")


def test_the_bundled_scenario_example_runs() -> None:
    code, out, err = invoke("whatif", "-u", str(EXAMPLES / "mid-size-platform.yaml"),
                            "-s", str(EXAMPLES / "scenarios" / "mid-size-platform.yaml"), "-f", "json")  # fmt: skip
    assert code == 0, err
    jsonschema.validate(json.loads(out), SCHEMA)


# --- costkit diff ----------------------------------------------------------------------------------------------


def saved(tmp_path: Path, name: str, data: dict[str, Any], *extra: str) -> Path:
    path = tmp_path / name
    code, _, err = invoke("estimate", "-u", str(write(tmp_path, f"{name}.yaml", data)), "-f", "json",
                          "--month", "2026-11", "-o", str(path), *extra)  # fmt: skip
    assert code == 0, err
    return path


def test_diff_lists_lines_added_removed_and_changed(tmp_path: Path) -> None:
    before = saved(tmp_path, "a.json", usage())
    after_usage = usage()
    after_usage["codebuild"]["nightly"]["builds_per_month"] = 60  # 600 min: $6.00, was $3.00
    del after_usage["codebuild"]["web-build"]
    after_usage["codebuild"]["lint"] = {
        "compute_type": "BUILD_GENERAL1_SMALL",
        "builds_per_month": 20,
        "minutes_per_build": 1,
    }  # 20 min x $0.005 = $0.10
    after = saved(tmp_path, "b.json", after_usage)
    result = diff(before, after)
    assert result.delta_usd == pytest.approx(3.00 - WEB_BUILD + 0.10, rel=1e-12)
    lines = result.lines.set_index("resource")
    assert lines.loc["nightly", "change"] == "changed"
    assert lines.loc["nightly", "delta_usd"] == pytest.approx(300 * 0.01)
    assert lines.loc["nightly", "after_quantity"] == 600
    assert lines.loc["web-build", "change"] == "removed"
    assert lines.loc["web-build", "delta_usd"] == pytest.approx(-2.0)
    assert lines.loc["lint", "change"] == "added"
    assert lines.loc["lint", "delta_usd"] == pytest.approx(0.10)
    assert result.to_dict()["counts"] == {"added": 1, "removed": 1, "changed": 1}
    codebuild = result.services.set_index("service").loc["CodeBuild"]
    assert codebuild["delta_usd"] == pytest.approx(3.00 - 2.00 + 0.10)
    code, out, _ = invoke("diff", str(before), str(after), "-f", "json")
    assert code == 0
    assert json.loads(out) == json.loads(result.to_json())
    code, out, _ = invoke("diff", str(before), str(after))
    assert code == 0
    assert "1 line(s) added, 1 removed, 1 changed" in out
    assert "+$3.00" in out
    code, out, _ = invoke("diff", str(before), str(after), "-f", "markdown")
    assert code == 0
    assert "| changed | CodeBuild | nightly |" in out
    assert "\\+\\$3.00" in out


def test_diff_keys_lines_by_region_so_a_moved_bucket_is_removed_and_added(tmp_path: Path) -> None:
    """artifacts moved to Tokyo: 100 GB x $0.023 = $2.30 removed in us-east-1, 100 GB x $0.025 = $2.50 added in
    ap-northeast-1 (and its 10,000 PUTs: 10 x $0.005 = $0.05 removed, 10 x $0.0047 = $0.047 added)."""
    before = saved(tmp_path, "a.json", usage())
    moved = usage()
    moved["s3"]["artifacts"]["region"] = "ap-northeast-1"
    after = saved(tmp_path, "b.json", moved)
    lines = diff(before, after).lines
    artifacts = lines[lines["resource"] == "artifacts"].set_index(["region", "usage_type"])["change"]
    assert set(artifacts) == {"removed", "added"}
    assert set(lines.loc[lines["change"] == "removed", "region"]) == {"us-east-1"}
    assert set(lines.loc[lines["change"] == "added", "region"]) == {"ap-northeast-1"}
    by_region = lines.groupby("region")[["before_usd", "after_usd"]].sum()
    assert by_region.loc["us-east-1", "before_usd"] == pytest.approx(100 * 0.023 + 10 * 0.005, rel=1e-12)
    assert by_region.loc["ap-northeast-1", "after_usd"] == pytest.approx(100 * 0.025 + 10 * 0.0047, rel=1e-12)


def test_diff_of_an_unpriced_line_has_no_dollar_delta(tmp_path: Path) -> None:
    before = saved(tmp_path, "a.json", usage())
    after = saved(tmp_path, "b.json", usage(), "--region", "ap-northeast-1")
    windows = with_windows()
    incomplete = saved(tmp_path, "c.json", windows, "--region", "ap-northeast-1")
    assert diff(before, after).complete
    result = diff(before, incomplete)
    assert not result.complete
    assert result.delta_usd is None
    desktop = result.lines[result.lines["resource"] == "desktop"].iloc[0]
    assert desktop["change"] == "added"
    assert not desktop["priced"]
    assert desktop["delta_usd"] != desktop["delta_usd"]
    code, out, _ = invoke("diff", str(before), str(incomplete))
    assert code == 0
    assert "n/a (no price)" in out
    assert "n/a (incomplete)" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "is not a saved estimate"),
        ('{"total_usd": 1, "by_service": {}}', "lines: is missing"),
        ('{"total_usd": "1", "by_service": {}, "lines": []}', "total_usd: must be a number"),
    ],
)
def test_diff_refuses_files_that_are_not_saved_estimates(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(EstimateFileError, match=message):
        diff(bad, bad)
    code, _, err = invoke("diff", str(bad), str(bad))
    assert code == 2
    assert "bad.json" in err
    assert "Traceback" not in err


def test_diff_escapes_hostile_names(tmp_path: Path) -> None:
    before = saved(tmp_path, "a.json", usage())
    hostile = usage()
    hostile["s3"][HOSTILE] = {"storage_gb": 10}  # 10 GB x $0.023 = $0.23 added
    after = saved(tmp_path, "b.json", hostile)
    code, table, _ = invoke("diff", str(before), str(after))
    assert code == 0
    assert "\x1b" not in table
    assert "[red]x[/red]" in table
    assert "+$0.23" in table
    code, markdown, _ = invoke("diff", str(before), str(after), "-f", "markdown")
    assert code == 0
    assert "<b>" not in markdown
    assert "\\*\\*z\\*\\*" in markdown
    code, out, _ = invoke("diff", str(before), str(after), "-f", "json")
    assert code == 0
    assert [line["resource"] for line in json.loads(out)["lines"]] == [HOSTILE]  # its storage line, added
