"""Real history as a budget plan: a measured usage model written as an equivalent planned usage file (YAML,
version 1), which `costkit estimate` prices to the same total.

Equivalence is kept where a usage file's averages would lose it: each action's executions are written grouped by
the whole minutes they billed (`minutes` = those minutes, `runs_per_execution` = how often), so per-execution
rounding survives; builds are written as the monthly minutes they billed (`build_minutes_per_month`, taken as
already rounded); storage as measured, per storage class; flows x the snapshot's projection to the month.
What a usage file cannot say (builds on a reserved-capacity fleet) is left out and listed in `omitted`.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from costkit.billing.s3 import by_class, observed_storage
from costkit.estimate import Estimate
from costkit.model.usage import Usage
from costkit.sources.usage_file.schema import StorageClass

CLASSES = list(typing.get_args(StorageClass))
FLOW_FIELDS = (
    ("put_requests", "put_requests_per_month"),
    ("get_requests", "get_requests_per_month"),
    ("retrieval_gb", "retrieval_gb_per_month"),
    ("transitions", "lifecycle_transitions_per_month"),
)


@dataclass
class Plan:
    """The usage file (a dict, ready for `costkit.estimate`) and what it could not carry."""

    data: dict[str, Any]
    omitted: list[str] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        target = Path(path)
        header = "# A planned usage file written by costkit from measured usage (costkit.whatif.to_usage_file).\n"
        notes = "".join(f"# omitted: {line}\n" for line in self.omitted)
        target.write_text(header + notes + yaml.safe_dump(self.data, sort_keys=False, allow_unicode=True))
        return target


def _names(frame: pd.DataFrame, column: str, by: Iterable[str]) -> pd.Series:
    """A unique usage-file name per row: the resource's own, then `name (what differs)` for repeats."""
    base = frame[column].astype(str)
    repeated = base.duplicated(keep=False)
    texts = [frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in by]
    detail = texts[0]
    for text in texts[1:]:
        detail = detail + ", " + text
    named = base.where(~repeated, base + " (" + detail + ")")
    counter = named.groupby(named).cumcount()
    return named.where(counter == 0, named + " #" + (counter + 1).astype(str))


