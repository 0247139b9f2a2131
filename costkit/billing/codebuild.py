"""CodeBuild's metering: on-demand builds bill per build, rounded up to a whole minute (EC2 compute) or a whole
second (Lambda compute); builds on a reserved-capacity fleet bill through the fleet.
https://aws.amazon.com/codebuild/pricing/
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from costkit.billing.meters import name, pattern
from costkit.billing.units import billed_units, ran_for
from costkit.model.rows import concat_rows, fmt, rows_for
from costkit.model.usage import Usage

CACHEABLE_PHASES = ["install_s", "download_source_s", "pre_build_s"]  # what a build cache shortens


def billed_for(
    seconds: pd.Series | np.ndarray, billing_unit: pd.Series | str, ran: pd.Series | np.ndarray | bool | None = None
) -> np.ndarray:
    """What AWS bills for each build: whole minutes (EC2) or whole seconds (Lambda compute), rounded up per
    build, at least one; nothing for a build that did not run (by default: no known time inside the window).
    The only per-build rounding in costkit."""
    values = np.nan_to_num(np.asarray(seconds, dtype=float), nan=0.0)
    per_second = billing_unit == "Second" if isinstance(billing_unit, str) else np.asarray(billing_unit == "Second")
    billed = np.where(per_second, billed_units(values), billed_units(values / 60.0))
    return np.where(ran_for(seconds, ran), billed, 0.0)


ON_DEMAND_MINUTES = pattern("CodeBuild", "build-minutes")  # Build-Min:{os}:{size}
FLEET_MINUTES = pattern("CodeBuild", "fleet-minutes")  # ReservedCapacity-Min:{os}:{size}
FLEET_BUILD = name("CodeBuild", "fleet-build")
_ON_DEMAND = re.compile("^" + re.escape(ON_DEMAND_MINUTES).replace(r"\{os\}", "(?P<os>[^:]+)").replace(
    r"\{size\}", "(?P<size>[^:]+)") + "$")  # fmt: skip


def is_on_demand_minutes(usage_types: pd.Series) -> pd.Series:
    """Rows billed per on-demand EC2 build minute (not Lambda compute seconds, not a fleet)."""
    return usage_types.fillna("").str.match(_ON_DEMAND.pattern)


def fleet_minutes(usage_type: str) -> str:
    """The reserved-capacity fleet's instance-minute usage type for an on-demand EC2 build-minute type."""
    found = _ON_DEMAND.match(usage_type)
    if found is None:
        raise ValueError(f"usage_type={usage_type!r} is not an on-demand build-minute usage type")
    return FLEET_MINUTES.format(**found.groupdict())


def twins(compute_types: pd.DataFrame, environment: str, other: str) -> dict[str, str]:
    """Usage type of each compute type on `environment` -> the same compute type's usage type on `other`
    (e.g. LINUX_CONTAINER -> ARM_CONTAINER), from the compute-type table."""
    key = ["compute_type", "usage_type"]
    mine = compute_types.loc[compute_types["environment_type"] == environment, key]
    theirs = compute_types.loc[compute_types["environment_type"] == other, key]
    paired = mine.merge(theirs, on="compute_type", suffixes=("", "_twin"))
    return dict(zip(paired["usage_type"], paired["usage_type_twin"], strict=True))


def compute_mapping(compute_types: pd.DataFrame) -> pd.DataFrame:
    """(compute_type, environment_type) -> usage_type and billing_unit, from the compute-type table."""
    columns = ["compute_type", "environment_type", "usage_type", "billing_unit"]
    return compute_types[columns].drop_duplicates(["compute_type", "environment_type"])


