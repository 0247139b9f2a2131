"""CodeBuild projects on LARGE, XLARGE or 2XLARGE compute whose builds are short: one size down.

costkit does not collect CPU or memory utilisation yet, so the signal is only the build length: an average
billed build of at most SHORT_BUILD_MINUTES. Stated assumption: the build takes as long on the smaller type
(true when it waits on the network or a single thread; a CPU- or memory-bound build runs longer and the saving
shrinks or vanishes). Confidence is always low for that reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any, cast

import numpy as np
import pandas as pd

from costkit.optimize.base import Batch, Context, Suggestion, touches
from costkit.optimize.rows import retype
from costkit.optimize.runs import on_demand_builds

RULE = "right-size"
SHORT_BUILD_MINUTES = 3.0
ONE_SIZE_DOWN = {
    "BUILD_GENERAL1_LARGE": "BUILD_GENERAL1_MEDIUM",
    "BUILD_GENERAL1_XLARGE": "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_2XLARGE": "BUILD_GENERAL1_XLARGE",
}
SELECTED = ["service", "account", "region", "resource", "component", "usage_type"]  # the rows a change retypes
DETAIL = "one size down, same billed minutes (assumed)"
SKIPPED_ENVIRONMENTS = ("LINUX_GPU_CONTAINER",)  # a GPU build is sized by its GPU, not its build length


def _candidates(ctx: Context) -> pd.DataFrame:
    """Per project and compute type: builds, average billed minutes per build (planned or observed runs); for a
    usage file, projects given only a monthly total too, their minutes per build unknown (None)."""
    columns = ["account", "region", "project", "compute_type", "environment_type", "builds", "avg_billed_minutes"]
    placement = ["account", "region", "project", "compute_type", "environment_type"]
    builds = on_demand_builds(ctx)
    if not builds.empty:
        builds = builds[builds["billing_unit"] == "Minute"]
        builds = builds.assign(weighted=builds["count"].astype(float) * builds["billed"].astype(float))
        grouped = builds.groupby(placement, dropna=False, sort=False)[["count", "weighted"]].sum().reset_index()
        grouped = grouped.assign(builds=grouped["count"], avg_billed_minutes=grouped["weighted"] / grouped["count"])
    else:
        grouped = pd.DataFrame(columns=columns)
    if ctx.baseline.runs.planned:
        projects = ctx.baseline.inventory.projects
        unknown = projects[~projects["project"].isin(set(grouped["project"]))].assign(
            builds=None, avg_billed_minutes=None
        )
        grouped = pd.concat([grouped[columns], unknown[columns]], ignore_index=True) if not unknown.empty else grouped
    return grouped.reindex(columns=columns)


def rule(ctx: Context) -> list[Suggestion]:
    rows = ctx.rows
    if rows.empty:
        return []
    mapping = ctx.pricebook.compute_types.set_index(["compute_type", "environment_type"])["usage_type"]
    plan: list[str | dict[str, Any]] = []  # in the candidates' order: a note, or a change to price
    for item in _candidates(ctx).to_dict("records"):
        compute, environment = str(item["compute_type"]), str(item["environment_type"])
        smaller = ONE_SIZE_DOWN.get(compute)
        if smaller is None or environment in SKIPPED_ENVIRONMENTS:
            continue
        project = str(item["project"])
        average = item["avg_billed_minutes"]
        if average is None or pd.isna(average):
            plan.append(
                f"{project}: on {compute} but the minutes per build are unknown (only a monthly total): "
                "cannot tell whether its builds are short enough to right-size"
            )
            continue
        if float(average) > SHORT_BUILD_MINUTES:
            continue
        if (compute, environment) not in mapping.index or (smaller, environment) not in mapping.index:
            plan.append(f"{project}: {smaller} does not exist for {environment}: not right-sized")
            continue
        match = {
            "service": "CodeBuild",
            "account": str(item["account"]),
            "region": str(item["region"]),
            "resource": project,
            "component": f"{compute} / {environment}",
        }
        old_type, new_type = str(mapping[(compute, environment)]), str(mapping[(smaller, environment)])
        plan.append(
            {
                **cast(dict[str, Any], item),
                "match": match,
                "old_type": old_type,
                "new_type": new_type,
                "smaller": smaller,
            }
        )
    changes = [step for step in plan if isinstance(step, dict)]
    keys = pd.DataFrame([{**step["match"], "usage_type": step["old_type"]} for step in changes], columns=SELECTED)
    hit = rows[SELECTED].reset_index(drop=True).reset_index(names="row").merge(keys.reset_index(names="candidate"))
    candidate = np.full(len(rows), -1, dtype=np.int64)
    candidate[hit["row"].to_numpy()] = hit["candidate"].to_numpy()
    new_types = np.array([step["new_type"] for step in changes] + [""], dtype=object)[candidate]
    batch = Batch.changed(rows, candidate, usage_type=new_types, detail=DETAIL)
    batch = dataclasses.replace(batch, size=len(changes))  # a change matching no row still has its number
    savings = ctx.savings(batch)
    billed_of = np.bincount(candidate + 1, rows["quantity"].astype("float64").to_numpy(), len(changes) + 1)[1:]
    suggestions: list[Suggestion] = []
    number = -1
    for step in plan:
        if isinstance(step, str):
            ctx.notes.append(step)
            continue
        number += 1
        suggestion = _suggestion(ctx, step, float(savings[number]), float(billed_of[number]))
        if suggestion is not None:
            suggestion.priced_in = (batch, number)
            suggestions.append(suggestion)
    return suggestions


def _suggestion(ctx: Context, step: dict[str, Any], saving_of: float, billed: float) -> Suggestion | None:
    """One size down for the project and compute type of `step`, when it is worth it."""
    match, types = step["match"], {step["old_type"]: step["new_type"]}
    project, account, region = match["resource"], match["account"], match["region"]
    compute, environment, smaller = str(step["compute_type"]), str(step["environment_type"]), step["smaller"]
    average = float(step["avg_billed_minutes"])

    @touches(match)
    def smaller_type(r: pd.DataFrame, match: dict[str, str] = match, types: dict[str, str] = types) -> pd.DataFrame:
        return retype(r, match, types, DETAIL)

    saving = ctx.judge(
        saving_of,
        unpriced=f"{project}: short builds on {compute}, but there is no price for {step['new_type']} in {region}: "
        "not right-sized (`costkit pricing refresh` may find it)",
    )
    if saving is None:
        return None
    return Suggestion(
        id=f"{RULE}-{account}-{region}-{project}",
        rule=RULE,
        title=f"Run CodeBuild project {project} on {smaller} instead of {compute}",
        resources=[project],
        monthly_saving_usd=saving,
        confidence="low",
        confidence_reason=(
            f"builds are short (average {average:g} billed min, at most {SHORT_BUILD_MINUTES:g}) but "
            "CPU and memory utilisation are unknown (costkit does not collect them yet); assumes the same "
            "duration on the smaller type: a CPU- or memory-bound build runs longer there, which eats the "
            "saving. Try it on one branch and compare build times first."
        ),
        evidence={
            "compute_type": compute,
            "suggested_compute_type": smaller,
            "environment_type": environment,
            "builds": step["builds"],
            "average_billed_minutes_per_build": average,
            "short_build_threshold_minutes": SHORT_BUILD_MINUTES,
            "billed_minutes": billed,
            "utilisation": "unknown",
        },
        change={
            "console": f"CodeBuild > project > Edit > Environment > Additional configuration > Compute: {smaller}",
            "cli": f"aws codebuild update-project --name {project} --environment "
            f"type={environment},image=<same>,computeType={smaller}",
            "cloudformation": f"AWS::CodeBuild::Project  Environment: {{ComputeType: {smaller}}}",
            "terraform": f'environment {{ compute_type = "{smaller}" }}',
        },
        exclusive=f"build-compute:{account}:{region}:{project}",
        usage_patch=[{"op": "set", "path": f"codebuild.{project}.compute_type", "value": smaller}],
        transform=smaller_type,
    )