def _placed(row: pd.Series, defaults: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("region", "account"):
        if str(row[key]) != defaults[key]:
            out[key] = str(row[key])
    return out


def _number(value: float) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def to_usage_file(source: Usage | Estimate, path: str | Path | None = None) -> Plan:
    """The planned usage file equivalent to `source` (a measured or planned model, or an estimate of one);
    written to `path` when given."""
    usage = source.usage if isinstance(source, Estimate) else source
    tables = [usage.inventory.pipelines, usage.inventory.projects, usage.inventory.functions, usage.inventory.buckets]
    regions = pd.concat([t["region"] for t in tables if not t.empty] or [pd.Series(["us-east-1"])])
    accounts = pd.concat([t["account"] for t in tables if not t.empty] or [pd.Series(["planned"])])
    defaults = {"region": str(regions.mode().iloc[0]), "account": str(accounts.mode().iloc[0])}
    header = {"version": 1, "region": defaults["region"]}
    if defaults["account"] != "planned":  # a usage file's own placeholder account is no account id
        header["account"] = defaults["account"]
    plan = Plan({**header, "free_tier": True if usage.free_tier is None else bool(usage.free_tier)})
    plan.data["pipelines"] = _pipelines(usage, defaults)
    plan.data["codebuild"] = _projects(usage, defaults, plan.omitted)
    plan.data["lambda"] = _functions(usage, defaults)
    plan.data["s3"] = _buckets(usage, defaults)
    if path is not None:
        plan.write(path)
    return plan


def _executions(actions: pd.DataFrame, projection: float) -> pd.Series:
    """Executions a month per pipeline: distinct observed executions, or a planned run's count."""
    key = ["account", "region", "pipeline"]
    observed = actions["execution_id"].notna()
    counted = actions[observed].groupby(key)["execution_id"].nunique().astype(float) * projection
    planned = actions[~observed].groupby(key)["count"].max().astype(float)
    return pd.concat([counted, planned]).groupby(level=[0, 1, 2]).max()


def _pipelines(usage: Usage, defaults: dict[str, str]) -> dict[str, Any]:
    pipelines = usage.inventory.pipelines.reset_index(drop=True)
    if pipelines.empty:
        return {}
    actions = usage.runs.actions
    key = ["account", "region", "pipeline"]
    executions = _executions(actions, usage.projection) if not actions.empty else pd.Series(dtype=float)
    names = _names(pipelines, "pipeline", ["region", "account"]).tolist()
    out: dict[str, Any] = {}
    for name, row in zip(names, _records(pipelines), strict=True):
        place = (row["account"], row["region"], row["pipeline"])
        entry: dict[str, Any] = {"type": str(row["type"]), **_placed(row, defaults)}
        mine = actions[(actions[key] == pd.Series(place, index=key)).all(axis=1)] if not actions.empty else actions
        count = float(executions.get(place, 0.0))
        if row["type"] == "V1":
            entry["active"] = bool(row["active"]) if pd.notna(row["active"]) else count > 0
        if pd.notna(row.get("age_days")):
            created = pd.Timestamp(usage.period.end) - pd.Timedelta(days=float(row["age_days"]))
            entry["created"] = created.date().isoformat()
        if count > 0 and not mine.empty:
            entry["executions_per_month"] = _number(count)
            entry["actions"] = _actions(mine, count, usage.projection if mine["execution_id"].notna().any() else 1.0)
        elif row["type"] == "V2":
            entry["executions_per_month"] = 0
            entry["actions"] = [{"name": "none", "category": "Source", "minutes": 0}]
        for flag in ("execution_mode", "triggers", "variables"):
            if row["type"] == "V2" and pd.notna(row.get(flag)):
                entry[flag] = row[flag] if flag == "execution_mode" else bool(row[flag])
        out[name] = entry
    return out


def _records(frame: pd.DataFrame) -> list[pd.Series]:
    """Each resource as a Series (one usage-file entry is written per resource)."""
    return [row for _, row in frame.iterrows()]


def _actions(runs: pd.DataFrame, executions: float, projection: float) -> list[dict[str, Any]]:
    """One action entry per (action, billed minutes): `runs_per_execution` says how often it billed that many."""
    charged = runs["minutes"].astype(float) > 0
    minutes = runs["minutes"].astype(float).where(charged, runs["seconds"].astype(float) / 60.0)
    frame = runs.assign(bill=minutes, owner=runs["owner"].fillna("AWS"), runs=runs["count"].astype(float) * projection)
    grouped = frame.groupby(["action", "category", "owner", "bill"], sort=False, dropna=False)["runs"].sum()
    entries = []
    for keys, total in grouped.items():
        action, category, owner, bill = typing.cast(tuple[Any, Any, Any, float], keys)
        entry: dict[str, Any] = {"name": str(action), "category": str(category), "minutes": _number(bill)}
        if owner != "AWS":
            entry["owner"] = str(owner)
        share = float(total) / executions
        if abs(share - 1.0) > 1e-12:
            entry["runs_per_execution"] = share
        entries.append(entry)
    return entries


def _projects(usage: Usage, defaults: dict[str, str], omitted: list[str]) -> dict[str, Any]:
    builds = usage.runs.builds
    out: dict[str, Any] = {}
    parts = []
    if not builds.empty:
        fleet = builds["fleet"].astype(object).fillna(False).astype(bool)
        if fleet.any():
            omitted.append(f"{int(fleet.sum())} build(s) on reserved-capacity fleets (a usage file cannot say fleets)")
        on_demand = builds[~fleet]
        billed = on_demand["count"].astype(float) * on_demand["billed"].astype(float) * usage.projection
        per_second = on_demand["unit"] == "Second"
        keyed = on_demand.assign(minutes=billed.where(~per_second, billed / 60.0), pipeline=on_demand["pipeline"])
        key = ["account", "region", "project", "pipeline", "compute_type", "environment_type"]
        parts.append(keyed.groupby(key, dropna=False, sort=False)["minutes"].sum().reset_index())
    given = usage.inventory.projects
    given = given[given["build_minutes_per_month"].notna()] if not given.empty else given
    if not given.empty:
        parts.append(given.rename(columns={"build_minutes_per_month": "minutes"})[
            ["account", "region", "project", "pipeline", "compute_type", "environment_type", "minutes"]])  # fmt: skip
    if not parts:
        return out
    frame = pd.concat(parts, ignore_index=True)
    names = _names(frame, "project", ["pipeline", "compute_type"]).tolist()
    for name, row in zip(names, _records(frame), strict=True):
        entry: dict[str, Any] = {
            "compute_type": str(row["compute_type"]), "environment_type": str(row["environment_type"]),
            "build_minutes_per_month": _number(row["minutes"]), **_placed(row, defaults),
        }  # fmt: skip
        if pd.notna(row["pipeline"]):
            entry["pipeline"] = str(row["pipeline"])
        out[str(name)] = entry
    return out


def _functions(usage: Usage, defaults: dict[str, str]) -> dict[str, Any]:
    functions = usage.inventory.functions
    functions = functions[functions["requests"].notna()].reset_index(drop=True) if not functions.empty else functions
    out: dict[str, Any] = {}
    if functions.empty:
        return out
    names = _names(functions, "function", ["pipeline"]).tolist()
    for name, row in zip(names, _records(functions), strict=True):
        share = float(row["share"]) if pd.notna(row["share"]) else 1.0
        entry: dict[str, Any] = {
            "memory_mb": int(row["memory_mb"]), "architecture": str(row["architecture"]),
            "requests_per_month": _number(float(row["requests"]) * share * usage.projection),
            "duration_ms": _number(row["duration_ms"]), **_placed(row, defaults),
        }  # fmt: skip
        if pd.notna(row["ephemeral_storage_mb"]) and int(row["ephemeral_storage_mb"]) != 512:
            entry["ephemeral_storage_mb"] = int(row["ephemeral_storage_mb"])
        if pd.notna(row["pipeline"]):
            entry["pipeline"] = str(row["pipeline"])
        out[str(name)] = entry
    return out


def _buckets(usage: Usage, defaults: dict[str, str]) -> dict[str, Any]:
    buckets = usage.inventory.buckets.reset_index(drop=True)
    out: dict[str, Any] = {}
    if buckets.empty:
        return out
    storage_type_of = by_class(pd.Series(CLASSES))["storage"]
    class_of = dict(zip(storage_type_of, CLASSES, strict=True))
    measured = observed_storage(buckets["storage_type"].astype(object).fillna(""))["usage_type"].map(class_of)
    classes = buckets["storage_class"].astype(object).where(buckets["storage_class"].notna(), measured)
    frame = buckets.assign(storage_class=classes.fillna("STANDARD"))
    names = _names(frame, "bucket", ["pipeline", "storage_class"]).tolist()
    for name, row in zip(names, _records(frame), strict=True):
        share = float(row["share"]) if pd.notna(row["share"]) else 1.0
        stored = float(row["storage_gb"]) * (share if pd.notna(row["storage_type"]) else 1.0)
        entry: dict[str, Any] = {"storage_class": str(row["storage_class"]),
                                 "storage_gb": _number(stored) if pd.notna(row["storage_gb"]) else 0,
                                 **_placed(row, defaults)}  # fmt: skip
        for column, field_name in FLOW_FIELDS:
            if pd.notna(row[column]) and float(row[column]) > 0:
                entry[field_name] = _number(float(row[column]) * usage.projection)
        if pd.notna(row["objects"]):
            entry["objects"] = _number(row["objects"])
        if pd.notna(row["pipeline"]):
            entry["pipeline"] = str(row["pipeline"])
        out[str(name)] = entry
    return out
