"""Rounding waste: builds and action executions billed a whole extra minute for a few seconds.

AWS rounds every build and every V2 action execution up to a whole minute, so a 121-second build bills
three minutes. Per CodeBuild project and per V2 pipeline: the saving if every run that ended within
`THRESHOLD_SECONDS` past a minute boundary had been that much shorter (one billed minute less each),
re-priced through the estimate.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from costkit.optimize.base import Batch, Context, Suggestion
from costkit.optimize.rows import Reduction, lowering
from costkit.optimize.runs import (
    changes_of,
    factor,
    lowering_batch,
    numbered,
    observed_actions,
    observed_builds,
    pipeline_runs_key,
    project_runs_key,
    reductions,
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


def _evidence(runs: pd.DataFrame, size: int, scale: float) -> list[dict[str, Any]]:
    """Per candidate (`runs` carry `candidate`, `near` and `over`): how many runs ended near a boundary, how far
    past it, and the minutes measured, billed and saved."""
    mine = runs[runs["candidate"] >= 0]
    number = mine["candidate"].to_numpy(dtype=np.int64)
    near = mine["near"].to_numpy(dtype=bool)
    count = np.bincount(number, minlength=size)
    hits = np.bincount(number, near, minlength=size).astype(int)
    past = mine[near].assign(over=np.ceil(mine.loc[near, "over"].astype(float).round(6)).astype(int))
    over: dict[int, dict[str, int]] = {}
    for key, n in past.groupby(["candidate", "over"]).size().items():
        candidate, seconds = cast(tuple[int, int], key)
        over.setdefault(int(candidate), {})[f"{int(seconds)}"] = int(n)
    per = mine.groupby("candidate")[["seconds", "billed"]].sum().reindex(range(size), fill_value=0.0)
    measured, billed = per["seconds"].to_numpy(dtype="float64"), per["billed"].to_numpy(dtype="float64")
    return [
        {
            "threshold_seconds": THRESHOLD_SECONDS,
            "runs": int(count[i]),
            "runs_near_boundary": int(hits[i]),
            "seconds_over": over.get(i, {}),
            "measured_minutes": round(float(measured[i]) / 60.0, 2),
            "billed_minutes": float(billed[i]),
            "minutes_lost_in_window": int(hits[i]),
            "projection_factor": scale,
            "billed_minutes_saved_per_month": int(hits[i]) * scale,
        }
        for i in range(size)
    ]


REASON = (
    "assumes each of those runs could end {n:g} s earlier; durations vary from run to run, so the same "
    "build lands on either side of a minute boundary, and the trimming may not be possible"
)


def _candidates(
    ctx: Context, runs: pd.DataFrame, by: list[str], *, builds: bool
) -> tuple[pd.DataFrame, list[tuple[str, ...]], Batch, dict[int, list[Reduction]]]:
    """Every project's (or pipeline's: `by`) runs that ended near a minute boundary, one billed minute less each,
    as one batch. Returns the runs numbered by `candidate` (the groups with such a run, in sorted order), each
    candidate's `by` values, the batch and each candidate's reductions."""
    over, near = _near_boundary(runs)
    runs, names = numbered(runs.assign(over=over.to_numpy(), near=near.to_numpy()), by, near)
    found = reductions(runs, runs["near"].astype(float), factor(ctx), builds=builds)
    return runs, names, lowering_batch(ctx.rows, len(names), found), changes_of(found)


def _project_suggestions(ctx: Context, builds: pd.DataFrame) -> list[Suggestion]:
    runs, names, batch, changes = _candidates(ctx, builds, ["account", "region", "project"], builds=True)
    savings, scale = ctx.savings(batch), factor(ctx)
    evidence = _evidence(runs, len(names), scale)
    suggestions: list[Suggestion] = []
    for number, (account, region, project) in enumerate(names):
        near = evidence[number]["runs_near_boundary"]
        if number not in changes:
            continue
        saving = ctx.judge(
            float(savings[number]),
            unpriced=f"{project}: rounding waste not priced (missing CodeBuild price in {region})",
            too_small=f"{project}: {near} builds ended within {THRESHOLD_SECONDS:g} s past a "
            "minute, but the minutes are worth ${saving}/month (free tier or tiny)",
        )
        if saving is None:
            continue
        suggestions.append(
            Suggestion(
                id=f"{RULE}-build-{project}",
                rule=RULE,
                title=f"Trim a few seconds from CodeBuild project {project}: {near} builds pay a minute for "
                f"{THRESHOLD_SECONDS:g} s or less",
                resources=[project],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason=REASON.format(n=THRESHOLD_SECONDS),
                evidence=evidence[number],
                change={
                    "console": f"CodeBuild > {project} > Edit: enable local caching (source, Docker layer), keep "
                    "artifacts small and move slow post_build steps out; check the phase durations of the long "
                    "builds",
                    "cli": f"aws codebuild update-project --name {project} "
                    "--cache type=LOCAL,modes=LOCAL_SOURCE_CACHE,LOCAL_DOCKER_LAYER_CACHE",
                    "cloudformation": "AWS::CodeBuild::Project  Cache: {Type: LOCAL, Modes: [LOCAL_SOURCE_CACHE, "
                    "LOCAL_DOCKER_LAYER_CACHE]}",
                    "terraform": 'cache { type = "LOCAL"  modes = ["LOCAL_SOURCE_CACHE", "LOCAL_DOCKER_LAYER_CACHE"] }',
                },
                exclusive=project_runs_key(account, region, project),
                usage_patch=[],
                transform=lowering(changes[number]),
                priced_in=(batch, number),
            )
        )
    return suggestions


def _pipeline_suggestions(ctx: Context, actions: pd.DataFrame) -> list[Suggestion]:
    runs, names, batch, changes = _candidates(ctx, actions, ["account", "region", "pipeline"], builds=False)
    savings, scale = ctx.savings(batch), factor(ctx)
    evidence = _evidence(runs, len(names), scale)
    near_runs = runs[runs["near"].to_numpy(dtype=bool) & (runs["candidate"].to_numpy() >= 0)]
    components: dict[int, list[str]] = {
        int(cast(int, number)): sorted({str(c) for c in group})
        for number, group in near_runs.groupby("candidate")["component"]
    }
    suggestions: list[Suggestion] = []
    for number, (account, region, pipeline) in enumerate(names):
        near = evidence[number]["runs_near_boundary"]
        if number not in changes:
            continue
        saving = ctx.judge(
            float(savings[number]),
            unpriced=f"{pipeline}: rounding waste not priced (missing CodePipeline price in {region})",
            too_small=f"{pipeline}: {near} action executions ended within {THRESHOLD_SECONDS:g} s past a "
            "minute, but the minutes are worth ${saving}/month (inside the free minutes or tiny)",
        )
        if saving is None:
            continue
        actions_near = components.get(number, [])
        suggestions.append(
            Suggestion(
                id=f"{RULE}-pipeline-{pipeline}",
                rule=RULE,
                title=f"Trim a few seconds from the actions of pipeline {pipeline}: {near} action executions "
                f"pay a minute for {THRESHOLD_SECONDS:g} s or less",
                resources=[pipeline],
                monthly_saving_usd=saving,
                confidence="low",
                confidence_reason=REASON.format(n=THRESHOLD_SECONDS),
                evidence={**evidence[number], "actions": actions_near},
                change={
                    "console": f"CodePipeline > {pipeline}: the actions {', '.join(actions_near)} end just past a "
                    "minute; shorten the work they wait for (for a CodeBuild action: the build itself, caching "
                    "and artifact size)",
                },
                exclusive=pipeline_runs_key(account, region, pipeline),
                usage_patch=[],
                transform=lowering(changes[number]),
                priced_in=(batch, number),
            )
        )
    return suggestions


def rule(ctx: Context) -> list[Suggestion]:
    if ctx.baseline.runs.planned:
        ctx.notes.append(f"{RULE}: needs observed run durations (a snapshot); not checked for a usage file")
        return []
    builds = observed_builds(ctx)
    minute_builds = builds[(builds["unit"] == "Minute") & ~builds["fleet"].astype(bool) & (builds["billed"] > 0)]
    actions = observed_actions(ctx)
    charged = actions[actions["charged"].astype(bool) & (actions["billed"] > 0)]
    return _project_suggestions(ctx, minute_builds) + _pipeline_suggestions(ctx, charged)
