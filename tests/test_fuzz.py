"""Fuzz: generated usage files and snapshot mutations never cause an internal error (exit 1), and whenever
`estimate` exits 0 with `complete: true` its total equals a recomputation from the clean inputs.

Prices (us-east-1) used by the recomputations, by hand:
- CodePipeline V2: $0.002 per action minute, each action execution rounded up to a whole minute; 100 free
  minutes per account; Approval actions are free.
- CodeBuild general1.medium (Linux): $0.01 per build minute, each build rounded up; no free tier.
- S3 Standard: $0.023 per GB-month (first 50 TB), $0.005 per 1,000 PUT and $0.0004 per 1,000 GET requests.

What "clean inputs" means for each kind of input:
- A generated usage file, or an equivalent rewrite of it (flow style, comments, the account quoted or not,
  shared fields through a merge key): the generated spec itself, priced by `usage_total`.
- A YAML 1.1 form (`1:30`, `0100`, `yes`, ...) or an out-of-range value put into a numeric field: there is
  no clean reading, so the file must be refused (exit 2).
- A truncated file, or one with a line deleted or repeated: the file as a plain YAML reader sees it
  (`yaml.safe_load`), priced by `usage_total` when it is within the generated subset.
- A snapshot with valid edits (a run's duration or start changed within limits): the edited tables, priced
  by `snapshot_total` from the rows themselves.
- A snapshot with duplicated rows: the snapshot without the duplicates (the original), and it is flagged.
- A snapshot with impossible rows (negative, over 36 hours, outside the window) or structural damage (columns,
  dtypes, manifest, truncated or replaced Parquet): flagged (`complete: false`) or refused (exit 2); never
  `complete: true`. A byte flipped inside a Parquet data page is not generated: Parquet files as written carry
  no page checksums, so such a change cannot be told from data.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from costkit.cli import app
from costkit.sources.snapshot.folder import Snapshot, write

runner = CliRunner()
FUZZ = settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
ACCOUNT = "012345670123"

V2_MINUTE, FREE_V2_MINUTES = 0.002, 100
MEDIUM_MINUTE = 0.01
S3_GB_MONTH, S3_PUT, S3_GET = 0.023, 0.005 / 1000, 0.0004 / 1000


def run_estimate(*args: str) -> tuple[int, dict[str, Any] | None]:
    result = runner.invoke(app, ["estimate", *args, "--format", "json"])
    assert result.exit_code != 1, result.output
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 2), result.output
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else None


# -- usage files ---------------------------------------------------------------------------------------------------

# Lower-case names; `null`, `true` and `false` are YAML 1.2 keywords, not names.
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).filter(
    lambda name: name not in ("null", "true", "false")
)
minutes = st.integers(1, 400).map(lambda n: n / 4)  # 0.25 to 100 minutes, exact in binary
counts = st.integers(0, 5000)
actions = st.fixed_dictionaries(
    {"name": names, "category": st.sampled_from(["Source", "Build", "Test", "Deploy", "Approval"]), "minutes": minutes,
     "runs_per_execution": st.sampled_from([1, 0.5, 2])}
)  # fmt: skip
pipelines = st.fixed_dictionaries(
    {"type": st.just("V2"), "executions_per_month": counts, "actions": st.lists(actions, min_size=1, max_size=3)}
)
projects = st.fixed_dictionaries(
    {"compute_type": st.just("BUILD_GENERAL1_MEDIUM"), "builds_per_month": counts, "minutes_per_build": minutes}
)
# At most 2 buckets of 25,000 GB: the account's Standard storage stays inside the first tier (51,200 GB), which
# is the flat rate usage_total assumes (tier crossings are tested by hand in test_billing_boundaries.py).
buckets = st.fixed_dictionaries(
    {"storage_gb": st.integers(0, 25_000), "put_requests_per_month": counts, "get_requests_per_month": counts}
)
specs = st.fixed_dictionaries(
    {"pipelines": st.dictionaries(names, pipelines, max_size=3),
     "codebuild": st.dictionaries(names, projects, max_size=3), "s3": st.dictionaries(names, buckets, max_size=2)}
)  # fmt: skip


def usage_total(spec: dict[str, Any]) -> float:
    """The monthly bill of a spec in the generated subset, by the rules in the module docstring."""
    action_minutes = sum(
        p["executions_per_month"] * a.get("runs_per_execution", 1) * math.ceil(a["minutes"])
        for p in (spec.get("pipelines") or {}).values()
        for a in p["actions"]
        if a["category"] != "Approval"
    )
    build_minutes = sum(
        b["builds_per_month"] * math.ceil(b["minutes_per_build"]) for b in (spec.get("codebuild") or {}).values()
    )
    s3 = sum(
        b.get("storage_gb", 0) * S3_GB_MONTH
        + b.get("put_requests_per_month", 0) * S3_PUT
        + b.get("get_requests_per_month", 0) * S3_GET
        for b in (spec.get("s3") or {}).values()
    )
    return max(0.0, action_minutes - FREE_V2_MINUTES) * V2_MINUTE + build_minutes * MEDIUM_MINUTE + s3


def render(spec: dict[str, Any], *, flow: bool, quote_account: bool, merge: bool, comments: bool) -> str:
    """The spec as YAML text, in one of several equivalent spellings."""
    account = f"'{ACCOUNT}'" if quote_account else ACCOUNT  # unquoted: YAML 1.1 would read an octal number
    lines = ["version: 1", f"account: {account}", "region: us-east-1"]
    note = "  # a comment" if comments else ""

    def mapping(values: dict[str, Any]) -> str:
        return "{" + ", ".join(f"{key}: {scalar(value)}" for key, value in values.items()) + "}"

    def scalar(value: Any) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(mapping(item) for item in value) + "]"
        return str(value)

    for section in ("pipelines", "codebuild", "s3"):
        entries = spec[section]
        if not entries:
            continue
        lines.append(f"{section}:{note}")
        for index, (name, values) in enumerate(entries.items()):
            if merge and section == "codebuild":
                anchor = " &first" if index == 0 else ""
                body = dict(values) if index == 0 else {"<<": "*first", **values}
                lines.append(f"  {name}:{anchor}")
                lines += [f"    {key}: {scalar(value)}" for key, value in body.items()]
            elif flow:
                lines.append(f"  {name}: {mapping(values)}{note}")
            else:
                lines.append(f"  {name}:")
                lines += [f"    {key}: {scalar(value)}{note}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def price_text(text: str) -> tuple[int, dict[str, Any] | None]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "usage.yaml"
        path.write_text(text)
        return run_estimate("--usage", str(path), "--month", "2026-11")


@FUZZ
@given(spec=specs, flow=st.booleans(), quote_account=st.booleans(), merge=st.booleans(), comments=st.booleans())
def test_generated_usage_files_are_priced_as_by_hand(
    spec: dict[str, Any], flow: bool, quote_account: bool, merge: bool, comments: bool
) -> None:
    text = render(spec, flow=flow, quote_account=quote_account, merge=merge, comments=comments)
    code, result = price_text(text)
    assert code == 0, text
    assert result is not None
    assert result["complete"] is True
    assert result["total_usd"] == pytest.approx(usage_total(spec), rel=1e-9, abs=1e-9), text
    assert {line["account"] for line in result["lines"]} <= {ACCOUNT}


NOT_A_CLEAN_NUMBER = ["1:30", "0100", "yes", "-5", ".inf", ".nan", "1e400", "[1]", "{}", "~", "'12'", "1_000"]


@FUZZ
@given(spec=specs, data=st.data())
def test_numbers_yaml_1_1_or_a_person_would_misread_are_refused(spec: dict[str, Any], data: st.DataObject) -> None:
    text = render(spec, flow=False, quote_account=False, merge=False, comments=False)
    numeric = [
        i for i, line in enumerate(text.splitlines()) if line.startswith("    ") and line.split(": ")[1][0].isdigit()
    ]
    if not numeric:
        return
    lines = text.splitlines()
    index = data.draw(st.sampled_from(numeric))
    key = lines[index].split(": ")[0]
    lines[index] = f"{key}: {data.draw(st.sampled_from(NOT_A_CLEAN_NUMBER))}"
    code, _ = price_text("\n".join(lines) + "\n")
    assert code == 2


def _in_subset(spec: Any) -> bool:
    """Whether a plain YAML reading of a damaged file is a spec `usage_total` can price."""
    try:
        usage_total(spec)
    except (KeyError, TypeError, AttributeError, ValueError):
        return False
    return isinstance(spec, dict)


@FUZZ
@given(spec=specs, flow=st.booleans(), damage=st.sampled_from(["truncate", "delete", "repeat"]), data=st.data())
def test_damaged_usage_files_never_crash(spec: dict[str, Any], flow: bool, damage: str, data: st.DataObject) -> None:
    text = render(spec, flow=flow, quote_account=True, merge=False, comments=False)
    if damage == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    else:
        lines = text.splitlines(keepends=True)
        index = data.draw(st.integers(0, len(lines) - 1))
        lines[index : index + 1] = [] if damage == "delete" else [lines[index], lines[index]]
        text = "".join(lines)
    code, result = price_text(text)
    if code == 0 and result is not None and result["complete"]:
        plain = yaml.safe_load(text)
        if _in_subset(plain):
            assert result["total_usd"] == pytest.approx(usage_total(plain), rel=1e-9, abs=1e-9), text


# -- snapshots -----------------------------------------------------------------------------------------------------

START = pd.Timestamp("2026-10-01", tz="UTC")
END = pd.Timestamp("2026-11-01", tz="UTC")


def small_snapshot(action_seconds: list[int], build_seconds: list[int]) -> Snapshot:
    """One V2 pipeline whose executions each ran one Build action, and general1.medium builds, in October 2026."""
    base = {"account": ACCOUNT, "region": "us-east-1", "pipeline": "web"}
    starts = [START + pd.Timedelta(hours=6 * i + 1) for i in range(max(len(action_seconds), len(build_seconds)))]
    executions = pd.DataFrame(
        [{**base, "execution_id": f"e{i}", "status": "Succeeded", "start": starts[i],
          "last_update": starts[i] + pd.Timedelta(seconds=s)} for i, s in enumerate(action_seconds)]
    )  # fmt: skip
    actions = executions.assign(
        action_execution_id=[f"a{i}" for i in range(len(executions))],
        stage="Build", action="Build", category="Build", owner="AWS", provider="CodeBuild",
    )  # fmt: skip
    builds = pd.DataFrame(
        [{"account": ACCOUNT, "region": "us-east-1", "project": "web-build", "build_id": f"web-build:{i}",
          "status": "SUCCEEDED", "start": starts[i], "billed_start": starts[i],
          "end": starts[i] + pd.Timedelta(seconds=s), "compute_type": "BUILD_GENERAL1_MEDIUM",
          "environment_type": "LINUX_CONTAINER", "initiator": "codepipeline/web", "fleet_arn": None}
         for i, s in enumerate(build_seconds)]
    )  # fmt: skip
    pipelines = pd.DataFrame([{**base, "pipeline_type": "V2", "created": START - pd.Timedelta(days=400),
                               "artifact_buckets": ""}])  # fmt: skip
    manifest = {"window": {"start": START.isoformat(), "end": END.isoformat()}, "created": "2026-11-02T00:00:00+00:00",
                "accounts": [{"account": ACCOUNT}], "regions": ["us-east-1"], "failures": []}  # fmt: skip
    tables = {"pipelines": pipelines, "pipeline_executions": executions, "action_executions": actions,
              "builds": builds}  # fmt: skip
    return Snapshot(tables={k: v for k, v in tables.items() if not v.empty}, manifest=manifest)


def snapshot_total(directory: Path) -> float:
    """The bill of a small snapshot from its rows, one at a time: each run clipped to October, rounded up."""

    def minutes(begin: pd.Timestamp, finish: pd.Timestamp) -> int:
        seconds = (min(finish, END) - max(begin, START)).total_seconds()
        return max(1, math.ceil(seconds / 60)) if seconds > 0 else 0

    def rows(name: str) -> list[dict[str, Any]]:
        path = directory / f"{name}.parquet"
        return pd.read_parquet(path).to_dict("records") if path.exists() else []

    action_minutes = sum(minutes(r["start"], r["last_update"]) for r in rows("action_executions"))
    build_minutes = sum(minutes(r["billed_start"], r["end"]) for r in rows("builds"))
    return max(0, action_minutes - FREE_V2_MINUTES) * V2_MINUTE + build_minutes * MEDIUM_MINUTE


def edit(directory: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = directory / f"{name}.parquet"
    if path.exists():
        change(pd.read_parquet(path)).to_parquet(path, index=False)


def manifest_edit(directory: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def set_value(table: str, column: str, row: int, value: Callable[[pd.Series], object]) -> Callable[[Path], None]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        index = frame.index[row % len(frame)]
        frame.loc[index, column] = value(frame.loc[index])
        return frame

    return lambda directory: edit(directory, table, change)


def copy(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes())


def cut(path: Path, size: int) -> None:
    """Keep the first `size` bytes: a copy interrupted, a disk that filled up."""
    path.write_bytes(path.read_bytes()[:size])


def earlier(frame: pd.DataFrame, row: int) -> pd.DataFrame:
    """One build moved 60 days back, wholly before the window."""
    index = frame.index[row % len(frame)]
    for column in ("start", "billed_start", "end"):
        frame.loc[index, column] = frame.loc[index, column] - pd.Timedelta(days=60)
    return frame


def mutations(row: int, seconds: int) -> dict[str, tuple[str, Callable[[Path], None]]]:
    """Mutation name -> (what must happen: valid / duplicate / flagged / refused-or-flagged, how)."""
    shift = pd.Timedelta(seconds=seconds)
    return {
        "longer build": ("valid", set_value("builds", "end", row, lambda r: r["billed_start"] + shift)),
        "later action": ("valid", set_value("action_executions", "last_update", row, lambda r: r["start"] + shift)),
        "duplicate builds": ("duplicate", lambda d: edit(d, "builds", lambda f: pd.concat([f, f.iloc[: row + 1]]))),
        "duplicate actions": ("duplicate",
                              lambda d: edit(d, "action_executions", lambda f: pd.concat([f, f.iloc[:1]]))),
        "backwards build": ("flagged", set_value("builds", "end", row, lambda r: r["billed_start"] - shift)),
        "build over 36 h": ("flagged", set_value("builds", "end", row,
                                                 lambda r: r["billed_start"] + pd.Timedelta(hours=36) + shift)),
        "action after window": ("flagged", set_value("action_executions", "start", row, lambda r: END + shift)),
        "build before window": ("flagged", lambda d: edit(d, "builds", lambda f: earlier(f, row))),
        "window moved": ("flagged", lambda d: manifest_edit(d, lambda m: m.update(
            window={"start": "2026-03-01T00:00:00+00:00", "end": "2026-04-01T00:00:00+00:00"}))),
        "unlisted table": ("flagged", lambda d: copy(d / "builds.parquet", d / "builds_copy.parquet")),
        "column dropped": ("refused", lambda d: edit(d, "builds", lambda f: f.drop(columns=["end"]))),
        "times as text": ("refused", lambda d: edit(d, "action_executions", lambda f: f.astype({"start": str}))),
        "account as number": ("refused", lambda d: edit(d, "builds", lambda f: f.assign(account=12345670123))),
        "truncated parquet": ("refused", lambda d: cut(d / "builds.parquet", seconds % 2000)),
        "parquet replaced": ("refused", lambda d: (d / "action_executions.parquet").write_bytes(b"\x00" * seconds)),
        "format version": ("refused", lambda d: manifest_edit(d, lambda m: m.update(format_version=seconds))),
        "window reversed": ("refused", lambda d: manifest_edit(d, lambda m: m.update(
            window={"start": m["window"]["end"], "end": m["window"]["start"]}))),
        "table name path": ("refused", lambda d: manifest_edit(d, lambda m: m["tables"].append("../builds"))),
        "table missing": ("refused", lambda d: (d / "builds.parquet").unlink()),
        "manifest cut": ("refused", lambda d: cut(d / "manifest.json", seconds % 50)),
    }  # fmt: skip


SNAPSHOT_RUNS = {
    "action_seconds": st.lists(st.integers(1, 3600), min_size=5, max_size=40),
    "build_seconds": st.lists(st.integers(1, 7200), min_size=5, max_size=40),
    "row": st.integers(0, 1000),
    "seconds": st.integers(2, 20_000),
}


def mutated(
    folder: str, action_seconds: list[int], build_seconds: list[int], kind: str, row: int, seconds: int
) -> tuple[str, float, Path, int, dict[str, Any] | None]:
    """Write the small snapshot, apply one mutation, estimate it: (expected outcome, clean total, folder, exit
    code, JSON)."""
    directory = write(small_snapshot(action_seconds, build_seconds), Path(folder) / "snapshot")
    clean = snapshot_total(directory)
    expected, mutate = mutations(row, seconds)[kind]
    mutate(directory)
    code, result = run_estimate("--snapshot", str(directory))
    return expected, clean, directory, code, result


@FUZZ
@given(kind=st.sampled_from([k for k, (e, _) in mutations(0, 1).items() if e in ("valid", "duplicate")]),
       **SNAPSHOT_RUNS)  # fmt: skip
def test_valid_edits_and_duplicates_are_priced_from_the_clean_rows(
    action_seconds: list[int], build_seconds: list[int], kind: str, row: int, seconds: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        expected, clean, directory, code, result = mutated(folder, action_seconds, build_seconds, kind, row, seconds)
        assert code == 0
        assert result is not None
        if expected == "valid":
            assert result["complete"] is True
            assert result["total_usd"] == pytest.approx(snapshot_total(directory), rel=1e-9, abs=1e-9)
        else:  # the duplicates are dropped and flagged: the total is the original snapshot's
            assert result["complete"] is False
            assert result["data_quality"]
            assert result["total_usd"] == pytest.approx(clean, rel=1e-9, abs=1e-9)


@FUZZ
@given(kind=st.sampled_from([k for k, (e, _) in mutations(0, 1).items() if e in ("flagged", "refused")]),
       **SNAPSHOT_RUNS)  # fmt: skip
def test_damaged_snapshots_are_flagged_or_refused(
    action_seconds: list[int], build_seconds: list[int], kind: str, row: int, seconds: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        expected, _, _, code, result = mutated(folder, action_seconds, build_seconds, kind, row, seconds)
        if expected == "refused":
            assert code == 2
        else:
            assert code == 0
            assert result is not None
            assert result["complete"] is False
            assert result["data_quality"]
