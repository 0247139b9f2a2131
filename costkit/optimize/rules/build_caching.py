"""CodeBuild projects without a cache whose INSTALL, DOWNLOAD_SOURCE and PRE_BUILD phases dominate the build.

Snapshot only (a usage file has no phases). Stated assumption: a cache halves the time of those three phases;
every build's billed minutes are recomputed from its shortened duration (rounded up per build, as AWS bills)
and the changed usage rows are re-priced. The other phases are unchanged.

"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from costkit.billing.codebuild import CACHEABLE_PHASES, billed_for
from costkit.optimize.base import Batch, Confidence, Context, Suggestion, touches
from costkit.optimize.rows import rescale
from costkit.optimize.runs import build_row_key, on_demand_builds

RULE = "build-caching"
CACHEABLE = tuple(CACHEABLE_PHASES)
MIN_SHARE = 0.40  # the cacheable phases' share of billed build time needed to suggest a cache
CACHE_CUT = 0.5  # the stated assumption: a cache halves the cacheable phases
CACHED_DETAIL = "with a build cache: INSTALL + DOWNLOAD_SOURCE + PRE_BUILD halved (assumed), each build rounded up"
BUILD_KEY = ["account", "region", "project", "pipeline", "component", "billing_unit"]
PROJECT_KEY = ["account", "region", "project"]
ROW_KEY = ["service", "account", "region", "resource", "pipeline", "component", "unit"]  # = build_row_key


def _projects(ctx: Context) -> pd.DataFrame:
    """Projects whose cache is known (a usage file states none, so it gets no caching suggestion)."""
    projects = ctx.baseline.inventory.projects
    return projects[projects["cache_type"].notna()]


def _uncached_builds(ctx: Context, builds: pd.DataFrame) -> pd.DataFrame:
    """The builds of every project without a cache, numbered by project (`number`, in inventory order), with
    their cacheable seconds and the billed units they would have with a cache."""
    projects = _projects(ctx)
    uncached = projects[projects["cache_type"] == "NO_CACHE"][PROJECT_KEY].reset_index(drop=True)
    mine = builds.merge(uncached.reset_index(names="number"), on=PROJECT_KEY).sort_values("number", kind="stable")
    mine["cacheable"] = mine[list(CACHEABLE)].sum(axis=1).clip(upper=mine["seconds"])
    mine["new_billed"] = billed_for(mine["seconds"] - CACHE_CUT * mine["cacheable"], mine["billing_unit"])
    return mine.reset_index(drop=True)


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    builds = on_demand_builds(ctx)
    if rows.empty or _projects(ctx).empty or builds.empty:
        return []
    mine = _uncached_builds(ctx, builds)
    per_project = mine.groupby("number", sort=True)
    sums = per_project[["seconds", "cacheable", "billed", "new_billed"]].sum()
    share = (sums["cacheable"] / sums["seconds"].where(sums["seconds"] > 0)).fillna(0.0)
    chosen = sums.index[share >= MIN_SHARE]
    candidate_of = pd.Series(np.arange(len(chosen)), index=chosen)
    picked = mine[mine["number"].isin(chosen)]
    groups = picked.groupby(["number", *BUILD_KEY], dropna=False)[["billed", "new_billed"]].sum().reset_index()
    groups = groups[groups["billed"] > 0]
    factors = groups.assign(
        candidate=candidate_of[groups["number"]].to_numpy(), factor=groups["new_billed"] / groups["billed"]
    )
    keys = factors.rename(columns={"project": "resource", "billing_unit": "unit"}).assign(service="CodeBuild")
    hit = rows[ROW_KEY].reset_index(drop=True).reset_index(names="row").merge(keys[[*ROW_KEY, "candidate", "factor"]])
    candidate = np.full(len(rows), -1, dtype=np.int64)
    candidate[hit["row"].to_numpy()] = hit["candidate"].to_numpy()
    factor = np.ones(len(rows))
    factor[hit["row"].to_numpy()] = hit["factor"].to_numpy()
    quantity = rows["quantity"].astype("float64").to_numpy() * factor
    batch = Batch.changed(rows, candidate, quantity=quantity, detail=CACHED_DETAIL)
    batch = dataclasses.replace(batch, size=len(chosen))  # a project whose rows are gone still has its number
    savings = ctx.savings(batch)
    keys_of = {number: list(group.to_dict("records")) for number, group in factors.groupby("candidate")}
    suggestions: list[Suggestion] = []
    for number, project_no in enumerate(chosen):
        own = per_project.get_group(project_no)
        first = own.iloc[0]
        factors_of = [(build_row_key(key), float(key["factor"])) for key in keys_of.get(number, [])]

        @touches(*(key for key, _factor in factors_of))
        def cached(r: pd.DataFrame, factors: list[tuple[dict[str, object], float]] = factors_of) -> pd.DataFrame:
            return rescale(r, factors, CACHED_DETAIL)

        name = str(first["project"])
        saving = ctx.judge(
            savings[number], unpriced=f"{name}: a build cache was considered but a price it needs is missing"
        )
        if saving is None:
            continue
        suggestion = _suggestion(first["account"], first["region"], name, own, float(share[project_no]), saving)
        suggestion.transform = cached
        suggestion.priced_in = (batch, number)
        suggestions.append(suggestion)
    return suggestions


def _suggestion(
    account: object, region: object, name: str, mine: pd.DataFrame, share: float, saving: float
) -> Suggestion:
    """The cache suggestion for project `name`, whose builds are `mine`."""
    confidence: Confidence = "medium" if share >= 0.6 else "low"
    return Suggestion(
        id=f"{RULE}-{account}-{region}-{name}",
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
            "measured_build_seconds": float(mine["seconds"].sum()),
            "cacheable_phase_seconds": float(mine["cacheable"].sum()),
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
        exclusive=f"build-cache:{account}:{region}:{name}",
    )