def meter(builds: pd.DataFrame, compute_types: pd.DataFrame, *, planned: bool) -> pd.DataFrame:
    """Build runs with what each bills, from their `seconds`, compute type and environment: `usage_type`, `unit`
    and `billed` (rounded up per build); a build on a reserved-capacity fleet (`fleet`) bills one fleet build.
    A planned run always ran; an observed one ran when it has time."""
    if builds.empty:
        return builds
    out = builds.drop(columns=["usage_type", "billing_unit"], errors="ignore").merge(
        compute_mapping(compute_types), on=["compute_type", "environment_type"], how="left"
    )
    out.index = builds.index
    out["billed"] = billed_for(out["seconds"], out["billing_unit"], ran=True if planned else None)
    fleet = out["fleet"].astype(object).fillna(False).astype(bool)
    out.loc[fleet, "usage_type"] = FLEET_BUILD
    out.loc[fleet, "billing_unit"] = "Build"
    out.loc[fleet, "billed"] = 1.0
    out["unit"] = out["billing_unit"].astype(object).fillna("Minute")
    out["component"] = out["compute_type"] + " / " + out["environment_type"]
    return out.reindex(columns=builds.columns)


def rows(usage: Usage, compute_types: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """CodeBuild's usage rows: per project, pipeline and compute type the units its builds billed (`count x
    billed`, x the projection), and a usage file's monthly totals given as such (taken as billed)."""
    noted: set[str] = set()
    builds = usage.runs.builds
    parts: list[pd.DataFrame] = []
    if not builds.empty:
        per_second = builds["unit"] == "Second"
        if usage.planned:
            if (~per_second).any():
                noted.add("codebuild-average-rounding")
        else:
            noted.add("observed-codebuild-billing-start")
            if builds["fleet"].astype(object).fillna(False).astype(bool).any():
                noted.add("observed-fleet")
        if per_second.any() and usage.planned:
            noted.add("codebuild-lambda-seconds")
        parts.append(_from_runs(builds, usage.projection))
    given = usage.inventory.projects
    given = given[given["build_minutes_per_month"].notna()] if not given.empty else given
    if not given.empty:
        parts.append(_given(given, compute_types, noted))
    return concat_rows(parts), noted


def _from_runs(builds: pd.DataFrame, projection: float) -> pd.DataFrame:
    key = ["account", "region", "project", "pipeline", "compute_type", "environment_type", "usage_type", "unit"]
    counted = builds.assign(
        runs=builds["count"].astype(float), billed=builds["count"].astype(float) * builds["billed"].astype(float)
    )
    grouped = (
        counted.groupby(key, dropna=False, sort=False).agg(billed=("billed", "sum"), runs=("runs", "sum")).reset_index()
    )
    unit = np.where(grouped["unit"] == "Second", " s", np.where(grouped["unit"] == "Build", " fleet builds", " min"))
    started = np.where(
        grouped["pipeline"].notna(), " builds started by the pipeline", " builds started outside a pipeline"
    )
    return rows_for(
        grouped, service="CodeBuild", resource=grouped["project"],
        component=grouped["compute_type"] + " / " + grouped["environment_type"], pipeline=grouped["pipeline"],
        usage_type=grouped["usage_type"].where(grouped["usage_type"].notna(), None),
        quantity=grouped["billed"] * projection, unit=grouped["unit"],
        detail=fmt(grouped["runs"]) + started + ", " + fmt(grouped["billed"]) + unit + " billed (each rounded up)",
    )  # fmt: skip


def _given(projects: pd.DataFrame, compute_types: pd.DataFrame, noted: set[str]) -> pd.DataFrame:
    merged = projects.merge(compute_mapping(compute_types), on=["compute_type", "environment_type"], how="left")
    per_second = merged["billing_unit"] == "Second"
    if per_second.any():
        noted.add("codebuild-lambda-seconds")
    total = merged["build_minutes_per_month"].astype(float)
    return rows_for(
        merged, service="CodeBuild", resource=merged["project"],
        component=merged["compute_type"] + " / " + merged["environment_type"], pipeline=merged["pipeline"],
        usage_type=merged["usage_type"].where(merged["usage_type"].notna(), None),
        quantity=np.where(per_second, total * 60.0, total), unit=merged["billing_unit"],
        detail=fmt(total) + " build minutes per month, as given",
    )  # fmt: skip
