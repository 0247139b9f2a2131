"""CodeBuild projects without a cache whose INSTALL, DOWNLOAD_SOURCE and PRE_BUILD phases dominate the build.

Snapshot only (a usage file has no phases). Stated assumption: a cache halves the time of those three phases;
every build's billed minutes are recomputed from its shortened duration (rounded up per build, as AWS bills)
and the changed usage rows are re-priced. The other phases are unchanged.

"""

from __future__ import annotations

import pandas as pd

from costkit.billing.codebuild import CACHEABLE_PHASES, billed_for
from costkit.optimize.base import Confidence, Context, Suggestion, touches
from costkit.optimize.rows import matching, rescale
from costkit.optimize.runs import build_row_key, on_demand_builds

RULE = "build-caching"
CACHEABLE = tuple(CACHEABLE_PHASES)
MIN_SHARE = 0.40  # the cacheable phases' share of billed build time needed to suggest a cache
CACHE_CUT = 0.5  # the stated assumption: a cache halves the cacheable phases
CACHED_DETAIL = "with a build cache: INSTALL + DOWNLOAD_SOURCE + PRE_BUILD halved (assumed), each build rounded up"
BUILD_KEY = ["account", "region", "project", "pipeline", "component", "billing_unit"]


def _projects(ctx: Context) -> pd.DataFrame:
    """Projects whose cache is known (a usage file states none, so it gets no caching suggestion)."""
    projects = ctx.baseline.inventory.projects
    return projects[projects["cache_type"].notna()]


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    projects = _projects(ctx)
    builds = on_demand_builds(ctx)
    if rows.empty or projects.empty or builds.empty:
        return []
    uncached = projects[projects["cache_type"] == "NO_CACHE"]
    suggestions: list[Suggestion] = []
    for project in uncached.itertuples(index=False):
        mine = builds[
            (builds["project"] == project.project)
            & matching(builds, {"account": project.account, "region": project.region})
        ].copy()
        if mine.empty:
            continue
        cacheable = mine[list(CACHEABLE)].sum(axis=1).clip(upper=mine["seconds"])
        measured = float(mine["seconds"].sum())
        share = float(cacheable.sum()) / measured if measured > 0 else 0.0
        if share < MIN_SHARE:
            continue
        mine["new_billed"] = billed_for(mine["seconds"] - CACHE_CUT * cacheable, mine["billing_unit"])
        groups = mine.groupby(BUILD_KEY, dropna=False)[["billed", "new_billed"]].sum().reset_index()
        factors = [
            (build_row_key(g), g["new_billed"] / g["billed"]) for g in groups.to_dict("records") if g["billed"] > 0
        ]

        @touches(*(key for key, _factor in factors))
        def cached(r: pd.DataFrame, factors: list[tuple[dict[str, object], float]] = factors) -> pd.DataFrame:
            return rescale(r, factors, CACHED_DETAIL)

        name = str(project.project)
        saving = ctx.worth(cached, unpriced=f"{name}: a build cache was considered but a price it needs is missing")
        if saving is None:
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
