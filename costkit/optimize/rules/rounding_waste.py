"""Rounding waste: builds and action executions billed a whole extra minute for a few seconds.

AWS rounds every build and every V2 action execution up to a whole minute, so a 121-second build bills
three minutes. Per CodeBuild project and per V2 pipeline: the saving if every run that ended within
`THRESHOLD_SECONDS` past a minute boundary had been that much shorter (one billed minute less each),
re-priced through the estimate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from costkit.optimize.base import Context, Suggestion
from costkit.optimize.runs import (
    action_changes,
    build_changes,
    factor,
    lowered,
    observed_actions,
    observed_builds,
    pipeline_runs_key,
    project_runs_key,
)

RULE = "rounding-waste"
THRESHOLD_SECONDS = 10.0  # a run ending at most this far past a minute boundary counts as rounding waste


def _over(seconds: pd.Series, billed: pd.Series) -> pd.Series:
    """Seconds past the last whole minute that the final billed minute paid for (in (0, 60])."""
    return seconds - (billed - 1.0) * 60.0


def _near_boundary(runs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Seconds past the last minute boundary, and the runs of 2+ billed minutes within the threshold of it."""
    over = _over(runs["seconds"], runs["billed"])
    return over, (runs["billed"] >= 2) & (over <= THRESHOLD_SECONDS + 1e-9)


def _evidence(runs: pd.DataFrame, near: pd.Series, over: pd.Series, scale: float) -> dict[str, Any]:
    hit = over[near]
    return {
        "threshold_seconds": THRESHOLD_SECONDS,
        "runs": len(runs),
        "runs_near_boundary": int(near.sum()),
        "seconds_over": {
            f"{int(s)}": int(n) for s, n in np.ceil(hit.round(6)).astype(int).value_counts().sort_index().items()
        },
        "measured_minutes": round(float(runs["seconds"].sum()) / 60.0, 2),
        "billed_minutes": float(runs["billed"].sum()),
        "minutes_lost_in_window": int(near.sum()),
        "projection_factor": scale,
        "billed_minutes_saved_per_month": int(near.sum()) * scale,
    }


REASON = (
    "assumes each of those runs could end {n:g} s earlier; durations vary from run to run, so the same "
    "build lands on either side of a minute boundary, and the trimming may not be possible"
)


def _project_suggestion(ctx: Context, account: str, region: str, project: str, runs: pd.DataFrame) -> Suggestion | None:
    over, near = _near_boundary(runs)
    if not near.any():
        return None
    scale = factor(ctx)
    worth = lowered(
        ctx,
        build_changes(runs, near.astype(float), scale),
        unpriced=f"{project}: rounding waste not priced (missing CodeBuild price in {region})",
        too_small=f"{project}: {int(near.sum())} builds ended within {THRESHOLD_SECONDS:g} s past a "
        "minute, but the minutes are worth ${saving}/month (free tier or tiny)",
    )
    if worth is None:
        return None
    transform, saving = worth
    return Suggestion(
        id=f"{RULE}-build-{project}",
        rule=RULE,
        title=f"Trim a few seconds from CodeBuild project {project}: {int(near.sum())} builds pay a minute for "
        f"{THRESHOLD_SECONDS:g} s or less",
        resources=[project],
        monthly_saving_usd=saving,
        confidence="low",
        confidence_reason=REASON.format(n=THRESHOLD_SECONDS),
        evidence=_evidence(runs, near, over, scale),
        change={
            "console": f"CodeBuild > {project} > Edit: enable local caching (source, Docker layer), keep "
            "artifacts small and move slow post_build steps out; check the phase durations of the long builds",
            "cli": f"aws codebuild update-project --name {project} "
            "--cache type=LOCAL,modes=LOCAL_SOURCE_CACHE,LOCAL_DOCKER_LAYER_CACHE",
            "cloudformation": "AWS::CodeBuild::Project  Cache: {Type: LOCAL, Modes: [LOCAL_SOURCE_CACHE, "
            "LOCAL_DOCKER_LAYER_CACHE]}",
            "terraform": 'cache { type = "LOCAL"  modes = ["LOCAL_SOURCE_CACHE", "LOCAL_DOCKER_LAYER_CACHE"] }',
        },
        exclusive=project_runs_key(str(account), str(region), str(project)),
        usage_patch=[],
        transform=transform,
    )


def _pipeline_suggestion(
    ctx: Context, account: str, region: str, pipeline: str, runs: pd.DataFrame
) -> Suggestion | None:
    over, near = _near_boundary(runs)
    if not near.any():
        return None
    scale = factor(ctx)
    worth = lowered(
        ctx,
        action_changes(runs, near.astype(float), scale),
        unpriced=f"{pipeline}: rounding waste not priced (missing CodePipeline price in {region})",
        too_small=f"{pipeline}: {int(near.sum())} action executions ended within {THRESHOLD_SECONDS:g} s past a "
        "minute, but the minutes are worth ${saving}/month (inside the free minutes or tiny)",
    )
    if worth is None:
        return None
    transform, saving = worth
    actions = sorted({str(c) for c in runs.loc[near, "component"]})
    return Suggestion(
        id=f"{RULE}-pipeline-{pipeline}",
        rule=RULE,
        title=f"Trim a few seconds from the actions of pipeline {pipeline}: {int(near.sum())} action executions "
        f"pay a minute for {THRESHOLD_SECONDS:g} s or less",
        resources=[pipeline],
        monthly_saving_usd=saving,
        confidence="low",
        confidence_reason=REASON.format(n=THRESHOLD_SECONDS),
        evidence={**_evidence(runs, near, over, scale), "actions": actions},
        change={
            "console": f"CodePipeline > {pipeline}: the actions {', '.join(actions)} end just past a minute; "
            "shorten the work they wait for (for a CodeBuild action: the build itself, caching and artifact size)",
        },
        exclusive=pipeline_runs_key(str(account), str(region), str(pipeline)),
        usage_patch=[],
        transform=transform,
    )


def rule(ctx: Context) -> list[Suggestion]:
    if ctx.baseline.runs.planned:
        ctx.notes.append(f"{RULE}: needs observed run durations (a snapshot); not checked for a usage file")
        return []
    suggestions: list[Suggestion] = []
    builds = observed_builds(ctx)
    minute_builds = builds[(builds["unit"] == "Minute") & ~builds["fleet"].astype(bool) & (builds["billed"] > 0)]
    for (account, region, project), runs in minute_builds.groupby(["account", "region", "project"]):
        found = _project_suggestion(ctx, str(account), str(region), str(project), runs)
        if found is not None:
            suggestions.append(found)
    actions = observed_actions(ctx)
    charged = actions[actions["charged"].astype(bool) & (actions["billed"] > 0)]
    for (account, region, pipeline), runs in charged.groupby(["account", "region", "pipeline"]):
        found = _pipeline_suggestion(ctx, str(account), str(region), str(pipeline), runs)
        if found is not None:
            suggestions.append(found)
    return suggestions
