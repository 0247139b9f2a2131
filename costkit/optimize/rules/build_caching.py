"""CodeBuild projects without a cache whose INSTALL, DOWNLOAD_SOURCE and PRE_BUILD phases dominate the build.

Snapshot only (a usage file has no phases). Stated assumption: a cache halves the time of those three phases;
every build's billed minutes are recomputed from its shortened duration (rounded up per build, as AWS bills)
and the changed usage rows are re-priced. The other phases are unchanged.

Also home of `observed_builds`, the per-build view of a snapshot that the compute rules share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from costkit.optimize.base import Confidence, Context, Suggestion
from costkit.usage.derive import billed_units
from costkit.usage.observed import billed_builds

RULE = "build-caching"
CACHEABLE = ("install_s", "download_source_s", "pre_build_s")
MIN_SHARE = 0.40  # the cacheable phases' share of billed build time needed to suggest a cache
CACHE_CUT = 0.5  # the stated assumption: a cache halves the cacheable phases
CACHED_DETAIL = "with a build cache: INSTALL + DOWNLOAD_SOURCE + PRE_BUILD halved (assumed), each build rounded up"
BUILD_KEY = ["account", "region", "project", "pipeline", "component", "billing_unit"]


def observed_builds(ctx: Context) -> pd.DataFrame:
    """One row per finished on-demand build of the snapshot, billed exactly as the estimate billed it
    (costkit.usage.observed.billed_builds), with `billing_unit`, the phase seconds and `day` (start date).
    Fleet builds are left out: a reserved-capacity fleet does not bill per build minute."""
    if ctx.snapshot is None:
        return pd.DataFrame()
    runs = billed_builds(ctx.snapshot, ctx.pricebook)
    runs = runs[~runs["fleet"].astype(bool) & runs["usage_type"].notna()].copy()
    runs["billing_unit"] = runs["unit"]
    runs["day"] = pd.to_datetime(runs["start"], utc=True).dt.date
    for column in CACHEABLE:
        runs[column] = runs[column].astype(float).fillna(0.0)
    return runs.reset_index(drop=True)


def bill(seconds: pd.Series, billing_unit: pd.Series | str) -> np.ndarray:
    """What AWS bills for each build: whole minutes (EC2) or whole seconds (Lambda compute), rounded up per
    build; nothing for a build with no time inside the window."""
    values = np.asarray(seconds, dtype=float)
    per_second = np.asarray(billing_unit == "Second") if not isinstance(billing_unit, str) else billing_unit == "Second"
    billed = np.where(per_second, billed_units(values), billed_units(values / 60.0))
    return np.where(values > 0, billed, 0.0)


def ceil_units(value: float) -> float:
    """One run's billed units (AWS's per-run rounding up) of a single number."""
    return float(billed_units(np.array([value], dtype=float))[0])


def same_key(rows: pd.DataFrame, key: dict[str, object]) -> pd.Series:
    """Rows whose columns equal every value of `key`, where a missing value (no pipeline) matches a missing one."""
    mask = pd.Series(True, index=rows.index)
    for column, value in key.items():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            mask &= rows[column].isna()
        else:
            mask &= rows[column] == value
    return mask


def rescale(rows: pd.DataFrame, factors: list[tuple[dict[str, object], float]], detail: str) -> pd.DataFrame:
    """Multiply the quantity of the rows matching each key by its factor (rows matched by value)."""
    out = rows.copy()
    for key, factor in factors:
        hit = same_key(out, key)
        out.loc[hit, "quantity"] = out.loc[hit, "quantity"].astype(float) * factor
        out.loc[hit, "detail"] = detail
    return out


def _projects(ctx: Context) -> pd.DataFrame:
    projects = ctx.snapshot.table("projects") if ctx.snapshot is not None else pd.DataFrame()
    if projects.empty or "cache_type" not in projects:
        return pd.DataFrame()
    projects = projects.copy()
    for column in ("account", "region"):
        if column not in projects:
            projects[column] = None
    return projects


def row_key(group: Mapping[Any, Any]) -> dict[str, object]:
    """The usage-row key of a group of `observed_builds` (grouped by BUILD_KEY): matches its on-demand rows,
    whatever their usage type (so a right-size applied first still matches), never a fleet's per-build row."""
    return {
        "service": "CodeBuild",
        "account": group["account"],
        "region": group["region"],
        "resource": group["project"],
        "pipeline": group["pipeline"],
        "component": group["component"],
        "unit": group["billing_unit"],
    }


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    projects = _projects(ctx)
    builds = observed_builds(ctx)
    if rows.empty or projects.empty or builds.empty:
        return []
    uncached = projects[projects["cache_type"].fillna("NO_CACHE") == "NO_CACHE"]
    suggestions: list[Suggestion] = []
    for project in uncached.itertuples(index=False):
        mine = builds[
            (builds["project"] == project.project)
            & same_key(builds, {"account": project.account, "region": project.region})
        ].copy()
        if mine.empty:
            continue
        cacheable = mine[list(CACHEABLE)].sum(axis=1).clip(upper=mine["seconds"])
        measured = float(mine["seconds"].sum())
        share = float(cacheable.sum()) / measured if measured > 0 else 0.0
        if share < MIN_SHARE:
            continue
        mine["new_billed"] = bill(mine["seconds"] - CACHE_CUT * cacheable, mine["billing_unit"])
        groups = mine.groupby(BUILD_KEY, dropna=False)[["billed", "new_billed"]].sum().reset_index()
        factors = [(row_key(g), g["new_billed"] / g["billed"]) for g in groups.to_dict("records") if g["billed"] > 0]

        def cached(r: pd.DataFrame, factors: list[tuple[dict[str, object], float]] = factors) -> pd.DataFrame:
            return rescale(r, factors, CACHED_DETAIL)

        name = str(project.project)
        saving = ctx.saving(cached)
        if saving is None:
            ctx.notes.append(f"{name}: a build cache was considered but a price it needs is missing")
            continue
        if saving <= 0.005:
            continue
        confidence: Confidence = "medium" if share >= 0.6 else "low"
        suggestions.append(
            Suggestion(
                id=f"{RULE}-{project.account}-{project.region}-{name}",
                rule=RULE,
                title=f"Cache dependencies of CodeBuild project {name}",
                resources=[name],
                monthly_saving_usd=saving,
                confidence=confidence,
                confidence_reason=(
                    f"INSTALL + DOWNLOAD_SOURCE + PRE_BUILD take {share:.0%} of the billed build time and the "
                    "project has no cache; assumes a cache halves those phases (dependency downloads cache well, "
                    "work that must run every build does not). A cache in S3 adds a little storage and request "
                    "cost (small, not zero, not included); a LOCAL cache only helps builds that land on a warm host."
                ),
                evidence={
                    "cache_type": "NO_CACHE",
                    "builds": len(mine),
                    "measured_build_seconds": measured,
                    "cacheable_phase_seconds": float(cacheable.sum()),
                    "cacheable_share": share,
                    "assumed_cut_of_cacheable_phases": CACHE_CUT,
                    "billed_units_observed": float(mine["billed"].sum()),
                    "billed_units_with_cache": float(mine["new_billed"].sum()),
                    "billing_unit": sorted(mine["billing_unit"].astype(str).unique()),
                },
                change={
                    "console": "CodeBuild > project > Edit > Artifacts > Additional configuration > Cache type: "
                    "Amazon S3 (bucket/prefix) or Local (source, custom and, for Docker builds, Docker layer); "
                    "list the dependency folders under `cache: paths:` in the buildspec",
                    "cli": f"aws codebuild update-project --name {name} --cache type=S3,location=<bucket>/{name}-cache"
                    f"  # or: --cache type=LOCAL,modes=LOCAL_SOURCE_CACHE,LOCAL_CUSTOM_CACHE",
                    "cloudformation": "AWS::CodeBuild::Project  Cache: {Type: S3, Location: <bucket>/<prefix>}  "
                    "# or {Type: LOCAL, Modes: [LOCAL_SOURCE_CACHE, LOCAL_CUSTOM_CACHE]}",
                    "terraform": 'cache { type = "S3"  location = "<bucket>/<prefix>" }  '
                    '# or cache { type = "LOCAL"  modes = ["LOCAL_SOURCE_CACHE", "LOCAL_CUSTOM_CACHE"] }',
                },
                exclusive=f"build-cache:{project.account}:{project.region}:{name}",
                transform=cached,
            )
        )
    return suggestions
